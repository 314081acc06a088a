//! The pack's session options for datafusion-python: an extension object for
//! `SessionConfig.with_extension`, after which `SET dfpack.<key> = '…'` is
//! accepted by the session and reaches the pack with each query.

use datafusion_ffi::config::extension_options::FFI_ExtensionOptions;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// Holds no values: the session keeps them (datafusion-python stores foreign
/// options under DataFusion's FFI namespace, which routes `SET dfpack.…`).
#[pyclass(module = "dfpack._native", frozen)]
pub struct SessionOptions;

#[pymethods]
impl SessionOptions {
    #[new]
    fn new() -> Self {
        SessionOptions
    }

    fn __datafusion_extension_options__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        PyCapsule::new_with_value(py, FFI_ExtensionOptions::default(), c"datafusion_extension_options")
    }
}
