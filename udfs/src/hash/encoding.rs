//! The canonical byte encoding of SQL values that dfpack's stable hash
//! functions hash.
//!
//! This encoding is a **public contract**: hashes computed with it are stored
//! by users (partition keys, dedup keys, sampling), so the bytes produced for
//! a value must never change. Golden vectors in the tests of
//! [`stable_hash64`](mod@super::stable_hash64) pin it; a change that breaks them is
//! a breaking change of every stable hash, not a refactoring.
//!
//! # Layout
//!
//! A row's values are encoded one after the other, in argument order. Each
//! value is one tag byte followed by a payload. Every integer in a payload is
//! little-endian.
//!
//! | Tag    | Arrow types                                             | Payload |
//! |--------|---------------------------------------------------------|---------|
//! | `0x00` | null of any type, and every row of `Null`               | none |
//! | `0x01` | `Boolean`                                               | one byte, `0` or `1` |
//! | `0x02` | `Int8` … `Int64`, `UInt8` … `UInt64`                    | the value as `i128` (16 bytes) |
//! | `0x03` | `Float16`, `Float32`, `Float64`                         | the value widened to `f64`, its IEEE 754 bits as `u64` (8 bytes) |
//! | `0x04` | `Utf8`, `LargeUtf8`, `Utf8View`                         | byte length as `u64` (8 bytes), then the UTF-8 bytes |
//! | `0x05` | `Binary`, `LargeBinary`, `BinaryView`, `FixedSizeBinary` | byte length as `u64` (8 bytes), then the bytes |
//! | `0x06` | `Date32`, `Date64`                                      | days since 1970-01-01 as `i64` (8 bytes) |
//! | `0x07` | `Timestamp(unit, tz)`                                   | nanoseconds since 1970-01-01T00:00:00Z as `i128` (16 bytes) |
//! | `0x08` | `Decimal32`, `Decimal64`, `Decimal128`, `Decimal256`    | scale as `i8` (1 byte), then the unscaled value as `i256` (32 bytes) |
//!
//! `Dictionary(key, value)` has no tag of its own: a row is encoded as its
//! looked-up value (a null key encodes as `0x00`).
//!
//! Rules that make the same logical value encode the same way whatever its
//! physical form:
//!
//! * Integers of every width and signedness are widened to `i128`, so `1_i8`
//!   and `1_u64` encode identically.
//! * Floats are widened to `f64` (exact for `Float16` and `Float32`). `-0.0`
//!   is encoded as `0.0`, and every NaN as the single bit pattern
//!   `0x7FF8_0000_0000_0000`, because SQL treats them as equal.
//! * `Date64` milliseconds are converted to days rounding towards negative
//!   infinity, so a `Date64` holding a whole day equals the `Date32` of that day.
//! * Timestamps of every unit are converted to nanoseconds; `i128` holds
//!   every `i64` second count times 10⁹ without overflow. The timezone is
//!   metadata and does not change the instant, so it is not encoded.
//! * Decimals encode their scale but not their precision: `1.50` as
//!   `Decimal(5, 2)` and `Decimal(38, 2)` are equal, while `1.5` at scale 1 is
//!   a different value.
//! * Strings and binaries carry their length, so `("a", "bc")` and
//!   `("ab", "c")` differ, and the null tag cannot collide with the empty
//!   string (`0x04` followed by a zero length).
//!
//! Every other type (nested types, intervals, durations, times, run-end
//! encoded arrays, …) is rejected with a "not implemented" error rather than
//! given an encoding that might have to change later.

use arrow::array::{Array, ArrayAccessor, AsArray, downcast_dictionary_array};
use arrow::datatypes::{
    ArrowNativeType, ArrowPrimitiveType, DataType, Date32Type, Date64Type, Decimal32Type,
    Decimal64Type, Decimal128Type, Decimal256Type, Float16Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    i256,
};
use datafusion_common::{Result, ScalarValue, not_impl_err};

const TAG_NULL: u8 = 0x00;
const TAG_BOOLEAN: u8 = 0x01;
const TAG_INTEGER: u8 = 0x02;
const TAG_FLOAT: u8 = 0x03;
const TAG_STRING: u8 = 0x04;
const TAG_BINARY: u8 = 0x05;
const TAG_DATE: u8 = 0x06;
const TAG_TIMESTAMP: u8 = 0x07;
const TAG_DECIMAL: u8 = 0x08;

/// The one NaN bit pattern every NaN is encoded as. Spelled out rather than
/// taken from `f64::NAN`, whose bit pattern Rust does not promise.
const CANONICAL_NAN_BITS: u64 = 0x7FF8_0000_0000_0000;

const MILLISECONDS_PER_DAY: i64 = 86_400_000;

/// Appends the canonical encoding of one row of a column to a byte buffer.
///
/// Built once per column and batch: the column is downcast to its concrete
/// array type here, so encoding a row is a typed read, never a
/// [`ScalarValue`].
pub struct ValueEncoder<'a> {
    rows: Box<dyn EncodeRow + 'a>,
}

