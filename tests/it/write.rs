//! Writes through the FFI path: a Rust host loading a private copy of
//! `libdfpack.so` inserts into datasets of its pack config (copies of the
//! shared tables, and a table the pack creates), with per-write session
//! options crossing the boundary as config extensions.

use datafusion::prelude::SessionContext;
use dfpack_tests::{copy_delta_table, query_error, session_with_pack_config};

async fn rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let mut rows = dfpack_tests::rows(ctx, sql).await;
    rows.sort();
    rows
}

fn commit_file(path: &str, version: u64) -> String {
    std::fs::read_to_string(format!("{path}/_delta_log/{version:020}.json")).expect("a commit file")
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_into_a_dataset_through_ffi_counts_and_reads_back() {
    let dir = copy_delta_table("simple_table");
    let path = dir.path().to_string_lossy().into_owned();
    let (ctx, _image) = session_with_pack_config(&format!("[datasets.t]\ntable_uri = '{path}'\n"));
    assert_eq!(rows(&ctx, "SELECT count(*) FROM delta.default.t").await, ["3"]);
    assert_eq!(rows(&ctx, "INSERT INTO delta.default.t VALUES (10), (11)").await, ["2"]);
    assert_eq!(rows(&ctx, "SELECT count(*), max(id) FROM delta.default.t").await, ["5|11"]);
    assert_eq!(rows(&ctx, "INSERT OVERWRITE delta.default.t SELECT id * 2 FROM delta.default.t").await, ["5"]);
    assert_eq!(rows(&ctx, "SELECT max(id), count(*) FROM delta.default.t").await, ["22|5"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn session_options_cross_ffi_for_app_transactions_and_metadata() {
    let dir = copy_delta_table("simple_table");
    let path = dir.path().to_string_lossy().into_owned();
    let (ctx, _image) = session_with_pack_config(&format!("[datasets.t]\ntable_uri = '{path}'\n"));
    rows(&ctx, "SET dfpack.commit.app_id = 'ffi-job'").await;
    rows(&ctx, "SET dfpack.commit.app_version = '1'").await;
    rows(&ctx, r#"SET dfpack.commit.metadata = '{"run":"r-1"}'"#).await;
    assert_eq!(rows(&ctx, "INSERT INTO delta.default.t VALUES (1)").await, ["1"]);
    let commit = commit_file(&path, 5);
    assert!(commit.contains(r#""appId":"ffi-job","version":1"#) && commit.contains(r#""run":"r-1""#), "{commit}");
    assert_eq!(rows(&ctx, "INSERT INTO delta.default.t VALUES (1)").await, ["0"], "a replay writes nothing");
    assert_eq!(rows(&ctx, "SELECT count(*) FROM delta.default.t").await, ["4"]);
    rows(&ctx, "SET dfpack.commit.app_version = 'two'").await;
    let error = query_error(&ctx, "INSERT INTO delta.default.t VALUES (1)").await;
    assert!(error.contains("[dfpack:config]") && error.contains("dfpack.commit.app_version"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dataset_is_created_on_its_first_write_through_ffi() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events").to_string_lossy().into_owned();
    let config = format!(
        "[datasets.events]\ntable_uri = '{path}'\ncreate_if_missing = true\npartition_columns = ['day']\n\
         [datasets.events.contract]\nevolution = 'strict'\nschema.fields = [\n\
         {{ name = 'id', type = {{ type = 'int64' }}, nullable = false }},\n\
         {{ name = 'day', type = {{ type = 'utf8' }}, nullable = true }},\n]\n"
    );
    let (ctx, _image) = session_with_pack_config(&config);
    assert_eq!(rows(&ctx, "SELECT count(*) FROM delta.default.events").await, ["0"]);
    assert_eq!(rows(&ctx, "INSERT INTO delta.default.events VALUES (1, 'mon'), (2, 'tue')").await, ["2"]);
    assert_eq!(rows(&ctx, "SELECT day, id FROM delta.default.events").await, ["mon|1", "tue|2"]);
    assert!(std::path::Path::new(&format!("{path}/day=mon")).is_dir());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_writer_gate_refuses_through_ffi_and_the_host_keeps_running() {
    let dir = copy_delta_table("table_with_liquid_clustering");
    let path = dir.path().to_string_lossy().into_owned();
    let (ctx, _image) = session_with_pack_config(&format!("[datasets.t]\ntable_uri = '{path}'\n"));
    let before = rows(&ctx, "SELECT count(*) FROM delta.default.t").await;
    let error = query_error(&ctx, "INSERT INTO delta.default.t SELECT * FROM delta.default.t").await;
    assert!(error.contains("[dfpack:protocol_gate]"), "{error}");
    assert!(error.contains("writer features this pack cannot maintain: domainMetadata, liquid, rowTracking"), "{error}");
    assert_eq!(rows(&ctx, "SELECT count(*) FROM delta.default.t").await, before);
}

/// The contract rule holds writes through FFI too: the host hands its plan to
/// the pack's rule, which finds the pack's own write node, checks the input
/// and places validation below the sink; an enforced violation commits nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_enforced_contract_fails_a_bad_write_through_ffi_and_commits_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("orders").to_string_lossy().into_owned();
    let config = format!(
        "[datasets.orders]\ntable_uri = '{path}'\ncreate_if_missing = true\n\
         validation = {{ enabled = true, mode = \"enforce\" }}\n\
         [datasets.orders.contract]\nevolution = \"strict\"\n\
         check_constraints = [{{ name = \"positive_id\", expression = \"id > 0\" }}]\n\
         schema.fields = [{{ name = \"id\", type = {{ type = \"int64\" }}, nullable = false }}]\n"
    );
    let (ctx, _image) = session_with_pack_config(&config);
    assert_eq!(rows(&ctx, "INSERT INTO delta.default.orders VALUES (1), (2)").await, ["2"]);
    let log = std::path::Path::new(&path).join("_delta_log");
    let commits = || std::fs::read_dir(&log).expect("a log").filter(|e| e.is_ok()).count();
    let before = commits();

    let error = query_error(&ctx, "INSERT INTO delta.default.orders VALUES (3), (-4)").await;
    assert!(error.contains("[dfpack:contract]") && error.contains("positive_id"), "{error}");
    assert!(error.contains("-4"), "a sample of the failing values: {error}");
    assert_eq!(commits(), before, "nothing committed");
    assert_eq!(rows(&ctx, "SELECT id FROM delta.default.orders").await, ["1", "2"]);
}

/// A write's input plan says nothing reliable about nulls (`VALUES (1), (NULL)`
/// and most projections are nullable), so it is not refused when planned for
/// a non-null contract column; enforce validation below the sink checks the
/// rows, and a null there fails the write before its commit. The table's own
/// column is nullable here (a relaxed contract), so only the contract stands
/// between the null and the table.
#[tokio::test(flavor = "multi_thread")]
async fn enforce_validation_below_a_write_catches_a_null_in_a_non_null_contract_column() {
    let dir = copy_delta_table("simple_table");
    let path = dir.path().to_string_lossy().into_owned();
    let config = format!(
        "[datasets.keyed]\ntable_uri = '{path}'\nvalidation = {{ enabled = true, mode = \"enforce\" }}\n\
         contract = {{ evolution = \"relaxed\", schema = {{ fields = [{{ name = \"id\", type = {{ type = \"int64\" }}, \
         nullable = false }}] }} }}\n"
    );
    let (ctx, _image) = session_with_pack_config(&config);
    let before = rows(&ctx, "SELECT count(*) FROM delta.default.keyed").await;
    let log = std::path::Path::new(&path).join("_delta_log");
    let commits = || std::fs::read_dir(&log).expect("a log").filter(|e| e.is_ok()).count();
    let commits_before = commits();

    let error = query_error(&ctx, "INSERT INTO delta.default.keyed VALUES (100), (NULL)").await;
    assert!(
        error.contains(
            "[dfpack:contract] dataset 'keyed' failed validation (write): column 'id' NOT NULL: 1 of 2 rows checked \
             failing, e.g. row 1"
        ),
        "{error}"
    );
    assert_eq!(commits(), commits_before, "nothing committed");
    assert_eq!(rows(&ctx, "SELECT count(*) FROM delta.default.keyed").await, before);

    // The same nullable input plan without a null goes through.
    assert_eq!(rows(&ctx, "INSERT INTO delta.default.keyed SELECT CAST(NULLIF(100, 0) AS BIGINT)").await, ["1"]);
    assert_eq!(rows(&ctx, "SELECT count(*) FROM delta.default.keyed WHERE id = 100").await, ["1"]);
}
