//! The catalog hook: a catalog whose schemas hold the configured datasets.
//! Resolving a table applies its gate, then returns its provider; tables added
//! at run time (`CREATE EXTERNAL TABLE delta.<schema>.t …`) sit beside them.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::TableType;
use dfpack_common::Error;
use parking_lot::RwLock;

use crate::config::{DatasetConfig, PackConfig};
use crate::provider::DeltaTableProvider;
use crate::refused::RefusedTable;
use crate::resolve::Resolution;
use crate::write::{PendingTable, WriteSpec};
use crate::DeltaEnv;

#[derive(Debug)]
pub struct DeltaCatalog {
    schemas: BTreeMap<String, Arc<DeltaSchema>>,
}

impl DeltaCatalog {
    pub fn new(config: &PackConfig, env: Arc<DeltaEnv>) -> DeltaCatalog {
        let schemas = config
            .schemas
            .iter()
            .map(|schema| {
                let datasets = config.datasets_in(schema).map(|d| (d.name.clone(), d.clone())).collect();
                let provider = DeltaSchema { datasets, env: Arc::clone(&env), added: RwLock::default() };
                (schema.clone(), Arc::new(provider))
            })
            .collect();
        DeltaCatalog { schemas }
    }
}

impl CatalogProvider for DeltaCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.schemas.keys().cloned().collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        self.schemas.get(name).map(|schema| Arc::clone(schema) as Arc<dyn SchemaProvider>)
    }
}

/// One schema: configured datasets, resolved at each lookup, and tables added at run time.
#[derive(Debug)]
pub struct DeltaSchema {
    datasets: BTreeMap<String, DatasetConfig>,
    env: Arc<DeltaEnv>,
    added: RwLock<BTreeMap<String, Arc<dyn TableProvider>>>,
}

impl DeltaSchema {
    /// Whether a dataset's table location holds a Delta table.
    async fn exists(&self, dataset: &DatasetConfig) -> Result<bool> {
        let uri = &dataset.table.uri;
        if !uri.contains("://") && !std::path::Path::new(uri).exists() {
            return Ok(false);
        }
        let log_store = self.env.resolver.log_store(&dataset.table)?;
        let exists = self
            .env
            .resolver
            .on_runtime(async move {
                log_store.is_delta_table_location().await.map_err(|e| Error::Delta(e.to_string()))
            })
            .await?;
        Ok(exists)
    }
}

#[async_trait]
impl SchemaProvider for DeltaSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.datasets.keys().cloned().collect();
        names.extend(self.added.read().keys().cloned());
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(dataset) = self.datasets.get(name) {
            let writes = Arc::new(WriteSpec::of_dataset(dataset));
            let resolver = &self.env.resolver;
            let resolution = match resolver.resolution(name, &dataset.table, &dataset.gate).await {
                Ok(resolution) => resolution,
                // Not created yet: its first write creates it.
                Err(_) if dataset.create_if_missing() && !self.exists(dataset).await? => {
                    return Ok(Some(Arc::new(PendingTable::new(writes, Arc::clone(resolver))?)));
                }
                Err(e) => return Err(e.into()),
            };
            let provider: Arc<dyn TableProvider> = match resolution {
                Resolution::Admitted(table) => Arc::new(
                    DeltaTableProvider::new(table, &dataset.scan(), Arc::clone(resolver), Arc::clone(&self.env.scans))?
                        .with_writes(writes)
                    .with_contract(dataset.contract().cloned(), dataset.validation().cloned())?,
                ),
                // Still listed and described; any read fails with the gate's message.
                Resolution::Refused(refusal) => RefusedTable::new(refusal),
            };
            return Ok(Some(provider));
        }
        Ok(self.added.read().get(name).cloned())
    }

    /// Answered without resolving, so `SHOW TABLES` lists a dataset even when its gate refuses it.
    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        if self.datasets.contains_key(name) {
            return Ok(Some(TableType::Base));
        }
        Ok(self.added.read().get(name).map(|table| table.table_type()))
    }

    fn register_table(&self, name: String, table: Arc<dyn TableProvider>) -> Result<Option<Arc<dyn TableProvider>>> {
        if self.datasets.contains_key(&name) {
            return Err(DataFusionError::from(Error::Config(format!(
                "table '{name}' is a configured dataset; it cannot be replaced at run time"
            ))));
        }
        Ok(self.added.write().insert(name, table))
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if self.datasets.contains_key(name) {
            return Err(DataFusionError::from(Error::Config(format!(
                "table '{name}' is a configured dataset; it cannot be dropped at run time"
            ))));
        }
        Ok(self.added.write().remove(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.datasets.contains_key(name) || self.added.read().contains_key(name)
    }
}
