//! Runs every `.slt` file under `tests/slt/` through a real host: a DataFusion
//! session with the built pack installed from its own image (files under
//! `slt/fixture/` get the test-only fixture pack instead). One session per
//! file, fixed `target_partitions`, so plans and outputs are stable.
//!
//! Variables: `${PACK}` is the path of the installed pack, `${FIXTURE}` the
//! fixture's, `${DELTA}` the shared Delta tables' directory (read only) (use
//! `control substitution on`).
//!
//! A file whose first lines (before any record) include
//! `# pack-config: <file>` gets a session built with that pack config, the
//! path relative to the `.slt` file and `${DELTA}` and `${TMP}` in its text
//! replaced. `${TMP}` is a fresh writable directory per file; each header line
//! `# copy-table: <name>` copies the shared table `<name>` to `${TMP}/<name>`
//! first (files that write work on such copies, never on the shared tables).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use dfpack_loader::{Pack, SessionFactory};
use dfpack_tests::{copy_delta_table_to, delta_tables_dir, fixture_image, pack_image};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};

struct PackSession {
    ctx: SessionContext,
}

#[derive(Debug)]
struct QueryError(DataFusionError);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for QueryError {}

#[async_trait]
impl AsyncDB for PackSession {
    type Error = QueryError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, QueryError> {
        let frame = self.ctx.sql(sql).await.map_err(QueryError)?;
        let schema = frame.schema().as_arrow().clone();
        let batches = frame.collect().await.map_err(QueryError)?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema.fields().iter().map(|field| column_type(field.data_type())).collect();
        Ok(DBOutput::Rows { types, rows: render(&batches).map_err(QueryError)? })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "dfpack"
    }
}

fn column_type(data_type: &DataType) -> DefaultColumnType {
    if data_type.is_integer() {
        DefaultColumnType::Integer
    } else if data_type.is_floating() || matches!(data_type, DataType::Decimal128(..) | DataType::Decimal256(..)) {
        DefaultColumnType::FloatingPoint
    } else if matches!(data_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
        DefaultColumnType::Text
    } else {
        DefaultColumnType::Any
    }
}

fn render(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, DataFusionError> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect());
        }
    }
    Ok(rows)
}

fn slt_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "slt") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The header lines of a file (before any record): comments and blank lines.
fn header(file: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(text.lines().take_while(|line| line.trim().is_empty() || line.starts_with('#')).map(str::to_string).collect())
}

/// The pack config a file asks for with a `# pack-config: <file>` header line.
fn pack_config(file: &Path, tmp: &Path) -> Result<Option<String>, String> {
    let Some(name) = header(file)?.iter().find_map(|line| line.strip_prefix("# pack-config:").map(str::to_string)) else {
        return Ok(None);
    };
    let path = file.parent().unwrap_or(Path::new(".")).join(name.trim());
    let config = std::fs::read_to_string(&path).map_err(|e| format!("pack config {}: {e}", path.display()))?;
    Ok(Some(
        config
            .replace("${DELTA}", &delta_tables_dir().display().to_string())
            .replace("${TMP}", &tmp.display().to_string()),
    ))
}

/// Copies the shared tables a file names with `# copy-table: <name>` into `tmp`.
fn copy_tables(file: &Path, tmp: &Path) -> Result<(), String> {
    for line in header(file)? {
        if let Some(name) = line.strip_prefix("# copy-table:") {
            copy_delta_table_to(name.trim(), &tmp.join(name.trim()));
        }
    }
    Ok(())
}

async fn run_file(file: &Path) -> Result<(), String> {
    let image = if file.components().any(|c| c.as_os_str() == "fixture") { fixture_image() } else { pack_image() };
    let pack = Pack::load(&image).map_err(|e| e.to_string())?;
    let mut factory = SessionFactory::new()
        .with_config(SessionConfig::new().with_information_schema(true).with_target_partitions(4))
        .with_pack(pack)
        .with_sql_plugin_loading(true);
    let tmp = tempfile::tempdir().map_err(|e| format!("a temp dir: {e}"))?;
    copy_tables(file, tmp.path())?;
    if let Some(config) = pack_config(file, tmp.path())? {
        factory = factory.with_pack_config(config);
    }
    let ctx = factory.build().map_err(|e| e.to_string())?;
    let mut runner = sqllogictest::Runner::new(move || {
        let ctx = ctx.clone();
        async move { Ok(PackSession { ctx }) }
    });
    runner.set_var("PACK".into(), pack_image().display().to_string());
    runner.set_var("FIXTURE".into(), fixture_image().display().to_string());
    runner.set_var("DELTA".into(), delta_tables_dir().display().to_string());
    runner.set_var("TMP".into(), tmp.path().display().to_string());
    runner.run_file_async(file).await.map_err(|e| e.display(true).to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let root = dfpack_common::crate_dir!().join("slt");
    let filter = std::env::args().nth(1).filter(|arg| !arg.starts_with('-'));
    let files: Vec<PathBuf> = slt_files(&root)
        .into_iter()
        .filter(|f| filter.as_ref().is_none_or(|name| f.display().to_string().contains(name.as_str())))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let name = file.strip_prefix(&root).unwrap_or(file).display().to_string();
        match run_file(file).await {
            Ok(()) => {
                passed += 1;
                println!("sqllogictest {name} ... ok");
            }
            Err(error) => {
                failed += 1;
                println!("sqllogictest {name} ... FAILED\n{error}");
            }
        }
    }
    println!("sqllogictest: {passed} passed, {failed} failed");
    if failed == 0 && passed > 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
