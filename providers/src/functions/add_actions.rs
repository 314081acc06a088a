//! `delta_add_actions(uri [, version])`: the data files of a table version,
//! one row per file, as the log's add actions describe them.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use deltalake_core::kernel::LogicalFileView;
use dfpack_common::Error;

use super::args::Args;
use super::columns::{string_map_type, string_maps, timestamp_type, timestamps};
use super::log_table::{LogRead, LogTable};
use super::{DOC_SECTION, DeltaTableFunction};
use crate::resolve::GatedTable;
use crate::table::describe_delta_error;
use crate::{DeltaEnv, ProtocolGate, TableReference, TableReferenceExt, VersionSpec};

#[derive(Debug)]
pub struct DeltaAddActionsFunction {
    env: Arc<DeltaEnv>,
}

const NAME: &str = "delta_add_actions";
const PARAMETERS: &[&str] = &["uri", "version"];

impl DeltaAddActionsFunction {
    pub fn new(env: Arc<DeltaEnv>) -> Self {
        DeltaAddActionsFunction { env }
    }

    pub fn function(env: Arc<DeltaEnv>) -> DeltaTableFunction {
        DeltaTableFunction { name: NAME, function: Arc::new(Self::new(env)), documentation: Self::documentation() }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            DOC_SECTION,
            "The data files of a version of a Delta table, one row per file, sorted by path: its path relative to \
             the table root (URL-decoded), size in bytes, modification time, partition values (as written in the \
             log, in partition column order), the number of records its statistics give (before deletion vectors \
             are applied; NULL without statistics), its statistics as the log's JSON (`numRecords`, `minValues`, \
             `maxValues`, `nullCount` per physical column; NULL without statistics), and whether it has a deletion \
             vector. The table is read under the pack's default protocol gate.",
            "delta_add_actions(uri [, version])",
        )
        .with_argument("uri", "The table: a local path or a URL (file, s3, gs, az, abfss…). A constant string.")
        .with_argument(
            "version",
            "The version whose files to list, a non-negative integer. The latest when absent or NULL.",
        )
        .with_sql_example(
            "```sql\n\
             > SELECT partition_values['year'] AS year, count(*) AS files, sum(size_bytes) AS bytes\n  \
             FROM delta_add_actions('/data/events') GROUP BY 1 ORDER BY 1;\n\
             ```",
        )
        .build()
    }
}

impl TableFunctionImpl for DeltaAddActionsFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let args = Args::new(NAME, PARAMETERS, 1, args.exprs())?;
        let read = AddActionsRead {
            uri: args.uri(0)?,
            at: args.optional_count(1)?.map_or(VersionSpec::Latest, VersionSpec::Version),
        };
        Ok(LogTable::provider(read, Arc::clone(&self.env)))
    }
}

#[derive(Debug, Clone)]
struct AddActionsRead {
    uri: String,
    at: VersionSpec,
}

impl LogRead for AddActionsRead {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("path", DataType::Utf8, false),
            Field::new("size_bytes", DataType::Int64, false),
            Field::new("modification_time", timestamp_type(), false),
            Field::new("partition_values", string_map_type(), false),
            Field::new("num_records", DataType::Int64, true),
            Field::new("stats", DataType::Utf8, true),
            Field::new("deletion_vector", DataType::Boolean, false),
        ]))
    }

    async fn read(self, env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let table = TableReference::local(self.uri.clone()).at(self.at);
        let gated = env.resolver.resolve(&self.uri, &table, &ProtocolGate::default()).await?;
        rows(self.schema(), &gated)
    }
}

