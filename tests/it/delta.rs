//! The pack's Delta side through the FFI path: a Rust host loading a private
//! copy of `libdfpack.so`, its catalog built from a pack config, compared with
//! deltalake-core reading the same tables natively in this process.
//!
//! The tables are the shared, read-only ones (`/work/shared/delta-tables`);
//! tests that change a table or its files' times work on a temp copy.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use deltalake_core::DeltaTableBuilder;
use dfpack_contracts::{SnapshotInfo, codec};
use dfpack_loader::{ErrorKind, SessionFactory};
use dfpack_tests::{ImageCopy, copy_delta_table, delta_table, pack_image, query_error, rows, session_with_pack_config};
use url::Url;

// ---------------------------------------------------------------- helpers

/// The rows of a query, sorted: for order-insensitive comparisons.
async fn sorted_rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let mut rows = rows(ctx, sql).await;
    rows.sort();
    rows
}

/// The one value of a one-row, one-column query.
async fn value(ctx: &SessionContext, sql: &str) -> String {
    match rows(ctx, sql).await.as_slice() {
        [row] => row.clone(),
        other => panic!("{sql}: expected one row, got {other:?}"),
    }
}

/// The column names of a query's result.
async fn columns(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let frame = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    frame.schema().fields().iter().map(|f| f.name().clone()).collect()
}

/// A `[datasets.<name>]` table of a pack config over `path`, with extra `key = value` lines.
fn dataset(name: &str, path: &Path, extra: &str) -> String {
    format!("[datasets.{name}]\ntable_uri = '{}'\n{extra}\n", path.display())
}

fn url_of(path: &Path) -> Url {
    Url::from_directory_path(path).unwrap_or_else(|()| panic!("{} is not an absolute directory", path.display()))
}

/// The table as deltalake-core reads it natively (in this process, no pack):
/// its column names and its rows, sorted.
async fn native(path: &Path, version: Option<u64>) -> (Vec<String>, Vec<String>) {
    let mut builder = DeltaTableBuilder::from_url(url_of(path)).expect("a table URL");
    if let Some(version) = version {
        builder = builder.with_version(version);
    }
    let table = builder.load().await.unwrap_or_else(|e| panic!("deltalake loads {}: {e}", path.display()));
    let provider = table.table_provider().await.expect("a native table provider");
    let ctx = SessionContext::new();
    ctx.register_table("native", provider).expect("register the native table");
    (columns(&ctx, "SELECT * FROM native").await, sorted_rows(&ctx, "SELECT * FROM native").await)
}

/// Asserts a pack query returns what deltalake-core reads natively.
async fn assert_same_as_native(ctx: &SessionContext, from: &str, path: &Path, version: Option<u64>) {
    let sql = format!("SELECT * FROM {from}");
    let (native_columns, native_rows) = native(path, version).await;
    assert!(!native_rows.is_empty(), "{} has rows", path.display());
    assert_eq!(columns(ctx, &sql).await, native_columns, "{sql}");
    assert_eq!(sorted_rows(ctx, &sql).await, native_rows, "{sql}");
}

/// The active data files of a table at its latest version, replayed from its
/// JSON commits (the tables this is used on have no checkpoints).
fn active_adds(path: &Path) -> BTreeMap<String, serde_json::Value> {
    let log = path.join("_delta_log");
    let mut commits: Vec<_> = std::fs::read_dir(&log)
        .expect("a log")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().contains("checkpoint"))
        .collect();
    commits.sort();
    let mut active = BTreeMap::new();
    for commit in commits {
        for line in BufReader::new(std::fs::File::open(&commit).expect("a commit")).lines() {
            let action: serde_json::Value = serde_json::from_str(&line.expect("a line")).expect("an action");
            if let Some(add) = action.get("add") {
                active.insert(add["path"].as_str().expect("a path").to_string(), add.clone());
            } else if let Some(remove) = action.get("remove") {
                active.remove(remove["path"].as_str().expect("a path"));
            }
        }
    }
    active
}

/// The newest scan the pack recorded: `table|version|files|bytes|limit`.
async fn last_scan(ctx: &SessionContext) -> Vec<String> {
    let row = value(
        ctx,
        "SELECT \"table\", version, files, bytes, \"limit\" FROM pack_delta_scans() ORDER BY seq DESC LIMIT 1",
    )
    .await;
    row.split('|').map(str::to_string).collect()
}

/// Sets the modification time of each commit file `version → time`.
fn set_commit_times(table: &Path, times: &[(u64, SystemTime)]) {
    for (version, time) in times {
        let commit = table.join("_delta_log").join(format!("{version:020}.json"));
        let file = std::fs::File::options().write(true).open(&commit).expect("open a commit");
        file.set_modified(*time).expect("set its modification time");
    }
}

fn at(rfc3339: &str) -> SystemTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time").into()
}

// ---------------------------------------------------------------- reads

