use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use std::panic::{AssertUnwindSafe, catch_unwind};

use dfpack_common::{Error, panic_message};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::Statistics;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::physical_plan::execution_plan::ReplaceChildrenOptions;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::Stream;

use super::guarded;

/// An execution plan whose `execute`, and the stream it returns, are panic-guarded.
/// It is transparent: it shows, and downcasts, as the plan it wraps.
pub struct GuardedExec {
    name: String,
    inner: Arc<dyn ExecutionPlan>,
}

impl GuardedExec {
    pub fn new(name: impl Into<String>, inner: Arc<dyn ExecutionPlan>) -> Self {
        GuardedExec { name: name.into(), inner }
    }
}

impl GuardedExec {
    fn rewrap(&self, inner: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        Arc::new(GuardedExec::new(self.name.clone(), inner))
    }
}

impl fmt::Debug for GuardedExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl DisplayAs for GuardedExec {
    fn fmt_as(&self, format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt_as(format, f)
    }
}

impl ExecutionPlan for GuardedExec {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn downcast_delegate(&self) -> Option<&dyn ExecutionPlan> {
        Some(self.inner.as_ref())
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.inner.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.inner.children()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.inner.apply_expressions(f)
    }

    #[allow(deprecated)] // required by the trait; delegates to the wrapped plan
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let inner = guarded(&self.name, || Arc::clone(&self.inner).with_new_children(children))?;
        Ok(self.rewrap(inner))
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let inner = guarded(&self.name, || Arc::clone(&self.inner).replace_children(children, options))?;
        Ok(self.rewrap(inner))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let stream = guarded(&format!("{} (execute)", self.name), || {
            self.inner.execute(partition, context)
        })?;
        Ok(Box::pin(GuardedStream::new(self.name.clone(), stream)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        self.inner.metrics()
    }

    #[allow(deprecated)] // delegating: the wrapped plan may still implement it
    fn partition_statistics(&self, partition: Option<usize>) -> Result<Arc<Statistics>> {
        guarded(&self.name, || self.inner.partition_statistics(partition))
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        self.inner.maintains_input_order()
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        self.inner.benefits_from_input_partitioning()
    }

    fn supports_limit_pushdown(&self) -> bool {
        self.inner.supports_limit_pushdown()
    }

    fn with_fetch(&self, limit: Option<usize>) -> Option<Arc<dyn ExecutionPlan>> {
        Some(self.rewrap(self.inner.with_fetch(limit)?))
    }

    fn fetch(&self) -> Option<usize> {
        self.inner.fetch()
    }
}

/// A record batch stream that turns a panic while polling into one error item,
/// then ends.
pub struct GuardedStream {
    name: String,
    inner: Option<SendableRecordBatchStream>,
    schema: SchemaRef,
}

impl GuardedStream {
    pub fn new(name: String, inner: SendableRecordBatchStream) -> Self {
        let schema = inner.schema();
        GuardedStream { name, inner: Some(inner), schema }
    }
}

impl Stream for GuardedStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        // Called per batch: catch_unwind directly, so the context string is built
        // only when a panic actually happened.
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll_next(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                // The panicked stream's state is unknown: drop it, never poll it again.
                self.inner = None;
                Poll::Ready(Some(Err(DataFusionError::from(Error::Panic {
                    context: format!("{} (stream)", self.name),
                    message: panic_message(payload.as_ref()),
                }))))
            }
        }
    }
}

impl RecordBatchStream for GuardedStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
