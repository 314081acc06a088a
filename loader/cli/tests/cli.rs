//! Runs the real `dfpack-cli` binary the way a user does and checks what it
//! prints and how it exits.
//!
//! The pack images (`libdfpack.so`, `libdfpack_fixture.so`) are separate
//! cdylib builds found beside the binary; build them first with
//! `cargo build --workspace`.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use dfpack_tests::{fixture_image, pack_image};
use tempfile::TempDir;

const CLI: &str = env!("CARGO_BIN_EXE_dfpack-cli");

// ---------------------------------------------------------------- helpers

/// A scratch directory under cargo's per-target temp dir: on the same file
/// system as the images (so they can be hard-linked), and with no pack image
/// in it or its parent (so default discovery finds nothing by accident).
fn scratch() -> TempDir {
    tempfile::Builder::new()
        .prefix("dfpack-cli-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("create a scratch dir")
}

/// Puts `image` at `dir/name`: a hard link when possible (the images are
/// hundreds of MB in debug builds), else a copy. The loader keys packs by
/// path, so each test gets a path of its own.
fn place(image: &Path, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    if std::fs::hard_link(image, &path).is_err() {
        std::fs::copy(image, &path).expect("copy an image");
    }
    path
}

/// The CLI, run in `dir` with a controlled environment: no `$DFPACK_PLUGIN`,
/// a `$HOME` without `~/.datafusionrc`, and `.history` written to `dir`.
fn cli_in(dir: &Path) -> Command {
    cli_at(Path::new(CLI), dir)
}

fn cli_at(binary: &Path, dir: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("DFPACK_PLUGIN")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null());
    command
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        // A crash (a signal) is never an acceptable way for the CLI to fail.
        assert_eq!(
            output.status.signal(),
            None,
            "the CLI was killed by a signal; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn succeeded(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    fn failed(self) -> Run {
        assert_eq!(self.code, Some(1), "expected exit code 1\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// Longer than any of these runs takes, even in a debug build on a busy
/// machine; a CLI that hangs fails its test instead of stalling the suite.
const TIME_LIMIT: Duration = Duration::from_secs(300);

fn run(command: Command) -> Run {
    finish(command, None)
}

/// Runs the CLI with `stdin` piped in (the REPL reading a pipe).
fn run_with_stdin(command: Command, stdin: &str) -> Run {
    finish(command, Some(stdin))
}

fn finish(mut command: Command, stdin: Option<&str>) -> Run {
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start the CLI");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A CLI that refuses to start never reads its input; the broken pipe
        // that gives is not the failure under test, its exit status is.
        pipe.write_all(input.as_bytes()).ok();
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + TIME_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the CLI") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the CLI did not finish within {TIME_LIMIT:?}: {command:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: stdout.join().expect("read stdout"),
        stderr: stderr.join().expect("read stderr"),
    };
    Run::of(output)
}

/// Reads a pipe to its end on its own thread, so a chatty child never
/// blocks on a full pipe while the test waits for it.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut bytes).expect("read the CLI's output");
        }
        bytes
    })
}

/// `-q --format csv -c <sql>` with the default pack: the result as CSV lines.
fn csv_query(dir: &Path, sql: &str) -> Vec<String> {
    let mut command = cli_in(dir);
    command.args(["-q", "--format", "csv", "-c", sql]);
    let result = run(command).succeeded();
    result.stdout.lines().map(str::to_string).collect()
}

/// Splits one CSV line; enough for these results (no quoted commas in the
/// columns compared here).
fn cells(line: &str) -> Vec<&str> {
    line.split(',').collect()
}

// ---------------------------------------------------------------- the default pack

#[test]
fn stable_hash64_is_the_same_from_a_literal_and_from_a_column() {
    let dir = scratch();
    let literal = csv_query(dir.path(), "SELECT stable_hash64('hello') AS h");
    assert_eq!(literal.len(), 2, "a header and one row: {literal:?}");
    assert_eq!(literal[0], "h");
    let value: i64 = literal[1].parse().unwrap_or_else(|_| panic!("not an Int64: {}", literal[1]));
    assert!(value >= 0, "stable_hash64 is documented as non-negative, got {value}");

    // The same string reaching the function as column data (an array, not a
    // folded constant) must hash the same.
    let column = csv_query(dir.path(), "SELECT stable_hash64(s) AS h FROM (VALUES ('hello')) AS t(s)");
    assert_eq!(column, ["h".to_string(), value.to_string()]);
}