/// Every shape of table the pack reads gives deltalake-core's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasets_read_the_same_rows_as_deltalake_core() {
    let tables = [
        ("people", "delta-0.8.0-partitioned"),
        ("with_dv", "table-with-dv-small"),
        ("mapped", "table_with_column_mapping"),
        ("checkpointed", "checkpoint-v2-table"),
        ("typed_partitions", "delta-2.2.0-partitioned-types"),
    ];
    let config: String = tables.iter().map(|(name, table)| dataset(name, &delta_table(table), "")).collect();
    let (ctx, _image) = session_with_pack_config(&config);
    for (name, table) in tables {
        assert_same_as_native(&ctx, &format!("delta.default.{name}"), &delta_table(table), None).await;
    }

    // Deletion vectors are applied: 10 records were written, 2 deleted.
    let dv = delta_table("table-with-dv-small");
    let written = value(&ctx, &format!("SELECT sum(num_records) FROM delta_add_actions('{}')", dv.display())).await;
    assert_eq!(written, "10");
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.with_dv").await, "8");
    // The version before the deletion still has all ten.
    let before = format!("read_delta('{}', 0)", dv.display());
    assert_eq!(value(&ctx, &format!("SELECT count(*) FROM {before}")).await, "10");

    // Column mapping: the logical names, never the physical `col-…` ones.
    let mapped = columns(&ctx, "SELECT * FROM delta.default.mapped").await;
    assert!(mapped.iter().all(|c| !c.starts_with("col-")), "{mapped:?}");
    let physical = value(
        &ctx,
        &format!("SELECT schema FROM delta_snapshot('{}')", delta_table("table_with_column_mapping").display()),
    )
    .await;
    for column in &mapped {
        assert!(physical.contains(&format!("\"name\":\"{column}\"")), "{column} in {physical}");
    }
    assert!(physical.contains("delta.columnMapping.physicalName"), "{physical}");

    // Partition values come back typed as the table declares them.
    let people = sorted_rows(&ctx, "SELECT DISTINCT year FROM delta.default.people").await;
    assert_eq!(people, ["2020", "2021"]);
}

/// `SELECT …` on one dataset, `read_delta` and a function: what each runtime test runs.
async fn read_through_the_pack(ctx: &SessionContext) {
    assert_same_as_native(ctx, "delta.default.people", &delta_table("delta-0.8.0-partitioned"), None).await;
    assert_same_as_native(ctx, "delta.default.with_dv", &delta_table("table-with-dv-small"), None).await;
    let simple = delta_table("simple_table");
    assert_same_as_native(ctx, &format!("read_delta('{}', 2)", simple.display()), &simple, Some(2)).await;
    assert_eq!(value(ctx, &format!("SELECT version FROM delta_snapshot('{}')", simple.display())).await, "4");
}

