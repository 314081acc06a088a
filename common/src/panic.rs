use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::Error;

/// Runs `f`, turning a panic into [`Error::Panic`] naming `context`.
///
/// A panic that unwinds out of an `extern "C"` function aborts the host process
/// (and datafusion-ffi catches none), so every callback a host can reach runs
/// behind this. `AssertUnwindSafe` is sound here because a caught panic fails the
/// whole call: no partially updated state is observed afterwards.
pub fn catch_panic<T>(context: &str, f: impl FnOnce() -> T) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Error::Panic {
        context: context.to_string(),
        message: panic_message(payload.as_ref()),
    })
}

/// The text of a panic payload (`panic!("...")` gives `&str` or `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-text payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn a_panic_becomes_an_internal_error_naming_its_context() {
        let error = catch_panic("stable_hash64", || -> u8 { panic!("bad input {}", 7) })
            .expect_err("the closure panics");
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert_eq!(error.to_string(), "[dfpack:internal] panic in stable_hash64: bad input 7");
    }

    #[test]
    fn a_value_passes_through() {
        assert_eq!(catch_panic("f", || 41 + 1).ok(), Some(42));
    }
}
