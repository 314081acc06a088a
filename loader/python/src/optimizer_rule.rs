//! `dfpack._native.PackPhysicalOptimizerRule`: the pack's physical optimizer
//! rule (the contract check), exportable to datafusion-python
//! (`ctx.add_physical_optimizer_rule(obj)`).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::to_py_err;

#[pyclass(frozen, name = "PackPhysicalOptimizerRule", module = "dfpack._native")]
pub struct PackPhysicalOptimizerRule {
    pack: Arc<dfpack_loader::Pack>,
    name: String,
}

impl PackPhysicalOptimizerRule {
    /// The rule of `pack`, or `None` for a pack that serves none.
    pub fn of(py: Python<'_>, pack: &Arc<dfpack_loader::Pack>) -> PyResult<Option<Self>> {
        let rule = py.detach(|| pack.ffi_physical_optimizer_rule()).map_err(|error| to_py_err(py, error))?;
        Ok(rule.map(|ffi| {
            // SAFETY: the name callback of a rule the loader verified; it returns an owned string.
            let name: String = unsafe { (ffi.name)(&ffi) }.into();
            PackPhysicalOptimizerRule { pack: Arc::clone(pack), name }
        }))
    }
}

#[pymethods]
impl PackPhysicalOptimizerRule {
    /// The rule's name, as the session's optimizer lists it.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// A `datafusion_physical_optimizer_rule` capsule (a rule takes no session).
    fn __datafusion_physical_optimizer_rule__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let rule = py.detach(|| self.pack.ffi_physical_optimizer_rule()).map_err(|error| to_py_err(py, error))?;
        let Some(rule) = rule else {
            return Err(to_py_err(
                py,
                dfpack_loader::Error::Abi(format!("pack '{}' serves no physical optimizer rule", self.pack.name())),
            ));
        };
        PyCapsule::new_with_value(py, rule, c"datafusion_physical_optimizer_rule")
    }

    fn __repr__(&self) -> String {
        format!("<dfpack._native.PackPhysicalOptimizerRule {} from '{}'>", self.name, self.pack.path().display())
    }
}