#[test]
fn pack_manifest_describes_the_default_pack() {
    let dir = scratch();
    let lines = csv_query(dir.path(), "SELECT name, abi, ffi_version, path FROM pack_manifest()");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(cells(&lines[0]), ["name", "abi", "ffi_version", "path"]);
    let row = cells(&lines[1]);
    let image = std::fs::canonicalize(pack_image()).expect("canonical image path");
    assert_eq!(row[..3], ["dfpack", dfpack_tests::host_pack_abi().as_str(), "55"]);
    assert_eq!(Path::new(row[3]), image);
}

#[test]
fn pack_functions_and_information_schema_list_the_pack() {
    let dir = scratch();
    let described =
        csv_query(dir.path(), "SELECT kind, description FROM pack_functions() WHERE name = 'stable_hash64'").join("\n");
    assert!(described.starts_with("kind,description\nscalar,"), "{described}");
    assert!(described.contains("Computes a stable 64-bit hash"), "{described}");

    // information_schema.routines is what SHOW FUNCTIONS is built on. (SHOW
    // FUNCTIONS itself only lists scalar functions whose signature lists
    // concrete types; stable_hash64 takes any type, like the built-in concat,
    // so DataFusion leaves it out of SHOW FUNCTIONS.)
    let routines = csv_query(
        dir.path(),
        "SELECT routine_name, function_type FROM information_schema.routines \
         WHERE routine_name IN ('stable_hash64', 'pack_manifest', 'pack_functions') ORDER BY routine_name",
    );
    assert_eq!(
        routines,
        ["routine_name,function_type", "pack_functions,TABLE", "pack_manifest,TABLE", "stable_hash64,SCALAR"]
    );
    let mut command = cli_in(dir.path());
    command.args(["-q", "-c", "SHOW FUNCTIONS LIKE 'pack_%'"]);
    let shown = run(command).succeeded().stdout;
    assert!(shown.contains("| pack_functions ") && shown.contains("| pack_manifest "), "{shown}");
}

#[test]
fn no_default_plugin_starts_without_the_pack() {
    let dir = scratch();
    let mut command = cli_in(dir.path());
    command.args(["-q", "--no-default-plugin", "-c", "SELECT stable_hash64('hello')"]);
    let result = run(command).failed();
    assert!(result.stderr.contains("stable_hash64"), "{}", result.stderr);
}

// ---------------------------------------------------------------- finding the default pack

#[test]
fn the_default_pack_is_found_beside_the_executable_or_named_by_env() {
    let dir = scratch();
    let binary = place(Path::new(CLI), dir.path(), "dfpack-cli");

    // Nothing beside the executable: starts anyway, and says why there is no pack.
    let mut command = cli_at(&binary, dir.path());
    command.args(["--format", "csv", "-c", "SELECT 1 AS one"]);
    let result = run(command).succeeded();
    assert!(result.stderr.contains("no default pack found"), "{}", result.stderr);
    assert!(result.stdout.contains("one\n1\n"), "{}", result.stdout);
    // -q keeps that note quiet.
    let mut command = cli_at(&binary, dir.path());
    command.args(["-q", "-c", "SELECT 1"]);
    assert_eq!(run(command).succeeded().stderr, "");

    // $DFPACK_PLUGIN names the pack.
    let elsewhere = scratch();
    let named = place(&pack_image(), elsewhere.path(), "libdfpack.so");
    let mut command = cli_at(&binary, dir.path());
    command.env("DFPACK_PLUGIN", &named).args(["-q", "--format", "csv", "-c", "SELECT path FROM pack_manifest()"]);
    assert_eq!(run(command).succeeded().stdout, format!("path\n{}\n", named.display()));

    // A pack beside the executable is found without being named.
    let beside = place(&pack_image(), dir.path(), "libdfpack.so");
    let mut command = cli_at(&binary, dir.path());
    command.args(["-q", "--format", "csv", "-c", "SELECT path FROM pack_manifest()"]);
    assert_eq!(run(command).succeeded().stdout, format!("path\n{}\n", beside.display()));
}

#[test]
fn a_missing_pack_named_by_env_stops_the_cli() {
    let dir = scratch();
    let missing = dir.path().join("gone.so");
    let mut command = cli_in(dir.path());
    command.env("DFPACK_PLUGIN", &missing).args(["-q", "-c", "SELECT 1"]);
    let result = run(command).failed();
    assert!(result.stderr.contains(&format!("cannot load plugin '{}'", missing.display())), "{}", result.stderr);
    assert!(result.stderr.contains("--no-default-plugin"), "{}", result.stderr);
    assert_eq!(result.stdout, "");
}

