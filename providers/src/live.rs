//! A Delta table registered once and resolved again at every scan, so a query
//! sees the table's newest commit (or its pinned version) under its gate.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use dfpack_common::Error;

use crate::config::ScanOptions;
use crate::gate::ProtocolGate;
use crate::provider::DeltaTableProvider;
use dfpack_contracts::TableReference;
use crate::write::WriteSpec;
use crate::DeltaEnv;

/// What a live table is: a table reference, its gate and scan options.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: String,
    pub table: TableReference,
    pub gate: ProtocolGate,
    pub scan: ScanOptions,
}

#[derive(Debug)]
pub struct LiveDeltaTable {
    spec: TableSpec,
    env: Arc<DeltaEnv>,
    /// The provider as of registration: its schema is the table's schema for planning.
    registered: Arc<DeltaTableProvider>,
}

impl LiveDeltaTable {
    /// Resolves `spec` now (gating it), so registration fails early for a refused table.
    pub async fn open(spec: TableSpec, env: Arc<DeltaEnv>) -> dfpack_common::Result<LiveDeltaTable> {
        let registered = env.provider(&spec.name, &spec.table, &spec.gate, &spec.scan).await?;
        Ok(LiveDeltaTable { spec, env, registered })
    }

    pub fn spec(&self) -> &TableSpec {
        &self.spec
    }
}

#[async_trait]
impl TableProvider for LiveDeltaTable {
    fn schema(&self) -> SchemaRef {
        self.registered.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.registered.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let spec = &self.spec;
        let current = self.env.provider(&spec.name, &spec.table, &spec.gate, &spec.scan).await?;
        if current.schema() != self.schema() {
            return Err(DataFusionError::from(Error::Delta(format!(
                "the schema of table '{}' changed since it was registered (version {} then, {} now); \
                 register it again to read the new schema",
                spec.name,
                self.registered.table().version,
                current.table().version
            ))));
        }
        current.scan(session, projection, filters, limit).await
    }

    /// Writes go to the table's newest version, resolved now.
    async fn insert_into(
        &self,
        session: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let spec = &self.spec;
        let gated = self.env.resolver.resolve(&spec.name, &spec.table, &spec.gate).await?;
        let writes = Arc::new(WriteSpec::of_table(&spec.name, &spec.table, &spec.gate, spec.scan.file_column.clone()));
        let current = DeltaTableProvider::new(gated, &spec.scan, Arc::clone(&self.env.resolver), Arc::clone(&self.env.scans))?
            .with_writes(writes);
        current.insert_into(session, input, insert_op).await
    }
}
