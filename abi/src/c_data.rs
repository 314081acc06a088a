//! The Arrow C data interface for the arrays a bound kernel sends every batch,
//! exported and imported without arrow's general machinery.
//!
//! A bound kernel call sends each argument and its result across as an
//! `FFI_ArrowArray`. arrow-rs builds one from an `ArrayData` (a copy of the
//! array's parts, then a private record of its buffers and children) and
//! imports one through an `ArrayData` again: about 0.45 us per flat array, and
//! several microseconds for a map, which is most of what FFI adds to a cheap
//! function's batch. Here the struct the C data interface specifies is filled
//! directly, with the array itself as the owner of its buffers, and read back
//! straight into the typed array. That covers flat arrays (primitive, boolean,
//! string, binary) and structs, lists and maps of them.
//!
//! Both directions follow the specification, so either side may be arrow's:
//! an array this module exports imports with arrow's `from_ffi`, and this
//! module imports what arrow's `FFI_ArrowArray::new` exports. Anything else
//! (dictionaries, views, fixed-size lists, unions, a null buffer whose offset
//! differs from the array's, a misaligned buffer) takes arrow's path.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayData, ArrayRef, AsArray, BooleanArray, GenericByteArray, GenericListArray, MapArray,
    OffsetSizeTrait, StructArray, downcast_primitive_array, make_array,
};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, MutableBuffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{
    ArrowNativeType, BinaryType, ByteArrayType, DataType, FieldRef, LargeBinaryType, LargeUtf8Type, Utf8Type,
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

/// What keeps an exported array's buffers alive: the array itself, the table
/// of buffer pointers the C struct points at, and its children's structs.
struct Exported {
    _array: ArrayRef,
    buffers: [*const c_void; 3],
    children: Vec<*mut CArrowArray>,
}

unsafe extern "C" fn release_exported(array: *mut CArrowArray) {
    // SAFETY: the consumer releases an array it received once, through the
    // pointer to its struct; the private data is the Box made in `export_here`.
    if let Some(array) = unsafe { array.as_mut() } {
        if !array.private_data.is_null() {
            let exported = unsafe { Box::from_raw(array.private_data.cast::<Exported>()) };
            exported.children.iter().for_each(|&child| release_child(child));
        }
        array.private_data = std::ptr::null_mut();
        array.release = None;
    }
}

/// Releases a child struct `export_here` boxed; the specification has the
/// parent release its children (a consumer that moved one out marked it released).
fn release_child(child: *mut CArrowArray) {
    // SAFETY: `child` is a Box made in `export_here`, owned by its parent.
    let mut child = unsafe { Box::from_raw(child) };
    if let Some(release) = child.release {
        // SAFETY: the child's own release, for its own private data.
        unsafe { release(&raw mut *child) };
    }
}

/// `array` as the C data interface carries it.
pub fn export(array: ArrayRef) -> FFI_ArrowArray {
    match export_here(&array) {
        // SAFETY: `raw` is a valid C struct of the specification (the layout
        // of FFI_ArrowArray); `from_raw` moves it out and marks `raw` released.
        Some(mut raw) => unsafe { FFI_ArrowArray::from_raw((&raw mut raw).cast::<FFI_ArrowArray>()) },
        None => FFI_ArrowArray::new(&array.to_data()),
    }
}

/// `array` as a C struct filled here; `None` when its layout is arrow's to export.
fn export_here(array: &ArrayRef) -> Option<CArrowArray> {
    let parts = Parts::of(array)?;
    let mut children = Vec::with_capacity(parts.children.len());
    for child in &parts.children {
        match export_here(child) {
            Some(raw) => children.push(Box::into_raw(Box::new(raw))),
            None => {
                children.into_iter().for_each(release_child);
                return None;
            }
        }
    }
    let n_children = children.len() as i64;
    let mut exported =
        Box::new(Exported { _array: Arc::clone(array), buffers: parts.buffers, children });
    // Pointers into the boxed record, which stays where it is until released.
    let buffers = exported.buffers.as_mut_ptr();
    let children = if exported.children.is_empty() { std::ptr::null_mut() } else { exported.children.as_mut_ptr() };
    Some(CArrowArray {
        length: array.len() as i64,
        null_count: array.null_count() as i64,
        offset: parts.offset as i64,
        n_buffers: parts.n_buffers as i64,
        n_children,
        buffers,
        children,
        dictionary: std::ptr::null_mut(),
        release: Some(release_exported),
        private_data: Box::into_raw(exported).cast(),
    })
}

/// The buffers and children of an array, as the specification lays them out.
struct Parts {
    /// The array's offset into its buffers (rows, or bits for booleans).
    offset: usize,
    buffers: [*const c_void; 3],
    n_buffers: usize,
    children: Vec<ArrayRef>,
}

impl Parts {
    fn of(array: &ArrayRef) -> Option<Parts> {
        let none = std::ptr::null();
        // (offset, buffers after the validity buffer, their count, children)
        let (offset, values, n_values, children) = match array.data_type() {
            DataType::Utf8 => (0, byte_buffers::<Utf8Type>(array), 2, vec![]),
            DataType::LargeUtf8 => (0, byte_buffers::<LargeUtf8Type>(array), 2, vec![]),
            DataType::Binary => (0, byte_buffers::<BinaryType>(array), 2, vec![]),
            DataType::LargeBinary => (0, byte_buffers::<LargeBinaryType>(array), 2, vec![]),
            DataType::Boolean => {
                let values = array.as_boolean().values();
                (values.offset(), [values.inner().as_ptr().cast(), none], 1, vec![])
            }
            DataType::Struct(_) => (0, [none, none], 0, array.as_struct().columns().to_vec()),
            DataType::List(_) => list_parts::<i32>(array),
            DataType::LargeList(_) => list_parts::<i64>(array),
            DataType::Map(_, _) => {
                let map = array.as_map();
                let entries: ArrayRef = Arc::new(map.entries().clone());
                (0, [map.offsets().inner().inner().as_ptr().cast(), none], 1, vec![entries])
            }
            _ => downcast_primitive_array!(
                array => (0, [array.values().inner().as_ptr().cast(), none], 1, vec![]),
                _ => return None
            ),
        };
        let validity = match array.nulls().filter(|nulls| nulls.null_count() > 0) {
            None => none,
            // The specification has one offset for every buffer of the array.
            Some(nulls) if nulls.offset() != offset => return None,
            Some(nulls) => nulls.buffer().as_ptr().cast(),
        };
        Some(Parts { offset, buffers: [validity, values[0], values[1]], n_buffers: 1 + n_values, children })
    }
}

type LayoutParts = (usize, [*const c_void; 2], usize, Vec<ArrayRef>);

/// The offsets (already sliced to the array's rows) and values of a list.
fn list_parts<O: OffsetSizeTrait>(array: &ArrayRef) -> LayoutParts {
    let list = array.as_list::<O>();
    (0, [list.offsets().inner().inner().as_ptr().cast(), std::ptr::null()], 1, vec![Arc::clone(list.values())])
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
    if !imports_here(data_type) {
        // SAFETY: per the caller's contract.
        return Ok(make_array(unsafe { from_ffi_and_data_type(array, data_type.clone()) }?));
    }
    let owner = Arc::new(array);
    // SAFETY: per the caller's contract, the array is one of `data_type`.
    match unsafe { import_here(&owner, &owner, data_type) } {
        Some(imported) => Ok(imported),
        // Misaligned or unexpected buffers: arrow's path, which copies what it must.
        None => match Arc::try_unwrap(owner) {
            // SAFETY: per the caller's contract.
            Ok(array) => Ok(make_array(unsafe { from_ffi_and_data_type(array, data_type.clone()) }?)),
            Err(_) => Err(ArrowError::CDataInterface("an imported array is still shared".into())),
        },
    }
}

/// Whether `array` lays out exactly the flat array `original`: the same
/// length, offset and null count over the very same buffers. A function that
/// returns its argument unchanged sends it back like this; the caller may
/// then keep `original` and release `array` instead of importing it.
pub fn is_flat_export_of(array: &FFI_ArrowArray, original: &ArrayRef) -> bool {
    if original.data_type().is_nested() {
        return false;
    }
    let Some(parts) = Parts::of(original) else {
        return false;
    };
    let same_buffers = || {
        (0..parts.n_buffers).all(|index| {
            // A producer may pass a null validity buffer when nothing is null.
            let expected = parts.buffers[index].cast::<u8>();
            array.buffer(index) == expected || (index == 0 && original.null_count() == 0)
        })
    };
    array.len() == original.len()
        && array.offset() == parts.offset
        && array.null_count_opt() == Some(original.null_count())
        && array.num_children() == 0
        && array.dictionary().is_none()
        && array.num_buffers() == parts.n_buffers
        && same_buffers()
}

/// Whether arrays of `data_type` can be read here: the types `export_here` writes.
fn imports_here(data_type: &DataType) -> bool {
    match data_type {
        DataType::Boolean | DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => true,
        DataType::Struct(fields) => !fields.is_empty() && fields.iter().all(|field| imports_here(field.data_type())),
        DataType::List(field) | DataType::LargeList(field) | DataType::Map(field, _) => imports_here(field.data_type()),
        other => other.is_primitive(),
    }
}

/// `node` (the root `owner`, or one of its descendants) read into an array
/// of `data_type` whose buffers `owner` keeps alive; `None` when it is not
/// laid out as expected for a zero-copy import.
///
/// # Safety
/// `node` must be a valid C data interface array of `data_type`, within `owner`.
unsafe fn import_here(owner: &Arc<FFI_ArrowArray>, node: &FFI_ArrowArray, data_type: &DataType) -> Option<ArrayRef> {
    let (len, offset) = (node.len(), node.offset());
    let (expected_buffers, expected_children) = match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => (3, 0),
        DataType::Struct(fields) => (1, fields.len()),
        DataType::List(_) | DataType::LargeList(_) | DataType::Map(_, _) => (2, 1),
        _ => (2, 0),
    };
    if node.num_buffers() != expected_buffers
        || node.num_children() != expected_children
        || node.dictionary().is_some()
        || (expected_children > 0 && raw_children(node).is_null())
    {
        return None;
    }
    let buffer = |index: usize, bytes: usize, align: usize| -> Option<Buffer> {
        let ptr = node.buffer(index);
        if bytes == 0 {
            // Empty, yet aligned for any type (a `Vec<u8>`'s dangling pointer is not).
            return Some(Buffer::from(MutableBuffer::new(0)));
        }
        let ptr = NonNull::new(ptr.cast_mut())?;
        if !(ptr.as_ptr() as usize).is_multiple_of(align) {
            return None;
        }
        // SAFETY: the specification guarantees `bytes` readable bytes at a
        // non-null buffer of this type; `owner` releases them when dropped.
        Some(unsafe { Buffer::from_custom_allocation(ptr, bytes, Arc::clone(owner) as _) })
    };
    let nulls = match node.null_count_opt() {
        Some(0) => None,
        // A null count the producer left unknown (-1) is counted from the bits.
        unknown_or_counted if !node.buffer(0).is_null() => {
            let bits = BooleanBuffer::new(buffer(0, (offset + len).div_ceil(8), 1)?, offset, len);
            match unknown_or_counted {
                // SAFETY: the producer counted `null_count` nulls in these bits.
                Some(null_count) => Some(unsafe { NullBuffer::new_unchecked(bits, null_count) }),
                None => Some(NullBuffer::new(bits)).filter(|nulls| nulls.null_count() > 0),
            }
        }
        Some(_) => return None,
        None => None,
    };
    let child = |index: usize, data_type: &DataType| -> Option<ArrayRef> {
        // SAFETY: the node has `expected_children` children (checked above),
        // each a valid array of its field's type per the caller's contract.
        unsafe { import_here(owner, node.child(index), data_type) }
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
        DataType::Struct(fields) => {
            // The struct's offset applies to its children as well.
            let columns = fields
                .iter()
                .enumerate()
                .map(|(index, field)| child(index, field.data_type()).filter(|c| c.len() >= offset + len).map(|c| c.slice(offset, len)))
                .collect::<Option<Vec<_>>>()?;
            // SAFETY: one column per field, each of its type and of `len` rows.
            Arc::new(unsafe { StructArray::new_unchecked_with_length(fields.clone(), columns, nulls, len) })
        }
        DataType::List(field) => unsafe { list_array::<i32>(&buffer, offset, len, nulls, field, child(0, field.data_type())?) }?,
        DataType::LargeList(field) => unsafe { list_array::<i64>(&buffer, offset, len, nulls, field, child(0, field.data_type())?) }?,
        DataType::Map(field, ordered) => {
            let entries = child(0, field.data_type())?;
            let offsets = unsafe { offsets::<i32>(&buffer, offset, len) }.filter(|offsets| end_within(offsets, entries.len()))?;
            let entries = entries.as_struct_opt()?.clone();
            // SAFETY: offsets within the entries, of the field's struct type.
            Arc::new(unsafe { MapArray::new_unchecked(Arc::clone(field), offsets, entries, nulls, *ordered) })
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

/// The table of child pointers (arrow's `child` asserts it is not null).
fn raw_children(node: &FFI_ArrowArray) -> *mut *mut CArrowArray {
    // SAFETY: FFI_ArrowArray has the layout of the C struct (asserted above).
    unsafe { (*(node as *const FFI_ArrowArray).cast::<CArrowArray>()).children }
}

/// The `len + 1` offsets (buffer 1) of a node at `offset`.
///
/// # Safety
/// `buffer` must read a valid C data interface array whose buffer 1 holds offsets of `O`.
unsafe fn offsets<O: ArrowNativeType>(
    buffer: &dyn Fn(usize, usize, usize) -> Option<Buffer>,
    offset: usize,
    len: usize,
) -> Option<OffsetBuffer<O>> {
    let width = size_of::<O>();
    let offsets = ScalarBuffer::<O>::new(buffer(1, (offset + len + 1) * width, width)?, offset, len + 1);
    if offsets.first()?.to_usize()? > offsets.last()?.to_usize()? {
        return None;
    }
    // SAFETY: the producer's offsets are monotonic (and, checked, in order end to end).
    Some(unsafe { OffsetBuffer::new_unchecked(offsets) })
}

/// Whether `offsets` end within `values` entries.
fn end_within<O: ArrowNativeType>(offsets: &OffsetBuffer<O>, values: usize) -> bool {
    offsets.last().and_then(|last| last.to_usize()).is_some_and(|last| last <= values)
}

/// A list of `O` offsets over `values`.
///
/// # Safety
/// `buffer` must read a valid C data interface list array of `field`'s values.
unsafe fn list_array<O: OffsetSizeTrait>(
    buffer: &dyn Fn(usize, usize, usize) -> Option<Buffer>,
    offset: usize,
    len: usize,
    nulls: Option<NullBuffer>,
    field: &FieldRef,
    values: ArrayRef,
) -> Option<ArrayRef> {
    let offsets = unsafe { offsets::<O>(buffer, offset, len) }.filter(|offsets| end_within(offsets, values.len()))?;
    // SAFETY: offsets within the values, which have the field's type.
    Some(Arc::new(unsafe { GenericListArray::<O>::new_unchecked(Arc::clone(field), offsets, values, nulls) }))
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
    let offsets = unsafe { offsets::<T::Offset>(buffer, offset, len) }?;
    // The values buffer holds exactly what the offsets reach.
    let values = buffer(2, offsets.last().copied()?.to_usize()?, 1)?;
    // SAFETY: the values are valid for `T` (UTF-8 for strings) per the producer.
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
        >(vec![Some(vec![Some(1), None]), None, Some(vec![]), Some(vec![Some(4)])]));
        let mut all = vec![strings, large, binary, booleans, ints, hashes, floats, decimals, list, map(), people()];
        // Nothing to point at: no rows, and lists whose values are empty.
        let empty_lists: ArrayRef = Arc::new(datafusion::arrow::array::ListArray::from_iter_primitive::<
            datafusion::arrow::datatypes::Int64Type,
            _,
            _,
        >(vec![Some(Vec::<Option<i64>>::new()), Some(vec![])]));
        let no_rows: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(Vec::<i64>::new()));
        all.extend([empty_lists, no_rows]);
        // Slices: offsets into every buffer, nulls included.
        let sliced: Vec<ArrayRef> = all.iter().filter(|a| a.len() > 2).map(|a| a.slice(1, a.len() - 2)).collect();
        all.extend(sliced);
        // A boolean slice at a bit offset that is not a byte boundary.
        all.push(all[3].slice(3, 5));
        all
    }

    /// A map of strings to strings, with an empty and a null map.
    fn map() -> ArrayRef {
        use datafusion::arrow::array::{MapBuilder, StringBuilder};
        let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        for row in [&[("a", Some("1")), ("b", None)][..], &[], &[("c", Some("3"))], &[("d", Some("4")), ("e", Some("5"))]] {
            for (key, value) in row {
                builder.keys().append_value(key);
                builder.values().append_option(*value);
            }
            builder.append(true).expect("a map row");
        }
        builder.append(false).expect("a null map");
        Arc::new(builder.finish())
    }

    /// A struct of a string and a list of large strings, with null rows.
    fn people() -> ArrayRef {
        use datafusion::arrow::array::{LargeListArray, LargeStringArray};
        use datafusion::arrow::datatypes::Field;
        let names: ArrayRef = Arc::new(StringArray::from(vec![Some("ada"), None, Some("bo"), Some("cy"), Some("di")]));
        let tags = LargeListArray::new(
            Arc::new(Field::new_list_field(DataType::LargeUtf8, true)),
            OffsetBuffer::from_lengths([1, 0, 2, 0, 1]),
            Arc::new(LargeStringArray::from(vec![Some("x"), Some("y"), None, Some("z")])),
            Some(NullBuffer::from(vec![true, false, true, true, true])),
        );
        let fields = vec![Field::new("name", DataType::Utf8, true), Field::new("tags", tags.data_type().clone(), true)];
        Arc::new(StructArray::new(fields.into(), vec![names, Arc::new(tags)], Some(NullBuffer::from(vec![true, true, false, true, true]))))
    }

    /// Whether this module filled the struct (not arrow's general export).
    fn filled_here(array: &FFI_ArrowArray) -> bool {
        let raw = (array as *const FFI_ArrowArray).cast::<CArrowArray>();
        // SAFETY: the layouts are the same (asserted above).
        unsafe { (*raw).release }.is_some_and(|release| std::ptr::fn_addr_eq(release, release_exported as unsafe extern "C" fn(*mut CArrowArray)))
    }

    #[test]
    fn flat_and_nested_arrays_are_filled_here_and_others_by_arrow() {
        let samples = samples();
        // The unsliced samples: flat, list, map and struct.
        for array in &samples[..11] {
            assert!(filled_here(&export(Arc::clone(array))), "{array:?}");
        }
        // A sliced string array whose nulls start at another offset than its offsets.
        let sliced = samples[0].slice(1, 3);
        assert!(!filled_here(&export(sliced)), "nulls at another offset are arrow's");
        // A list whose values are dictionary-encoded: the whole list is arrow's.
        let dictionary: ArrayRef = Arc::new(
            vec![Some("a"), Some("b"), Some("a")].into_iter().collect::<datafusion::arrow::array::DictionaryArray<datafusion::arrow::datatypes::Int32Type>>(),
        );
        let field = Arc::new(datafusion::arrow::datatypes::Field::new_list_field(dictionary.data_type().clone(), true));
        let list: ArrayRef = Arc::new(datafusion::arrow::array::ListArray::new(field, OffsetBuffer::from_lengths([2, 1]), dictionary, None));
        assert!(!filled_here(&export(Arc::clone(&list))), "a list of dictionaries is arrow's");
        let back = unsafe { import(export(Arc::clone(&list)), list.data_type()) }.expect("imported");
        assert_eq!(back.to_data(), list.to_data());
    }

    #[test]
    fn every_sample_survives_the_round_trip_through_this_module() {
        for array in samples() {
            let back = unsafe { import(export(Arc::clone(&array)), array.data_type()) }.expect("imported");
            assert_eq!(back.to_data(), array.to_data(), "{array:?}");
            assert_eq!(back.null_count(), array.null_count(), "{array:?}");
        }
    }

    /// Releasing the root releases every child the export boxed: nothing
    /// keeps a reference to the array or its children's values afterwards.
    #[test]
    fn releasing_an_export_releases_its_children() {
        for array in samples() {
            let nested_values = match array.data_type() {
                DataType::List(_) => Some(Arc::clone(array.as_list::<i32>().values())),
                DataType::Struct(_) => Some(Arc::clone(array.as_struct().column(1))),
                _ => None,
            };
            let before = nested_values.as_ref().map(Arc::strong_count);
            let back = unsafe { import(export(Arc::clone(&array)), array.data_type()) }.expect("imported");
            // An array of no rows has no bytes to borrow.
            if filled_here(&export(Arc::clone(&array))) && !array.is_empty() {
                assert!(Arc::strong_count(&array) > 1, "the import borrows the exported array: {array:?}");
            }
            drop(back);
            assert_eq!(Arc::strong_count(&array), 1, "{array:?}");
            assert_eq!(nested_values.as_ref().map(Arc::strong_count), before, "{array:?}");
        }
    }

    #[test]
    fn an_export_is_recognised_only_as_the_array_it_lays_out() {
        let samples = samples();
        for array in &samples[..8] {
            let exported = export(Arc::clone(array));
            assert!(is_flat_export_of(&exported, array), "{array:?}");
            // Arrow's own export of it lays out the same buffers.
            assert!(is_flat_export_of(&FFI_ArrowArray::new(&array.to_data()), array), "{array:?}");
            // A copy has the same values in other buffers; a slice, other rows.
            let nothing = array.slice(0, 0);
            let deep_copy = datafusion::arrow::compute::concat(&[array.as_ref(), nothing.as_ref()]).expect("a copy");
            assert!(!is_flat_export_of(&export(deep_copy), array), "{array:?}");
            assert!(!is_flat_export_of(&export(array.slice(1, array.len() - 1)), array), "{array:?}");
        }
        let map = &samples[9];
        assert!(!is_flat_export_of(&export(Arc::clone(map)), map), "nested arrays are not compared");
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
