//! A panic anywhere inside a pack becomes an error of kind `internal`, and the
//! next query in the same session works.

use dfpack_loader::ErrorKind;
use dfpack_tests::{query, query_table, session_with_fixture};

async fn expect_contained_panic(ctx: &datafusion::prelude::SessionContext, sql: &str, context: &str) {
    let error = query(ctx, sql).await.expect_err("the fixture panics on this query");
    let message = error.to_string();
    assert_eq!(ErrorKind::find_in(&message), Some(ErrorKind::Internal), "{sql}: {message}");
    assert!(message.contains(&format!("panic in {context}:")), "{sql}: {message}");
}

async fn expect_healthy(ctx: &datafusion::prelude::SessionContext) {
    let table = query_table(ctx, "SELECT n FROM fixture_panic_table('none') ORDER BY n").await;
    assert_eq!(table.lines().filter(|line| line.starts_with("| ") && !line.contains(" n ")).count(), 3, "{table}");
    let table = query_table(ctx, "SELECT fixture_panic(CAST(1 AS BIGINT)) AS v").await;
    assert!(table.contains("| 1 |"), "{table}");
}

#[tokio::test]
async fn a_panicking_scalar_udf_fails_the_query_not_the_host() {
    let (ctx, _image) = session_with_fixture();
    expect_contained_panic(&ctx, "SELECT fixture_panic(CAST(13 AS BIGINT))", "fixture_panic").await;
    // Not constant-folded: the panic happens while executing over a column.
    expect_contained_panic(
        &ctx,
        "SELECT fixture_panic(column1) FROM (VALUES (CAST(1 AS BIGINT)), (13))",
        "fixture_panic",
    )
    .await;
    expect_healthy(&ctx).await;
}

#[tokio::test]
async fn a_panic_at_each_table_stage_fails_the_query_not_the_host() {
    let (ctx, _image) = session_with_fixture();
    let stages = [
        ("call", "fixture_panic_table"),
        ("scan", "fixture_panic_table (scan)"),
        ("execute", "fixture_panic_table (execute)"),
        ("poll", "fixture_panic_table (stream)"),
    ];
    for (stage, context) in stages {
        expect_contained_panic(&ctx, &format!("SELECT * FROM fixture_panic_table('{stage}')"), context).await;
        expect_healthy(&ctx).await;
    }
}
