//! List handling shared by the list functions: the list types they accept and
//! the range of child values a list array uses.

use arrow::array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion_common::{Result, exec_datafusion_err, plan_err};

/// The type a list argument is coerced to: List and LargeList stay, a
/// FixedSizeList or ListView becomes a List, a LargeListView a LargeList, NULL
/// stays NULL (the result is then NULL).
pub fn coerced_list_type(function: &str, data_type: &DataType) -> Result<DataType> {
    match data_type {
        DataType::List(_) | DataType::LargeList(_) | DataType::Null => Ok(data_type.clone()),
        DataType::FixedSizeList(field, _) | DataType::ListView(field) => {
            Ok(DataType::List(field.clone()))
        }
        DataType::LargeListView(field) => Ok(DataType::LargeList(field.clone())),
        other => plan_err!("{function} expects a list argument, got {other}"),
    }
}

/// `array` as its coerced list type. The planner already casts; this covers
/// direct calls with a FixedSizeList or ListView array.
pub fn coerce_list(function: &str, array: &ArrayRef) -> Result<ArrayRef> {
    let target = coerced_list_type(function, array.data_type())?;
    if &target == array.data_type() {
        return Ok(ArrayRef::clone(array));
    }
    cast(array, &target).map_err(|e| {
        exec_datafusion_err!(
            "{function}: cannot cast {} to {target}: {e}",
            array.data_type()
        )
    })
}

/// The child values a list array's rows use, and the offset of the first.
pub fn used_values<O: OffsetSizeTrait>(list: &GenericListArray<O>) -> (ArrayRef, usize) {
    let offsets = list.value_offsets();
    let start = offsets[0].as_usize();
    let end = offsets[list.len()].as_usize();
    (list.values().slice(start, end - start), start)
}

/// Row `row`'s element range within [`used_values`].
#[inline]
pub fn element_range<O: OffsetSizeTrait>(offsets: &[O], base: usize, row: usize) -> (usize, usize) {
    (
        offsets[row].as_usize() - base,
        offsets[row + 1].as_usize() - base,
    )
}
