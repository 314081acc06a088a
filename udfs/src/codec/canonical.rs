//! The canonical MessagePack form of Arrow values: dfpack's one definition of
//! "the bytes of a value".
//!
//! Every value has exactly **one** encoding, which depends only on the
//! logical value, never on its physical Arrow representation: `5` as `Int8`
//! or `UInt64`, `'a'` as `Utf8`, `LargeUtf8`, `Utf8View` or dictionary
//! encoded, a list as `List` or `LargeList`, a struct whatever the order of its
//! fields. The encoding is valid [MessagePack], so any MessagePack library can
//! read it, and it is what [`canonical_fingerprint`](super::canonical_fingerprint)
//! hashes and [`msgpack_encode`](super::msgpack_encode) returns.
//!
//! This is a **public contract**: fingerprints and cache keys derived from it
//! are stored, so the bytes of a value must never change. The golden vectors
//! in this module's tests pin it; a change that breaks them is a breaking
//! change, not a refactoring.
//!
//! This module maps Arrow values onto MessagePack items; the bytes of each
//! item (ints, floats, lengths, ext headers), the order of map entries and
//! the digest come from [`dfpack_common::canonical`], the pack's one hashing
//! module, which contract payloads (`dfpack-contracts`) are encoded with too.
//!
//! # The form (version 1)
//!
//! | Arrow type | MessagePack |
//! |---|---|
//! | null of any type, every row of `Null` | nil (`c0`) |
//! | `Boolean` | false `c2` / true `c3` |
//! | `Int8` … `Int64`, `UInt8` … `UInt64` | int, in the shortest form (below) |
//! | `Float16`, `Float32`, `Float64` | float 64 (`cb` + 8 bytes), always |
//! | `Utf8`, `LargeUtf8`, `Utf8View` | str (fixstr, str 8, str 16 or str 32: the shortest) |
//! | `Binary`, `LargeBinary`, `BinaryView`, `FixedSizeBinary` | bin (bin 8, 16 or 32: the shortest) |
//! | `Dictionary(_, V)`, `RunEndEncoded(_, V)` | the encoding of the value (of type `V`) |
//! | `List`, `LargeList`, `ListView`, `LargeListView`, `FixedSizeList` | array (fixarray, array 16 or 32) of the elements, in order |
//! | `Struct` | map (fixmap, map 16 or 32) from field name (str) to field value, entries sorted (below) |
//! | `Map` | map from key to value, entries sorted (below) |
//! | `Timestamp(unit, tz)` | ext type **-1**, the standard MessagePack timestamp (below) |
//! | `Date32`, `Date64` | ext type **1**: days since 1970-01-01 as `i64` |
//! | `Time32`, `Time64` | ext type **2**: nanoseconds since midnight as `i64` |
//! | `Duration(unit)` | ext type **3**: nanoseconds as `i128` |
//! | `Interval(unit)` | ext type **4**: months `i32`, days `i32`, nanoseconds `i64` |
//! | `Decimal32` … `Decimal256` | ext type **5**: scale `i8`, then the unscaled value (below) |
//!
//! Every multi-byte number, in headers and in ext payloads, is big-endian, as
//! MessagePack requires. Ext type 0 and 6…127 are reserved for later versions.
//!
//! Rules that make the encoding unique:
//!
//! * **Integers** use the shortest MessagePack int that holds the value (the
//!   choice rmp's `write_uint` / `write_sint` make too): positive fixint for 0…127,
//!   negative fixint for -32…-1, then uint 8/16/32/64 for larger non-negative
//!   values and int 8/16/32/64 for smaller negative ones. Signedness and width
//!   of the Arrow type do not matter: `Int8 5`, `Int64 5` and `UInt64 5` are
//!   all `05`; `200` is `cc c8` whatever its type.
//! * **Floats** are widened to `f64` (exactly). `-0.0` is written as `0.0`,
//!   and every NaN as the single bit pattern `7ff8000000000000`. A float is
//!   never written as an int, even when it holds an integral value: `1.0` is
//!   `cb 3ff0000000000000`, which differs from `1` (`01`).
//! * **Lengths** (str, bin, array, map) use the shortest header that holds
//!   them. A value longer than MessagePack allows (2³² - 1 bytes or
//!   elements) is an error, not truncated.
//! * **Struct and map entries** are sorted by the bytes of their encoded key,
//!   compared bytewise (shorter first when one is a prefix of the other, which
//!   cannot happen between distinct keys since MessagePack values are
//!   self-delimiting). This is *not* plain string order: the header comes
//!   first, so `"b"` (`a1 62`) sorts before `"aa"` (`a2 61 61`). Entries whose
//!   keys are equal (a map with duplicate keys, a struct with duplicate field
//!   names) are all kept, ordered by the bytes of their encoded value. A
//!   struct and a map with the same names and values encode identically. A
//!   struct field whose value is null is written with a nil value, not
//!   omitted.
//! * **Ext** headers are the shortest that hold the payload: fixext 1/2/4/8/16
//!   when the payload has exactly that length, else ext 8 (then ext 16, 32).
//!
//! Ext payloads:
//!
//! * **Timestamp (-1)** is the MessagePack standard timestamp of the instant:
//!   `seconds` since 1970-01-01T00:00:00Z rounded towards negative infinity,
//!   and `nanoseconds` in `0..10⁹`. In its shortest form: *timestamp 32*
//!   (fixext 4, `seconds` as `u32`) when `nanoseconds` is 0 and `seconds` fits
//!   in `u32`; else *timestamp 64* (fixext 8, `nanoseconds << 34 | seconds` as
//!   `u64`) when `seconds` is in `0..2³⁴`; else *timestamp 96* (ext 8 of 12
//!   bytes: `nanoseconds` as `u32`, then `seconds` as `i64`). The unit does not
//!   matter, and **the timezone is not encoded**: it does not change the
//!   instant. A timestamp without a timezone is taken as UTC.
//! * **Date (1)**: fixext 8, days since 1970-01-01 as `i64`. `Date64`
//!   milliseconds are converted to days rounding towards negative infinity,
//!   so a `Date64` holding a whole day equals the `Date32` of that day.
//! * **Time (2)**: fixext 8, nanoseconds since midnight as `i64`, whatever the
//!   unit. A `Time64(Microsecond)` too large for nanoseconds in an `i64`
//!   (never a valid time of day) is an error.
//! * **Duration (3)**: fixext 16, the duration in nanoseconds as `i128`,
//!   whatever the unit (every `i64` of seconds fits).
//! * **Interval (4)**: fixext 16: months as `i32`, days as `i32`, nanoseconds
//!   as `i64`. `YearMonth` fills only months; `DayTime` fills days and
//!   milliseconds × 10⁶. The parts are not normalised into one another (a
//!   month is not a fixed number of days, nor a day of nanoseconds), so `1
//!   day` and `24 hours` differ, as they do in SQL arithmetic.
//! * **Decimal (5)**: the scale as `i8`, then the unscaled value as big-endian
//!   two's complement in the fewest bytes that hold it (at least one: `0` is
//!   `00`, `-1` is `ff`, `128` is `00 80`). The precision and the width of the
//!   Arrow type are not encoded; the scale is, so `1.50` (150 at scale 2) and
//!   `1.5` (15 at scale 1) differ.
//!
//! `Union` is not supported (an error naming the type).
//!
//! [MessagePack]: https://github.com/msgpack/msgpack/blob/master/spec.md
//!
//! # Use
//!
//! ```
//! use arrow::array::{ArrayRef, Int8Array};
//! use dfpack_udfs::codec::canonical::CanonicalEncoder;
//! use std::sync::Arc;
//!
//! let column: ArrayRef = Arc::new(Int8Array::from(vec![Some(5), None]));
//! let encoder = CanonicalEncoder::try_new("example", column.as_ref()).unwrap();
//! let mut bytes = Vec::new();
//! encoder.append(0, &mut bytes).unwrap();
//! encoder.append(1, &mut bytes).unwrap();
//! assert_eq!(bytes, [0x05, 0xc0]);
//! ```

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

use arrow::array::{
    Array, ArrayAccessor, AsArray, FixedSizeListArray, GenericListArray, GenericListViewArray,
    MapArray, OffsetSizeTrait, PrimitiveArray, RunArray, StructArray,
};
use arrow::datatypes::{
    ArrowDictionaryKeyType, ArrowNativeType, ArrowPrimitiveType, DataType, Date32Type, Date64Type,
    Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, IntervalDayTimeType,
    IntervalMonthDayNanoType, IntervalUnit, IntervalYearMonthType, RunEndIndexType,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type, i256,
};
use datafusion_common::{DataFusionError, Result, ScalarValue, exec_err};
use dfpack_common::canonical::{self, MapScratch, TooLong};

