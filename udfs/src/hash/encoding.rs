//! The canonical byte encoding of SQL values that dfpack's stable hash
//! functions hash.
//!
//! This encoding is a **public contract**: hashes computed with it are stored
//! by users (partition keys, dedup keys, sampling), so the bytes produced for
//! a value must never change. Golden vectors in the tests of
//! [`stable_hash64`](mod@super::stable_hash64) and
//! [`stable_hash128`](mod@super::stable_hash128) pin it; a change that breaks
//! them is a breaking change of every stable hash, not a refactoring.
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
//! | `0x09` | `List`, `LargeList`, `ListView`, `LargeListView`, `FixedSizeList` | element count as `u64` (8 bytes), then each element's encoding |
//! | `0x0A` | `Struct`                                                | field count as `u64` (8 bytes), then for each field in order: its name's byte length as `u64` (8 bytes), the name's UTF-8 bytes, then the field value's encoding |
//! | `0x0B` | `Map`                                                   | entry count as `u64` (8 bytes), then for each entry in stored order: the key's encoding, then the value's encoding |
//! | `0x0C` | `Time32(unit)`, `Time64(unit)`                          | nanoseconds since midnight as `i64` (8 bytes) |
//! | `0x0D` | `Duration(unit)`                                        | nanoseconds as `i128` (16 bytes) |
//! | `0x0E` | `Interval(unit)`                                        | months as `i32` (4 bytes), days as `i32` (4 bytes), nanoseconds as `i64` (8 bytes) |
//!
//! `Dictionary(key, value)` has no tag of its own: a row is encoded as its
//! looked-up value (a null key encodes as `0x00`). Neither has
//! `RunEndEncoded(run_ends, values)`: a row is encoded as the value of the run
//! it falls in.
//!
//! Nested values nest their encodings: every element of a list, field of a
//! struct and key or value of a map is encoded by these same rules, null
//! elements included (as `0x00`). A null list, struct or map is `0x00` alone,
//! whatever its children hold at that position. For example the list
//! `[1, NULL]` is
//!
//! ```text
//! 09  02 00 00 00 00 00 00 00             two elements
//!     02  01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   1 as an i128
//!     00                                                    NULL
//! ```
//!
//! and the struct `{a: 'x'}` is
//!
//! ```text
//! 0A  01 00 00 00 00 00 00 00             one field
//!     01 00 00 00 00 00 00 00  61         its name, "a"
//!     04  01 00 00 00 00 00 00 00  78     its value, 'x'
//! ```
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
//! * Every list type is the same logical list: the offset width, a view's
//!   offsets and sizes and a fixed size are representation, so
//!   `[1, 2]` encodes identically as `List(Int32)`, `LargeList(Int64)`,
//!   `ListView(Int8)` or `FixedSizeList(2, UInt16)`. Lists carry their
//!   element count, so `[[1], [2, 3]]` and `[[1, 2], [3]]` differ, and the
//!   empty list (`0x09` and a zero count) differs from NULL.
//! * A struct's field names are part of its value, and so is their order:
//!   `{a: 1}` and `{b: 1}` differ, as do `{a: 1, b: 2}` and `{b: 2, a: 1}`.
//!   Field nullability and metadata are not encoded. A null struct (`0x00`)
//!   differs from a struct whose fields are all null.
//! * A map's entries are encoded in the order they are stored, without
//!   sorting: `{'a': 1, 'b': 2}` and `{'b': 2, 'a': 1}` differ. The names of
//!   the entries' key and value fields (`key`/`value`, `keys`/`values`) are
//!   representation and are not encoded.
//! * Times of every unit are converted to nanoseconds since midnight, so
//!   `Time32(Second)` and `Time64(Nanosecond)` of the same time are equal. A
//!   valid time (less than a day) always fits; an invalid
//!   `Time64(Microsecond)` beyond ±106 751 days wraps around in two's
//!   complement.
//! * Durations of every unit are converted to nanoseconds as `i128`, which
//!   holds every `i64` second count times 10⁹.
//! * Intervals keep their three components apart, without normalising them,
//!   as Arrow and DataFusion compare them: `1 month` and `30 days` differ. `YearMonth`
//!   intervals have zero days and nanoseconds, `DayTime` intervals zero
//!   months and their milliseconds times 10⁶ as nanoseconds, so the same
//!   interval encodes alike in every unit.
//!
//! `Union` is rejected with a "not implemented" error: whether the variant a
//! value was stored under is part of the value is not settled, and an
//! encoding given now could not be changed later. Extract a variant first
//! (`union_extract`).

