//! Regenerates the contract types from `schemas/*.json`:
//!
//! ```sh
//! cargo run -p dfpack-contracts-codegen           # writes the generated files
//! cargo run -p dfpack-contracts-codegen -- --check # fails if they are stale
//! ```

use std::process::ExitCode;

use dfpack_contracts_codegen::{SCHEMA_DIR, generate, workspace_root};

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("unknown argument '{other}' (the only one is --check)");
            return ExitCode::from(2);
        }
    };
    let root = workspace_root();
    let generated = match generate(&root.join(SCHEMA_DIR)) {
        Ok(generated) => generated,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = false;
    for (relative, text) in generated.outputs() {
        let path = root.join(relative);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            println!("{relative}: up to date");
        } else if check {
            eprintln!("{relative}: stale (run `cargo run -p dfpack-contracts-codegen`)");
            stale = true;
        } else if let Err(error) = std::fs::write(&path, text) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        } else {
            println!("{relative}: written");
        }
    }
    if stale { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