impl<'a> ValueEncoder<'a> {
    /// Prepares to encode rows of `array`. `function` names the calling SQL
    /// function in the error returned when the column's type has no encoding.
    pub fn try_new(function: &str, array: &'a dyn Array) -> Result<Self> {
        Ok(Self {
            rows: row_encoder(function, array)?,
        })
    }

    /// Appends the encoding of `array[row]` to `out`. `row` must be in bounds.
    #[inline]
    pub fn append(&self, row: usize, out: &mut Vec<u8>) {
        self.rows.encode_row(row, out);
    }
}

/// Returns an error unless values of `data_type` have a canonical encoding.
///
/// Lets a function reject an argument type while planning. It asks the same
/// code that encodes at execution (on an empty array), so planning and
/// execution cannot disagree on what is supported.
pub fn check_supported(function: &str, data_type: &DataType) -> Result<()> {
    let empty = arrow::array::new_empty_array(data_type);
    ValueEncoder::try_new(function, empty.as_ref()).map(|_| ())
}

/// Appends the canonical encoding of a single value to `out`.
///
/// For constant arguments: they are encoded once per batch and the bytes
/// reused for every row.
pub fn encode_scalar(function: &str, value: &ScalarValue, out: &mut Vec<u8>) -> Result<()> {
    let array = value.to_array_of_size(1)?;
    ValueEncoder::try_new(function, array.as_ref())?.append(0, out);
    Ok(())
}

/// The type-erased per-row step of a [`ValueEncoder`]: one virtual call per
/// value, with the type dispatch done once when the encoder was built.
trait EncodeRow {
    fn encode_row(&self, row: usize, out: &mut Vec<u8>);
}

fn row_encoder<'a>(function: &str, array: &'a dyn Array) -> Result<Box<dyn EncodeRow + 'a>> {
    let encoder: Box<dyn EncodeRow + 'a> = match array.data_type() {
        DataType::Null => Box::new(AllNull),
        DataType::Boolean => typed(array.as_boolean(), |v: bool, out| {
            out.push(TAG_BOOLEAN);
            out.push(u8::from(v));
        }),
        DataType::Int8 => integers::<Int8Type>(array),
        DataType::Int16 => integers::<Int16Type>(array),
        DataType::Int32 => integers::<Int32Type>(array),
        DataType::Int64 => integers::<Int64Type>(array),
        DataType::UInt8 => integers::<UInt8Type>(array),
        DataType::UInt16 => integers::<UInt16Type>(array),
        DataType::UInt32 => integers::<UInt32Type>(array),
        DataType::UInt64 => integers::<UInt64Type>(array),
        DataType::Float16 => floats::<Float16Type>(array),
        DataType::Float32 => floats::<Float32Type>(array),
        DataType::Float64 => floats::<Float64Type>(array),
        DataType::Utf8 => typed(array.as_string::<i32>(), encode_string),
        DataType::LargeUtf8 => typed(array.as_string::<i64>(), encode_string),
        DataType::Utf8View => typed(array.as_string_view(), encode_string),
        DataType::Binary => typed(array.as_binary::<i32>(), encode_binary),
        DataType::LargeBinary => typed(array.as_binary::<i64>(), encode_binary),
        DataType::BinaryView => typed(array.as_binary_view(), encode_binary),
        DataType::FixedSizeBinary(_) => typed(array.as_fixed_size_binary(), encode_binary),
        DataType::Date32 => typed(array.as_primitive::<Date32Type>(), |days: i32, out| {
            encode_date(i64::from(days), out)
        }),
        DataType::Date64 => typed(array.as_primitive::<Date64Type>(), |ms: i64, out| {
            encode_date(ms.div_euclid(MILLISECONDS_PER_DAY), out)
        }),
        DataType::Timestamp(unit, _) => timestamps(array, unit),
        DataType::Decimal32(_, scale) => decimals::<Decimal32Type>(array, *scale),
        DataType::Decimal64(_, scale) => decimals::<Decimal64Type>(array, *scale),
        DataType::Decimal128(_, scale) => decimals::<Decimal128Type>(array, *scale),
        DataType::Decimal256(_, scale) => decimals::<Decimal256Type>(array, *scale),
        DataType::Dictionary(_, _) => dictionary(function, array)?,
        other => return not_impl_err!("{function} does not support {other} yet"),
    };
    Ok(encoder)
}

/// Rows of a `Null` column. Its arrays carry no validity buffer, so the
/// generic null check of [`Typed`] would not see them as null.
struct AllNull;

impl EncodeRow for AllNull {
    fn encode_row(&self, _row: usize, out: &mut Vec<u8>) {
        out.push(TAG_NULL);
    }
}

/// Rows of any array with typed element access: null rows get the null tag,
/// valid ones go through `encode`, which the compiler inlines per type.
struct Typed<A, F> {
    array: A,
    encode: F,
}

impl<A, F> EncodeRow for Typed<A, F>
where
    A: ArrayAccessor,
    F: Fn(A::Item, &mut Vec<u8>),
{
    fn encode_row(&self, row: usize, out: &mut Vec<u8>) {
        if self.array.is_null(row) {
            out.push(TAG_NULL);
        } else {
            (self.encode)(self.array.value(row), out);
        }
    }
}

