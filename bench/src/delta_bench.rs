//! Delta benchmarks, as ratios from one run on one machine, in one process:
//! - the pack's Delta catalog through FFI (libdfpack.so loaded as a separate
//!   image, a dataset from its pack config) vs deltalake-core's own table
//!   provider linked natively vs DataFusion's ListingTable over the same
//!   parquet files (exactly the table's active files, read from its log);
//! - what each planned to read for a selective query (files, bytes): the pack's
//!   from `pack_delta_scans()`, the others' from their physical plans;
//! - table resolution: the pack's first query in a new session (fresh pack
//!   config, nothing cached) vs its second (cached snapshot) vs deltalake-core's
//!   `open_table`.
//!
//! Runs are interleaved (native, pack, listing, native, ...) so drift on a
//! shared machine hits every side alike; each figure is a median.
//!
//! The table (default 10M rows) is generated once with deltalake-core's writer
//! and cached under `$DFPACK_BENCH_DATA` (default ~/.cache/dfpack/bench-data):
//! `--commits` appends of `--rows / --commits` rows each, partitioned by
//! `day` (10 values); ids increase from commit to commit, so each file's
//! min/max of `id` lies within its commit's range and statistics skip files.
//! Only appends: no removes, no deletion vectors, so a listing of the active
//! files is equivalent to the table.
//!
//! usage: delta-bench [--rows N] [--runs N] [--commits N] [--pack PATH] [--data DIR]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::{SessionConfig, SessionContext};
use deltalake_core::protocol::SaveMode;
use deltalake_core::{DeltaTable, DeltaTableBuilder};
use dfpack_bench::{PairedRatio, median, ms};
use dfpack_loader::{Pack, SessionFactory, default_pack_path};
use dfpack_providers::provider::files_read;
use url::Url;

type BoxError = Box<dyn std::error::Error>;
type Result<T> = std::result::Result<T, BoxError>;

const BATCH_ROWS: usize = 65_536;
const DAYS: i64 = 10;
/// The dataset's name in the pack config: `delta.default.t`.
const PACK_TABLE: &str = "delta.default.t";

struct Options {
    rows: usize,
    runs: usize,
    commits: usize,
    pack: PathBuf,
    data: PathBuf,
}

fn options() -> std::result::Result<Options, String> {
    let data = std::env::var_os("DFPACK_BENCH_DATA").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/dfpack/bench-data")
    });
    let mut options =
        Options { rows: 10_000_000, runs: 5, commits: 10, pack: default_pack_path().unwrap_or_default(), data };
    for (flag, value) in dfpack_bench::flag_values()? {
        match flag.as_str() {
            "--rows" => options.rows = value.parse().map_err(|e| format!("--rows: {e}"))?,
            "--runs" => options.runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            "--commits" => options.commits = value.parse().map_err(|e| format!("--commits: {e}"))?,
            "--pack" => options.pack = value.into(),
            "--data" => options.data = value.into(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.runs == 0 || options.commits == 0 || options.rows < options.commits * DAYS as usize {
        return Err("--runs and --commits must be positive, --rows at least 10 per commit".to_string());
    }
    Ok(options)
}

/// The generated table's directory for these options (the Python bench computes the same).
fn table_dir(options: &Options) -> PathBuf {
    options.data.join(format!("delta-bench-{}rows-{}commits", options.rows, options.commits))
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("day", DataType::Int32, true),
        Field::new("v", DataType::Int64, true),
        Field::new("f", DataType::Float64, true),
        Field::new("s", DataType::Utf8, true),
    ]))
}

/// Rows `ids`: `day = id % 10`, `v = id * 7919 % 1000`, `f = (id % 1000) / 10`, `s = 'user-<id % 100000>'`.
fn batch(ids: std::ops::Range<usize>) -> Result<RecordBatch> {
    let ids = ids.start as i64..ids.end as i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(ids.clone())),
        Arc::new(Int32Array::from_iter_values(ids.clone().map(|i| (i % DAYS) as i32))),
        Arc::new(Int64Array::from_iter_values(ids.clone().map(|i| i * 7919 % 1000))),
        Arc::new(Float64Array::from_iter_values(ids.clone().map(|i| (i % 1000) as f64 / 10.0))),
        Arc::new(ids.map(|i| Some(format!("user-{:05}", i % 100_000))).collect::<StringArray>()),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