use arrow::array::{
    Array, ArrayAccessor, AsArray, OffsetSizeTrait, downcast_dictionary_array, downcast_run_array,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    ArrowNativeType, ArrowPrimitiveType, DataType, Date32Type, Date64Type, Decimal32Type,
    Decimal64Type, Decimal128Type, Decimal256Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, IntervalDayTime, IntervalDayTimeType,
    IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit, IntervalYearMonthType,
    RunEndIndexType, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion_common::{Result, ScalarValue, not_impl_err};

use crate::decimal::ToI256;

const TAG_NULL: u8 = 0x00;
const TAG_BOOLEAN: u8 = 0x01;
const TAG_INTEGER: u8 = 0x02;
const TAG_FLOAT: u8 = 0x03;
const TAG_STRING: u8 = 0x04;
const TAG_BINARY: u8 = 0x05;
const TAG_DATE: u8 = 0x06;
const TAG_TIMESTAMP: u8 = 0x07;
const TAG_DECIMAL: u8 = 0x08;
const TAG_LIST: u8 = 0x09;
const TAG_STRUCT: u8 = 0x0A;
const TAG_MAP: u8 = 0x0B;
const TAG_TIME: u8 = 0x0C;
const TAG_DURATION: u8 = 0x0D;
const TAG_INTERVAL: u8 = 0x0E;

/// The one NaN bit pattern every NaN is encoded as. Spelled out rather than
/// taken from `f64::NAN`, whose bit pattern Rust does not promise.
const CANONICAL_NAN_BITS: u64 = 0x7FF8_0000_0000_0000;

const MILLISECONDS_PER_DAY: i64 = 86_400_000;

/// Nanoseconds per second, millisecond and microsecond.
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_MILLISECOND: i64 = 1_000_000;
const NANOS_PER_MICROSECOND: i64 = 1_000;

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
        DataType::Time32(unit) | DataType::Time64(unit) => times(function, array, unit)?,
        DataType::Duration(unit) => durations(array, unit),
        DataType::Interval(unit) => intervals(array, unit),
        DataType::List(_) => list::<i32>(function, array)?,
        DataType::LargeList(_) => list::<i64>(function, array)?,
        DataType::ListView(_) => list_view::<i32>(function, array)?,
        DataType::LargeListView(_) => list_view::<i64>(function, array)?,
        DataType::FixedSizeList(_, _) => fixed_size_list(function, array)?,
        DataType::Map(_, _) => map(function, array)?,
        DataType::Struct(_) => structs(function, array)?,
        DataType::Dictionary(_, _) => dictionary(function, array)?,
        DataType::RunEndEncoded(_, _) => run_end_encoded(function, array)?,
        DataType::Union(_, _) => {
            return not_impl_err!(
                "{function} does not support {} yet: whether a union's variant is part of \
                 its value is not settled; extract a variant first (union_extract)",
                array.data_type()
            );
        }
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

fn times<'a>(
    function: &str,
    array: &'a dyn Array,
    unit: &TimeUnit,
) -> Result<Box<dyn EncodeRow + 'a>> {
    Ok(match (array.data_type(), unit) {
        (DataType::Time32(_), TimeUnit::Second) => {
            typed(array.as_primitive::<Time32SecondType>(), |v: i32, out| {
                encode_time(i64::from(v) * NANOS_PER_SECOND, out)
            })
        }
        (DataType::Time32(_), TimeUnit::Millisecond) => typed(
            array.as_primitive::<Time32MillisecondType>(),
            |v: i32, out| encode_time(i64::from(v) * NANOS_PER_MILLISECOND, out),
        ),
        (DataType::Time64(_), TimeUnit::Microsecond) => typed(
            array.as_primitive::<Time64MicrosecondType>(),
            // Wraps only for invalid times, documented in the module.
            |v: i64, out| encode_time(v.wrapping_mul(NANOS_PER_MICROSECOND), out),
        ),
        (DataType::Time64(_), TimeUnit::Nanosecond) => {
            typed(array.as_primitive::<Time64NanosecondType>(), encode_time)
        }
        // Arrow has no arrays of these types (Time32 is in seconds or
        // milliseconds, Time64 in microseconds or nanoseconds).
        (other, _) => return not_impl_err!("{function} does not support {other}"),
    })
}

