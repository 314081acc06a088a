//! Test helpers of the shapes functions (the shared ones are in
//! `crate::test_support`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, MapArray, StructArray};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields};
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Every row of `array` as Arrow displays it, `NULL` for nulls.
pub fn display(array: &dyn Array) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let formatter = ArrayFormatter::try_new(array, &options).unwrap();
    (0..array.len())
        .map(|row| formatter.value(row).to_string())
        .collect()
}

/// A map array from its keys, values, per-row offsets and null rows.
pub fn map_of(
    keys: ArrayRef,
    values: ArrayRef,
    offsets: &[i32],
    valid: Option<&[bool]>,
) -> ArrayRef {
    let fields = Fields::from(vec![
        Field::new("key", keys.data_type().clone(), false),
        Field::new("value", values.data_type().clone(), true),
    ]);
    let entries = StructArray::new(fields.clone(), vec![keys, values], None);
    let field = Arc::new(Field::new("entries", DataType::Struct(fields), false));
    Arc::new(
        MapArray::try_new(
            field,
            OffsetBuffer::new(offsets.to_vec().into()),
            entries,
            valid.map(|v| NullBuffer::from(v.to_vec())),
            false,
        )
        .unwrap(),
    )
}
