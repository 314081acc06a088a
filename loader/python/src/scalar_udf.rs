//! `dfpack._native.PackScalarUdf`: one scalar UDF of a pack, exportable to datafusion-python.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::to_py_err;

#[pyclass(frozen, name = "PackScalarUdf", module = "dfpack._native")]
pub struct PackScalarUdf {
    pack: Arc<dfpack_loader::Pack>,
    name: String,
}

impl PackScalarUdf {
    pub fn new(pack: Arc<dfpack_loader::Pack>, name: &str) -> Self {
        PackScalarUdf { pack, name: name.to_string() }
    }
}

#[pymethods]
impl PackScalarUdf {
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// A fresh `datafusion_scalar_udf` capsule holding the pack's `FFI_ScalarUDF`.
    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let udf = self.pack.ffi_scalar_udf(&self.name).map_err(|error| to_py_err(py, error))?;
        PyCapsule::new_with_value(py, udf, c"datafusion_scalar_udf")
    }

    fn __repr__(&self) -> String {
        format!("<dfpack scalar UDF '{}' of {}>", self.name, self.pack.name())
    }
}
