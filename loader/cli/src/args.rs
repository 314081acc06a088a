//! Command-line flags. The flags datafusion-cli users know keep their meaning
//! (datafusion-cli's own `Args` is private, so they are declared again here),
//! plus the plugin flags of dfpack.

use std::path::{Path, PathBuf};

use clap::Parser;
use datafusion_cli::object_storage::instrumented::InstrumentedObjectStoreMode;
use datafusion_cli::object_storage::is_stdin_location;
use datafusion_cli::pool_type::PoolType;
use datafusion_cli::print_format::PrintFormat;
use datafusion_cli::print_options::MaxRows;

#[derive(Debug, Parser)]
#[command(
    name = "dfpack-cli",
    version,
    about = "DataFusion's command line client with dfpack packs loaded",
    long_about = "DataFusion's command line client with dfpack packs loaded.\n\n\
        By default the pack named by $DFPACK_PLUGIN, or libdfpack.so found beside the \
        executable (or one directory above it), is loaded. --plugin names the packs to \
        load instead; SELECT * FROM load_plugin('/path/lib.so') loads one while running."
)]
pub struct Args {
    /// Run these SQL commands, then exit (stops at the first failing one)
    #[arg(short = 'c', long, num_args = 0.., value_parser = non_empty_command)]
    pub command: Vec<String>,

    /// Run the SQL in these files, then exit
    #[arg(short = 'f', long, num_args = 0.., value_parser = readable_file)]
    pub file: Vec<PathBuf>,

    /// Run these files before the interactive prompt instead of ~/.datafusionrc
    /// (`-r` alone runs none)
    #[arg(short = 'r', long, num_args = 0.., value_parser = readable_file, conflicts_with = "file")]
    pub rc: Option<Vec<PathBuf>>,

    /// Output format of query results
    #[arg(long, value_enum, default_value_t = PrintFormat::Automatic)]
    pub format: PrintFormat,

    /// Print only results: no banner, row counts, timings or notes
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Directory to change to before running, so relative paths resolve there
    #[arg(short = 'p', long, value_parser = existing_dir)]
    pub data_path: Option<PathBuf>,

    /// Rows per record batch (DataFusion's default when not given)
    #[arg(short = 'b', long, value_parser = positive_batch_size)]
    pub batch_size: Option<usize>,

    /// Memory limit of the query memory pool, e.g. '10g' (default: no limit)
    #[arg(short = 'm', long, value_parser = memory_limit)]
    pub memory_limit: Option<usize>,

    /// Memory pool type used with --memory-limit: 'greedy' or 'fair'
    #[arg(long, default_value_t = PoolType::Greedy)]
    pub mem_pool_type: PoolType,

    /// How many of the largest memory consumers to name when a query runs out
    /// of memory (0 turns consumer tracking off)
    #[arg(long, default_value_t = 3)]
    pub top_memory_consumers: usize,

    /// Disk space queries may spill to, e.g. '10g' (default: DataFusion's own limit)
    #[arg(short = 'd', long, value_parser = disk_limit)]
    pub disk_limit: Option<usize>,

    /// Most rows the table format shows: a number, or 'inf' for all
    #[arg(long, default_value = "40")]
    pub maxrows: MaxRows,

    /// Highlight SQL syntax at the prompt
    #[arg(long)]
    pub color: bool,

    /// Object store profiling: 'disabled', 'summary' or 'trace'
    #[arg(long, default_value_t = InstrumentedObjectStoreMode::Disabled)]
    pub object_store_profiling: InstrumentedObjectStoreMode,

    /// Load this pack instead of the default one (repeatable); a pack that cannot be loaded stops the CLI
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugins: Vec<PathBuf>,

    /// Start without the default pack ($DFPACK_PLUGIN or libdfpack.so beside the executable)
    #[arg(long)]
    pub no_default_plugin: bool,

    /// The pack config (TOML, or JSON for a .json file): the Delta catalog's datasets, gates and cache policy
    #[arg(long = "pack-config", value_name = "FILE")]
    pub pack_config: Option<PathBuf>,
}

impl Args {
    /// Without -c or -f the CLI runs its prompt, reading SQL from stdin
    /// whether that is a terminal or a pipe.
    pub fn repl_mode(&self) -> bool {
        self.command.is_empty() && self.file.is_empty()
    }

