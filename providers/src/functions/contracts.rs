//! `pack_contracts()`: the contract-bound datasets of the pack's catalogs.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use dfpack_common::Error;

use super::args::Args;
use super::columns::{string_list_type, string_lists};
use super::log_table::{LogRead, LogTable};
use super::{CONTRACT_DOC_SECTION, DeltaTableFunction};
use crate::DeltaEnv;
use crate::contracts::ContractRegistry;

#[derive(Debug)]
pub struct PackContractsFunction {
    env: Arc<DeltaEnv>,
    registry: Arc<ContractRegistry>,
}

const NAME: &str = "pack_contracts";

impl PackContractsFunction {
    pub fn function(env: Arc<DeltaEnv>, registry: Arc<ContractRegistry>) -> DeltaTableFunction {
        DeltaTableFunction {
            name: NAME,
            function: Arc::new(PackContractsFunction { env, registry }),
            documentation: Self::documentation(),
        }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            CONTRACT_DOC_SECTION,
            "One row per contract-bound dataset of the pack's catalogs: its name, catalog schema and table URI, the \
             contract's evolution policy (`strict`, `additive`, `relaxed`), its columns (`name type [NOT NULL]`), \
             its check constraints (`name: expression`), and its validation policy as JSON (NULL when its data is \
             not validated).",
            "pack_contracts()",
        )
        .with_sql_example("```sql\n> SELECT dataset, evolution, columns FROM pack_contracts();\n```")
        .build()
    }
}

impl TableFunctionImpl for PackContractsFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        Args::new(NAME, &[], 0, args.exprs())?;
        Ok(LogTable::provider(ContractsRead { registry: Arc::clone(&self.registry) }, Arc::clone(&self.env)))
    }
}

#[derive(Debug, Clone)]
struct ContractsRead {
    registry: Arc<ContractRegistry>,
}

impl LogRead for ContractsRead {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("dataset", DataType::Utf8, false),
            Field::new("schema", DataType::Utf8, false),
            Field::new("table_uri", DataType::Utf8, false),
            Field::new("evolution", DataType::Utf8, false),
            Field::new("columns", string_list_type(), false),
            Field::new("constraints", string_list_type(), false),
            Field::new("validation", DataType::Utf8, true),
        ]))
    }

    async fn read(self, _env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let datasets = self.registry.datasets();
        let contracts: Vec<_> = datasets
            .iter()
            .filter_map(|d| d.config.contract().map(|contract| (&d.config, contract)))
            .collect();
        let columns = contracts.iter().map(|(_, contract)| {
            Some(
                contract
                    .schema
                    .fields
                    .iter()
                    .map(|field| {
                        let null = if field.nullable { "" } else { " NOT NULL" };
                        format!("{} {}{null}", field.name, DataType::from(&field.r#type))
                    })
                    .collect::<Vec<String>>(),
            )
        });
        let constraints = contracts.iter().map(|(_, contract)| {
            Some(
                contract
                    .check_constraints
                    .iter()
                    .flatten()
                    .map(|c| format!("{}: {}", c.name, c.expression))
                    .collect::<Vec<String>>(),
            )
        });
        let validation = contracts
            .iter()
            .map(|(config, _)| config.validation().map(serde_json::to_string).transpose())
            .collect::<Result<Vec<Option<String>>, _>>()
            .map_err(|e| Error::Internal(format!("a validation policy did not encode: {e}")))?;
        let strings = |f: &dyn Fn(&crate::DatasetConfig) -> String| -> ArrayRef {
            Arc::new(contracts.iter().map(|(config, _)| Some(f(config))).collect::<StringArray>())
        };
        let columns: Vec<ArrayRef> = vec![
            strings(&|config| config.name.clone()),
            strings(&|config| config.schema().to_string()),
            strings(&|config| config.table.uri.clone()),
            Arc::new(contracts.iter().map(|(_, c)| Some(c.evolution.as_str())).collect::<StringArray>()),
            string_lists(columns),
            string_lists(constraints),
            Arc::new(validation.into_iter().collect::<StringArray>()),
        ];
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}
