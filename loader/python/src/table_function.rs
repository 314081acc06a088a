//! `dfpack._native.PackTableFunction`: one table function of a pack, exportable to datafusion-python.

use std::sync::Arc;

use datafusion_python_util::ffi_logical_codec_from_pycapsule;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::to_py_err;

const CODEC_GETTER: &str = "__datafusion_logical_extension_codec__";

#[pyclass(frozen, name = "PackTableFunction", module = "dfpack._native")]
pub struct PackTableFunction {
    pack: Arc<dfpack_loader::Pack>,
    name: String,
}

impl PackTableFunction {
    pub fn new(pack: Arc<dfpack_loader::Pack>, name: &str) -> Self {
        PackTableFunction { pack, name: name.to_string() }
    }
}

#[pymethods]
impl PackTableFunction {
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// A fresh `datafusion_table_function` capsule holding the pack's
    /// `FFI_TableFunction`, bound to the logical extension codec of `session`
    /// (the `SessionContext` it is being registered with, or datafusion-python's
    /// global context when it was given none).
    fn __datafusion_table_function__<'py>(
        &self,
        py: Python<'py>,
        session: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        if !session.hasattr(CODEC_GETTER)? && session.cast::<PyCapsule>().is_err() {
            return Err(PyTypeError::new_err(format!(
                "__datafusion_table_function__ takes the datafusion SessionContext it is being \
                 installed on (an object with {CODEC_GETTER}), not {}",
                session.get_type().name()?
            )));
        }
        let codec = ffi_logical_codec_from_pycapsule(session, None)?;
        let function = self.pack.ffi_table_function(&self.name, codec).map_err(|error| to_py_err(py, error))?;
        PyCapsule::new_with_value(py, function, c"datafusion_table_function")
    }

    fn __repr__(&self) -> String {
        format!("<dfpack table function '{}' of {}>", self.name, self.pack.name())
    }
}