fn runtime_config() -> String {
    dataset("people", &delta_table("delta-0.8.0-partitioned"), "")
        + &dataset("with_dv", &delta_table("table-with-dv-small"), "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_work_on_a_multi_thread_host() {
    let (ctx, _image) = session_with_pack_config(&runtime_config());
    read_through_the_pack(&ctx).await;
}

#[tokio::test(flavor = "current_thread")]
async fn reads_work_on_a_current_thread_host() {
    let (ctx, _image) = session_with_pack_config(&runtime_config());
    read_through_the_pack(&ctx).await;
}

/// A host without a runtime of its own: the session is built on a plain
/// thread, and every query runs on a runtime made for it and then dropped.
#[test]
fn reads_work_from_a_plain_thread_with_a_runtime_per_query() {
    std::thread::spawn(|| {
        let (ctx, _image) = session_with_pack_config(&runtime_config());
        for _ in 0..2 {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(read_through_the_pack(&ctx));
            drop(runtime);
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            let count = runtime.block_on(value(&ctx, "SELECT count(*) FROM delta.default.people"));
            assert_eq!(count, "7");
        }
    })
    .join()
    .expect("the plain thread's queries succeed");
}

// ---------------------------------------------------------------- the protocol gate

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_refuses_by_name_and_the_session_goes_on() {
    let widening = delta_table("type-widening");
    let simple = delta_table("simple_table");
    let config = dataset("widened", &widening, "")
        + &dataset("widened_v0", &widening, "version = 0")
        + &dataset("unknown_feature", &delta_table("simple_table_features"), "")
        + &dataset("wants_dv", &simple, "gate = { required_reader_features = [\"deletionVectors\"] }")
        + &dataset("simple", &simple, "");
    let (ctx, _image) = session_with_pack_config(&config);
    let simple_count = native(&simple, None).await.1.len().to_string();

    // Refused datasets are still listed and described.
    let tables = sorted_rows(
        &ctx,
        "SELECT table_name, table_type FROM information_schema.tables \
         WHERE table_catalog = 'delta' AND table_schema = 'default'",
    )
    .await;
    assert_eq!(
        tables,
        [
            "simple|BASE TABLE",
            "unknown_feature|BASE TABLE",
            "wants_dv|BASE TABLE",
            "widened_v0|BASE TABLE",
            "widened|BASE TABLE"
        ]
    );
    let shown = rows(&ctx, "SHOW TABLES").await;
    assert!(shown.contains(&"delta|default|widened|BASE TABLE".to_string()), "{shown:?}");
    let described = rows(&ctx, "DESCRIBE delta.default.widened").await;
    let names: Vec<&str> = described.iter().map(|row| row.split('|').next().unwrap_or_default()).collect();
    assert!(names.starts_with(&["byte_long", "int_long", "float_double"]), "{described:?}");
    // At version 2 the columns are widened: byte → long.
    assert!(described[0].starts_with("byte_long|Int64|"), "{described:?}");

    let refused = query_error(&ctx, "SELECT * FROM delta.default.widened").await;
    assert!(refused.contains("[dfpack:protocol_gate]"), "{refused}");
    assert!(refused.contains("typeWidening-preview"), "{refused}");
    assert!(refused.contains("table 'widened'") && refused.contains("at version 2"), "{refused}");
    assert_eq!(ErrorKind::find_in(&refused), Some(ErrorKind::ProtocolGate), "{refused}");
    // The session goes on.
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.simple").await, simple_count);

    // Version 0, before the widening, is read.
    assert_same_as_native(&ctx, "delta.default.widened_v0", &widening, Some(0)).await;
    let v0 = rows(&ctx, "DESCRIBE delta.default.widened_v0").await;
    assert!(v0[0].starts_with("byte_long|Int8|"), "{v0:?}");

    let unknown = query_error(&ctx, "SELECT count(*) FROM delta.default.unknown_feature").await;
    assert!(unknown.contains("[dfpack:protocol_gate]") && unknown.contains("blahabl"), "{unknown}");
    assert!(unknown.contains("table 'unknown_feature'"), "{unknown}");
    assert!(unknown.contains("reader version 5 is newer than this pack reads"), "{unknown}");
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.simple").await, simple_count);

    let wants_dv = query_error(&ctx, "SELECT id FROM delta.default.wants_dv").await;
    assert!(wants_dv.contains("[dfpack:protocol_gate]"), "{wants_dv}");
    assert!(wants_dv.contains("required reader features absent: deletionVectors"), "{wants_dv}");
    assert!(wants_dv.contains("table 'wants_dv'") && wants_dv.contains("at version 4"), "{wants_dv}");
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.simple").await, simple_count);

    // read_delta holds a table to the same (default) gate.
    let by_path = query_error(&ctx, &format!("SELECT * FROM read_delta('{}')", widening.display())).await;
    assert!(by_path.contains("[dfpack:protocol_gate]") && by_path.contains("typeWidening-preview"), "{by_path}");
    assert_eq!(value(&ctx, &format!("SELECT count(*) FROM read_delta('{}', 0)", widening.display())).await, "1");
}

// ---------------------------------------------------------------- pruning

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_filters_prune_files_through_ffi() {
    let path = delta_table("delta-0.8.0-partitioned");
    let (ctx, _image) = session_with_pack_config(&dataset("people", &path, ""));
    let adds = active_adds(&path);
    let in_2021 = adds.values().filter(|add| add["partitionValues"]["year"] == "2021").count();
    assert_eq!(in_2021, 3);
    // delta_add_actions says the same.
    let listed = value(
        &ctx,
        &format!(
            "SELECT count(*) FROM delta_add_actions('{}') WHERE partition_values['year'] = '2021'",
            path.display()
        ),
    )
    .await;
    assert_eq!(listed, in_2021.to_string());

    let all = rows(&ctx, "SELECT * FROM delta.default.people").await;
    let unfiltered = last_scan(&ctx).await;
    assert_eq!(unfiltered[..3], ["people", "0", &adds.len().to_string()], "{unfiltered:?}");
    let all_bytes: u64 = adds.values().map(|add| add["size"].as_u64().expect("a size")).sum();
    assert_eq!(unfiltered[3], all_bytes.to_string());

    let filtered = rows(&ctx, "SELECT * FROM delta.default.people WHERE year = '2021'").await;
    let pruned = last_scan(&ctx).await;
    assert_eq!(pruned[..3], ["people", "0", &in_2021.to_string()], "{pruned:?}");
    let bytes_2021: u64 = adds
        .values()
        .filter(|add| add["partitionValues"]["year"] == "2021")
        .map(|add| add["size"].as_u64().expect("a size"))
        .sum();
    assert_eq!(pruned[3], bytes_2021.to_string());
    assert!(in_2021 < adds.len());
    assert!(!filtered.is_empty() && filtered.len() < all.len(), "{filtered:?}");
    let year_index = columns(&ctx, "SELECT * FROM delta.default.people")
        .await
        .iter()
        .position(|c| c == "year")
        .expect("a year column");
    assert!(filtered.iter().all(|row| row.split('|').nth(year_index) == Some("2021")), "{filtered:?}");

    // A table created at run time is pruned the same way.
    ctx.sql(&format!("CREATE EXTERNAL TABLE people_sql STORED AS DELTATABLE LOCATION '{}'", path.display()))
        .await
        .expect("CREATE EXTERNAL TABLE");
    assert_eq!(sorted_rows(&ctx, "SELECT * FROM people_sql WHERE year = '2021'").await, {
        let mut filtered = filtered.clone();
        filtered.sort();
        filtered
    });
    assert_eq!(last_scan(&ctx).await[..3], ["people_sql", "0", &in_2021.to_string()]);

    let limited = rows(&ctx, "SELECT * FROM delta.default.people LIMIT 2").await;
    assert_eq!(limited.len(), 2);
    assert!(limited.iter().all(|row| all.contains(row)), "{limited:?}");
    let scan = last_scan(&ctx).await;
    assert_eq!((scan[0].as_str(), scan[4].as_str()), ("people", "2"), "the limit reached the scan: {scan:?}");
}

/// datafusion-ffi 55.2 exports every table a table function returns as
/// "cannot support filter pushdown"; the pack's own export answers for its
/// tables, so filters reach `read_delta`'s scan and prune files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_delta_prunes_partitions_through_ffi() {
    let path = delta_table("delta-0.8.0-partitioned");
    let (ctx, _image) = session_with_pack_config("");
    let filtered = rows(&ctx, &format!("SELECT * FROM read_delta('{}') WHERE year = '2021'", path.display())).await;
    assert_eq!(filtered.len(), 4);
    let scan = last_scan(&ctx).await;
    assert_eq!(scan[2], "3", "3 of 6 files hold year 2021: {scan:?}");
    let explain = format!("EXPLAIN SELECT * FROM read_delta('{}') WHERE year = '2021'", path.display());
    let explained = rows(&ctx, &explain).await.join("\n");
    assert!(!explained.contains("FilterExec"), "a partition filter is exact, the host drops it:\n{explained}");
}

