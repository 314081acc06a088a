//! `delta_history(uri [, limit])`: the commits still in a table's log, newest
//! first, as their `commitInfo` actions describe them.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use dfpack_common::Error;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use serde_json::{Map, Value};

use super::args::Args;
use super::columns::{int64s, timestamp_type, timestamps};
use super::log_table::{LogRead, LogTable};
use super::{DOC_SECTION, DeltaTableFunction};
use crate::gate::refusal_message;
use crate::log::{LogFileKind, LogListing};
use crate::{DeltaEnv, ProtocolGate, TableReference, TableReferenceExt};

#[derive(Debug)]
pub struct DeltaHistoryFunction {
    env: Arc<DeltaEnv>,
}

const NAME: &str = "delta_history";
const PARAMETERS: &[&str] = &["uri", "limit"];

/// Commit files read at once: a long history is many small GETs.
const CONCURRENT_READS: usize = 16;

impl DeltaHistoryFunction {
    pub fn new(env: Arc<DeltaEnv>) -> Self {
        DeltaHistoryFunction { env }
    }

    pub fn function(env: Arc<DeltaEnv>) -> DeltaTableFunction {
        DeltaTableFunction { name: NAME, function: Arc::new(Self::new(env)), documentation: Self::documentation() }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            DOC_SECTION,
            "The history of a Delta table: one row per commit still in its log (commits removed by log cleanup \
             are not listed), newest first, with what the commit's `commitInfo` action records: the writer's \
             timestamp, the operation, its parameters and metrics (as JSON text), the version it read, the \
             isolation level, whether it was a blind append, and who and what wrote it. Columns the writer did not \
             record are NULL, all of them for a commit without `commitInfo`. Only the commit files are read, never \
             the data or a checkpoint's file list. The table's latest protocol must pass the pack's default \
             protocol gate.",
            "delta_history(uri [, limit])",
        )
        .with_argument("uri", "The table: a local path or a URL (file, s3, gs, az, abfss…). A constant string.")
        .with_argument(
            "limit",
            "How many of the newest commits to list, a non-negative integer. All of them when absent or NULL.",
        )
        .with_sql_example(
            "```sql\n\
             > SELECT version, timestamp, operation, operation_parameters\n  \
             FROM delta_history('/data/events', 10);\n\
             ```",
        )
        .build()
    }
}

impl TableFunctionImpl for DeltaHistoryFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let args = Args::new(NAME, PARAMETERS, 1, args.exprs())?;
        let read = HistoryRead { uri: args.uri(0)?, limit: args.optional_count(1)? };
        Ok(LogTable::provider(read, Arc::clone(&self.env)))
    }
}

#[derive(Debug, Clone)]
struct HistoryRead {
    uri: String,
    limit: Option<u64>,
}

/// The `commitInfo` keys shown as text columns, after the typed ones.
const TEXT_COLUMNS: [(&str, &str); 4] = [
    ("user_id", "userId"),
    ("user_name", "userName"),
    ("engine_info", "engineInfo"),
    ("client_version", "clientVersion"),
];

impl LogRead for HistoryRead {
    fn schema(&self) -> SchemaRef {
        let mut fields = vec![
            Field::new("version", DataType::Int64, false),
            Field::new("timestamp", timestamp_type(), true),
            Field::new("operation", DataType::Utf8, true),
            Field::new("operation_parameters", DataType::Utf8, true),
            Field::new("operation_metrics", DataType::Utf8, true),
            Field::new("read_version", DataType::Int64, true),
            Field::new("isolation_level", DataType::Utf8, true),
            Field::new("is_blind_append", DataType::Boolean, true),
        ];
        fields.extend(TEXT_COLUMNS.iter().map(|(column, _)| Field::new(*column, DataType::Utf8, true)));
        fields.push(Field::new("commit_metadata", DataType::Utf8, true));
        Arc::new(Schema::new(fields))
    }

    async fn read(self, env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let uri = self.uri.as_str();
        let store = env.resolver.log_store(&TableReference::local(uri))?.object_store(None);
        // One listing serves both the gate and the commits, so the commits
        // listed are exactly those of the version that was gated.
        let listing = LogListing::read(&store, uri).await?;
        let latest = listing.latest_version();
        let protocol = listing.protocol_at(&store, latest, uri).await?;
        let report = ProtocolGate::default().check_read(&protocol);
        if !report.passed() {
            return Err(Error::ProtocolGate(refusal_message(uri, uri, latest, &protocol, &report)));
        }

        let limit = self.limit.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let newest: Vec<(u64, Path)> = listing
            .files
            .iter()
            .rev()
            .filter(|f| f.kind == LogFileKind::Commit)
            .take(limit)
            .map(|f| (f.version, f.location.clone()))
            .collect();
        let commits: Vec<Option<Commit>> = futures::stream::iter(newest)
            .map(|(version, location)| read_commit(Arc::clone(&store), version, location, uri))
            .buffered(CONCURRENT_READS)
            .try_collect()
            .await?;
        rows(self.schema(), commits.into_iter().flatten().collect())
    }
}

