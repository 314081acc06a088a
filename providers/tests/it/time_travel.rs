//! Time travel: by version (each version of simple_table equals deltalake-core's
//! read of it) and by timestamp (commit file times, set explicitly on a copy).


use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeZone, Utc};
use crate::common::*;
use dfpack_common::ErrorKind;
use dfpack_providers::{CachePolicy, ProtocolGate, TableReference, TableReferenceExt, VersionSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_version_reads_what_deltalake_reads_at_it() {
    let path = table_path("simple_table");
    let latest = latest_commit(&path);
    assert_eq!(latest, 4);
    let env = env(CachePolicy::default());
    let mut seen = Vec::new();
    for v in 0..=latest {
        let table = TableReference::local(&path).at(VersionSpec::Version(v));
        let ctx = pack_context(&env, "simple", &table).await;
        let ours = query(&ctx, "SELECT * FROM t").await;
        let reference = query(&reference_context(&path, Some(v)).await, "SELECT * FROM t").await;
        assert!(!ours.rows.is_empty(), "version {v}");
        assert_eq!(ours, reference, "version {v}");
        let scan = last_scan(&env);
        assert_eq!(scan.version, v);
        assert_eq!(scan.files, active_adds(&path, Some(v)).len() as u64, "live files at version {v}");
        seen.push(ours.rows);
    }
    // The versions really differ (the test would pass vacuously otherwise).
    assert_ne!(seen[0], seen[latest as usize]);
    assert_ne!(seen[3], seen[4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_after_the_latest_is_a_delta_error_naming_the_latest() {
    let path = table_path("simple_table");
    let env = env(CachePolicy::default());
    let error = env
        .resolver
        .resolve("simple", &TableReference::local(&path).at(VersionSpec::Version(5)), &ProtocolGate::default())
        .await
        .expect_err("version 5 does not exist");
    assert_eq!(error.kind(), ErrorKind::Delta, "{error}");
    let message = error.to_string();
    assert!(message.contains("no version 5"), "{message}");
    assert!(message.contains("latest version is 4"), "{message}");
}

fn at(t: DateTime<Utc>) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(t.timestamp_millis() as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timestamp_picks_the_newest_commit_at_or_before_it() {
    let (_dir, path) = copy_table("simple_table");
    let base = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("a time");
    let hour = chrono::Duration::hours(1);
    let latest = latest_commit(&path);
    for v in 0..=latest {
        let commit = std::path::Path::new(&path).join(format!("_delta_log/{v:020}.json"));
        let file = std::fs::File::options().write(true).open(&commit).expect("open commit");
        file.set_modified(at(base + hour * v as i32)).expect("set mtime");
    }

    let env = env(CachePolicy::default());
    for v in 0..=latest {
        let commit_time = base + hour * v as i32;
        for (label, t) in [("at", commit_time), ("between", commit_time + chrono::Duration::minutes(30))] {
            let table = TableReference::local(&path).at(VersionSpec::Timestamp(t));
            let gated = env.resolver.resolve("simple", &table, &ProtocolGate::default()).await.expect("resolves");
            assert_eq!(gated.version, v, "{label} commit {v} ({t})");
            assert_eq!(gated.commit_time, Some(commit_time), "{label} commit {v}");
        }
        // And the rows are that version's.
        let table = TableReference::local(&path).at(VersionSpec::Timestamp(commit_time + chrono::Duration::minutes(59)));
        let ours = query(&pack_context(&env, "simple", &table).await, "SELECT * FROM t").await;
        let reference = query(&reference_context(&path, Some(v)).await, "SELECT * FROM t").await;
        assert_eq!(ours, reference, "rows at a time after commit {v}");
    }
    // Long after the last commit: the latest.
    let later = TableReference::local(&path).at(VersionSpec::Timestamp(base + hour * 1000));
    assert_eq!(
        env.resolver.resolve("simple", &later, &ProtocolGate::default()).await.expect("resolves").version,
        latest
    );

    // Before the first commit: an error naming the earliest commit.
    let before = TableReference::local(&path).at(VersionSpec::Timestamp(base - chrono::Duration::seconds(1)));
    let error =
        env.resolver.resolve("simple", &before, &ProtocolGate::default()).await.expect_err("nothing that early");
    assert_eq!(error.kind(), ErrorKind::Delta, "{error}");
    let message = error.to_string();
    assert!(message.contains("has no version at"), "{message}");
    assert!(message.contains("version 0"), "{message}");
    assert!(message.contains("2024-01-01T00:00:00"), "{message}");
}

/// Versions on both sides of v2 checkpoints (JSON checkpoints with sidecars at 6 and 8):
/// the protocol is found in the commits or the checkpoint, and the rows match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_version_of_the_v2_checkpoint_table_reads_what_deltalake_reads() {
    let path = table_path("checkpoint-v2-table");
    let latest = latest_commit(&path);
    assert_eq!(latest, 9);
    let env = env(CachePolicy::default());
    let mut counts = Vec::new();
    for v in 0..=latest {
        let table = TableReference::local(&path).at(VersionSpec::Version(v));
        let gated = env.resolver.resolve("v2", &table, &ProtocolGate::default()).await.expect("resolves");
        assert_eq!(gated.protocol.reader_features.as_deref(), Some(&["v2Checkpoint".to_string()][..]), "version {v}");
        let ours = query(&pack_context(&env, "v2", &table).await, "SELECT * FROM t").await;
        let reference = query(&reference_context(&path, Some(v)).await, "SELECT * FROM t").await;
        assert_eq!(ours, reference, "version {v}");
        counts.push(ours.rows.len());
    }
    assert!(counts.windows(2).any(|w| w[0] != w[1]), "versions differ: {counts:?}");
}
