//! Writes into Delta datasets (`INSERT INTO` / `INSERT OVERWRITE`): the writer
//! gate, the commit options of each write, idempotent application
//! transactions, and tables created on their first write.

mod exec;
mod input;
pub mod options;
mod pending;
mod sink;

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;
use deltalake_core::delta_datafusion::planner::DeltaPlanner;
use deltalake_core::protocol::SaveMode;
use dfpack_common::session_options::DfpackOptions;
use dfpack_common::{Error, Result};
use dfpack_contract_check::ContractBinding;
use dfpack_contracts::{CommitOptions, ContractSpec, ValidationPolicy};

pub use exec::DeltaWriteExec;
pub use pending::PendingTable;
pub use sink::{DeltaWriteSink, Target};

use crate::config::DatasetConfig;
use crate::gate::{ProtocolGate, refusal_message};
use crate::resolve::{GatedTable, Resolver};
use crate::table::{TableReferenceExt, VersionSpec};
use dfpack_contracts::TableReference;

/// What a dataset says about writes into it.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSpec {
    pub name: String,
    pub table: TableReference,
    /// The dataset's gate: its requirements hold for writes too, and its
    /// support is checked against the table's writer protocol.
    pub gate: ProtocolGate,
    /// The dataset's commit options (a write's session options override them).
    pub commit: CommitOptions,
    pub contract: Option<ContractSpec>,
    /// How written rows are checked against the contract.
    pub validation: Option<ValidationPolicy>,
    /// Partition columns of the table its first write creates (`create_if_missing`).
    pub partition_columns: Vec<String>,
    /// The scan's file-path column (`scan.file_column`): shown by reads, not written.
    pub file_column: Option<String>,
}

impl WriteSpec {
    pub fn of_dataset(dataset: &DatasetConfig) -> WriteSpec {
        WriteSpec {
            name: dataset.name.clone(),
            table: dataset.table.clone(),
            gate: dataset.gate.clone(),
            commit: dataset.commit(),
            contract: dataset.contract().cloned(),
            validation: dataset.validation().cloned(),
            partition_columns: dataset.partition_columns().to_vec(),
            file_column: dataset.scan().file_column,
        }
    }

    /// A table added at run time: default commit options, no contract.
    pub fn of_table(name: &str, table: &TableReference, gate: &ProtocolGate, file_column: Option<String>) -> WriteSpec {
        WriteSpec {
            name: name.to_string(),
            table: table.clone(),
            gate: gate.clone(),
            commit: CommitOptions::default(),
            contract: None,
            validation: None,
            partition_columns: Vec::new(),
            file_column,
        }
    }
}

/// Plans an insert of `input` into `spec`'s table: `existing` is the version
/// it writes on (gated for writing here), `None` when the write creates it.
pub fn plan_insert(
    spec: &Arc<WriteSpec>,
    existing: Option<&Arc<GatedTable>>,
    resolver: &Arc<Resolver>,
    session: &dyn Session,
    input: Arc<dyn ExecutionPlan>,
    insert_op: InsertOp,
    schema: SchemaRef,
) -> Result<Arc<dyn ExecutionPlan>> {
    if spec.table.version_spec()? != VersionSpec::Latest {
        return Err(Error::Config(format!(
            "cannot write to '{}': it reads a pinned version or timestamp of its table; writes go to the latest \
             version, through a dataset without a pin",
            spec.name
        )));
    }
    let mode = match insert_op {
        InsertOp::Append => SaveMode::Append,
        InsertOp::Overwrite => SaveMode::Overwrite,
        InsertOp::Replace => {
            return Err(Error::Config(format!(
                "cannot write to '{}': REPLACE INTO is not supported for Delta tables (use INSERT INTO or INSERT OVERWRITE)",
                spec.name
            )));
        }
    };
    if let Some(table) = existing {
        let report = spec.gate.check_write(&table.protocol);
        if !report.passed() {
            return Err(Error::ProtocolGate(format!(
                "cannot write: {}",
                refusal_message(&spec.name, &table.uri, table.version, &table.protocol, &report)
            )));
        }
    }
    let commit = options::effective(&spec.commit, &DfpackOptions::of(session.config().options())?)?;
    let (log_store, runtime_env) = match existing {
        Some(table) => (table.log_store.clone(), Arc::clone(&table.runtime_env)),
        None => {
            // A local table's directory must exist before its log store opens.
            let uri = &spec.table.uri;
            if !uri.contains("://") {
                std::fs::create_dir_all(uri)
                    .map_err(|e| {
                        let why = format!("cannot create the directory of table '{}' ({uri}): {e}", spec.name);
                        Error::Io(std::io::Error::new(e.kind(), why))
                    })?;
            }
            resolver.stores(&spec.table)?
        }
    };
    let state = SessionStateBuilder::new()
        .with_config(session.config().clone())
        .with_runtime_env(runtime_env)
        .with_default_features()
        // deltalake's writer plans nodes of its own.
        .with_query_planner(DeltaPlanner::new())
        .build();
    let target = Target { log_store, snapshot: existing.map(|t| Arc::clone(&t.snapshot)), state: Arc::new(state) };
    let (input, schema) = without_file_column(spec, input, schema)?;
    let contract = spec.contract.as_ref().map(|contract| {
        Arc::new(ContractBinding {
            dataset: spec.name.clone(),
            version: None,
            table_schema: Arc::clone(&schema),
            contract: contract.clone(),
            validation: spec.validation.clone(),
        })
    });
    let sink = DeltaWriteSink::new(Arc::clone(spec), target, mode, commit, schema, Arc::clone(resolver));
    Ok(Arc::new(DeltaWriteExec::new(input, Arc::new(sink), contract)))
}

/// Drops the scan's file-path column from the rows to write: it is not a
/// column of the table (an insert leaves it NULL, or names the others).
fn without_file_column(
    spec: &WriteSpec,
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
) -> Result<(Arc<dyn ExecutionPlan>, SchemaRef)> {
    let Some(column) = &spec.file_column else { return Ok((input, schema)) };
    let Ok(dropped) = schema.index_of(column) else { return Ok((input, schema)) };
    let kept: Vec<usize> = (0..schema.fields().len()).filter(|i| *i != dropped).collect();
    let input_schema = input.schema();
    let expressions: Vec<(Arc<dyn PhysicalExpr>, String)> = kept
        .iter()
        .map(|i| {
            let name = input_schema.field(*i).name().clone();
            (Arc::new(Column::new(&name, *i)) as Arc<dyn PhysicalExpr>, name)
        })
        .collect();
    let projected = ProjectionExec::try_new(expressions, input).map_err(Error::from)?;
    let schema = Arc::new(schema.project(&kept).map_err(Error::from)?);
    Ok((Arc::new(projected), schema))
}
