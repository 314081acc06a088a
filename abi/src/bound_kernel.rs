//! The bound scalar kernel (pack ABI 1.3): a scalar function's kernel bound
//! to the fields of one call site, so only array data crosses per batch.
//!
//! The 1.2 kernel ([`crate::kernel`]) exports every argument with its Arrow
//! schema, plus the argument and return fields, on every batch: for a cheap
//! function the schema round trips (format strings, names, metadata, parsed
//! back on the other side) were most of what FFI still added. A call site's
//! fields do not change from batch to batch, so the host binds them once and
//! then sends arrays alone (`FFI_ArrowArray`, imported with the bound data
//! type). Constants cross as one-row arrays marked scalar, and come back as
//! constants.
//!
//! A batch whose argument types differ from the bound fields is not sent
//! here: [`BoundScalarKernel::accepts`] lets the host fall back to the 1.2
//! kernel for it.

use std::ffi::c_void;
use std::sync::Arc;

use abi_stable::std_types::{RResult, RString, RVec};
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use datafusion::common::ScalarValue;
use datafusion::common::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};
use datafusion_ffi::arrow_wrappers::WrappedSchema;
use dfpack_common::catch_panic;
use thread_local::ThreadLocal;

use crate::c_data;
use crate::kernel::DEFAULT_OPTIONS;
use crate::module::CallFieldsHandle;

/// One argument or result: its array, and whether it stands for a constant
/// (then the array has one row).
#[repr(C)]
pub struct FFI_KernelValue {
    pub array: FFI_ArrowArray,
    pub scalar: bool,
}

/// A pack scalar function bound to one call site's fields; owned by the
/// host, backed by the pack.
#[repr(C)]
pub struct FFI_BoundScalarKernel {
    /// Evaluates the function on one batch of `number_rows` rows whose
    /// arguments have the bound fields' data types.
    pub invoke: unsafe extern "C" fn(
        kernel: &FFI_BoundScalarKernel,
        args: RVec<FFI_KernelValue>,
        number_rows: usize,
    ) -> RResult<FFI_KernelValue, RString>,
    pub clone: unsafe extern "C" fn(kernel: &FFI_BoundScalarKernel) -> FFI_BoundScalarKernel,
    pub release: unsafe extern "C" fn(kernel: &mut FFI_BoundScalarKernel),
    /// The pack's [`Binding`]; only the pack reads it.
    pub private_data: *mut c_void,
}

// SAFETY: the private data is a `Binding`, itself Send + Sync.
unsafe impl Send for FFI_BoundScalarKernel {}
unsafe impl Sync for FFI_BoundScalarKernel {}

/// The pack side of a bound kernel.
struct Binding {
    udf: Arc<ScalarUDF>,
    arg_fields: Vec<FieldRef>,
    return_field: FieldRef,
    /// What every call passes besides its arguments, copied once per calling
    /// thread: a call takes its own references to them, and a reference
    /// count shared by the partitions' threads would bounce its cache line
    /// between their cores on every batch.
    per_thread: ThreadLocal<CallParts>,
}

struct CallParts {
    arg_fields: Vec<FieldRef>,
    return_field: FieldRef,
    config_options: Arc<ConfigOptions>,
}

impl Binding {
    fn new(udf: Arc<ScalarUDF>, arg_fields: Vec<FieldRef>, return_field: FieldRef) -> Binding {
        Binding { udf, arg_fields, return_field, per_thread: ThreadLocal::new() }
    }

    /// This thread's copies of the call's fields and options.
    fn call_parts(&self) -> &CallParts {
        self.per_thread.get_or(|| CallParts {
            arg_fields: self.arg_fields.iter().map(|field| Arc::new(field.as_ref().clone())).collect(),
            return_field: Arc::new(self.return_field.as_ref().clone()),
            config_options: Arc::new(ConfigOptions::clone(&DEFAULT_OPTIONS)),
        })
    }
}

