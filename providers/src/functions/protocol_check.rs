//! `delta_protocol_check(uri [, gate_json])`: whether a table's latest protocol
//! passes a gate, and if not, why. A refusal is a row here, not an error.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::plan_datafusion_err;
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use serde_json::Value;

use super::args::Args;
use super::columns::{int64, string_list_type, string_lists};
use super::log_table::{LogRead, LogTable};
use super::{DOC_SECTION, DeltaTableFunction};
use crate::config::{Problems, decode_generated};
use crate::gate::refusal_message;
use crate::resolve::ProtocolCheck;
use crate::{DeltaEnv, ProtocolGate, TableReference, TableReferenceExt};

#[derive(Debug)]
pub struct DeltaProtocolCheckFunction {
    env: Arc<DeltaEnv>,
}

const NAME: &str = "delta_protocol_check";
const PARAMETERS: &[&str] = &["uri", "gate_json"];

impl DeltaProtocolCheckFunction {
    pub fn new(env: Arc<DeltaEnv>) -> Self {
        DeltaProtocolCheckFunction { env }
    }

    pub fn function(env: Arc<DeltaEnv>) -> DeltaTableFunction {
        DeltaTableFunction { name: NAME, function: Arc::new(Self::new(env)), documentation: Self::documentation() }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            DOC_SECTION,
            "Checks the protocol of a Delta table's latest version against a protocol gate, reading only the log's \
             protocol (no file list): one row with the version, whether it passed, the table's reader and writer \
             versions and features (legacy versions' implied features included), what is missing (one entry per \
             unmet condition), and the message a refused read would give (NULL when it passed). A refused table is \
             a row with `passed = false`, not an error. Without `gate_json` the pack's default gate is used: what \
             this pack can read.",
            "delta_protocol_check(uri [, gate_json])",
        )
        .with_argument("uri", "The table: a local path or a URL (file, s3, gs, az, abfss…). A constant string.")
        .with_argument(
            "gate_json",
            "A gate as a JSON object, in the shape of a `gate` table of the pack config: requirements \
             (`min_reader_version`, `min_writer_version`, `required_reader_features`, `required_writer_features`) at \
             the top level, what the pack supports under `support` (`max_reader_version`, `max_writer_version`, \
             `reader_features`, `writer_features`; defaults for what is left out). Unknown keys and bad values are \
             errors naming their path. The default gate when absent or NULL.",
        )
        .with_sql_example(
            "```sql\n\
             > SELECT passed, missing FROM delta_protocol_check('/data/events');\n\
             > SELECT passed, message\n  \
             FROM delta_protocol_check('/data/events', '{\"required_reader_features\": [\"deletionVectors\"]}');\n\
             ```",
        )
        .build()
    }
}

impl TableFunctionImpl for DeltaProtocolCheckFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let args = Args::new(NAME, PARAMETERS, 1, args.exprs())?;
        let uri = args.uri(0)?;
        let gate = match args.optional_string(1)? {
            Some(json) => gate_of_json(&json)?,
            None => ProtocolGate::default(),
        };
        Ok(LogTable::provider(ProtocolCheckRead { uri, gate }, Arc::clone(&self.env)))
    }
}

/// Decodes a gate as the pack config does, its paths rooted at `gate`.
fn gate_of_json(json: &str) -> Result<ProtocolGate> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| plan_datafusion_err!("{NAME}: gate_json is not valid JSON: {e}"))?;
    let mut problems = Problems::default();
    let gate = decode_generated::<dfpack_contracts::FeatureGate>(&value, "gate", &mut problems)
        .map(ProtocolGate::from)
        .unwrap_or_default();
    problems
        .into_result(gate)
        .map_err(|problems| plan_datafusion_err!("{NAME}: gate_json is not a valid gate: {}", problems.join("; ")))
}

#[derive(Debug, Clone)]
struct ProtocolCheckRead {
    uri: String,
    gate: ProtocolGate,
}

impl LogRead for ProtocolCheckRead {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("uri", DataType::Utf8, false),
            Field::new("version", DataType::Int64, false),
            Field::new("passed", DataType::Boolean, false),
            Field::new("min_reader_version", DataType::Int32, false),
            Field::new("min_writer_version", DataType::Int32, false),
            Field::new("reader_features", string_list_type(), false),
            Field::new("writer_features", string_list_type(), false),
            Field::new("missing", string_list_type(), false),
            Field::new("message", DataType::Utf8, true),
        ]))
    }

    async fn read(self, env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let check = env.resolver.check_protocol(&TableReference::local(&self.uri), &self.gate).await?;
        row(self.schema(), &check)
    }
}

