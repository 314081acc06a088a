//! The table provider of one gated table version.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use deltalake_core::delta_datafusion::{DeltaScanConfig, DeltaScanNext};
use dfpack_common::Error;
use dfpack_contract_check::{ContractBinding, ContractBoundExec};
use dfpack_contracts::{ContractSpec, ValidationPolicy};

use crate::config::ScanOptions;
use crate::exec::TableRuntimeExec;
use crate::plain_scan::PlainScan;
use crate::resolve::{GatedTable, Resolver, table_arrow_schema};
use crate::scans::{ScanLog, ScanRecord};
use crate::write::WriteSpec;

/// Reads one version of a Delta table that passed its gate.
///
/// Projection, filters and limit are applied inside `scan` (partition pruning,
/// file statistics, parquet pushdown), because pushdown does not cross FFI
/// after the scan.
#[derive(Debug)]
pub struct DeltaTableProvider {
    table: Arc<GatedTable>,
    scan: Arc<DeltaScanNext>,
    resolver: Arc<Resolver>,
    scans: Arc<ScanLog>,
    /// How writes into the table go; `None`: the table is read-only here.
    writes: Option<Arc<WriteSpec>>,
    /// The dataset's contract, when it is contract-bound: scans are marked for the contract rule.
    contract: Option<Arc<ContractBinding>>,
    /// Whether scans add the file-path column (deltalake's plan then stays).
    file_column: bool,
    /// The dataset's choice; absent, the session's `parquet.pushdown_filters`.
    parquet_pushdown: Option<bool>,
    /// deltalake's scan config (that of `scan`), for a scan whose pushdown differs.
    delta_config: DeltaScanConfig,
}

impl DeltaTableProvider {
    pub fn new(
        table: Arc<GatedTable>,
        options: &ScanOptions,
        resolver: Arc<Resolver>,
        scans: Arc<ScanLog>,
    ) -> dfpack_common::Result<DeltaTableProvider> {
        let mut config = DeltaScanConfig::new();
        if let Some(column) = &options.file_column {
            config = config.with_file_column_name(column);
        }
        if let Some(wrap) = options.wrap_partition_values {
            config = config.with_wrap_partition_values(wrap);
        }
        // Absent the dataset's choice, as DataFusion's default session reads parquet.
        config = config.with_parquet_pushdown(options.parquet_pushdown.unwrap_or(false));
        let scan = delta_scan_of(&table, config.clone())?;
        Ok(DeltaTableProvider {
            table,
            scan: Arc::new(scan),
            resolver,
            scans,
            writes: None,
            contract: None,
            file_column: options.file_column.is_some(),
            parquet_pushdown: options.parquet_pushdown,
            delta_config: config,
        })
    }

    /// Whether filters go into the parquet reader: the dataset's choice, or
    /// the host session's, as for DataFusion's own parquet tables. A dataset
    /// whose reads are validated pushes them down: validation checks the rows
    /// the scan yields, which should be the rows the query's filters keep.
    fn parquet_pushdown(&self, session: &dyn Session) -> bool {
        let validated = self.contract.as_ref().and_then(|binding| binding.validation.as_ref()).is_some_and(|policy| policy.enabled);
        self.parquet_pushdown.unwrap_or(validated || session.config().options().execution.parquet.pushdown_filters)
    }

    /// Binds the provider to a dataset's contract (no-op for `None`): its scans
    /// carry the contract, the table's schema at this version and the
    /// validation policy to the contract rule.
    pub fn with_contract(
        mut self,
        contract: Option<ContractSpec>,
        validation: Option<ValidationPolicy>,
    ) -> dfpack_common::Result<Self> {
        if let Some(contract) = contract {
            self.contract = Some(Arc::new(ContractBinding {
                dataset: self.table.name.clone(),
                version: Some(self.table.version),
                table_schema: table_arrow_schema(&self.table)?,
                contract,
                validation,
            }));
        }
        Ok(self)
    }

    /// The contract its reads (and writes) are held to, if any.
    pub fn contract(&self) -> Option<&Arc<ContractBinding>> {
        self.contract.as_ref()
    }

    pub fn table(&self) -> &Arc<GatedTable> {
        &self.table
    }

    /// The plain parquet scan of the files the filters may match, when the
    /// table needs none of deltalake's transforms (see [`crate::plain_scan`]).
    fn plain(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        if self.file_column {
            return Ok(None);
        }
        let schema = self.scan.schema();
        let scan = PlainScan {
            table: &self.table,
            schema: &schema,
            projection,
            filters,
            limit,
            parquet_pushdown: self.parquet_pushdown(session),
        };
        scan.plan(session)
    }

