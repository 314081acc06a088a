//! `dfpack._native`: the compiled half of the `dfpack` Python package.
//!
//! It loads and verifies `libdfpack.so` with `dfpack-loader` and hands the
//! pack's functions to datafusion-python as PyCapsules (`__datafusion_scalar_udf__`,
//! `__datafusion_table_function__`, `__datafusion_physical_optimizer_rule__`). The Python half (`dfpack/__init__.py`)
//! adds the exception classes, the datafusion version gate and `Pack.install`.

mod catalog;
mod errors;
mod options;
mod optimizer_rule;
mod pack;
mod scalar_udf;
mod table_function;

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The versions this extension was compiled with: the pack it loads must match
/// them, and so must the datafusion Python package it hands capsules to.
fn build_info(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let info = PyDict::new(py);
    info.set_item("dfpack_version", env!("CARGO_PKG_VERSION"))?;
    info.set_item("datafusion_version", dfpack_loader::datafusion::DATAFUSION_VERSION)?;
    info.set_item("ffi_major", datafusion_ffi::version())?;
    info.set_item("arrow_version", dfpack_loader::datafusion::arrow::ARROW_VERSION)?;
    Ok(info)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pack::load, m)?)?;
    m.add_class::<pack::Pack>()?;
    m.add_class::<options::SessionOptions>()?;
    m.add_class::<scalar_udf::PackScalarUdf>()?;
    m.add_class::<table_function::PackTableFunction>()?;
    m.add_class::<catalog::PackCatalog>()?;
    m.add_class::<catalog::PackTableFactory>()?;
    m.add_class::<optimizer_rule::PackPhysicalOptimizerRule>()?;
    m.add("BUILD_INFO", build_info(m.py())?)?;
    Ok(())
}