/// The pack decodes filters with its own functions: one on a function only the
/// host has is left to the host, which applies it above a scan of every file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_on_a_host_only_function_is_applied_by_the_host() {
    let path = delta_table("delta-0.8.0-partitioned");
    let (ctx, _image) = session_with_pack_config(&dataset("people", &path, ""));
    ctx.register_udf(create_udf(
        "host_tag",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| Ok(args[0].clone())),
    ));
    let expected = sorted_rows(&ctx, "SELECT * FROM delta.default.people WHERE year = '2021'").await;
    assert_eq!(expected.len(), 4);
    let through_host = sorted_rows(&ctx, "SELECT * FROM delta.default.people WHERE host_tag(year) = '2021'").await;
    assert_eq!(through_host, expected);
    let scan = last_scan(&ctx).await;
    assert_eq!(scan[2], active_adds(&path).len().to_string(), "the pack could not prune with it: {scan:?}");
    let newest_filters = "SELECT array_to_string(filters, ';') FROM pack_delta_scans() ORDER BY seq DESC LIMIT 1";
    assert!(!value(&ctx, newest_filters).await.contains("host_tag"), "the pack never saw the host's function");
}

/// The pack's scan plans with the host's config (here: into how many
/// partitions it spreads a table's files).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_config_reaches_the_packs_scan() {
    let path = delta_table("delta-0.8.0-partitioned");
    let (ctx, _image) = session_with_pack_config(&dataset("people", &path, ""));
    // Small files are spread too, so the partition count follows the setting.
    ctx.sql("SET datafusion.optimizer.repartition_file_min_size = 1").await.expect("SET");
    for partitions in [1, 3] {
        ctx.sql(&format!("SET datafusion.execution.target_partitions = {partitions}")).await.expect("SET");
        let frame = ctx.sql("SELECT * FROM delta.default.people").await.expect("plan");
        let mut plan = frame.create_physical_plan().await.expect("physical plan");
        while let Some(child) = plan.children().first() {
            plan = Arc::clone(child);
        }
        assert_eq!(plan.properties().output_partitioning().partition_count(), partitions, "{}", plan.name());
    }
}