use crate::decimal::ToI256;

/// The MessagePack ext type codes of the canonical form.
pub mod ext_type {
    /// The standard MessagePack timestamp.
    pub const TIMESTAMP: i8 = -1;
    /// `Date32`, `Date64`: days since 1970-01-01 as `i64`.
    pub const DATE: i8 = 1;
    /// `Time32`, `Time64`: nanoseconds since midnight as `i64`.
    pub const TIME: i8 = 2;
    /// `Duration`: nanoseconds as `i128`.
    pub const DURATION: i8 = 3;
    /// `Interval`: months `i32`, days `i32`, nanoseconds `i64`.
    pub const INTERVAL: i8 = 4;
    /// `Decimal*`: scale `i8`, then the unscaled value in minimal two's complement.
    pub const DECIMAL: i8 = 5;
}

/// The encoding of a null (nil), and of every row of a `Null` column; and
/// the one NaN bit pattern every NaN is written as.
pub use dfpack_common::canonical::{CANONICAL_NAN_BITS, NIL};

const MILLISECONDS_PER_DAY: i64 = 86_400_000;
const NANOSECONDS_PER_SECOND: i64 = 1_000_000_000;

/// Appends the canonical encoding of rows of one column to a byte buffer.
///
/// Built once per column (and batch): the column, and every nested child, is
/// downcast to its concrete array type here, so encoding a row is a chain of
/// typed reads, never a [`ScalarValue`], and allocates nothing beyond the
/// output (maps and structs with duplicate names reuse a scratch buffer kept
/// in the encoder). An encoder is `Send` but not `Sync`: it can move to
/// another thread, but is used by one thread at a time.
pub struct CanonicalEncoder<'a> {
    context: String,
    data_type: &'a DataType,
    len: usize,
    root: Box<dyn Encode + 'a>,
}

impl fmt::Debug for CanonicalEncoder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanonicalEncoder")
            .field("context", &self.context)
            .field("data_type", self.data_type)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<'a> CanonicalEncoder<'a> {
    /// Prepares to encode rows of `array`.
    ///
    /// `context` (usually the calling SQL function's name) starts every error
    /// message. A type without a canonical form (`Union`, or a nested type
    /// containing one) is a "not implemented" error naming it.
    pub fn try_new(context: &str, array: &'a dyn Array) -> Result<Self> {
        let root = encoder(array).map_err(|unsupported| {
            let outer = array.data_type();
            if &unsupported == outer {
                DataFusionError::NotImplemented(format!(
                    "{context} does not support {outer}: it has no canonical MessagePack form"
                ))
            } else {
                DataFusionError::NotImplemented(format!(
                    "{context} does not support {unsupported} (in {outer}): it has no canonical MessagePack form"
                ))
            }
        })?;
        Ok(Self {
            context: context.to_string(),
            data_type: array.data_type(),
            len: array.len(),
            root,
        })
    }

    /// The number of rows of the column.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends the canonical encoding of `array[row]` to `out`.
    ///
    /// Errors (leaving `out` as it was) when `row` is out of bounds, or the
    /// value cannot be written: a string, binary, list or map longer than
    /// MessagePack allows, a dictionary key outside its values, or a time of
    /// day that overflows nanoseconds.
    #[inline]
    pub fn append(&self, row: usize, out: &mut Vec<u8>) -> Result<()> {
        if row >= self.len {
            return exec_err!(
                "{}: row {row} is out of bounds of a column of {} rows",
                self.context,
                self.len
            );
        }
        let start = out.len();
        self.root.encode(row, out).map_err(|error| {
            out.truncate(start);
            DataFusionError::Execution(format!(
                "{}: cannot encode a value of type {} as MessagePack: {error}",
                self.context, self.data_type
            ))
        })
    }
}

/// Returns an error unless values of `data_type` have a canonical form.
///
/// Lets a function reject an argument type while planning. It asks the same
/// code that encodes at execution (on an empty array), so planning and
/// execution cannot disagree on what is supported.
pub fn check_supported(context: &str, data_type: &DataType) -> Result<()> {
    let empty = arrow::array::new_empty_array(data_type);
    CanonicalEncoder::try_new(context, empty.as_ref()).map(|_| ())
}

/// Appends the canonical encoding of a single value to `out`.
pub fn encode_scalar(context: &str, value: &ScalarValue, out: &mut Vec<u8>) -> Result<()> {
    let array = value.to_array_of_size(1)?;
    CanonicalEncoder::try_new(context, array.as_ref())?.append(0, out)
}

/// Why a valid Arrow value could not be written.
#[derive(Debug)]
enum EncodeError {
    TooLong(TooLong),
    Overflow { what: &'static str, value: i64 },
    DictionaryKey { key: usize, values: usize },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong(too_long) => too_long.fmt(f),
            Self::Overflow { what, value } => {
                write!(f, "the {what} {value} overflows 64-bit nanoseconds")
            }
            Self::DictionaryKey { key, values } => write!(
                f,
                "dictionary key {key} is out of bounds of its {values} values"
            ),
        }
    }
}

impl From<TooLong> for EncodeError {
    fn from(too_long: TooLong) -> Self {
        Self::TooLong(too_long)
    }
}

type EncodeResult = std::result::Result<(), EncodeError>;

/// The type-erased per-row step: one virtual call per value, with the type
/// dispatch done once when the encoder was built. `Send`, so an encoder can
/// move between threads (between the awaits of a stream, say).
trait Encode: Send {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult;
}

/// Builds the encoder of `array`, or returns the (possibly nested) data type
/// that has no canonical form.
fn encoder<'a>(array: &'a dyn Array) -> std::result::Result<Box<dyn Encode + 'a>, DataType> {
    let encoder: Box<dyn Encode + 'a> = match array.data_type() {
        DataType::Null => Box::new(AllNil),
        DataType::Boolean => typed(array.as_boolean(), |v: bool, out| {
            canonical::write_bool(out, v);
            Ok(())
        }),
        DataType::Int8 => signed::<Int8Type>(array),
        DataType::Int16 => signed::<Int16Type>(array),
        DataType::Int32 => signed::<Int32Type>(array),
        DataType::Int64 => signed::<Int64Type>(array),
        DataType::UInt8 => unsigned::<UInt8Type>(array),
        DataType::UInt16 => unsigned::<UInt16Type>(array),
        DataType::UInt32 => unsigned::<UInt32Type>(array),
        DataType::UInt64 => unsigned::<UInt64Type>(array),
        DataType::Float16 => floats::<Float16Type>(array),
        DataType::Float32 => floats::<Float32Type>(array),
        DataType::Float64 => floats::<Float64Type>(array),
        DataType::Utf8 => typed(array.as_string::<i32>(), write_str),
        DataType::LargeUtf8 => typed(array.as_string::<i64>(), write_str),
        DataType::Utf8View => typed(array.as_string_view(), write_str),
        DataType::Binary => typed(array.as_binary::<i32>(), write_bin),
        DataType::LargeBinary => typed(array.as_binary::<i64>(), write_bin),
        DataType::BinaryView => typed(array.as_binary_view(), write_bin),
        DataType::FixedSizeBinary(_) => typed(array.as_fixed_size_binary(), write_bin),
        DataType::Date32 => typed(array.as_primitive::<Date32Type>(), |days: i32, out| {
            write_date(i64::from(days), out)
        }),
        DataType::Date64 => typed(array.as_primitive::<Date64Type>(), |ms: i64, out| {
            write_date(ms.div_euclid(MILLISECONDS_PER_DAY), out)
        }),
        DataType::Timestamp(unit, _) => timestamps(array, *unit),
        DataType::Time32(TimeUnit::Second) => times::<Time32SecondType>(array, 1_000_000_000),
        DataType::Time32(TimeUnit::Millisecond) => times::<Time32MillisecondType>(array, 1_000_000),
        DataType::Time64(TimeUnit::Microsecond) => times::<Time64MicrosecondType>(array, 1_000),
        DataType::Time64(TimeUnit::Nanosecond) => times::<Time64NanosecondType>(array, 1),
        DataType::Duration(unit) => durations(array, *unit),
        DataType::Interval(unit) => intervals(array, *unit),
        DataType::Decimal32(_, scale) => decimals::<Decimal32Type>(array, *scale),
        DataType::Decimal64(_, scale) => decimals::<Decimal64Type>(array, *scale),
        DataType::Decimal128(_, scale) => decimals::<Decimal128Type>(array, *scale),
        DataType::Decimal256(_, scale) => decimals::<Decimal256Type>(array, *scale),
        DataType::Dictionary(key, _) => match key.as_ref() {
            DataType::Int8 => dictionary::<Int8Type>(array)?,
            DataType::Int16 => dictionary::<Int16Type>(array)?,
            DataType::Int32 => dictionary::<Int32Type>(array)?,
            DataType::Int64 => dictionary::<Int64Type>(array)?,
            DataType::UInt8 => dictionary::<UInt8Type>(array)?,
            DataType::UInt16 => dictionary::<UInt16Type>(array)?,
            DataType::UInt32 => dictionary::<UInt32Type>(array)?,
            DataType::UInt64 => dictionary::<UInt64Type>(array)?,
            _ => return Err(array.data_type().clone()),
        },
        DataType::RunEndEncoded(run_ends, _) => match run_ends.data_type() {
            DataType::Int16 => run_end_encoded::<Int16Type>(array)?,
            DataType::Int32 => run_end_encoded::<Int32Type>(array)?,
            DataType::Int64 => run_end_encoded::<Int64Type>(array)?,
            _ => return Err(array.data_type().clone()),
        },
        DataType::List(_) => lists(array.as_list::<i32>())?,
        DataType::LargeList(_) => lists(array.as_list::<i64>())?,
        DataType::ListView(_) => list_views(array.as_list_view::<i32>())?,
        DataType::LargeListView(_) => list_views(array.as_list_view::<i64>())?,
        DataType::FixedSizeList(_, _) => fixed_size_lists(array.as_fixed_size_list())?,
        DataType::Struct(_) => structs(array.as_struct())?,
        DataType::Map(_, _) => maps(array.as_map())?,
        other => return Err(other.clone()),
    };
    Ok(encoder)
}

