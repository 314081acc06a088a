//! UDF benchmarks, as ratios from one run on one machine:
//! - each pack function through FFI (libdfpack.so loaded as a separate image)
//!   vs the same function registered natively in the same process, in a query
//!   and called directly on one batch (what FFI adds per call, without a query
//!   around it);
//! - stable_hash64 vs DataFusion's built-in hashes (md5, sha256, blake3).
//!
//! "Through FFI" is what the loader installs: each call site binds the
//! function's kernel (pack ABI 1.3). The unbound kernel (ABI 1.2, the
//! loader's fallback) is measured beside it, to show what binding saves.
//!
//! Runs are interleaved (native, FFI, native, FFI, ...) so drift on a shared
//! machine hits both sides alike; each figure is a median.
//!
//! usage: udf-bench [--rows N] [--runs N] [--pack path/to/libdfpack.so] [--filter NAME]

use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl};
use dfpack_bench::{PairedRatio, median, ms};
use dfpack_loader::{ExportKind, Pack, PackScalarUdf, SessionFactory, default_pack_path};

const BATCH_ROWS: usize = 8192;

struct Options {
    rows: usize,
    runs: usize,
    pack: std::path::PathBuf,
    /// Only the measurements whose name contains this (for profiling one function).
    filter: Option<String>,
}

