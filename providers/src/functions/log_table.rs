//! The table every function returns: a fixed schema, known when the function
//! is called, and rows read from the log when the table is scanned.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;

use crate::DeltaEnv;

/// What one call of a function reads: its checked arguments, and how to
/// turn them into rows.
pub(crate) trait LogRead: Debug + Clone + Send + Sync + 'static {
    /// The schema of the rows, the same for every call of the function.
    fn schema(&self) -> SchemaRef;

    /// Reads the rows: one batch of `schema()`. Runs on the pack's runtime.
    fn read(self, env: Arc<DeltaEnv>) -> impl Future<Output = dfpack_common::Result<RecordBatch>> + Send + 'static;
}

#[derive(Debug)]
pub(crate) struct LogTable<R> {
    read: R,
    schema: SchemaRef,
    env: Arc<DeltaEnv>,
}

impl<R: LogRead> LogTable<R> {
    pub(crate) fn provider(read: R, env: Arc<DeltaEnv>) -> Arc<dyn TableProvider> {
        let schema = read.schema();
        Arc::new(LogTable { read, schema, env })
    }
}

#[async_trait]
impl<R: LogRead> TableProvider for LogTable<R> {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// As DataFusion's own table functions (`generate_series`) declare theirs.
    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Filters and limits are left to DataFusion: these tables are small, and
    /// what bounds the reading is in the arguments (`version`, `limit`).
    async fn scan(
        &self,
        _session: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let future = self.read.clone().read(Arc::clone(&self.env));
        let batch = self.env.resolver.on_runtime(future).await.map_err(DataFusionError::from)?;
        Ok(MemorySourceConfig::try_new_exec(&[vec![batch]], Arc::clone(&self.schema), projection.cloned())?)
    }
}
