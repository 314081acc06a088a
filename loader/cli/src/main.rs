//! `dfpack-cli`: datafusion-cli with dfpack packs loaded into its session.
//!
//! The flags and behaviour of datafusion-cli are kept (its library does the
//! prompt, printing, object stores and file queries); this binary adds which
//! packs to load (`--plugin`, the default pack) and `load_plugin()` in SQL.

mod args;
mod run;
mod session;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use datafusion_cli::DATAFUSION_CLI_VERSION;
use datafusion_cli::exec::exec_from_repl;
use datafusion_cli::print_options::PrintOptions;
use mimalloc::MiMalloc;

use crate::args::Args;
use crate::run::Outcome;

// The allocator datafusion-cli ships with: its query performance is measured with it.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(Outcome::AllSucceeded) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the CLI. `Err` is a failure to start (a pack refused, a bad setting),
/// reported once by `main`; failing statements are reported as they happen.
async fn run(mut args: Args) -> Result<Outcome, String> {
    // Before `--data-path` moves the working directory: paths on the command
    // line are meant relative to where the user typed them.
    let packs = session::startup_packs(&args)?;
    let files = absolute(&args.file)?;
    let rc_files = absolute(&session::rc_files(&args))?;
    let pack_config = absolute(args.pack_config.as_slice())?.pop();
    if let Some(dir) = &args.data_path {
        std::env::set_current_dir(dir)
            .map_err(|error| format!("cannot change to data path '{}': {error}", dir.display()))?;
    }

    let config = session::session_config(&args).map_err(|error| error.to_string())?;
    let (runtime, object_stores) = session::runtime_env(&args).map_err(|error| error.to_string())?;
    let ctx = session::build_session(config, runtime, &packs, pack_config.as_deref()).await?;

    let mut print = PrintOptions {
        format: args.format,
        quiet: args.quiet,
        maxrows: args.maxrows,
        color: args.color,
        instrumented_registry: Arc::clone(&object_stores),
    };

    if args.repl_mode() {
        if !args.quiet {
            println!(
                "dfpack-cli {} (DataFusion CLI {DATAFUSION_CLI_VERSION}), {}",
                env!("CARGO_PKG_VERSION"),
                session::describe_packs(&packs)
            );
        }
        // As in datafusion-cli, a failing rc statement is reported and the prompt still starts.
        run::run_files(&ctx, &rc_files, &print).await;
        exec_from_repl(&ctx, &mut print).await.map_err(|error| error.to_string())?;
        return Ok(Outcome::AllSucceeded);
    }

    // Files first, then commands: the order datafusion-cli runs them in.
    let commands = std::mem::take(&mut args.command);
    let mut outcome = run::run_files(&ctx, &files, &print).await;
    if !commands.is_empty() {
        outcome = outcome.and(run::run_commands(&ctx, commands, &print).await);
    }
    Ok(outcome)
}

fn absolute(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    paths
        .iter()
        .map(|path| std::path::absolute(path).map_err(|error| format!("cannot resolve '{}': {error}", path.display())))
        .collect()
}
