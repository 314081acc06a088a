//! Running SQL given on the command line or in files.
//!
//! datafusion-cli's `exec_from_files` reports a failing statement and carries
//! on, but then exits 0; a script runner must tell its caller that something
//! failed. So files are split into statements here and each is run through
//! `exec_from_commands`, which keeps datafusion-cli's printing.

use std::io::{BufRead, BufReader};
use std::path::Path;

use datafusion::prelude::SessionContext;
use datafusion_cli::exec::exec_from_commands;
use datafusion_cli::print_options::PrintOptions;

/// Did every statement succeed?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    AllSucceeded,
    SomeFailed,
}

impl Outcome {
    pub fn and(self, other: Outcome) -> Outcome {
        if self == Outcome::AllSucceeded { other } else { Outcome::SomeFailed }
    }
}

/// Runs `-c` commands in order, stopping at the first failure (as
/// datafusion-cli does: later commands often depend on earlier ones).
pub async fn run_commands(ctx: &SessionContext, commands: Vec<String>, print: &PrintOptions) -> Outcome {
    match exec_from_commands(ctx, commands, print).await {
        Ok(()) => Outcome::AllSucceeded,
        Err(error) => {
            eprintln!("{error}");
            Outcome::SomeFailed
        }
    }
}

/// Runs every statement of every file, reporting failures on stderr and
/// going on with the next statement, as datafusion-cli does.
pub async fn run_files(ctx: &SessionContext, files: &[impl AsRef<Path>], print: &PrintOptions) -> Outcome {
    let mut outcome = Outcome::AllSucceeded;
    for file in files {
        outcome = outcome.and(run_file(ctx, file.as_ref(), print).await);
    }
    outcome
}

async fn run_file(ctx: &SessionContext, file: &Path, print: &PrintOptions) -> Outcome {
    let statements = match std::fs::File::open(file).and_then(|opened| split_statements(BufReader::new(opened))) {
        Ok(statements) => statements,
        Err(error) => {
            eprintln!("cannot read '{}': {error}", file.display());
            return Outcome::SomeFailed;
        }
    };
    let mut outcome = Outcome::AllSucceeded;
    for statement in statements {
        outcome = outcome.and(run_commands(ctx, vec![statement], print).await);
    }
    outcome
}

/// Splits a SQL script the way datafusion-cli reads one: a statement ends at
/// a line ending in `;`; whole-line `--` comments and a `#!` line are skipped;
/// a last statement without `;` still counts.
fn split_statements(reader: impl BufRead) -> std::io::Result<Vec<String>> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in reader.lines() {
        let line = line?;
        if line.starts_with("--") || line.starts_with("#!") {
            continue;
        }
        let line = line.trim_end();
        current.push_str(line);
        if line.ends_with(';') {
            statements.push(std::mem::take(&mut current));
        } else {
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        statements.push(current);
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        split_statements(text.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn statements_end_at_a_semicolon_at_the_end_of_a_line() {
        assert_eq!(split("SELECT 1;\nSELECT\n  2;\n"), ["SELECT 1;", "SELECT\n  2;"]);
    }

    #[test]
    fn comments_shebang_and_blank_tails_are_skipped() {
        assert_eq!(split("#!/usr/bin/env dfpack-cli -f\n-- note\nSELECT 1;\n\n\n"), ["SELECT 1;"]);
    }

    #[test]
    fn a_last_statement_without_semicolon_still_runs() {
        assert_eq!(split("SELECT 1;\nSELECT 2"), ["SELECT 1;", "SELECT 2\n"]);
    }
}