fn encode_time(nanos: i64, out: &mut Vec<u8>) {
    out.push(TAG_TIME);
    out.extend_from_slice(&nanos.to_le_bytes());
}

fn durations<'a>(array: &'a dyn Array, unit: &TimeUnit) -> Box<dyn EncodeRow + 'a> {
    match unit {
        TimeUnit::Second => duration_column::<DurationSecondType>(array, NANOS_PER_SECOND),
        TimeUnit::Millisecond => {
            duration_column::<DurationMillisecondType>(array, NANOS_PER_MILLISECOND)
        }
        TimeUnit::Microsecond => {
            duration_column::<DurationMicrosecondType>(array, NANOS_PER_MICROSECOND)
        }
        TimeUnit::Nanosecond => duration_column::<DurationNanosecondType>(array, 1),
    }
}

fn duration_column<'a, T>(array: &'a dyn Array, nanos_per_unit: i64) -> Box<dyn EncodeRow + 'a>
where
    T: ArrowPrimitiveType<Native = i64>,
{
    typed(array.as_primitive::<T>(), move |v: i64, out| {
        // Cannot overflow: |i64| * 10^9 < 2^93.
        let nanos = i128::from(v) * i128::from(nanos_per_unit);
        out.push(TAG_DURATION);
        out.extend_from_slice(&nanos.to_le_bytes());
    })
}

fn intervals<'a>(array: &'a dyn Array, unit: &IntervalUnit) -> Box<dyn EncodeRow + 'a> {
    match unit {
        IntervalUnit::YearMonth => typed(
            array.as_primitive::<IntervalYearMonthType>(),
            |months: i32, out| encode_interval(months, 0, 0, out),
        ),
        IntervalUnit::DayTime => typed(
            array.as_primitive::<IntervalDayTimeType>(),
            |v: IntervalDayTime, out| {
                // Cannot overflow: |i32| * 10^6 < 2^51.
                let nanos = i64::from(v.milliseconds) * NANOS_PER_MILLISECOND;
                encode_interval(0, v.days, nanos, out)
            },
        ),
        IntervalUnit::MonthDayNano => typed(
            array.as_primitive::<IntervalMonthDayNanoType>(),
            |v: IntervalMonthDayNano, out| encode_interval(v.months, v.days, v.nanoseconds, out),
        ),
    }
}

fn encode_interval(months: i32, days: i32, nanos: i64, out: &mut Vec<u8>) {
    out.push(TAG_INTERVAL);
    out.extend_from_slice(&months.to_le_bytes());
    out.extend_from_slice(&days.to_le_bytes());
    out.extend_from_slice(&nanos.to_le_bytes());
}

fn encode_count(count: usize, out: &mut Vec<u8>) {
    // usize -> u64 is lossless on every platform Rust supports.
    out.extend_from_slice(&(count as u64).to_le_bytes());
}

fn is_null(nulls: Option<&NullBuffer>, row: usize) -> bool {
    nulls.is_some_and(|nulls| nulls.is_null(row))
}