// ---------------------------------------------------------------- --plugin refusals

/// Runs `--plugin <path> -c 'SELECT 1'` and expects a clean refusal.
fn refused(plugin: &Path, dir: &Path) -> String {
    let mut command = cli_in(dir);
    command.arg("--no-default-plugin").arg("--plugin").arg(plugin).args(["-c", "SELECT 1"]);
    let result = run(command).failed();
    assert_eq!(result.stdout, "", "nothing runs when a pack is refused");
    assert!(result.stderr.starts_with("Error: [dfpack:abi] "), "{}", result.stderr);
    result.stderr
}

#[test]
fn a_missing_plugin_is_refused_naming_it() {
    let dir = scratch();
    let missing = dir.path().join("nowhere/libx.so");
    let stderr = refused(&missing, dir.path());
    assert!(stderr.contains(&format!("'{}'", missing.display())), "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
}

#[test]
fn a_text_file_plugin_is_refused_naming_it() {
    let dir = scratch();
    let text = dir.path().join("notes.so");
    std::fs::write(&text, "this is not a shared library\n").expect("write a text file");
    let stderr = refused(&text, dir.path());
    assert!(stderr.contains(&format!("'{}'", text.display())), "{stderr}");
    assert!(stderr.contains("not a shared library") || stderr.contains("not a loadable shared library"), "{stderr}");
}

#[test]
fn a_truncated_plugin_is_refused_naming_it() {
    let dir = scratch();
    let image = std::fs::read(pack_image()).expect("read libdfpack.so");
    let truncated = dir.path().join("libdfpack-truncated.so");
    std::fs::write(&truncated, &image[..image.len() / 3]).expect("write a truncated copy");
    let stderr = refused(&truncated, dir.path());
    assert!(stderr.contains(&format!("'{}'", truncated.display())), "{stderr}");
    assert!(stderr.contains("truncated") || stderr.contains("not a loadable shared library"), "{stderr}");
}

#[test]
fn a_plugin_for_another_datafusion_ffi_is_refused_naming_both_versions() {
    let dir = scratch();
    let fixture = place(&fixture_image(), dir.path(), "libdfpack_fixture.so");
    // The fixture reads `<image>.manifest` to misreport its build.
    std::fs::write(format!("{}.manifest", fixture.display()), "ffi_major = 54\n").expect("write the override");
    let stderr = refused(&fixture, dir.path());
    assert!(stderr.contains(&format!("refusing plugin '{}'", fixture.display())), "{stderr}");
    assert!(stderr.contains("built for datafusion-ffi 54, this host has 55"), "{stderr}");
}

#[test]
fn a_second_pack_with_the_same_function_names_is_refused_naming_them() {
    let dir = scratch();
    let fixture = place(&fixture_image(), dir.path(), "libdfpack_fixture.so");
    let mut command = cli_in(dir.path());
    command.arg("--plugin").arg(pack_image()).arg("--plugin").arg(&fixture).args(["-c", "SELECT 1"]);
    let result = run(command).failed();
    assert!(result.stderr.contains("cannot install pack 'dfpack_fixture'"), "{}", result.stderr);
    assert!(result.stderr.contains("from pack 'dfpack' at '"), "{}", result.stderr);
    assert!(result.stderr.contains("stable_hash64 (scalar)"), "{}", result.stderr);
    assert!(result.stderr.contains("nothing was installed"), "{}", result.stderr);
}

// ---------------------------------------------------------------- panics in a pack

#[test]
fn panics_in_a_pack_become_errors_and_the_session_goes_on() {
    let dir = scratch();
    let fixture = place(&fixture_image(), dir.path(), "libdfpack_fixture.so");
    let mut script = String::from("SELECT fixture_panic(13);\nSELECT fixture_panic(1) AS after_udf;\n");
    for stage in ["call", "scan", "execute", "poll"] {
        script.push_str(&format!(
            "SELECT * FROM fixture_panic_table('{stage}');\nSELECT fixture_panic(1) AS after_{stage};\n"
        ));
    }
    script.push_str("SELECT n AS survivor FROM fixture_panic_table('none') ORDER BY n;\n");
    let file = dir.path().join("panics.sql");
    std::fs::write(&file, script).expect("write the script");

    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "--plugin"]).arg(&fixture).arg("-f").arg(&file);
    // Statements failed, so the run fails; but every statement ran, in one process.
    let result = run(command).failed();

    assert!(result.stderr.contains("[dfpack:internal] panic in fixture_panic:"), "{}", result.stderr);
    let table_panics = result.stderr.matches("[dfpack:internal] panic in fixture_panic_table").count();
    assert_eq!(table_panics, 4, "one error per stage\n{}", result.stderr);
    let expected: String = ["after_udf", "after_call", "after_scan", "after_execute", "after_poll"]
        .iter()
        .map(|name| format!("{name}\n1\n"))
        .chain(std::iter::once("survivor\n1\n2\n3\n".to_string()))
        .collect();
    assert_eq!(result.stdout, expected);
}

