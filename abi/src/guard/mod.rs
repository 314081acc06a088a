//! Panic containment for every callback a host can reach through FFI.
//!
//! datafusion-ffi has no `catch_unwind`: a panic unwinding out of one of its
//! `extern "C"` wrappers aborts the host. Each pack export is wrapped here
//! before it is handed to datafusion-ffi, so a panic becomes an error of kind
//! `internal` naming the function, and the host carries on.

mod exec;
mod table;
mod udf;

pub use exec::{GuardedExec, GuardedStream};
pub use table::{GuardedTableFunction, GuardedTableProvider};
pub use udf::GuardedScalarUdf;

use dfpack_common::catch_panic;
use datafusion::error::{DataFusionError, Result};

/// Runs a DataFusion-returning closure, turning a panic into an error.
pub(crate) fn guarded<T>(context: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_panic(context, f).map_err(DataFusionError::from)?
}