/// Rows of a `Null` column. Its arrays carry no validity buffer, so the
/// generic null check of [`Typed`] would not see them as null.
struct AllNil;

impl Encode for AllNil {
    fn encode(&self, _row: usize, out: &mut Vec<u8>) -> EncodeResult {
        out.push(NIL);
        Ok(())
    }
}

/// Rows of any array with typed element access: null rows are nil, valid ones
/// go through `write`, which the compiler inlines per type.
struct Typed<A, F> {
    array: A,
    write: F,
}

impl<A, F> Encode for Typed<A, F>
where
    A: ArrayAccessor + Send,
    F: Fn(A::Item, &mut Vec<u8>) -> EncodeResult + Send,
{
    #[inline]
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.array.is_null(row) {
            out.push(NIL);
            Ok(())
        } else {
            (self.write)(self.array.value(row), out)
        }
    }
}

fn typed<'a, A, F>(array: A, write: F) -> Box<dyn Encode + 'a>
where
    A: ArrayAccessor + Send + 'a,
    F: Fn(A::Item, &mut Vec<u8>) -> EncodeResult + Send + 'a,
{
    Box::new(Typed { array, write })
}

fn signed<'a, T>(array: &'a dyn Array) -> Box<dyn Encode + 'a>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    typed(array.as_primitive::<T>(), |v: T::Native, out| {
        canonical::write_sint(out, v.into());
        Ok(())
    })
}

fn unsigned<'a, T>(array: &'a dyn Array) -> Box<dyn Encode + 'a>
where
    T: ArrowPrimitiveType,
    T::Native: Into<u64>,
{
    typed(array.as_primitive::<T>(), |v: T::Native, out| {
        canonical::write_uint(out, v.into());
        Ok(())
    })
}

fn floats<'a, T>(array: &'a dyn Array) -> Box<dyn Encode + 'a>
where
    T: ArrowPrimitiveType,
    T::Native: Into<f64>,
{
    typed(array.as_primitive::<T>(), |v: T::Native, out| {
        canonical::write_f64(out, v.into());
        Ok(())
    })
}

/// Value-first adapters of the shared writers, the shape [`typed`] takes.
fn write_str(v: &str, out: &mut Vec<u8>) -> EncodeResult {
    Ok(canonical::write_str(out, v)?)
}

fn write_bin(v: &[u8], out: &mut Vec<u8>) -> EncodeResult {
    Ok(canonical::write_bin(out, v)?)
}

/// Writes an ext header and payload (at most 33 bytes here).
#[inline]
fn write_ext(code: i8, payload: &[u8], out: &mut Vec<u8>) -> EncodeResult {
    Ok(canonical::write_ext(out, code, payload)?)
}

fn write_date(days: i64, out: &mut Vec<u8>) -> EncodeResult {
    write_ext(ext_type::DATE, &days.to_be_bytes(), out)
}

/// The standard MessagePack timestamp of `seconds` + `nanoseconds` (in
/// `0..10⁹`), in its shortest form.
fn write_timestamp(seconds: i64, nanoseconds: u32, out: &mut Vec<u8>) -> EncodeResult {
    if seconds >> 34 == 0 {
        // 0 <= seconds < 2^34
        if nanoseconds == 0 && seconds <= i64::from(u32::MAX) {
            write_ext(ext_type::TIMESTAMP, &(seconds as u32).to_be_bytes(), out)
        } else {
            let packed = (u64::from(nanoseconds) << 34) | seconds as u64;
            write_ext(ext_type::TIMESTAMP, &packed.to_be_bytes(), out)
        }
    } else {
        let mut payload = [0u8; 12];
        payload[..4].copy_from_slice(&nanoseconds.to_be_bytes());
        payload[4..].copy_from_slice(&seconds.to_be_bytes());
        write_ext(ext_type::TIMESTAMP, &payload, out)
    }
}

fn timestamps(array: &dyn Array, unit: TimeUnit) -> Box<dyn Encode + '_> {
    match unit {
        TimeUnit::Second => timestamp_column::<TimestampSecondType>(array, 1),
        TimeUnit::Millisecond => timestamp_column::<TimestampMillisecondType>(array, 1_000),
        TimeUnit::Microsecond => timestamp_column::<TimestampMicrosecondType>(array, 1_000_000),
        TimeUnit::Nanosecond => {
            timestamp_column::<TimestampNanosecondType>(array, NANOSECONDS_PER_SECOND)
        }
    }
}

fn timestamp_column<T>(array: &dyn Array, units_per_second: i64) -> Box<dyn Encode + '_>
where
    T: ArrowPrimitiveType<Native = i64>,
{
    let nanoseconds_per_unit = NANOSECONDS_PER_SECOND / units_per_second;
    typed(array.as_primitive::<T>(), move |v: i64, out| {
        let seconds = v.div_euclid(units_per_second);
        // In 0..units_per_second, so at most 10^9 - 1 nanoseconds: fits u32.
        let nanoseconds = v.rem_euclid(units_per_second) * nanoseconds_per_unit;
        write_timestamp(seconds, nanoseconds as u32, out)
    })
}

fn times<T>(array: &dyn Array, nanoseconds_per_unit: i64) -> Box<dyn Encode + '_>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    typed(array.as_primitive::<T>(), move |v: T::Native, out| {
        let v: i64 = v.into();
        let nanoseconds = v
            .checked_mul(nanoseconds_per_unit)
            .ok_or(EncodeError::Overflow {
                what: "time",
                value: v,
            })?;
        write_ext(ext_type::TIME, &nanoseconds.to_be_bytes(), out)
    })
}

fn durations(array: &dyn Array, unit: TimeUnit) -> Box<dyn Encode + '_> {
    match unit {
        TimeUnit::Second => duration_column::<DurationSecondType>(array, 1_000_000_000),
        TimeUnit::Millisecond => duration_column::<DurationMillisecondType>(array, 1_000_000),
        TimeUnit::Microsecond => duration_column::<DurationMicrosecondType>(array, 1_000),
        TimeUnit::Nanosecond => duration_column::<DurationNanosecondType>(array, 1),
    }
}

fn duration_column<T>(array: &dyn Array, nanoseconds_per_unit: i128) -> Box<dyn Encode + '_>
where
    T: ArrowPrimitiveType<Native = i64>,
{
    typed(array.as_primitive::<T>(), move |v: i64, out| {
        // Cannot overflow: |i64| * 10^9 < 2^93.
        let nanoseconds = i128::from(v) * nanoseconds_per_unit;
        write_ext(ext_type::DURATION, &nanoseconds.to_be_bytes(), out)
    })
}

fn write_interval(months: i32, days: i32, nanoseconds: i64, out: &mut Vec<u8>) -> EncodeResult {
    let mut payload = [0u8; 16];
    payload[..4].copy_from_slice(&months.to_be_bytes());
    payload[4..8].copy_from_slice(&days.to_be_bytes());
    payload[8..].copy_from_slice(&nanoseconds.to_be_bytes());
    write_ext(ext_type::INTERVAL, &payload, out)
}