fn typed<'a, A, F>(array: A, encode: F) -> Box<dyn EncodeRow + 'a>
where
    A: ArrayAccessor + 'a,
    F: Fn(A::Item, &mut Vec<u8>) + 'a,
{
    Box::new(Typed { array, encode })
}

fn integers<'a, T>(array: &'a dyn Array) -> Box<dyn EncodeRow + 'a>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i128>,
{
    typed(array.as_primitive::<T>(), |v: T::Native, out| {
        out.push(TAG_INTEGER);
        out.extend_from_slice(&v.into().to_le_bytes());
    })
}

fn floats<'a, T>(array: &'a dyn Array) -> Box<dyn EncodeRow + 'a>
where
    T: ArrowPrimitiveType,
    T::Native: Into<f64>,
{
    typed(array.as_primitive::<T>(), |v: T::Native, out| {
        let v: f64 = v.into();
        let bits = if v.is_nan() {
            CANONICAL_NAN_BITS
        } else if v == 0.0 {
            // Also true for -0.0, which is folded into +0.0 here.
            0.0_f64.to_bits()
        } else {
            v.to_bits()
        };
        out.push(TAG_FLOAT);
        out.extend_from_slice(&bits.to_le_bytes());
    })
}

fn encode_string(v: &str, out: &mut Vec<u8>) {
    encode_bytes(TAG_STRING, v.as_bytes(), out);
}

fn encode_binary(v: &[u8], out: &mut Vec<u8>) {
    encode_bytes(TAG_BINARY, v, out);
}

fn encode_bytes(tag: u8, bytes: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    // usize -> u64 is lossless on every platform Rust supports.
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn encode_date(days: i64, out: &mut Vec<u8>) {
    out.push(TAG_DATE);
    out.extend_from_slice(&days.to_le_bytes());
}

fn timestamps<'a>(array: &'a dyn Array, unit: &TimeUnit) -> Box<dyn EncodeRow + 'a> {
    match unit {
        TimeUnit::Second => timestamp_column::<TimestampSecondType>(array, 1_000_000_000),
        TimeUnit::Millisecond => timestamp_column::<TimestampMillisecondType>(array, 1_000_000),
        TimeUnit::Microsecond => timestamp_column::<TimestampMicrosecondType>(array, 1_000),
        TimeUnit::Nanosecond => timestamp_column::<TimestampNanosecondType>(array, 1),
    }
}

fn timestamp_column<'a, T>(array: &'a dyn Array, nanos_per_unit: i128) -> Box<dyn EncodeRow + 'a>
where
    T: ArrowPrimitiveType<Native = i64>,
{
    typed(array.as_primitive::<T>(), move |v: i64, out| {
        // Cannot overflow: |i64| * 10^9 < 2^93.
        let nanos = i128::from(v) * nanos_per_unit;
        out.push(TAG_TIMESTAMP);
        out.extend_from_slice(&nanos.to_le_bytes());
    })
}

fn decimals<'a, T>(array: &'a dyn Array, scale: i8) -> Box<dyn EncodeRow + 'a>
where
    T: ArrowPrimitiveType,
    T::Native: ToI256,
{
    typed(array.as_primitive::<T>(), move |v: T::Native, out| {
        out.push(TAG_DECIMAL);
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend_from_slice(&v.to_i256().to_le_bytes());
    })
}

/// Lossless widening of every decimal's unscaled value to `i256`.
trait ToI256 {
    fn to_i256(self) -> i256;
}

impl ToI256 for i32 {
    fn to_i256(self) -> i256 {
        i256::from_i128(self.into())
    }
}

impl ToI256 for i64 {
    fn to_i256(self) -> i256 {
        i256::from_i128(self.into())
    }
}

impl ToI256 for i128 {
    fn to_i256(self) -> i256 {
        i256::from_i128(self)
    }
}

impl ToI256 for i256 {
    fn to_i256(self) -> i256 {
        self
    }
}

/// Rows of a dictionary column, encoded as the value each key points at, so
/// that a dictionary-encoded column hashes like its plain equivalent.
struct DictionaryRows<'a, K: ArrowPrimitiveType> {
    keys: &'a arrow::array::PrimitiveArray<K>,
    values: Box<dyn EncodeRow + 'a>,
}

impl<K: ArrowPrimitiveType> EncodeRow for DictionaryRows<'_, K> {
    fn encode_row(&self, row: usize, out: &mut Vec<u8>) {
        if self.keys.is_null(row) {
            out.push(TAG_NULL);
        } else {
            // Keys of a valid dictionary array index into its values.
            self.values.encode_row(self.keys.value(row).as_usize(), out);
        }
    }
}

fn dictionary<'a>(function: &str, array: &'a dyn Array) -> Result<Box<dyn EncodeRow + 'a>> {
    downcast_dictionary_array!(
        array => Ok(Box::new(DictionaryRows {
            keys: array.keys(),
            values: row_encoder(function, array.values().as_ref())?,
        })),
        other => not_impl_err!("{function} does not support {other} yet")
    )
}
