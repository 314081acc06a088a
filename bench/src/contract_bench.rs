//! Planning cost of the contract rule, as ratios from one run in one process:
//! a join of `--tables` contract-bound datasets (default 20) planned to a
//! physical plan in a session with the pack's rule and in the same session
//! without it (libdfpack.so loaded as a separate image, as every host loads it).
//!
//! Each figure is a median over `--runs` interleaved runs:
//! - planning (SQL to optimized physical plan) of datasets with a contract
//!   only (schema checks), with the rule and without it;
//! - the same for datasets whose validation is on (a check constraint
//!   compiled per scan, each scan armed with it);
//! - the rule's own `optimize` call on each planned join (through FFI).
//!
//! The datasets all read one small table, generated with deltalake-core in a
//! temporary directory; snapshots are cached after the first query, so what
//! differs between the sides is the rule.
//!
//! usage: contract-bench [--tables N] [--runs N] [--pack PATH]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use deltalake_core::DeltaTable;
use dfpack_bench::median;
use dfpack_loader::{Pack, SessionFactory, default_pack_path};
use url::Url;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const RULE: &str = "dfpack_contract_check";

struct Options {
    tables: usize,
    runs: usize,
    pack: PathBuf,
}

fn options() -> std::result::Result<Options, String> {
    let mut options = Options { tables: 20, runs: 20, pack: default_pack_path().unwrap_or_default() };
    for (flag, value) in dfpack_bench::flag_values()? {
        match flag.as_str() {
            "--tables" => options.tables = value.parse().map_err(|e| format!("--tables: {e}"))?,
            "--runs" => options.runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            "--pack" => options.pack = value.into(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.tables < 2 || options.runs == 0 {
        return Err("--tables must be at least 2 and --runs positive".to_string());
    }
    Ok(options)
}

/// A small table `(k, v)` written with deltalake-core into `dir`.
async fn write_table(dir: &std::path::Path) -> Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, true),
        Field::new("v", DataType::Int64, true),
    ]));
    let columns: Vec<ArrayRef> =
        vec![Arc::new(Int64Array::from_iter_values(0..1000)), Arc::new(Int64Array::from_iter_values(1000..2000))];
    let batch = RecordBatch::try_new(schema, columns)?;
    let url = Url::from_directory_path(dir).map_err(|()| "not a directory path")?;
    DeltaTable::try_from_url(url).await?.write(vec![batch]).await?;
    Ok(())
}

/// `tables` datasets `c<i>` (a contract) and as many `v<i>` (a contract, validation on).
fn pack_config(table: &std::path::Path, tables: usize) -> String {
    let fields = "fields = [{ name = \"k\", type = { type = \"int64\" }, nullable = true }, \
                  { name = \"v\", type = { type = \"int64\" }, nullable = true }]";
    let mut config = String::new();
    for i in 0..tables {
        config += &format!(
            "[datasets.c{i}]\ntable_uri = '{0}'\ncontract = {{ evolution = \"additive\", schema = {{ {fields} }} }}\n\n\
             [datasets.v{i}]\ntable_uri = '{0}'\ncontract = {{ evolution = \"additive\", schema = {{ {fields} }}, \
             check_constraints = [{{ name = \"upper_half\", expression = \"v >= 1500\" }}] }}\n\
             validation = {{ enabled = true, mode = \"warn\" }}\n\n",
            table.display()
        );
    }
    config
}

fn join(prefix: &str, tables: usize) -> String {
    let mut sql = format!("SELECT count(*) FROM delta.default.{prefix}0 AS t0");
    for i in 1..tables {
        // On both columns: every scan reads `v`, which the validated datasets' constraint checks.
        sql += &format!(" JOIN delta.default.{prefix}{i} AS t{i} ON t{0}.k = t{i}.k AND t{0}.v = t{i}.v", i - 1);
    }
    sql
}

