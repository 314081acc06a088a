//! `delta_snapshot(uri [, version])`: one row describing a table version, with
//! a fingerprint of its identity.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use dfpack_common::Error;
use dfpack_udfs::codec::canonical_fingerprint::fingerprint_row;

use super::args::Args;
use super::columns::{int64, string_list_type, string_lists, string_map_type, string_maps, timestamp_type, timestamps};
use super::log_table::{LogRead, LogTable};
use super::{DOC_SECTION, DeltaTableFunction};
use crate::resolve::GatedTable;
use crate::{DeltaEnv, ProtocolGate, TableReference, TableReferenceExt, VersionSpec};

#[derive(Debug)]
pub struct DeltaSnapshotFunction {
    env: Arc<DeltaEnv>,
}

const NAME: &str = "delta_snapshot";
const PARAMETERS: &[&str] = &["uri", "version"];

/// The columns the fingerprint is the canonical fingerprint of, as a struct.
const IDENTITY: [&str; 10] = [
    "table_root",
    "version",
    "table_id",
    "min_reader_version",
    "min_writer_version",
    "reader_features",
    "writer_features",
    "partition_columns",
    "schema",
    "table_properties",
];

impl DeltaSnapshotFunction {
    pub fn new(env: Arc<DeltaEnv>) -> Self {
        DeltaSnapshotFunction { env }
    }

    pub fn function(env: Arc<DeltaEnv>) -> DeltaTableFunction {
        DeltaTableFunction { name: NAME, function: Arc::new(Self::new(env)), documentation: Self::documentation() }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            DOC_SECTION,
            "One row describing a version of a Delta table, as its log defines it: the version and the time of its \
             commit (the commit file's modification time, as Delta times versions; NULL once log cleanup removed \
             it), the table's id and resolved root URL, its protocol (reader and writer versions and the features \
             they need, legacy versions' implied features included), partition columns, logical schema (the log's \
             schema JSON), table properties, and a fingerprint of all these. The fingerprint is \
             `canonical_fingerprint(named_struct('table_root', table_root, 'version', version, 'table_id', table_id, \
             'min_reader_version', min_reader_version, 'min_writer_version', min_writer_version, 'reader_features', \
             reader_features, 'writer_features', writer_features, 'partition_columns', partition_columns, 'schema', \
             schema, 'table_properties', table_properties))` over the row's own columns: the same table version has \
             the same fingerprint however its URI is written, on every host. The table is read under the pack's \
             default protocol gate: a table the pack cannot read is an error naming what it lacks \
             (`delta_protocol_check` reports it as a row instead).",
            "delta_snapshot(uri [, version])",
        )
        .with_argument("uri", "The table: a local path or a URL (file, s3, gs, az, abfss…). A constant string.")
        .with_argument("version", "The version to describe, a non-negative integer. The latest when absent or NULL.")
        .with_sql_example(
            "```sql\n\
             > SELECT version, reader_features, partition_columns, fingerprint\n  \
             FROM delta_snapshot('/data/events', 12);\n\
             > SELECT table_properties['delta.enableDeletionVectors'] FROM delta_snapshot('s3://bucket/events');\n\
             ```",
        )
        .build()
    }
}

impl TableFunctionImpl for DeltaSnapshotFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let args = Args::new(NAME, PARAMETERS, 1, args.exprs())?;
        let read = SnapshotRead {
            uri: args.uri(0)?,
            at: args.optional_count(1)?.map_or(VersionSpec::Latest, VersionSpec::Version),
        };
        Ok(LogTable::provider(read, Arc::clone(&self.env)))
    }
}

#[derive(Debug, Clone)]
struct SnapshotRead {
    uri: String,
    at: VersionSpec,
}

impl LogRead for SnapshotRead {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("uri", DataType::Utf8, false),
            Field::new("table_root", DataType::Utf8, false),
            Field::new("version", DataType::Int64, false),
            Field::new("commit_timestamp", timestamp_type(), true),
            Field::new("table_id", DataType::Utf8, false),
            Field::new("min_reader_version", DataType::Int32, false),
            Field::new("min_writer_version", DataType::Int32, false),
            Field::new("reader_features", string_list_type(), false),
            Field::new("writer_features", string_list_type(), false),
            Field::new("partition_columns", string_list_type(), false),
            Field::new("schema", DataType::Utf8, false),
            Field::new("table_properties", string_map_type(), false),
            Field::new("fingerprint", DataType::Utf8, false),
        ]))
    }

    async fn read(self, env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let table = TableReference::local(self.uri.clone()).at(self.at);
        let gated = env.resolver.resolve(&self.uri, &table, &ProtocolGate::default()).await?;
        row(self.schema(), &gated)
    }
}

