//! `pack_contract_violations()`: the data violations validation found in this process.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use dfpack_contract_check::violations::{self, MAX_RECORDS};

use super::args::Args;
use super::columns::{int64s, string_list_type, string_lists};
use super::log_table::{LogRead, LogTable};
use super::{CONTRACT_DOC_SECTION, DeltaTableFunction};
use crate::DeltaEnv;

#[derive(Debug)]
pub struct PackContractViolationsFunction {
    env: Arc<DeltaEnv>,
}

const NAME: &str = "pack_contract_violations";

impl PackContractViolationsFunction {
    pub fn function(env: Arc<DeltaEnv>) -> DeltaTableFunction {
        DeltaTableFunction {
            name: NAME,
            function: Arc::new(PackContractViolationsFunction { env }),
            documentation: Self::documentation(),
        }
    }

    pub fn documentation() -> Documentation {
        let description = format!(
            "The most recent data violations found by contract validation in this process (up to {MAX_RECORDS}, \
             oldest first): one row per check that failed in one partition of one read or write. `mode` `warn`: \
             the rows passed; `enforce`: the query failed. Columns: sequence number, dataset, version read (NULL \
             for a write), operation (`read`, `write`), mode, check (`not_null`, `check_constraint`), the column or \
             constraint name, the constraint's expression, failing rows, rows checked, and a few failing values (row \
             positions for nulls)."
        );
        Documentation::builder(CONTRACT_DOC_SECTION, description, "pack_contract_violations()")
            .with_sql_example(
                "```sql\n> SELECT dataset, name, failing_rows, samples FROM pack_contract_violations() WHERE mode = 'warn';\n```",
            )
            .build()
    }
}

impl TableFunctionImpl for PackContractViolationsFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        Args::new(NAME, &[], 0, args.exprs())?;
        Ok(LogTable::provider(ViolationsRead, Arc::clone(&self.env)))
    }
}

#[derive(Debug, Clone)]
struct ViolationsRead;

impl LogRead for ViolationsRead {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("seq", DataType::Int64, false),
            Field::new("dataset", DataType::Utf8, false),
            Field::new("version", DataType::Int64, true),
            Field::new("operation", DataType::Utf8, false),
            Field::new("mode", DataType::Utf8, false),
            Field::new("check", DataType::Utf8, false),
            Field::new("name", DataType::Utf8, false),
            Field::new("expression", DataType::Utf8, true),
            Field::new("failing_rows", DataType::Int64, false),
            Field::new("rows_checked", DataType::Int64, false),
            Field::new("samples", string_list_type(), false),
        ]))
    }

    async fn read(self, _env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let records = violations::recent();
        let strings = |f: &dyn Fn(&violations::ViolationRecord) -> Option<String>| -> ArrayRef {
            Arc::new(records.iter().map(f).collect::<StringArray>())
        };
        let versions = records
            .iter()
            .map(|r| r.version.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
            .collect::<Int64Array>();
        let columns: Vec<ArrayRef> = vec![
            int64s(records.iter().map(|r| r.seq), "sequence number")?,
            strings(&|r| Some(r.dataset.clone())),
            Arc::new(versions),
            strings(&|r| Some(r.operation.to_string())),
            strings(&|r| Some(r.mode.to_string())),
            strings(&|r| Some(r.check.to_string())),
            strings(&|r| Some(r.name.clone())),
            strings(&|r| r.expression.clone()),
            int64s(records.iter().map(|r| r.failing_rows), "failing rows")?,
            int64s(records.iter().map(|r| r.rows_checked), "rows checked")?,
            string_lists(records.iter().map(|r| Some(&r.samples))),
        ];
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}