impl FFI_BoundScalarKernel {
    /// The pack side: `udf` (already panic-guarded) bound to the fields the
    /// host sent.
    pub fn bind(
        udf: Arc<ScalarUDF>,
        arg_fields: RVec<WrappedSchema>,
        return_field: WrappedSchema,
    ) -> Result<FFI_BoundScalarKernel> {
        let arg_fields = arg_fields.iter().map(import_field).collect::<Result<Vec<_>>>()?;
        let return_field = import_field(&return_field)?;
        Ok(FFI_BoundScalarKernel::new(Binding::new(udf, arg_fields, return_field)))
    }

    fn new(binding: Binding) -> FFI_BoundScalarKernel {
        FFI_BoundScalarKernel {
            invoke: invoke_local,
            clone: clone_local,
            release: release_local,
            private_data: Box::into_raw(Box::new(binding)).cast(),
        }
    }
}

impl Clone for FFI_BoundScalarKernel {
    fn clone(&self) -> Self {
        // SAFETY: `clone` is the pack's own, for its own private data.
        unsafe { (self.clone)(self) }
    }
}

impl Drop for FFI_BoundScalarKernel {
    fn drop(&mut self) {
        // SAFETY: `release` is the pack's own, for its own private data.
        unsafe { (self.release)(self) }
    }
}

/// The host side: a bound kernel with the fields it was bound to.
pub struct BoundScalarKernel {
    ffi: FFI_BoundScalarKernel,
    arg_fields: Vec<FieldRef>,
    return_field: FieldRef,
}

impl BoundScalarKernel {
    pub fn new(ffi: FFI_BoundScalarKernel, arg_fields: Vec<FieldRef>, return_field: FieldRef) -> Self {
        BoundScalarKernel { ffi, arg_fields, return_field }
    }

    /// The fields to send when binding, as the C data interface carries them.
    pub fn export_fields(arg_fields: &[FieldRef], return_field: &FieldRef) -> Result<CallFieldsHandle> {
        let arg_fields = arg_fields.iter().map(export_field).collect::<Result<RVec<_>>>()?;
        Ok(CallFieldsHandle { arg_fields, return_field: export_field(return_field)? })
    }

    /// Whether this binding serves a call with these fields and arguments: the
    /// call's fields, each with the data type its array actually has.
    pub fn accepts(&self, args: &ScalarFunctionArgs) -> bool {
        self.return_field == args.return_field
            && self.arg_fields.len() == args.args.len()
            && args.arg_fields.len() == args.args.len()
            && self.arg_fields.iter().zip(args.arg_fields.iter().zip(&args.args)).all(|(bound, (field, arg))| {
                bound.data_type() == &arg.data_type()
                    && bound.name() == field.name()
                    && bound.is_nullable() == field.is_nullable()
                    && bound.metadata() == field.metadata()
            })
    }

    /// Evaluates a call that [`accepts`](Self::accepts) holds for.
    pub fn invoke(&self, args: Vec<ColumnarValue>, number_rows: usize) -> Result<ColumnarValue> {
        let return_type = self.return_field.data_type();
        // The argument the function may hand back unchanged (see below).
        let returnable = args.iter().find_map(|arg| match arg {
            ColumnarValue::Array(array) if array.data_type() == return_type => Some(Arc::clone(array)),
            _ => None,
        });
        let args = args.into_iter().map(export_value).collect::<Result<RVec<_>>>()?;
        // SAFETY: `self.ffi` is a bound kernel the pack built; its functions are the pack's.
        match unsafe { (self.ffi.invoke)(&self.ffi, args, number_rows) } {
            RResult::ROk(value) => {
                // A result that is one of the arguments, unchanged (text
                // already normalized, say), is that argument: kept as it is
                // rather than imported through the buffers it shares with it.
                if !value.scalar
                    && let Some(same) = returnable.filter(|arg| c_data::is_flat_export_of(&value.array, arg))
                {
                    return Ok(ColumnarValue::Array(same));
                }
                import_value(value, return_type)
            }
            // The shape `FFI_ScalarUDF`'s errors have: one message whichever path ran.
            RResult::RErr(message) => Err(DataFusionError::Ffi(message.into())),
        }
    }
}

