//! Panic guards for the catalog hook and the table provider factory.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, Session, TableProvider, TableProviderFactory};
use datafusion::error::Result;
use datafusion::logical_expr::{CreateExternalTable, TableType};

use super::{GuardedTableProvider, guarded, guarded_future};

/// A catalog whose every call, and every schema it hands out, is panic-guarded.
#[derive(Debug)]
pub struct GuardedCatalog {
    name: String,
    inner: Arc<dyn CatalogProvider>,
}

impl GuardedCatalog {
    pub fn new(name: impl Into<String>, inner: Arc<dyn CatalogProvider>) -> Self {
        GuardedCatalog { name: name.into(), inner }
    }
}

impl CatalogProvider for GuardedCatalog {
    fn schema_names(&self) -> Vec<String> {
        guarded(&self.name, || Ok(self.inner.schema_names())).unwrap_or_default()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let schema = guarded(&self.name, || Ok(self.inner.schema(name))).ok().flatten()?;
        Some(Arc::new(GuardedSchema { context: format!("{}.{name}", self.name), inner: schema }))
    }

    fn register_schema(&self, name: &str, schema: Arc<dyn SchemaProvider>) -> Result<Option<Arc<dyn SchemaProvider>>> {
        guarded(&self.name, || self.inner.register_schema(name, schema))
    }

    fn deregister_schema(&self, name: &str, cascade: bool) -> Result<Option<Arc<dyn SchemaProvider>>> {
        guarded(&self.name, || self.inner.deregister_schema(name, cascade))
    }
}

#[derive(Debug)]
struct GuardedSchema {
    context: String,
    inner: Arc<dyn SchemaProvider>,
}

#[async_trait]
impl SchemaProvider for GuardedSchema {
    fn table_names(&self) -> Vec<String> {
        guarded(&self.context, || Ok(self.inner.table_names())).unwrap_or_default()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let context = format!("{}.{name}", self.context);
        let table = guarded_future(&context, self.inner.table(name)).await?;
        Ok(table.map(|t| Arc::new(GuardedTableProvider::new(context, t)) as Arc<dyn TableProvider>))
    }

    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        guarded_future(&self.context, self.inner.table_type(name)).await
    }

    fn register_table(&self, name: String, table: Arc<dyn TableProvider>) -> Result<Option<Arc<dyn TableProvider>>> {
        guarded(&self.context, || self.inner.register_table(name, table))
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        guarded(&self.context, || self.inner.deregister_table(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        guarded(&self.context, || Ok(self.inner.table_exist(name))).unwrap_or(false)
    }
}

/// A table provider factory whose `create`, and the provider it returns, are panic-guarded.
#[derive(Debug)]
pub struct GuardedTableFactory {
    name: String,
    inner: Arc<dyn TableProviderFactory>,
}

impl GuardedTableFactory {
    pub fn new(name: impl Into<String>, inner: Arc<dyn TableProviderFactory>) -> Self {
        GuardedTableFactory { name: name.into(), inner }
    }
}

#[async_trait]
impl TableProviderFactory for GuardedTableFactory {
    async fn create(&self, state: &dyn Session, cmd: &CreateExternalTable) -> Result<Arc<dyn TableProvider>> {
        let table = guarded_future(&self.name, self.inner.create(state, cmd)).await?;
        Ok(Arc::new(GuardedTableProvider::new(cmd.name.to_string(), table)))
    }
}