// ---------------------------------------------------------------- time travel

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_reads_the_same_by_dataset_read_delta_and_deltalake() {
    let simple = delta_table("simple_table");
    let (ctx, _image) = session_with_pack_config(&dataset("simple_v2", &simple, "version = 2"));
    assert_same_as_native(&ctx, "delta.default.simple_v2", &simple, Some(2)).await;
    assert_same_as_native(&ctx, &format!("read_delta('{}', 2)", simple.display()), &simple, Some(2)).await;
    assert_eq!(
        sorted_rows(&ctx, "SELECT * FROM delta.default.simple_v2").await,
        sorted_rows(&ctx, &format!("SELECT * FROM read_delta('{}', 2)", simple.display())).await
    );
    assert_eq!(last_scan(&ctx).await[1], "2");
    // The latest version differs, so the version mattered.
    assert_ne!(native(&simple, None).await.1, native(&simple, Some(2)).await.1);
    let missing = query_error(&ctx, &format!("SELECT * FROM read_delta('{}', 99)", simple.display())).await;
    assert!(missing.contains("[dfpack:delta]") && missing.contains("has no version 99"), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timestamp_reads_the_newest_version_committed_by_then() {
    let copy = copy_delta_table("simple_table");
    set_commit_times(
        copy.path(),
        &[
            (0, at("2024-01-01T00:00:00Z")),
            (1, at("2024-01-02T00:00:00Z")),
            (2, at("2024-01-03T00:00:00Z")),
            (3, at("2024-01-04T00:00:00Z")),
            (4, at("2024-01-05T00:00:00Z")),
        ],
    );
    let between = "2024-01-02T12:00:00Z";
    let config = dataset("then", copy.path(), &format!("timestamp = \"{between}\""))
        + &dataset("by_date", copy.path(), "timestamp = \"2024-01-04\"");
    let (ctx, _image) = session_with_pack_config(&config);
    let version_1 = native(copy.path(), Some(1)).await.1;
    assert_ne!(version_1, native(copy.path(), Some(2)).await.1);

    let read = sorted_rows(&ctx, &format!("SELECT * FROM read_delta('{}', '{between}')", copy.path().display())).await;
    assert_eq!(read, version_1);
    assert_eq!(last_scan(&ctx).await[1], "1");
    assert_eq!(sorted_rows(&ctx, "SELECT * FROM delta.default.then").await, version_1);
    assert_eq!(last_scan(&ctx).await[..2], ["then", "1"]);
    // A date is midnight UTC: version 3 was committed exactly then.
    assert_eq!(sorted_rows(&ctx, "SELECT * FROM delta.default.by_date").await, native(copy.path(), Some(3)).await.1);
    assert_eq!(last_scan(&ctx).await[..2], ["by_date", "3"]);

    let snapshot = value(
        &ctx,
        &format!(
            "SELECT version, commit_timestamp_ms FROM delta_snapshot('{}', 1)",
            copy.path().display()
        ),
    )
    .await;
    // 2024-01-02T00:00:00Z in milliseconds.
    assert_eq!(snapshot, "1|1704153600000");
    let early =
        query_error(&ctx, &format!("SELECT * FROM read_delta('{}', '2023-12-31T00:00:00Z')", copy.path().display())).await;
    assert!(early.contains("[dfpack:delta]"), "{early}");
}

// ---------------------------------------------------------------- the snapshot cache

/// Appends rows with `id`s to a copy of simple_table, natively.
async fn append_ids(table: &Path, ids: Vec<i64>) -> u64 {
    let table = DeltaTableBuilder::from_url(url_of(table)).expect("a URL").load().await.expect("the table loads");
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(ids))]).expect("a batch");
    let written = table.write(vec![batch]).await.expect("deltalake appends");
    written.version().expect("a version")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_is_seen_and_a_pinned_version_is_not() {
    let copy = copy_delta_table("simple_table");
    let config = dataset("live", copy.path(), "") + &dataset("pinned", copy.path(), "version = 4");
    let (ctx, _image) = session_with_pack_config(&config);
    let at_4 = native(copy.path(), Some(4)).await.1;
    let count_4 = at_4.len();
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.live").await, count_4.to_string());
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.pinned").await, count_4.to_string());
    ctx.sql(&format!("CREATE EXTERNAL TABLE registered STORED AS DELTATABLE LOCATION '{}'", copy.path().display()))
        .await
        .expect("CREATE EXTERNAL TABLE");
    assert_eq!(value(&ctx, "SELECT count(*) FROM registered").await, count_4.to_string());

    assert_eq!(append_ids(copy.path(), vec![1000, 1001, 1002]).await, 5);

    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.live").await, (count_4 + 3).to_string());
    assert_eq!(last_scan(&ctx).await[..2], ["live", "5"]);
    let new_rows = sorted_rows(&ctx, "SELECT id FROM delta.default.live WHERE id >= 1000").await;
    assert_eq!(new_rows, ["1000", "1001", "1002"]);
    assert_eq!(sorted_rows(&ctx, "SELECT * FROM delta.default.live").await, native(copy.path(), None).await.1);
    assert_eq!(sorted_rows(&ctx, "SELECT * FROM delta.default.pinned").await, at_4);
    assert_eq!(last_scan(&ctx).await[..2], ["pinned", "4"]);
    // A table registered at run time follows the table too.
    assert_eq!(value(&ctx, "SELECT count(*) FROM registered").await, (count_4 + 3).to_string());
    // And so do the functions.
    let latest = value(&ctx, &format!("SELECT version FROM delta_snapshot('{}')", copy.path().display())).await;
    assert_eq!(latest, "5");

    // A second commit: seen again (the cache replays only the new one).
    assert_eq!(append_ids(copy.path(), vec![2000]).await, 6);
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.live").await, (count_4 + 4).to_string());
    assert_eq!(last_scan(&ctx).await[..2], ["live", "6"]);
    assert_eq!(value(&ctx, "SELECT count(*) FROM delta.default.pinned").await, count_4.to_string());
}

