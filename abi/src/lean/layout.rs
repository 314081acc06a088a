//! The private parts of datafusion-ffi 55's ABI that the lean calls replace.
//!
//! `FFI_TableProvider`, `FFI_TableProviderFactory` and `FFI_TableFunction` keep
//! some function pointers private, `FFI_ConfigOptions` its options, and
//! `FFI_SessionRef` is not nameable outside datafusion-ffi. Their layouts are still the ABI every DataFusion 55 host and
//! plugin share (`#[repr(C)]`, fields in declaration order), so each is mirrored
//! here field for field. The mirrors are only ever reached through a pointer to
//! (or a by-value argument of) the real type; the assertions below pin their size,
//! alignment and the offsets of the fields datafusion-ffi makes public.

use std::ffi::c_void;
use std::mem::{ManuallyDrop, align_of, offset_of, size_of};

use async_ffi::FfiFuture;
use datafusion_ffi::config::FFI_ConfigOptions;
use datafusion_ffi::config::extension_options::FFI_ExtensionOptions;
use datafusion_ffi::execution_plan::FFI_ExecutionPlan;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::proto::physical_extension_codec::FFI_PhysicalExtensionCodec;
use datafusion_ffi::session::config::FFI_SessionConfig;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::table_provider_factory::FFI_TableProviderFactory;
use datafusion_ffi::table_source::FFI_TableProviderFilterPushDown;
use datafusion_ffi::udtf::FFI_TableFunction;
use datafusion_ffi::util::{FFI_Option, FFI_Result};
use stabby::string::String as SString;
use stabby::vec::Vec as SVec;

/// A function pointer the pack never calls through a mirror.
type Untouched = *const c_void;

pub(super) type ScanFn = unsafe extern "C" fn(
    provider: &FFI_TableProvider,
    session: SessionRef,
    projections: FFI_Option<SVec<usize>>,
    filters_serialized: SVec<u8>,
    limit: FFI_Option<usize>,
) -> FfiFuture<FFI_Result<FFI_ExecutionPlan>>;

pub(super) type PushdownFn = unsafe extern "C" fn(
    provider: &FFI_TableProvider,
    filters_serialized: SVec<u8>,
) -> FFI_Result<SVec<FFI_TableProviderFilterPushDown>>;

pub(super) type ProviderCloneFn = unsafe extern "C" fn(provider: &FFI_TableProvider) -> FFI_TableProvider;

#[repr(C)]
pub(super) struct TableProviderLayout {
    schema: Untouched,
    pub scan: ScanFn,
    table_type: Untouched,
    pub supports_filters_pushdown: Option<PushdownFn>,
    insert_into: Untouched,
    statistics: Untouched,
    logical_codec: ManuallyDrop<FFI_LogicalExtensionCodec>,
    pub clone: ProviderCloneFn,
    release: Untouched,
    version: Untouched,
    private_data: *mut c_void,
    library_marker_id: Untouched,
}

impl TableProviderLayout {
    pub(super) fn of(provider: &mut FFI_TableProvider) -> &mut TableProviderLayout {
        // SAFETY: the layouts are identical (asserted below), and the borrow is unique.
        unsafe { &mut *(provider as *mut FFI_TableProvider).cast::<TableProviderLayout>() }
    }
}

const _: () = {
    assert!(size_of::<TableProviderLayout>() == size_of::<FFI_TableProvider>());
    assert!(align_of::<TableProviderLayout>() == align_of::<FFI_TableProvider>());
    assert!(offset_of!(TableProviderLayout, statistics) == offset_of!(FFI_TableProvider, statistics));
    assert!(offset_of!(TableProviderLayout, logical_codec) == offset_of!(FFI_TableProvider, logical_codec));
    assert!(offset_of!(TableProviderLayout, version) == offset_of!(FFI_TableProvider, version));
    assert!(offset_of!(TableProviderLayout, library_marker_id) == offset_of!(FFI_TableProvider, library_marker_id));
};

/// The host's session, as datafusion-ffi's `FFI_SessionRef` passes it (by value:
/// the callee owns it and releases it when dropped).
#[repr(C)]
pub(super) struct SessionRef {
    session_id: Untouched,
    config: unsafe extern "C" fn(session: &SessionRef) -> FFI_SessionConfig,
    /// catalog_list, query_planner, optimize, create_physical_plan,
    /// create_physical_expr, scalar_functions, aggregate_functions,
    /// window_functions, table_options, default_table_options, task_ctx,
    /// physical_optimizers.
    functions: [Untouched; 12],
    logical_codec: FFI_LogicalExtensionCodec,
    physical_codec: FFI_PhysicalExtensionCodec,
    clone: Untouched,
    release: unsafe extern "C" fn(session: &mut SessionRef),
    version: Untouched,
    private_data: *mut c_void,
    library_marker_id: Untouched,
}

