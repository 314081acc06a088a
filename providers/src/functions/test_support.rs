//! What the functions' tests share: the real tables, a session with every
//! function registered, and queries reduced to strings.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use tokio::runtime::Handle;

use crate::{CachePolicy, DeltaEnv};

/// The path of a table in the shared real tables (`$DFPACK_DELTA_TABLES`, else
/// `shared/delta-tables` beside the project). Tests only read them.
pub(crate) fn table(name: &str) -> String {
    let dir = std::env::var("DFPACK_DELTA_TABLES")
        .unwrap_or_else(|_| dfpack_common::crate_dir!().join("../../shared/delta-tables").display().to_string());
    format!("{dir}/{name}")
}

/// A session with every function, reading through a fresh environment on
/// the test's runtime.
pub(crate) fn session() -> (SessionContext, Arc<DeltaEnv>) {
    let env = DeltaEnv::new(Handle::current(), CachePolicy::default());
    let ctx = SessionContext::new();
    for function in super::table_functions(Arc::clone(&env)) {
        ctx.register_udtf(function.name, function.function);
    }
    (ctx, env)
}

pub(crate) async fn batches(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<RecordBatch>> {
    ctx.sql(sql).await?.collect().await
}

/// Every row of the result, each cell as Arrow displays it (NULL as `NULL`).
pub(crate) async fn rows(ctx: &SessionContext, sql: &str) -> Vec<Vec<String>> {
    let batches = batches(ctx, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("a displayable column"))
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect());
        }
    }
    rows
}

/// The single value of a one-row, one-column query.
pub(crate) async fn value(ctx: &SessionContext, sql: &str) -> String {
    match rows(ctx, sql).await.as_slice() {
        [row] if row.len() == 1 => row[0].clone(),
        other => panic!("{sql}: expected one value, got {other:?}"),
    }
}

/// The error of a query that must fail, whether planning or scanning.
pub(crate) async fn error(ctx: &SessionContext, sql: &str) -> String {
    match batches(ctx, sql).await {
        Ok(batches) => panic!("{sql}: expected an error, got {} batches", batches.len()),
        Err(error) => error.strip_backtrace(),
    }
}

/// A copy of a table in a temporary directory, for tests that change it.
pub(crate) fn copy_table(name: &str) -> tempfile::TempDir {
    fn copy(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let target = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &target)?;
            } else {
                std::fs::copy(entry.path(), target)?;
            }
        }
        Ok(())
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy(std::path::Path::new(&table(name)), dir.path()).expect("a copy of the table");
    dir
}
