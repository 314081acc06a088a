//! The pieces every dfpack crate shares: one error type with a stable kind, and
//! the panic containment that every FFI-reachable entry point runs behind.

mod error;
mod panic;

pub use error::{Error, ErrorKind, Result};
pub use panic::{catch_panic, panic_message};