// ---------------------------------------------------------------- load_plugin() from SQL

#[test]
fn load_plugin_installs_a_pack_into_the_running_session() {
    let dir = scratch();
    let fixture = place(&fixture_image(), dir.path(), "libdfpack_fixture.so");
    let missing = dir.path().join("missing.so");
    let input = format!(
        "SELECT function, already_installed FROM load_plugin('{fixture}') WHERE function = 'fixture_panic';\n\
         SELECT fixture_panic(2) AS loaded;\n\
         SELECT already_installed AS again FROM load_plugin('{fixture}');\n\
         SELECT * FROM load_plugin('{missing}');\n\
         SELECT 42 AS still_running;\n",
        fixture = fixture.display(),
        missing = missing.display(),
    );
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "--no-default-plugin"]);
    let result = run_with_stdin(command, &input).succeeded();
    assert_eq!(
        result.stdout,
        "function,already_installed\nfixture_panic,false\nloaded\n2\nagain\ntrue\nstill_running\n42\n\\q\n"
    );
    assert!(
        result.stderr.contains(&format!("[dfpack:abi] cannot load plugin '{}'", missing.display())),
        "{}",
        result.stderr
    );
}

// ---------------------------------------------------------------- datafusion-cli behaviour

#[test]
fn repl_banner_names_the_loaded_packs_unless_quiet() {
    let dir = scratch();
    let result = run_with_stdin(cli_in(dir.path()), "SELECT 1;\n").succeeded();
    let banner = result.stdout.lines().next().unwrap_or_default();
    assert!(banner.starts_with("dfpack-cli "), "{banner}");
    let image = std::fs::canonicalize(pack_image()).expect("canonical image path");
    assert!(banner.contains(&format!("dfpack 0.1.0 ({})", image.display())), "{banner}");
    assert!(result.stdout.contains("row(s) fetched"), "{}", result.stdout);

    let mut quiet = cli_in(dir.path());
    quiet.args(["-q", "--format", "csv"]);
    assert_eq!(run_with_stdin(quiet, "SELECT 1 AS one;\n").succeeded().stdout, "one\n1\n\\q\n");
}

#[test]
fn a_failing_command_stops_the_run_and_exits_1() {
    let dir = scratch();
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "-c", "SELECT 1 AS first", "SELECT no_such_column", "SELECT 3 AS third"]);
    let result = run(command).failed();
    assert_eq!(result.stdout, "first\n1\n");
    assert!(result.stderr.contains("no_such_column"), "{}", result.stderr);
}

#[test]
fn maxrows_limits_the_rows_shown() {
    let dir = scratch();
    let mut command = cli_in(dir.path());
    command.args(["--maxrows", "2", "-c", "SELECT value FROM generate_series(101, 110)"]);
    let result = run(command).succeeded();
    assert!(result.stdout.contains("| 101   |") && result.stdout.contains("| 102   |"), "{}", result.stdout);
    assert!(!result.stdout.contains("103"), "{}", result.stdout);
    assert!(result.stdout.contains("10 row(s) fetched. (First 2 displayed"), "{}", result.stdout);
}

#[test]
fn batch_size_reaches_the_session_config() {
    let dir = scratch();
    let sql = "SELECT value FROM information_schema.df_settings WHERE name = 'datafusion.execution.batch_size'";
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "-b", "123", "-c", sql]);
    assert_eq!(run(command).succeeded().stdout, "value\n123\n");

    let mut command = cli_in(dir.path());
    command.args(["-b", "0", "-c", "SELECT 1"]);
    let result = run(command);
    assert_eq!(result.code, Some(2), "a usage error: {}", result.stderr);
    assert!(result.stderr.contains("batch size"), "{}", result.stderr);
}

