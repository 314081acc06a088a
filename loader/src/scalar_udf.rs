//! A pack scalar function as the host registers it: planned through its
//! `FFI_ScalarUDF`, evaluated through the pack's kernel when the pack serves one,
//! bound to each call site's fields when the pack can bind (pack ABI 1.3).

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::sort_properties::ExprProperties;
use datafusion::logical_expr::{
    ColumnarValue, ExpressionPlacement, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use dfpack_abi::bound_kernel::BoundScalarKernel;
use dfpack_abi::kernel::FFI_ScalarKernel;
use parking_lot::Mutex;

use crate::pack::KernelBinder;

/// Call sites bound per function at most: beyond this (a function used with
/// many different argument types in one session) calls take the unbound kernel.
const MAX_BINDINGS: usize = 16;

/// Everything but evaluation is the `FFI_ScalarUDF`'s (signature, return
/// field, coercion); evaluation is the kernel's, which keeps constants
/// constant and copies no session options per batch (see `dfpack_abi::kernel`).
pub struct PackScalarUdf {
    foreign: Arc<dyn ScalarUDFImpl>,
    kernel: FFI_ScalarKernel,
    binder: Option<KernelBinder>,
    /// The kernels bound so far, one per distinct set of fields, filled in
    /// order. Every batch looks its kernel up here from every partition's
    /// thread: filled slots are read without a lock or a reference count, so
    /// the threads share no cache line they write to.
    bound: [OnceLock<BoundScalarKernel>; MAX_BINDINGS],
    /// Held while binding, so a call site is bound once.
    binding: Mutex<()>,
    /// Bindings the pack refused: each counts against `MAX_BINDINGS`.
    failed_bindings: AtomicUsize,
}

impl PackScalarUdf {
    pub fn new(foreign: Arc<dyn ScalarUDFImpl>, kernel: FFI_ScalarKernel, binder: Option<KernelBinder>) -> PackScalarUdf {
        PackScalarUdf {
            foreign,
            kernel,
            binder,
            bound: std::array::from_fn(|_| OnceLock::new()),
            binding: Mutex::new(()),
            failed_bindings: AtomicUsize::new(0),
        }
    }

    fn bound_so_far(&self) -> impl Iterator<Item = &BoundScalarKernel> {
        self.bound.iter().map_while(OnceLock::get)
    }

    /// The kernel bound to this call's fields: found, or bound now. `None`
    /// when the pack cannot bind, or binding failed (the unbound kernel then
    /// evaluates the call, and reports any error the function raises).
    fn bound_for(&self, args: &ScalarFunctionArgs) -> Option<&BoundScalarKernel> {
        let binder = self.binder.as_ref()?;
        if let Some(found) = self.bound_so_far().find(|bound| bound.accepts(args)) {
            return Some(found);
        }
        let _binding = self.binding.lock();
        if let Some(found) = self.bound_so_far().find(|bound| bound.accepts(args)) {
            return Some(found);
        }
        let slot = self.bound.iter().find(|slot| slot.get().is_none())?;
        if self.bound_so_far().count() + self.failed_bindings.load(Ordering::Relaxed) >= MAX_BINDINGS {
            return None;
        }
        // Bound to the types the arrays actually have: a nested argument's
        // array may name or null its inner fields unlike its planned field.
        let fields: Vec<FieldRef> = args
            .arg_fields
            .iter()
            .zip(&args.args)
            .map(|(field, arg)| Arc::new(field.as_ref().clone().with_data_type(arg.data_type())))
            .collect();
        let kernel = match binder(&fields, &args.return_field) {
            Ok(kernel) => kernel,
            Err(_) => {
                // Counted like a binding, so a pack that cannot bind this
                // function is not asked again on every batch.
                self.failed_bindings.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        // Kept even if it cannot serve this call, so a call shape that never
        // binds costs at most MAX_BINDINGS bindings, not one per batch.
        let kernel = slot.get_or_init(|| kernel);
        kernel.accepts(args).then_some(kernel)
    }
}

impl std::fmt::Debug for PackScalarUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackScalarUdf").field("foreign", &self.foreign).finish_non_exhaustive()
    }
}

// One proxy per registered function: equal when they front the same foreign function.
impl PartialEq for PackScalarUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.foreign, &other.foreign)
    }
}

impl Eq for PackScalarUdf {}

impl Hash for PackScalarUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.foreign.name().hash(state);
        std::ptr::hash(Arc::as_ptr(&self.foreign) as *const (), state);
    }
}

impl ScalarUDFImpl for PackScalarUdf {
    fn name(&self) -> &str {
        self.foreign.name()
    }

    fn aliases(&self) -> &[String] {
        self.foreign.aliases()
    }

    fn signature(&self) -> &Signature {
        self.foreign.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.foreign.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.foreign.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match self.bound_for(&args) {
            Some(bound) => bound.invoke(args.args, args.number_rows),
            None => self.kernel.invoke(args),
        }
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.foreign.coerce_types(arg_types)
    }

    fn short_circuits(&self) -> bool {
        self.foreign.short_circuits()
    }

    fn placement(&self, args: &[ExpressionPlacement]) -> ExpressionPlacement {
        self.foreign.placement(args)
    }

    fn preserves_lex_ordering(&self, inputs: &[ExprProperties]) -> Result<bool> {
        self.foreign.preserves_lex_ordering(inputs)
    }

    /// A function the config changes is the pack's new `FFI_ScalarUDF`,
    /// evaluated through it (no kernel is bound to the changed function).
    fn with_updated_config(&self, config: &ConfigOptions) -> Option<ScalarUDF> {
        self.foreign.with_updated_config(config)
    }
}
