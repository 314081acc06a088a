//! Reads of the shared real tables through the pack's provider, compared with
//! deltalake-core reading the same tables directly; pruning inside the scan;
//! limits.


use std::collections::BTreeSet;

use crate::common::*;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use dfpack_providers::{CachePolicy, TableReference, TableReferenceExt};
use serde_json::Value;

/// The logical column names of a table, from the newest `metaData` action of its JSON commits.
fn logical_columns(path: &str) -> BTreeSet<String> {
    let log = std::path::Path::new(path).join("_delta_log");
    let mut commits: Vec<_> = std::fs::read_dir(&log)
        .expect("read log")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.file_stem().is_some_and(|s| s.len() == 20))
        .collect();
    commits.sort();
    let mut schema = None;
    for commit in commits {
        for line in std::fs::read_to_string(commit).expect("read").lines().filter(|l| !l.trim().is_empty()) {
            let action: Value = serde_json::from_str(line).expect("json");
            if let Some(meta) = action.get("metaData") {
                schema = Some(meta["schemaString"].as_str().expect("schemaString").to_string());
            }
        }
    }
    let schema: Value = serde_json::from_str(&schema.expect("a metaData action")).expect("schema json");
    schema["fields"].as_array().expect("fields").iter().map(|f| f["name"].as_str().expect("name").to_string()).collect()
}

