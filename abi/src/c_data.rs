//! The Arrow C data interface for the arrays a bound kernel sends every batch,
//! exported and imported without arrow's general machinery where the array
//! is flat.
//!
//! A bound kernel call sends each argument and its result across as an
//! `FFI_ArrowArray`. arrow-rs builds one from an `ArrayData` (a copy of the
//! array's parts, then a private record of its buffers and children) and
//! imports one through an `ArrayData` again: about 0.45 us per array, which is
//! most of what FFI adds to a cheap function's batch. For a flat array
//! (primitive, boolean, string or binary: no children, no dictionary) the
//! struct the C data interface specifies is filled here directly, with the
//! array itself as the owner of its buffers, and read back straight into the
//! typed array.
//!
//! Both directions follow the specification, so either side may be arrow's:
//! an array this module exports imports with arrow's `from_ffi`, and this
//! module imports what arrow's `FFI_ArrowArray::new` exports. Anything else
//! (nested or dictionary types, a null buffer whose offset differs from the
//! array's, a misaligned buffer) takes arrow's path.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayData, ArrayRef, AsArray, BooleanArray, GenericByteArray, downcast_primitive_array,
    make_array,
};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{
    ArrowNativeType, BinaryType, ByteArrayType, DataType, LargeBinaryType, LargeUtf8Type, Utf8Type,
};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::ffi::{FFI_ArrowArray, from_ffi_and_data_type};

/// `struct ArrowArray` of the C data interface specification (the layout of
/// arrow-rs's `FFI_ArrowArray`, whose fields are private).
#[repr(C)]
struct CArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut CArrowArray,
    dictionary: *mut CArrowArray,
    release: Option<unsafe extern "C" fn(array: *mut CArrowArray)>,
    private_data: *mut c_void,
}

const _: () = assert!(size_of::<CArrowArray>() == size_of::<FFI_ArrowArray>());

/// What keeps an exported flat array's buffers alive: the array itself, and
/// the table of buffer pointers the C struct points at.
struct Exported {
    _array: ArrayRef,
    buffers: [*const c_void; 3],
}

unsafe extern "C" fn release_exported(array: *mut CArrowArray) {
    // SAFETY: the consumer releases an array it received once, through the
    // pointer to its struct; the private data is the Box made in `export`.
    if let Some(array) = unsafe { array.as_mut() } {
        if !array.private_data.is_null() {
            drop(unsafe { Box::from_raw(array.private_data.cast::<Exported>()) });
        }
        array.private_data = std::ptr::null_mut();
        array.release = None;
    }
}

/// `array` as the C data interface carries it.
pub fn export(array: ArrayRef) -> FFI_ArrowArray {
    let Some(flat) = FlatParts::of(&array) else {
        return FFI_ArrowArray::new(&array.to_data());
    };
    let length = array.len() as i64;
    let null_count = array.null_count() as i64;
    let n_buffers = flat.n_buffers as i64;
    let mut exported = Box::new(Exported { _array: array, buffers: flat.buffers });
    let buffers = exported.buffers.as_mut_ptr();
    let mut raw = CArrowArray {
        length,
        null_count,
        offset: flat.offset as i64,
        n_buffers,
        n_children: 0,
        buffers,
        children: std::ptr::null_mut(),
        dictionary: std::ptr::null_mut(),
        release: Some(release_exported),
        private_data: Box::into_raw(exported).cast(),
    };
    // SAFETY: `raw` is a valid C struct of the specification (the layout of
    // FFI_ArrowArray); `from_raw` moves it out and marks `raw` released.
    unsafe { FFI_ArrowArray::from_raw((&raw mut raw).cast::<FFI_ArrowArray>()) }
}

/// The buffers of a flat array, as the specification lays them out.
struct FlatParts {
    /// The array's offset into every buffer (rows, or bits for booleans).
    offset: usize,
    buffers: [*const c_void; 3],
    n_buffers: usize,
}

impl FlatParts {
    fn of(array: &ArrayRef) -> Option<FlatParts> {
        let (offset, values) = match array.data_type() {
            DataType::Utf8 => (0, byte_buffers::<Utf8Type>(array)),
            DataType::LargeUtf8 => (0, byte_buffers::<LargeUtf8Type>(array)),
            DataType::Binary => (0, byte_buffers::<BinaryType>(array)),
            DataType::LargeBinary => (0, byte_buffers::<LargeBinaryType>(array)),
            DataType::Boolean => {
                let values = array.as_boolean().values();
                (values.offset(), [values.inner().as_ptr().cast(), std::ptr::null()])
            }
            _ => downcast_primitive_array!(
                array => (0, [array.values().inner().as_ptr().cast(), std::ptr::null()]),
                _ => return None
            ),
        };
        let validity = match array.nulls().filter(|nulls| nulls.null_count() > 0) {
            None => std::ptr::null(),
            // The specification has one offset for every buffer of the array.
            Some(nulls) if nulls.offset() != offset => return None,
            Some(nulls) => nulls.buffer().as_ptr().cast(),
        };
        let n_buffers = if values[1].is_null() { 2 } else { 3 };
        Some(FlatParts { offset, buffers: [validity, values[0], values[1]], n_buffers })
    }
}

