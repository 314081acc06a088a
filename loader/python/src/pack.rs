//! `dfpack._native.Pack`: one loaded, verified pack.

use std::sync::Arc;

use dfpack_loader::ExportKind;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::catalog::{PackCatalog, PackTableFactory, catalog_of};
use crate::errors::to_py_err;
use crate::optimizer_rule::PackPhysicalOptimizerRule;
use crate::scalar_udf::PackScalarUdf;
use crate::table_function::PackTableFunction;

/// Loads the pack at `path` and verifies it against this build (pack ABI,
/// datafusion-ffi major, datafusion and arrow majors, target).
///
/// Raises `dfpack.AbiError` (an `ImportError`) naming the path when the file is
/// missing, is not a dfpack plugin, or was built for another host.
#[pyfunction]
pub fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Pack> {
    let pack = py.detach(|| dfpack_loader::Pack::load(&path));
    pack.map(|inner| Pack { inner }).map_err(|error| to_py_err(py, error))
}

#[pyclass(frozen, name = "Pack", module = "dfpack._native")]
pub struct Pack {
    inner: Arc<dfpack_loader::Pack>,
}

#[pymethods]
impl Pack {
    /// The file the pack was loaded from (canonical path).
    #[getter]
    fn path(&self) -> String {
        self.inner.path().display().to_string()
    }

    /// What the pack says about itself, as a dict.
    #[getter]
    fn manifest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let manifest = self.inner.manifest();
        let dict = PyDict::new(py);
        dict.set_item("pack_name", manifest.pack_name.as_str())?;
        dict.set_item("pack_version", manifest.pack_version.as_str())?;
        dict.set_item("abi_major", manifest.abi_major)?;
        dict.set_item("abi_minor", manifest.abi_minor)?;
        dict.set_item("ffi_major", manifest.ffi_major)?;
        dict.set_item("datafusion_version", manifest.datafusion_version.as_str())?;
        dict.set_item("arrow_version", manifest.arrow_version.as_str())?;
        dict.set_item("target", manifest.target.as_str())?;
        dict.set_item("path", manifest.path.as_str())?;
        dict.set_item("exports", self.exports(py)?)?;
        Ok(dict)
    }

    /// The manifest as a `PluginManifest` payload (schemas/plugin_manifest.json), in JSON.
    #[getter]
    fn manifest_json(&self, py: Python<'_>) -> PyResult<String> {
        dfpack_contracts::codec::to_json(&self.inner.manifest_payload()).map_err(|e| to_py_err(py, e))
    }

    /// Every export as a `(name, kind)` tuple, kind being "scalar" or "table".
    #[getter]
    fn exports<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let exports: Vec<(&str, &str)> = self.inner.exports().map(|(name, kind)| (name, kind.as_str())).collect();
        PyList::new(py, exports)
    }

    /// The exported scalar UDF `name`, as an object datafusion-python accepts
    /// (`ScalarUDF.from_pycapsule(obj)`, `udf(obj)`).
    fn scalar_udf(&self, name: &str) -> PyResult<PackScalarUdf> {
        self.require(name, ExportKind::ScalarUdf)?;
        Ok(PackScalarUdf::new(Arc::clone(&self.inner), name))
    }

    /// The exported table function `name`, as an object datafusion-python
    /// accepts (`TableFunction(name, obj, ctx)`, `udtf(obj, name)`).
    fn table_function(&self, name: &str) -> PyResult<PackTableFunction> {
        self.require(name, ExportKind::TableFunction)?;
        Ok(PackTableFunction::new(Arc::clone(&self.inner), name))
    }

    /// The catalog and table factory this pack builds from `config` (pack
    /// config text, TOML or JSON; empty for the defaults), or `None` when the
    /// pack serves no catalog. Raises `dfpack.ConfigError` listing every error.
    fn catalog(&self, py: Python<'_>, config: &str) -> PyResult<Option<(PackCatalog, PackTableFactory)>> {
        catalog_of(py, &self.inner, config)
    }

    /// The pack's physical optimizer rule (the contract check), for
    /// `ctx.add_physical_optimizer_rule(obj)`; `None` for a pack that serves none.
    fn physical_optimizer_rule(&self, py: Python<'_>) -> PyResult<Option<PackPhysicalOptimizerRule>> {
        PackPhysicalOptimizerRule::of(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<dfpack._native.Pack {} {} from '{}'>",
            self.inner.name(),
            self.inner.version(),
            self.inner.path().display()
        )
    }
}

impl Pack {
    /// KeyError unless the pack exports `name` as `kind`.
    fn require(&self, name: &str, kind: ExportKind) -> PyResult<()> {
        match self.inner.exports().find(|(export, _)| *export == name) {
            Some((_, found)) if found == kind => Ok(()),
            Some((_, found)) => Err(PyKeyError::new_err(format!(
                "pack '{}' exports '{name}' as a {} function, not a {} function",
                self.inner.name(),
                found.as_str(),
                kind.as_str()
            ))),
            None => {
                let names: Vec<&str> = self.inner.exports().map(|(export, _)| export).collect();
                Err(PyKeyError::new_err(format!(
                    "pack '{}' exports no function '{name}' (it exports: {})",
                    self.inner.name(),
                    names.join(", ")
                )))
            }
        }
    }
}