/// `SELECT * FROM t` through the pack equals deltalake-core's own read of the table.
async fn same_as_deltalake(name: &str) -> Rendered {
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let ours = query(&pack_context(&env, name, &TableReference::local(&path)).await, "SELECT * FROM t").await;
    let reference = query(&reference_context(&path, None).await, "SELECT * FROM t").await;

    assert!(!ours.rows.is_empty(), "{name}: no rows read");
    assert_eq!(ours.columns, reference.columns, "{name}: columns differ from deltalake-core's");
    assert_eq!(ours.rows.len(), reference.rows.len(), "{name}: row counts differ");
    assert_eq!(ours.rows, reference.rows, "{name}: rows differ from deltalake-core's");
    let columns: BTreeSet<String> = ours.columns.iter().cloned().collect();
    assert_eq!(columns, logical_columns(&path), "{name}: not the logical column names of the log's schema");
    assert_eq!(last_scan(&env).table, name);
    ours
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_table_matches_deltalake_and_its_live_parquet_files() {
    let ours = same_as_deltalake("simple_table").await;
    // Independent oracle: the rows of the files the log leaves active (no stats, no DVs).
    let path = table_path("simple_table");
    let adds = active_adds(&path, None);
    assert_eq!(adds.len(), 5, "simple_table's latest version has five live files");
    let ctx = SessionContext::new();
    let mut raw = Vec::new();
    for file in adds.keys() {
        let batches = ctx
            .read_parquet(format!("{path}/{file}"), ParquetReadOptions::default())
            .await
            .expect("read parquet")
            .collect()
            .await
            .expect("collect");
        raw.extend(render(&batches));
    }
    raw.sort();
    assert_eq!(ours.rows, raw);
    assert_eq!(ours.rows, ["5", "7", "9"], "ours: {:?}", ours.rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_table_of_delta_0_8_matches_deltalake() {
    let ours = same_as_deltalake("delta-0.8.0-partitioned").await;
    assert_eq!(ours.rows.len(), 7, "numOutputRows of the one write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_columns_of_several_types_match_deltalake() {
    let ours = same_as_deltalake("delta-2.2.0-partitioned-types").await;
    assert_eq!(ours.rows.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_data_feed_table_matches_deltalake() {
    let ours = same_as_deltalake("cdf-table").await;
    // 10 rows written, Dennis (id 7) deleted at version 3.
    assert_eq!(ours.rows.len(), 9);
    assert!(!ours.rows.iter().any(|r| r.contains("Dennis")), "{:?}", ours.rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn column_mapped_table_shows_logical_names() {
    let ours = same_as_deltalake("table_with_column_mapping").await;
    assert_eq!(ours.rows.len(), 5, "numOutputRows of the one write");
    let mut columns = ours.columns.clone();
    columns.sort();
    assert_eq!(columns, ["Company Very Short", "Super Name"]);
    assert!(ours.columns.iter().all(|c| !c.starts_with("col-")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_rows_of_a_deletion_vector_are_absent() {
    let ours = same_as_deltalake("table-with-dv-small").await;
    // The raw count: every row of the table's parquet data files.
    let path = table_path("table-with-dv-small");
    let ctx = SessionContext::new();
    let mut raw = 0;
    for file in active_adds(&path, None).keys() {
        raw += ctx
            .read_parquet(format!("{path}/{file}"), ParquetReadOptions::default())
            .await
            .expect("read parquet")
            .count()
            .await
            .expect("count");
    }
    assert_eq!(raw, 10);
    assert!(ours.rows.len() < raw, "deletion vector not applied: {} rows of {raw}", ours.rows.len());
    // The DELETE's predicate was `value IN (0, 9)`.
    let mut values: Vec<i64> = ours.rows.iter().map(|r| r.parse().expect("an integer")).collect();
    values.sort();
    assert_eq!(values, (1..=8).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liquid_clustered_table_matches_deltalake() {
    let ours = same_as_deltalake("table_with_liquid_clustering").await;
    assert_eq!(ours.rows.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_checkpoint_table_matches_deltalake() {
    let ours = same_as_deltalake("checkpoint-v2-table").await;
    // 7 files in the v8 checkpoint, one appended at v9; numRecords sums to the rows.
    assert!(ours.rows.len() >= 8, "{}", ours.rows.len());
}

/// The shared copy of this table has its log but none of its four data files
/// (`test%25file%25prefix-part-….parquet` are absent), so rows cannot be compared.
/// What can be: the gate admits it, the schema is the logical one (variant
/// columns included), a query whose predicate excludes every file by its
/// statistics answers without opening any, and a full read fails cleanly, the
/// same way deltalake-core's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variant_table_is_admitted_and_pruned_but_its_data_files_are_missing() {
    let name = "spark-variant-stable-feature-checkpoint";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    let reference = reference_context(&path, None).await;

    let schema_of = |ctx: &SessionContext| {
        let ctx = ctx.clone();
        async move {
            let df = ctx.sql("SELECT * FROM t").await.expect("plan");
            df.schema().fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>()
        }
    };
    let ours = schema_of(&ctx).await;
    assert_eq!(ours, schema_of(&reference).await);
    assert_eq!(ours.iter().cloned().collect::<BTreeSet<_>>(), logical_columns(&path));
    assert!(ours.contains(&"v".to_string()));

    // ids are 0..20000 over four files with disjoint stats: nothing matches, nothing is opened.
    let none = query(&ctx, "SELECT id FROM t WHERE id >= 20000").await;
    assert!(none.rows.is_empty());
    assert_eq!(last_scan(&env).files, 0, "every file should be pruned by its statistics");

    let ours = try_query(&ctx, "SELECT * FROM t").await.expect_err("the data files are absent");
    let theirs = try_query(&reference, "SELECT * FROM t").await.expect_err("the data files are absent");
    for error in [ours.to_string(), theirs.to_string()] {
        assert!(error.contains("test%file%prefix") || error.to_lowercase().contains("not found"), "{error}");
    }
}

/// Partition pruning happens inside `scan`: the scan log counts the files planned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_predicates_prune_files_inside_the_scan() {
    let name = "delta-0.8.0-partitioned";
    let path = table_path(name);
    let adds = active_adds(&path, None);
    let matching = adds
        .values()
        .filter(|a| a["partitionValues"]["year"] == "2021" && a["partitionValues"]["month"] == "12")
        .count();
    assert_eq!((adds.len(), matching), (6, 2), "the log's partition values changed?");

    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    query(&ctx, "SELECT * FROM t").await;
    let full = last_scan(&env);
    assert_eq!(full.files, adds.len() as u64);

    let sql = "SELECT * FROM t WHERE year = '2021' AND month = '12'";
    let filtered = query(&ctx, sql).await;
    let scan = last_scan(&env);
    assert_eq!(scan.files, matching as u64, "files planned for {sql}");
    assert!(scan.files < full.files);
    assert!(scan.bytes < full.bytes);
    assert_eq!(scan.filters.len(), 2, "{:?}", scan.filters);
    let reference = query(&reference_context(&path, None).await, sql).await;
    assert_eq!(filtered, reference);
    assert_eq!(filtered.rows.len(), 3, "two files, one of them with two rows");
    assert!(filtered.rows.iter().all(|r| r.contains("| 2021 | 12 |")), "{:?}", filtered.rows);
}

/// Statistics pruning: cdf-table's live files hold one row each, with min = max = id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_predicates_prune_files_inside_the_scan() {
    let name = "cdf-table";
    let path = table_path(name);
    let adds = active_adds(&path, None);
    let stats = |a: &Value| -> (i64, i64) {
        let s: Value = serde_json::from_str(a["stats"].as_str().expect("stats")).expect("stats json");
        (s["minValues"]["id"].as_i64().expect("min"), s["maxValues"]["id"].as_i64().expect("max"))
    };
    let files_with = |keep: &dyn Fn(i64, i64) -> bool| {
        adds.values()
            .filter(|a| {
                let (lo, hi) = stats(a);
                keep(lo, hi)
            })
            .count() as u64
    };
    let eq3 = files_with(&|lo, hi| lo <= 3 && 3 <= hi);
    let gt8 = files_with(&|_, hi| hi > 8);
    assert_eq!((adds.len(), eq3, gt8), (9, 1, 2));

    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    let reference = reference_context(&path, None).await;
    query(&ctx, "SELECT * FROM t").await;
    let full = last_scan(&env).files;
    assert_eq!(full, 9);

    for (sql, expected_files, expected_rows) in
        [("SELECT * FROM t WHERE id = 3", eq3, 1), ("SELECT * FROM t WHERE id > 8", gt8, 2)]
    {
        let ours = query(&ctx, sql).await;
        let scan = last_scan(&env);
        assert_eq!(scan.files, expected_files, "files planned for {sql}");
        assert!(scan.files < full);
        assert_eq!(ours.rows.len(), expected_rows, "{sql}");
        assert_eq!(ours, query(&reference, sql).await, "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_returns_exactly_the_limit() {
    let name = "cdf-table";
    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(table_path(name))).await;
    for limit in [1usize, 3, 9] {
        let rows = query(&ctx, &format!("SELECT * FROM t LIMIT {limit}")).await;
        assert_eq!(rows.rows.len(), limit);
        assert_eq!(last_scan(&env).limit, Some(limit), "the limit reaches the scan");
    }
    assert_eq!(query(&ctx, "SELECT * FROM t LIMIT 100").await.rows.len(), 9);
    // Each file holds one row: an unfiltered limit opens only the files it needs.
    for limit in [1usize, 3] {
        query(&ctx, &format!("SELECT id FROM t LIMIT {limit}")).await;
        assert_eq!(last_scan(&env).files, limit as u64, "files planned for LIMIT {limit}");
    }
    query(&ctx, "SELECT id FROM t WHERE id > 2").await;
    let filtered = last_scan(&env).files;
    query(&ctx, "SELECT id FROM t WHERE id > 2 LIMIT 1").await;
    assert_eq!(last_scan(&env).files, filtered, "a filtered limit cannot stop at the first files");
    assert!(filtered > 1);
    // Limit after a filter is still exact.
    assert_eq!(query(&ctx, "SELECT * FROM t WHERE id > 2 LIMIT 4").await.rows.len(), 4);
}

/// Pruning by logical names on a column-mapped table: the log holds physical
/// names (`col-…`) in partition values and statistics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn column_mapped_predicates_prune_by_logical_names() {
    let name = "table_with_column_mapping";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    let reference = reference_context(&path, None).await;
    query(&ctx, "SELECT * FROM t").await;
    assert_eq!(last_scan(&env).files, 2);
    for sql in [
        r#"SELECT * FROM t WHERE "Company Very Short" = 'BME'"#,
        r#"SELECT * FROM t WHERE "Super Name" = 'Timothy Lamb'"#,
    ] {
        let ours = query(&ctx, sql).await;
        assert_eq!(ours.rows.len(), 1, "{sql}: {:?}", ours.rows);
        assert!(ours.rows[0].contains("Timothy Lamb") && ours.rows[0].contains("BME"), "{:?}", ours.rows);
        assert_eq!(last_scan(&env).files, 1, "files planned for {sql}");
        assert_eq!(ours, query(&reference, sql).await, "{sql}");
    }
}

/// Typed partition values (an integer partition column) prune too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_partition_values_prune() {
    let name = "delta-2.2.0-partitioned-types";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    let reference = reference_context(&path, None).await;
    for (sql, files) in [
        ("SELECT * FROM t WHERE c1 = 5", 1),
        ("SELECT * FROM t WHERE c1 >= 5", 2),
        ("SELECT * FROM t WHERE c2 = 'z'", 0),
    ] {
        let ours = query(&ctx, sql).await;
        assert_eq!(last_scan(&env).files, files, "files planned for {sql}");
        assert_eq!(ours.rows.len(), files as usize, "{sql}");
        assert_eq!(ours, query(&reference, sql).await, "{sql}");
    }
}

/// Scan options reach deltalake's scan: a file column, dictionary-wrapped
/// partition values and parquet pushdown change the shape, not the rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_options_are_honoured() {
    use dfpack_providers::{ProtocolGate, ScanOptions};
    let name = "delta-0.8.0-partitioned";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let plain = query(&pack_context(&env, name, &TableReference::local(&path)).await, "SELECT * FROM t").await;

    let options = ScanOptions {
        file_column: Some("_file".into()),
        parquet_pushdown: Some(true),
        wrap_partition_values: Some(true),
    };
    let provider =
        env.provider(name, &TableReference::local(&path), &ProtocolGate::default(), &options).await.expect("provider");
    let ctx = SessionContext::new();
    ctx.register_table("t", provider).expect("register");

    let files = query(&ctx, "SELECT DISTINCT _file FROM t").await;
    let adds = active_adds(&path, None);
    assert_eq!(files.rows.len(), adds.len());
    for (row, add) in files.rows.iter().zip(adds.keys()) {
        assert!(row.ends_with(add.as_str()), "{row} is not {add}");
    }
    let with_options = query(&ctx, "SELECT value, year, month, day FROM t").await;
    assert_eq!(with_options.rows, plain.rows);
    let filtered = query(&ctx, "SELECT value FROM t WHERE year = '2020' AND value > '1'").await;
    let reference =
        query(&reference_context(&path, None).await, "SELECT value FROM t WHERE year = '2020' AND value > '1'").await;
    assert_eq!(filtered, reference);

    let schema = ctx.table("t").await.expect("t").schema().clone();
    let year = schema.field_with_unqualified_name("year").expect("year");
    assert!(matches!(year.data_type(), arrow::datatypes::DataType::Dictionary(..)), "{:?}", year.data_type());
}

/// Aggregates the optimizer may answer from statistics must still see deleted rows
/// as deleted (the DV table's file stats say 10 records; 2 are deleted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_and_aggregates_respect_deletion_vectors() {
    let name = "table-with-dv-small";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    let reference = reference_context(&path, None).await;
    for (sql, expected) in [
        ("SELECT count(*) FROM t", "8"),
        ("SELECT count(value) FROM t", "8"),
        ("SELECT min(value), max(value) FROM t", "1 | 8"),
        ("SELECT count(*) FROM t WHERE value >= 0", "8"),
    ] {
        let ours = query(&ctx, sql).await;
        assert_eq!(ours.rows, [expected], "{sql}");
        assert_eq!(ours, query(&reference, sql).await, "{sql}");
    }
    // Counts on other tables, against deltalake-core.
    for name in ["cdf-table", "simple_table", "checkpoint-v2-table", "table_with_liquid_clustering"] {
        let path = table_path(name);
        let ours = query(&pack_context(&env, name, &TableReference::local(&path)).await, "SELECT count(*) FROM t").await;
        let all = query(&pack_context(&env, name, &TableReference::local(&path)).await, "SELECT * FROM t").await;
        assert_eq!(ours.rows, [all.rows.len().to_string()], "{name}");
    }
}

/// The name of the leaf that reads the table's files in `sql`'s physical plan.
async fn scan_kind(ctx: &SessionContext, sql: &str) -> String {
    let plan = ctx.sql(sql).await.expect("plan").create_physical_plan().await.expect("physical plan");
    let mut leaf = plan;
    while let Some(child) = leaf.children().first().map(|c| std::sync::Arc::clone(c)) {
        leaf = child;
    }
    leaf.name().to_string()
}

/// Tables whose reads need no Delta transforms (no column mapping, no deletion
/// vectors, flat columns) are read by a plain parquet scan of the files
/// deltalake chose, and answer exactly as deltalake-core does, whatever the
/// column order, filters and limit; the others keep deltalake's scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_tables_read_through_a_plain_parquet_scan_with_deltalakes_answers() {
    for (name, expected) in [
        ("delta-0.8.0-partitioned", "DataSourceExec"),
        ("delta-2.2.0-partitioned-types", "DataSourceExec"),
        ("simple_table", "DataSourceExec"),
        ("table-with-dv-small", "DeltaScanExec"),
        ("table_with_column_mapping", "DeltaScanExec"),
    ] {
        let env = env(CachePolicy::default());
        let ctx = pack_context(&env, name, &TableReference::local(table_path(name))).await;
        assert_eq!(scan_kind(&ctx, "SELECT * FROM t").await, expected, "{name}");
    }

    let name = "delta-0.8.0-partitioned";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    let reference = reference_context(&path, None).await;
    for sql in [
        // Partition columns first, data column last: the plain scan reorders.
        "SELECT month, year, value FROM t",
        "SELECT day, value FROM t WHERE year = '2020' AND value <> '1'",
        "SELECT count(*), max(value) FROM t WHERE month = '12'",
        "SELECT year, count(*) FROM t GROUP BY year",
    ] {
        let ours = query(&ctx, sql).await;
        assert!(!ours.rows.is_empty(), "{sql}: no rows");
        assert_eq!(ours, query(&reference, sql).await, "{sql}");
    }
    let limited = query(&ctx, "SELECT value FROM t LIMIT 4").await;
    assert_eq!(limited.rows.len(), 4);

    // Partition values of several types (int, date, decimal, bool, string, ...) parse as deltalake's do.
    let name = "delta-2.2.0-partitioned-types";
    let path = table_path(name);
    let ctx = pack_context(&env, name, &TableReference::local(&path)).await;
    let reference = reference_context(&path, None).await;
    let columns = logical_columns(&path).into_iter().rev().collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT {columns} FROM t");
    assert_eq!(query(&ctx, &sql).await, query(&reference, &sql).await, "{sql}");
}

/// A table written here with null and empty partition values of two types,
/// then a column added (older files lack it): the plain scan answers exactly
/// as deltalake-core does, nulls and the missing column included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_scan_reads_null_partitions_and_an_added_column_as_deltalake_does() {
    use arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use deltalake_core::DeltaTable;
    use deltalake_core::operations::write::SchemaMode;
    use deltalake_core::protocol::SaveMode;
    use std::sync::Arc;

    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("t");
    std::fs::create_dir_all(&path).expect("table dir");
    let path = std::fs::canonicalize(&path).expect("canonical").to_string_lossy().into_owned();
    let batch = |columns: Vec<(&str, DataType, ArrayRef)>| {
        let schema = Schema::new(columns.iter().map(|(name, t, _)| Field::new(*name, t.clone(), true)).collect::<Vec<_>>());
        arrow::array::RecordBatch::try_new(Arc::new(schema), columns.into_iter().map(|(_, _, a)| a).collect()).expect("batch")
    };
    let first = batch(vec![
        ("id", DataType::Int64, Arc::new(Int64Array::from(vec![1, 2, 3, 4]))),
        ("p", DataType::Utf8, Arc::new(StringArray::from(vec![Some("x"), None, Some("y"), None]))),
        ("n", DataType::Int32, Arc::new(Int32Array::from(vec![Some(7), Some(7), None, None]))),
    ]);
    let table = DeltaTable::try_from_url(table_url(&path)).await.expect("a new table");
    let table = table
        .write(vec![first])
        .with_partition_columns(["p", "n"])
        .with_save_mode(SaveMode::Append)
        .await
        .expect("first write");
    let second = batch(vec![
        ("id", DataType::Int64, Arc::new(Int64Array::from(vec![5, 6]))),
        ("p", DataType::Utf8, Arc::new(StringArray::from(vec![Some("x"), None]))),
        ("n", DataType::Int32, Arc::new(Int32Array::from(vec![Some(8), None]))),
        ("note", DataType::Utf8, Arc::new(StringArray::from(vec![Some("added"), None]))),
    ]);
    table.write(vec![second]).with_schema_mode(SchemaMode::Merge).await.expect("second write, merging a column");

    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, "evolved", &TableReference::local(&path)).await;
    assert_eq!(scan_kind(&ctx, "SELECT * FROM t").await, "DataSourceExec");
    let reference = reference_context(&path, None).await;
    for (sql, rows) in [
        ("SELECT * FROM t", 6),
        ("SELECT id, note FROM t WHERE note IS NULL", 5),
        ("SELECT id FROM t WHERE p IS NULL", 3),
        ("SELECT id, p FROM t WHERE n IS NULL", 3),
        ("SELECT n, count(*) FROM t GROUP BY n", 3),
        // Partition filters are exact in the scan (the host drops them), nulls included.
        ("SELECT id FROM t WHERE p = 'x' OR n IS NULL", 5),
        ("SELECT id FROM t WHERE n + 1 = 8", 2),
        ("SELECT id FROM t WHERE p IS NOT NULL AND n IS NULL", 1),
        ("SELECT id FROM t WHERE coalesce(p, 'none') = 'none'", 3),
    ] {
        let ours = query(&ctx, sql).await;
        assert_eq!(ours.rows.len(), rows, "{sql}: {:?}", ours.rows);
        assert_eq!(ours, query(&reference, sql).await, "{sql}");
    }
}

/// The plain scan prunes the table's files itself: for partition, statistics
/// and mixed predicates it opens exactly the files deltalake-core's own scan
/// opens, and answers the same rows, with partition values plain or
/// dictionary-wrapped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_scans_open_the_files_deltalake_core_opens() {
    use dfpack_providers::{ProtocolGate, ScanOptions};
    let cases: [(&str, &[&str]); 3] = [
        (
            "delta-0.8.0-partitioned",
            &[
                "SELECT * FROM t WHERE year = '2021'",
                "SELECT * FROM t WHERE year = '2020' OR month = '12'",
                "SELECT * FROM t WHERE month IN ('1', '12') AND value > '3'",
                "SELECT * FROM t WHERE CAST(day AS INT) > 4",
                "SELECT value FROM t WHERE value = '4'",
            ],
        ),
        (
            "delta-2.2.0-partitioned-types",
            &[
                "SELECT * FROM t WHERE c1 < 6 AND c2 <> 'b'",
                "SELECT * FROM t WHERE c3 = 6",
                "SELECT * FROM t WHERE c1 = 4 OR c3 > 5",
            ],
        ),
        (
            "cdf-table",
            &[
                "SELECT * FROM t WHERE id BETWEEN 2 AND 4",
                "SELECT * FROM t WHERE birthday = DATE '2023-12-22' AND id < 5",
                "SELECT * FROM t WHERE name = 'Steve' OR id = 9",
                "SELECT * FROM t WHERE id > 100",
                // Null counts prune too: no file holds a null id.
                "SELECT * FROM t WHERE id IS NULL",
                "SELECT * FROM t WHERE name IS NOT NULL AND id < 3",
            ],
        ),
    ];
    let wrapped = ScanOptions { wrap_partition_values: Some(true), ..ScanOptions::default() };
    for ((name, queries), options) in cases.into_iter().flat_map(|case| [(case, ScanOptions::default()), (case, wrapped.clone())]) {
        let path = table_path(name);
        let env = env(CachePolicy::default());
        let provider =
            env.provider(name, &TableReference::local(&path), &ProtocolGate::default(), &options).await.expect("provider");
        let ctx = SessionContext::new();
        ctx.register_table("t", provider).expect("register");
        let reference = reference_context(&path, None).await;
        assert_eq!(scan_kind(&ctx, "SELECT * FROM t").await, "DataSourceExec", "{name} reads plainly");
        // Twice, the second time in reverse: repeated filter sets are answered
        // from the provider's memory of them, which must keep the same files.
        for sql in queries.iter().chain(queries.iter().rev()) {
            let ours = query(&ctx, sql).await;
            let planned = last_scan(&env).files;
            let native = reference.sql(sql).await.expect("plan").create_physical_plan().await.expect("physical plan");
            let (native_files, _) = dfpack_providers::provider::files_read(&native);
            assert_eq!(planned, native_files, "{name} {options:?}: files planned for {sql}");
            assert_eq!(scan_kind(&ctx, sql).await, "DataSourceExec", "{name}: {sql} reads plainly");
            assert_eq!(ours, query(&reference, sql).await, "{name}: {sql}");
        }
    }
}

/// What `read` finds in the file scan under `sql`'s physical plan, looking
/// through the pack's wrappers.
async fn from_file_scan<T>(
    ctx: &SessionContext,
    sql: &str,
    read: impl Fn(&datafusion::datasource::physical_plan::FileScanConfig) -> Option<T>,
) -> T {
    use datafusion::datasource::physical_plan::FileScanConfig;
    use datafusion::datasource::source::DataSourceExec;
    use datafusion::physical_plan::ExecutionPlan;
    fn find<T>(plan: &dyn ExecutionPlan, read: &dyn Fn(&FileScanConfig) -> Option<T>) -> Option<T> {
        if let Some(exec) = plan.downcast_ref::<DataSourceExec>() {
            return read(exec.data_source().downcast_ref::<FileScanConfig>()?);
        }
        plan.downcast_delegate()
            .and_then(|inner| find(inner, read))
            .or_else(|| plan.children().into_iter().find_map(|child| find(child.as_ref(), read)))
    }
    let plan = ctx.sql(sql).await.expect("plan").create_physical_plan().await.expect("physical plan");
    find(plan.as_ref(), &read).unwrap_or_else(|| panic!("no file scan under {sql}"))
}

/// Whether the parquet reader under `sql`'s scan takes its filters.
async fn parquet_pushdown(ctx: &SessionContext, sql: &str) -> bool {
    use datafusion::datasource::physical_plan::ParquetSource;
    from_file_scan(ctx, sql, |config| {
        let source = config.file_source().downcast_ref::<ParquetSource>()?;
        Some(source.table_parquet_options().global.pushdown_filters)
    })
    .await
}

/// Absent a dataset's `parquet_pushdown`, filters go into the parquet reader
/// as the host's session says (`datafusion.execution.parquet.pushdown_filters`),
/// as for DataFusion's own parquet tables, in the plain scan and in
/// deltalake's; a dataset's choice overrides the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_pushdown_follows_the_session_unless_the_dataset_sets_it() {
    use dfpack_providers::{ProtocolGate, ScanOptions};
    let name = "delta-0.8.0-partitioned";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let sql = "SELECT value FROM t WHERE value = '4'";
    let reference = query(&reference_context(&path, None).await, sql).await;
    for (options, session_off, session_on) in [
        (ScanOptions::default(), false, true),
        (ScanOptions { file_column: Some("_file".into()), ..ScanOptions::default() }, false, true),
        (ScanOptions { parquet_pushdown: Some(true), ..ScanOptions::default() }, true, true),
        (ScanOptions { parquet_pushdown: Some(false), ..ScanOptions::default() }, false, false),
    ] {
        let provider =
            env.provider(name, &TableReference::local(&path), &ProtocolGate::default(), &options).await.expect("provider");
        let ctx = SessionContext::new();
        ctx.register_table("t", provider).expect("register");
        assert_eq!(parquet_pushdown(&ctx, sql).await, session_off, "{options:?}, DataFusion's default session");
        assert_eq!(query(&ctx, sql).await, reference, "{options:?}");
        ctx.sql("SET datafusion.execution.parquet.pushdown_filters = true").await.expect("set").collect().await.expect("set");
        assert_eq!(parquet_pushdown(&ctx, sql).await, session_on, "{options:?}, pushdown_filters = true");
        assert_eq!(query(&ctx, sql).await, reference, "{options:?}");
    }
}

/// Every file a plain scan reads, as (path, byte range) pairs, by partition.
async fn planned_ranges(ctx: &SessionContext, sql: &str) -> Vec<Vec<(String, Option<(i64, i64)>)>> {
    from_file_scan(ctx, sql, |config| {
        let range = |file: &datafusion::datasource::listing::PartitionedFile| file.range.as_ref().map(|r| (r.start, r.end));
        Some(config.file_groups.iter().map(|group| group.files().iter().map(|f| (f.object_meta.location.to_string(), range(f))).collect()).collect())
    })
    .await
}

/// A plain scan spreads whole files over the session's partitions when they
/// come near even (a split file is opened once per range), and splits files
/// into byte ranges when there are fewer files than partitions; either way it
/// reads every row once. (Uneven sizes: the unit test of `whole_file_groups`.)
/// Like DataFusion's own scans, none spreads when `repartition_file_scans` is off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_scans_spread_whole_files_over_partitions_and_split_only_when_needed() {
    use datafusion::physical_plan::ExecutionPlanProperties;
    use datafusion::prelude::SessionConfig;
    let name = "delta-0.8.0-partitioned";
    let path = table_path(name);
    let env = env(CachePolicy::default());
    let provider = env
        .provider(name, &TableReference::local(&path), &dfpack_providers::ProtocolGate::default(), &dfpack_providers::ScanOptions::default())
        .await
        .expect("provider");
    let reference = reference_context(&path, None).await;
    let sql = "SELECT year, month, day, value FROM t";
    let expected = query(&reference, sql).await;
    let all_files = planned_ranges(&pack_context(&env, name, &TableReference::local(&path)).await, sql).await.concat().len();
    assert!(all_files >= 4, "{all_files} files");

    // Small files split as soon as they reach a partition's share (min size 0).
    for (partitions, whole) in [(2, true), (all_files + 2, false)] {
        let config = SessionConfig::new()
            .with_target_partitions(partitions)
            .set_usize("datafusion.optimizer.repartition_file_min_size", 0);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_table("t", provider.clone()).expect("register");
        let groups = planned_ranges(&ctx, sql).await;
        let ranges: Vec<_> = groups.concat();
        if whole {
            assert_eq!(groups.len(), partitions, "{partitions} partitions");
            assert!(ranges.iter().all(|(_, range)| range.is_none()), "whole files: {ranges:?}");
            assert_eq!(ranges.len(), all_files, "each file once: {ranges:?}");
        } else {
            // More partitions than files: files are split into byte ranges.
            assert!(ranges.iter().any(|(_, range)| range.is_some()), "byte ranges: {ranges:?}");
        }
        assert_eq!(query(&ctx, sql).await, expected, "{partitions} partitions");
    }

    // `repartition_file_scans = false` keeps every file of a scan in one
    // partition, plain (this table) or deltalake's (column mapping).
    for name in [name, "table_with_column_mapping"] {
        let config = SessionConfig::new()
            .with_target_partitions(2)
            .set_usize("datafusion.optimizer.repartition_file_min_size", 0)
            .set_bool("datafusion.optimizer.repartition_file_scans", false);
        let ctx = SessionContext::new_with_config(config);
        let provider = env
            .provider(name, &TableReference::local(table_path(name)), &dfpack_providers::ProtocolGate::default(), &dfpack_providers::ScanOptions::default())
            .await
            .expect("provider");
        ctx.register_table("t", provider).expect("register");
        let plan = ctx.sql("SELECT * FROM t").await.expect("plan").create_physical_plan().await.expect("physical plan");
        assert_eq!(plan.output_partitioning().partition_count(), 1, "{name}");
    }
}