/// The offsets (already sliced to the array's rows) and values of a string or binary array.
fn byte_buffers<T: ByteArrayType>(array: &ArrayRef) -> [*const c_void; 2] {
    let array = array.as_bytes::<T>();
    [array.offsets().inner().inner().as_ptr().cast(), array.values().as_ptr().cast()]
}

/// The array `array` carries, of type `data_type`.
///
/// # Safety
/// `array` must be a valid C data interface array of `data_type`.
pub unsafe fn import(array: FFI_ArrowArray, data_type: &DataType) -> Result<ArrayRef, ArrowError> {
    if !is_flat(data_type) || array.num_children() != 0 || array.dictionary().is_some() {
        // SAFETY: per the caller's contract.
        return Ok(make_array(unsafe { from_ffi_and_data_type(array, data_type.clone()) }?));
    }
    let owner = Arc::new(array);
    // SAFETY: per the caller's contract, the buffers are those of `data_type`.
    match unsafe { import_flat(&owner, data_type) } {
        Some(imported) => Ok(imported),
        // Misaligned or unexpected buffers: arrow's path, which copies what it must.
        None => match Arc::try_unwrap(owner) {
            // SAFETY: per the caller's contract.
            Ok(array) => Ok(make_array(unsafe { from_ffi_and_data_type(array, data_type.clone()) }?)),
            Err(_) => Err(ArrowError::CDataInterface("an imported array is still shared".into())),
        },
    }
}

fn is_flat(data_type: &DataType) -> bool {
    data_type.is_primitive()
        || matches!(
            data_type,
            DataType::Boolean | DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary
        )
}

/// `None` when the array is not laid out as expected for a zero-copy import.
///
/// # Safety
/// `owner` must be a valid C data interface array of `data_type`.
unsafe fn import_flat(owner: &Arc<FFI_ArrowArray>, data_type: &DataType) -> Option<ArrayRef> {
    let (len, offset) = (owner.len(), owner.offset());
    let expected_buffers = if matches!(data_type, DataType::Boolean) || data_type.is_primitive() { 2 } else { 3 };
    if owner.num_buffers() != expected_buffers {
        return None;
    }
    let buffer = |index: usize, bytes: usize, align: usize| -> Option<Buffer> {
        let ptr = owner.buffer(index);
        if bytes == 0 {
            return Some(Buffer::from_vec(Vec::<u8>::new()));
        }
        let ptr = NonNull::new(ptr.cast_mut())?;
        if !(ptr.as_ptr() as usize).is_multiple_of(align) {
            return None;
        }
        // SAFETY: the specification guarantees `bytes` readable bytes at a
        // non-null buffer of this type; `owner` releases them when dropped.
        Some(unsafe { Buffer::from_custom_allocation(ptr, bytes, Arc::clone(owner) as _) })
    };
    let null_count = owner.null_count();
    let nulls = if null_count > 0 {
        let bits = buffer(0, (offset + len).div_ceil(8), 1)?;
        // SAFETY: the producer counted `null_count` nulls in these bits.
        Some(unsafe { NullBuffer::new_unchecked(BooleanBuffer::new(bits, offset, len), null_count) })
    } else {
        None
    };
    let imported: ArrayRef = match data_type {
        DataType::Utf8 => unsafe { byte_array::<Utf8Type>(&buffer, offset, len, nulls) }?,
        DataType::LargeUtf8 => unsafe { byte_array::<LargeUtf8Type>(&buffer, offset, len, nulls) }?,
        DataType::Binary => unsafe { byte_array::<BinaryType>(&buffer, offset, len, nulls) }?,
        DataType::LargeBinary => unsafe { byte_array::<LargeBinaryType>(&buffer, offset, len, nulls) }?,
        DataType::Boolean => {
            let bits = buffer(1, (offset + len).div_ceil(8), 1)?;
            Arc::new(BooleanArray::new(BooleanBuffer::new(bits, offset, len), nulls))
        }
        primitive => {
            let width = primitive.primitive_width()?;
            let values = buffer(1, (offset + len) * width, width.min(16))?.slice_with_length(offset * width, len * width);
            let data = ArrayData::builder(primitive.clone()).len(len).add_buffer(values).nulls(nulls);
            // SAFETY: one values buffer of `len` elements of this width, and its nulls.
            make_array(unsafe { data.build_unchecked() })
        }
    };
    Some(imported)
}

