//! `delta_snapshot(uri [, version])`: one row describing a table version, a
//! `SnapshotInfo` payload (schemas/snapshot_info.json) with the fingerprint of
//! its identity.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;
use dfpack_common::Error;
use dfpack_contracts::{SnapshotInfo, TableSchemaSpec, codec};

use super::args::Args;
use super::columns::{int64, string_list_type, string_lists, string_map_type, string_maps};
use super::log_table::{LogRead, LogTable};
use super::{DOC_SECTION, DeltaTableFunction};
use crate::resolve::{GatedTable, table_arrow_schema};
use crate::{DeltaEnv, ProtocolGate, TableReference, TableReferenceExt, VersionSpec};

#[derive(Debug)]
pub struct DeltaSnapshotFunction {
    env: Arc<DeltaEnv>,
}

const NAME: &str = "delta_snapshot";
const PARAMETERS: &[&str] = &["uri", "version"];

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
            "One row describing a version of a Delta table, as its log defines it: a `SnapshotInfo` payload \
             (schemas/snapshot_info.json), one column per property. The table's resolved root URL and id, the \
             version and the time of its commit in milliseconds since the epoch (the commit file's modification \
             time, as Delta times versions; NULL once log cleanup removed it), its protocol (reader and writer \
             versions and the features they need, legacy versions' implied features included), partition columns, \
             logical schema (a TableSchemaSpec, as JSON), properties, and the version's identity fingerprint: the \
             canonical fingerprint of the SnapshotInfo without its fingerprint and commit time, so the same table \
             version has the same fingerprint however its URI is written, on every host. The table is read under \
             the pack's default protocol gate: a table the pack cannot read is an error naming what it lacks \
             (`delta_protocol_check` reports it as a row instead).",
            "delta_snapshot(uri [, version])",
        )
        .with_argument("uri", "The table: a local path or a URL (file, s3, gs, az, abfss…). A constant string.")
        .with_argument("version", "The version to describe, a non-negative integer. The latest when absent or NULL.")
        .with_sql_example(
            "```sql\n\
             > SELECT version, reader_features, partition_columns, fingerprint\n  \
             FROM delta_snapshot('/data/events', 12);\n\
             > SELECT properties['delta.enableDeletionVectors'] FROM delta_snapshot('s3://bucket/events');\n\
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
    /// The properties of `SnapshotInfo`, in the schema's order.
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("table_root", DataType::Utf8, false),
            Field::new("table_id", DataType::Utf8, false),
            Field::new("version", DataType::Int64, false),
            Field::new("commit_timestamp_ms", DataType::Int64, true),
            Field::new("min_reader_version", DataType::Int32, false),
            Field::new("min_writer_version", DataType::Int32, false),
            Field::new("reader_features", string_list_type(), false),
            Field::new("writer_features", string_list_type(), false),
            Field::new("partition_columns", string_list_type(), false),
            Field::new("schema", DataType::Utf8, false),
            Field::new("properties", string_map_type(), false),
            Field::new("fingerprint", DataType::Utf8, false),
        ]))
    }

    async fn read(self, env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let table = TableReference::local(self.uri.clone()).at(self.at);
        let gated = env.resolver.resolve(&self.uri, &table, &ProtocolGate::default()).await?;
        row(self.schema(), &snapshot_info(&gated)?)
    }
}

/// The version `gated` as the schema's `SnapshotInfo`, its identity fingerprint filled in.
pub fn snapshot_info(gated: &GatedTable) -> dfpack_common::Result<SnapshotInfo> {
    let metadata = gated.snapshot.metadata();
    let protocol = &gated.protocol;
    let schema = table_arrow_schema(gated)?;
    let mut info = SnapshotInfo {
        table_root: gated.log_store.root_url().to_string(),
        table_id: metadata.id().to_string(),
        version: gated.version,
        commit_timestamp_ms: gated.commit_time.map(|t| t.timestamp_millis()),
        min_reader_version: protocol.min_reader_version,
        min_writer_version: protocol.min_writer_version,
        reader_features: protocol.effective_reader_features().into_iter().collect(),
        writer_features: protocol.effective_writer_features().into_iter().collect(),
        partition_columns: metadata.partition_columns().to_vec(),
        schema: TableSchemaSpec::try_from(schema.as_ref()).map_err(|e| {
            Error::Delta(format!(
                "the schema of table '{}' at version {} cannot be described: {}",
                gated.name,
                gated.version,
                e.untagged()
            ))
        })?,
        properties: metadata.configuration().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        fingerprint: String::new(),
    };
    info.fingerprint = info.identity_fingerprint()?;
    // What the pack emits is a valid payload of its schema.
    codec::validate(&info).map_err(|e| Error::Internal(format!("delta_snapshot: {}", e.untagged())))?;
    Ok(info)
}

