//! A dataset whose table does not exist yet and is created by its first
//! write (`create_if_missing`): it reads as empty, with its contract's schema.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use dfpack_common::Error;

use super::WriteSpec;
use crate::resolve::Resolver;

#[derive(Debug)]
pub struct PendingTable {
    spec: Arc<WriteSpec>,
    schema: SchemaRef,
    resolver: Arc<Resolver>,
}

impl PendingTable {
    /// Needs a contract: its schema is the schema of the table to create.
    pub fn new(spec: Arc<WriteSpec>, resolver: Arc<Resolver>) -> dfpack_common::Result<PendingTable> {
        let Some(contract) = &spec.contract else {
            return Err(Error::Config(format!(
                "dataset '{}' says create_if_missing but has no contract to take the new table's schema from",
                spec.name
            )));
        };
        let schema = Arc::new(Schema::from(&contract.schema));
        Ok(PendingTable { spec, schema, resolver })
    }
}

#[async_trait]
impl TableProvider for PendingTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _session: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = match projection {
            Some(columns) => Arc::new(self.schema.project(columns)?),
            None => Arc::clone(&self.schema),
        };
        Ok(Arc::new(EmptyExec::new(schema)))
    }

    async fn insert_into(
        &self,
        session: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        super::plan_insert(&self.spec, None, &self.resolver, session, input, insert_op, Arc::clone(&self.schema))
            .map_err(DataFusionError::from)
    }
}
