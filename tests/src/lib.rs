//! Support for dfpack's integration tests: find the built images, and give each
//! test its own copy (the loader dedups by path, and datafusion-ffi unwraps a
//! struct that comes back into the image that made it, so a test that shares
//! an image with its host measures nothing).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use dfpack_loader::{Pack, SessionFactory};
use tempfile::TempDir;

/// The cargo profile directory holding the built images (`target/debug`),
/// found from the running test binary (`target/debug/deps/<test>`).
pub fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let deps = exe.parent().expect("test binaries live in target/<profile>/deps");
    deps.parent().expect("deps has a parent").to_path_buf()
}

/// The path of a built image, with a clear message when it was not built.
pub fn artifact(name: &str) -> PathBuf {
    let path = artifacts_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before the tests (see README)",
        path.display()
    );
    path
}

pub fn pack_image() -> PathBuf {
    artifact("libdfpack.so")
}

pub fn fixture_image() -> PathBuf {
    artifact("libdfpack_fixture.so")
}

/// A private copy of an image in its own temp dir (kept alive by the returned guard).
pub struct ImageCopy {
    pub path: PathBuf,
    _dir: TempDir,
}

impl ImageCopy {
    pub fn of(image: &Path) -> ImageCopy {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(image.file_name().expect("image has a file name"));
        std::fs::copy(image, &path).expect("copy image");
        ImageCopy { path, _dir: dir }
    }

    /// Makes the fixture copy misreport its build (see the fixture's manifest_override).
    pub fn with_manifest_override(self, lines: &str) -> ImageCopy {
        let sidecar = format!("{}.manifest", self.path.display());
        std::fs::write(sidecar, lines).expect("write manifest override");
        self
    }

    pub fn load(&self) -> Arc<Pack> {
        Pack::load(&self.path).unwrap_or_else(|e| panic!("loading {}: {e}", self.path.display()))
    }
}

/// A session with a private copy of the real pack installed.
pub fn session_with_pack() -> (SessionContext, ImageCopy) {
    let copy = ImageCopy::of(&pack_image());
    let ctx = SessionFactory::new().with_pack(copy.load()).build().expect("build session");
    (ctx, copy)
}

/// A session with a private copy of the fixture pack installed.
pub fn session_with_fixture() -> (SessionContext, ImageCopy) {
    let copy = ImageCopy::of(&fixture_image());
    let ctx = SessionFactory::new().with_pack(copy.load()).build().expect("build session");
    (ctx, copy)
}

pub async fn query(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<RecordBatch>> {
    ctx.sql(sql).await?.collect().await
}

/// Runs `sql` and renders the result as a table, for comparisons.
pub async fn query_table(ctx: &SessionContext, sql: &str) -> String {
    let batches = query(ctx, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    pretty_format_batches(&batches).expect("format").to_string()
}

/// The single value of a one-row, one-column result, as text.
pub async fn query_value(ctx: &SessionContext, sql: &str) -> String {
    let batches = query(ctx, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 1, "{sql} should return one row");
    let batch = batches.iter().find(|b| b.num_rows() == 1).expect("the row");
    datafusion::arrow::util::display::array_value_to_string(batch.column(0), 0).expect("display")
}

/// A session with a private copy of the real pack installed and its catalog
/// built from `config` (pack config text, TOML or JSON).
pub fn session_with_pack_config(config: &str) -> (SessionContext, ImageCopy) {
    let copy = ImageCopy::of(&pack_image());
    let ctx = SessionFactory::new()
        .with_pack(copy.load())
        .with_pack_config(config)
        .build()
        .unwrap_or_else(|e| panic!("build a session with the pack config: {e}\n{config}"));
    (ctx, copy)
}

/// The shared, read-only Delta tables: `$DFPACK_DELTA_TABLES`, else
/// `shared/delta-tables` beside the project root. Never write into them: see
/// [`copy_delta_table`].
pub fn delta_tables_dir() -> PathBuf {
    let dir = std::env::var_os("DFPACK_DELTA_TABLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| dfpack_common::crate_dir!().join("../../shared/delta-tables"));
    std::fs::canonicalize(&dir).unwrap_or_else(|e| panic!("the shared Delta tables at {}: {e}", dir.display()))
}

/// The path of one shared Delta table (read only).
pub fn delta_table(name: &str) -> PathBuf {
    let path = delta_tables_dir().join(name);
    assert!(path.join("_delta_log").is_dir(), "{} is not a Delta table", path.display());
    path
}

/// A writable copy of a shared Delta table in a temp dir, for tests that
/// change it or its files' times.
pub fn copy_delta_table(name: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_delta_table_to(name, dir.path());
    dir
}

/// Copies a shared Delta table to `target` (created), writable.
pub fn copy_delta_table_to(name: &str, target: &Path) {
    fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let target = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &target)?;
            } else {
                std::fs::copy(entry.path(), &target)?;
                // The shared tables are read-only; the copy must not be.
                let mut permissions = std::fs::metadata(&target)?.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                permissions.set_readonly(false);
                std::fs::set_permissions(&target, permissions)?;
            }
        }
        Ok(())
    }
    copy(&delta_table(name), target).unwrap_or_else(|e| panic!("copy Delta table {name}: {e}"));
}

/// This host's pack ABI, as `pack_manifest()` shows it (`major.minor`).
pub fn host_pack_abi() -> String {
    format!("{}.{}", dfpack_loader::PACK_ABI_MAJOR, dfpack_loader::PACK_ABI_MINOR)
}

/// Every row of a result, each rendered as `cell|cell|…` (NULL as `NULL`).
pub fn render_rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("a displayable column"))
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect::<Vec<_>>().join("|"));
        }
    }
    rows
}

/// The rows of a query that must succeed, in the order returned, rendered by [`render_rows`].
pub async fn rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let frame = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    render_rows(&frame.collect().await.unwrap_or_else(|e| panic!("{sql}: {e}")))
}

/// The error of a statement that must fail, at planning or execution.
pub async fn query_error(ctx: &SessionContext, sql: &str) -> String {
    let result = match ctx.sql(sql).await {
        Ok(frame) => frame.collect().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(batches) => panic!("{sql}: expected an error, got {:?}", render_rows(&batches)),
        Err(e) => e.strip_backtrace(),
    }
}
