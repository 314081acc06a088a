//! `pack_contract_check(dataset)`: a dataset's table, as it is now, against its contract.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::plan_err;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use dfpack_contract_check::{Side, check_schema};

use super::args::Args;
use super::columns::int64s;
use super::log_table::{LogRead, LogTable};
use super::{CONTRACT_DOC_SECTION, DeltaTableFunction};
use crate::DeltaEnv;
use crate::contracts::{BoundDataset, ContractRegistry};
use crate::resolve::table_arrow_schema;

#[derive(Debug)]
pub struct PackContractCheckFunction {
    env: Arc<DeltaEnv>,
    registry: Arc<ContractRegistry>,
}

const NAME: &str = "pack_contract_check";
const PARAMETERS: &[&str] = &["dataset"];

impl PackContractCheckFunction {
    pub fn function(env: Arc<DeltaEnv>, registry: Arc<ContractRegistry>) -> DeltaTableFunction {
        DeltaTableFunction {
            name: NAME,
            function: Arc::new(PackContractCheckFunction { env, registry }),
            documentation: Self::documentation(),
        }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            CONTRACT_DOC_SECTION,
            "Checks a contract-bound dataset's table, at the version the dataset reads (the latest unless it pins \
             one), against its contract under its evolution policy, and returns one row per violation: the dataset, \
             the version checked, the kind (`missing_column`, `type_mismatch`, `nullability`, `extra_column`, \
             `metadata_mismatch`), the column (NULL for the schema's metadata), what the contract expects, what the \
             table has, and the whole message. No rows: the table matches. Queries of the dataset fail with the \
             same violations (error kind `contract`).",
            "pack_contract_check(dataset)",
        )
        .with_argument("dataset", "The dataset's name, as `pack_contracts()` lists it. A constant string.")
        .with_sql_example("```sql\n> SELECT kind, \"column\", expected, found FROM pack_contract_check('orders');\n```")
        .build()
    }
}

impl TableFunctionImpl for PackContractCheckFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let args = Args::new(NAME, PARAMETERS, 1, args.exprs())?;
        let name = args.string(0)?;
        let Some(dataset) = self.registry.get(&name) else {
            let known = self.registry.names();
            let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            return plan_err!("{NAME}: no contract-bound dataset '{name}' (contract-bound datasets: {known})");
        };
        Ok(LogTable::provider(CheckRead { dataset }, Arc::clone(&self.env)))
    }
}

#[derive(Debug, Clone)]
struct CheckRead {
    dataset: BoundDataset,
}

impl LogRead for CheckRead {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("dataset", DataType::Utf8, false),
            Field::new("version", DataType::Int64, false),
            Field::new("kind", DataType::Utf8, false),
            Field::new("column", DataType::Utf8, true),
            Field::new("expected", DataType::Utf8, false),
            Field::new("found", DataType::Utf8, false),
            Field::new("message", DataType::Utf8, false),
        ]))
    }

    /// Resolves through the dataset's own catalog environment and gate, as its reads do.
    async fn read(self, _env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let output = self.schema();
        let BoundDataset { config, env } = self.dataset;
        let Some(contract) = config.contract() else {
            return Err(dfpack_common::Error::Internal(format!("dataset '{}' lost its contract", config.name)));
        };
        let table = env.resolver.resolve(&config.name, &config.table, &config.gate).await?;
        let schema = table_arrow_schema(&table)?;
        let violations = check_schema(&schema, contract, Side::Read);
        let strings = |f: &dyn Fn(&dfpack_contract_check::Violation) -> String| -> ArrayRef {
            Arc::new(violations.iter().map(|v| Some(f(v))).collect::<StringArray>())
        };
        let columns: Vec<ArrayRef> = vec![
            strings(&|_| config.name.clone()),
            int64s(violations.iter().map(|_| table.version), "version")?,
            strings(&|v| v.kind().to_string()),
            Arc::new(violations.iter().map(|v| v.column()).collect::<StringArray>()),
            strings(&|v| v.expected()),
            strings(&|v| v.found()),
            strings(&|v| v.to_string()),
        ];
        Ok(RecordBatch::try_new(output, columns)?)
    }
}
