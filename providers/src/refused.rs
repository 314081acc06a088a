//! A configured dataset its gate refuses: listed and described like any table
//! (its schema comes from the log), but every read or write fails with the
//! gate's message before any data file is opened.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;

use crate::resolve::Refusal;

#[derive(Debug)]
pub struct RefusedTable {
    refusal: Refusal,
}

impl RefusedTable {
    pub fn new(refusal: Refusal) -> Arc<RefusedTable> {
        Arc::new(RefusedTable { refusal })
    }

    fn refuse<T>(&self) -> Result<T> {
        Err(DataFusionError::from(self.refusal.error()))
    }
}

#[async_trait]
impl TableProvider for RefusedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.refusal.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Unsupported; filters.len()])
    }

    async fn scan(
        &self,
        _session: &dyn Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.refuse()
    }

    async fn insert_into(
        &self,
        _session: &dyn Session,
        _input: Arc<dyn ExecutionPlan>,
        _insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.refuse()
    }
}