fn row(schema: SchemaRef, check: &ProtocolCheck) -> dfpack_common::Result<RecordBatch> {
    let (protocol, report) = (&check.protocol, &check.report);
    let message = (!report.passed()).then(|| refusal_message(&check.uri, &check.uri, check.version, protocol, report));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![check.uri.as_str()])),
        Arc::new(Int64Array::from(vec![int64(check.version, "version")?])),
        Arc::new(BooleanArray::from(vec![report.passed()])),
        Arc::new(Int32Array::from(vec![protocol.min_reader_version])),
        Arc::new(Int32Array::from(vec![protocol.min_writer_version])),
        string_lists([Some(protocol.effective_reader_features())]),
        string_lists([Some(protocol.effective_writer_features())]),
        string_lists([Some(&report.missing)]),
        Arc::new(StringArray::from(vec![message])),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, rows, session, table};

    /// `passed`, `missing` joined with ` | `, and `message` of one check.
    async fn check(uri: &str, gate: Option<&str>) -> Vec<String> {
        let (ctx, _) = session();
        let call = match gate {
            Some(gate) => format!("delta_protocol_check('{uri}', '{gate}')"),
            None => format!("delta_protocol_check('{uri}')"),
        };
        let mut rows =
            rows(&ctx, &format!("SELECT passed, array_to_string(missing, ' | '), message FROM {call}")).await;
        assert_eq!(rows.len(), 1);
        rows.remove(0)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn refused_tables_are_rows_saying_why() {
        let widened = check(&table("type-widening"), None).await;
        assert_eq!(widened[..2], ["false", "reader features not supported by this pack: typeWidening-preview"]);
        assert!(widened[2].contains("at version 2 is refused by the protocol gate"), "{}", widened[2]);

        let features = check(&table("simple_table_features"), None).await;
        assert_eq!(
            features[1],
            "reader version 5 is newer than this pack reads (up to 3) | \
             reader features not supported by this pack: blahabl"
        );
        assert_eq!(features[0], "false");

        assert_eq!(check(&table("simple_table"), None).await, ["true", "", "NULL"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_row_describes_the_protocol() {
        let (ctx, _) = session();
        let dv = table("table-with-dv-small");
        let row = &rows(
            &ctx,
            &format!(
                "SELECT uri, version, min_reader_version, min_writer_version, array_to_string(reader_features, ','), \
                 cardinality(missing) FROM delta_protocol_check('{dv}')"
            ),
        )
        .await[0];
        assert_eq!(row, &[dv.as_str(), "1", "3", "7", "deletionVectors", "0"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_gate_can_be_given_as_json() {
        let wants_dv = r#"{"required_reader_features": ["deletionVectors"]}"#;
        let simple = check(&table("simple_table"), Some(wants_dv)).await;
        assert_eq!(simple[..2], ["false", "required reader features absent: deletionVectors"]);
        assert_eq!(check(&table("table-with-dv-small"), Some(wants_dv)).await[..2], ["true", ""]);
        // A gate that supports the preview feature lets the widened table pass.
        let lenient = r#"{"support": {"reader_features": ["timestampNtz", "typeWidening-preview"]}}"#;
        assert_eq!(check(&table("type-widening"), Some(lenient)).await, ["true", "", "NULL"]);
        assert_eq!(check(&table("simple_table"), Some("{}")).await[0], "true");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_malformed_gate_is_an_error_naming_each_path() {
        let (ctx, _) = session();
        let simple = table("simple_table");
        let message = error(
            &ctx,
            &format!(
                r#"SELECT * FROM delta_protocol_check('{simple}', '{{"min_reader_version": 9, "support": {{"reader_features": [1]}}, "strict": true}}')"#
            ),
        )
        .await;
        assert_eq!(
            message,
            "Error during planning: delta_protocol_check: gate_json is not a valid gate: \
             gate.min_reader_version: expected an integer from 1 to 3, found 9; \
             gate.support.reader_features[0]: expected a string, found an integer; gate.strict: unknown property \
             (expected one of: min_reader_version, min_writer_version, required_reader_features, \
             required_writer_features, support)"
        );
        let message = error(&ctx, &format!("SELECT * FROM delta_protocol_check('{simple}', '[1]')")).await;
        assert_eq!(
            message,
            "Error during planning: delta_protocol_check: gate_json is not a valid gate: gate: expected an object, found an array"
        );
        let message = error(&ctx, &format!("SELECT * FROM delta_protocol_check('{simple}', '{{')")).await;
        assert!(
            message.starts_with("Error during planning: delta_protocol_check: gate_json is not valid JSON"),
            "{message}"
        );
        let missing = table("no-such-table");
        let message = error(&ctx, &format!("SELECT * FROM delta_protocol_check('{missing}')")).await;
        assert!(message.contains("[dfpack:delta]") && message.contains(&missing), "{message}");
    }
}