#[test]
fn files_are_queried_by_path_relative_to_the_data_path() {
    let dir = scratch();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("create the data dir");
    std::fs::write(data.join("people.csv"), "name,age\nada,36\ngrace,45\n").expect("write a csv");
    let mut command = cli_in(dir.path());
    command.arg("-p").arg(&data).args([
        "-q",
        "--format",
        "csv",
        "-c",
        "COPY (SELECT name, age FROM 'people.csv') TO 'people.parquet' STORED AS PARQUET",
        "SELECT sum(age) AS total FROM 'people.parquet'",
        "SELECT row_group_num_rows FROM parquet_metadata('people.parquet') LIMIT 1",
    ]);
    let result = run(command).succeeded();
    assert_eq!(result.stdout, "count\n2\ntotal\n81\nrow_group_num_rows\n2\n");
}

#[test]
fn an_rc_file_runs_before_the_prompt() {
    let dir = scratch();
    let rc = dir.path().join("setup.sql");
    std::fs::write(&rc, "CREATE VIEW greeting AS SELECT 'hi' AS word;\n").expect("write the rc file");
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "-r"]).arg(&rc);
    let result = run_with_stdin(command, "SELECT word FROM greeting;\n").succeeded();
    assert_eq!(result.stdout, "word\nhi\n\\q\n");
}

#[test]
fn a_memory_limit_is_enforced_with_the_chosen_pool() {
    let dir = scratch();
    // Collecting 100000 rows for printing needs more than 64 KiB: the CLI's
    // own reservation fails, naming the pool and its largest consumer.
    let sql = "SELECT value FROM generate_series(1, 100000)";
    for pool in ["greedy", "fair"] {
        let mut command = cli_in(dir.path());
        command.args(["-q", "-m", "64k", "--mem-pool-type", pool, "-c", sql]);
        let result = run(command).failed();
        assert!(result.stderr.contains("Resources exhausted"), "{}", result.stderr);
        assert!(result.stderr.contains(&format!("{pool}(")), "{}", result.stderr);
        assert!(result.stderr.contains("pool_size: 64.0 KB"), "{}", result.stderr);
        assert!(result.stderr.contains("top memory consumers"), "{}", result.stderr);
    }
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "-c", "SELECT count(*) AS n FROM generate_series(1, 100000)"]);
    assert_eq!(run(command).succeeded().stdout, "n\n100000\n");
}

#[test]
fn help_lists_the_plugin_flags() {
    let dir = scratch();
    let mut command = cli_in(dir.path());
    command.arg("--help");
    let help = run(command).succeeded().stdout;
    for flag in ["--plugin <PATH>", "--no-default-plugin", "--command", "--file", "--maxrows", "--mem-pool-type"] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}

// ---------------------------------------------------------------- --pack-config (Delta datasets)

/// Writes a pack config into `dir` and returns its path.
fn pack_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the pack config");
    path
}

#[test]
fn pack_config_datasets_are_queried_by_name() {
    let dir = scratch();
    let people = dfpack_tests::delta_table("delta-0.8.0-partitioned");
    let toml = pack_config(
        dir.path(),
        "pack.toml",
        &format!("[datasets.people]\ntable_uri = '{}'\n", people.display()),
    );
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "--pack-config"]).arg(&toml).args([
        "-c",
        "SELECT count(*) FROM delta.default.people",
        "SELECT count(*) AS in_2021 FROM delta.default.people WHERE year = '2021'",
    ]);
    assert_eq!(run(command).succeeded().stdout, "count(*)\n7\nin_2021\n4\n");

    // The same config as JSON (chosen by the .json extension), with another catalog name.
    let json = pack_config(
        dir.path(),
        "pack.json",
        &format!(
            r#"{{"catalog": {{"name": "lake"}}, "datasets": {{"people": {{"table_uri": "{}", "version": 0}}}}}}"#,
            people.display()
        ),
    );
    let mut command = cli_in(dir.path());
    command
        .args(["-q", "--format", "csv", "--pack-config"])
        .arg(&json)
        .args(["-c", "SELECT max(value) AS top FROM lake.default.people"]);
    assert_eq!(run(command).succeeded().stdout, "top\n7\n");
}

