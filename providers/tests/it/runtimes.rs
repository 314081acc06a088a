//! Resolving and scanning from a caller that is not on the pack's runtime: a
//! current-thread tokio runtime, and no tokio runtime at all.


use std::sync::{Arc, OnceLock};

use crate::common::*;
use datafusion::prelude::{SessionConfig, SessionContext};
use dfpack_providers::{CachePolicy, DeltaEnv, ProtocolGate, ScanOptions, TableReference, TableReferenceExt};
use tokio::runtime::{Builder, Runtime};

/// The pack's own runtime, as a plugin would own it. Kept for the process (a
/// multi-thread runtime may not be dropped inside an async context).
fn pack_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime"))
}

/// Reads the DV table and a partitioned table through `env` from whatever executor polls this.
async fn read_through(env: Arc<DeltaEnv>, ctx: SessionContext) {
    for (name, rows) in [("table-with-dv-small", 8), ("delta-0.8.0-partitioned", 7), ("simple_table", 3)] {
        let provider = env
            .provider(name, &TableReference::local(table_path(name)), &ProtocolGate::default(), &ScanOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        ctx.deregister_table("t").expect("deregister");
        ctx.register_table("t", provider).expect("register");
        let all = query(&ctx, "SELECT * FROM t").await;
        assert_eq!(all.rows.len(), rows, "{name}");
    }
    let filtered = query(&ctx, "SELECT * FROM t WHERE id > 6").await;
    assert_eq!(filtered.rows, ["7", "9"]);
}

#[tokio::test(flavor = "current_thread")]
async fn current_thread_runtime_with_the_callers_handle() {
    let env = DeltaEnv::new(tokio::runtime::Handle::current(), CachePolicy::default());
    read_through(env, SessionContext::new()).await;
}

#[tokio::test(flavor = "current_thread")]
async fn current_thread_runtime_with_the_packs_own_runtime() {
    let env = DeltaEnv::new(pack_runtime().handle().clone(), CachePolicy::default());
    read_through(env, SessionContext::new()).await;
}

/// No tokio runtime on the calling thread at all. DataFusion's own operators
/// that spawn tasks (repartitioning, coalescing several partitions) need one,
/// so the session has one partition; what is tested is the pack's part.
#[test]
fn no_runtime_on_the_calling_thread() {
    let env = DeltaEnv::new(pack_runtime().handle().clone(), CachePolicy::default());
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    assert!(tokio::runtime::Handle::try_current().is_err(), "the test thread has no runtime");
    futures::executor::block_on(read_through(env, ctx));
}

/// With DataFusion's default partitioning and no runtime, DataFusion's own
/// `CoalescePartitionsExec` spawns a task and panics ("no reactor running"): a
/// host must run DataFusion on some tokio runtime. The pack's part, though, is
/// runtime-free: its scan plan, planned and executed partition by partition with
/// no runtime on the thread, reads every row of a multi-file table.
#[test]
fn the_packs_scan_runs_every_partition_without_a_runtime() {
    use datafusion::catalog::TableProvider;
    use futures::TryStreamExt;

    let env = DeltaEnv::new(pack_runtime().handle().clone(), CachePolicy::default());
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(4));
    futures::executor::block_on(async {
        for (name, rows) in [("delta-0.8.0-partitioned", 7), ("cdf-table", 9), ("table-with-dv-small", 8)] {
            let provider = env
                .provider(name, &TableReference::local(table_path(name)), &ProtocolGate::default(), &ScanOptions::default())
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let plan = provider.scan(&ctx.state(), None, &[], None).await.expect("scan");
            let partitions = plan.properties().partitioning.partition_count();
            let mut total = 0;
            for partition in 0..partitions {
                let stream = plan.execute(partition, ctx.task_ctx()).expect("execute");
                let batches: Vec<_> = stream.try_collect().await.expect("read");
                total += batches.iter().map(|b| b.num_rows()).sum::<usize>();
            }
            assert_eq!(total, rows, "{name} over {partitions} partitions");
        }
    });
}