fn list<'a, O: OffsetSizeTrait>(
    function: &str,
    array: &'a dyn Array,
) -> Result<Box<dyn EncodeRow + 'a>> {
    let list = array.as_list::<O>();
    // The offsets of a sliced list are sliced too, and index the whole
    // child array.
    let offsets = list.value_offsets();
    let elements = row_encoder(function, list.values().as_ref())?;
    Ok(sequence(TAG_LIST, list.nulls(), elements, move |row| {
        let start = offsets[row].as_usize();
        (start, offsets[row + 1].as_usize() - start)
    }))
}

fn list_view<'a, O: OffsetSizeTrait>(
    function: &str,
    array: &'a dyn Array,
) -> Result<Box<dyn EncodeRow + 'a>> {
    let list = array.as_list_view::<O>();
    let (offsets, sizes) = (list.value_offsets(), list.value_sizes());
    let elements = row_encoder(function, list.values().as_ref())?;
    Ok(sequence(TAG_LIST, list.nulls(), elements, move |row| {
        (offsets[row].as_usize(), sizes[row].as_usize())
    }))
}

fn fixed_size_list<'a>(function: &str, array: &'a dyn Array) -> Result<Box<dyn EncodeRow + 'a>> {
    let list = array.as_fixed_size_list();
    // A slice of a fixed-size list slices its values too, so row `row`
    // starts at `row * size` of `values()`.
    let size = list.value_length().as_usize();
    let elements = row_encoder(function, list.values().as_ref())?;
    Ok(sequence(TAG_LIST, list.nulls(), elements, move |row| {
        (row * size, size)
    }))
}

fn map<'a>(function: &str, array: &'a dyn Array) -> Result<Box<dyn EncodeRow + 'a>> {
    let map = array.as_map();
    let offsets = map.value_offsets();
    let entries = Box::new(MapEntries {
        keys: row_encoder(function, map.keys().as_ref())?,
        values: row_encoder(function, map.values().as_ref())?,
    });
    Ok(sequence(TAG_MAP, map.nulls(), entries, move |row| {
        let start = offsets[row].as_usize();
        (start, offsets[row + 1].as_usize() - start)
    }))
}

/// Rows of every list type and of maps: a tag, the element count, then each
/// element. `range` gives a valid row's first element index in `elements` and
/// its element count; it is the only part that differs between list layouts.
struct Sequence<'a, F> {
    tag: u8,
    nulls: Option<&'a NullBuffer>,
    elements: Box<dyn EncodeRow + 'a>,
    range: F,
}

impl<F: Fn(usize) -> (usize, usize)> EncodeRow for Sequence<'_, F> {
    fn encode_row(&self, row: usize, out: &mut Vec<u8>) {
        if is_null(self.nulls, row) {
            out.push(TAG_NULL);
            return;
        }
        let (start, count) = (self.range)(row);
        out.push(self.tag);
        encode_count(count, out);
        for element in start..start + count {
            self.elements.encode_row(element, out);
        }
    }
}

fn sequence<'a, F>(
    tag: u8,
    nulls: Option<&'a NullBuffer>,
    elements: Box<dyn EncodeRow + 'a>,
    range: F,
) -> Box<dyn EncodeRow + 'a>
where
    F: Fn(usize) -> (usize, usize) + 'a,
{
    Box::new(Sequence {
        tag,
        nulls,
        elements,
        range,
    })
}

/// The elements of a map: entry `i` is key `i`, then value `i`.
struct MapEntries<'a> {
    keys: Box<dyn EncodeRow + 'a>,
    values: Box<dyn EncodeRow + 'a>,
}

impl EncodeRow for MapEntries<'_> {
    fn encode_row(&self, entry: usize, out: &mut Vec<u8>) {
        self.keys.encode_row(entry, out);
        self.values.encode_row(entry, out);
    }
}

/// Rows of a struct column. The field count and each field's encoded name
/// are computed once, so a row only copies them between its field values.
struct StructRows<'a> {
    nulls: Option<&'a NullBuffer>,
    fields: Vec<(Vec<u8>, Box<dyn EncodeRow + 'a>)>,
}