#[test]
fn a_pack_config_with_errors_stops_the_cli_naming_every_error() {
    let dir = scratch();
    let simple = dfpack_tests::delta_table("simple_table");
    let toml = pack_config(
        dir.path(),
        "broken.toml",
        &format!(
            "[cache]\nrefresh = 'sometimes'\n\n\
             [datasets.good]\ntable_uri = '{}'\ncolour = 'red'\n\n\
             [datasets.Bad]\ntable_uri = 'ftp://host/t'\n",
            simple.display()
        ),
    );
    let mut command = cli_in(dir.path());
    command.args(["-q", "--pack-config"]).arg(&toml).args(["-c", "SELECT 1 AS never"]);
    let result = run(command).failed();
    assert_eq!(result.stdout, "", "nothing runs with a broken pack config");
    let stderr = &result.stderr;
    assert!(stderr.starts_with("Error: [dfpack:config] "), "{stderr}");
    assert!(stderr.contains("4 errors, nothing was registered"), "{stderr}");
    for path in [
        "cache.refresh: expected one of every_query, max_staleness, disabled, found 'sometimes'",
        "datasets.good.colour: unknown key",
        "datasets.Bad: 'Bad' is not a valid name",
        "datasets.Bad.table_uri: scheme 'ftp' is not supported",
    ] {
        assert!(stderr.contains(path), "{path} missing from:\n{stderr}");
    }

    // A config file that cannot be read is named too.
    let missing = dir.path().join("missing.toml");
    let mut command = cli_in(dir.path());
    command.args(["-q", "--pack-config"]).arg(&missing).args(["-c", "SELECT 1"]);
    let result = run(command).failed();
    assert!(result.stderr.contains(&format!("cannot read pack config '{}'", missing.display())), "{}", result.stderr);
}

#[test]
fn a_refused_dataset_fails_its_statements_and_the_others_run() {
    let dir = scratch();
    let config = format!(
        "[datasets.people]\ntable_uri = '{}'\n\n[datasets.widened]\ntable_uri = '{}'\n",
        dfpack_tests::delta_table("delta-0.8.0-partitioned").display(),
        dfpack_tests::delta_table("type-widening").display(),
    );
    let toml = pack_config(dir.path(), "pack.toml", &config);
    let script = dir.path().join("queries.sql");
    std::fs::write(
        &script,
        "SELECT count(*) AS before FROM delta.default.people;\n\
         SELECT * FROM delta.default.widened;\n\
         SELECT column_name FROM information_schema.columns WHERE table_name = 'widened' AND ordinal_position = 0;\n\
         SELECT count(*) AS after FROM delta.default.people WHERE year = '2020';\n",
    )
    .expect("write the script");
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "--pack-config"]).arg(&toml).arg("-f").arg(&script);
    let result = run(command).failed();
    assert_eq!(result.stdout, "before\n7\ncolumn_name\nbyte_long\nafter\n3\n");
    let stderr = &result.stderr;
    assert!(stderr.contains("[dfpack:protocol_gate] table 'widened'"), "{stderr}");
    assert!(stderr.contains("at version 2 is refused by the protocol gate"), "{stderr}");
    assert!(stderr.contains("reader features not supported by this pack: typeWidening-preview"), "{stderr}");
    assert_eq!(stderr.matches("[dfpack:").count(), 1, "one failing statement: {stderr}");
}

#[test]
fn a_contract_bound_dataset_that_drifted_fails_naming_the_violation() {
    let dir = scratch();
    let people = dfpack_tests::delta_table("delta-0.8.0-partitioned");
    let contract = |evolution: &str| {
        format!(
            "contract = {{ evolution = \"{evolution}\", schema = {{ fields = [{{ name = \"value\", type = {{ type = \
             \"utf8\" }}, nullable = true }}] }} }}"
        )
    };
    let toml = pack_config(
        dir.path(),
        "contracts.toml",
        &format!(
            "[datasets.strict]\ntable_uri = '{0}'\n{1}\n\n[datasets.additive]\ntable_uri = '{0}'\n{2}\n",
            people.display(),
            contract("strict"),
            contract("additive")
        ),
    );
    let mut command = cli_in(dir.path());
    command.args(["-q", "--format", "csv", "--pack-config"]).arg(&toml).args([
        "-c",
        "SELECT count(*) FROM delta.default.additive",
    ]);
    assert_eq!(run(command).succeeded().stdout, "count(*)\n7\n");

    let mut command = cli_in(dir.path());
    command.args(["-q", "--pack-config"]).arg(&toml).args(["-c", "SELECT * FROM delta.default.strict"]);
    let result = run(command).failed();
    assert!(
        result.stderr.contains(
            "[dfpack:contract] dataset 'strict' at version 0 does not match its contract (evolution strict, read): \
             column 'year' (Utf8) is not in the contract (evolution strict)"
        ),
        "{}",
        result.stderr
    );
}
