//! The rows of an `INSERT` as a logical plan for deltalake's writer: a
//! one-shot streaming table, so rows flow through (nothing is buffered) and
//! deltalake's own write machinery (casts, partitioning, column mapping,
//! table creation, commit) does the rest.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::provider_as_source;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use dfpack_common::{Error, Result};
use parking_lot::Mutex;

/// A partition that yields the given stream once.
struct OneShot {
    schema: SchemaRef,
    stream: Mutex<Option<SendableRecordBatchStream>>,
}

impl std::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneShot").field("schema", &self.schema).finish_non_exhaustive()
    }
}

impl PartitionStream for OneShot {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        match self.stream.lock().take() {
            Some(stream) => stream,
            None => {
                let error = DataFusionError::from(Error::Internal("the rows of an insert were read twice".to_string()));
                Box::pin(RecordBatchStreamAdapter::new(
                    Arc::clone(&self.schema),
                    futures::stream::once(async move { Err(error) }),
                ))
            }
        }
    }
}

/// A logical plan reading `stream` (once).
pub fn plan_of(stream: SendableRecordBatchStream) -> Result<LogicalPlan> {
    let schema = stream.schema();
    let partition = Arc::new(OneShot { schema: Arc::clone(&schema), stream: Mutex::new(Some(stream)) });
    let table = StreamingTable::try_new(schema, vec![partition]).map_err(Error::from)?;
    LogicalPlanBuilder::scan("insert_input", provider_as_source(Arc::new(table)), None)
        .and_then(|builder| builder.build())
        .map_err(Error::from)
}
