//! The scalar kernel: the pack's own entry point for evaluating one of its
//! scalar functions on a batch (pack ABI 1.2).
//!
//! datafusion-ffi's `FFI_ScalarUDF` stays the interface every host can use
//! (datafusion-python registers it as is). Its per-batch call, though, costs
//! more than a cheap function's work: the host copies every session option
//! (~200 key/value strings) into the call and the callee parses them all back
//! into a `ConfigOptions`, and constant arguments are expanded to full arrays
//! (apache/datafusion#18201). A host that loaded the pack with dfpack's loader
//! calls this kernel instead:
//! - constants cross as constants (`FFI_ColumnarValue::Scalar`, one row);
//! - no session options cross: the pack's scalar functions do not read
//!   `ScalarFunctionArgs::config_options` (a rule of `dfpack-udfs`), so the
//!   kernel gives them the default options, built once.
//!
//! Everything else (arrays, fields, errors, panics) crosses as in
//! `FFI_ScalarUDF`. Signature, return type and coercion still go through the
//! `FFI_ScalarUDF` of the same function: the kernel only evaluates.

use std::ffi::c_void;
use std::sync::{Arc, LazyLock};

use abi_stable::std_types::{RResult, RString, RVec};
use datafusion::arrow::datatypes::{Field, FieldRef};
use datafusion::arrow::ffi::FFI_ArrowSchema;
use datafusion::common::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};
use datafusion_ffi::arrow_wrappers::WrappedSchema;
use datafusion_ffi::expr::columnar_value::FFI_ColumnarValue;
use dfpack_common::catch_panic;

/// A pack scalar function's evaluator, owned by the host, backed by the pack.
#[repr(C)]
pub struct FFI_ScalarKernel {
    /// Evaluates the function on one batch of `number_rows` rows.
    pub invoke: unsafe extern "C" fn(
        kernel: &FFI_ScalarKernel,
        args: RVec<FFI_ColumnarValue>,
        arg_fields: RVec<WrappedSchema>,
        number_rows: usize,
        return_field: WrappedSchema,
    ) -> RResult<FFI_ColumnarValue, RString>,
    pub clone: unsafe extern "C" fn(kernel: &FFI_ScalarKernel) -> FFI_ScalarKernel,
    pub release: unsafe extern "C" fn(kernel: &mut FFI_ScalarKernel),
    /// The pack's `Arc<ScalarUDF>`; only the pack reads it.
    pub private_data: *mut c_void,
}

// SAFETY: the private data is an `Arc<ScalarUDF>`, itself Send + Sync.
unsafe impl Send for FFI_ScalarKernel {}
unsafe impl Sync for FFI_ScalarKernel {}

/// The options every kernel call passes to the function (see the module docs).
pub(crate) static DEFAULT_OPTIONS: LazyLock<Arc<ConfigOptions>> = LazyLock::new(|| Arc::new(ConfigOptions::default()));

impl FFI_ScalarKernel {
    /// The pack side: a kernel evaluating `udf` (already panic-guarded).
    pub fn new(udf: Arc<ScalarUDF>) -> FFI_ScalarKernel {
        FFI_ScalarKernel {
            invoke: invoke_local,
            clone: clone_local,
            release: release_local,
            private_data: Box::into_raw(Box::new(udf)).cast(),
        }
    }

    /// The host side: evaluates the function on `args`, through the pack.
    pub fn invoke(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ScalarFunctionArgs { args, arg_fields, number_rows, return_field, config_options: _ } = args;
        let args = args.into_iter().map(FFI_ColumnarValue::try_from).collect::<Result<RVec<_>>>()?;
        let arg_fields = arg_fields.iter().map(export_field).collect::<Result<RVec<_>>>()?;
        let return_field = export_field(&return_field)?;
        // SAFETY: `self` is a kernel the pack built; its functions are the pack's.
        match unsafe { (self.invoke)(self, args, arg_fields, number_rows, return_field) } {
            RResult::ROk(value) => ColumnarValue::try_from(value),
            // The shape `FFI_ScalarUDF`'s errors have: one message whichever path ran.
            RResult::RErr(message) => Err(DataFusionError::Ffi(message.into())),
        }
    }
}

impl Clone for FFI_ScalarKernel {
    fn clone(&self) -> Self {
        // SAFETY: `clone` is the pack's own, for its own private data.
        unsafe { (self.clone)(self) }
    }
}

impl Drop for FFI_ScalarKernel {
    fn drop(&mut self) {
        // SAFETY: `release` is the pack's own, for its own private data.
        unsafe { (self.release)(self) }
    }
}

fn export_field(field: &FieldRef) -> Result<WrappedSchema> {
    Ok(WrappedSchema(FFI_ArrowSchema::try_from(field.as_ref())?))
}

fn import_field(field: &WrappedSchema) -> Result<FieldRef> {
    Ok(Arc::new(Field::try_from(&field.0)?))
}

/// # Safety
/// `kernel` must have been built by [`FFI_ScalarKernel::new`] in this image.
unsafe fn local_udf(kernel: &FFI_ScalarKernel) -> &Arc<ScalarUDF> {
    // SAFETY: per the caller's contract, private_data is a live Box<Arc<ScalarUDF>>.
    unsafe { &*(kernel.private_data as *const Arc<ScalarUDF>) }
}