/// The cached table, generated first if missing (into a temporary directory,
/// renamed into place when complete, so an interrupted run leaves no half table).
async fn ensure_table(options: &Options) -> Result<PathBuf> {
    let dir = table_dir(options);
    if dir.join("_delta_log").is_dir() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&options.data)?;
    let tmp = options.data.join(format!(".generating-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let started = Instant::now();
    eprintln!("generating {} ({} rows, {} commits) ...", dir.display(), options.rows, options.commits);
    let url = Url::from_directory_path(std::fs::canonicalize(&tmp)?).map_err(|()| "not a directory path")?;
    let mut table = DeltaTable::try_from_url(url).await?;
    let per_commit = options.rows / options.commits;
    for commit in 0..options.commits {
        let start = commit * per_commit;
        let end = if commit + 1 == options.commits { options.rows } else { start + per_commit };
        let batches = (start..end)
            .step_by(BATCH_ROWS)
            .map(|from| batch(from..(from + BATCH_ROWS).min(end)))
            .collect::<Result<Vec<_>>>()?;
        table = table
            .write(batches)
            .with_partition_columns(["day"])
            .with_save_mode(SaveMode::Append)
            .with_table_name("t")
            .await?;
    }
    std::fs::rename(&tmp, &dir)?;
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    Ok(dir)
}

fn config() -> SessionConfig {
    SessionConfig::new().with_target_partitions(2)
}

async fn time(ctx: &SessionContext, sql: &str) -> Result<Duration> {
    let start = Instant::now();
    ctx.sql(sql).await?.collect().await?;
    Ok(start.elapsed())
}

/// Time to plan `sql` (SQL to physical plan, the provider's scan included)
/// and time to execute that plan.
async fn phases(ctx: &SessionContext, sql: &str) -> Result<(Duration, Duration)> {
    let start = Instant::now();
    let plan = ctx.sql(sql).await?.create_physical_plan().await?;
    let planned = start.elapsed();
    datafusion::physical_plan::collect(plan, ctx.task_ctx()).await?;
    Ok((planned, start.elapsed() - planned))
}

/// One benchmarked side: its session and the name its table has there.
struct Side {
    name: &'static str,
    ctx: SessionContext,
    table: &'static str,
}

impl Side {
    fn sql(&self, template: &str) -> String {
        template.replace("{t}", self.table)
    }
}

/// The times of `template` on each side, runs interleaved, after one warm-up each.
async fn compare(sides: &[&Side], template: &str, runs: usize) -> Result<Vec<Vec<Duration>>> {
    for side in sides {
        time(&side.ctx, &side.sql(template)).await?;
    }
    let mut samples = vec![Vec::new(); sides.len()];
    for _ in 0..runs {
        for (side, samples) in sides.iter().zip(samples.iter_mut()) {
            samples.push(time(&side.ctx, &side.sql(template)).await?);
        }
    }
    Ok(samples)
}

/// The rows of `template` on `side`, as text (for checking that every side agrees).
async fn answer(side: &Side, template: &str) -> Result<String> {
    let batches = side.ctx.sql(&side.sql(template)).await?.collect().await?;
    Ok(pretty_format_batches(&batches)?.to_string())
}

async fn planned_reads(side: &Side, template: &str) -> Result<(u64, u64)> {
    let plan = side.ctx.sql(&side.sql(template)).await?.create_physical_plan().await?;
    Ok(files_read(&plan))
}

/// The pack's most recent scan: files, bytes and the filters it was offered.
async fn pack_last_scan(side: &Side) -> Result<(u64, u64, String)> {
    let batches = side
        .ctx
        .sql("SELECT files, bytes, array_to_string(filters, ' AND ') FROM pack_delta_scans() ORDER BY seq DESC LIMIT 1")
        .await?
        .collect()
        .await?;
    let batch = batches.iter().find(|b| b.num_rows() > 0).ok_or("pack_delta_scans() recorded no scan")?;
    let int = |i: usize| {
        batch.column(i).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0) as u64).ok_or("not an Int64 column")
    };
    let filters = datafusion::arrow::util::display::array_value_to_string(batch.column(2), 0)?;
    Ok((int(0)?, int(1)?, filters))
}

