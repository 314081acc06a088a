//! A test-only pack, built as its own image: functions that panic on a chosen
//! input (to prove the guards), plus one real function, and a manifest that
//! can be told to misreport its build (to prove the loader's refusals).
//!
//! Never shipped: it exists so tests can make a plugin misbehave on purpose.

mod manifest_override;
mod panics;

use abi_stable::export_root_module;
use dfpack_abi::PackModuleRef;
use dfpack_abi::export::PackExports;

#[export_root_module]
fn fixture_root_module() -> PackModuleRef {
    PackExports::new("dfpack_fixture", env!("CARGO_PKG_VERSION"))
        .with_scalar_udfs(dfpack_udfs::scalar_functions())
        .with_scalar_udfs([panics::panic_on_udf()])
        .with_table_functions([panics::panic_on_table()])
        .serve_with_manifest(manifest_override::manifest)
}