struct Commit {
    version: u64,
    info: Map<String, Value>,
}

/// The commit of `version`; `None` when its file was removed since the listing
/// (log cleanup): it is no longer in the history.
async fn read_commit(
    store: Arc<dyn ObjectStore>,
    version: u64,
    location: Path,
    uri: &str,
) -> dfpack_common::Result<Option<Commit>> {
    let bytes = match store.get(&location).await {
        Ok(get) => get.bytes().await,
        Err(e) => Err(e),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(Error::Delta(format!("cannot read '{location}' of table '{uri}': {e}"))),
    };
    let info = commit_info(&bytes, &location)?.unwrap_or_default();
    Ok(Some(Commit { version, info }))
}

/// The `commitInfo` action of a commit file, if it has one.
fn commit_info(bytes: &[u8], location: &Path) -> dfpack_common::Result<Option<Map<String, Value>>> {
    for line in bytes.split(|b| *b == b'\n') {
        // Cheap filter: most lines are add and remove actions.
        if !line.windows(12).any(|w| w == b"\"commitInfo\"") {
            continue;
        }
        let action: Value =
            serde_json::from_slice(line).map_err(|e| Error::Delta(format!("malformed action in '{location}': {e}")))?;
        if let Value::Object(mut action) = action
            && let Some(Value::Object(info)) = action.remove("commitInfo")
        {
            return Ok(Some(info));
        }
    }
    Ok(None)
}