unsafe extern "C" fn invoke_local(
    kernel: &FFI_ScalarKernel,
    args: RVec<FFI_ColumnarValue>,
    arg_fields: RVec<WrappedSchema>,
    number_rows: usize,
    return_field: WrappedSchema,
) -> RResult<FFI_ColumnarValue, RString> {
    // SAFETY: only the pack builds kernels whose `invoke` is this function.
    let udf = unsafe { local_udf(kernel) };
    let evaluate = || -> Result<FFI_ColumnarValue> {
        let args = args.into_iter().map(ColumnarValue::try_from).collect::<Result<Vec<_>>>()?;
        let arg_fields = arg_fields.iter().map(import_field).collect::<Result<Vec<_>>>()?;
        let return_field = import_field(&return_field)?;
        let config_options = Arc::clone(&DEFAULT_OPTIONS);
        let args = ScalarFunctionArgs { args, arg_fields, number_rows, return_field, config_options };
        FFI_ColumnarValue::try_from(udf.invoke_with_args(args)?)
    };
    match catch_panic(udf.name(), evaluate) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(error)) => RResult::RErr(error.to_string().into()),
        Err(panic) => RResult::RErr(panic.to_string().into()),
    }
}

unsafe extern "C" fn clone_local(kernel: &FFI_ScalarKernel) -> FFI_ScalarKernel {
    // SAFETY: only the pack builds kernels whose `clone` is this function.
    FFI_ScalarKernel::new(Arc::clone(unsafe { local_udf(kernel) }))
}

unsafe extern "C" fn release_local(kernel: &mut FFI_ScalarKernel) {
    if kernel.private_data.is_null() {
        return;
    }
    // SAFETY: private_data is the Box made in `new`, released once (nulled below).
    drop(unsafe { Box::from_raw(kernel.private_data as *mut Arc<ScalarUDF>) });
    kernel.private_data = std::ptr::null_mut();
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::DataType;
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::ScalarUDFImpl;

    use super::*;

    fn stable_hash64() -> Arc<ScalarUDF> {
        dfpack_udfs::scalar_functions()
            .into_iter()
            .find(|udf| udf.name() == "stable_hash64")
            .expect("stable_hash64 is a pack function")
    }

    fn args(args: Vec<ColumnarValue>, number_rows: usize) -> ScalarFunctionArgs {
        let arg_fields = args.iter().map(|arg| Arc::new(Field::new("a", arg.data_type(), true))).collect();
        ScalarFunctionArgs {
            args,
            arg_fields,
            number_rows,
            return_field: Arc::new(Field::new("r", DataType::Int64, true)),
            config_options: Arc::new(ConfigOptions::default()),
        }
    }

    #[test]
    fn a_kernel_answers_like_the_function_with_constants_kept_constant() {
        let udf = stable_hash64();
        let kernel = FFI_ScalarKernel::new(Arc::clone(&udf)).clone();
        let column = ColumnarValue::Array(Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])));
        let constant = ColumnarValue::Scalar(ScalarValue::Utf8(Some("tenant".into())));
        let call = || args(vec![constant.clone(), column.clone()], 3);

        let through_kernel = kernel.invoke(call()).expect("kernel").into_array(3).expect("array");
        let direct = udf.invoke_with_args(call()).expect("direct").into_array(3).expect("array");
        let (through_kernel, direct) = (
            through_kernel.as_any().downcast_ref::<Int64Array>().expect("int64").clone(),
            direct.as_any().downcast_ref::<Int64Array>().expect("int64").clone(),
        );
        assert_eq!(through_kernel, direct);
        assert_eq!(through_kernel.len(), 3);
    }

    #[test]
    fn a_constant_call_gives_a_constant() {
        let kernel = FFI_ScalarKernel::new(stable_hash64());
        let constant = ColumnarValue::Scalar(ScalarValue::Utf8(Some("x".into())));
        let result = kernel.invoke(args(vec![constant], 5)).expect("kernel");
        assert!(matches!(result, ColumnarValue::Scalar(ScalarValue::Int64(Some(_)))), "{result:?}");
    }

    /// Fails on 1 and panics on 2, to see both come back as errors.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct Picky(datafusion::logical_expr::Signature);

    impl ScalarUDFImpl for Picky {
        fn name(&self) -> &str {
            "picky"
        }
        fn signature(&self) -> &datafusion::logical_expr::Signature {
            &self.0
        }
        fn return_type(&self, _: &[DataType]) -> Result<DataType> {
            Ok(DataType::Int64)
        }
        fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
            match &args.args[0] {
                ColumnarValue::Scalar(ScalarValue::Int64(Some(1))) => datafusion::common::exec_err!("picky refuses 1"),
                ColumnarValue::Scalar(ScalarValue::Int64(Some(2))) => panic!("picky panics at 2"),
                other => Ok(other.clone()),
            }
        }
    }

    #[test]
    fn errors_and_panics_come_back_as_errors() {
        let signature = datafusion::logical_expr::Signature::any(1, datafusion::logical_expr::Volatility::Immutable);
        let kernel = FFI_ScalarKernel::new(Arc::new(ScalarUDF::new_from_impl(Picky(signature))));
        let call = |n: i64| kernel.invoke(args(vec![ColumnarValue::Scalar(ScalarValue::Int64(Some(n)))], 1));

        let refused = call(1).expect_err("an error");
        assert!(refused.to_string().contains("picky refuses 1"), "{refused}");
        let panicked = call(2).expect_err("a panic, as an error");
        assert!(panicked.to_string().contains("picky panics at 2"), "{panicked}");
        assert!(matches!(call(3).expect("passes through"), ColumnarValue::Scalar(ScalarValue::Int64(Some(3)))));
    }
}
