//! The protocol read from a classic parquet checkpoint (no shared table has
//! one): a table with reader features is written by deltalake-core, then
//! checkpointed, so the protocol in force lives only in the checkpoint.


use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, TimestampMicrosecondArray};
use arrow::datatypes::{DataType as ArrowType, Field, Schema, TimeUnit};
use crate::common::*;
use deltalake_core::DeltaTable;
use deltalake_core::kernel::DataType;
use dfpack_common::ErrorKind;
use dfpack_contracts::FeatureGate;
use dfpack_providers::{CachePolicy, ProtocolGate, TableReference, TableReferenceExt, VersionSpec};

/// A table with a timestampNtz column (protocol 3/7 with reader feature
/// timestampNtz), two appends, and a checkpoint at the last version.
async fn checkpointed_table() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ntz");
    std::fs::create_dir(&path).expect("mkdir");
    let path = path.to_string_lossy().into_owned();
    let table = DeltaTable::try_from_url(table_url(&path)).await.expect("uninitialised table");
    let mut table = table
        .create()
        .with_column("id", DataType::LONG, true, None)
        .with_column("ts", DataType::TIMESTAMP_NTZ, true, None)
        .await
        .expect("create");
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", ArrowType::Int64, true),
        Field::new("ts", ArrowType::Timestamp(TimeUnit::Microsecond, None), true),
    ]));
    for ids in [[1i64, 2], [3, 4]] {
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(ids.to_vec())),
                Arc::new(TimestampMicrosecondArray::from(ids.iter().map(|i| i * 1_000_000).collect::<Vec<_>>())),
            ],
        )
        .expect("batch");
        table = table.write(vec![batch]).await.expect("append");
    }
    assert_eq!(table.version(), Some(2));
    deltalake_core::checkpoints::create_checkpoint(&table, None).await.expect("checkpoint");
    let log = std::path::Path::new(&path).join("_delta_log");
    assert!(log.join("00000000000000000002.checkpoint.parquet").exists(), "a classic checkpoint");
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_is_read_from_a_parquet_checkpoint() {
    let (_dir, path) = checkpointed_table().await;
    let env = env(CachePolicy::default());
    // The commit after the checkpoint would hold a protocol only if it changed: there is none,
    // so the protocol of version 2 comes from the checkpoint's parquet alone.
    let check = env.resolver.check_protocol(&TableReference::local(&path), &ProtocolGate::default()).await.expect("check");
    assert_eq!(check.version, 2);
    assert_eq!(check.protocol.min_reader_version, 3);
    assert_eq!(check.protocol.min_writer_version, 7);
    assert_eq!(check.protocol.reader_features.as_deref(), Some(&["timestampNtz".to_string()][..]));
    assert!(check.protocol.writer_features.as_ref().is_some_and(|f| f.contains(&"timestampNtz".to_string())));
    assert!(check.report.passed());

    // Requirements are checked against what the checkpoint says.
    let needs = |feature: &str| ProtocolGate::from(FeatureGate {
        required_reader_features: Some(vec![feature.to_string()]),
        ..Default::default()
    });
    env.resolver.resolve("ntz", &TableReference::local(&path), &needs("timestampNtz")).await.expect("has timestampNtz");
    let error =
        env.resolver.resolve("ntz", &TableReference::local(&path), &needs("deletionVectors")).await.expect_err("no DVs");
    assert_eq!(error.kind(), ErrorKind::ProtocolGate);
    assert!(error.to_string().contains("reader version 3 [timestampNtz]"), "{error}");

    // And the rows match deltalake-core's, at the checkpoint and before it.
    for version in [None, Some(1)] {
        let table = match version {
            Some(v) => TableReference::local(&path).at(VersionSpec::Version(v)),
            None => TableReference::local(&path),
        };
        let ours = query(&pack_context(&env, "ntz", &table).await, "SELECT * FROM t").await;
        let reference = query(&reference_context(&path, version).await, "SELECT * FROM t").await;
        assert_eq!(ours, reference, "version {version:?}");
        assert_eq!(ours.rows.len(), if version.is_some() { 2 } else { 4 });
    }
}