fn export_field(field: &FieldRef) -> Result<WrappedSchema> {
    Ok(WrappedSchema(FFI_ArrowSchema::try_from(field.as_ref())?))
}

fn import_field(field: &WrappedSchema) -> Result<FieldRef> {
    Ok(Arc::new(Field::try_from(&field.0)?))
}

fn export_value(value: ColumnarValue) -> Result<FFI_KernelValue> {
    let (array, scalar) = match value {
        ColumnarValue::Array(array) => (array, false),
        ColumnarValue::Scalar(scalar) => (scalar.to_array()?, true),
    };
    Ok(FFI_KernelValue { array: c_data::export(array), scalar })
}

fn import_value(value: FFI_KernelValue, data_type: &DataType) -> Result<ColumnarValue> {
    let FFI_KernelValue { array, scalar } = value;
    // SAFETY: the sender exported `array` from an array of `data_type`: the
    // bound field's type, which the host checked the batch against.
    let array: ArrayRef = unsafe { c_data::import(array, data_type) }?;
    if scalar {
        if array.len() != 1 {
            return Err(DataFusionError::Internal(format!("a constant crossed as {} rows, not one", array.len())));
        }
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// # Safety
/// `kernel` must have been built by [`FFI_BoundScalarKernel::new`] in this image.
unsafe fn local_binding(kernel: &FFI_BoundScalarKernel) -> &Binding {
    // SAFETY: per the caller's contract, private_data is a live Box<Binding>.
    unsafe { &*(kernel.private_data as *const Binding) }
}

unsafe extern "C" fn invoke_local(
    kernel: &FFI_BoundScalarKernel,
    args: RVec<FFI_KernelValue>,
    number_rows: usize,
) -> RResult<FFI_KernelValue, RString> {
    // SAFETY: only the pack builds bound kernels whose `invoke` is this function.
    let binding = unsafe { local_binding(kernel) };
    let evaluate = || -> Result<FFI_KernelValue> {
        if args.len() != binding.arg_fields.len() {
            return Err(DataFusionError::Internal(format!(
                "{} was bound to {} arguments, called with {}",
                binding.udf.name(),
                binding.arg_fields.len(),
                args.len()
            )));
        }
        let args = args
            .into_iter()
            .zip(&binding.arg_fields)
            .map(|(value, field)| import_value(value, field.data_type()))
            .collect::<Result<Vec<_>>>()?;
        let parts = binding.call_parts();
        let call = ScalarFunctionArgs {
            args,
            arg_fields: parts.arg_fields.clone(),
            number_rows,
            return_field: Arc::clone(&parts.return_field),
            config_options: Arc::clone(&parts.config_options),
        };
        export_value(binding.udf.invoke_with_args(call)?)
    };
    match catch_panic(binding.udf.name(), evaluate) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(error)) => RResult::RErr(error.to_string().into()),
        Err(panic) => RResult::RErr(panic.to_string().into()),
    }
}

unsafe extern "C" fn clone_local(kernel: &FFI_BoundScalarKernel) -> FFI_BoundScalarKernel {
    // SAFETY: only the pack builds bound kernels whose `clone` is this function.
    let binding = unsafe { local_binding(kernel) };
    FFI_BoundScalarKernel::new(Binding::new(
        Arc::clone(&binding.udf),
        binding.arg_fields.clone(),
        Arc::clone(&binding.return_field),
    ))
}

