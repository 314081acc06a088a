//! Helpers shared by the tests of every family: calling a function the way a
//! host does (or without planning it), reading string results, checking that
//! batch boundaries do not matter, a union column (which has no canonical
//! encoding), and a deterministic random generator. Helpers only one family
//! needs stay in that family (`hash::test_util`, `shapes::testing`).

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, UnionArray};
use arrow::datatypes::{DataType, Field, FieldRef, UnionFields};
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
    let arg_fields = arg_fields(&args);
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

/// Invokes `udf` without planning it first, as a host that skips
/// `return_field_from_args` (or hands over arguments planning would refuse)
/// does: the result field is a nullable `return_type` named after `udf`.
pub fn invoke_unplanned(
    udf: &dyn ScalarUDFImpl,
    args: Vec<ColumnarValue>,
    number_rows: usize,
    return_type: DataType,
) -> Result<ColumnarValue> {
    udf.invoke_with_args(ScalarFunctionArgs {
        arg_fields: arg_fields(&args),
        args,
        number_rows,
        return_field: Arc::new(Field::new(udf.name(), return_type, true)),
        config_options: Arc::new(ConfigOptions::default()),
    })
}

/// The fields a host gives `args`: nullable, named by position.
fn arg_fields(args: &[ColumnarValue]) -> Vec<FieldRef> {
    args.iter()
        .enumerate()
        .map(|(i, arg)| Arc::new(Field::new(format!("arg{i}"), arg.data_type(), true)))
        .collect()
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

/// Checks that computing `args` in one batch gives what computing them in
/// consecutive slices of random lengths gives, row for row, as `rows` reads
/// the rows of a result.
pub fn assert_slices_match_whole<T: PartialEq + Debug>(
    udf: &dyn ScalarUDFImpl,
    args: &[ArrayRef],
    seed: u64,
    rows: impl Fn(&dyn Array) -> Vec<T>,
) {
    let len = args[0].len();
    let whole = rows(invoke_arrays(udf, args).unwrap().as_ref());
    let mut random = XorShift::new(seed);
    let mut split = Vec::with_capacity(len);
    let mut start = 0;
    while start < len {
        let slice_len = (1 + random.below(17)).min(len - start);
        let slices: Vec<ArrayRef> = args.iter().map(|a| a.slice(start, slice_len)).collect();
        split.extend(rows(invoke_arrays(udf, &slices).unwrap().as_ref()));
        start += slice_len;
    }
    assert_eq!(split, whole, "{}", udf.name());
}

/// A one-row sparse union of an Int32 variant holding `1`: a type without
/// a canonical encoding.
pub fn union_of_int32() -> ArrayRef {
    let fields = UnionFields::try_new([0], [Field::new("i", DataType::Int32, true)]).unwrap();
    let children: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(vec![1]))];
    Arc::new(UnionArray::try_new(fields, vec![0].into(), None, children).unwrap())
}

/// A deterministic pseudo-random sequence (xorshift64*), so property-style
/// tests need no dependency and replay the same cases on every run.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        // The state must never be zero.
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`; `n` must not be zero.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True once in `n` times on average.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}