// ---------------------------------------------------------------- CREATE EXTERNAL TABLE

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_external_table_registers_a_gated_delta_table() {
    let simple = delta_table("simple_table");
    let (ctx, _image) = session_with_pack_config(&dataset("configured", &simple, ""));
    ctx.sql(&format!("CREATE EXTERNAL TABLE simple STORED AS DELTATABLE LOCATION '{}'", simple.display()))
        .await
        .expect("CREATE EXTERNAL TABLE");
    assert_same_as_native(&ctx, "simple", &simple, None).await;
    assert_eq!(last_scan(&ctx).await[..2], ["simple", "4"]);

    // The default gate applies to a table created at run time: refused at CREATE.
    let widening = delta_table("type-widening");
    let refused =
        query_error(&ctx, &format!("CREATE EXTERNAL TABLE widened STORED AS DELTATABLE LOCATION '{}'", widening.display()))
            .await;
    assert!(refused.contains("[dfpack:protocol_gate]") && refused.contains("typeWidening-preview"), "{refused}");
    assert!(refused.contains("at version 2"), "{refused}");
    let unregistered = query_error(&ctx, "SELECT * FROM widened").await;
    assert!(unregistered.contains("widened") && unregistered.contains("not found"), "{unregistered}");

    // A bad option is a config error naming it; nothing is registered.
    let bad = query_error(
        &ctx,
        &format!(
            "CREATE EXTERNAL TABLE bad STORED AS DELTATABLE LOCATION '{}' OPTIONS ('colour' 'red')",
            simple.display()
        ),
    )
    .await;
    assert!(bad.contains("[dfpack:config]") && bad.contains("colour") && bad.contains("unknown option"), "{bad}");
    assert!(query_error(&ctx, "SELECT * FROM bad").await.contains("not found"));
    let missing = query_error(&ctx, "CREATE EXTERNAL TABLE gone STORED AS DELTATABLE LOCATION '/no/such/delta/table'").await;
    assert!(missing.contains("[dfpack:delta]") && missing.contains("/no/such/delta/table"), "{missing}");

    // In the pack's catalog, beside the configured datasets.
    ctx.sql(&format!("CREATE EXTERNAL TABLE delta.default.t2 STORED AS DELTATABLE LOCATION '{}'", simple.display()))
        .await
        .expect("CREATE EXTERNAL TABLE in the delta catalog");
    let shown = rows(&ctx, "SHOW TABLES").await;
    for table in
        ["delta|default|t2|BASE TABLE", "delta|default|configured|BASE TABLE", "datafusion|public|simple|BASE TABLE"]
    {
        assert!(shown.contains(&table.to_string()), "{table} in {shown:?}");
    }
    assert_same_as_native(&ctx, "delta.default.t2", &simple, None).await;
    // A configured dataset cannot be replaced at run time.
    let taken = query_error(
        &ctx,
        &format!("CREATE EXTERNAL TABLE delta.default.configured STORED AS DELTATABLE LOCATION '{}'", simple.display()),
    )
    .await;
    assert!(taken.contains("'delta.default.configured' already exists"), "{taken}");
    // The session still works after the failures.
    assert_eq!(
        value(&ctx, "SELECT count(*) FROM delta.default.configured").await,
        native(&simple, None).await.1.len().to_string()
    );
}

/// The options as SQL writes them. DataFusion's SQL planner renames every
/// option key without a dot to `format.<key>` (datafusion-sql 55.2
/// `parse_options_map`), so this is also what proves the factory reads
/// `format.version` as `version`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_external_table_options_pick_the_version_and_the_gate() {
    let simple = delta_table("simple_table");
    let (ctx, _image) = session_with_pack_config("");
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE simple_v2 STORED AS DELTATABLE LOCATION '{}' OPTIONS ('version' '2')",
        simple.display()
    ))
    .await
    .expect("CREATE EXTERNAL TABLE with a version");
    assert_same_as_native(&ctx, "simple_v2", &simple, Some(2)).await;
    assert_eq!(last_scan(&ctx).await[..2], ["simple_v2", "2"]);

    let refused = query_error(
        &ctx,
        &format!(
            "CREATE EXTERNAL TABLE wants_dv STORED AS DELTATABLE LOCATION '{}' \
             OPTIONS ('required_reader_features' 'deletionVectors')",
            simple.display()
        ),
    )
    .await;
    assert!(refused.contains("[dfpack:protocol_gate]"), "{refused}");
    assert!(refused.contains("required reader features absent: deletionVectors"), "{refused}");

    let dv = delta_table("table-with-dv-small");
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE with_dv STORED AS DELTATABLE LOCATION '{}' \
         OPTIONS ('required_reader_features' 'deletionVectors')",
        dv.display()
    ))
    .await
    .expect("the table has deletion vectors");
    assert_eq!(value(&ctx, "SELECT count(*) FROM with_dv").await, "8");

    let bad = query_error(
        &ctx,
        &format!(
            "CREATE EXTERNAL TABLE bad STORED AS DELTATABLE LOCATION '{}' OPTIONS ('colour' 'red')",
            simple.display()
        ),
    )
    .await;
    assert!(bad.contains("[dfpack:config]") && bad.contains("option 'colour': unknown option"), "{bad}");
}

// ---------------------------------------------------------------- config errors

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_with_errors_lists_every_one_and_registers_nothing() {
    let simple = delta_table("simple_table");
    let bad = format!(
        "[cache]\nrefresh = 'sometimes'\n\n\
         [datasets.a]\ntable_uri = '{}'\nversion = 'two'\n\n\
         [datasets.b]\ntable_uri = 'ftp://host/t'\n",
        simple.display()
    );
    let copy = ImageCopy::of(&pack_image());
    let pack = copy.load();
    let Err(error) = SessionFactory::new().with_pack(Arc::clone(&pack)).with_pack_config(bad.clone()).build() else {
        panic!("a config with three errors builds no session");
    };
    assert_eq!(error.kind(), ErrorKind::Config);
    let message = error.to_string();
    assert!(message.starts_with("[dfpack:config] "), "{message}");
    assert!(message.contains("3 errors, nothing was registered"), "{message}");
    for path in [
        "cache.refresh: expected one of",
        "datasets.a.version: expected a non-negative integer",
        "datasets.b.table_uri: scheme 'ftp'",
    ] {
        assert!(message.contains(path), "{path} in {message}");
    }
    assert_eq!(message.matches("[dfpack:").count(), 1, "one error: {message}");

    // Installing into an existing session with that config changes nothing.
    let ctx = SessionContext::new();
    let before: Vec<String> = ctx.state().table_functions().keys().cloned().collect();
    let error = pack.install_with_config(&ctx, &bad).expect_err("three errors");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(ctx.catalog("delta").is_none());
    assert!(ctx.table_factory("DELTATABLE").is_none());
    let after: Vec<String> = ctx.state().table_functions().keys().cloned().collect();
    assert_eq!(before.len(), after.len(), "no function was registered");
    assert!(ctx.sql("SELECT stable_hash64('x')").await.is_err(), "no scalar function was registered");

    // A good config afterwards works, on the same session and on a new one.
    let good = dataset("a", &simple, "version = 2");
    pack.install_with_config(&ctx, &good).expect("a good config installs");
    assert_eq!(
        value(&ctx, "SELECT count(*) FROM delta.default.a").await,
        native(&simple, Some(2)).await.1.len().to_string()
    );
    let fresh = SessionFactory::new().with_pack(pack).with_pack_config(good).build().expect("a good config");
    assert_eq!(
        value(&fresh, "SELECT count(*) FROM delta.default.a").await,
        native(&simple, Some(2)).await.1.len().to_string()
    );
}

