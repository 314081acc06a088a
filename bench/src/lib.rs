//! What every benchmark binary of this crate shares: `--flag value`
//! arguments, medians, milliseconds, and the exit status of a run.

use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

/// The command line as `(--flag, value)` pairs; a flag without its value is an error.
pub fn flag_values() -> Result<Vec<(String, String)>, String> {
    let mut args = std::env::args().skip(1);
    let mut pairs = Vec::new();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}

/// The middle sample (the upper one of an even count).
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The exit status of a run; its error goes to stderr, named after `bench`.
pub fn exit_code<E: Display>(bench: &str, result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{bench}: {error}");
            ExitCode::FAILURE
        }
    }
}