fn rows(schema: SchemaRef, gated: &GatedTable) -> dfpack_common::Result<RecordBatch> {
    let files = gated.snapshot.try_log_data().map_err(|e| {
        Error::Delta(format!(
            "cannot list the files of table '{}' at version {}: {}",
            gated.uri,
            gated.version,
            describe_delta_error(&e)
        ))
    })?;
    let mut files: Vec<LogicalFileView> = files.iter().collect();
    files.sort_by_cached_key(|file| file.path().into_owned());
    let partition_columns = gated.snapshot.metadata().partition_columns();

    let columns: Vec<ArrayRef> = vec![
        Arc::new(files.iter().map(|f| Some(f.path())).collect::<StringArray>()),
        Arc::new(files.iter().map(|f| Some(f.size())).collect::<Int64Array>()),
        timestamps(files.iter().map(|f| Some(f.modification_time())).collect()),
        string_maps(files.iter().map(|f| partition_values(f, partition_columns)))?,
        Arc::new(files.iter().map(|f| f.num_records().and_then(|n| i64::try_from(n).ok())).collect::<Int64Array>()),
        Arc::new(files.iter().map(LogicalFileView::stats).collect::<StringArray>()),
        Arc::new(files.iter().map(|f| Some(f.deletion_vector_descriptor().is_some())).collect::<BooleanArray>()),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// A file's partition values in the table's partition column order (any
/// other key the log holds follows, by name).
fn partition_values(file: &LogicalFileView, partition_columns: &[String]) -> Vec<(String, Option<String>)> {
    let mut values: BTreeMap<String, Option<String>> = file.partition_values_map().into_iter().collect();
    let mut ordered: Vec<(String, Option<String>)> =
        partition_columns.iter().filter_map(|c| values.remove_entry(c)).collect();
    ordered.extend(values);
    ordered
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::super::test_support::{error, rows, session, table};

    /// The add actions active after `up_to` (all commits when `None`),
    /// replayed from the JSON commits alone: path → add action.
    fn replay(name: &str, up_to: Option<u64>) -> BTreeMap<String, Value> {
        let log = std::path::Path::new(&table(name)).join("_delta_log");
        let mut commits: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(&log)
            .expect("a log")
            .map(|entry| entry.expect("an entry").path())
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?;
                let version = name.strip_suffix(".json")?.parse().ok()?;
                Some((version, path))
            })
            .filter(|(version, _)| up_to.is_none_or(|last| *version <= last))
            .collect();
        commits.sort();
        let mut active = BTreeMap::new();
        for (_, path) in commits {
            let text = std::fs::read_to_string(path).expect("a commit");
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let action: Value = serde_json::from_str(line).expect("an action");
                if let Some(add) = action.get("add") {
                    active.insert(add["path"].as_str().expect("a path").to_string(), add.clone());
                } else if let Some(remove) = action.get("remove") {
                    active.remove(remove["path"].as_str().expect("a path"));
                }
            }
        }
        active
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn one_row_per_partitioned_file() {
        let (ctx, _) = session();
        let uri = table("delta-0.8.0-partitioned");
        let files = rows(
            &ctx,
            &format!(
                "SELECT path, size_bytes, partition_values['year'], partition_values['month'], \
                 partition_values['day'], array_to_string(map_keys(partition_values), ','), deletion_vector \
                 FROM delta_add_actions('{uri}')"
            ),
        )
        .await;
        let expected = replay("delta-0.8.0-partitioned", None);
        assert_eq!(files.len(), expected.len());
        assert!(!files.is_empty());
        for file in &files {
            let add = &expected[&file[0]];
            assert_eq!(file[1], add["size"].to_string(), "{file:?}");
            let values = &add["partitionValues"];
            assert_eq!(
                file[2..5],
                [&values["year"], &values["month"], &values["day"]].map(|v| v.as_str().expect("a string"))
            );
            assert_eq!((file[5].as_str(), file[6].as_str()), ("year,month,day", "false"));
        }
        let paths: Vec<&String> = files.iter().map(|f| &f[0]).collect();
        assert!(paths.is_sorted(), "{paths:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn removed_files_are_gone_at_each_version() {
        let (ctx, _) = session();
        for (name, version) in [
            ("simple_table", None),
            ("simple_table", Some(2)),
            ("simple_table", Some(0)),
            ("checkpoint-v2-table", None),
        ] {
            let uri = table(name);
            let call = match version {
                Some(v) => format!("delta_add_actions('{uri}', {v})"),
                None => format!("delta_add_actions('{uri}')"),
            };
            let paths: Vec<String> =
                rows(&ctx, &format!("SELECT path FROM {call}")).await.into_iter().map(|r| r[0].clone()).collect();
            let expected: Vec<String> = replay(name, version).into_keys().collect();
            assert_eq!(paths, expected, "{name} at {version:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn deletion_vectors_and_statistics() {
        let (ctx, _) = session();
        let dv = table("table-with-dv-small");
        let file = &rows(
            &ctx,
            &format!(
                "SELECT deletion_vector, num_records, stats, CAST(modification_time AS BIGINT), \
                 cardinality(partition_values) FROM delta_add_actions('{dv}')"
            ),
        )
        .await;
        assert_eq!(file.len(), 1);
        assert_eq!((file[0][0].as_str(), file[0][1].as_str()), ("true", "10"));
        let stats: Value = serde_json::from_str(&file[0][2]).expect("stats are JSON");
        assert_eq!((&stats["minValues"]["value"], &stats["maxValues"]["value"]), (&Value::from(0), &Value::from(9)));
        assert_eq!((file[0][3].as_str(), file[0][4].as_str()), ("1677811178336", "0"));
        let before = rows(&ctx, &format!("SELECT deletion_vector FROM delta_add_actions('{dv}', 0)")).await;
        assert_eq!(before, [["false"]]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn refused_and_missing_tables_are_errors() {
        let (ctx, _) = session();
        let widened = table("type-widening");
        let refused = error(&ctx, &format!("SELECT * FROM delta_add_actions('{widened}')")).await;
        assert!(refused.contains("[dfpack:protocol_gate]") && refused.contains("typeWidening-preview"), "{refused}");
        let missing = table("no-such-table");
        let message = error(&ctx, &format!("SELECT * FROM delta_add_actions('{missing}')")).await;
        assert!(message.contains("[dfpack:delta]") && message.contains(&missing), "{message}");
        let message = error(&ctx, "SELECT * FROM delta_add_actions(1)").await;
        assert_eq!(message, "Error during planning: delta_add_actions: uri must be a string, got 1");
    }
}
