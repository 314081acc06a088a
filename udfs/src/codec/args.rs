//! Argument and result plumbing shared by the codec functions: accepted
//! types, typed access to string and binary columns of any representation,
//! and result builders that fail cleanly instead of overflowing 32-bit
//! offsets.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryViewArray, FixedSizeBinaryArray,
    GenericStringBuilder, LargeBinaryArray, MapBuilder, NullBufferBuilder,
    StringBuilder,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion_common::utils::take_function_args;
use datafusion_common::{Result, ScalarValue, exec_err, plan_err};
use datafusion_expr::ColumnarValue;

use super::canonical::check_supported;

/// `Map<Utf8, Utf8>`, the type of a metadata map: entries named as arrow's
/// `MapBuilder` names them (`entries`, `keys`, `values`), values nullable,
/// not declared sorted. It is the type DataFusion's own `arrow_metadata` returns.
pub fn metadata_map_type() -> DataType {
    DataType::Map(
        Arc::new(Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![
                Field::new("keys", DataType::Utf8, false),
                Field::new("values", DataType::Utf8, true),
            ])),
            false,
        )),
        false,
    )
}

/// A builder of [`metadata_map_type`] columns.
pub fn metadata_map_builder(rows: usize) -> MapBuilder<StringBuilder, StringBuilder> {
    MapBuilder::with_capacity(None, StringBuilder::new(), StringBuilder::new(), rows)
}

/// Whether values of `data_type` are strings: `Utf8`, `LargeUtf8`,
/// `Utf8View`, or a dictionary of these.
pub fn is_string_like(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_string_like(value),
        _ => false,
    }
}

/// The result field, of type `data_type`, of a function of one value of any
/// type with a canonical form (`canonical_fingerprint`, `msgpack_encode`):
/// a type without one is rejected while planning.
pub fn canonical_return_field(
    function: &str,
    arg_fields: &[FieldRef],
    data_type: DataType,
    nullable: bool,
) -> Result<FieldRef> {
    let [field] = take_function_args(function, arg_fields)?;
    check_supported(function, field.data_type())?;
    Ok(Arc::new(Field::new(function, data_type, nullable)))
}

/// The type a binary argument is coerced to: binary kinds (and NULL) as they
/// are, a dictionary of binaries to its value type; anything else is a
/// planning error naming the function.
pub fn coerce_binary(function: &str, data_type: &DataType) -> Result<DataType> {
    match data_type {
        DataType::Null
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => Ok(data_type.clone()),
        DataType::Dictionary(_, value) if coerce_binary(function, value).is_ok() => {
            Ok(value.as_ref().clone())
        }
        other => plan_err!("{function} expects a binary argument (MessagePack bytes), got {other}"),
    }
}

/// Runs a column-at-a-time implementation on one argument: a constant is
/// evaluated as a one-row column and returned as a constant, a column as a
/// column.
pub fn unary(
    arg: &ColumnarValue,
    evaluate: impl FnOnce(&dyn Array) -> Result<ArrayRef>,
) -> Result<ColumnarValue> {
    match arg {
        ColumnarValue::Scalar(scalar) => {
            let array = scalar.to_array_of_size(1)?;
            let result = evaluate(array.as_ref())?;
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?))
        }
        ColumnarValue::Array(array) => Ok(ColumnarValue::Array(evaluate(array.as_ref())?)),
    }
}

/// The bytes of any binary column, row by row.
pub enum Binaries<'a> {
    Null(usize),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    BinaryView(&'a BinaryViewArray),
    FixedSizeBinary(&'a FixedSizeBinaryArray),
}

impl<'a> Binaries<'a> {
    pub fn try_new(function: &str, array: &'a dyn Array) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Null => Self::Null(array.len()),
            DataType::Binary => Self::Binary(array.as_binary()),
            DataType::LargeBinary => Self::LargeBinary(array.as_binary()),
            DataType::BinaryView => Self::BinaryView(array.as_binary_view()),
            DataType::FixedSizeBinary(_) => Self::FixedSizeBinary(array.as_fixed_size_binary()),
            other => return exec_err!("{function} expects a binary argument, got {other}"),
        })
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Null(len) => *len,
            Self::Binary(array) => array.len(),
            Self::LargeBinary(array) => array.len(),
            Self::BinaryView(array) => array.len(),
            Self::FixedSizeBinary(array) => array.len(),
        }
    }

    /// Total bytes of the values, to size result buffers.
    pub fn value_bytes(&self) -> usize {
        match self {
            Self::Null(_) => 0,
            Self::Binary(array) => array.value_data().len(),
            Self::LargeBinary(array) => array.value_data().len(),
            Self::BinaryView(array) => array.total_buffer_bytes_used(),
            Self::FixedSizeBinary(array) => array.value_data().len(),
        }
    }

    /// `array[row]`, `None` when null. `row` must be in bounds.
    #[inline]
    pub fn get(&self, row: usize) -> Option<&'a [u8]> {
        match self {
            Self::Null(_) => None,
            Self::Binary(array) => array.is_valid(row).then(|| array.value(row)),
            Self::LargeBinary(array) => array.is_valid(row).then(|| array.value(row)),
            Self::BinaryView(array) => array.is_valid(row).then(|| array.value(row)),
            Self::FixedSizeBinary(array) => array.is_valid(row).then(|| array.value(row)),
        }
    }
}

