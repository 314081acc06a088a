//! The dfpack plugin interface, shared by the plugin side and the host side.
//!
//! - [`module`]: the abi_stable root module every pack exports (a prefix type, so later
//!   pack versions can append constructors without breaking older hosts).
//! - [`manifest`]: what a pack says about itself, readable before any FFI struct is touched.
//! - [`export`]: the plugin side: serve a set of functions as a root module.
//! - [`kernel`]: the fast path of a scalar function's evaluation, for dfpack's own hosts;
//!   [`bound_kernel`]: the same, bound to one call site's fields, its arrays crossing through
//!   [`c_data`] (the C data interface, filled directly for flat arrays and structs, lists
//!   and maps of them).
//! - [`guard`]: panic containment around every callback a host can reach.
//! - `lean`: the pack's tables served without rebuilding the host's session on each call.
//! - [`introspection`]: `pack_manifest()` and `pack_functions()`, served by every pack.

pub mod bound_kernel;
pub mod c_data;
pub mod export;
#[rustfmt::skip]
mod generated_manifest;
pub mod guard;
pub mod introspection;
pub mod kernel;
mod lean;
pub mod manifest;
pub mod module;
pub mod runtime;

pub use manifest::{ExportEntry, ExportKind, PackManifest};
pub use module::{
    BoundScalarKernelHandle, CallFieldsHandle, CatalogHandle, LogicalCodecHandle, PackModule, PackModuleRef,
    PhysicalOptimizerRuleHandle, ScalarKernelHandle, ScalarUdfHandle, TableFunctionHandle,
};
