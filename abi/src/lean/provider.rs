//! The pack's table providers: filters pushed down and scans planned against
//! the host's config and the pack's functions.

use std::sync::{Arc, OnceLock};

use async_ffi::{FfiFuture, FutureExt};
use datafusion::catalog::TableProvider;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion_ffi::execution_plan::FFI_ExecutionPlan;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::table_source::FFI_TableProviderFilterPushDown;
use datafusion_ffi::util::{FFI_Option, FFI_Result};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use stabby::vec::Vec as SVec;

use super::layout::{ProviderCloneFn, ScanFn, SessionRef, TableProviderLayout};
use super::{host, kept, plan};
use crate::guard::{guarded, guarded_future};

/// datafusion-ffi's own `clone`, which the lean one builds on.
static ORIGINAL_CLONE: OnceLock<ProviderCloneFn> = OnceLock::new();

/// Serves `provider` (made by datafusion-ffi in this image) with the lean
/// `scan` and `supports_filters_pushdown`. Every provider the pack exports
/// supports pushdown: datafusion-ffi offers none for a table function's.
pub(super) fn lean(mut provider: FFI_TableProvider) -> FFI_TableProvider {
    let layout = TableProviderLayout::of(&mut provider);
    if std::ptr::fn_addr_eq(layout.scan, scan as ScanFn) {
        return provider;
    }
    ORIGINAL_CLONE.get_or_init(|| layout.clone);
    layout.scan = scan;
    layout.supports_filters_pushdown = Some(supports_filters_pushdown);
    layout.clone = clone;
    provider
}

/// datafusion-ffi's own copy of a handle this image made: local to this image
/// whatever the handle says, so it yields the provider behind it.
fn local_copy(provider: &FFI_TableProvider) -> FFI_TableProvider {
    // SAFETY: datafusion-ffi's own function for its own provider.
    unsafe { kept(&ORIGINAL_CLONE)(provider) }
}

/// The provider behind the handle, and the host's codec it was exported with.
fn unwrap(provider: &FFI_TableProvider) -> (Arc<dyn TableProvider>, Arc<dyn LogicalExtensionCodec>) {
    (<Arc<dyn TableProvider>>::from(&local_copy(provider)), (&provider.logical_codec).into())
}

unsafe extern "C" fn supports_filters_pushdown(
    provider: &FFI_TableProvider,
    filters_serialized: SVec<u8>,
) -> FFI_Result<SVec<FFI_TableProviderFilterPushDown>> {
    let answer = || -> Result<SVec<FFI_TableProviderFilterPushDown>> {
        let (inner, codec) = unwrap(provider);
        let decoded = host::decode_filters(&filters_serialized, codec.as_ref())?;
        // A filter the pack cannot decode is the host's to apply.
        let known: Vec<&Expr> = decoded.iter().filter_map(|filter| filter.as_ref().ok()).collect();
        let mut answers = inner.supports_filters_pushdown(&known)?.into_iter();
        Ok(decoded
            .iter()
            .map(|filter| match filter {
                Ok(_) => answers.next().unwrap_or(TableProviderFilterPushDown::Unsupported),
                Err(_) => TableProviderFilterPushDown::Unsupported,
            })
            .map(|answer| FFI_TableProviderFilterPushDown::from(&answer))
            .collect())
    };
    datafusion_ffi::sresult!(guarded("supports_filters_pushdown", answer))
}

unsafe extern "C" fn scan(
    provider: &FFI_TableProvider,
    session: SessionRef,
    projections: FFI_Option<SVec<usize>>,
    filters_serialized: SVec<u8>,
    limit: FFI_Option<usize>,
) -> FfiFuture<FFI_Result<FFI_ExecutionPlan>> {
    let (inner, codec) = unwrap(provider);
    let planned = async move {
        // Only the config is read: the host's session is released before planning starts.
        let planning_session = host::session_for(&session.config());
        drop(session);
        let session = planning_session?;
        // The host pushes only filters the pack said it can take, so each decodes.
        let filters: Vec<Expr> =
            host::decode_filters(&filters_serialized, codec.as_ref())?.into_iter().collect::<Result<_>>()?;
        let projection: Option<Vec<usize>> = projections.into_option().map(|p| p.into_iter().collect());
        let plan = inner.scan(session.as_ref(), projection.as_ref(), &filters, limit.into()).await?;
        Ok(plan::lean(FFI_ExecutionPlan::new(plan, crate::runtime::handle())))
    };
    async move { datafusion_ffi::sresult!(guarded_future("scan", planned).await) }.into_ffi()
}

unsafe extern "C" fn clone(provider: &FFI_TableProvider) -> FFI_TableProvider {
    lean(local_copy(provider))
}