// ---------------------------------------------------------------- storage options

/// A one-request HTTP server standing in for S3: answers 403 and reports the
/// request line and Host header it received.
fn fake_s3() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
            let mut request_line = String::new();
            reader.read_line(&mut request_line).ok();
            let mut host = String::new();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some(value) = header.strip_prefix("host: ").or_else(|| header.strip_prefix("Host: ")) {
                    host = value.trim().to_string();
                }
            }
            let body = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>dfpack test</Message></Error>";
            let response = format!(
                "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).ok();
            if sender.send((request_line.trim().to_string(), host)).is_err() {
                break;
            }
        }
    });
    (endpoint, received)
}

fn s3_dataset(endpoint: &str) -> String {
    format!(
        "[datasets.remote]\ntable_uri = 's3://dfpack-test-bucket/t'\n\
         storage_options = {{ AWS_ENDPOINT_URL = '{endpoint}', AWS_ALLOW_HTTP = 'true', AWS_REGION = 'us-east-1', \
         AWS_ACCESS_KEY_ID = 'x', AWS_SECRET_ACCESS_KEY = 'y', max_retries = '0', retry_timeout = '1s' }}\n"
    )
}

/// The storage options build the S3 client: its first request reaches the
/// endpoint they name, for the bucket and prefix of the table URI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_options_configure_the_object_store() {
    let (endpoint, received) = fake_s3();
    let (ctx, _image) = session_with_pack_config(&s3_dataset(&endpoint));
    let started = Instant::now();
    let message = query_error(&ctx, "SELECT * FROM delta.default.remote").await;
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    assert!(message.contains("[dfpack:delta]"), "{message}");
    assert!(message.contains(&endpoint), "the endpoint in {message}");
    assert!(message.contains("403") || message.contains("AccessDenied"), "{message}");
    assert!(!message.contains("No suitable object store"), "{message}");

    let (request, host) = received.recv_timeout(Duration::from_secs(5)).expect("the S3 client called the endpoint");
    assert!(request.starts_with("GET /dfpack-test-bucket"), "{request}");
    assert!(request.contains("prefix=t%2F_delta_log%2F"), "{request}");
    assert_eq!(host, endpoint.trim_start_matches("http://"));
    // The refusal is per query: the session goes on.
    assert_eq!(value(&ctx, "SELECT 1 + 1").await, "2");
}

/// An endpoint nobody listens on: the query fails with a `delta` error naming
/// the endpoint, bounded by object_store's retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_naming_it() {
    let (ctx, _image) = session_with_pack_config(&s3_dataset("http://127.0.0.1:1"));
    let started = Instant::now();
    let message = query_error(&ctx, "SELECT * FROM delta.default.remote").await;
    let elapsed = started.elapsed();
    assert!(message.contains("[dfpack:delta]"), "{message}");
    assert!(message.contains("cannot list the Delta log of 's3://dfpack-test-bucket/t'"), "{message}");
    assert!(message.contains("http://127.0.0.1:1/dfpack-test-bucket"), "{message}");
    assert!(message.contains("error sending request"), "{message}");
    assert!(!message.contains("No suitable object store"), "{message}");
    // object_store's default retries (10, randomised backoff) end within seconds in practice.
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}: {message}");
    assert_eq!(value(&ctx, "SELECT 1 + 1").await, "2");
}

/// The retry options deltalake parses (`max_retries`, `retry_timeout`,
/// `backoff_config.*`) reach the S3 client: `max_retries = '0'` fails at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_storage_options_reach_the_object_store() {
    let (ctx, _image) = session_with_pack_config(&s3_dataset("http://127.0.0.1:1"));
    let started = Instant::now();
    let message = query_error(&ctx, "SELECT * FROM delta.default.remote").await;
    assert!(message.contains("http://127.0.0.1:1/dfpack-test-bucket"), "{message}");
    assert!(!message.contains("retries"), "max_retries = '0' means no retry: {message}");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}: {message}", started.elapsed());
}

