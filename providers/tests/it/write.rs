//! Writes through the pack's providers (`INSERT INTO` / `INSERT OVERWRITE`)
//! into copies of the shared real tables and into tables the pack creates,
//! read back through the pack and checked in the Delta log itself.

use datafusion::prelude::{SessionConfig, SessionContext};
use dfpack_common::session_options::DfpackOptions;
use dfpack_providers::DeltaPack;
use serde_json::Value;

use crate::common::{copy_table, query, try_query};

/// A session with the pack's options registered and `config` as catalog `delta`.
fn context(config: &str) -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_option_extension(DfpackOptions::default()));
    let pack = DeltaPack::new(tokio::runtime::Handle::current());
    let catalog = pack.catalog(config).expect("a valid config");
    ctx.register_catalog(&catalog.name, catalog.catalog);
    ctx
}

fn dataset(name: &str, path: &str, extra: &str) -> String {
    format!("[datasets.{name}]\ntable_uri = '{path}'\n{extra}\n")
}

/// The `commitInfo` of a commit, read from the log file itself.
fn commit_info(path: &str, version: u64) -> Value {
    let file = format!("{path}/_delta_log/{version:020}.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON action"))
        .find_map(|action| action.get("commitInfo").cloned())
        .expect("a commitInfo action")
}