/// Fails unless an `Array` with 32-bit offsets can take `adding` more bytes
/// (or entries) after `used`: arrow's builders would panic instead.
#[inline]
pub fn check_offset(function: &str, used: usize, adding: usize) -> Result<()> {
    if used.saturating_add(adding) > i32::MAX as usize {
        return exec_err!(
            "{function}: the results of one batch exceed the 2 GiB a column with 32-bit offsets can hold; use smaller batches"
        );
    }
    Ok(())
}

/// Appends `value` to a `Utf8` builder, failing instead of panicking when
/// the column would outgrow its 32-bit offsets.
#[inline]
pub fn append_str(
    function: &str,
    builder: &mut GenericStringBuilder<i32>,
    value: &str,
) -> Result<()> {
    check_offset(function, builder.values_slice().len(), value.len())?;
    builder.append_value(value);
    Ok(())
}

/// A `Binary` result column written in place: a row is encoded straight into
/// the value buffer, with no per-row copy.
pub struct BinaryColumn {
    function: &'static str,
    values: Vec<u8>,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
}

impl BinaryColumn {
    pub fn with_capacity(function: &'static str, rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            function,
            values: Vec::with_capacity(bytes),
            offsets,
            nulls: NullBufferBuilder::new(rows),
        }
    }

    /// The value buffer, to append the next row's bytes to before
    /// [`end_value`](Self::end_value) or [`end_null`](Self::end_null).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.values
    }

    /// Where the current row started in [`buffer`](Self::buffer).
    pub fn row_start(&self) -> usize {
        self.offsets.last().map_or(0, |offset| *offset as usize)
    }

    /// Ends the current row as the bytes appended since the last row ended.
    pub fn end_value(&mut self) -> Result<()> {
        check_offset(self.function, self.values.len(), 0)?;
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_non_null();
        Ok(())
    }

    /// Ends the current row as NULL, dropping any bytes appended for it.
    pub fn end_null(&mut self) {
        let start = self.row_start();
        self.values.truncate(start);
        self.offsets.push(start as i32);
        self.nulls.append_null();
    }

    pub fn finish(mut self) -> Result<ArrayRef> {
        // Monotonic by construction: rows only ever end at or after their start.
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        let array =
            BinaryArray::try_new(offsets, Buffer::from_vec(self.values), self.nulls.finish())?;
        Ok(Arc::new(array))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_column_ends_rows_and_nulls() {
        let mut column = BinaryColumn::with_capacity("test", 3, 4);
        column.buffer().extend_from_slice(b"ab");
        column.end_value().unwrap();
        column.buffer().extend_from_slice(b"dropped");
        column.end_null();
        column.end_value().unwrap();
        let array = column.finish().unwrap();
        let array = array.as_binary::<i32>();
        assert_eq!(array.len(), 3);
        assert_eq!(array.value(0), b"ab");
        assert!(array.is_null(1));
        assert_eq!(array.value(2), b"");
    }

    #[test]
    fn offsets_past_two_gib_are_an_error_not_a_panic() {
        let error = check_offset("f", i32::MAX as usize - 1, 2).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("f: the results of one batch exceed"),
            "{error}"
        );
        assert!(check_offset("f", i32::MAX as usize - 2, 2).is_ok());
    }

    #[test]
    fn coercions_accept_every_representation() {
        let dictionary =
            |value: DataType| DataType::Dictionary(Box::new(DataType::Int32), Box::new(value));
        assert_eq!(
            coerce_binary("f", &DataType::BinaryView).unwrap(),
            DataType::BinaryView
        );
        assert_eq!(
            coerce_binary("f", &dictionary(DataType::LargeBinary)).unwrap(),
            DataType::LargeBinary
        );
        assert!(
            coerce_binary("f", &DataType::Utf8)
                .unwrap_err()
                .to_string()
                .contains("f expects a binary argument (MessagePack bytes), got Utf8")
        );
    }
}
