//! The pack works whatever runtime the host drives it from: it owns its own.

use dfpack_tests::{query_table, query_value, session_with_fixture, session_with_pack};

async fn exercise_pack() {
    let (ctx, _image) = session_with_pack();
    let value = query_value(&ctx, "SELECT stable_hash64(column1) FROM (VALUES ('a')) ").await;
    assert!(value.parse::<i64>().unwrap() >= 0);
    let manifest = query_table(&ctx, "SELECT name FROM pack_manifest()").await;
    assert!(manifest.contains("| dfpack |"), "{manifest}");
    let (fixture, _fixture_image) = session_with_fixture();
    let rows = query_value(&fixture, "SELECT sum(n) FROM fixture_panic_table('none')").await;
    assert_eq!(rows, "6");
}

#[tokio::test(flavor = "current_thread")]
async fn a_current_thread_host() {
    exercise_pack().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_host() {
    exercise_pack().await;
}

#[test]
fn a_host_that_builds_its_runtime_per_query() {
    for _ in 0..2 {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(exercise_pack());
    }
}
