//! dfpack-loader errors as Python exceptions of the classes `dfpack.errors` defines.

use pyo3::exceptions::{PyImportError, PyRuntimeError};
use pyo3::prelude::*;

/// The exception for `error`: an instance of `dfpack.errors.error_class(kind)`,
/// whose message is the loader's (it keeps its `[dfpack:<kind>]` tag).
pub fn to_py_err(py: Python<'_>, error: dfpack_loader::Error) -> PyErr {
    let kind = error.kind();
    let message = error.to_string();
    let built = py
        .import("dfpack.errors")
        .and_then(|module| module.getattr("error_class"))
        .and_then(|error_class| error_class.call1((kind.as_str(),)))
        .and_then(|class| class.call1((message.as_str(),)));
    match built {
        Ok(exception) => PyErr::from_value(exception),
        // Only when the Python half is missing (the extension imported on its own).
        Err(_) if kind == dfpack_loader::ErrorKind::Abi => PyImportError::new_err(message),
        Err(_) => PyRuntimeError::new_err(message),
    }
}
