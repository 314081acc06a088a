//! The pack's plans, executed without rebuilding the host's task context.

use std::sync::OnceLock;

use datafusion_ffi::config::FFI_ConfigOptions;
use datafusion_ffi::execution::FFI_TaskContext;
use datafusion_ffi::execution_plan::{ExecutionPlanPrivateData, FFI_ExecutionPlan};
use datafusion_ffi::record_batch_stream::FFI_RecordBatchStream;
use datafusion_ffi::util::{FFI_Option, FFI_Result};
use stabby::vec::Vec as SVec;

use super::{host, kept};
use crate::guard::guarded;

type ExecuteFn = unsafe extern "C" fn(&FFI_ExecutionPlan, usize, FFI_TaskContext) -> FFI_Result<FFI_RecordBatchStream>;

/// datafusion-ffi's own functions for plans, which the lean ones build on.
struct Original {
    children: unsafe extern "C" fn(&FFI_ExecutionPlan) -> SVec<FFI_ExecutionPlan>,
    with_new_children: unsafe extern "C" fn(&FFI_ExecutionPlan, SVec<FFI_ExecutionPlan>) -> FFI_Result<FFI_ExecutionPlan>,
    repartitioned:
        unsafe extern "C" fn(&FFI_ExecutionPlan, usize, FFI_ConfigOptions) -> FFI_Result<FFI_Option<FFI_ExecutionPlan>>,
    clone: unsafe extern "C" fn(&FFI_ExecutionPlan) -> FFI_ExecutionPlan,
}

static ORIGINAL: OnceLock<Original> = OnceLock::new();

/// Serves `plan` (made by datafusion-ffi in this image) with the lean `execute`,
/// and so every plan derived from it.
pub(super) fn lean(mut plan: FFI_ExecutionPlan) -> FFI_ExecutionPlan {
    if std::ptr::fn_addr_eq(plan.execute, execute as ExecuteFn) {
        return plan;
    }
    ORIGINAL.get_or_init(|| Original {
        children: plan.children,
        with_new_children: plan.with_new_children,
        repartitioned: plan.repartitioned,
        clone: plan.clone,
    });
    plan.execute = execute;
    plan.children = children;
    plan.with_new_children = with_new_children;
    plan.repartitioned = repartitioned;
    plan.clone = clone;
    plan
}

fn original() -> &'static Original {
    kept(&ORIGINAL)
}

unsafe extern "C" fn execute(
    plan: &FFI_ExecutionPlan,
    partition: usize,
    context: FFI_TaskContext,
) -> FFI_Result<FFI_RecordBatchStream> {
    let run = || -> datafusion::error::Result<FFI_RecordBatchStream> {
        // SAFETY: `lean` only serves plans datafusion-ffi made in this image, whose
        // private data is an `ExecutionPlanPrivateData`.
        let private = unsafe { &*(plan.private_data as *const ExecutionPlanPrivateData) };
        let context = host::task_context(&context)?;
        let _entered = private.runtime.as_ref().map(|runtime| runtime.enter());
        let stream = private.plan.execute(partition, context)?;
        Ok(FFI_RecordBatchStream::new(stream, private.runtime.clone()))
    };
    datafusion_ffi::sresult!(guarded("execute", run))
}

unsafe extern "C" fn children(plan: &FFI_ExecutionPlan) -> SVec<FFI_ExecutionPlan> {
    // SAFETY: datafusion-ffi's own function for its own plan.
    let children = unsafe { (original().children)(plan) };
    children.into_iter().map(lean).collect()
}

unsafe extern "C" fn with_new_children(
    plan: &FFI_ExecutionPlan,
    children: SVec<FFI_ExecutionPlan>,
) -> FFI_Result<FFI_ExecutionPlan> {
    // SAFETY: datafusion-ffi's own function for its own plan.
    unsafe { (original().with_new_children)(plan, children) }.map(lean)
}

unsafe extern "C" fn repartitioned(
    plan: &FFI_ExecutionPlan,
    target_partitions: usize,
    config: FFI_ConfigOptions,
) -> FFI_Result<FFI_Option<FFI_ExecutionPlan>> {
    // SAFETY: datafusion-ffi's own function for its own plan.
    unsafe { (original().repartitioned)(plan, target_partitions, config) }.map(|plan| plan.map(lean))
}

unsafe extern "C" fn clone(plan: &FFI_ExecutionPlan) -> FFI_ExecutionPlan {
    // SAFETY: datafusion-ffi's own function for its own plan.
    lean(unsafe { (original().clone)(plan) })
}
