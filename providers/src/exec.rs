//! Execution with the table's own object stores.
//!
//! Across FFI the task context a plan receives is rebuilt with a default
//! `RuntimeEnv`, so the host's object stores are invisible (and a native host
//! never registered the pack's). The scan plan therefore runs under a task
//! context whose runtime env is the table's own.
//!
//! The wrapper is a leaf: the Delta scan is one unit whose inner plan
//! (deletion-vector masks, file pruning) the host's optimizer must not rewrite;
//! across FFI it could not do so meaningfully anyway.

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::ReplaceChildrenOptions;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};

/// The fewest rows per batch a Delta scan reads. Across FFI every batch
/// crosses with its schema (exported, then parsed back by the host), a fixed
/// cost per batch that DataFusion's default of 8192 rows leaves at ~10% of a
/// plain aggregate's time; larger batches spread it thin. A session asking
/// for larger batches still gets its own size.
pub const SCAN_BATCH_ROWS: usize = 65_536;

/// Runs `inner` with the object stores of `runtime_env` in place of the
/// caller's, reading batches of at least [`SCAN_BATCH_ROWS`] rows; shows and
/// downcasts as `inner`, but hides its children.
pub struct TableRuntimeExec {
    inner: Arc<dyn ExecutionPlan>,
    runtime_env: Arc<RuntimeEnv>,
}

impl TableRuntimeExec {
    pub fn wrap(inner: Arc<dyn ExecutionPlan>, runtime_env: Arc<RuntimeEnv>) -> Arc<dyn ExecutionPlan> {
        Arc::new(TableRuntimeExec { inner, runtime_env })
    }
}

impl fmt::Debug for TableRuntimeExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl DisplayAs for TableRuntimeExec {
    fn fmt_as(&self, format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt_as(format, f)
    }
}

impl ExecutionPlan for TableRuntimeExec {
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
        Vec::new()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.inner.apply_expressions(f)
    }

    #[allow(deprecated)] // required by the trait; a leaf has no children to replace
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        leaf_children(&children)?;
        Ok(self)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        leaf_children(&children)?;
        Ok(self)
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        // The caller's memory pool, disk manager and caches (a native host's
        // limits hold), with the table's object stores.
        let runtime_env = RuntimeEnvBuilder::from_runtime_env(&context.runtime_env())
            .with_object_store_registry(Arc::clone(&self.runtime_env.object_store_registry))
            .build_arc()?;
        let batch_rows = context.session_config().batch_size().max(SCAN_BATCH_ROWS);
        let config = context.session_config().clone().with_batch_size(batch_rows);
        let context = match Arc::try_unwrap(context) {
            // Across FFI each partition's context is its own, rebuilt from the
            // host's: it is reused, and its function maps (the host's hundreds
            // of functions) are not copied again.
            Ok(owned) => owned.with_session_config(config).with_runtime(runtime_env),
            Err(shared) => TaskContext::new(
                shared.task_id(),
                shared.session_id(),
                config,
                shared.scalar_functions().clone(),
                shared.higher_order_functions().clone(),
                shared.aggregate_functions().clone(),
                shared.window_functions().clone(),
                runtime_env,
            ),
        };
        self.inner.execute(partition, Arc::new(context))
    }

    fn supports_limit_pushdown(&self) -> bool {
        self.inner.supports_limit_pushdown()
    }

    fn with_fetch(&self, limit: Option<usize>) -> Option<Arc<dyn ExecutionPlan>> {
        let inner = self.inner.with_fetch(limit)?;
        Some(TableRuntimeExec::wrap(inner, Arc::clone(&self.runtime_env)))
    }

    fn fetch(&self) -> Option<usize> {
        self.inner.fetch()
    }

    fn metrics(&self) -> Option<MetricsSet> {
        self.inner.metrics()
    }

    #[allow(deprecated)] // delegating: the wrapped plan may still implement it
    fn partition_statistics(&self, partition: Option<usize>) -> Result<Arc<datafusion::common::Statistics>> {
        self.inner.partition_statistics(partition)
    }
}

fn leaf_children(children: &[Arc<dyn ExecutionPlan>]) -> Result<()> {
    if children.is_empty() {
        Ok(())
    } else {
        datafusion::common::internal_err!("a Delta table scan has no children, {} were given", children.len())
    }
}