/// A value as text: strings as they are, anything else (objects, numbers) as JSON.
fn text(info: &Map<String, Value>, key: &str) -> Option<String> {
    match info.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn rows(schema: SchemaRef, commits: Vec<Commit>) -> dfpack_common::Result<RecordBatch> {
    let texts =
        |key: &str| -> ArrayRef { Arc::new(commits.iter().map(|c| text(&c.info, key)).collect::<StringArray>()) };
    let mut columns: Vec<ArrayRef> = vec![
        int64s(commits.iter().map(|c| c.version), "version")?,
        timestamps(commits.iter().map(|c| c.info.get("timestamp").and_then(Value::as_i64)).collect()),
        texts("operation"),
        texts("operationParameters"),
        texts("operationMetrics"),
        Arc::new(commits.iter().map(|c| c.info.get("readVersion").and_then(Value::as_i64)).collect::<Int64Array>()),
        texts("isolationLevel"),
        Arc::new(
            commits.iter().map(|c| c.info.get("isBlindAppend").and_then(Value::as_bool)).collect::<BooleanArray>(),
        ),
    ];
    columns.extend(TEXT_COLUMNS.iter().map(|(_, key)| texts(key)));
    columns.push(Arc::new(commits.iter().map(|c| commit_metadata(&c.info)).collect::<StringArray>()));
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// The `commitInfo` keys of no other column (a writer's own metadata, e.g.
/// `SET dfpack.commit.metadata`), as a JSON object; NULL when there are none.
fn commit_metadata(info: &Map<String, Value>) -> Option<String> {
    const SHOWN: [&str; 7] =
        ["timestamp", "operation", "operationParameters", "operationMetrics", "readVersion", "isolationLevel", "isBlindAppend"];
    let rest: Map<String, Value> = info
        .iter()
        .filter(|(key, _)| !SHOWN.contains(&key.as_str()) && !TEXT_COLUMNS.iter().any(|(_, shown)| shown == key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    if rest.is_empty() { None } else { Some(Value::Object(rest).to_string()) }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{copy_table, error, rows, session, table};
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn the_newest_commits_come_first() {
        let (ctx, _) = session();
        let simple = table("simple_table");
        let limited = rows(
            &ctx,
            &format!(
                "SELECT version, CAST(timestamp AS BIGINT), operation, read_version FROM delta_history('{simple}', 2)"
            ),
        )
        .await;
        assert_eq!(limited, [["4", "1587968626537", "DELETE", "3"], ["3", "1587968614187", "UPDATE", "2"]]);

        let all = rows(
            &ctx,
            &format!(
                "SELECT version, is_blind_append, operation_parameters, read_version, user_name \
                 FROM delta_history('{simple}')"
            ),
        )
        .await;
        let versions: Vec<&str> = all.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(versions, ["4", "3", "2", "1", "0"]);
        let first = &all[4];
        assert_eq!(first[1], "true");
        let parameters: Value = serde_json::from_str(&first[2]).expect("parameters are JSON");
        assert_eq!(parameters, serde_json::json!({"mode": "ErrorIfExists", "partitionBy": "[]"}));
        assert_eq!((first[3].as_str(), first[4].as_str()), ("NULL", "NULL"));
        assert!(rows(&ctx, &format!("SELECT * FROM delta_history('{simple}', 0)")).await.is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn what_the_writer_recorded_is_shown() {
        let (ctx, _) = session();
        let dv = table("table-with-dv-small");
        let latest = &rows(
            &ctx,
            &format!(
                "SELECT operation, isolation_level, engine_info, is_blind_append, operation_metrics \
                 FROM delta_history('{dv}', 1)"
            ),
        )
        .await[0];
        assert_eq!(&latest[..4], ["DELETE", "WriteSerializable", "Databricks-Runtime/<unknown>", "false"]);
        let metrics: Value = serde_json::from_str(&latest[4]).expect("metrics are JSON");
        assert_eq!(metrics["numDeletedRows"], "2");
        assert_eq!(metrics["numDeletionVectorsAdded"], "1");

        let checkpointed = table("checkpoint-v2-table");
        let user = &rows(&ctx, &format!("SELECT user_name, user_id FROM delta_history('{checkpointed}', 1)")).await[0];
        assert_eq!(user, &["rtyler@scribd.com", "2238620221098138"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn only_commits_still_in_the_log_are_listed() {
        let copy = copy_table("checkpoint-v2-table");
        let log = copy.path().join("_delta_log");
        for version in 0..8 {
            for suffix in ["json", "crc"] {
                std::fs::remove_file(log.join(format!("{version:020}.{suffix}"))).expect("a commit of the copy");
            }
        }
        let (ctx, _) = session();
        let uri = copy.path().display().to_string();
        let versions = rows(&ctx, &format!("SELECT version, operation FROM delta_history('{uri}')")).await;
        assert_eq!(versions, [["9", "WRITE"], ["8", "WRITE"]]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_latest_protocol_is_gated_and_arguments_are_checked() {
        let (ctx, _) = session();
        let widened = table("type-widening");
        let refused = error(&ctx, &format!("SELECT * FROM delta_history('{widened}')")).await;
        assert!(refused.contains("[dfpack:protocol_gate]") && refused.contains("typeWidening-preview"), "{refused}");
        let features = table("simple_table_features");
        let refused = error(&ctx, &format!("SELECT * FROM delta_history('{features}', 1)")).await;
        assert!(refused.contains("[dfpack:protocol_gate]") && refused.contains("blahabl"), "{refused}");

        let simple = table("simple_table");
        let message = error(&ctx, &format!("SELECT * FROM delta_history('{simple}', 'x')")).await;
        assert_eq!(message, "Error during planning: delta_history: limit must be a non-negative integer, got 'x'");
        let message = error(&ctx, &format!("SELECT * FROM delta_history('{simple}', -1)")).await;
        assert_eq!(message, "Error during planning: delta_history: limit must be a non-negative integer, got -1");
        let missing = table("no-such-table");
        let message = error(&ctx, &format!("SELECT * FROM delta_history('{missing}')")).await;
        assert!(message.contains("[dfpack:delta]") && message.contains(&missing), "{message}");
    }

    #[test]
    fn commit_info_is_found_among_other_actions() {
        let log = br#"{"add":{"path":"commitInfo"}}
{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}
{"commitInfo":{"timestamp":5,"operation":"WRITE","operationParameters":{"mode":"Append"}}}"#;
        let info = commit_info(log, &Path::from("x")).expect("valid").expect("present");
        assert_eq!(info.get("timestamp"), Some(&Value::from(5)));
        assert_eq!(text(&info, "operationParameters").as_deref(), Some(r#"{"mode":"Append"}"#));
        assert_eq!(commit_info(br#"{"add":{"path":"a"}}"#, &Path::from("x")).expect("valid"), None);
        let broken = commit_info(br#"{"commitInfo": {"#, &Path::from("_delta_log/1.json")).unwrap_err();
        assert_eq!(broken.kind(), dfpack_common::ErrorKind::Delta);
        assert!(broken.to_string().contains("malformed action in '_delta_log/1.json'"), "{broken}");
    }
}