/// One row: each property of `info` in its column.
fn row(schema: SchemaRef, info: &SnapshotInfo) -> dfpack_common::Result<RecordBatch> {
    let schema_json = codec::to_json(&info.schema)?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![info.table_root.as_str()])),
        Arc::new(StringArray::from(vec![info.table_id.as_str()])),
        Arc::new(Int64Array::from(vec![int64(info.version, "version")?])),
        Arc::new(Int64Array::from(vec![info.commit_timestamp_ms])),
        Arc::new(Int32Array::from(vec![info.min_reader_version])),
        Arc::new(Int32Array::from(vec![info.min_writer_version])),
        string_lists([Some(&info.reader_features)]),
        string_lists([Some(&info.writer_features)]),
        string_lists([Some(&info.partition_columns)]),
        Arc::new(StringArray::from(vec![schema_json])),
        string_maps([info.properties.iter().map(|(k, v)| (k, Some(v)))])?,
        Arc::new(StringArray::from(vec![info.fingerprint.as_str()])),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use dfpack_contracts::{ArrowType, SnapshotInfo, TableSchemaSpec, codec};

    use super::super::test_support::{batches, error, rows, session, table, value};

    #[tokio::test(flavor = "multi_thread")]
    async fn a_deletion_vector_table_is_described() {
        let (ctx, _) = session();
        let dv = table("table-with-dv-small");
        let row = &rows(
            &ctx,
            &format!(
                "SELECT version, table_id, min_reader_version, min_writer_version, \
                 array_has(reader_features, 'deletionVectors'), array_to_string(writer_features, ','), \
                 cardinality(partition_columns), properties['delta.enableDeletionVectors'], \
                 commit_timestamp_ms > 1600000000000, length(fingerprint), table_root \
                 FROM delta_snapshot('{dv}')"
            ),
        )
        .await[0];
        assert_eq!(&row[..10], ["1", "testId", "3", "7", "true", "deletionVectors", "0", "true", "true", "64"]);
        let root = url::Url::from_directory_path(std::fs::canonicalize(&dv).expect("the table exists")).expect("a URL");
        assert_eq!(row[10], root.as_str());
        // The schema is a TableSchemaSpec payload.
        let schema = value(&ctx, &format!("SELECT schema FROM delta_snapshot('{dv}')")).await;
        let parsed: TableSchemaSpec = codec::from_json(schema.as_bytes()).expect("a TableSchemaSpec");
        assert_eq!(parsed.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["value"]);
        assert_eq!(parsed.fields[0].r#type, ArrowType::Int32);
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

        // The row is a SnapshotInfo, and the fingerprint its identity fingerprint.
        for uri in [table("table-with-dv-small"), table("delta-0.8.0-partitioned"), simple] {
            let info = row_info(&ctx, &uri).await;
            assert_eq!(info.identity_fingerprint().unwrap(), info.fingerprint, "{uri}");
        }
    }

    /// The row of `delta_snapshot(uri)` decoded as a `SnapshotInfo` payload
    /// (its columns as JSON, the schema column's JSON text in place).
    async fn row_info(ctx: &datafusion::prelude::SessionContext, uri: &str) -> SnapshotInfo {
        let batches = batches(ctx, &format!("SELECT * FROM delta_snapshot('{uri}')")).await.unwrap();
        let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
        writer.write_batches(&batches.iter().collect::<Vec<_>>()).unwrap();
        writer.finish().unwrap();
        let mut rows: serde_json::Value = serde_json::from_slice(&writer.into_inner()).unwrap();
        let row = &mut rows[0];
        row["schema"] = serde_json::from_str(row["schema"].as_str().unwrap()).unwrap();
        codec::from_json(row.to_string().as_bytes()).unwrap_or_else(|e| panic!("{uri}: {e}"))
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