fn intervals(array: &dyn Array, unit: IntervalUnit) -> Box<dyn Encode + '_> {
    match unit {
        IntervalUnit::YearMonth => typed(
            array.as_primitive::<IntervalYearMonthType>(),
            |months: i32, out| write_interval(months, 0, 0, out),
        ),
        IntervalUnit::DayTime => typed(
            array.as_primitive::<IntervalDayTimeType>(),
            |v: arrow::datatypes::IntervalDayTime, out| {
                // Cannot overflow: |i32| * 10^6 < 2^51.
                let nanoseconds = i64::from(v.milliseconds) * 1_000_000;
                write_interval(0, v.days, nanoseconds, out)
            },
        ),
        IntervalUnit::MonthDayNano => typed(
            array.as_primitive::<IntervalMonthDayNanoType>(),
            |v: arrow::datatypes::IntervalMonthDayNano, out| {
                write_interval(v.months, v.days, v.nanoseconds, out)
            },
        ),
    }
}

fn decimals<T>(array: &dyn Array, scale: i8) -> Box<dyn Encode + '_>
where
    T: ArrowPrimitiveType,
    T::Native: ToI256,
{
    typed(array.as_primitive::<T>(), move |v: T::Native, out| {
        write_decimal(scale, v.to_i256(), out)
    })
}

fn write_decimal(scale: i8, unscaled: i256, out: &mut Vec<u8>) -> EncodeResult {
    let bytes = unscaled.to_be_bytes();
    // Drop leading bytes that only repeat the sign: a 00 before a byte whose
    // top bit is clear, an ff before one whose top bit is set.
    let mut start = 0;
    while start + 1 < bytes.len() {
        let (lead, next) = (bytes[start], bytes[start + 1]);
        if (lead == 0x00 && next & 0x80 == 0) || (lead == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    let mut payload = [0u8; 33];
    payload[0] = scale as u8;
    let len = bytes.len() - start;
    payload[1..=len].copy_from_slice(&bytes[start..]);
    write_ext(ext_type::DECIMAL, &payload[..=len], out)
}

/// Rows of a dictionary column, encoded as the value each key points at.
struct DictionaryRows<'a, K: ArrowPrimitiveType> {
    keys: &'a PrimitiveArray<K>,
    values: Box<dyn Encode + 'a>,
    values_len: usize,
}

impl<K: ArrowPrimitiveType> Encode for DictionaryRows<'_, K> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.keys.is_null(row) {
            out.push(NIL);
            return Ok(());
        }
        // A negative key becomes a huge usize here, so one check covers both ends.
        let key = self.keys.value(row).as_usize();
        if key >= self.values_len {
            return Err(EncodeError::DictionaryKey {
                key,
                values: self.values_len,
            });
        }
        self.values.encode(key, out)
    }
}

fn dictionary<K: ArrowDictionaryKeyType>(
    array: &dyn Array,
) -> std::result::Result<Box<dyn Encode + '_>, DataType> {
    let Some(dictionary) = array.as_dictionary_opt::<K>() else {
        return Err(array.data_type().clone());
    };
    Ok(Box::new(DictionaryRows {
        keys: dictionary.keys(),
        values: encoder(dictionary.values().as_ref())?,
        values_len: dictionary.values().len(),
    }))
}

/// Rows of a run-end encoded column, encoded as the value of their run.
struct RunRows<'a, R: RunEndIndexType> {
    array: &'a RunArray<R>,
    values: Box<dyn Encode + 'a>,
}

impl<R: RunEndIndexType> Encode for RunRows<'_, R> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        self.values.encode(self.array.get_physical_index(row), out)
    }
}

fn run_end_encoded<R: RunEndIndexType>(
    array: &dyn Array,
) -> std::result::Result<Box<dyn Encode + '_>, DataType> {
    let Some(runs) = array.as_run_opt::<R>() else {
        return Err(array.data_type().clone());
    };
    Ok(Box::new(RunRows {
        array: runs,
        values: encoder(runs.values().as_ref())?,
    }))
}

/// Writes the elements `range` of a list's child as a MessagePack array.
#[inline]
fn write_elements(items: &dyn Encode, range: Range<usize>, out: &mut Vec<u8>) -> EncodeResult {
    canonical::write_array_header(out, range.len())?;
    for item in range {
        items.encode(item, out)?;
    }
    Ok(())
}

struct ListRows<'a, O: OffsetSizeTrait> {
    array: &'a GenericListArray<O>,
    items: Box<dyn Encode + 'a>,
}

impl<O: OffsetSizeTrait> Encode for ListRows<'_, O> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.array.is_null(row) {
            out.push(NIL);
            return Ok(());
        }
        let offsets = self.array.value_offsets();
        let range = offsets[row].as_usize()..offsets[row + 1].as_usize();
        write_elements(self.items.as_ref(), range, out)
    }
}

fn lists<O: OffsetSizeTrait>(
    array: &GenericListArray<O>,
) -> std::result::Result<Box<dyn Encode + '_>, DataType> {
    Ok(Box::new(ListRows {
        array,
        items: encoder(array.values().as_ref())?,
    }))
}

struct ListViewRows<'a, O: OffsetSizeTrait> {
    array: &'a GenericListViewArray<O>,
    items: Box<dyn Encode + 'a>,
}

impl<O: OffsetSizeTrait> Encode for ListViewRows<'_, O> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.array.is_null(row) {
            out.push(NIL);
            return Ok(());
        }
        let start = self.array.value_offsets()[row].as_usize();
        let size = self.array.value_sizes()[row].as_usize();
        write_elements(self.items.as_ref(), start..start + size, out)
    }
}

fn list_views<O: OffsetSizeTrait>(
    array: &GenericListViewArray<O>,
) -> std::result::Result<Box<dyn Encode + '_>, DataType> {
    Ok(Box::new(ListViewRows {
        array,
        items: encoder(array.values().as_ref())?,
    }))
}

struct FixedSizeListRows<'a> {
    array: &'a FixedSizeListArray,
    items: Box<dyn Encode + 'a>,
}

impl Encode for FixedSizeListRows<'_> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.array.is_null(row) {
            out.push(NIL);
            return Ok(());
        }
        // `value_offset` is an i32; computed here in usize instead.
        let size = self.array.value_length().as_usize();
        let start = row * size;
        write_elements(self.items.as_ref(), start..start + size, out)
    }
}

fn fixed_size_lists(
    array: &FixedSizeListArray,
) -> std::result::Result<Box<dyn Encode + '_>, DataType> {
    Ok(Box::new(FixedSizeListRows {
        array,
        items: encoder(array.values().as_ref())?,
    }))
}

/// Writes a map of `count` entries, each written by `entry(i, buffer)` as its
/// key then its value, in the canonical order (see
/// [`canonical::write_sorted_map`]), sorting in the encoder's reused buffers.
fn write_sorted_map(
    scratch: &RefCell<MapScratch>,
    count: usize,
    out: &mut Vec<u8>,
    entry: impl FnMut(usize, &mut Vec<u8>) -> EncodeResult,
) -> EncodeResult {
    // Encoders form a tree, so the same encoder is never re-entered while its
    // scratch is borrowed; a fresh buffer covers that case all the same.
    match scratch.try_borrow_mut() {
        Ok(mut reused) => canonical::write_sorted_map(&mut reused, count, out, entry),
        Err(_) => canonical::write_sorted_map(&mut MapScratch::default(), count, out, entry),
    }
}

/// Rows of a struct column whose field names are unique: the entry order is
/// the same for every row, so it is computed once here.
struct StructRows<'a> {
    array: &'a StructArray,
    header: Vec<u8>,
    /// (encoded field name, field encoder), in canonical order.
    fields: Vec<(Vec<u8>, Box<dyn Encode + 'a>)>,
}

impl Encode for StructRows<'_> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.array.is_null(row) {
            out.push(NIL);
            return Ok(());
        }
        out.extend_from_slice(&self.header);
        for (name, field) in &self.fields {
            out.extend_from_slice(name);
            field.encode(row, out)?;
        }
        Ok(())
    }
}

/// Rows of a struct column with duplicate field names: entries with the same
/// name are ordered by value, so the order is found per row.
struct StructRowsWithDuplicateNames<'a> {
    array: &'a StructArray,
    fields: Vec<(Vec<u8>, Box<dyn Encode + 'a>)>,
    scratch: RefCell<MapScratch>,
}

impl Encode for StructRowsWithDuplicateNames<'_> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.array.is_null(row) {
            out.push(NIL);
            return Ok(());
        }
        write_sorted_map(&self.scratch, self.fields.len(), out, |i, buffer| {
            let (name, field) = &self.fields[i];
            buffer.extend_from_slice(name);
            field.encode(row, buffer)
        })
    }
}

