//! Shared helpers of the provider crate's integration tests: where the shared
//! real Delta tables are, rendering query results order-insensitively, reading
//! the same table through deltalake-core directly, and an independent replay of
//! JSON Delta logs (no checkpoints) to count files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::catalog::TableProvider;
use datafusion::prelude::SessionContext;
use deltalake_core::DeltaTableBuilder;
use dfpack_providers::{CachePolicy, DeltaEnv, ProtocolGate, ScanOptions, TableReference};
use serde_json::Value;
use url::Url;

/// The folder of one of the shared real tables (`$DFPACK_DELTA_TABLES`, else
/// `shared/delta-tables` beside the project; read-only: never write into it).
pub fn table_path(name: &str) -> String {
    let dir = std::env::var("DFPACK_DELTA_TABLES")
        .unwrap_or_else(|_| dfpack_common::crate_dir!().join("../../shared/delta-tables").display().to_string());
    let path = format!("{dir}/{name}");
    std::fs::canonicalize(&path).unwrap_or_else(|e| panic!("shared table {path}: {e}")).to_string_lossy().into_owned()
}

pub fn table_url(path: &str) -> Url {
    Url::from_directory_path(path).expect("an absolute directory path")
}

/// Copies a shared table into a fresh temp dir (files only; permissions made writable).
pub fn copy_table(name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let target = dir.path().join(name);
    copy_dir(Path::new(&table_path(name)), &target);
    let path = target.to_string_lossy().into_owned();
    (dir, path)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
            let mut perms = std::fs::metadata(&target).expect("metadata").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).expect("make writable");
        }
    }
}

/// One environment on the current (test) runtime.
pub fn env(policy: CachePolicy) -> Arc<DeltaEnv> {
    DeltaEnv::new(tokio::runtime::Handle::current(), policy)
}

/// A context with `t` = the pack's provider for `table` under the default gate.
pub async fn pack_context(env: &DeltaEnv, name: &str, table: &TableReference) -> SessionContext {
    let provider = env
        .provider(name, table, &ProtocolGate::default(), &ScanOptions::default())
        .await
        .unwrap_or_else(|e| panic!("provider for {name}: {e}"));
    let ctx = SessionContext::new();
    ctx.register_table("t", provider).expect("register t");
    ctx
}

/// A context with `t` = deltalake-core's own provider for `path` (at `version`, or the latest).
pub async fn reference_context(path: &str, version: Option<u64>) -> SessionContext {
    let mut builder = DeltaTableBuilder::from_url(table_url(path)).expect("builder");
    if let Some(v) = version {
        builder = builder.with_version(v as _);
    }
    let table = builder.load().await.unwrap_or_else(|e| panic!("deltalake-core load {path}: {e}"));
    let ctx = SessionContext::new();
    table.update_datafusion_session(&ctx.state()).expect("object store registered");
    let provider: Arc<dyn TableProvider> = table.table_provider().await.expect("deltalake-core provider");
    ctx.register_table("t", provider).expect("register t");
    ctx
}

/// The result of a query: column names, and every row rendered as text, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub columns: Vec<String>,
    pub rows: Vec<String>,
}

pub async fn query(ctx: &SessionContext, sql: &str) -> Rendered {
    try_query(ctx, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub async fn try_query(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Rendered> {
    let df = ctx.sql(sql).await?;
    let columns = df.schema().fields().iter().map(|f| f.name().clone()).collect();
    let batches = df.collect().await?;
    Ok(Rendered { columns, rows: render(&batches) })
}

pub fn render(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("a formatter"))
            .collect();
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters.iter().map(|f| f.value(row).to_string()).collect();
            rows.push(cells.join(" | "));
        }
    }
    rows.sort();
    rows
}

/// The active `add` actions of a table whose log has only JSON commits, up to
/// `version` (inclusive), keyed by path. Independent of the crate under test.
pub fn active_adds(path: &str, version: Option<u64>) -> BTreeMap<String, Value> {
    let log = Path::new(path).join("_delta_log");
    let mut commits: Vec<(u64, PathBuf)> = std::fs::read_dir(&log)
        .expect("read _delta_log")
        .filter_map(|e| {
            let p = e.ok()?.path();
            let name = p.file_name()?.to_str()?.to_string();
            let digits = name.strip_suffix(".json")?;
            if digits.len() != 20 {
                return None;
            }
            Some((digits.parse::<u64>().ok()?, p))
        })
        .collect();
    commits.sort();
    assert!(
        !std::fs::read_dir(&log).expect("read _delta_log").any(|e| {
            let name = e.expect("entry").file_name();
            name.to_string_lossy().contains(".checkpoint.")
        }),
        "active_adds replays JSON-only logs; {path} has checkpoints"
    );
    let mut active = BTreeMap::new();
    for (v, file) in commits {
        if version.is_some_and(|max| v > max) {
            break;
        }
        for line in std::fs::read_to_string(&file).expect("read commit").lines() {
            if line.trim().is_empty() {
                continue;
            }
            let action: Value = serde_json::from_str(line).expect("a JSON action");
            if let Some(add) = action.get("add") {
                active.insert(add["path"].as_str().expect("path").to_string(), add.clone());
            }
            if let Some(remove) = action.get("remove") {
                active.remove(remove["path"].as_str().expect("path"));
            }
        }
    }
    active
}

/// The latest commit version, by listing `_delta_log` (independent of the crate).
pub fn latest_commit(path: &str) -> u64 {
    std::fs::read_dir(Path::new(path).join("_delta_log"))
        .expect("read _delta_log")
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            let digits = name.strip_suffix(".json")?;
            if digits.len() == 20 { digits.parse::<u64>().ok() } else { None }
        })
        .max()
        .expect("at least one commit")
}

/// The last recorded scan of an environment.
pub fn last_scan(env: &DeltaEnv) -> dfpack_providers::scans::ScanRecord {
    env.scans.recent().last().expect("a scan was recorded").1.clone()
}