fn versions(path: &str) -> usize {
    std::fs::read_dir(format!("{path}/_delta_log"))
        .expect("a log")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json")))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_appends_and_the_next_read_sees_it() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, ""));
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["3"]);
    let inserted = query(&ctx, "INSERT INTO delta.default.t SELECT * FROM (VALUES (100), (101), (102)) AS v(id)").await;
    assert_eq!((inserted.columns, inserted.rows), (vec!["count".to_string()], vec!["3".to_string()]));
    assert_eq!(query(&ctx, "SELECT count(*), max(id) FROM delta.default.t").await.rows, ["6 | 102"]);
    assert_eq!(versions(&path), 6, "one new commit");
    assert_eq!(commit_info(&path, 5)["operation"], "WRITE");
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_overwrite_replaces_the_rows() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, ""));
    let inserted = query(&ctx, "INSERT OVERWRITE delta.default.t SELECT * FROM (VALUES (7), (8)) AS v(id)").await;
    assert_eq!(inserted.rows, ["2"]);
    assert_eq!(query(&ctx, "SELECT id FROM delta.default.t").await.rows, ["7", "8"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn partitioned_rows_land_in_their_partitions() {
    let (_dir, path) = copy_table("delta-0.8.0-partitioned");
    let ctx = context(&dataset("people", &path, ""));
    let before = query(&ctx, "SELECT count(*) FROM delta.default.people").await.rows;
    let inserted = query(
        &ctx,
        "INSERT INTO delta.default.people VALUES ('new1', '2030', '1', '2'), ('new2', '2030', '1', '3')",
    )
    .await;
    assert_eq!(inserted.rows, ["2"]);
    assert_eq!(
        query(&ctx, "SELECT value, year, month, day FROM delta.default.people WHERE year = '2030'").await.rows,
        ["new1 | 2030 | 1 | 2", "new2 | 2030 | 1 | 3"]
    );
    let after: usize = query(&ctx, "SELECT count(*) FROM delta.default.people").await.rows[0].parse().unwrap();
    assert_eq!(after, before[0].parse::<usize>().unwrap() + 2);
    assert!(std::path::Path::new(&format!("{path}/year=2030/month=1/day=2")).is_dir(), "a partition directory");
}

const CONTRACT: &str = r#"
create_if_missing = true
partition_columns = ["country"]
[datasets.orders.contract]
evolution = "strict"
schema.fields = [
    { name = "id", type = { type = "int64" }, nullable = false },
    { name = "country", type = { type = "utf8" }, nullable = true },
]
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_is_created_with_its_contract_schema_on_the_first_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders").to_string_lossy().into_owned();
    let ctx = context(&dataset("orders", &path, CONTRACT));
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.orders").await.rows, ["0"], "reads as empty");
    let inserted = query(&ctx, "INSERT INTO delta.default.orders VALUES (1, 'fr'), (2, 'de'), (3, 'fr')").await;
    assert_eq!(inserted.rows, ["3"]);
    assert_eq!(
        query(&ctx, "SELECT country, count(*) FROM delta.default.orders GROUP BY country").await.rows,
        ["de | 1", "fr | 2"]
    );
    let log = std::fs::read_to_string(format!("{path}/_delta_log/{:020}.json", 0)).unwrap();
    let metadata = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|a| a.get("metaData").cloned())
        .expect("a metaData action");
    assert_eq!(metadata["partitionColumns"], serde_json::json!(["country"]));
    let schema: Value = serde_json::from_str(metadata["schemaString"].as_str().unwrap()).unwrap();
    assert_eq!(schema["fields"][0], serde_json::json!({"name": "id", "type": "long", "nullable": false, "metadata": {}}));
    assert!(std::path::Path::new(&format!("{path}/country=fr")).is_dir());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_transaction_makes_a_replayed_write_a_no_op() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, ""));
    query(&ctx, "SET dfpack.commit.app_id = 'loader'").await;
    query(&ctx, "SET dfpack.commit.app_version = '3'").await;
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t VALUES (100), (101)").await.rows, ["2"]);
    assert_eq!(commit_info(&path, 5)["operation"], "WRITE");
    let txn = std::fs::read_to_string(format!("{path}/_delta_log/{:020}.json", 5)).unwrap();
    assert!(txn.contains(r#""txn":{"appId":"loader","version":3"#), "the txn action is committed: {txn}");

    // The same version again, and an older one: nothing written, no commit.
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t VALUES (100), (101)").await.rows, ["0"]);
    query(&ctx, "SET dfpack.commit.app_version = '2'").await;
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t VALUES (100), (101)").await.rows, ["0"]);
    assert_eq!(versions(&path), 6);
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["5"]);

    // A newer version lands.
    query(&ctx, "SET dfpack.commit.app_version = '4'").await;
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t VALUES (102)").await.rows, ["1"]);
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["6"]);

    // Cleared: plain writes again.
    query(&ctx, "SET dfpack.commit.app_id = ''").await;
    query(&ctx, "SET dfpack.commit.app_version = ''").await;
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t VALUES (103)").await.rows, ["1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dataset_app_transaction_from_the_config_is_idempotent_too() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, "commit = { app_transaction = { app_id = 'nightly', version = 1 } }"));
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t VALUES (1)").await.rows, ["1"]);
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t VALUES (1)").await.rows, ["0"]);
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["4"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn commit_metadata_of_dataset_and_session_is_in_the_commit_and_in_delta_history() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, "commit = { metadata = { owner = 'etl', job = 'from-config' } }"));
    let pack = DeltaPack::new(tokio::runtime::Handle::current());
    for function in pack.table_functions() {
        ctx.register_udtf(function.name, function.function);
    }
    query(&ctx, r#"SET dfpack.commit.metadata = '{"job":"from-session"}'"#).await;
    query(&ctx, "INSERT INTO delta.default.t VALUES (1)").await;
    let info = commit_info(&path, 5);
    assert_eq!((info["owner"].as_str(), info["job"].as_str()), (Some("etl"), Some("from-session")));
    let history = query(&ctx, &format!("SELECT version, commit_metadata FROM delta_history('{path}', 1)")).await;
    let row = &history.rows[0];
    assert!(row.starts_with("5 | ") && row.contains(r#""job":"from-session""#) && row.contains(r#""owner":"etl""#), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_session_options_fail_the_write_and_change_nothing() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, ""));
    query(&ctx, "SET dfpack.commit.app_id = 'only-an-id'").await;
    let error = try_query(&ctx, "INSERT INTO delta.default.t VALUES (1)").await.unwrap_err().to_string();
    assert!(error.contains("[dfpack:config]") && error.contains("set both, or neither"), "{error}");
    assert!(try_query(&ctx, "SET dfpack.commit.no_such_option = '1'").await.is_err());
    assert_eq!(versions(&path), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_writer_gate_refuses_features_the_pack_cannot_maintain_by_name() {
    let (_dir, path) = copy_table("checkpoint-v2-table");
    let ctx = context(&dataset("t", &path, ""));
    let before = versions(&path);
    query(&ctx, "SELECT count(*) FROM delta.default.t").await;
    let error = try_query(&ctx, "INSERT INTO delta.default.t SELECT * FROM delta.default.t LIMIT 1")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("[dfpack:protocol_gate]"), "{error}");
    assert!(error.contains("writer features this pack cannot maintain: identityColumns"), "{error}");
    assert_eq!(versions(&path), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_datasets_required_writer_features_hold_for_writes() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, "gate = { required_writer_features = ['changeDataFeed'] }"));
    let error = try_query(&ctx, "INSERT INTO delta.default.t VALUES (1)").await.unwrap_err().to_string();
    assert!(error.contains("required writer features absent: changeDataFeed"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_dataset_is_not_written() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, "version = 2"));
    let error = try_query(&ctx, "INSERT INTO delta.default.t VALUES (1)").await.unwrap_err().to_string();
    assert!(error.contains("pinned version"), "{error}");
    assert_eq!(versions(&path), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_latest_is_not_served_after_a_write() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&format!("[cache]\nrefresh = 'max_staleness'\nmax_staleness_ms = 3600000\n{}", dataset("t", &path, "")));
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["3"]);
    query(&ctx, "INSERT INTO delta.default.t VALUES (1)").await;
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["4"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_created_external_table_takes_inserts() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context("");
    let pack = DeltaPack::new(tokio::runtime::Handle::current());
    let catalog = pack.catalog("").unwrap();
    let mut state = ctx.state();
    state.table_factories_mut().insert(catalog.factory_format.to_string(), catalog.factory);
    let ctx = SessionContext::new_with_state(state);
    query(&ctx, &format!("CREATE EXTERNAL TABLE ext STORED AS DELTATABLE LOCATION '{path}'")).await;
    assert_eq!(query(&ctx, "INSERT INTO ext VALUES (41), (42)").await.rows, ["2"]);
    assert_eq!(query(&ctx, "SELECT count(*) FROM ext").await.rows, ["5"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scans_file_column_is_not_written() {
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, "scan = { file_column = '_file' }"));
    assert_eq!(query(&ctx, "INSERT INTO delta.default.t (id) VALUES (50)").await.rows, ["1"]);
    let read = query(&ctx, "SELECT id, _file LIKE '%.parquet' FROM delta.default.t WHERE id = 50").await;
    assert_eq!(read.rows, ["50 | true"]);
}

/// A write planned on version N commits after another writer's N+1: with the
/// default retries it lands on N+2; with none it fails as a conflict, changing nothing.
#[tokio::test(flavor = "multi_thread")]
async fn max_retries_bounds_the_commits_that_lose_a_race() {
    for (retries, lands) in [("", true), ("0", false)] {
        let (_dir, path) = copy_table("simple_table");
        let ctx = context(&dataset("t", &path, ""));
        query(&ctx, &format!("SET dfpack.commit.max_retries = '{retries}'")).await;
        let planned = ctx.sql("INSERT INTO delta.default.t VALUES (1)").await.unwrap().create_physical_plan().await.unwrap();
        let other = context(&dataset("t", &path, ""));
        assert_eq!(query(&other, "INSERT INTO delta.default.t VALUES (2)").await.rows, ["1"]);
        let result = datafusion::physical_plan::collect(planned, ctx.task_ctx()).await;
        if lands {
            assert_eq!(crate::common::render(&result.unwrap()), ["1"]);
            assert_eq!(versions(&path), 7);
            assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["5"]);
        } else {
            let error = result.unwrap_err().to_string();
            assert!(error.contains("[dfpack:delta] commit conflict on table 't'") && error.contains("max_retries"), "{error}");
            assert_eq!(versions(&path), 6);
            assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.t").await.rows, ["4"]);
        }
    }
}

/// A session like `context`, with the contract rule installed.
fn context_with_rule(config: &str) -> SessionContext {
    let state = datafusion::execution::SessionStateBuilder::new()
        .with_config(SessionConfig::new().with_option_extension(DfpackOptions::default()))
        .with_default_features()
        .with_physical_optimizer_rule(std::sync::Arc::new(dfpack_contract_check::ContractRule::new()))
        .build();
    let ctx = SessionContext::new_with_state(state);
    let pack = DeltaPack::new(tokio::runtime::Handle::current());
    let catalog = pack.catalog(config).expect("a valid config");
    ctx.register_catalog(&catalog.name, catalog.catalog);
    ctx
}

/// Under `enforce`, rows that break the contract fail the write before its
/// commit: the table keeps its version, and valid rows still land.
#[tokio::test(flavor = "multi_thread")]
async fn an_enforced_contract_fails_a_bad_write_and_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders").to_string_lossy().into_owned();
    let validated = format!(
        "{CONTRACT}check_constraints = [{{ name = \"positive_id\", expression = \"id > 0\" }}]\n\
         [datasets.orders.validation]\nenabled = true\nmode = \"enforce\"\n"
    );
    let ctx = context_with_rule(&dataset("orders", &path, &validated));
    assert_eq!(query(&ctx, "INSERT INTO delta.default.orders VALUES (1, 'fr')").await.rows, ["1"]);
    let commits = versions(&path);

    let error = try_query(&ctx, "INSERT INTO delta.default.orders VALUES (2, 'de'), (-5, 'fr'), (-6, NULL)")
        .await
        .expect_err("a row breaks positive_id")
        .to_string();
    assert!(error.contains("[dfpack:contract]") && error.contains("positive_id") && error.contains("orders"), "{error}");
    assert_eq!(versions(&path), commits, "nothing committed");
    assert_eq!(query(&ctx, "SELECT count(*) FROM delta.default.orders").await.rows, ["1"]);

}

/// A scan reads batches of at least `SCAN_BATCH_ROWS` rows whatever the
/// session's batch size: each batch crosses FFI with its schema.
/// Regression: its insert (non-null generated values into the nullable `id`)
/// was refused by deltalake's schema check until rows took the table's schema.
#[tokio::test(flavor = "multi_thread")]
async fn scans_read_batches_of_at_least_scan_batch_rows() {
    use dfpack_providers::exec::SCAN_BATCH_ROWS;
    let (_dir, path) = copy_table("simple_table");
    let ctx = context(&dataset("t", &path, ""));
    let rows = 3 * SCAN_BATCH_ROWS;
    query(&ctx, &format!("INSERT OVERWRITE delta.default.t SELECT value AS id FROM generate_series(1, {rows})")).await;
    ctx.sql("SET datafusion.execution.batch_size = 8192").await.unwrap().collect().await.unwrap();
    let batches = ctx.sql("SELECT id FROM delta.default.t").await.unwrap().collect().await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), rows);
    let largest = batches.iter().map(|b| b.num_rows()).max().unwrap_or(0);
    assert!(largest > 8192, "a scan batch of {largest} rows: the session's 8192 was not raised");
    assert!(largest <= SCAN_BATCH_ROWS, "a scan batch of {largest} rows");

    // The scan executed directly, each partition with a context of its own
    // (as across FFI, where the scan reuses it) and with one context shared
    // (as in a native host, where the scan copies it): both raise the batch size.
    use std::sync::Arc;

    use datafusion::execution::TaskContext;
    use futures::TryStreamExt;
    let small_batches = || TaskContext::default().with_session_config(SessionConfig::new().with_batch_size(8192));
    let shared = Arc::new(small_batches());
    for own_context in [true, false] {
        // A plan of its own too: DataFusion's file scans share out their files once per plan.
        let mut scan = ctx.sql("SELECT id FROM delta.default.t").await.unwrap().create_physical_plan().await.unwrap();
        while let Some(child) = scan.children().first().map(|child| Arc::clone(*child)) {
            scan = child;
        }
        let mut sizes = Vec::new();
        for partition in 0..scan.properties().partitioning.partition_count() {
            let context = if own_context { Arc::new(small_batches()) } else { Arc::clone(&shared) };
            let batches: Vec<_> = scan.execute(partition, context).unwrap().try_collect().await.unwrap();
            sizes.extend(batches.iter().map(|batch| batch.num_rows()));
        }
        assert_eq!(sizes.iter().sum::<usize>(), rows, "own context: {own_context}");
        let largest = sizes.iter().copied().max().unwrap_or(0);
        assert!(largest > 8192 && largest <= SCAN_BATCH_ROWS, "own context: {own_context}: a batch of {largest} rows");
    }
}
