//! Panic containment for every callback a host can reach through FFI.
//!
//! datafusion-ffi has no `catch_unwind`: a panic unwinding out of one of its
//! `extern "C"` wrappers aborts the host. Each pack export is wrapped here
//! before it is handed to datafusion-ffi, so a panic becomes an error of kind
//! `internal` naming the function, and the host carries on.

mod catalog;
mod exec;
mod rule;
mod table;
mod udf;

pub use catalog::{GuardedCatalog, GuardedTableFactory};
pub use exec::{GuardedExec, GuardedStream};
pub use rule::GuardedPhysicalRule;
pub use table::{GuardedTableFunction, GuardedTableProvider};
pub use udf::GuardedScalarUdf;

use dfpack_common::{Error, catch_panic, panic_message};
use datafusion::error::{DataFusionError, Result};
use futures::FutureExt;

/// Runs a DataFusion-returning closure, turning a panic into an error.
pub(crate) fn guarded<T>(context: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_panic(context, f).map_err(DataFusionError::from)?
}

/// Awaits a future on the caller's task, turning a panic while polling it into an error.
pub(crate) async fn guarded_future<T>(context: &str, future: impl Future<Output = Result<T>>) -> Result<T> {
    match std::panic::AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(DataFusionError::from(Error::Panic {
            context: context.to_string(),
            message: panic_message(payload.as_ref()),
        })),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::RecordBatch;
    use datafusion::arrow::datatypes::Schema;
    use datafusion::error::Result;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use dfpack_common::ErrorKind;
    use futures::StreamExt;

    use super::*;

    #[test]
    fn guarded_turns_a_panic_into_an_internal_error() {
        let error = guarded("f", || -> Result<()> { panic!("boom") }).expect_err("panicked");
        assert_eq!(ErrorKind::find_in(&error.to_string()), Some(ErrorKind::Internal));
        assert!(error.to_string().contains("panic in f: boom"), "{error}");
        assert_eq!(guarded("f", || Ok(7)).ok(), Some(7));
    }

    #[tokio::test]
    async fn a_stream_that_panics_yields_one_error_and_ends() {
        let schema = Arc::new(Schema::empty());
        let panicking = futures::stream::poll_fn(|_| -> std::task::Poll<Option<Result<RecordBatch>>> {
            panic!("poll exploded")
        });
        let inner = Box::pin(RecordBatchStreamAdapter::new(schema, panicking));
        let mut stream = GuardedStream::new("t".into(), inner);
        let first = stream.next().await.expect("an item").expect_err("an error");
        assert!(first.to_string().contains("panic in t (stream): poll exploded"), "{first}");
        assert!(stream.next().await.is_none(), "a panicked stream is never polled again");
    }
}