fn row(schema: SchemaRef, gated: &GatedTable) -> dfpack_common::Result<RecordBatch> {
    let metadata = gated.snapshot.metadata();
    let protocol = &gated.protocol;
    let sorted = |set: BTreeSet<String>| Some(set.into_iter().collect::<Vec<_>>());
    // The log's own JSON, not the parsed schema serialized again: a field's
    // metadata is a HashMap there, so its keys would come out in another order
    // in every process, and the fingerprint with them.
    let schema_json = metadata.schema_string().as_str();
    let properties: BTreeMap<&String, &String> = metadata.configuration().iter().collect();
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![gated.uri.as_str()])),
        Arc::new(StringArray::from(vec![gated.log_store.root_url().as_str()])),
        Arc::new(Int64Array::from(vec![int64(gated.version, "version")?])),
        timestamps(vec![gated.commit_time.map(|t| t.timestamp_millis())]),
        Arc::new(StringArray::from(vec![metadata.id()])),
        Arc::new(Int32Array::from(vec![protocol.min_reader_version])),
        Arc::new(Int32Array::from(vec![protocol.min_writer_version])),
        string_lists([sorted(protocol.effective_reader_features())]),
        string_lists([sorted(protocol.effective_writer_features())]),
        string_lists([Some(metadata.partition_columns())]),
        Arc::new(StringArray::from(vec![schema_json])),
        string_maps([properties.into_iter().map(|(k, v)| (k, Some(v)))])?,
    ];
    columns.push(Arc::new(StringArray::from(vec![fingerprint(&schema, &columns)?])));
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// BLAKE3-256 of the canonical MessagePack form of the identity columns as
/// one struct: exactly what `canonical_fingerprint` computes in SQL.
fn fingerprint(schema: &Schema, columns: &[ArrayRef]) -> dfpack_common::Result<String> {
    let mut fields = Vec::with_capacity(IDENTITY.len());
    let mut arrays = Vec::with_capacity(IDENTITY.len());
    for name in IDENTITY {
        let index = schema.index_of(name)?;
        fields.push(Arc::new(schema.field(index).clone()));
        arrays.push(Arc::clone(&columns[index]));
    }
    let identity = StructArray::try_new(Fields::from(fields), arrays, None)?;
    fingerprint_row(&identity, 0).map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, rows, session, table, value};

    #[tokio::test(flavor = "multi_thread")]
    async fn a_deletion_vector_table_is_described() {
        let (ctx, _) = session();
        let dv = table("table-with-dv-small");
        let row = &rows(
            &ctx,
            &format!(
                "SELECT uri, version, table_id, min_reader_version, min_writer_version, \
                 array_has(reader_features, 'deletionVectors'), array_to_string(writer_features, ','), \
                 cardinality(partition_columns), table_properties['delta.enableDeletionVectors'], \
                 commit_timestamp IS NOT NULL, length(fingerprint), table_root \
                 FROM delta_snapshot('{dv}')"
            ),
        )
        .await[0];
        assert_eq!(row[0], dv);
        assert_eq!(&row[1..11], ["1", "testId", "3", "7", "true", "deletionVectors", "0", "true", "true", "64"]);
        let root = url::Url::from_directory_path(std::fs::canonicalize(&dv).expect("the table exists")).expect("a URL");
        assert_eq!(row[11], root.as_str());
        let schema = value(&ctx, &format!("SELECT schema FROM delta_snapshot('{dv}')")).await;
        let parsed: serde_json::Value = serde_json::from_str(&schema).expect("the schema is JSON");
        assert_eq!(parsed["type"], "struct");
        assert_eq!(parsed["fields"][0]["name"], "value");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_pinned_version_and_legacy_features() {
        let (ctx, _) = session();
        let simple = table("simple_table");
        let row = &rows(
            &ctx,
            &format!(
                "SELECT version, min_reader_version, min_writer_version, array_to_string(reader_features, ','), \
                 array_to_string(writer_features, ',') FROM delta_snapshot('{simple}', 2)"
            ),
        )
        .await[0];
        assert_eq!(row, &["2", "1", "2", "", "appendOnly,invariants"]);
        let partitioned = table("delta-0.8.0-partitioned");
        let columns = value(
            &ctx,
            &format!("SELECT array_to_string(partition_columns, ',') FROM delta_snapshot('{partitioned}')"),
        )
        .await;
        assert_eq!(columns, "year,month,day");
        // A version is any integer constant.
        let version = value(&ctx, &format!("SELECT version FROM delta_snapshot('{simple}', CAST(1 AS TINYINT))")).await;
        assert_eq!(version, "1");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_fingerprint_identifies_the_version_wherever_it_is_computed() {
        let (ctx, _) = session();
        let simple = table("simple_table");
        let query = |uri: &str, version: u64| format!("SELECT fingerprint FROM delta_snapshot('{uri}', {version})");
        let at_2 = value(&ctx, &query(&simple, 2)).await;
        assert_eq!(at_2, value(&ctx, &query(&simple, 2)).await, "cached");
        let (fresh, _) = session();
        assert_eq!(at_2, value(&fresh, &query(&simple, 2)).await, "another environment");
        let roundabout = table("delta-0.8.0-partitioned/../simple_table");
        assert_eq!(at_2, value(&fresh, &query(&roundabout, 2)).await, "another spelling of the path");
        assert_ne!(at_2, value(&ctx, &query(&simple, 3)).await, "another version");
        let dv = table("table-with-dv-small");
        assert_ne!(
            at_2,
            value(&ctx, &format!("SELECT fingerprint FROM delta_snapshot('{dv}')")).await,
            "another table"
        );

        // The documented recipe, in SQL, over the row's own columns.
        ctx.register_udf(dfpack_udfs::codec::canonical_fingerprint().as_ref().clone());
        for uri in [table("table-with-dv-small"), table("delta-0.8.0-partitioned"), simple] {
            let same = value(
                &ctx,
                &format!(
                    "SELECT fingerprint = canonical_fingerprint(named_struct('table_root', table_root, \
                     'version', version, 'table_id', table_id, 'min_reader_version', min_reader_version, \
                     'min_writer_version', min_writer_version, 'reader_features', reader_features, \
                     'writer_features', writer_features, 'partition_columns', partition_columns, \
                     'schema', schema, 'table_properties', table_properties)) FROM delta_snapshot('{uri}')"
                ),
            )
            .await;
            assert_eq!(same, "true", "{uri}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn tables_the_gate_refuses_and_missing_tables_are_errors_of_their_kind() {
        let (ctx, _) = session();
        let widened = table("type-widening");
        let refused = error(&ctx, &format!("SELECT * FROM delta_snapshot('{widened}')")).await;
        assert!(refused.contains("[dfpack:protocol_gate]"), "{refused}");
        assert!(refused.contains("typeWidening-preview"), "{refused}");
        assert!(refused.contains("at version 2"), "{refused}");
        // Before the feature was added, the table is readable.
        assert_eq!(value(&ctx, &format!("SELECT min_reader_version FROM delta_snapshot('{widened}', 0)")).await, "1");

        let missing = table("no-such-table");
        let message = error(&ctx, &format!("SELECT * FROM delta_snapshot('{missing}')")).await;
        assert!(message.contains("[dfpack:delta]"), "{message}");
        assert!(message.contains(&missing), "{message}");

        let simple = table("simple_table");
        let message = error(&ctx, &format!("SELECT * FROM delta_snapshot('{simple}', 5)")).await;
        assert!(message.contains("[dfpack:delta]") && message.contains("has no version 5"), "{message}");
        let message = error(&ctx, &format!("SELECT * FROM delta_snapshot('{simple}', 'latest')")).await;
        assert_eq!(
            message,
            "Error during planning: delta_snapshot: version must be a non-negative integer, got 'latest'"
        );
        let message = error(&ctx, "SELECT * FROM delta_snapshot()").await;
        assert_eq!(message, "Error during planning: delta_snapshot takes 1 to 2 arguments (uri [, version]), got 0");
    }
}
