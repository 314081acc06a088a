//! The generator of dfpack's contract types: reads the JSON Schemas in
//! `schemas/` and writes the Rust types of `dfpack-contracts`
//! (`contracts/src/generated.rs`), the Python classes of the `dfpack`
//! package (`loader/python/python/dfpack/contracts.py`) and the `StableAbi`
//! mirror of the plugin manifest in `dfpack-abi` (`abi/src/generated_manifest.rs`).
//!
//! All outputs are checked in; `dfpack-contracts` has a test that generates
//! them in memory and fails unless they are byte-identical to the files, so
//! the schemas stay the single source of truth. Run the binary
//! (`cargo run -p dfpack-contracts-codegen`) after changing a schema.
//!
//! The JSON Schema subset understood is documented in [`model`]; anything
//! outside it is an error naming the schema file and the JSON pointer.

mod json;
pub mod model;
mod python;
mod rust;
mod stable_abi;
mod text;

use std::path::{Path, PathBuf};

pub use python::MAX_PAYLOAD_BYTES as PYTHON_MAX_PAYLOAD_BYTES;

/// Where the schemas are, relative to the workspace root.
pub const SCHEMA_DIR: &str = "schemas";
/// Where the Rust types go, relative to the workspace root.
pub const RUST_OUTPUT: &str = "contracts/src/generated.rs";
/// Where the Python classes go, relative to the workspace root.
pub const PYTHON_OUTPUT: &str = "loader/python/python/dfpack/contracts.py";
/// Where the manifest's `StableAbi` mirror goes, relative to the workspace root.
pub const ABI_OUTPUT: &str = "abi/src/generated_manifest.rs";

/// The generated sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub rust: String,
    pub python: String,
    /// The `StableAbi` mirror of the plugin manifest.
    pub abi: String,
}

impl Generated {
    /// Each output with its path relative to the workspace root.
    pub fn outputs(&self) -> [(&'static str, &str); 3] {
        [(RUST_OUTPUT, &self.rust), (PYTHON_OUTPUT, &self.python), (ABI_OUTPUT, &self.abi)]
    }
}

/// The workspace root: the nearest directory holding `schemas/` and
/// `Cargo.lock` above the crate cargo runs (its `CARGO_MANIFEST_DIR` at run
/// time: a binary may have been built in another clone sharing the target
/// dir), else above this crate's own sources.
pub fn workspace_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let start = PathBuf::from(start);
    start
        .ancestors()
        .find(|dir| dir.join("schemas").is_dir() && dir.join("Cargo.lock").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Generates every output from the `*.json` files of `schema_dir`.
pub fn generate(schema_dir: &Path) -> Result<Generated, String> {
    let entries = std::fs::read_dir(schema_dir).map_err(|e| format!("cannot list {}: {e}", schema_dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("cannot list {}: {e}", schema_dir.display()))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: the file name is not UTF-8", path.display()))?
            .to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        files.push((name, text));
    }
    generate_from(&files)
}

/// Generates every output from schema files given as `(file name, text)`.
pub fn generate_from(files: &[(String, String)]) -> Result<Generated, String> {
    let model = model::read(files)?;
    Ok(Generated { rust: rust::emit(&model), python: python::emit(&model), abi: stable_abi::emit(&model)? })
}