/// A data file's local path, from the URI deltalake gives (a `file://` URL or a path).
fn local_path(file: &str) -> Result<PathBuf> {
    if file.contains("://") {
        Ok(Url::parse(file)?.to_file_path().map_err(|()| format!("{file}: not a local file"))?)
    } else {
        Ok(PathBuf::from(file))
    }
}

/// A ListingTable over exactly `files` (the table's active files), partitioned
/// by `day`. One table path per file: the table root with a glob that matches
/// only that file's name, so partition values are parsed from the `day=N`
/// directory as usual and DataFusion's listing cache serves the root's listing.
async fn listing_table(ctx: &SessionContext, root: &Path, files: &[String]) -> Result<Arc<ListingTable>> {
    let root = std::fs::canonicalize(root)?;
    let mut urls = Vec::new();
    let mut names = BTreeSet::new();
    for file in files {
        let path = local_path(file)?;
        let name = path.file_name().and_then(|n| n.to_str()).ok_or("a file without a name")?.to_string();
        if name.contains(['*', '?', '[', ']', '{', '}']) || !names.insert(name.clone()) {
            return Err(format!("file name {name} is not unique or not glob-safe").into());
        }
        // The last character as a one-character class makes the name a glob that matches only itself.
        let (head, last) = name.split_at(name.len() - 1);
        urls.push(ListingTableUrl::parse(format!("{}/{head}[{last}]", root.display()))?);
    }
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![("day".to_string(), DataType::Int32)]);
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .infer_schema(&ctx.state())
        .await?;
    Ok(Arc::new(ListingTable::try_new(config)?))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dfpack_bench::exit_code("delta-bench", run().await)
}