fn structs(array: &StructArray) -> std::result::Result<Box<dyn Encode + '_>, DataType> {
    let mut fields = Vec::with_capacity(array.num_columns());
    for (field, column) in array.fields().iter().zip(array.columns()) {
        let mut name = Vec::with_capacity(field.name().len() + 5);
        if write_str(field.name(), &mut name).is_err() {
            // A field name of 4 GiB: not a struct anyone can build.
            return Err(array.data_type().clone());
        }
        fields.push((name, encoder(column.as_ref())?));
    }
    fields.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut header = Vec::with_capacity(5);
    if canonical::write_map_header(&mut header, fields.len()).is_err() {
        return Err(array.data_type().clone());
    }
    let unique = fields.windows(2).all(|pair| pair[0].0 != pair[1].0);
    if unique {
        Ok(Box::new(StructRows {
            array,
            header,
            fields,
        }))
    } else {
        Ok(Box::new(StructRowsWithDuplicateNames {
            array,
            fields,
            scratch: RefCell::default(),
        }))
    }
}

struct MapRows<'a> {
    array: &'a MapArray,
    keys: Box<dyn Encode + 'a>,
    values: Box<dyn Encode + 'a>,
    scratch: RefCell<MapScratch>,
}

impl Encode for MapRows<'_> {
    fn encode(&self, row: usize, out: &mut Vec<u8>) -> EncodeResult {
        if self.array.is_null(row) {
            out.push(NIL);
            return Ok(());
        }
        let offsets = self.array.value_offsets();
        let start = offsets[row].as_usize();
        let count = offsets[row + 1].as_usize().saturating_sub(start);
        write_sorted_map(&self.scratch, count, out, |i, buffer| {
            self.keys.encode(start + i, buffer)?;
            self.values.encode(start + i, buffer)
        })
    }
}