unsafe extern "C" fn release_local(kernel: &mut FFI_BoundScalarKernel) {
    if kernel.private_data.is_null() {
        return;
    }
    // SAFETY: private_data is the Box made in `new`, released once (nulled below).
    drop(unsafe { Box::from_raw(kernel.private_data as *mut Binding) });
    kernel.private_data = std::ptr::null_mut();
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Int64Array, StringArray};
    use datafusion::common::config::ConfigOptions;

    use super::*;

    fn pack_function(name: &str) -> Arc<ScalarUDF> {
        dfpack_udfs::scalar_functions().into_iter().find(|udf| udf.name() == name).expect("a pack function")
    }

    fn call(args: Vec<ColumnarValue>, number_rows: usize, return_type: DataType) -> ScalarFunctionArgs {
        let arg_fields = args.iter().map(|arg| Arc::new(Field::new("a", arg.data_type(), true))).collect();
        ScalarFunctionArgs {
            args,
            arg_fields,
            number_rows,
            return_field: Arc::new(Field::new("r", return_type, true)),
            config_options: Arc::new(ConfigOptions::default()),
        }
    }

    fn bind(udf: &Arc<ScalarUDF>, args: &ScalarFunctionArgs) -> BoundScalarKernel {
        let fields = BoundScalarKernel::export_fields(&args.arg_fields, &args.return_field).expect("exportable fields");
        let ffi = FFI_BoundScalarKernel::bind(Arc::clone(udf), fields.arg_fields, fields.return_field).expect("bound");
        BoundScalarKernel::new(ffi.clone(), args.arg_fields.clone(), Arc::clone(&args.return_field))
    }

    #[test]
    fn a_bound_kernel_answers_like_the_function_batch_after_batch() {
        let udf = pack_function("stable_hash64");
        let tenant = ColumnarValue::Scalar(ScalarValue::Utf8(Some("tenant".into())));
        let batches = [vec![Some("a"), None, Some("c")], vec![Some("d")], vec![None, None]];
        let first = call(vec![tenant.clone(), ColumnarValue::Array(Arc::new(StringArray::from(batches[0].clone())))], 3, DataType::Int64);
        let kernel = bind(&udf, &first);
        for batch in batches {
            let rows = batch.len();
            let args = call(vec![tenant.clone(), ColumnarValue::Array(Arc::new(StringArray::from(batch)))], rows, DataType::Int64);
            assert!(kernel.accepts(&args));
            let direct = udf.invoke_with_args(call(args.args.clone(), rows, DataType::Int64)).expect("direct");
            let bound = kernel.invoke(args.args, rows).expect("bound");
            let as_int64 = |value: ColumnarValue| {
                value.into_array(rows).expect("array").as_any().downcast_ref::<Int64Array>().expect("int64").clone()
            };
            assert_eq!(as_int64(bound), as_int64(direct));
        }
    }

    /// Text that is already normal comes back as the very array the host
    /// sent; text that is not comes back normalized, in arrays of its own.
    #[test]
    fn an_argument_returned_unchanged_is_the_hosts_own_array() {
        let udf = pack_function("utf8_normalize");
        let normal: ArrayRef = Arc::new(StringArray::from(vec![Some("already"), None, Some("normal")]));
        let args = call(vec![ColumnarValue::Array(Arc::clone(&normal))], 3, DataType::Utf8);
        let kernel = bind(&udf, &args);
        let result = kernel.invoke(args.args, 3).expect("bound").into_array(3).expect("an array");
        assert!(Arc::ptr_eq(&result, &normal), "the host's own array");
        let decomposed: ArrayRef = Arc::new(StringArray::from(vec![Some("e\u{301}"), Some("x")]));
        let args = call(vec![ColumnarValue::Array(Arc::clone(&decomposed))], 2, DataType::Utf8);
        let result = kernel.invoke(args.args, 2).expect("bound").into_array(2).expect("an array");
        assert!(!Arc::ptr_eq(&result, &decomposed));
        assert_eq!(result.as_string::<i32>().iter().collect::<Vec<_>>(), vec![Some("\u{e9}"), Some("x")]);
    }

    #[test]
    fn constants_stay_constant_and_other_types_are_not_accepted() {
        let udf = pack_function("stable_hash64");
        let constant = call(vec![ColumnarValue::Scalar(ScalarValue::Utf8(Some("x".into())))], 4, DataType::Int64);
        let kernel = bind(&udf, &constant);
        let expected = udf.invoke_with_args(call(constant.args.clone(), 4, DataType::Int64)).expect("direct");
        let result = kernel.invoke(constant.args.clone(), 4).expect("bound");
        match (result, expected) {
            (ColumnarValue::Scalar(got), ColumnarValue::Scalar(want)) => assert_eq!(got, want),
            other => panic!("expected two constants, got {other:?}"),
        }
        let large = call(vec![ColumnarValue::Scalar(ScalarValue::LargeUtf8(Some("x".into())))], 4, DataType::Int64);
        assert!(!kernel.accepts(&large), "a LargeUtf8 call is not the Utf8 binding's");
    }

    /// A nested argument whose array names its inner fields unlike the planned
    /// field (DataFusion's `map()` does): bound to the array's own type, the
    /// binding serves the call, batch after batch.
    #[test]
    fn a_binding_to_the_arrays_own_type_serves_a_call_whose_planned_type_differs() {
        use datafusion::arrow::array::MapBuilder;
        use datafusion::arrow::array::StringBuilder;
        let udf = pack_function("map_entries_text");
        let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        builder.keys().append_value("k");
        builder.values().append_value("v");
        builder.append(true).expect("a map row");
        let map: ArrayRef = Arc::new(builder.finish());
        let entries = Field::new(
            "entries",
            DataType::Struct(vec![Field::new("key", DataType::Utf8, false), Field::new("value", DataType::Utf8, true)].into()),
            false,
        );
        let planned = DataType::Map(Arc::new(entries), false);
        assert_ne!(&planned, map.data_type(), "the planned type differs from the array's");
        let arg_field = Arc::new(Field::new("m", map.data_type().clone(), true));
        let return_type = udf
            .return_field_from_args(datafusion::logical_expr::ReturnFieldArgs {
                arg_fields: &[Arc::clone(&arg_field)],
                scalar_arguments: &[None],
            })
            .expect("a return field")
            .data_type()
            .clone();
        let args = ScalarFunctionArgs {
            args: vec![ColumnarValue::Array(Arc::clone(&map))],
            arg_fields: vec![Arc::new(Field::new("m", planned, true))],
            number_rows: 1,
            return_field: Arc::new(Field::new("r", return_type.clone(), true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let as_bound: Vec<FieldRef> = vec![arg_field];
        let fields = BoundScalarKernel::export_fields(&as_bound, &args.return_field).expect("exportable fields");
        let ffi = FFI_BoundScalarKernel::bind(Arc::clone(&udf), fields.arg_fields, fields.return_field).expect("bound");
        let kernel = BoundScalarKernel::new(ffi, as_bound, Arc::clone(&args.return_field));
        assert!(kernel.accepts(&args), "the binding serves the call it was made for");
        let bound = kernel.invoke(args.args.clone(), 1).expect("bound").into_array(1).expect("an array");
        let direct = udf.invoke_with_args(call(args.args.clone(), 1, return_type)).expect("direct").into_array(1).expect("an array");
        assert_eq!(bound.to_data(), direct.to_data());
    }

    #[test]
    fn errors_come_back_as_errors() {
        let udf = pack_function("metadata_map_decode");
        let garbage = ColumnarValue::Array(Arc::new(datafusion::arrow::array::BinaryArray::from(vec![&b"\xc1"[..]])));
        let return_type = udf.return_type(&[DataType::Binary]).expect("a return type");
        let args = call(vec![garbage], 1, return_type);
        let kernel = bind(&udf, &args);
        let error = kernel.invoke(args.args, 1).expect_err("malformed MessagePack");
        assert!(error.to_string().contains("metadata_map_decode"), "{error}");
    }
}