    /// deltalake-core's own scan: its pruning, its transforms.
    async fn delta_scan(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // The host's session may be a proxy rebuilt across FFI: plan against one
        // with the host's config and this table's object stores.
        let state = SessionStateBuilder::new()
            .with_config(session.config().clone())
            .with_runtime_env(Arc::clone(&self.table.runtime_env))
            .build();
        // Another scan is built only when this query's pushdown differs from the
        // provider's (a session or a validated dataset that turns it on).
        let pushdown = self.parquet_pushdown(session);
        let scan = if pushdown == self.delta_config.enable_parquet_pushdown {
            Arc::clone(&self.scan)
        } else {
            Arc::new(delta_scan_of(&self.table, self.delta_config.clone().with_parquet_pushdown(pushdown))?)
        };
        let (projection, filters) = (projection.cloned(), filters.to_vec());
        self.resolver
            .on_runtime(async move { scan.scan(&state, projection.as_ref(), &filters, limit).await.map_err(Error::from) })
            .await
            .map_err(DataFusionError::from)
    }

    /// Accepts `INSERT INTO` / `INSERT OVERWRITE`, as `spec` says.
    pub fn with_writes(mut self, spec: Arc<WriteSpec>) -> DeltaTableProvider {
        self.writes = Some(spec);
        self
    }
}

#[async_trait]
impl TableProvider for DeltaTableProvider {
    fn schema(&self) -> SchemaRef {
        self.scan.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.scan.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = match self.plain(session, projection, filters, limit)? {
            Some(plain) => plain,
            None => self.delta_scan(session, projection, filters, limit).await?,
        };
        // The host's optimizer cannot reach inside the (leaf) wrapper, or across
        // FFI: a scan planned in fewer groups than the session's partitions (all
        // of deltalake's, a plain one whose files do not spread whole) is split
        // into byte ranges here, as DataFusion's own rule would.
        let options = session.config().options();
        let partitions = options.execution.target_partitions;
        let plan = if options.optimizer.repartition_file_scans && plan.output_partitioning().partition_count() < partitions {
            plan.repartitioned(partitions, options)?.unwrap_or(plan)
        } else {
            plan
        };
        let (files, bytes) = files_read(&plan);
        self.scans.record(ScanRecord {
            table: self.table.name.clone(),
            uri: self.table.uri.clone(),
            version: self.table.version,
            files,
            bytes,
            filters: filters.iter().map(|f| f.to_string()).collect(),
            limit,
        });
        let plan = TableRuntimeExec::wrap(plan, Arc::clone(&self.table.runtime_env));
        Ok(match &self.contract {
            Some(binding) => ContractBoundExec::wrap(Arc::clone(binding), plan),
            None => plan,
        })
    }

    async fn insert_into(
        &self,
        session: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(writes) = &self.writes else {
            return Err(DataFusionError::from(Error::Config(format!(
                "table '{}' is read-only here; write through a configured dataset or a CREATE EXTERNAL TABLE",
                self.table.name
            ))));
        };
        crate::write::plan_insert(writes, Some(&self.table), &self.resolver, session, input, insert_op, self.schema())
            .map_err(DataFusionError::from)
    }
}

/// deltalake-core's scan of `table` under `config`.
fn delta_scan_of(table: &GatedTable, config: DeltaScanConfig) -> dfpack_common::Result<DeltaScanNext> {
    DeltaScanNext::new(Arc::clone(&table.snapshot), config)
        .map_err(|e| Error::Delta(format!("cannot read table '{}' at version {}: {e}", table.name, table.version)))
}

/// The distinct data files a physical plan will open, and their total size
/// (a file split into byte ranges across partitions counts once).
pub fn files_read(plan: &Arc<dyn ExecutionPlan>) -> (u64, u64) {
    let mut files = std::collections::BTreeMap::new();
    collect_files(plan, &mut files);
    (files.len() as u64, files.values().sum())
}

fn collect_files(plan: &Arc<dyn ExecutionPlan>, files: &mut std::collections::BTreeMap<String, u64>) {
    if let Some(exec) = plan.downcast_ref::<DataSourceExec>()
        && let Some(config) = exec.data_source().downcast_ref::<FileScanConfig>()
    {
        for file in config.file_groups.iter().flat_map(|group| group.files()) {
            files.insert(file.object_meta.location.to_string(), file.object_meta.size);
        }
    }
    for child in plan.children() {
        collect_files(child, files);
    }
}