fn maps(array: &MapArray) -> std::result::Result<Box<dyn Encode + '_>, DataType> {
    Ok(Box::new(MapRows {
        array,
        keys: encoder(array.keys().as_ref())?,
        values: encoder(array.values().as_ref())?,
        scratch: RefCell::default(),
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, Date32Array, Date64Array,
        Decimal32Array, Decimal64Array, Decimal128Array, Decimal256Array, DictionaryArray,
        DurationMicrosecondArray, DurationMillisecondArray, DurationNanosecondArray,
        DurationSecondArray, FixedSizeBinaryArray, FixedSizeListArray, Float32Array, Float64Array,
        Int8Array, Int16Array, Int32Array, Int64Array, IntervalDayTimeArray,
        IntervalMonthDayNanoArray, IntervalYearMonthArray, LargeBinaryArray, LargeListArray,
        LargeStringArray, ListArray, ListViewArray, MapArray, NullArray, RunArray, StringArray,
        StringViewArray, StructArray, Time32MillisecondArray, Time32SecondArray,
        Time64MicrosecondArray, Time64NanosecondArray, TimestampMicrosecondArray,
        TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array,
        UInt16Array, UInt32Array, UInt64Array,
    };
    use arrow::buffer::{OffsetBuffer, ScalarBuffer};
    use arrow::datatypes::{
        DataType, Field, Fields, Int8Type, Int32Type, IntervalDayTime, IntervalMonthDayNano,
        UInt32Type, i256,
    };
    use datafusion_common::ScalarValue;

    use super::{CanonicalEncoder, check_supported, encode_scalar};
    use crate::test_support::union_of_int32;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The canonical encoding of every row of `array`, in hex.
    fn encode_rows(array: &dyn Array) -> Vec<String> {
        let encoder = CanonicalEncoder::try_new("test", array).unwrap();
        (0..array.len())
            .map(|row| {
                let mut out = Vec::new();
                encoder.append(row, &mut out).unwrap();
                hex(&out)
            })
            .collect()
    }

    fn encode_one(array: ArrayRef) -> String {
        let rows = encode_rows(array.as_ref());
        assert_eq!(rows.len(), 1, "{}", array.data_type());
        rows.into_iter().next().unwrap()
    }

    fn one(value: ScalarValue) -> ArrayRef {
        value.to_array().unwrap()
    }

    fn list_of_lists() -> ArrayRef {
        let inner = ListArray::from_iter_primitive::<arrow::datatypes::Int64Type, _, _>(vec![
            Some(vec![Some(1)]),
            Some(vec![Some(2), Some(3)]),
        ]);
        let field = Arc::new(Field::new_list_field(inner.data_type().clone(), true));
        Arc::new(ListArray::new(
            field,
            OffsetBuffer::from_lengths([2]),
            Arc::new(inner),
            None,
        ))
    }

    fn int64s(values: &[Option<i64>]) -> ArrayRef {
        Arc::new(Int64Array::from(values.to_vec()))
    }

    /// A one-row struct of the given fields.
    fn struct_of(fields: Vec<(&str, ArrayRef)>) -> ArrayRef {
        let (fields, columns): (Vec<Field>, Vec<ArrayRef>) = fields
            .into_iter()
            .map(|(name, column)| (Field::new(name, column.data_type().clone(), true), column))
            .unzip();
        Arc::new(StructArray::new(Fields::from(fields), columns, None))
    }

    /// A map column from the keys and values of its entries and the entry
    /// count of each row.
    fn map_of(keys: ArrayRef, values: ArrayRef, lengths: &[usize]) -> ArrayRef {
        let entries = StructArray::new(
            Fields::from(vec![
                Field::new("key", keys.data_type().clone(), false),
                Field::new("value", values.data_type().clone(), true),
            ]),
            vec![keys, values],
            None,
        );
        let field = Arc::new(Field::new("entries", entries.data_type().clone(), false));
        Arc::new(
            MapArray::try_new(
                field,
                OffsetBuffer::from_lengths(lengths.iter().copied()),
                entries,
                None,
                false,
            )
            .unwrap(),
        )
    }

    fn strings(values: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    const SECONDS_2024_01_15_123456: i64 = 1_705_322_096;

    /// Golden vectors. The expected bytes were produced by a separate
    /// implementation of the form documented above (Python's `msgpack`
    /// package, with the rules written out by hand), not by this crate.
    /// A failure here means stored fingerprints would change.
    fn golden_vectors() -> Vec<(&'static str, ArrayRef, &'static str)> {
        let s = SECONDS_2024_01_15_123456;
        vec![
            ("null", one(ScalarValue::Null), "c0"),
            ("typed null", one(ScalarValue::Utf8(None)), "c0"),
            ("true", one(ScalarValue::Boolean(Some(true))), "c3"),
            ("false", one(ScalarValue::Boolean(Some(false))), "c2"),
            ("0", one(ScalarValue::Int64(Some(0))), "00"),
            ("5", one(ScalarValue::Int8(Some(5))), "05"),
            ("127", one(ScalarValue::Int64(Some(127))), "7f"),
            ("128", one(ScalarValue::Int64(Some(128))), "cc80"),
            ("255", one(ScalarValue::UInt8(Some(255))), "ccff"),
            ("256", one(ScalarValue::Int16(Some(256))), "cd0100"),
            ("65535", one(ScalarValue::UInt16(Some(65535))), "cdffff"),
            ("65536", one(ScalarValue::Int32(Some(65536))), "ce00010000"),
            (
                "u32 max",
                one(ScalarValue::UInt32(Some(u32::MAX))),
                "ceffffffff",
            ),
            (
                "2^32",
                one(ScalarValue::Int64(Some(1 << 32))),
                "cf0000000100000000",
            ),
            (
                "i64 max",
                one(ScalarValue::Int64(Some(i64::MAX))),
                "cf7fffffffffffffff",
            ),
            (
                "u64 max",
                one(ScalarValue::UInt64(Some(u64::MAX))),
                "cfffffffffffffffff",
            ),
            ("-1", one(ScalarValue::Int8(Some(-1))), "ff"),
            ("-32", one(ScalarValue::Int64(Some(-32))), "e0"),
            ("-33", one(ScalarValue::Int64(Some(-33))), "d0df"),
            ("-128", one(ScalarValue::Int8(Some(-128))), "d080"),
            ("-129", one(ScalarValue::Int16(Some(-129))), "d1ff7f"),
            ("-32768", one(ScalarValue::Int16(Some(-32768))), "d18000"),
            (
                "-32769",
                one(ScalarValue::Int32(Some(-32769))),
                "d2ffff7fff",
            ),
            (
                "i32 min",
                one(ScalarValue::Int32(Some(i32::MIN))),
                "d280000000",
            ),
            (
                "i32 min - 1",
                one(ScalarValue::Int64(Some(-(1 << 31) - 1))),
                "d3ffffffff7fffffff",
            ),
            (
                "i64 min",
                one(ScalarValue::Int64(Some(i64::MIN))),
                "d38000000000000000",
            ),
            (
                "1.5",
                one(ScalarValue::Float64(Some(1.5))),
                "cb3ff8000000000000",
            ),
            (
                "1.0",
                one(ScalarValue::Float64(Some(1.0))),
                "cb3ff0000000000000",
            ),
            (
                "0.0",
                one(ScalarValue::Float64(Some(0.0))),
                "cb0000000000000000",
            ),
            (
                "-0.0",
                one(ScalarValue::Float64(Some(-0.0))),
                "cb0000000000000000",
            ),
            (
                "NaN",
                one(ScalarValue::Float64(Some(f64::NAN))),
                "cb7ff8000000000000",
            ),
            (
                "inf",
                one(ScalarValue::Float64(Some(f64::INFINITY))),
                "cb7ff0000000000000",
            ),
            (
                "-inf",
                one(ScalarValue::Float64(Some(f64::NEG_INFINITY))),
                "cbfff0000000000000",
            ),
            (
                "0.1",
                one(ScalarValue::Float64(Some(0.1))),
                "cb3fb999999999999a",
            ),
            (
                "f32 0.1",
                one(ScalarValue::Float32(Some(0.1))),
                "cb3fb99999a0000000",
            ),
            ("''", one(ScalarValue::Utf8(Some(String::new()))), "a0"),
            ("'hi'", one(ScalarValue::Utf8(Some("hi".into()))), "a26869"),
            (
                "unicode",
                one(ScalarValue::Utf8(Some("日本語 ✓ 🦀".into()))),
                "b2e697a5e69cace8aa9e20e29c9320f09fa680",
            ),
            (
                "31 chars",
                one(ScalarValue::Utf8(Some("x".repeat(31)))),
                "bf78787878787878787878787878787878787878787878787878787878787878",
            ),
            (
                "32 chars",
                one(ScalarValue::Utf8(Some("x".repeat(32)))),
                "d9207878787878787878787878787878787878787878787878787878787878787878",
            ),
            (
                "binary",
                one(ScalarValue::Binary(Some(vec![0xde, 0xad, 0xbe, 0xef]))),
                "c404deadbeef",
            ),
            (
                "empty binary",
                one(ScalarValue::Binary(Some(vec![]))),
                "c400",
            ),
            (
                "[1, NULL, 3]",
                Arc::new(ListArray::from_iter_primitive::<
                    arrow::datatypes::Int64Type,
                    _,
                    _,
                >(vec![Some(vec![Some(1), None, Some(3)])])),
                "9301c003",
            ),
            (
                "[]",
                Arc::new(ListArray::from_iter_primitive::<
                    arrow::datatypes::Int64Type,
                    _,
                    _,
                >(vec![Some(vec![])])),
                "90",
            ),
            ("[[1], [2, 3]]", list_of_lists(), "929101920203"),
            (
                "{b: 1.5, a: [1, NULL]}",
                struct_of(vec![
                    ("b", Arc::new(Float64Array::from(vec![1.5]))),
                    (
                        "a",
                        Arc::new(ListArray::from_iter_primitive::<
                            arrow::datatypes::Int64Type,
                            _,
                            _,
                        >(vec![Some(vec![Some(1), None])])),
                    ),
                ]),
                "82a1619201c0a162cb3ff8000000000000",
            ),
            (
                "{aa: 1, b: 2}",
                struct_of(vec![("aa", int64s(&[Some(1)])), ("b", int64s(&[Some(2)]))]),
                "82a16202a2616101",
            ),
            (
                "{z: 1, a: 2}",
                map_of(strings(&["z", "a"]), int64s(&[Some(1), Some(2)]), &[2]),
                "82a16102a17a01",
            ),
            (
                "{10: x, 2: y, -1: z}",
                map_of(
                    int64s(&[Some(10), Some(2), Some(-1)]),
                    strings(&["x", "y", "z"]),
                    &[3],
                ),
                "8302a1790aa178ffa17a",
            ),
            (
                "{k: 2, k: 1}",
                map_of(strings(&["k", "k"]), int64s(&[Some(2), Some(1)]), &[2]),
                "82a16b01a16b02",
            ),
            ("{}", map_of(strings(&[]), int64s(&[]), &[0]), "80"),
            (
                "ts epoch",
                Arc::new(TimestampSecondArray::from(vec![0])),
                "d6ff00000000",
            ),
            (
                "ts 2024-01-15T12:34:56Z",
                Arc::new(TimestampSecondArray::from(vec![s])),
                "d6ff65a52670",
            ),
            (
                "ts 2024-01-15T12:34:56.5Z",
                Arc::new(TimestampMillisecondArray::from(vec![s * 1_000 + 500])),
                "d7ff7735940065a52670",
            ),
            (
                "ts -1ns",
                Arc::new(TimestampNanosecondArray::from(vec![-1])),
                "c70cff3b9ac9ffffffffffffffffff",
            ),
            (
                "ts 2^34 s",
                Arc::new(TimestampSecondArray::from(vec![1 << 34])),
                "c70cff000000000000000400000000",
            ),
            (
                "ts 2^32 s",
                Arc::new(TimestampSecondArray::from(vec![1 << 32])),
                "d7ff0000000100000000",
            ),
            (
                "date 2024-01-15",
                Arc::new(Date32Array::from(vec![19_737])),
                "d7010000000000004d19",
            ),
            (
                "date -1",
                Arc::new(Date32Array::from(vec![-1])),
                "d701ffffffffffffffff",
            ),
            (
                "time 12:34:56.789",
                Arc::new(Time64NanosecondArray::from(vec![45_296_789_000_000])),
                "d702000029327b048f40",
            ),
            (
                "duration 90 s",
                Arc::new(DurationSecondArray::from(vec![90])),
                "d803000000000000000000000014f46b0400",
            ),
            (
                "duration -1 ms",
                Arc::new(DurationMillisecondArray::from(vec![-1])),
                "d803fffffffffffffffffffffffffff0bdc0",
            ),
            (
                "duration i64 max s",
                Arc::new(DurationSecondArray::from(vec![i64::MAX])),
                "d803000000001dcd64ffffffffffc4653600",
            ),
            (
                "interval 1 month 2 days 3 ns",
                Arc::new(IntervalMonthDayNanoArray::from(vec![
                    IntervalMonthDayNano::new(1, 2, 3),
                ])),
                "d80400000001000000020000000000000003",
            ),
            (
                "interval 14 months",
                Arc::new(IntervalYearMonthArray::from(vec![14])),
                "d8040000000e000000000000000000000000",
            ),
            (
                "interval 1 day 500 ms",
                Arc::new(IntervalDayTimeArray::from(vec![IntervalDayTime::new(
                    1, 500,
                )])),
                "d8040000000000000001000000001dcd6500",
            ),
            (
                "decimal 123.45",
                one(ScalarValue::Decimal128(Some(12345), 10, 2)),
                "c70305023039",
            ),
            (
                "decimal -1.50",
                one(ScalarValue::Decimal128(Some(-150), 10, 2)),
                "c7030502ff6a",
            ),
            (
                "decimal 0",
                one(ScalarValue::Decimal128(Some(0), 10, 0)),
                "d5050000",
            ),
            (
                "decimal 127",
                one(ScalarValue::Decimal128(Some(127), 10, 0)),
                "d505007f",
            ),
            (
                "decimal 128",
                one(ScalarValue::Decimal128(Some(128), 10, 0)),
                "c70305000080",
            ),
            (
                "decimal -128",
                one(ScalarValue::Decimal128(Some(-128), 10, 0)),
                "d5050080",
            ),
            (
                "decimal -129",
                one(ScalarValue::Decimal128(Some(-129), 10, 0)),
                "c7030500ff7f",
            ),
            (
                "decimal 10^38 scale 38",
                one(ScalarValue::Decimal256(
                    Some(i256::from_i128(10i128.pow(19)) * i256::from_i128(10i128.pow(19))),
                    76,
                    38,
                )),
                "c71105264b3b4ca85a86c47a098a224000000000",
            ),
            (
                "decimal -1 scale -2",
                one(ScalarValue::Decimal128(Some(-1), 10, -2)),
                "d505feff",
            ),
        ]
    }

    #[test]
    fn encoders_can_move_between_threads() {
        fn assert_send<T: Send>() {}
        assert_send::<CanonicalEncoder<'static>>();
    }

    #[test]
    fn golden_vectors_match() {
        for (name, array, expected) in golden_vectors() {
            assert_eq!(
                encode_one(Arc::clone(&array)),
                expected,
                "{name} ({})",
                array.data_type()
            );
        }
    }

    #[test]
    fn golden_vectors_decode_as_msgpack() {
        // An independent decoder (rmpv) reads every golden vector as exactly
        // one value.
        for (name, _, expected) in golden_vectors() {
            let bytes: Vec<u8> = (0..expected.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&expected[i..i + 2], 16).unwrap())
                .collect();
            let mut input = bytes.as_slice();
            rmpv::decode::read_value(&mut input).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(input.is_empty(), "{name}: trailing bytes");
        }
    }

    #[test]
    fn scalars_encode_like_arrays() {
        for value in [
            ScalarValue::Int8(Some(-5)),
            ScalarValue::Utf8View(Some("abc".into())),
            ScalarValue::Decimal128(Some(12345), 10, 2),
            ScalarValue::TimestampMicrosecond(Some(1), Some("UTC".into())),
            ScalarValue::Null,
        ] {
            let mut out = Vec::new();
            encode_scalar("test", &value, &mut out).unwrap();
            assert_eq!(hex(&out), encode_one(one(value.clone())), "{value:?}");
        }
    }

    fn assert_all_alike(name: &str, columns: Vec<ArrayRef>) {
        let expected = encode_rows(columns[0].as_ref());
        for column in &columns[1..] {
            assert_eq!(
                encode_rows(column.as_ref()),
                expected,
                "{name}: {} vs {}",
                column.data_type(),
                columns[0].data_type()
            );
        }
    }

    #[test]
    fn strings_encode_alike_in_every_representation() {
        let values = vec![Some("a"), None, Some(""), Some("hello"), Some("日本語")];
        let run_ends = Int32Array::from(vec![1, 2, 3, 4, 5]);
        let plain: ArrayRef = Arc::new(StringArray::from(values.clone()));
        assert_all_alike(
            "strings",
            vec![
                Arc::clone(&plain),
                Arc::new(LargeStringArray::from(values.clone())),
                Arc::new(StringViewArray::from(values.clone())),
                Arc::new(
                    values
                        .iter()
                        .copied()
                        .collect::<DictionaryArray<Int8Type>>(),
                ),
                Arc::new(
                    values
                        .iter()
                        .copied()
                        .collect::<DictionaryArray<UInt32Type>>(),
                ),
                Arc::new(RunArray::try_new(&run_ends, plain.as_ref()).unwrap()),
            ],
        );
    }

    #[test]
    fn integers_encode_alike_in_every_width() {
        let values = [Some(0), Some(1), None, Some(100), Some(127)];
        assert_all_alike(
            "integers",
            vec![
                Arc::new(Int64Array::from(values.to_vec())),
                Arc::new(Int8Array::from(values.map(|v| v.map(|v| v as i8)).to_vec())),
                Arc::new(Int16Array::from(
                    values.map(|v| v.map(|v| v as i16)).to_vec(),
                )),
                Arc::new(Int32Array::from(
                    values.map(|v| v.map(|v| v as i32)).to_vec(),
                )),
                Arc::new(UInt8Array::from(
                    values.map(|v| v.map(|v| v as u8)).to_vec(),
                )),
                Arc::new(UInt16Array::from(
                    values.map(|v| v.map(|v| v as u16)).to_vec(),
                )),
                Arc::new(UInt32Array::from(
                    values.map(|v| v.map(|v| v as u32)).to_vec(),
                )),
                Arc::new(UInt64Array::from(
                    values.map(|v| v.map(|v| v as u64)).to_vec(),
                )),
            ],
        );
        // Past the fixint range, signed and unsigned still agree.
        assert_all_alike(
            "200, 40000, 3000000000",
            vec![
                Arc::new(Int64Array::from(vec![200, 40_000, 3_000_000_000])),
                Arc::new(UInt64Array::from(vec![200, 40_000, 3_000_000_000])),
            ],
        );
        assert_all_alike(
            "-100",
            vec![
                Arc::new(Int8Array::from(vec![-100])),
                Arc::new(Int64Array::from(vec![-100])),
            ],
        );
    }

    #[test]
    fn floats_encode_alike_in_every_width() {
        let values = [
            Some(1.5f32),
            Some(-0.0),
            Some(f32::NAN),
            Some(-f32::NAN),
            None,
            Some(0.25),
        ];
        assert_all_alike(
            "floats",
            vec![
                Arc::new(Float64Array::from(
                    values.map(|v| v.map(f64::from)).to_vec(),
                )),
                Arc::new(Float32Array::from(values.to_vec())),
                arrow::compute::cast(&Float32Array::from(values.to_vec()), &DataType::Float16)
                    .unwrap(),
            ],
        );
    }

    #[test]
    fn binaries_encode_alike_in_every_representation() {
        let values: Vec<&[u8]> = vec![b"ab", b"\xde\xad"];
        assert_all_alike(
            "binaries",
            vec![
                Arc::new(BinaryArray::from(values.clone())),
                Arc::new(LargeBinaryArray::from(values.clone())),
                Arc::new(BinaryViewArray::from(values.clone())),
                Arc::new(FixedSizeBinaryArray::try_from_iter(values.clone().into_iter()).unwrap()),
            ],
        );
        assert_ne!(
            encode_rows(&StringArray::from(vec!["ab"])),
            encode_rows(&BinaryArray::from(vec![&b"ab"[..]])),
            "a string is not the bin of its bytes"
        );
    }

    #[test]
    fn lists_encode_alike_in_every_representation() {
        let values = vec![
            Some(vec![Some(1), None]),
            None,
            Some(vec![Some(3), Some(4)]),
        ];
        let list = ListArray::from_iter_primitive::<Int32Type, _, _>(values.clone());
        let item = Arc::new(Field::new_list_field(DataType::Int32, true));
        let view = ListViewArray::new(
            Arc::clone(&item),
            ScalarBuffer::from(vec![0, 2, 2]),
            ScalarBuffer::from(vec![2, 0, 2]),
            Arc::clone(list.values()),
            list.nulls().cloned(),
        );
        let fixed = FixedSizeListArray::new(
            item,
            2,
            Arc::new(Int32Array::from(vec![
                Some(1),
                None,
                Some(0),
                Some(0),
                Some(3),
                Some(4),
            ])),
            list.nulls().cloned(),
        );
        assert_all_alike(
            "lists",
            vec![
                Arc::new(list),
                Arc::new(LargeListArray::from_iter_primitive::<Int32Type, _, _>(
                    values,
                )),
                Arc::new(view),
                Arc::new(fixed),
            ],
        );
    }

    #[test]
    fn struct_field_order_and_map_entry_order_do_not_matter() {
        let a = int64s(&[Some(1), None]);
        let b = strings(&["x", "y"]);
        let ab = struct_of(vec![("a", Arc::clone(&a)), ("b", Arc::clone(&b))]);
        let ba = struct_of(vec![("b", Arc::clone(&b)), ("a", Arc::clone(&a))]);
        assert_all_alike("struct field order", vec![ab, ba]);

        // A struct and a map with the same names and values encode alike.
        let s = struct_of(vec![("b", int64s(&[Some(2)])), ("a", int64s(&[Some(1)]))]);
        let m = map_of(strings(&["a", "b"]), int64s(&[Some(1), Some(2)]), &[2]);
        let m_reversed = map_of(strings(&["b", "a"]), int64s(&[Some(2), Some(1)]), &[2]);
        assert_all_alike("struct vs map", vec![s, m, m_reversed]);

        // Duplicate keys and duplicate field names keep every entry, sorted.
        let duplicate_names = struct_of(vec![("k", int64s(&[Some(2)])), ("k", int64s(&[Some(1)]))]);
        assert_eq!(encode_one(duplicate_names), "82a16b01a16b02");
    }

    #[test]
    fn nested_maps_and_lists_of_structs_encode_alike() {
        // List<Map<Utf8, List<Int64>>> built twice, entries in different order.
        fn build(keys: [&str; 2], values: [[i64; 1]; 2]) -> ArrayRef {
            let values = Arc::new(ListArray::from_iter_primitive::<
                arrow::datatypes::Int64Type,
                _,
                _,
            >(values.map(|v| Some(v.map(Some).to_vec()))));
            let map = map_of(strings(&keys), values, &[2]);
            let field = Arc::new(Field::new_list_field(map.data_type().clone(), true));
            Arc::new(ListArray::new(
                field,
                OffsetBuffer::from_lengths([1]),
                map,
                None,
            ))
        }
        let one_way = build(["x", "y"], [[1], [2]]);
        let other_way = build(["y", "x"], [[2], [1]]);
        assert_eq!(
            encode_one(Arc::clone(&one_way)),
            "9182a17891 01a17991 02".replace(' ', "")
        );
        assert_all_alike("nested", vec![one_way, other_way]);
    }

    #[test]
    fn temporal_representations_encode_alike() {
        let s = SECONDS_2024_01_15_123456;
        assert_all_alike(
            "timestamps",
            vec![
                Arc::new(TimestampSecondArray::from(vec![s, -1, 0])),
                Arc::new(
                    TimestampMillisecondArray::from(vec![s * 1_000, -1_000, 0])
                        .with_timezone("UTC"),
                ),
                Arc::new(TimestampMicrosecondArray::from(vec![
                    s * 1_000_000,
                    -1_000_000,
                    0,
                ])),
                Arc::new(
                    TimestampNanosecondArray::from(vec![s * 1_000_000_000, -1_000_000_000, 0])
                        .with_timezone("America/New_York"),
                ),
            ],
        );
        let ms_per_day = 86_400_000;
        assert_all_alike(
            "dates",
            vec![
                Arc::new(Date32Array::from(vec![19_737, -1, 0])),
                Arc::new(Date64Array::from(vec![19_737 * ms_per_day, -ms_per_day, 0])),
                // Date64 milliseconds within a day round down to that day.
                Arc::new(Date64Array::from(vec![
                    19_737 * ms_per_day + 1,
                    -1,
                    ms_per_day - 1,
                ])),
            ],
        );
        assert_all_alike(
            "times",
            vec![
                Arc::new(Time32SecondArray::from(vec![45_296, 0])),
                Arc::new(Time32MillisecondArray::from(vec![45_296_000, 0])),
                Arc::new(Time64MicrosecondArray::from(vec![45_296_000_000, 0])),
                Arc::new(Time64NanosecondArray::from(vec![45_296_000_000_000, 0])),
            ],
        );
        assert_all_alike(
            "durations",
            vec![
                Arc::new(DurationSecondArray::from(vec![90, -1])),
                Arc::new(DurationMillisecondArray::from(vec![90_000, -1_000])),
                Arc::new(DurationMicrosecondArray::from(vec![90_000_000, -1_000_000])),
                Arc::new(DurationNanosecondArray::from(vec![
                    90_000_000_000,
                    -1_000_000_000,
                ])),
            ],
        );
        assert_all_alike(
            "interval day-time",
            vec![
                Arc::new(IntervalMonthDayNanoArray::from(vec![
                    IntervalMonthDayNano::new(0, 1, 500_000_000),
                ])),
                Arc::new(IntervalDayTimeArray::from(vec![IntervalDayTime::new(
                    1, 500,
                )])),
            ],
        );
        assert_all_alike(
            "interval year-month",
            vec![
                Arc::new(IntervalMonthDayNanoArray::from(vec![
                    IntervalMonthDayNano::new(14, 0, 0),
                ])),
                Arc::new(IntervalYearMonthArray::from(vec![14])),
            ],
        );
        assert_ne!(
            encode_rows(&IntervalMonthDayNanoArray::from(vec![
                IntervalMonthDayNano::new(0, 1, 0)
            ])),
            encode_rows(&IntervalMonthDayNanoArray::from(vec![
                IntervalMonthDayNano::new(0, 0, 86_400_000_000_000)
            ])),
            "a day is not 24 hours"
        );
    }

    #[test]
    fn decimal_widths_encode_alike_and_scale_matters() {
        assert_all_alike(
            "decimals",
            vec![
                Arc::new(
                    Decimal128Array::from(vec![Some(150), None, Some(-150)])
                        .with_precision_and_scale(38, 2)
                        .unwrap(),
                ),
                Arc::new(
                    Decimal32Array::from(vec![Some(150), None, Some(-150)])
                        .with_precision_and_scale(9, 2)
                        .unwrap(),
                ),
                Arc::new(
                    Decimal64Array::from(vec![Some(150), None, Some(-150)])
                        .with_precision_and_scale(18, 2)
                        .unwrap(),
                ),
                Arc::new(
                    Decimal256Array::from(vec![
                        Some(i256::from_i128(150)),
                        None,
                        Some(i256::from_i128(-150)),
                    ])
                    .with_precision_and_scale(76, 2)
                    .unwrap(),
                ),
            ],
        );
        assert_ne!(
            encode_one(one(ScalarValue::Decimal128(Some(150), 10, 2))),
            encode_one(one(ScalarValue::Decimal128(Some(15), 10, 1))),
        );
        // Every byte length of the minimal two's complement round-trips.
        for bits in [1u32, 7, 8, 9, 15, 16, 63, 64, 100, 126] {
            for value in [(1i128 << bits) - 1, -(1i128 << bits), 1i128 << bits] {
                let hex = encode_one(one(ScalarValue::Decimal128(Some(value), 38, 0)));
                let bytes: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect();
                let mut input = bytes.as_slice();
                let rmpv::Value::Ext(5, payload) = rmpv::decode::read_value(&mut input).unwrap()
                else {
                    panic!("{value}: not ext 5: {hex}");
                };
                assert_eq!(payload[0], 0, "scale");
                let digits = &payload[1..];
                let mut widened = [if digits[0] & 0x80 != 0 { 0xff } else { 0 }; 16];
                widened[16 - digits.len()..].copy_from_slice(digits);
                assert_eq!(i128::from_be_bytes(widened), value, "{hex}");
                if digits.len() > 1 {
                    let redundant = (digits[0] == 0 && digits[1] & 0x80 == 0)
                        || (digits[0] == 0xff && digits[1] & 0x80 != 0);
                    assert!(!redundant, "{value} is not minimal: {hex}");
                }
            }
        }
    }

    #[test]
    fn sliced_columns_encode_their_own_rows() {
        let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1)]),
            Some(vec![Some(2), Some(3)]),
            None,
        ]));
        assert_eq!(encode_rows(list.slice(1, 2).as_ref()), vec!["920203", "c0"]);
        let s = struct_of(vec![("a", int64s(&[Some(1), Some(2), Some(3)]))]);
        assert_eq!(encode_rows(s.slice(2, 1).as_ref()), vec!["81a16103"]);
        let m = map_of(
            strings(&["a", "b", "c"]),
            int64s(&[Some(1), Some(2), Some(3)]),
            &[1, 2],
        );
        assert_eq!(encode_rows(m.slice(1, 1).as_ref()), vec!["82a16202a16303"]);
        let d: ArrayRef = Arc::new(
            vec![Some("a"), Some("b"), None]
                .into_iter()
                .collect::<DictionaryArray<Int32Type>>(),
        );
        assert_eq!(encode_rows(d.slice(1, 2).as_ref()), vec!["a162", "c0"]);
    }

    #[test]
    fn null_containers_and_null_children() {
        let nulls = arrow::buffer::NullBuffer::from(vec![true, false]);
        let s: ArrayRef = Arc::new(StructArray::new(
            Fields::from(vec![Field::new("a", DataType::Int64, true)]),
            vec![int64s(&[None, Some(1)])],
            Some(nulls),
        ));
        assert_eq!(encode_rows(s.as_ref()), vec!["81a161c0", "c0"]);
        assert_eq!(encode_rows(&NullArray::new(2)), vec!["c0", "c0"]);
        assert_eq!(
            encode_rows(&BooleanArray::from(vec![None, Some(true)])),
            vec!["c0", "c3"]
        );
        let empty_struct: ArrayRef = Arc::new(StructArray::new_empty_fields(1, None));
        assert_eq!(encode_rows(empty_struct.as_ref()), vec!["80"]);
    }

    #[test]
    fn unsupported_types_are_errors_naming_them() {
        let union = union_of_int32();
        let error = CanonicalEncoder::try_new("f", union.as_ref())
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "This feature is not implemented: f does not support Union(Sparse, 0: (\"i\": Int32)): it has no canonical MessagePack form"
        );
        let field = Arc::new(Field::new_list_field(union.data_type().clone(), true));
        let list_of_union = DataType::List(field);
        let error = check_supported("f", &list_of_union)
            .unwrap_err()
            .to_string();
        assert!(
            error.ends_with(
                "f does not support Union(Sparse, 0: (\"i\": Int32)) (in List(Union(Sparse, 0: (\"i\": Int32)))): it has no canonical MessagePack form"
            ),
            "{error}"
        );
    }

    #[test]
    fn unwritable_values_are_errors_and_leave_the_buffer_as_it_was() {
        let time = Time64MicrosecondArray::from(vec![i64::MAX]);
        let encoder = CanonicalEncoder::try_new("f", &time).unwrap();
        let mut out = vec![0xaa];
        let error = encoder.append(0, &mut out).unwrap_err().to_string();
        assert_eq!(
            error,
            "Execution error: f: cannot encode a value of type Time64(µs) as MessagePack: the time 9223372036854775807 overflows 64-bit nanoseconds"
        );
        assert_eq!(out, [0xaa]);

        let error = encoder.append(1, &mut out).unwrap_err().to_string();
        assert!(
            error.contains("f: row 1 is out of bounds of a column of 1 rows"),
            "{error}"
        );
        assert_eq!(out, [0xaa]);
    }
}
