//! Writes through the real `dfpack-cli` binary, as separate processes: a write
//! killed (SIGKILL) in the middle leaves the table at its previous version and
//! the next write succeeds; two processes appending at once both land (or one
//! says it lost a conflict), and the table holds exactly what committed.
//!
//! The pack image is found beside the binary: build it first with
//! `cargo build --workspace`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dfpack_tests::copy_delta_table_to;
use tempfile::TempDir;

const CLI: &str = env!("CARGO_BIN_EXE_dfpack-cli");
const TIME_LIMIT: Duration = Duration::from_secs(300);

/// A scratch dir holding a writable copy of `simple_table` (3 rows) at
/// `<dir>/t` and a pack config naming it dataset `t`.
fn table() -> (TempDir, PathBuf, PathBuf) {
    let dir = tempfile::Builder::new().prefix("dfpack-writes-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let table = dir.path().join("t");
    copy_delta_table_to("simple_table", &table);
    let config = dir.path().join("pack.toml");
    std::fs::write(&config, format!("[datasets.t]\ntable_uri = '{}'\n", table.display())).unwrap();
    (dir, table, config)
}

fn cli(dir: &Path, config: &Path, commands: &[&str]) -> Command {
    let mut command = Command::new(CLI);
    command
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("DFPACK_PLUGIN")
        .args(["-q", "--format", "csv", "--pack-config"])
        .arg(config)
        .arg("-c")
        .args(commands)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

struct Finished {
    success: bool,
    stdout: String,
    stderr: String,
}

fn finish(child: Child) -> Finished {
    let output = child.wait_with_output().expect("wait for the CLI");
    Finished {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn run(dir: &Path, config: &Path, commands: &[&str]) -> Finished {
    finish(cli(dir, config, commands).spawn().expect("start the CLI"))
}

/// The numbers a CSV run printed, one per result row (headers skipped).
fn numbers(stdout: &str) -> Vec<u64> {
    stdout.lines().filter_map(|line| line.trim().parse().ok()).collect()
}

fn commits(table: &Path) -> BTreeSet<String> {
    std::fs::read_dir(table.join("_delta_log"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect()
}

/// Every file of the table outside its log (data files, and partial uploads).
fn data_files(table: &Path) -> BTreeSet<PathBuf> {
    fn walk(dir: &Path, files: &mut BTreeSet<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == "_delta_log") {
                continue;
            }
            if path.is_dir() { walk(&path, files) } else { files.insert(path); }
        }
    }
    let mut files = BTreeSet::new();
    walk(table, &mut files);
    files
}

#[test]
fn a_write_killed_midway_leaves_the_previous_version_and_the_next_write_succeeds() {
    let (dir, table, config) = table();
    let (commits_before, files_before) = (commits(&table), data_files(&table));
    // Far more rows than the writer holds before it starts putting files out.
    let insert = "INSERT INTO delta.default.t \
                  SELECT CAST(random() * 1e18 AS BIGINT) FROM generate_series(1, 400000000)";
    let mut child = cli(dir.path(), &config, &[insert]).spawn().expect("start the CLI");
    // Wait until the write has put data files out (it has not committed: that
    // comes after every file), then kill it.
    let deadline = Instant::now() + TIME_LIMIT;
    loop {
        if data_files(&table).len() > files_before.len() {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the write ended ({status}) before it was killed: {}", finish(child).stderr);
        }
        assert!(Instant::now() < deadline, "no data file appeared within {TIME_LIMIT:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL the CLI");
    child.wait().unwrap();

    assert_eq!(commits(&table), commits_before, "no commit landed");
    assert!(data_files(&table).len() > files_before.len(), "the killed write left files behind (unreferenced)");
    let read = run(dir.path(), &config, &["SELECT count(*) FROM delta.default.t"]);
    assert!(read.success, "{}", read.stderr);
    assert_eq!(numbers(&read.stdout), [3], "the table reads exactly its previous version");

    let write = run(dir.path(), &config, &["INSERT INTO delta.default.t VALUES (1), (2)", "SELECT count(*) FROM delta.default.t"]);
    assert!(write.success, "{}", write.stderr);
    assert_eq!(numbers(&write.stdout), [2, 5]);
    assert_eq!(commits(&table).len(), commits_before.len() + 1);
}

#[test]
fn two_processes_appending_at_once_land_exactly_what_they_committed() {
    let (dir, table, config) = table();
    const INSERTS: usize = 6;
    let insert = "INSERT INTO delta.default.t SELECT value FROM generate_series(1, 1000)";
    let commands = vec![insert; INSERTS];
    let writers: Vec<Child> =
        (0..2).map(|_| cli(dir.path(), &config, &commands).spawn().expect("start a writer")).collect();
    let mut committed = 0;
    for writer in writers.into_iter().map(finish) {
        let counts = numbers(&writer.stdout);
        assert!(counts.iter().all(|n| *n == 1000), "{counts:?}");
        committed += counts.iter().sum::<u64>();
        if writer.success {
            assert_eq!(counts.len(), INSERTS);
        } else {
            // The CLI stops at the failing statement: it must say it lost a race.
            assert!(writer.stderr.to_lowercase().contains("conflict"), "{}", writer.stderr);
        }
    }
    let read = run(dir.path(), &config, &["SELECT count(*) FROM delta.default.t"]);
    assert_eq!(numbers(&read.stdout), [3 + committed]);
    assert_eq!(commits(&table).len() as u64, 5 + committed / 1000, "one commit per landed insert");
}
