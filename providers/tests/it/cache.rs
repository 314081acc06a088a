//! The snapshot cache under each policy, on a temp copy of simple_table that
//! deltalake-core appends to.


use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use crate::common::*;
use deltalake_core::DeltaTableBuilder;
use dfpack_providers::{CachePolicy, DeltaEnv, GatedTable, ProtocolGate, TableReference, TableReferenceExt, VersionSpec};

/// Appends rows with these ids through deltalake-core; returns the new version.
async fn append(path: &str, ids: &[i64]) -> u64 {
    let table = DeltaTableBuilder::from_url(table_url(path)).expect("builder").load().await.expect("load");
    let before = table.version().expect("a version");
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(ids.to_vec()))]).expect("batch");
    let table = table.write(vec![batch]).await.expect("append");
    let after = table.version().expect("a version");
    assert_eq!(after, before + 1);
    after
}

async fn resolve(env: &DeltaEnv, table: &TableReference) -> Arc<GatedTable> {
    env.resolver.resolve("simple", table, &ProtocolGate::default()).await.expect("resolves")
}

async fn ids(env: &DeltaEnv, table: &TableReference) -> Vec<String> {
    query(&pack_context(env, "simple", table).await, "SELECT id FROM t").await.rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_every_query_shares_snapshots_and_sees_new_commits() {
    let (_dir, path) = copy_table("simple_table");
    let env = env(CachePolicy::CheckEveryQuery);
    let latest = TableReference::local(&path);
    let pinned = TableReference::local(&path).at(VersionSpec::Version(3));

    let a = resolve(&env, &latest).await;
    let b = resolve(&env, &latest).await;
    assert_eq!((a.version, b.version), (4, 4));
    assert!(Arc::ptr_eq(&a.snapshot, &b.snapshot), "the latest snapshot is served from the cache");
    let p1 = resolve(&env, &pinned).await;
    assert_eq!(p1.version, 3);
    assert_eq!(ids(&env, &latest).await, ["5", "7", "9"]);

    assert_eq!(append(&path, &[100, 101]).await, 5);

    let c = resolve(&env, &latest).await;
    assert_eq!(c.version, 5, "the next resolve sees the new commit");
    assert!(!Arc::ptr_eq(&a.snapshot, &c.snapshot));
    assert_eq!(c.snapshot.version(), 5);
    let d = resolve(&env, &latest).await;
    assert!(Arc::ptr_eq(&c.snapshot, &d.snapshot), "and caches it");
    assert_eq!(ids(&env, &latest).await, ["100", "101", "5", "7", "9"]);
    // The pack reads what deltalake-core reads at the new version.
    assert_eq!(
        query(&pack_context(&env, "simple", &latest).await, "SELECT * FROM t").await,
        query(&reference_context(&path, None).await, "SELECT * FROM t").await
    );

    let p2 = resolve(&env, &pinned).await;
    assert_eq!(p2.version, 3);
    assert!(Arc::ptr_eq(&p1.snapshot, &p2.snapshot), "a pinned version is unchanged and cached");
    // The old latest is still servable as a pinned version.
    let v4 = resolve(&env, &TableReference::local(&path).at(VersionSpec::Version(4))).await;
    assert!(Arc::ptr_eq(&a.snapshot, &v4.snapshot), "version 4 stays cached after the table moved on");
}

/// Writes `commits` single-row commits (ids 1000, 1001, …) into a new table at `path`.
async fn create_table(path: &str, commits: i64) {
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let mut table = DeltaTableBuilder::from_url(table_url(path)).expect("builder").build().expect("table");
    for id in 1000..1000 + commits {
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(Int64Array::from(vec![id]))]).expect("batch");
        table = table.write(vec![batch]).await.expect("write");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_every_query_notices_a_table_created_again_at_the_same_location() {
    let (_dir, path) = copy_table("simple_table");
    let env = env(CachePolicy::CheckEveryQuery);
    let latest = TableReference::local(&path);
    let before = resolve(&env, &latest).await;
    assert_eq!(before.version, 4);
    assert_eq!(ids(&env, &latest).await, ["5", "7", "9"]);

    // Deleted and written again with as many commits: version 4 again, another table.
    std::fs::remove_dir_all(&path).expect("delete the table");
    std::fs::create_dir(&path).expect("an empty directory");
    create_table(&path, 5).await;

    let after = resolve(&env, &latest).await;
    assert_eq!(after.version, 4);
    assert!(!Arc::ptr_eq(&before.snapshot, &after.snapshot), "the old version 4 is not served");
    assert_eq!(ids(&env, &latest).await, ["1000", "1001", "1002", "1003", "1004"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_staleness_serves_the_cached_latest_without_checking() {
    let (_dir, path) = copy_table("simple_table");
    let env = env(CachePolicy::MaxStaleness(Duration::from_secs(3600)));
    let latest = TableReference::local(&path);

    let a = resolve(&env, &latest).await;
    assert_eq!(a.version, 4);
    assert_eq!(append(&path, &[100]).await, 5);

    let b = resolve(&env, &latest).await;
    assert_eq!(b.version, 4, "within the staleness bound the new commit is not seen (documented)");
    assert!(Arc::ptr_eq(&a.snapshot, &b.snapshot));
    assert_eq!(ids(&env, &latest).await, ["5", "7", "9"]);

    // Naming the new version explicitly reads it.
    let pinned = resolve(&env, &TableReference::local(&path).at(VersionSpec::Version(5))).await;
    assert_eq!(pinned.version, 5);
    assert_eq!(ids(&env, &TableReference::local(&path).at(VersionSpec::Version(5))).await, ["100", "5", "7", "9"]);

    // A zero bound checks every time.
    let strict = DeltaEnv::new(tokio::runtime::Handle::current(), CachePolicy::MaxStaleness(Duration::ZERO));
    assert_eq!(resolve(&strict, &latest).await.version, 5);
    assert_eq!(append(&path, &[200]).await, 6);
    assert_eq!(resolve(&strict, &latest).await.version, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_reads_the_log_afresh_every_time() {
    let (_dir, path) = copy_table("simple_table");
    let env = env(CachePolicy::Disabled);
    let latest = TableReference::local(&path);

    let a = resolve(&env, &latest).await;
    let b = resolve(&env, &latest).await;
    assert_eq!((a.version, b.version), (4, 4));
    assert!(!Arc::ptr_eq(&a.snapshot, &b.snapshot), "nothing is cached");

    assert_eq!(append(&path, &[100]).await, 5);
    let c = resolve(&env, &latest).await;
    assert_eq!(c.version, 5);
    assert_eq!(ids(&env, &latest).await, ["100", "5", "7", "9"]);
}

/// While the cache is on, a table's log store is built once: later queries
/// find the table by its reference as written (for a cloud table, building a
/// log store builds an HTTP client). Another spelling of the same location is
/// normalized once and then shares the table's cache; a relative path is
/// normalized every time, since it depends on the working directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_table_builds_its_log_store_once_per_spelling() {
    let (_dir, path) = copy_table("simple_table");
    let env = env(CachePolicy::CheckEveryQuery);
    let by_path = TableReference::local(&path);
    let first = resolve(&env, &by_path).await;
    for _ in 0..3 {
        resolve(&env, &by_path).await;
    }
    assert_eq!(ids(&env, &by_path).await, ["5", "7", "9"]);
    assert_eq!(env.resolver.log_stores_opened(), 1, "one log store for every query of one reference");

    let by_url = TableReference::local(format!("file://{path}"));
    let other = resolve(&env, &by_url).await;
    resolve(&env, &by_url).await;
    assert!(Arc::ptr_eq(&first.snapshot, &other.snapshot), "both spellings share the cache");
    assert_eq!(env.resolver.log_stores_opened(), 2, "the new spelling is normalized once");

    let cwd = std::env::current_dir().expect("a working directory");
    let relative = pathdiff(&path, &cwd);
    let by_relative = TableReference::local(relative);
    let again = resolve(&env, &by_relative).await;
    resolve(&env, &by_relative).await;
    assert!(Arc::ptr_eq(&first.snapshot, &again.snapshot), "a relative path still finds the cache");
    assert_eq!(env.resolver.log_stores_opened(), 4, "a relative path is normalized on each resolution");

    let uncached = crate::common::env(CachePolicy::Disabled);
    resolve(&uncached, &by_path).await;
    resolve(&uncached, &by_path).await;
    assert_eq!(uncached.resolver.log_stores_opened(), 2, "with the cache off every resolution starts afresh");
}

/// `path` relative to `base` (both absolute), through `..` as needed.
fn pathdiff(path: &str, base: &std::path::Path) -> String {
    let path = std::path::Path::new(path);
    let common = path.components().zip(base.components()).take_while(|(a, b)| a == b).count();
    let ups = base.components().count() - common;
    let mut relative = std::path::PathBuf::new();
    for _ in 0..ups {
        relative.push("..");
    }
    relative.extend(path.components().skip(common));
    relative.to_string_lossy().into_owned()
}

/// Pinned versions are evicted oldest first; the latest is never evicted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_survives_the_eviction_of_pinned_versions() {
    let path = table_path("checkpoint-v2-table");
    let env = env(CachePolicy::CheckEveryQuery);
    let latest = TableReference::local(&path);
    let first = resolve(&env, &latest).await;
    assert_eq!(first.version, 9);
    let v8 = TableReference::local(&path).at(VersionSpec::Version(8));
    let v8_first = resolve(&env, &v8).await;
    for v in 0..8 {
        assert_eq!(resolve(&env, &TableReference::local(&path).at(VersionSpec::Version(v))).await.version, v);
    }
    let again = resolve(&env, &latest).await;
    assert!(Arc::ptr_eq(&first.snapshot, &again.snapshot), "the latest was evicted");
    let v8_again = resolve(&env, &v8).await;
    assert!(
        Arc::ptr_eq(&v8_first.snapshot, &v8_again.snapshot),
        "a recent pinned version was evicted before older ones"
    );
}
