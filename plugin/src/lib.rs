//! `libdfpack.so`: the exported root module. Nothing of substance lives here:
//! the functions are in `dfpack-udfs`, the interface and guards in `dfpack-abi`.

use abi_stable::export_root_module;
use dfpack_abi::PackModuleRef;
use dfpack_abi::export::PackExports;

#[export_root_module]
fn dfpack_root_module() -> PackModuleRef {
    PackExports::new("dfpack", env!("CARGO_PKG_VERSION"))
        .with_scalar_udfs(dfpack_udfs::scalar_functions())
        .serve()
}
