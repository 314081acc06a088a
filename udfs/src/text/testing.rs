//! Test helpers of the text functions.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef};
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

/// The rows of a Utf8, LargeUtf8 or Utf8View array.
pub fn strings(array: &dyn Array) -> Vec<Option<String>> {
    let value = |row: usize| -> String {
        match array.data_type() {
            DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
            DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
            DataType::Utf8View => array.as_string_view().value(row).to_string(),
            other => panic!("not a string type: {other}"),
        }
    };
    (0..array.len())
        .map(|row| array.is_valid(row).then(|| value(row)))
        .collect()
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
    let whole = strings(invoke_arrays(udf, args).unwrap().as_ref());
    let mut random = XorShift::new(seed);
    let mut split = Vec::with_capacity(rows);
    let mut start = 0;
    while start < rows {
        let len = (1 + random.below(17) as usize).min(rows - start);
        let slices: Vec<ArrayRef> = args.iter().map(|a| a.slice(start, len)).collect();
        split.extend(strings(invoke_arrays(udf, &slices).unwrap().as_ref()));
        start += len;
    }
    assert_eq!(split, whole, "{}", udf.name());
}