/// A string or binary array of `T` from its offsets (sliced to the array's rows) and values.
///
/// # Safety
/// `buffer` must read a valid C data interface array of `T`.
unsafe fn byte_array<T: ByteArrayType>(
    buffer: &dyn Fn(usize, usize, usize) -> Option<Buffer>,
    offset: usize,
    len: usize,
    nulls: Option<NullBuffer>,
) -> Option<ArrayRef> {
    let width = size_of::<T::Offset>();
    let offsets = buffer(1, (offset + len + 1) * width, width)?;
    let offsets = ScalarBuffer::<T::Offset>::new(offsets, offset, len + 1);
    let values = buffer(2, offsets.last().copied()?.to_usize()?, 1)?;
    // SAFETY: the producer's offsets are monotonic and within the values
    // buffer, and its values are valid for `T` (UTF-8 for strings).
    let offsets = unsafe { OffsetBuffer::new_unchecked(offsets) };
    Some(Arc::new(unsafe { GenericByteArray::<T>::new_unchecked(offsets, values, nulls) }))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{
        BinaryArray, Float64Array, Int32Array, LargeStringArray, StringArray, UInt64Array,
    };
    use datafusion::arrow::ffi::from_ffi_and_data_type;

    use super::*;

    fn samples() -> Vec<ArrayRef> {
        let strings: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some(""), Some("déjà vu"), Some("z")]));
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("x"), None, Some("yy")]));
        let binary: ArrayRef = Arc::new(BinaryArray::from(vec![Some(&b"\x00\x01"[..]), None, Some(&b""[..])]));
        let booleans: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false), Some(true), None, Some(false), Some(true), Some(true), Some(false)]));
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(-3)]));
        let hashes: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX, 0, 42]));
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![Some(0.5), None]));
        let decimals: ArrayRef = Arc::new(
            datafusion::arrow::array::Decimal128Array::from(vec![Some(12345), None]).with_precision_and_scale(10, 2).expect("a decimal"),
        );
        let list: ArrayRef = Arc::new(datafusion::arrow::array::ListArray::from_iter_primitive::<
            datafusion::arrow::datatypes::Int32Type,
            _,
            _,
        >(vec![Some(vec![Some(1), None]), None]));
        let mut all = vec![strings, large, binary, booleans, ints, hashes, floats, decimals, list];
        // Slices: offsets into every buffer, nulls included.
        let sliced: Vec<ArrayRef> = all.iter().filter(|a| a.len() > 2).map(|a| a.slice(1, a.len() - 2)).collect();
        all.extend(sliced);
        // A boolean slice at a bit offset that is not a byte boundary.
        all.push(all[3].slice(3, 5));
        all
    }

    /// Whether this module filled the struct (not arrow's general export).
    fn filled_here(array: &FFI_ArrowArray) -> bool {
        let raw = (array as *const FFI_ArrowArray).cast::<CArrowArray>();
        // SAFETY: the layouts are the same (asserted above).
        unsafe { (*raw).release }.is_some_and(|release| std::ptr::fn_addr_eq(release, release_exported as unsafe extern "C" fn(*mut CArrowArray)))
    }

    #[test]
    fn flat_arrays_are_filled_here_and_others_by_arrow() {
        let samples = samples();
        // The unsliced flat samples; the list is not flat.
        for array in &samples[..8] {
            assert!(filled_here(&export(Arc::clone(array))), "{array:?}");
        }
        assert!(!filled_here(&export(Arc::clone(&samples[8]))), "a list is arrow's");
        // A sliced string array whose nulls start at another offset than its offsets.
        let sliced = samples[0].slice(1, 3);
        assert!(!filled_here(&export(sliced)), "nulls at another offset are arrow's");
    }

    #[test]
    fn every_sample_survives_the_round_trip_through_this_module() {
        for array in samples() {
            let back = unsafe { import(export(Arc::clone(&array)), array.data_type()) }.expect("imported");
            assert_eq!(back.to_data(), array.to_data(), "{array:?}");
            assert_eq!(back.null_count(), array.null_count(), "{array:?}");
        }
    }

    /// Either side may be arrow's own implementation of the specification.
    #[test]
    fn arrow_reads_what_this_module_writes_and_the_other_way_round() {
        for array in samples() {
            let by_arrow = make_array(unsafe { from_ffi_and_data_type(export(Arc::clone(&array)), array.data_type().clone()) }.expect("arrow imports it"));
            assert_eq!(by_arrow.to_data(), array.to_data(), "{array:?}");
            let from_arrow = unsafe { import(FFI_ArrowArray::new(&array.to_data()), array.data_type()) }.expect("imported");
            assert_eq!(from_arrow.to_data(), array.to_data(), "{array:?}");
        }
    }

    /// The imported array shares the exporter's memory, and keeps it alive
    /// after the exporter's own array is gone.
    #[test]
    fn an_import_borrows_the_exported_buffers_until_it_is_dropped() {
        let array: ArrayRef = Arc::new(StringArray::from(vec!["kept", "alive"]));
        let values = array.as_string::<i32>().values().as_ptr();
        let imported = unsafe { import(export(Arc::clone(&array)), &DataType::Utf8) }.expect("imported");
        assert_eq!(imported.as_string::<i32>().values().as_ptr(), values, "no copy");
        drop(array);
        assert_eq!(imported.as_string::<i32>().value(1), "alive");
    }
}