// ---------------------------------------------------------------- introspection

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_functions_describe_a_table_through_ffi() {
    let (ctx, _image) = session_with_pack_config("");
    let simple = delta_table("simple_table");
    let uri = simple.display().to_string();

    let snapshot = value(
        &ctx,
        &format!(
            "SELECT version, table_id, min_reader_version, min_writer_version, \
             array_to_string(writer_features, ','), cardinality(partition_columns), table_root, length(fingerprint) \
             FROM delta_snapshot('{uri}')"
        ),
    )
    .await;
    assert_eq!(
        snapshot,
        format!("4|5fba94ed-9794-4965-ba6e-6ee3c0d22af9|1|2|appendOnly,invariants|0|{}|64", url_of(&simple))
    );
    let fingerprints = sorted_rows(
        &ctx,
        &format!(
            "SELECT fingerprint FROM delta_snapshot('{uri}') UNION SELECT fingerprint FROM delta_snapshot('{uri}/', 4)"
        ),
    )
    .await;
    assert_eq!(fingerprints.len(), 1, "one version, one fingerprint: {fingerprints:?}");

    // The row is a SnapshotInfo payload, its fingerprint the payload's identity fingerprint.
    let batches = ctx.sql(&format!("SELECT * FROM delta_snapshot('{uri}')")).await.unwrap().collect().await.unwrap();
    let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
    writer.write_batches(&batches.iter().collect::<Vec<_>>()).unwrap();
    writer.finish().unwrap();
    let mut row: serde_json::Value = serde_json::from_slice(&writer.into_inner()).unwrap();
    let row = &mut row[0];
    row["schema"] = serde_json::from_str(row["schema"].as_str().unwrap()).unwrap();
    let info: SnapshotInfo = codec::from_json(row.to_string().as_bytes()).expect("a SnapshotInfo");
    assert_eq!(info.identity_fingerprint().unwrap(), info.fingerprint);
    assert_eq!(info.version, 4);
    assert_eq!(
        info.schema.fields.iter().map(|f| (f.name.as_str(), f.r#type.tag())).collect::<Vec<_>>(),
        [("id", "int64")]
    );

    let history = rows(&ctx, &format!("SELECT version, operation FROM delta_history('{uri}')")).await;
    let commits: Vec<String> = (0..=4).rev().map(|v| v.to_string()).collect();
    assert_eq!(
        history.iter().map(|r| r.split('|').next().unwrap_or_default().to_string()).collect::<Vec<_>>(),
        commits
    );
    assert!(history[4].ends_with("|WRITE"), "{history:?}");
    assert_eq!(rows(&ctx, &format!("SELECT version FROM delta_history('{uri}', 2)")).await, ["4", "3"]);

    let adds = active_adds(&simple);
    let listed = rows(&ctx, &format!("SELECT path, size_bytes, deletion_vector FROM delta_add_actions('{uri}')")).await;
    let expected: Vec<String> =
        adds.iter().map(|(path, add)| format!("{path}|{}|false", add["size"].as_u64().expect("a size"))).collect();
    assert_eq!(listed, expected);

    let check = value(
        &ctx,
        &format!("SELECT passed, version, array_to_string(missing, ';'), message FROM delta_protocol_check('{uri}')"),
    )
    .await;
    assert_eq!(check, "true|4||NULL");
    let wants_dv = value(
        &ctx,
        &format!(
            "SELECT passed, array_to_string(missing, ';') FROM delta_protocol_check('{uri}', \
             '{{\"required_reader_features\": [\"deletionVectors\"]}}')"
        ),
    )
    .await;
    assert_eq!(wants_dv, "false|required reader features absent: deletionVectors");
    let widened = value(
        &ctx,
        &format!(
            "SELECT passed, version, array_to_string(reader_features, ',') FROM delta_protocol_check('{}')",
            delta_table("type-widening").display()
        ),
    )
    .await;
    assert_eq!(widened, "false|2|timestampNtz,typeWidening-preview");
}

/// Through FFI, a table that needs no Delta transforms is read by a plain
/// parquet scan (the plan's leaf says so), and answers as deltalake-core
/// reading the same version; a table with deletion vectors keeps deltalake's scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_tables_read_through_a_plain_parquet_scan_through_ffi() {
    let partitioned = delta_table("delta-0.8.0-partitioned");
    let with_dv = delta_table("table-with-dv-small");
    let config = format!("{}{}", dataset("people", &partitioned, ""), dataset("dv", &with_dv, ""));
    let (ctx, _image) = session_with_pack_config(&config);
    let leaf = |table: &str| format!("EXPLAIN FORMAT INDENT SELECT * FROM delta.default.{table}");
    let plan = rows(&ctx, &leaf("people")).await.join("\n");
    assert!(plan.contains("FFI_ExecutionPlan: DataSourceExec"), "{plan}");
    let plan = rows(&ctx, &leaf("dv")).await.join("\n");
    assert!(plan.contains("FFI_ExecutionPlan: DeltaScanExec"), "{plan}");

    let reference = deltalake_core::open_table(Url::from_directory_path(&partitioned).expect("a directory"))
        .await
        .expect("open with deltalake-core");
    let native = SessionContext::new();
    native.register_table("people", reference.table_provider().await.expect("provider")).expect("register");
    for sql in ["SELECT month, year, value FROM {t}", "SELECT year, count(*) FROM {t} WHERE month <> '12' GROUP BY year"] {
        let ours = sorted_rows(&ctx, &sql.replace("{t}", "delta.default.people")).await;
        let theirs = sorted_rows(&native, &sql.replace("{t}", "people")).await;
        assert!(!ours.is_empty(), "{sql}");
        assert_eq!(ours, theirs, "{sql}");
    }
}