impl EncodeRow for StructRows<'_> {
    fn encode_row(&self, row: usize, out: &mut Vec<u8>) {
        if is_null(self.nulls, row) {
            out.push(TAG_NULL);
            return;
        }
        out.push(TAG_STRUCT);
        encode_count(self.fields.len(), out);
        for (name, value) in &self.fields {
            out.extend_from_slice(name);
            value.encode_row(row, out);
        }
    }
}

fn structs<'a>(function: &str, array: &'a dyn Array) -> Result<Box<dyn EncodeRow + 'a>> {
    let array = array.as_struct();
    // A slice of a struct slices its children, so they are indexed by the
    // struct's own rows.
    let fields = array
        .fields()
        .iter()
        .zip(array.columns())
        .map(|(field, column)| {
            let name = field.name().as_bytes();
            let mut encoded_name = Vec::with_capacity(8 + name.len());
            encode_count(name.len(), &mut encoded_name);
            encoded_name.extend_from_slice(name);
            Ok((encoded_name, row_encoder(function, column.as_ref())?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Box::new(StructRows {
        nulls: array.nulls(),
        fields,
    }))
}

/// Rows of a run-end encoded column, encoded as the value of their run so
/// that it hashes like its plain equivalent. Nulls are null values of runs.
struct RunRows<'a, R: RunEndIndexType> {
    array: &'a arrow::array::RunArray<R>,
    values: Box<dyn EncodeRow + 'a>,
}

impl<R: RunEndIndexType> EncodeRow for RunRows<'_, R> {
    fn encode_row(&self, row: usize, out: &mut Vec<u8>) {
        // A binary search over the runs; it accounts for the array's offset.
        self.values
            .encode_row(self.array.get_physical_index(row), out);
    }
}

