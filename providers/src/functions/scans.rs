//! `pack_delta_scans()`: the pack's recent scans of Delta tables.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use super::args::Args;
use super::columns::{int64s, string_list_type, string_lists};
use super::log_table::{LogRead, LogTable};
use super::{DOC_SECTION, DeltaTableFunction};
use crate::DeltaEnv;
use crate::scans::ScanRecord;

#[derive(Debug)]
pub struct PackDeltaScansFunction {
    env: Arc<DeltaEnv>,
}

const NAME: &str = "pack_delta_scans";

impl PackDeltaScansFunction {
    pub fn new(env: Arc<DeltaEnv>) -> Self {
        PackDeltaScansFunction { env }
    }

    pub fn function(env: Arc<DeltaEnv>) -> DeltaTableFunction {
        DeltaTableFunction { name: NAME, function: Arc::new(Self::new(env)), documentation: Self::documentation() }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            DOC_SECTION,
            "The most recent scans of Delta tables by this pack (up to 256, oldest first), one row per scan as it \
             was planned: its sequence number in this process, the table's name and URI, the version read, how many \
             data files and bytes it was to read after pruning, the filters offered to it, and its limit (NULL when \
             none). Use it to see which version a query read and whether its filters pruned files.",
            "pack_delta_scans()",
        )
        .with_sql_example(
            "```sql\n\
             > SELECT seq, \"table\", version, files, bytes, filters FROM pack_delta_scans() ORDER BY seq DESC LIMIT 5;\n\
             ```",
        )
        .build()
    }
}

impl TableFunctionImpl for PackDeltaScansFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        Args::new(NAME, &[], 0, args.exprs())?;
        Ok(LogTable::provider(ScansRead, Arc::clone(&self.env)))
    }
}

/// The log is read when the table is scanned: a query sees the scans planned before it.
#[derive(Debug, Clone)]
struct ScansRead;

impl LogRead for ScansRead {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("seq", DataType::Int64, false),
            Field::new("table", DataType::Utf8, false),
            Field::new("uri", DataType::Utf8, false),
            Field::new("version", DataType::Int64, false),
            Field::new("files", DataType::Int64, false),
            Field::new("bytes", DataType::Int64, false),
            Field::new("filters", string_list_type(), false),
            Field::new("limit", DataType::Int64, true),
        ]))
    }

    async fn read(self, env: Arc<DeltaEnv>) -> dfpack_common::Result<RecordBatch> {
        let scans: Vec<(u64, ScanRecord)> = env.scans.recent();
        let columns: Vec<ArrayRef> = vec![
            int64s(scans.iter().map(|(seq, _)| *seq), "sequence number")?,
            Arc::new(scans.iter().map(|(_, s)| Some(s.table.as_str())).collect::<StringArray>()),
            Arc::new(scans.iter().map(|(_, s)| Some(s.uri.as_str())).collect::<StringArray>()),
            int64s(scans.iter().map(|(_, s)| s.version), "version")?,
            int64s(scans.iter().map(|(_, s)| s.files), "file count")?,
            int64s(scans.iter().map(|(_, s)| s.bytes), "byte count")?,
            string_lists(scans.iter().map(|(_, s)| Some(&s.filters))),
            Arc::new(
                scans
                    .iter()
                    .map(|(_, s)| s.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
                    .collect::<Int64Array>(),
            ),
        ];
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, rows, session, table};
    use crate::{ProtocolGate, ScanOptions, TableReference, TableReferenceExt};

    #[tokio::test(flavor = "multi_thread")]
    async fn scans_are_listed_as_they_were_planned() {
        let (ctx, env) = session();
        assert!(rows(&ctx, "SELECT * FROM pack_delta_scans()").await.is_empty());

        let uri = table("delta-0.8.0-partitioned");
        let provider = env
            .provider("events", &TableReference::local(&uri), &ProtocolGate::default(), &ScanOptions::default())
            .await
            .expect("a readable table");
        ctx.register_table("events", provider).expect("registered");
        rows(&ctx, "SELECT * FROM events").await;
        rows(&ctx, "SELECT value FROM events WHERE year = '2021' LIMIT 1").await;
        let all_files = rows(&ctx, &format!("SELECT count(*) FROM delta_add_actions('{uri}')")).await;

        let scans = rows(
            &ctx,
            "SELECT seq, \"table\", uri, version, files, bytes > 0, array_to_string(filters, ' AND '), \"limit\" \
             FROM pack_delta_scans() ORDER BY seq",
        )
        .await;
        assert_eq!(scans.len(), 2, "{scans:?}");
        assert_eq!(scans[0][..6], ["1", "events", uri.as_str(), "0", all_files[0][0].as_str(), "true"]);
        assert_eq!((scans[0][6].as_str(), scans[0][7].as_str()), ("", "NULL"));
        assert_eq!(scans[1][..4], ["2", "events", uri.as_str(), "0"]);
        let pruned: usize = scans[1][4].parse().expect("a count");
        assert!(pruned < all_files[0][0].parse().expect("a count"), "{scans:?}");
        // Partition values are dictionary encoded: `year = Dictionary(UInt16, Utf8("2021"))`.
        assert!(scans[1][6].starts_with("year = ") && scans[1][6].contains("\"2021\""), "{scans:?}");
        assert_eq!(scans[1][7], "1");

        let message = error(&ctx, "SELECT * FROM pack_delta_scans(1)").await;
        assert_eq!(message, "Error during planning: pack_delta_scans takes no arguments, got 1");
    }
}
