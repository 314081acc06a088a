//! The pieces every dfpack crate shares: one error type with a stable kind,
//! the panic containment that every FFI-reachable entry point runs behind, and
//! the canonical MessagePack primitives and digest behind every fingerprint.

pub mod canonical;
mod error;
mod panic;
pub mod session_options;

pub use error::{Error, ErrorKind, Result};
pub use panic::{catch_panic, panic_message};

/// The calling crate's directory, for tests and tools that read files beside
/// their sources: cargo's `CARGO_MANIFEST_DIR` at run time (set by `cargo
/// test` and `cargo run`), else the directory the crate was compiled in.
/// The compile-time value alone can be stale: clones that share one target
/// dir share build outputs, so a binary may have been built in another clone.
#[macro_export]
macro_rules! crate_dir {
    () => {
        ::std::path::PathBuf::from(
            ::std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
    };
}
