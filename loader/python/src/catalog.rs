//! `dfpack._native.PackCatalog` and `PackTableFactory`: a pack's Delta catalog
//! (built from a pack config) and its `STORED AS DELTATABLE` factory, exportable
//! to datafusion-python.

use std::sync::Arc;

use datafusion_python_util::ffi_logical_codec_from_pycapsule;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::to_py_err;

/// The catalog a pack builds from `config`.
#[pyclass(frozen, name = "PackCatalog", module = "dfpack._native")]
pub struct PackCatalog {
    pack: Arc<dfpack_loader::Pack>,
    config: String,
    name: String,
}

/// The table factory that comes with a pack's catalog.
#[pyclass(frozen, name = "PackTableFactory", module = "dfpack._native")]
pub struct PackTableFactory {
    pack: Arc<dfpack_loader::Pack>,
    config: String,
    format: String,
}

/// The catalog and factory `pack` builds from `config`, checked now: a config
/// with errors raises `dfpack.ConfigError` listing all of them. `None` for a
/// pack that serves no catalog.
pub fn catalog_of(
    py: Python<'_>,
    pack: &Arc<dfpack_loader::Pack>,
    config: &str,
) -> PyResult<Option<(PackCatalog, PackTableFactory)>> {
    let described = py.detach(|| pack.check_config(config)).map_err(|error| to_py_err(py, error))?;
    Ok(described.map(|(name, format)| {
        (
            PackCatalog { pack: Arc::clone(pack), config: config.to_string(), name },
            PackTableFactory { pack: Arc::clone(pack), config: config.to_string(), format },
        )
    }))
}

fn handle(
    py: Python<'_>,
    pack: &dfpack_loader::Pack,
    config: &str,
    session: Bound<'_, PyAny>,
) -> PyResult<dfpack_abi::CatalogHandle> {
    let codec = ffi_logical_codec_from_pycapsule(session, None)?;
    match pack.ffi_catalog(config, codec) {
        Ok(Some(handle)) => Ok(handle),
        Ok(None) => Err(to_py_err(
            py,
            dfpack_loader::Error::Config(format!("pack '{}' serves no catalog", pack.name())),
        )),
        Err(error) => Err(to_py_err(py, error)),
    }
}

#[pymethods]
impl PackCatalog {
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// A `datafusion_catalog_provider` capsule, bound to `session`'s codec.
    #[pyo3(signature = (session=None))]
    fn __datafusion_catalog_provider__<'py>(
        &self,
        py: Python<'py>,
        session: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let session = session.unwrap_or_else(|| py.None().into_bound(py));
        let handle = handle(py, &self.pack, &self.config, session)?;
        PyCapsule::new_with_value(py, handle.catalog, c"datafusion_catalog_provider")
    }

    fn __repr__(&self) -> String {
        format!("<dfpack catalog '{}' of {}>", self.name, self.pack.name())
    }
}

#[pymethods]
impl PackTableFactory {
    /// The `STORED AS` name this factory serves.
    #[getter]
    fn format(&self) -> &str {
        &self.format
    }

    /// A `datafusion_table_provider_factory` capsule, bound to `session`'s codec.
    #[pyo3(signature = (session=None))]
    fn __datafusion_table_provider_factory__<'py>(
        &self,
        py: Python<'py>,
        session: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let session = session.unwrap_or_else(|| py.None().into_bound(py));
        let handle = handle(py, &self.pack, &self.config, session)?;
        PyCapsule::new_with_value(py, handle.factory, c"datafusion_table_provider_factory")
    }

    fn __repr__(&self) -> String {
        format!("<dfpack table factory '{}' of {}>", self.format, self.pack.name())
    }
}