async fn run() -> Result<()> {
    let options = options()?;
    let root = ensure_table(&options).await?;
    let root = std::fs::canonicalize(root)?;
    let url = Url::from_directory_path(&root).map_err(|()| "not a directory path")?;

    // A private copy: the pack must be its own image, never this binary's.
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("libdfpack.so");
    std::fs::copy(&options.pack, &copy)?;
    let pack = Pack::load(&copy)?;
    let pack_config = format!("[datasets.t]\ntable_uri = {:?}\n", root.display().to_string());
    let factory =
        SessionFactory::new().with_config(config()).with_pack(Arc::clone(&pack)).with_pack_config(pack_config.clone());

    // (a) the pack through FFI, (b) deltalake-core natively, (c) a ListingTable.
    let pack_side = Side { name: "pack (FFI)", ctx: factory.build()?, table: PACK_TABLE };
    // Where the pack's time goes: (d) the same pack, its snapshot cache allowed
    // to serve a minute-old snapshot (no listing of the log per query);
    // (e) the pack's provider code (dfpack-providers) linked natively, no FFI.
    let stale_config = format!("{pack_config}[cache]\nrefresh = \"max_staleness\"\nmax_staleness_ms = 600000\n");
    let stale_side = Side {
        name: "pack (FFI), cache max_staleness",
        ctx: SessionFactory::new().with_config(config()).with_pack(Arc::clone(&pack)).with_pack_config(stale_config).build()?,
        table: PACK_TABLE,
    };
    let providers = dfpack_providers::DeltaPack::new(tokio::runtime::Handle::current()).catalog(&pack_config)?;
    let linked_side = Side { name: "pack provider linked (no FFI)", ctx: SessionContext::new_with_config(config()), table: PACK_TABLE };
    linked_side.ctx.register_catalog(&providers.name, providers.catalog);

    let delta = DeltaTableBuilder::from_url(url.clone())?.load().await?;
    let native_side = Side { name: "deltalake-core", ctx: SessionContext::new_with_config(config()), table: "t" };
    native_side.ctx.register_table("t", delta.table_provider().await?)?;
    let files: Vec<String> = delta.get_file_uris()?.collect();
    let listing_side = Side { name: "ListingTable", ctx: SessionContext::new_with_config(config()), table: "t" };
    listing_side.ctx.register_table("t", listing_table(&listing_side.ctx, &root, &files).await?)?;

    let version = delta.version().unwrap_or_default();
    let total_bytes: u64 = files
        .iter()
        .map(|f| local_path(f).ok().and_then(|p| p.metadata().ok()).map_or(0, |m| m.len()))
        .sum();
    println!(
        "table: {} (version {version}, {} rows, {} commits, {} active files, {:.1} MiB)",
        root.display(),
        options.rows,
        options.commits,
        files.len(),
        total_bytes as f64 / 1_048_576.0
    );
    println!(
        "runs: {} (interleaved; times are medians; a ratio is the median of the runs' own ratios, \
         with their quartiles), partitions: 2",
        options.runs
    );

    let (lo, hi) = (options.rows * 395 / 1000, options.rows * 405 / 1000);
    let full = "SELECT day, count(*), sum(v), avg(f) FROM {t} GROUP BY day";
    let selective = format!("SELECT count(*), sum(v), avg(f) FROM {{t}} WHERE day = 3 AND id BETWEEN {lo} AND {hi}");
    // (name, query, whether the throughput goals are its: the selective
    // query's goal is files and bytes read, checked below)
    let queries = [
        ("full scan + aggregate", full.to_string(), true),
        ("day = 3 AND id BETWEEN (selective)", selective.clone(), false),
    ];

    // Every side must give the same answer (avg rounded: summation order differs).
    let checks = [
        "SELECT CAST(day AS INT) AS day, count(*) AS n, sum(v) AS sv, round(avg(f), 6) AS af FROM {t} GROUP BY 1 ORDER BY 1".to_string(),
        format!("SELECT count(*) AS n, sum(v) AS sv, round(avg(f), 6) AS af FROM {{t}} WHERE day = 3 AND id BETWEEN {lo} AND {hi}"),
    ];
    for check in &checks {
        let expected = answer(&native_side, check).await?;
        for side in [&pack_side, &listing_side, &stale_side, &linked_side] {
            let got = answer(side, check).await?;
            if got != expected {
                return Err(format!("{} disagrees with {} on {check}:\n{got}\nvs\n{expected}", side.name, native_side.name).into());
            }
        }
    }

    println!(
        "\n| query | deltalake-core ms | pack (FFI) ms | ListingTable ms | pack throughput / native (goal >= 0.97) | pack throughput / listing (goal >= 0.95) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut breakdown = Vec::new();
    for (name, template, throughput_goals) in &queries {
        let sides = [&native_side, &pack_side, &listing_side, &stale_side, &linked_side];
        let samples = compare(&sides, template, options.runs).await?;
        let vs_native = PairedRatio::of(&samples[0], &samples[1]);
        let vs_listing = PairedRatio::of(&samples[2], &samples[1]);
        let medians: Vec<Duration> = samples.into_iter().map(median).collect();
        let (native, pack, listing) = (medians[0], medians[1], medians[2]);
        breakdown.push((name, native, medians[4], medians[3], pack));
        let (vs_native_goal, vs_listing_goal) = if *throughput_goals {
            (met(vs_native.median >= 0.97), met(vs_listing.median >= 0.95))
        } else {
            ("no goal", "no goal")
        };
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {vs_native} ({vs_native_goal}) | {vs_listing} ({vs_listing_goal}) |",
            ms(native),
            ms(pack),
            ms(listing),
        );
    }

    println!(
        "\nwhere the pack's time goes (same runs): deltalake-core natively -> the pack's provider linked natively \
         (its resolution per query: log listing, gate, provider) -> through FFI with no log listing \
         (cache max_staleness) -> through FFI as configured (a log listing per query)"
    );
    println!("| query | deltalake-core ms | pack provider linked ms | pack FFI, max_staleness ms | pack FFI ms |\n|---|---:|---:|---:|---:|");
    for (name, native, linked, stale, pack) in breakdown {
        println!("| {name} | {:.1} | {:.1} | {:.1} | {:.1} |", ms(native), ms(linked), ms(stale), ms(pack));
    }

    // The fixed cost per query: planning (the scan call) vs execution.
    let phase_sides = [&native_side, &linked_side, &pack_side];
    let mut phase_samples = vec![(Vec::new(), Vec::new()); phase_sides.len()];
    for _ in 0..options.runs {
        for (side, (plans, execs)) in phase_sides.iter().zip(phase_samples.iter_mut()) {
            let (plan, exec) = phases(&side.ctx, &side.sql(&selective)).await?;
            plans.push(plan);
            execs.push(exec);
        }
    }
    println!("\nselective query by phase (median of {}): planning (SQL to physical plan, the scan call included) and execution", options.runs);
    println!("| side | planning ms | execution ms |\n|---|---:|---:|");
    for (side, (plans, execs)) in phase_sides.iter().zip(phase_samples) {
        println!("| {} | {:.2} | {:.2} |", side.name, ms(median(plans)), ms(median(execs)));
    }

    // Files and bytes the selective query plans to read: the pack's from its scan log.
    time(&pack_side.ctx, &pack_side.sql(&selective)).await?;
    let (pack_files, pack_bytes, pack_filters) = pack_last_scan(&pack_side).await?;
    let (native_files, native_bytes) = planned_reads(&native_side, &selective).await?;
    let (listing_files, listing_bytes) = planned_reads(&listing_side, &selective).await?;
    println!("\nselective query: {}", selective.replace("{t}", "t"));
    println!("| reader | files | bytes |\n|---|---:|---:|");
    println!("| pack (pack_delta_scans) | {pack_files} | {pack_bytes} |");
    println!("| deltalake-core (physical plan) | {native_files} | {native_bytes} |");
    println!("| ListingTable (physical plan: partition pruning only, statistics prune its files when opened) | {listing_files} | {listing_bytes} |");
    println!("| whole table | {} | {total_bytes} |", files.len());
    println!("pack scan filters: {pack_filters}");
    // The pack must never read more than deltalake-core's own provider; it
    // may read less (it is handed the host's split conjuncts).
    if pack_files > native_files || pack_bytes > native_bytes {
        return Err(format!(
            "the pack planned {pack_files} files / {pack_bytes} bytes, more than deltalake-core's {native_files} / {native_bytes}"
        )
        .into());
    }
    let verdict = if (pack_files, pack_bytes) == (native_files, native_bytes) { "the same" } else { "fewer" };
    println!("pack plans {verdict} files and bytes as/than deltalake-core: {pack_files}/{pack_bytes} vs {native_files}/{native_bytes}");

    // Table resolution: a new session (fresh pack config, so a fresh snapshot
    // cache), its first query (cold) and its second (warm), vs deltalake-core's open_table.
    let resolve = format!("SELECT * FROM {PACK_TABLE} LIMIT 0");
    let (mut builds, mut colds, mut warms, mut opens) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut cold_selectives, mut warm_selectives) = (Vec::new(), Vec::new());
    for _ in 0..options.runs.max(5) {
        let started = Instant::now();
        let ctx = factory.build()?;
        builds.push(started.elapsed());
        colds.push(time(&ctx, &resolve).await?);
        warms.push(time(&ctx, &resolve).await?);

        let started = Instant::now();
        let table = deltalake_core::open_table(url.clone()).await?;
        let _provider = table.table_provider().await?;
        opens.push(started.elapsed());

        let ctx = factory.build()?;
        let sql = selective.replace("{t}", PACK_TABLE);
        cold_selectives.push(time(&ctx, &sql).await?);
        warm_selectives.push(time(&ctx, &sql).await?);
    }
    let (cold, warm, open) = (median(colds), median(warms), median(opens));
    println!("\n| table resolution (median of {}) | ms |\n|---|---:|", options.runs.max(5));
    println!("| pack: new session (install with pack config) | {:.2} |", ms(median(builds)));
    println!("| pack: first query of a new session, `SELECT * FROM t LIMIT 0` (cold: log read, snapshot loaded) | {:.2} |", ms(cold));
    println!("| pack: second query, same session (warm: log listed, cached snapshot) | {:.2} |", ms(warm));
    println!("| deltalake-core natively: open_table + table_provider | {:.2} |", ms(open));
    println!("| pack: selective query, first in a new session | {:.2} |", ms(median(cold_selectives)));
    println!("| pack: selective query, second in that session | {:.2} |", ms(median(warm_selectives)));
    println!(
        "cold / open_table: {:.3}, warm / cold: {:.3}",
        cold.as_secs_f64() / open.as_secs_f64(),
        warm.as_secs_f64() / cold.as_secs_f64()
    );
    Ok(())
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
