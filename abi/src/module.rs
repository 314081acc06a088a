use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{ROption, RResult, RStr, RString, RVec};
use abi_stable::{StableAbi, declare_root_module_statics};
use datafusion_ffi::arrow_wrappers::WrappedSchema;
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::physical_optimizer::FFI_PhysicalOptimizerRule;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::table_provider_factory::FFI_TableProviderFactory;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;

use crate::bound_kernel::FFI_BoundScalarKernel;
use crate::kernel::FFI_ScalarKernel;
use crate::manifest::{PackManifest, pack_abi_major};

/// The root module a pack exports.
///
/// A prefix type: a later pack ABI minor appends constructors after the last
/// prefix field, and a host reads those as `Option`s, so older plugins keep
/// loading. Constructors return datafusion-ffi structs, which are not
/// `StableAbi`; they travel in opaque handles whose size and alignment
/// abi_stable still checks, while the pack's own manifest check pins the
/// datafusion-ffi major.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PackModuleRef)))]
#[sabi(missing_field(panic))]
pub struct PackModule {
    pub manifest: extern "C" fn() -> RResult<PackManifest, RString>,

    pub scalar_udf: extern "C" fn(name: RStr<'_>) -> RResult<ScalarUdfHandle, RString>,

    #[sabi(last_prefix_field)]
    pub table_function:
        extern "C" fn(name: RStr<'_>, codec: LogicalCodecHandle) -> RResult<TableFunctionHandle, RString>,

    /// ABI 1.1: the catalog hook and its table factory, built from a pack
    /// config (TOML or JSON text; empty for the defaults); `RNone` from a pack
    /// that serves no catalog. A pack of ABI 1.0 lacks the field, and a host
    /// reads it as `None`.
    #[sabi(missing_field(option))]
    pub catalog:
        extern "C" fn(config: RStr<'_>, codec: LogicalCodecHandle) -> RResult<ROption<CatalogHandle>, RString>,

    /// ABI 1.2: the kernel of a scalar function, the fast path of its
    /// evaluation (see [`crate::kernel`]). Older packs lack it; a host then
    /// evaluates through the function's `FFI_ScalarUDF`.
    #[sabi(missing_field(option))]
    pub scalar_kernel: extern "C" fn(name: RStr<'_>) -> RResult<ScalarKernelHandle, RString>,

    /// ABI 1.3: the kernel of a scalar function bound to one call site's
    /// argument and return fields, so that batches cross without their
    /// schemas (see [`crate::bound_kernel`]). Older packs lack it; a host
    /// then evaluates through `scalar_kernel`.
    #[sabi(missing_field(option))]
    pub bound_scalar_kernel:
        extern "C" fn(name: RStr<'_>, fields: CallFieldsHandle) -> RResult<BoundScalarKernelHandle, RString>,

    /// ABI 1.3: the pack's physical optimizer rule (the contract check);
    /// `RNone` from a pack that serves none. Older packs lack the field.
    #[sabi(missing_field(option))]
    pub physical_optimizer_rule: extern "C" fn() -> RResult<ROption<PhysicalOptimizerRuleHandle>, RString>,
}

impl RootModule for PackModuleRef {
    declare_root_module_statics! {PackModuleRef}
    const BASE_NAME: &'static str = "dfpack";
    const NAME: &'static str = "dfpack";
    // Only the major: abi_stable refuses other majors; minors are the manifest
    // check's business (a host accepts packs of its own minor or older).
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(concat!(pack_abi_major!(), ".0.0"));
}

#[repr(C)]
#[derive(StableAbi)]
#[sabi(unsafe_opaque_fields)]
pub struct ScalarUdfHandle {
    pub ffi: FFI_ScalarUDF,
}

#[repr(C)]
#[derive(StableAbi)]
#[sabi(unsafe_opaque_fields)]
pub struct ScalarKernelHandle {
    pub ffi: FFI_ScalarKernel,
}

/// A call site's argument and return fields, as the C data interface carries them.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(unsafe_opaque_fields)]
pub struct CallFieldsHandle {
    pub arg_fields: RVec<WrappedSchema>,
    pub return_field: WrappedSchema,
}

#[repr(C)]
#[derive(StableAbi)]
#[sabi(unsafe_opaque_fields)]
pub struct BoundScalarKernelHandle {
    pub ffi: FFI_BoundScalarKernel,
}

#[repr(C)]
#[derive(StableAbi)]
#[sabi(unsafe_opaque_fields)]
pub struct PhysicalOptimizerRuleHandle {
    pub ffi: FFI_PhysicalOptimizerRule,
}

#[repr(C)]
#[derive(StableAbi)]
#[sabi(unsafe_opaque_fields)]
pub struct TableFunctionHandle {
    pub ffi: FFI_TableFunction,
}

/// The host's logical codec: it carries the host session (function registry,
/// task context) that table functions need to decode their arguments.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(unsafe_opaque_fields)]
pub struct LogicalCodecHandle {
    pub ffi: FFI_LogicalExtensionCodec,
}

/// A configured catalog and the `CREATE EXTERNAL TABLE … STORED AS <format>`
/// factory that adds tables to it.
#[repr(C)]
#[derive(StableAbi)]
pub struct CatalogHandle {
    pub name: RString,
    #[sabi(unsafe_opaque_field)]
    pub catalog: FFI_CatalogProvider,
    pub factory_format: RString,
    #[sabi(unsafe_opaque_field)]
    pub factory: FFI_TableProviderFactory,
}
