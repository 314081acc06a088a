//! Write throughput, as ratios from one run in one process: the same rows
//! appended to a Delta table
//! - by `INSERT INTO` through the pack (libdfpack.so loaded as a separate
//!   image, a configured dataset, the rows from an in-memory table), and
//! - by deltalake-core natively (`DeltaTable::write` of the same batches).
//!
//! Every run writes into a new table (created empty by deltalake-core first,
//! outside the timing), runs interleaved (pack, native, pack, …); medians.
//!
//! usage: write-bench [--rows N] [--runs N] [--pack PATH]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionConfig;
use deltalake_core::DeltaTable;
use dfpack_bench::{median, ms};
use dfpack_loader::{Pack, SessionFactory, default_pack_path};
use url::Url;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const BATCH_ROWS: usize = 65_536;

struct Options {
    rows: usize,
    runs: usize,
    pack: PathBuf,
}

fn options() -> std::result::Result<Options, String> {
    let mut options = Options { rows: 2_000_000, runs: 7, pack: default_pack_path().unwrap_or_default() };
    for (flag, value) in dfpack_bench::flag_values()? {
        match flag.as_str() {
            "--rows" => options.rows = value.parse().map_err(|e| format!("--rows: {e}"))?,
            "--runs" => options.runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            "--pack" => options.pack = value.into(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.rows == 0 || options.runs == 0 {
        return Err("--rows and --runs must be positive".to_string());
    }
    Ok(options)
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("day", DataType::Int32, true),
        Field::new("v", DataType::Int64, true),
        Field::new("f", DataType::Float64, true),
        Field::new("s", DataType::Utf8, true),
    ]))
}

/// `rows` rows in batches of `BATCH_ROWS`.
fn batches(rows: usize) -> Result<Vec<RecordBatch>> {
    (0..rows)
        .step_by(BATCH_ROWS)
        .map(|start| {
            let ids = start as i64..(start + BATCH_ROWS).min(rows) as i64;
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(ids.clone())),
                Arc::new(Int32Array::from_iter_values(ids.clone().map(|i| (i % 10) as i32))),
                Arc::new(Int64Array::from_iter_values(ids.clone().map(|i| i * 7 % 1000))),
                Arc::new(Float64Array::from_iter_values(ids.clone().map(|i| i as f64 / 3.0))),
                Arc::new(StringArray::from_iter_values(ids.map(|i| format!("event-{i:09}")))),
            ];
            Ok(RecordBatch::try_new(schema(), columns)?)
        })
        .collect()
}

fn url_of(dir: &Path) -> Result<Url> {
    Ok(Url::from_directory_path(dir).map_err(|()| format!("{} is not a directory path", dir.display()))?)
}

/// An empty table of `schema()` at `dir`.
async fn create_empty(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let empty = RecordBatch::new_empty(schema());
    DeltaTable::try_from_url(url_of(dir)?).await?.write(vec![empty]).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dfpack_bench::exit_code("write-bench", run().await)
}

async fn run() -> Result<()> {
    let options = options()?;
    let work = tempfile::tempdir()?;
    // A private copy: the pack must be its own image, never this binary's.
    let copy = work.path().join("libdfpack.so");
    std::fs::copy(&options.pack, &copy)?;
    let pack = Pack::load(&copy)?;
    let data = batches(options.rows)?;
    let source = Arc::new(MemTable::try_new(schema(), vec![data.clone()])?);

    // One dataset per run: each write lands in a table of its own.
    let table_dir = |side: &str, run: usize| work.path().join(format!("{side}-{run}"));
    let mut config = String::new();
    for run in 0..=options.runs {
        let dir = table_dir("pack", run);
        config.push_str(&format!("[datasets.w{run}]\ntable_uri = '{}'\n", dir.display()));
    }
    let config_with = SessionConfig::new().with_target_partitions(2);
    let ctx = SessionFactory::new().with_config(config_with).with_pack(pack).with_pack_config(config).build()?;
    ctx.register_table("src", source)?;

    let (mut pack_samples, mut native_samples) = (Vec::new(), Vec::new());
    // Run 0 warms both sides up and is not counted.
    for run in 0..=options.runs {
        create_empty(&table_dir("pack", run)).await?;
        create_empty(&table_dir("native", run)).await?;

        let start = Instant::now();
        let written = ctx.sql(&format!("INSERT INTO delta.default.w{run} SELECT * FROM src")).await?.collect().await?;
        let pack_time = start.elapsed();
        let count = datafusion::arrow::util::display::array_value_to_string(written[0].column(0), 0)?;
        if count != options.rows.to_string() {
            return Err(format!("the pack reported {count} rows written, not {}", options.rows).into());
        }

        let table = DeltaTable::try_from_url(url_of(&table_dir("native", run))?).await?;
        let start = Instant::now();
        table.write(data.clone()).await?;
        let native_time = start.elapsed();

        if run > 0 {
            pack_samples.push(pack_time);
            native_samples.push(native_time);
        }
    }
    let rows_back = ctx.sql("SELECT count(*) FROM delta.default.w1").await?.collect().await?;
    let rows_back = datafusion::arrow::util::display::array_value_to_string(rows_back[0].column(0), 0)?;
    if rows_back != options.rows.to_string() {
        return Err(format!("read back {rows_back} rows from a table the pack wrote, not {}", options.rows).into());
    }

    let (pack_time, native_time) = (median(pack_samples), median(native_samples));
    println!(
        "rows: {}, columns: 5 (int64, int32, int64, float64, utf8), runs: {} (median, interleaved), a new table per run",
        options.rows, options.runs
    );
    println!("\n| writer | ms | rows/s | throughput / deltalake-core |\n|---|---:|---:|---:|");
    let rate = |t: Duration| options.rows as f64 / t.as_secs_f64();
    println!("| deltalake-core natively (`DeltaTable::write`) | {:.1} | {:.0} | 1.000 |", ms(native_time), rate(native_time));
    println!(
        "| pack, `INSERT INTO` through FFI | {:.1} | {:.0} | {:.3} |",
        ms(pack_time),
        rate(pack_time),
        native_time.as_secs_f64() / pack_time.as_secs_f64()
    );
    Ok(())
}
