//! `libdfpack.so`: the exported root module. Nothing of substance lives here:
//! the functions are in `dfpack-udfs`, the Delta side in `dfpack-providers`,
//! the interface and guards in `dfpack-abi`.

use std::sync::Arc;

use abi_stable::export_root_module;
use dfpack_abi::PackModuleRef;
use dfpack_abi::export::{PackExports, ServedCatalog, TableFunctionExport};
use dfpack_abi::runtime;
use dfpack_contract_check::ContractRule;
use dfpack_providers::DeltaPack;

#[export_root_module]
fn dfpack_root_module() -> PackModuleRef {
    let exports = PackExports::new("dfpack", env!("CARGO_PKG_VERSION"))
        .with_scalar_udfs(dfpack_udfs::scalar_functions())
        .with_physical_optimizer_rule(Arc::new(ContractRule::new()));
    // Without its runtime the pack cannot do Delta IO; it still serves its functions.
    let Some(runtime) = runtime::handle() else {
        return exports.serve();
    };
    let delta = Arc::new(DeltaPack::new(runtime));
    let table_functions = delta.table_functions().into_iter().map(|f| TableFunctionExport {
        name: f.name.to_string(),
        function: f.function,
        documentation: f.documentation,
    });
    exports
        .with_table_functions(table_functions)
        .with_catalog(Arc::new(move |config: &str| {
            let configured = delta.catalog(config).map_err(|e| e.to_string())?;
            Ok(ServedCatalog {
                name: configured.name,
                catalog: configured.catalog,
                factory_format: configured.factory_format.to_string(),
                factory: configured.factory,
            })
        }))
        .serve()
}