impl SessionRef {
    pub(super) fn config(&self) -> FFI_SessionConfig {
        // SAFETY: a function of the session's own image, given the session it came with.
        unsafe { (self.config)(self) }
    }
}

impl Drop for SessionRef {
    /// As `FFI_SessionRef` does: release the private data, then the codecs drop.
    fn drop(&mut self) {
        // SAFETY: the session's own release function, called once, on drop.
        unsafe { (self.release)(self) }
    }
}

// SAFETY: as for FFI_SessionRef, which datafusion-ffi declares Send and Sync.
unsafe impl Send for SessionRef {}

pub(super) type CreateFn = unsafe extern "C" fn(
    factory: &FFI_TableProviderFactory,
    session: SessionRef,
    cmd_serialized: SVec<u8>,
) -> FfiFuture<FFI_Result<FFI_TableProvider>>;

pub(super) type FactoryCloneFn = unsafe extern "C" fn(factory: &FFI_TableProviderFactory) -> FFI_TableProviderFactory;

#[repr(C)]
pub(super) struct TableProviderFactoryLayout {
    pub create: CreateFn,
    logical_codec: ManuallyDrop<FFI_LogicalExtensionCodec>,
    pub clone: FactoryCloneFn,
    release: Untouched,
    version: Untouched,
    private_data: *mut c_void,
    library_marker_id: Untouched,
}

impl TableProviderFactoryLayout {
    pub(super) fn of(factory: &mut FFI_TableProviderFactory) -> &mut TableProviderFactoryLayout {
        // SAFETY: the layouts are identical (asserted below), and the borrow is unique.
        unsafe { &mut *(factory as *mut FFI_TableProviderFactory).cast::<TableProviderFactoryLayout>() }
    }
}

const _: () = {
    assert!(size_of::<TableProviderFactoryLayout>() == size_of::<FFI_TableProviderFactory>());
    assert!(align_of::<TableProviderFactoryLayout>() == align_of::<FFI_TableProviderFactory>());
};

pub(super) type CallFn = unsafe extern "C" fn(udtf: &FFI_TableFunction, args: SVec<u8>) -> FFI_Result<FFI_TableProvider>;

pub(super) type CallWithArgsFn =
    unsafe extern "C" fn(udtf: &FFI_TableFunction, args: SVec<u8>, session: SessionRef) -> FFI_Result<FFI_TableProvider>;

pub(super) type FunctionCloneFn = unsafe extern "C" fn(udtf: &FFI_TableFunction) -> FFI_TableFunction;

#[repr(C)]
pub(super) struct TableFunctionLayout {
    pub call: CallFn,
    pub call_with_args: CallWithArgsFn,
    logical_codec: ManuallyDrop<FFI_LogicalExtensionCodec>,
    pub clone: FunctionCloneFn,
    release: Untouched,
    private_data: *mut c_void,
    library_marker_id: Untouched,
}

impl TableFunctionLayout {
    pub(super) fn of(function: &mut FFI_TableFunction) -> &mut TableFunctionLayout {
        // SAFETY: the layouts are identical (asserted below), and the borrow is unique.
        unsafe { &mut *(function as *mut FFI_TableFunction).cast::<TableFunctionLayout>() }
    }
}

const _: () = {
    assert!(size_of::<TableFunctionLayout>() == size_of::<FFI_TableFunction>());
    assert!(align_of::<TableFunctionLayout>() == align_of::<FFI_TableFunction>());
    assert!(offset_of!(TableFunctionLayout, logical_codec) == offset_of!(FFI_TableFunction, logical_codec));
    assert!(offset_of!(TableFunctionLayout, clone) == offset_of!(FFI_TableFunction, clone));
    assert!(offset_of!(TableFunctionLayout, private_data) == offset_of!(FFI_TableFunction, private_data));
    assert!(offset_of!(TableFunctionLayout, library_marker_id) == offset_of!(FFI_TableFunction, library_marker_id));
};

/// The host's options, as `FFI_ConfigOptions` carries them: read, never owned.
#[repr(C)]
pub(super) struct ConfigOptionsLayout {
    pub base_options: SVec<(SString, SString)>,
    pub extensions: ManuallyDrop<FFI_ExtensionOptions>,
}

impl ConfigOptionsLayout {
    pub(super) fn of(options: &FFI_ConfigOptions) -> &ConfigOptionsLayout {
        // SAFETY: the layouts are identical (asserted below); the borrow is shared.
        unsafe { &*(options as *const FFI_ConfigOptions).cast::<ConfigOptionsLayout>() }
    }
}

const _: () = {
    assert!(size_of::<ConfigOptionsLayout>() == size_of::<FFI_ConfigOptions>());
    assert!(align_of::<ConfigOptionsLayout>() == align_of::<FFI_ConfigOptions>());
};
