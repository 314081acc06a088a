//! The plan node of a write: DataFusion's `DataSinkExec` with the pack's sink,
//! made safe to hand across FFI.
//!
//! A host's optimizer rewrites the input of a node it sees through FFI without
//! knowing that the sink reads a single partition (the requirement does not
//! cross), so every input partition is read at execution, whatever the input
//! became. Downcasts reach the `DataSinkExec` (and from it the sink).

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::sink::DataSinkExec;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt64Array};
use datafusion::datasource::sink::DataSink;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::execute_input_stream;
use datafusion::physical_plan::execution_plan::ReplaceChildrenOptions;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, InputDistributionRequirements, PlanProperties,
};

use dfpack_contract_check::{ContractBinding, ContractSink};

use super::DeltaWriteSink;

#[derive(Debug)]
pub struct DeltaWriteExec {
    /// Over the Delta sink, or over a `ContractSink` wrapping it when the
    /// dataset is contract-bound, so the contract rule finds the write.
    inner: Arc<DataSinkExec>,
    /// What `inner` writes into (the contract sink or the Delta sink).
    written: Arc<dyn DataSink>,
    sink: Arc<DeltaWriteSink>,
}

impl DeltaWriteExec {
    pub fn new(input: Arc<dyn ExecutionPlan>, sink: Arc<DeltaWriteSink>, contract: Option<Arc<ContractBinding>>) -> DeltaWriteExec {
        let written: Arc<dyn DataSink> = match contract {
            Some(binding) => Arc::new(ContractSink::new(binding, Arc::clone(&sink) as _)),
            None => Arc::clone(&sink) as _,
        };
        let inner = Arc::new(DataSinkExec::new(input, Arc::clone(&written), None));
        DeltaWriteExec { inner, written, sink }
    }

    /// The sink: which dataset is written, under which contract and commit options.
    pub fn sink(&self) -> &Arc<DeltaWriteSink> {
        &self.sink
    }
}

impl DisplayAs for DeltaWriteExec {
    fn fmt_as(&self, format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeltaWriteExec: ")?;
        self.sink.fmt_as(format, f)
    }
}

impl ExecutionPlan for DeltaWriteExec {
    fn name(&self) -> &str {
        "DeltaWriteExec"
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

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        self.inner.input_distribution_requirements()
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        self.inner.benefits_from_input_partitioning()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.inner.apply_expressions(f)
    }

    #[allow(deprecated)] // required by the trait
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        let [input] = <[_; 1]>::try_from(children).map_err(|children| {
            datafusion::common::DataFusionError::Internal(format!(
                "a Delta write has one input, {} were given",
                children.len()
            ))
        })?;
        let inner = Arc::new(DataSinkExec::new(input, Arc::clone(&self.written), None));
        Ok(Arc::new(DeltaWriteExec { inner, written: Arc::clone(&self.written), sink: Arc::clone(&self.sink) }))
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        #[allow(deprecated)]
        self.with_new_children(children)
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return datafusion::common::internal_err!("a Delta write has one partition, {partition} was asked for");
        }
        // Every input partition, merged by polling them on this task: across
        // FFI they are the host's streams and need the host's threads (a merge
        // spawning tasks would poll them on the pack's runtime).
        let input = self.inner.input();
        let sink_schema = Arc::clone(self.sink.schema());
        let partitions = (0..input.output_partitioning().partition_count())
            .map(|i| execute_input_stream(Arc::clone(input), Arc::clone(&sink_schema), i, Arc::clone(&context)))
            .collect::<Result<Vec<_>>>()?;
        let rows: SendableRecordBatchStream =
            Box::pin(RecordBatchStreamAdapter::new(sink_schema, futures::stream::select_all(partitions)));
        // Through the contract sink, if any: it passes the rows on unchanged.
        let sink = Arc::clone(&self.written);
        let count_schema = self.inner.schema();
        let result_schema = Arc::clone(&count_schema);
        let count = futures::stream::once(async move {
            let written = sink.write_all(rows, &context).await?;
            let column: ArrayRef = Arc::new(UInt64Array::from(vec![written]));
            Ok(RecordBatch::try_new(result_schema, vec![column])?)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(count_schema, count)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        self.inner.metrics()
    }
}