fn run_end_encoded<'a>(function: &str, array: &'a dyn Array) -> Result<Box<dyn EncodeRow + 'a>> {
    downcast_run_array!(
        array => Ok(Box::new(RunRows {
            array,
            values: row_encoder(function, array.values().as_ref())?,
        })),
        other => not_impl_err!("{function} does not support {other} yet")
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, DictionaryArray, DurationSecondArray, FixedSizeListArray, Int8Array,
        Int32Array, Int64Array, IntervalDayTimeArray, IntervalMonthDayNanoArray,
        IntervalYearMonthArray, ListArray, ListViewArray, MapArray, RunArray, StringArray,
        StructArray, Time32SecondArray, UInt16Array,
    };
    use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
    use arrow::compute::cast;
    use arrow::datatypes::{
        DataType, Field, Fields, Int32Type, Int64Type, IntervalDayTime, IntervalMonthDayNano,
        TimeUnit,
    };

    use super::ValueEncoder;
    use crate::hash::test_util::random_columns;
    use crate::test_support::XorShift;

    /// The encoding of every row of `array`, each on its own.
    fn encode_rows(array: &dyn Array) -> Vec<Vec<u8>> {
        let encoder = ValueEncoder::try_new("test", array).unwrap();
        (0..array.len())
            .map(|row| {
                let mut out = Vec::new();
                encoder.append(row, &mut out);
                out
            })
            .collect()
    }

    fn list_field(item: DataType) -> Arc<Field> {
        Arc::new(Field::new_list_field(item, true))
    }

    /// Every array in `others` encodes row for row like `expected`.
    fn assert_encode_alike(expected: &dyn Array, others: &[ArrayRef]) {
        let expected_rows = encode_rows(expected);
        for other in others {
            assert_eq!(
                encode_rows(other.as_ref()),
                expected_rows,
                "{} vs {}",
                other.data_type(),
                expected.data_type()
            );
        }
    }

    /// `[[1, 2], NULL, [], [3, NULL]]`, its null row holding garbage
    /// children the encoding must not look at.
    fn int32_lists() -> ListArray {
        ListArray::new(
            list_field(DataType::Int32),
            OffsetBuffer::new(vec![0, 2, 4, 4, 6].into()),
            Arc::new(Int32Array::from(vec![
                Some(1),
                Some(2),
                Some(99),
                Some(98),
                Some(3),
                None,
            ])),
            Some(NullBuffer::from(vec![true, false, true, true])),
        )
    }

    #[test]
    fn every_list_layout_encodes_alike() {
        let list = int32_lists();
        let array: &dyn Array = &list;
        let others: Vec<ArrayRef> = [
            DataType::LargeList(list_field(DataType::Int64)),
            DataType::ListView(list_field(DataType::Int8)),
            DataType::LargeListView(list_field(DataType::UInt16)),
        ]
        .iter()
        .map(|target| cast(array, target).unwrap())
        .collect();
        // A hand-made view whose rows point backwards into shared values.
        let view = ListViewArray::new(
            list_field(DataType::Int32),
            ScalarBuffer::from(vec![3, 0, 0, 1]),
            ScalarBuffer::from(vec![2, 0, 0, 2]),
            Arc::new(Int32Array::from(vec![
                Some(7),
                Some(3),
                None,
                Some(1),
                Some(2),
            ])),
            Some(NullBuffer::from(vec![true, false, true, true])),
        );
        let expected_view = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
            Some(vec![]),
            Some(vec![Some(3), None]),
        ]);
        assert_encode_alike(&list, &others);
        assert_encode_alike(&expected_view, &[Arc::new(view)]);

        // Float lists are not integer lists.
        let floats = cast(array, &DataType::List(list_field(DataType::Float64))).unwrap();
        assert_ne!(encode_rows(floats.as_ref())[0], encode_rows(array)[0]);
    }

    #[test]
    fn fixed_size_lists_encode_like_lists() {
        let fixed = FixedSizeListArray::new(
            list_field(DataType::UInt16),
            2,
            Arc::new(UInt16Array::from(vec![
                Some(1),
                Some(2),
                Some(5),
                Some(5),
                Some(3),
                None,
            ])),
            Some(NullBuffer::from(vec![true, false, true])),
        );
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
            Some(vec![Some(3), None]),
        ]);
        assert_encode_alike(&list, &[Arc::new(fixed.clone())]);
        // Sliced: the slice's rows are its own.
        assert_encode_alike(&list.slice(1, 2), &[Arc::new(fixed.slice(1, 2))]);
    }

    #[test]
    fn string_representations_inside_lists_encode_alike() {
        let strings = ListArray::new(
            list_field(DataType::Utf8),
            OffsetBuffer::from_lengths([2, 0, 1]),
            Arc::new(StringArray::from(vec![Some("a"), None, Some("日本")])),
            None,
        );
        let array: &dyn Array = &strings;
        let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let others: Vec<ArrayRef> = [
            DataType::List(list_field(DataType::Utf8View)),
            DataType::List(list_field(DataType::LargeUtf8)),
            DataType::LargeList(list_field(dictionary.clone())),
            DataType::ListView(list_field(DataType::Utf8View)),
        ]
        .iter()
        .map(|target| cast(array, target).unwrap())
        .collect();
        assert_encode_alike(array, &others);

        // And a dictionary of lists is its lists.
        let keys = Int32Array::from(vec![Some(2), None, Some(0), Some(2)]);
        let dictionary_of_lists =
            DictionaryArray::try_new(keys, Arc::new(strings.clone())).unwrap();
        let expected = ListArray::new(
            list_field(DataType::Utf8),
            OffsetBuffer::from_lengths([1, 0, 2, 1]),
            Arc::new(StringArray::from(vec![
                Some("日本"),
                Some("a"),
                None,
                Some("日本"),
            ])),
            Some(NullBuffer::from(vec![true, false, true, true])),
        );
        assert_encode_alike(&expected, &[Arc::new(dictionary_of_lists)]);
    }

    fn struct_array(fields: Vec<(&str, ArrayRef)>, nulls: Option<NullBuffer>) -> StructArray {
        let (fields, columns): (Vec<_>, Vec<_>) = fields
            .into_iter()
            .map(|(name, column)| (Field::new(name, column.data_type().clone(), true), column))
            .unzip();
        StructArray::new(Fields::from(fields), columns, nulls)
    }

    #[test]
    fn struct_field_representations_encode_alike() {
        let names: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None, Some("y")]));
        let numbers: ArrayRef = Arc::new(Int8Array::from(vec![Some(1), Some(2), None]));
        let nulls = Some(NullBuffer::from(vec![true, true, false]));
        let expected = struct_array(
            vec![("n", Arc::clone(&names)), ("i", Arc::clone(&numbers))],
            nulls.clone(),
        );
        let view = cast(&names, &DataType::Utf8View).unwrap();
        let dictionary = cast(
            &names,
            &DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
        )
        .unwrap();
        let wide = cast(&numbers, &DataType::Int64).unwrap();
        let others: Vec<ArrayRef> = vec![
            Arc::new(struct_array(
                vec![("n", view), ("i", Arc::clone(&wide))],
                nulls.clone(),
            )),
            Arc::new(struct_array(
                vec![("n", dictionary), ("i", wide)],
                nulls.clone(),
            )),
        ];
        assert_encode_alike(&expected, &others);

        // Names and their order are part of the value.
        let renamed = struct_array(
            vec![("m", Arc::clone(&names)), ("i", Arc::clone(&numbers))],
            nulls.clone(),
        );
        let swapped = struct_array(
            vec![("i", Arc::clone(&numbers)), ("n", Arc::clone(&names))],
            nulls,
        );
        let expected_rows = encode_rows(&expected);
        assert_ne!(encode_rows(&renamed)[0], expected_rows[0]);
        assert_ne!(encode_rows(&swapped)[0], expected_rows[0]);
        // A null struct is the null tag, whatever its children hold.
        assert_eq!(expected_rows[2], vec![0x00]);
    }

    #[test]
    fn null_containers_differ_from_empty_and_all_null_ones() {
        let lists = int32_lists();
        let rows = encode_rows(&lists);
        assert_eq!(rows[1], vec![0x00], "a null list");
        assert_eq!(rows[2], [vec![0x09], 0u64.to_le_bytes().to_vec()].concat());

        let all_null_fields = struct_array(
            vec![(
                "a",
                Arc::new(Int32Array::from(vec![None, None])) as ArrayRef,
            )],
            Some(NullBuffer::from(vec![true, false])),
        );
        let rows = encode_rows(&all_null_fields);
        assert_ne!(rows[0], rows[1]);
        assert_eq!(rows[1], vec![0x00]);
    }

    /// A one-row map `{'a': 1, 'b': NULL}` whose entry fields are named
    /// `key_name` and `value_name`, with Int64 or Int32 values.
    fn map(key_name: &str, value_name: &str, wide: bool) -> MapArray {
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        let values: ArrayRef = if wide {
            Arc::new(Int64Array::from(vec![Some(1), None]))
        } else {
            Arc::new(Int32Array::from(vec![Some(1), None]))
        };
        let entries = StructArray::new(
            Fields::from(vec![
                Field::new(key_name, DataType::Utf8, false),
                Field::new(value_name, values.data_type().clone(), true),
            ]),
            vec![keys, values],
            None,
        );
        let field = Arc::new(Field::new("entries", entries.data_type().clone(), false));
        MapArray::try_new(field, OffsetBuffer::from_lengths([2]), entries, None, false).unwrap()
    }

    #[test]
    fn map_entry_names_and_value_widths_are_representation() {
        let expected = map("key", "value", true);
        assert_encode_alike(
            &expected,
            &[
                Arc::new(map("keys", "values", true)),
                Arc::new(map("k", "v", false)),
            ],
        );
        let mut bytes = vec![0x0B];
        bytes.extend_from_slice(&2u64.to_le_bytes());
        for (key, value) in [("a", Some(1i128)), ("b", None)] {
            bytes.push(0x04);
            bytes.extend_from_slice(&1u64.to_le_bytes());
            bytes.extend_from_slice(key.as_bytes());
            match value {
                Some(v) => {
                    bytes.push(0x02);
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
                None => bytes.push(0x00),
            }
        }
        assert_eq!(encode_rows(&expected), vec![bytes]);
    }

    #[test]
    fn run_end_encoded_values_encode_like_plain_ones() {
        let plain = StringArray::from(vec![Some("a"), Some("a"), None, None, Some("b"), Some("a")]);
        let runs: RunArray<Int32Type> = plain.iter().collect();
        assert_encode_alike(&plain, &[Arc::new(runs.clone())]);
        assert_encode_alike(&plain.slice(1, 4), &[Arc::new(runs.slice(1, 4))]);
    }

    #[test]
    fn time_duration_and_interval_units_encode_alike() {
        let seconds: ArrayRef =
            Arc::new(Time32SecondArray::from(vec![Some(45_296), None, Some(0)]));
        let others: Vec<ArrayRef> = [
            DataType::Time32(TimeUnit::Millisecond),
            DataType::Time64(TimeUnit::Microsecond),
            DataType::Time64(TimeUnit::Nanosecond),
        ]
        .iter()
        .map(|target| cast(&seconds, target).unwrap())
        .collect();
        assert_encode_alike(seconds.as_ref(), &others);

        let durations: ArrayRef = Arc::new(DurationSecondArray::from(vec![Some(-90), None]));
        let others: Vec<ArrayRef> = [
            TimeUnit::Millisecond,
            TimeUnit::Microsecond,
            TimeUnit::Nanosecond,
        ]
        .into_iter()
        .map(|unit| cast(&durations, &DataType::Duration(unit)).unwrap())
        .collect();
        assert_encode_alike(durations.as_ref(), &others);

        let month_day_nano = IntervalMonthDayNanoArray::from(vec![
            Some(IntervalMonthDayNano::new(0, 3, 250_000_000)),
            Some(IntervalMonthDayNano::new(14, 0, 0)),
            None,
        ]);
        let day_time =
            IntervalDayTimeArray::from(vec![Some(IntervalDayTime::new(3, 250)), None, None]);
        let year_month = IntervalYearMonthArray::from(vec![None, Some(14), None]);
        let expected = encode_rows(&month_day_nano);
        let day_time_rows = encode_rows(&day_time);
        let year_month_rows = encode_rows(&year_month);
        assert_eq!(day_time_rows[0], expected[0]);
        assert_eq!(year_month_rows[1], expected[1]);
        assert_eq!(day_time_rows[2], vec![0x00]);

        // One month is not thirty days.
        let month = IntervalMonthDayNanoArray::from(vec![
            IntervalMonthDayNano::new(1, 0, 0),
            IntervalMonthDayNano::new(0, 30, 0),
        ]);
        let rows = encode_rows(&month);
        assert_ne!(rows[0], rows[1]);
    }

    /// Slicing any column, nested ones included, leaves each row's encoding
    /// as it was: the encoders honour every offset.
    #[test]
    fn slices_encode_their_rows_like_the_whole() {
        let mut rng = XorShift::new(0x51_1CE5);
        for _ in 0..20 {
            let rows = 1 + rng.below(40);
            for column in random_columns(&mut rng, rows) {
                let whole = encode_rows(column.as_ref());
                let start = rng.below(rows);
                let len = rng.below(rows - start + 1);
                let slice = column.slice(start, len);
                assert_eq!(
                    encode_rows(slice.as_ref()),
                    whole[start..start + len].to_vec(),
                    "{}",
                    column.data_type()
                );
                for target in [
                    DataType::LargeList(list_field(DataType::Int64)),
                    DataType::ListView(list_field(DataType::Int64)),
                ] {
                    if matches!(column.data_type(), DataType::List(_)) {
                        let other = cast(&slice, &target).unwrap();
                        assert_eq!(
                            encode_rows(other.as_ref()),
                            whole[start..start + len].to_vec()
                        );
                    }
                }
            }
        }
    }
}