async fn plan_time(ctx: &SessionContext, sql: &str) -> Result<Duration> {
    let started = Instant::now();
    let plan = ctx.sql(sql).await?.create_physical_plan().await?;
    let elapsed = started.elapsed();
    std::hint::black_box(plan);
    Ok(elapsed)
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = options()?;
    let data = tempfile::tempdir()?;
    write_table(data.path()).await?;
    let pack = Pack::load(&options.pack)?;
    let config = SessionConfig::new().with_target_partitions(4);
    let with_rule = SessionFactory::new()
        .with_config(config)
        .with_pack(pack)
        .with_pack_config(pack_config(&std::fs::canonicalize(data.path())?, options.tables))
        .build()?;
    let state = with_rule.state();
    let rules: Vec<_> = state.physical_optimizers().iter().filter(|r| r.name() != RULE).cloned().collect();
    let rule = state.physical_optimizers().iter().find(|r| r.name() == RULE).cloned().ok_or("the pack added no rule")?;
    let without_rule =
        SessionContext::new_with_state(SessionStateBuilder::new_from_existing(state).with_physical_optimizer_rules(rules).build());

    let (contracts, validated) = (join("c", options.tables), join("v", options.tables));
    // Warm up: resolve every snapshot once, so the runs measure planning only.
    for (ctx, sql) in [(&without_rule, &contracts), (&with_rule, &contracts), (&with_rule, &validated)] {
        plan_time(ctx, sql).await?;
    }
    // The sides differ as intended: the validated datasets' rows are checked
    // (half of them fail `upper_half`, recorded under warn), the others' not.
    with_rule.sql(&validated).await?.collect().await?;
    with_rule.sql(&contracts).await?.collect().await?;
    let checked_datasets = with_rule
        .sql("SELECT DISTINCT dataset FROM pack_contract_violations() WHERE name = 'upper_half' AND failing_rows = 500")
        .await?
        .collect()
        .await?;
    let checked_datasets: usize = checked_datasets.iter().map(|batch| batch.num_rows()).sum();
    if checked_datasets != options.tables {
        return Err(format!("expected {} validated datasets, {checked_datasets} recorded violations", options.tables).into());
    }
    if std::env::var_os("SHOW_PLAN").is_some() {
        let plan = with_rule.sql(&validated).await?.create_physical_plan().await?;
        println!("{}", datafusion::physical_plan::displayable(plan.as_ref()).indent(false));
    }
    let (mut none, mut none_validated, mut checked, mut validating) = (vec![], vec![], vec![], vec![]);
    let (mut rule_only, mut rule_validating) = (vec![], vec![]);
    for run in 0..options.runs {
        // Each run starts at another side, so no side always follows the same one.
        for side in (0..4).map(|i| (i + run) % 4) {
            match side {
                0 => none.push(plan_time(&without_rule, &contracts).await?),
                1 => checked.push(plan_time(&with_rule, &contracts).await?),
                2 => none_validated.push(plan_time(&without_rule, &validated).await?),
                _ => validating.push(plan_time(&with_rule, &validated).await?),
            }
        }
        // Fresh plans each run: the rule arms scans in place, so a plan it has
        // seen would ask less of it.
        for (sql, times) in [(&contracts, &mut rule_only), (&validated, &mut rule_validating)] {
            let plan = without_rule.sql(sql).await?.create_physical_plan().await?;
            let started = Instant::now();
            std::hint::black_box(rule.optimize(plan, with_rule.state().config_options())?);
            times.push(started.elapsed());
        }
    }
    let (none, none_validated) = (median(none), median(none_validated));
    let (checked, validating) = (median(checked), median(validating));
    let (rule_only, rule_validating) = (median(rule_only), median(rule_validating));
    let ratio = |d: Duration, base: Duration| d.as_secs_f64() / base.as_secs_f64();
    println!("contract rule, {}-table join, median of {} runs", options.tables, options.runs);
    println!("{:<48} {:>12} {:>8}", "planning (SQL to physical plan)", "time", "ratio");
    println!("{:<48} {:>12.3?} {:>8.3}", "contracts: without the rule", none, 1.0);
    println!("{:<48} {:>12.3?} {:>8.3}", "contracts: with the rule", checked, ratio(checked, none));
    println!("{:<48} {:>12.3?} {:>8.3}", "contracts + validation: without the rule", none_validated, 1.0);
    println!("{:<48} {:>12.3?} {:>8.3}", "contracts + validation: with the rule", validating, ratio(validating, none_validated));
    println!("{:<48} {:>12.3?} {:>8.3}", "the rule's optimize alone (through FFI)", rule_only, ratio(rule_only, none));
    println!(
        "{:<48} {:>12.3?} {:>8.3}",
        "the same, arming scans with checks",
        rule_validating,
        ratio(rule_validating, none_validated)
    );
    Ok(())
}