    /// stdin already carries the SQL (the prompt, or `-f /dev/stdin`), so it
    /// cannot also be offered to queries as `LOCATION '/dev/stdin'`.
    pub fn reads_sql_from_stdin(&self) -> bool {
        self.repl_mode() || self.file.iter().any(|file| file.to_str().is_some_and(is_stdin_location))
    }
}

fn non_empty_command(command: &str) -> Result<String, String> {
    if command.trim().is_empty() {
        Err("-c needs a non-empty SQL command".to_string())
    } else {
        Ok(command.to_string())
    }
}

/// Checked up front so a typo is a usage error rather than a failure halfway
/// through a run. Anything readable that is not a directory is accepted, so
/// `-f /dev/stdin` works.
fn readable_file(path: &str) -> Result<PathBuf, String> {
    let path = Path::new(path);
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Err(format!("'{}' is a directory, not a file", path.display())),
        Ok(_) => Ok(path.to_path_buf()),
        Err(error) => Err(format!("cannot read '{}': {error}", path.display())),
    }
}

fn existing_dir(path: &str) -> Result<PathBuf, String> {
    let path = Path::new(path);
    if path.is_dir() {
        Ok(path.to_path_buf())
    } else {
        Err(format!("'{}' is not a directory", path.display()))
    }
}

fn positive_batch_size(size: &str) -> Result<usize, String> {
    match size.parse::<usize>() {
        Ok(size) if size > 0 => Ok(size),
        _ => Err(format!("'{size}' is not a batch size: expected a whole number above 0")),
    }
}

fn memory_limit(size: &str) -> Result<usize, String> {
    parse_byte_size(size).map_err(|reason| format!("invalid memory limit '{size}': {reason}"))
}

fn disk_limit(size: &str) -> Result<usize, String> {
    parse_byte_size(size).map_err(|reason| format!("invalid disk limit '{size}': {reason}"))
}

/// A byte count with an optional binary unit: `512`, `64k`, `20mb`, `10G`, `1t`.
pub fn parse_byte_size(text: &str) -> Result<usize, String> {
    let text = text.trim().to_ascii_lowercase();
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    if number.is_empty() {
        return Err("expected a whole number of bytes, optionally followed by k, m, g or t".to_string());
    }
    let shift = match unit {
        "" | "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        other => return Err(format!("unknown unit '{other}' (use b, k, m, g or t)")),
    };
    let number: usize = number.parse().map_err(|_| "the number is too large".to_string())?;
    number.checked_mul(1usize << shift).ok_or_else(|| "the size is too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_accept_binary_units_in_any_case() {
        assert_eq!(parse_byte_size("512"), Ok(512));
        assert_eq!(parse_byte_size("7b"), Ok(7));
        assert_eq!(parse_byte_size("64k"), Ok(64 << 10));
        assert_eq!(parse_byte_size("20MB"), Ok(20 << 20));
        assert_eq!(parse_byte_size("2g"), Ok(2 << 30));
        assert_eq!(parse_byte_size("1Tb"), Ok(1 << 40));
    }

    #[test]
    fn byte_sizes_refuse_what_is_not_a_size() {
        for bad in ["", "g", "-1g", "1.5g", "10x", "3gbx", "1k1k", "99999999999999999999"] {
            assert!(parse_byte_size(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_byte_size(&format!("{}t", usize::MAX >> 20)).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }

    #[test]
    fn mode_follows_commands_and_files() {
        let repl = Args::try_parse_from(["dfpack-cli", "-q"]).map_err(|e| e.to_string());
        assert!(repl.is_ok_and(|args| args.repl_mode() && args.reads_sql_from_stdin()));
        let commands = Args::try_parse_from(["dfpack-cli", "-c", "SELECT 1", "SELECT 2", "--plugin", "/a.so"])
            .map_err(|e| e.to_string());
        assert!(commands.is_ok_and(|args| {
            !args.repl_mode() && args.command.len() == 2 && args.plugins == [PathBuf::from("/a.so")]
        }));
        assert!(Args::try_parse_from(["dfpack-cli", "-c", ""]).is_err());
        assert!(Args::try_parse_from(["dfpack-cli", "-b", "0"]).is_err());
    }
}
