//! The protocol gate on real tables: refusals name the feature, the table and
//! the version, with the `protocol_gate` kind, and never crash; requirements
//! refuse tables that lack a required feature.


use crate::common::*;
use dfpack_common::ErrorKind;
use dfpack_contracts::FeatureGate;
use dfpack_providers::{CachePolicy, ProtocolGate, ScanOptions, TableReference, TableReferenceExt, VersionSpec};

fn requiring_deletion_vectors() -> ProtocolGate {
    ProtocolGate::from(FeatureGate { required_reader_features: Some(vec!["deletionVectors".into()]), ..Default::default() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_widening_is_refused_by_feature_name_at_its_latest_version() {
    let path = table_path("type-widening");
    let latest = latest_commit(&path);
    assert_eq!(latest, 2);
    let env = env(CachePolicy::default());
    let error = env
        .provider("widened", &TableReference::local(&path), &ProtocolGate::default(), &ScanOptions::default())
        .await
        .expect_err("typeWidening-preview is not readable");
    let message = error.to_string();
    assert_eq!(error.kind(), ErrorKind::ProtocolGate, "{message}");
    assert!(message.starts_with("[dfpack:protocol_gate] "), "{message}");
    assert!(message.contains("typeWidening-preview"), "{message}");
    assert!(message.contains(&path), "{message}");
    assert!(message.contains(&format!("at version {latest}")), "{message}");
    assert!(message.contains("table 'widened'"), "{message}");
    // The gate speaks Delta, not deltalake's Rust enum names.
    assert!(!message.contains("UnsupportedTableFeatures") && !message.contains("TypeWidening]"), "{message}");
    assert!(env.scans.recent().is_empty(), "a refused table is never scanned");

    // Version 1 is where the protocol moved to 3/7 [typeWidening-preview].
    let at_1 = env
        .provider(
            "widened",
            &TableReference::local(&path).at(VersionSpec::Version(1)),
            &ProtocolGate::default(),
            &ScanOptions::default(),
        )
        .await
        .expect_err("version 1 already needs typeWidening-preview");
    assert_eq!(at_1.kind(), ErrorKind::ProtocolGate);
    assert!(at_1.to_string().contains("at version 1"), "{at_1}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_widening_at_version_0_reads_like_deltalake() {
    let path = table_path("type-widening");
    let env = env(CachePolicy::default());
    let ctx = pack_context(&env, "widened", &TableReference::local(&path).at(VersionSpec::Version(0))).await;
    let ours = query(&ctx, "SELECT * FROM t").await;
    let reference = query(&reference_context(&path, Some(0)).await, "SELECT * FROM t").await;
    assert_eq!(ours.rows.len(), 1, "one row written at version 0");
    assert_eq!(ours, reference);
    assert_eq!(last_scan(&env).version, 0);
    assert!(ours.columns.contains(&"byte_long".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_reader_version_and_feature_are_refused_by_name() {
    let path = table_path("simple_table_features");
    let env = env(CachePolicy::default());
    let result =
        env.provider("features", &TableReference::local(&path), &ProtocolGate::default(), &ScanOptions::default()).await;
    let error = result.expect_err("reader version 5 with 'blahabl' is refused");
    let message = error.to_string();
    assert_eq!(error.kind(), ErrorKind::ProtocolGate, "{message}");
    assert!(message.contains("reader version 5"), "{message}");
    assert!(message.contains("blahabl"), "{message}");
    assert!(message.contains(&path), "{message}");
    assert!(message.contains(&format!("at version {}", latest_commit(&path))), "{message}");

    // The cheap protocol check says the same without loading anything.
    let check =
        env.resolver.check_protocol(&TableReference::local(&path), &ProtocolGate::default()).await.expect("readable log");
    assert_eq!(check.protocol.min_reader_version, 5);
    assert!(!check.report.passed());
    assert!(check.report.missing.iter().any(|m| m.contains("blahabl")), "{:?}", check.report.missing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_reader_feature_refuses_tables_without_it() {
    let env = env(CachePolicy::default());
    let simple = table_path("simple_table");
    let error = env
        .provider("simple", &TableReference::local(&simple), &requiring_deletion_vectors(), &ScanOptions::default())
        .await
        .expect_err("simple_table has no deletion vectors");
    assert_eq!(error.kind(), ErrorKind::ProtocolGate, "{error}");
    let message = error.to_string();
    assert!(message.contains("required reader features absent: deletionVectors"), "{message}");
    assert!(message.contains("reader version 1"), "{message}");

    // The same table under the default gate is fine: the refusal was the requirement's.
    env.provider("simple", &TableReference::local(&simple), &ProtocolGate::default(), &ScanOptions::default())
        .await
        .expect("simple_table under the default gate");

    let dv = table_path("table-with-dv-small");
    let provider = env
        .provider("dv", &TableReference::local(&dv), &requiring_deletion_vectors(), &ScanOptions::default())
        .await
        .expect("table-with-dv-small has deletionVectors");
    assert_eq!(provider.table().protocol.reader_features.as_deref(), Some(&["deletionVectors".to_string()][..]));
    let ctx = datafusion::prelude::SessionContext::new();
    ctx.register_table("t", provider).expect("register");
    assert_eq!(query(&ctx, "SELECT * FROM t").await.rows.len(), 8);
}

/// A cached snapshot does not bypass a stricter gate: gates differ per dataset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_table_is_gated_again_for_each_gate() {
    let env = env(CachePolicy::CheckEveryQuery);
    let simple = TableReference::local(table_path("simple_table"));
    env.resolver.resolve("simple", &simple, &ProtocolGate::default()).await.expect("cached now");
    let error =
        env.resolver.resolve("simple", &simple, &requiring_deletion_vectors()).await.expect_err("still refused");
    assert_eq!(error.kind(), ErrorKind::ProtocolGate);
    let pinned = simple.clone().at(VersionSpec::Version(4));
    env.resolver.resolve("simple", &pinned, &ProtocolGate::default()).await.expect("cached now");
    let error =
        env.resolver.resolve("simple", &pinned, &requiring_deletion_vectors()).await.expect_err("still refused");
    assert_eq!(error.kind(), ErrorKind::ProtocolGate);
}

/// The kind survives the trip through DataFusion's error type (how a host sees it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_keeps_its_kind_through_datafusion() {
    let env = env(CachePolicy::default());
    let error = env
        .provider(
            "widened",
            &TableReference::local(table_path("type-widening")),
            &ProtocolGate::default(),
            &ScanOptions::default(),
        )
        .await
        .expect_err("refused");
    let through: datafusion::error::DataFusionError = error.into();
    assert_eq!(ErrorKind::find_in(&through.to_string()), Some(ErrorKind::ProtocolGate));
    assert_eq!(dfpack_common::Error::from(through).kind(), ErrorKind::ProtocolGate);
}

/// Tables that are not there, or not Delta tables, are `delta` errors naming the path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_non_delta_folders_are_named_errors() {
    let env = env(CachePolicy::default());
    let absent = "/nonexistent/dfpack/events";
    let error = env
        .provider("events", &TableReference::local(absent), &ProtocolGate::default(), &ScanOptions::default())
        .await
        .expect_err("no such folder");
    assert_eq!(error.kind(), ErrorKind::Delta, "{error}");
    assert!(error.to_string().contains(absent), "{error}");

    let empty = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(empty.path().join("_delta_log")).expect("mkdir");
    let uri = empty.path().to_string_lossy().into_owned();
    let error = env
        .provider("empty", &TableReference::local(&uri), &ProtocolGate::default(), &ScanOptions::default())
        .await
        .expect_err("no commits");
    assert_eq!(error.kind(), ErrorKind::Delta, "{error}");
    assert!(error.to_string().contains("is not a Delta table"), "{error}");
}
