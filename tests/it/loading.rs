//! Loading and verifying: every refusal names what is wrong, and the host carries on.

use std::process::Command;

use dfpack_loader::{ErrorKind, Pack};
use dfpack_tests::{ImageCopy, fixture_image, pack_image, query_value, session_with_pack};

fn refusal(path: &std::path::Path) -> String {
    let error = Pack::load(path).expect_err("the loader must refuse this file");
    assert_eq!(error.kind(), ErrorKind::Abi, "{error}");
    error.to_string()
}

#[test]
fn loads_the_pack_and_reads_its_manifest() {
    let copy = ImageCopy::of(&pack_image());
    let pack = copy.load();
    let manifest = pack.manifest();
    assert_eq!(manifest.pack_name.as_str(), "dfpack");
    assert_eq!(manifest.abi_major, 1);
    assert_eq!(manifest.ffi_major, datafusion_ffi_major());
    assert_eq!(manifest.datafusion_version.as_str(), datafusion::DATAFUSION_VERSION);
    assert_eq!(std::path::Path::new(manifest.path.as_str()), copy.path.canonicalize().unwrap());
    let names: Vec<&str> = pack.exports().map(|(name, _)| name).collect();
    for expected in ["stable_hash64", "pack_manifest", "pack_functions"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
}

fn datafusion_ffi_major() -> u64 {
    datafusion::DATAFUSION_VERSION.split('.').next().unwrap().parse().unwrap()
}

#[test]
fn the_same_path_loads_once() {
    let copy = ImageCopy::of(&pack_image());
    let first = copy.load();
    let second = copy.load();
    assert!(std::sync::Arc::ptr_eq(&first, &second));
}

#[test]
fn refuses_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.so");
    let message = refusal(&missing);
    assert!(message.starts_with("[dfpack:abi] cannot load plugin '"), "{message}");
    assert!(message.contains("nothing-here.so") && message.contains("No such file"), "{message}");
}

#[test]
fn refuses_a_file_that_is_not_a_library() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.so");
    std::fs::write(&text, "just some text\n").unwrap();
    let message = refusal(&text);
    assert!(message.contains("notes.so': not a shared library (no ELF header)"), "{message}");
}

#[test]
fn refuses_a_truncated_library() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("libdfpack-truncated.so");
    let bytes = std::fs::read(pack_image()).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let message = refusal(&truncated);
    assert!(message.contains("libdfpack-truncated.so': truncated: its headers describe"), "{message}");
}

#[test]
fn refuses_a_library_without_the_root_module() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("empty.c");
    std::fs::write(&source, "int not_a_plugin(void) { return 42; }\n").unwrap();
    let library = dir.path().join("libempty.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .status()
        .expect("a C compiler (cc) is needed to build the foreign library");
    assert!(status.success());
    let message = refusal(&library);
    assert!(message.contains("not a dfpack plugin: it exports no dfpack root module"), "{message}");
}

/// Each row: the override the fixture copy reports, and the message the user must see
/// (the pack ABI rows are built from this host's ABI, see `abi_mismatches`).
const MISMATCHES: [(&str, &str); 4] = [
    ("ffi_major = 54", "built for datafusion-ffi 54, this host has 55"),
    ("datafusion_version = 54.0.0", "built for datafusion 54.0.0, this host has 55.2.0"),
    ("arrow_version = 58.0.0", "built for arrow 58.0.0, this host has 59"),
    ("target = aarch64-apple-darwin", "built for target aarch64-apple-darwin, this host is x86_64"),
];

/// A pack of the next ABI major, and of a newer minor of this major.
fn abi_mismatches() -> [(String, String); 2] {
    let (major, minor) = (dfpack_loader::PACK_ABI_MAJOR, dfpack_loader::PACK_ABI_MINOR);
    [
        (
            format!("abi_major = {}", major + 1),
            format!("built for pack ABI {}.{minor}, this host has pack ABI {major}.{minor}", major + 1),
        ),
        (
            format!("abi_minor = {}", minor + 1),
            format!("built for pack ABI {major}.{}, newer than this host's {major}.{minor}", minor + 1),
        ),
    ]
}

#[test]
fn refuses_a_plugin_built_for_another_host_naming_both_sides() {
    let abi_rows = abi_mismatches();
    let abi_rows = abi_rows.iter().map(|(claim, expected)| (claim.as_str(), expected.as_str()));
    for (claim, expected) in abi_rows.chain(MISMATCHES) {
        let copy = ImageCopy::of(&fixture_image()).with_manifest_override(claim);
        let message = refusal(&copy.path);
        assert!(message.contains("refusing plugin '") && message.contains("(dfpack_fixture 0.1.0)"), "{message}");
        assert!(message.contains(expected), "{claim}: {message}");
    }
}

#[test]
fn refuses_a_plugin_whose_manifest_breaks_its_schema() {
    let copy = ImageCopy::of(&fixture_image()).with_manifest_override("pack_name = ");
    let message = refusal(&copy.path);
    assert!(
        message.ends_with("its manifest breaks schemas/plugin_manifest.json: pack_name: must not be empty"),
        "{message}"
    );
    assert_eq!(ErrorKind::find_in(&message), Some(ErrorKind::Abi), "{message}");
}

#[test]
fn every_mismatch_is_reported_at_once() {
    let copy = ImageCopy::of(&fixture_image()).with_manifest_override("ffi_major = 54\ntarget = riscv64gc\n");
    let message = refusal(&copy.path);
    assert!(message.contains("datafusion-ffi 54") && message.contains("target riscv64gc"), "{message}");
}

#[tokio::test]
async fn the_host_keeps_working_after_every_refusal() {
    let (ctx, _pack) = session_with_pack();
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("bad.so");
    std::fs::write(&text, "x").unwrap();
    assert!(Pack::load(&text).is_err());
    assert!(Pack::load(dir.path().join("missing.so")).is_err());
    let refused = ImageCopy::of(&fixture_image()).with_manifest_override("ffi_major = 54");
    assert!(Pack::load(&refused.path).is_err());
    let value = query_value(&ctx, "SELECT stable_hash64('still here')").await;
    assert!(value.parse::<i64>().unwrap() >= 0);
}
