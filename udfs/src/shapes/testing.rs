//! Test helpers of the shapes functions.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, MapArray, StructArray};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion_common::config::ConfigOptions;
use datafusion_common::{Result, ScalarValue};
use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl};

/// Plans (return field) and invokes `udf` like a host does, and checks the
/// result has the promised type.
pub fn invoke(
    udf: &dyn ScalarUDFImpl,
    args: Vec<ColumnarValue>,
    number_rows: usize,
) -> Result<ColumnarValue> {
    let arg_fields: Vec<FieldRef> = args
        .iter()
        .enumerate()
        .map(|(i, arg)| Arc::new(Field::new(format!("arg{i}"), arg.data_type(), true)))
        .collect();
    let scalars: Vec<Option<&ScalarValue>> = args
        .iter()
        .map(|arg| match arg {
            ColumnarValue::Scalar(scalar) => Some(scalar),
            ColumnarValue::Array(_) => None,
        })
        .collect();
    let return_field = udf.return_field_from_args(ReturnFieldArgs {
        arg_fields: &arg_fields,
        scalar_arguments: &scalars,
    })?;
    let result = udf.invoke_with_args(ScalarFunctionArgs {
        args,
        arg_fields,
        number_rows,
        return_field: Arc::clone(&return_field),
        config_options: Arc::new(ConfigOptions::default()),
    })?;
    assert_eq!(
        &result.data_type(),
        return_field.data_type(),
        "{} broke its type promise",
        udf.name()
    );
    Ok(result)
}

/// Invokes `udf` on arrays and returns the result array.
pub fn invoke_arrays(udf: &dyn ScalarUDFImpl, args: &[ArrayRef]) -> Result<ArrayRef> {
    let rows = args.first().map_or(0, |a| a.len());
    let args = args.iter().cloned().map(ColumnarValue::Array).collect();
    match invoke(udf, args, rows)? {
        ColumnarValue::Array(array) => {
            assert_eq!(array.len(), rows);
            Ok(array)
        }
        ColumnarValue::Scalar(scalar) => panic!("array arguments gave a scalar: {scalar:?}"),
    }
}

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

/// A deterministic pseudo-random sequence (xorshift64*), for generated tests.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Checks that computing `args` in one batch gives what computing them in
/// slices of random lengths gives, row for row.
pub fn assert_batch_splits_do_not_matter(udf: &dyn ScalarUDFImpl, args: &[ArrayRef], seed: u64) {
    let rows = args[0].len();
    let whole = display(invoke_arrays(udf, args).unwrap().as_ref());
    let mut random = XorShift::new(seed);
    let mut split = Vec::with_capacity(rows);
    let mut start = 0;
    while start < rows {
        let len = (1 + random.below(17) as usize).min(rows - start);
        let slices: Vec<ArrayRef> = args.iter().map(|a| a.slice(start, len)).collect();
        split.extend(display(invoke_arrays(udf, &slices).unwrap().as_ref()));
        start += len;
    }
    assert_eq!(split, whole, "{}", udf.name());
}
