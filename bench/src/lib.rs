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

/// `other / side` within each interleaved run, so drift on a shared machine
/// (which moves both sides of one run alike) cancels out.
pub struct PairedRatio {
    pub median: f64,
    pub lower_quartile: f64,
    pub upper_quartile: f64,
}

impl PairedRatio {
    /// The runs' own ratios of `other` to `side`; both hold one sample per run.
    pub fn of(other: &[Duration], side: &[Duration]) -> PairedRatio {
        let mut ratios: Vec<f64> =
            other.iter().zip(side).map(|(other, side)| other.as_secs_f64() / side.as_secs_f64()).collect();
        ratios.sort_by(f64::total_cmp);
        // Nearest rank, as `median` picks its sample; NaN when there are no runs.
        let at = |quantile: f64| {
            let rank = (ratios.len().saturating_sub(1) as f64 * quantile).round() as usize;
            ratios.get(rank).copied().unwrap_or(f64::NAN)
        };
        PairedRatio { median: at(0.5), lower_quartile: at(0.25), upper_quartile: at(0.75) }
    }
}

impl Display for PairedRatio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} ({:.3}-{:.3})", self.median, self.lower_quartile, self.upper_quartile)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_each(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    /// A machine that slows down run by run moves both sides of each run
    /// alike: every run's own ratio is 2.0 though the times span 16x.
    #[test]
    fn drift_cancels_within_each_run() {
        let ratio = PairedRatio::of(&ms_each(&[20, 40, 80, 160, 320]), &ms_each(&[10, 20, 40, 80, 160]));
        assert_eq!((ratio.lower_quartile, ratio.median, ratio.upper_quartile), (2.0, 2.0, 2.0));
        assert_eq!(ratio.to_string(), "2.000 (2.000-2.000)");
    }

    /// One run where one side stalled moves neither the median nor the quartiles.
    #[test]
    fn one_outlying_run_does_not_move_the_ratio() {
        let ratio = PairedRatio::of(&ms_each(&[20, 20, 20, 20, 200]), &ms_each(&[10, 10, 10, 10, 10]));
        assert_eq!((ratio.lower_quartile, ratio.median, ratio.upper_quartile), (2.0, 2.0, 2.0));
        let slower = PairedRatio::of(&ms_each(&[10, 20, 30, 40, 50]), &ms_each(&[10, 10, 10, 10, 10]));
        assert_eq!((slower.lower_quartile, slower.median, slower.upper_quartile), (2.0, 3.0, 4.0));
    }

    #[test]
    fn no_runs_give_no_ratio() {
        assert!(PairedRatio::of(&[], &[]).median.is_nan());
    }
}