fn options() -> std::result::Result<Options, String> {
    let mut options = Options { rows: 10_000_000, runs: 5, pack: default_pack_path().unwrap_or_default(), filter: None };
    for (flag, value) in dfpack_bench::flag_values()? {
        match flag.as_str() {
            "--rows" => options.rows = value.parse().map_err(|e| format!("--rows: {e}"))?,
            "--runs" => options.runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            "--pack" => options.pack = value.into(),
            "--filter" => options.filter = Some(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(options)
}

/// `t(s Utf8, n Int64)`: distinct strings like `user-000123` and their numbers.
fn data(rows: usize) -> Result<Arc<MemTable>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("s", DataType::Utf8, false),
        Field::new("n", DataType::Int64, false),
    ]));
    let batches = (0..rows)
        .step_by(BATCH_ROWS)
        .map(|start| {
            let end = (start + BATCH_ROWS).min(rows);
            let s: ArrayRef = Arc::new((start..end).map(|i| Some(format!("user-{i:08}"))).collect::<StringArray>());
            let n: ArrayRef = Arc::new(Int64Array::from_iter_values((start..end).map(|i| i as i64)));
            RecordBatch::try_new(Arc::clone(&schema), vec![s, n])
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    // Two partitions: both cores, as a host would use them.
    let (left, right) = batches.split_at(batches.len() / 2);
    Ok(Arc::new(MemTable::try_new(schema, vec![left.to_vec(), right.to_vec()])?))
}

fn config() -> SessionConfig {
    SessionConfig::new().with_target_partitions(2)
}

async fn time(ctx: &SessionContext, sql: &str) -> Result<Duration> {
    let start = Instant::now();
    ctx.sql(sql).await?.collect().await?;
    Ok(start.elapsed())
}

/// The times of each (session, query), runs interleaved across all of them.
async fn compare_all(sides: &[(&SessionContext, &str)], runs: usize) -> Result<Vec<Vec<Duration>>> {
    for (ctx, sql) in sides {
        time(ctx, sql).await?; // warm-up
    }
    let mut samples = vec![Vec::new(); sides.len()];
    for _ in 0..runs {
        for ((ctx, sql), samples) in sides.iter().zip(&mut samples) {
            samples.push(time(ctx, sql).await?);
        }
    }
    Ok(samples)
}

/// A session whose pack functions evaluate through their unbound kernels.
fn unbound_session(pack: &Pack) -> std::result::Result<SessionContext, Box<dyn std::error::Error>> {
    let ctx = SessionContext::new_with_config(config());
    for (name, kind) in pack.exports() {
        if kind != ExportKind::ScalarUdf {
            continue;
        }
        let ffi = pack.ffi_scalar_udf(name)?;
        let foreign: Arc<dyn ScalarUDFImpl> = (&ffi).into();
        let kernel = pack.ffi_scalar_kernel(name)?.ok_or("the pack serves no kernels")?;
        ctx.register_udf(ScalarUDF::new_from_impl(PackScalarUdf::new(foreign, kernel, None)));
    }
    Ok(ctx)
}

/// One measured use of a pack function.
struct Measured {
    label: &'static str,
    /// The function over every row, reduced cheaply (max), so its own cost dominates.
    query: &'static str,
    /// For the direct calls: the function, the query of its arguments, and
    /// which of those are constants (passed as constants, as the query does).
    function: &'static str,
    args: &'static str,
    constants: &'static [usize],
}

const fn measured(
    label: &'static str,
    query: &'static str,
    function: &'static str,
    args: &'static str,
    constants: &'static [usize],
) -> Measured {
    Measured { label, query, function, args, constants }
}

const FUNCTIONS: &[Measured] = &[
    measured("stable_hash64", "SELECT max(stable_hash64(s)) FROM t", "stable_hash64", "SELECT s FROM t", &[]),
    measured(
        "stable_hash64 (2 args, one constant)",
        "SELECT max(stable_hash64('tenant', n)) FROM t",
        "stable_hash64",
        "SELECT 'tenant', n FROM t",
        &[0],
    ),
    measured("stable_hash128", "SELECT max(stable_hash128(s)) FROM t", "stable_hash128", "SELECT s FROM t", &[]),
    measured("stable_id", "SELECT max(stable_id('user', n)) FROM t", "stable_id", "SELECT 'user', n FROM t", &[0]),
    measured(
        "prefixed_hash64",
        "SELECT max(prefixed_hash64('user', s)) FROM t",
        "prefixed_hash64",
        "SELECT 'user', s FROM t",
        &[0],
    ),
    measured(
        "canonical_fingerprint",
        "SELECT max(canonical_fingerprint(s)) FROM t",
        "canonical_fingerprint",
        "SELECT s FROM t",
        &[],
    ),
    measured("msgpack_encode", "SELECT max(msgpack_encode(s)) FROM t", "msgpack_encode", "SELECT s FROM t", &[]),
    measured(
        "msgpack_to_json (of msgpack_encode)",
        "SELECT max(msgpack_to_json(msgpack_encode(s))) FROM t",
        "msgpack_to_json",
        "SELECT msgpack_encode(s) FROM t",
        &[],
    ),
    measured(
        "metadata_map_encode",
        "SELECT max(metadata_map_encode(map(make_array('k'), make_array(s)))) FROM t",
        "metadata_map_encode",
        "SELECT map(make_array('k'), make_array(s)) FROM t",
        &[],
    ),
    measured(
        "metadata_map_decode (of metadata_map_encode)",
        "SELECT max(cardinality(metadata_map_decode(metadata_map_encode(map(make_array('k'), make_array(s)))))) FROM t",
        "metadata_map_decode",
        "SELECT metadata_map_encode(map(make_array('k'), make_array(s))) FROM t",
        &[],
    ),
    measured(
        "map_entries_text",
        "SELECT max(cardinality(map_entries_text(map(make_array('k'), make_array(s))))) FROM t",
        "map_entries_text",
        "SELECT map(make_array('k'), make_array(s)) FROM t",
        &[],
    ),
    measured(
        "map_get_default",
        "SELECT max(map_get_default(map(make_array('k'), make_array(n)), 'z', 0)) FROM t",
        "map_get_default",
        "SELECT map(make_array('k'), make_array(n)), 'z', 0 FROM t",
        &[1, 2],
    ),
    measured(
        "list_unique_sorted",
        "SELECT max(cardinality(list_unique_sorted(make_array(n, n % 7, 3)))) FROM t",
        "list_unique_sorted",
        "SELECT make_array(n, n % 7, 3) FROM t",
        &[],
    ),
    measured("utf8_normalize", "SELECT max(utf8_normalize(s)) FROM t", "utf8_normalize", "SELECT s FROM t", &[]),
    measured(
        "utf8_normalize (NFKC, casefold, collapse)",
        "SELECT max(utf8_normalize(s, 'NFKC', true, true)) FROM t",
        "utf8_normalize",
        "SELECT s, 'NFKC' AS form, true AS casefold, true AS collapse FROM t",
        &[1, 2, 3],
    ),
    measured(
        "utf8_null_if_blank",
        "SELECT max(utf8_null_if_blank(s)) FROM t",
        "utf8_null_if_blank",
        "SELECT s FROM t",
        &[],
    ),
];

/// Batches of arguments each calling thread cycles through.
const PER_CALL_BATCHES: usize = 16;

/// The time one timing sample aims at (calls per sample follow from it).
const SAMPLE_TIME: Duration = Duration::from_millis(20);

/// One call's arguments.
struct Call {
    args: Vec<ColumnarValue>,
    rows: usize,
}

/// What FFI adds to one call of each function, measured by calling the native
/// and the installed function directly on the same batches of arguments (no
/// query around them), interleaved sample by sample; on one thread, and on two
/// at once (as two partitions call a function), each thread with its own batches.
async fn per_call(
    native: &SessionContext,
    foreign: &SessionContext,
    runs: usize,
    selected: &dyn Fn(&str) -> bool,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let options = Arc::new(datafusion::common::config::ConfigOptions::default());
    println!(
        "\n| function called directly, {BATCH_ROWS}-row batches | threads | native us per call | through FFI us per call | FFI adds us | FFI / native (quartiles) |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    for Measured { label, function: name, args: args_sql, constants, .. } in
        FUNCTIONS.iter().filter(|measured| selected(measured.label))
    {
        let sides = [native.state().udf(name)?, foreign.state().udf(name)?];
        // Each thread's own batches, so no two threads share an array.
        let args_sql = format!("{args_sql} LIMIT {}", PER_CALL_BATCHES * BATCH_ROWS);
        let mut inputs: Vec<Vec<Call>> = Vec::new();
        let mut arg_fields = Vec::new();
        for _ in 0..2 {
            let batches = native.sql(&args_sql).await?.collect().await?;
            arg_fields = batches[0].schema().fields().iter().cloned().collect::<Vec<_>>();
            let calls = batches
                .iter()
                .map(|batch| {
                    let args = batch
                        .columns()
                        .iter()
                        .enumerate()
                        .map(|(i, column)| {
                            Ok(if constants.contains(&i) {
                                ColumnarValue::Scalar(ScalarValue::try_from_array(column, 0)?)
                            } else {
                                ColumnarValue::Array(Arc::clone(column))
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(Call { args, rows: batch.num_rows() })
                })
                .collect::<Result<Vec<_>>>()?;
            inputs.push(calls);
        }
        let scalar_arguments: Vec<Option<ScalarValue>> = inputs[0][0]
            .args
            .iter()
            .map(|arg| match arg {
                ColumnarValue::Scalar(value) => Some(value.clone()),
                ColumnarValue::Array(_) => None,
            })
            .collect();
        let return_field = sides[0].return_field_from_args(ReturnFieldArgs {
            arg_fields: &arg_fields,
            scalar_arguments: &scalar_arguments.iter().map(Option::as_ref).collect::<Vec<_>>(),
        })?;
        let invoke = |udf: &ScalarUDF, call: &Call| -> Result<()> {
            let args = ScalarFunctionArgs {
                args: call.args.clone(),
                arg_fields: arg_fields.clone(),
                number_rows: call.rows,
                return_field: Arc::clone(&return_field),
                config_options: Arc::clone(&options),
            };
            std::hint::black_box(udf.invoke_with_args(args)?);
            Ok(())
        };
        // `count` calls cycling through `calls`; the time of one.
        let timed = |udf: &ScalarUDF, calls: &[Call], count: usize| -> Result<Duration> {
            let started = Instant::now();
            for call in calls.iter().cycle().take(count) {
                invoke(udf, call)?;
            }
            Ok(started.elapsed() / count as u32)
        };
        let one_call = timed(&sides[0], &inputs[0], PER_CALL_BATCHES)?;
        let count = (SAMPLE_TIME.as_nanos() / one_call.as_nanos().max(1)).clamp(PER_CALL_BATCHES as u128, 20_000) as usize;
        for threads in [1, 2] {
            let mut samples = [Vec::new(), Vec::new()];
            for run in 0..=runs {
                for (udf, samples) in sides.iter().zip(&mut samples) {
                    let times = std::thread::scope(|scope| {
                        let handles: Vec<_> =
                            inputs[..threads].iter().map(|calls| scope.spawn(|| timed(udf, calls, count))).collect();
                        handles.into_iter().map(|h| h.join().map_err(|_| "a timing thread panicked")).collect::<Vec<_>>()
                    });
                    let mut slowest = Duration::ZERO;
                    for time in times {
                        slowest = slowest.max(time??);
                    }
                    // The first round warms up (and binds the kernel).
                    if run > 0 {
                        samples.push(slowest);
                    }
                }
            }
            let ratio = PairedRatio::of(&samples[1], &samples[0]);
            let [n, f] = samples.map(median);
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            println!("| {label} | {threads} | {:.2} | {:.2} | {:.2} | {ratio} |", us(n), us(f), us(f) - us(n));
        }
    }
    Ok(())
}

const BUILTIN_HASHES: &[(&str, &str)] = &[
    ("md5", "SELECT max(md5(s)) FROM t"),
    ("sha256", "SELECT max(sha256(s)) FROM t"),
    ("blake3", "SELECT max(digest(s, 'blake3')) FROM t"),
];

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dfpack_bench::exit_code("udf-bench", run().await)
}

async fn run() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    // A private copy: the pack must be its own image, never this binary's.
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("libdfpack.so");
    std::fs::copy(&options.pack, &copy)?;
    let pack = Pack::load(&copy)?;

    let table = data(options.rows)?;
    let native = SessionContext::new_with_config(config());
    for udf in dfpack_udfs::scalar_functions() {
        native.register_udf(udf.as_ref().clone());
    }
    native.register_table("t", Arc::clone(&table) as _)?;
    let unbound = unbound_session(&pack)?;
    unbound.register_table("t", Arc::clone(&table) as _)?;
    let foreign = SessionFactory::new().with_config(config()).with_pack(pack).build()?;
    foreign.register_table("t", table as _)?;

    println!(
        "rows: {}, runs: {} (interleaved; times are medians; a ratio is the median of the runs' own ratios, \
         with their quartiles), batch: {BATCH_ROWS}, partitions: 2",
        options.rows, options.runs
    );
    println!(
        "\n| function | native ms | through FFI ms | FFI / native (quartiles) | FFI cost per batch us | unbound kernel ms | unbound / native |\n\
         |---|---:|---:|---:|---:|---:|---:|"
    );
    let batches_per_partition = options.rows.div_ceil(BATCH_ROWS) as f64 / 2.0;
    let selected = |name: &str| options.filter.as_ref().is_none_or(|filter| name.contains(filter.as_str()));
    for Measured { label: name, query: sql, .. } in FUNCTIONS.iter().filter(|measured| selected(measured.label)) {
        let samples = compare_all(&[(&native, sql), (&foreign, sql), (&unbound, sql)], options.runs).await?;
        let (ffi_ratio, unbound_ratio) = (PairedRatio::of(&samples[1], &samples[0]), PairedRatio::of(&samples[2], &samples[0]));
        let medians: Vec<Duration> = samples.into_iter().map(median).collect();
        let (n, f, u) = (medians[0], medians[1], medians[2]);
        // What FFI adds per batch of one partition (both partitions run at once).
        let per_batch_us = (f.as_secs_f64() - n.as_secs_f64()) * 1e6 / batches_per_partition;
        println!(
            "| {name} | {:.1} | {:.1} | {ffi_ratio} | {per_batch_us:.1} | {:.1} | {:.3} |",
            ms(n),
            ms(f),
            ms(u),
            unbound_ratio.median
        );
    }

    per_call(&native, &foreign, options.runs, &selected).await?;

    println!("\n| hash over {} strings | built-in ms | stable_hash64 (FFI) ms | stable_hash64 / built-in |\n|---|---:|---:|---:|", options.rows);
    let ours = FUNCTIONS[0].query;
    for (name, sql) in BUILTIN_HASHES.iter().filter(|(name, _)| selected(name)) {
        let samples = compare_all(&[(&foreign, sql), (&foreign, ours)], options.runs).await?;
        let ratio = PairedRatio::of(&samples[1], &samples[0]);
        let [builtin, pack] = [&samples[0], &samples[1]].map(|side| ms(median(side.clone())));
        println!("| {name} | {builtin:.1} | {pack:.1} | {ratio} |");
    }
    Ok(())
}
