//! The pieces every dfpack crate shares: one error type with a stable kind,
//! the panic containment that every FFI-reachable entry point runs behind, and
//! the canonical MessagePack primitives and digest behind every fingerprint.

pub mod canonical;
mod error;
mod panic;
pub mod session_options;

pub use error::{Error, ErrorKind, Result};
pub use panic::{catch_panic, panic_message};
