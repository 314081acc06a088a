//! What the stable hash functions share: turning a call's arguments into the
//! canonical encoding of each row, and rendering hashes as text.

use std::sync::Arc;

use arrow::array::{Array, ArrayAccessor, ArrayRef, AsArray, StringBuilder, new_null_array};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{Result, ScalarValue, exec_err, plan_err};
use datafusion_expr::{ColumnarValue, ReturnFieldArgs};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use super::encoding::{ValueEncoder, check_supported, encode_scalar};

/// Fails unless a call has at least `minimum` arguments. `what` says what
/// they are, for the message.
fn ensure_arguments(function: &str, count: usize, minimum: usize, what: &str) -> Result<()> {
    if count < minimum {
        return plan_err!("{function} requires {what}");
    }
    Ok(())
}

/// Fails unless every one of `types` has a canonical encoding.
fn ensure_encodable<'a>(
    function: &str,
    types: impl IntoIterator<Item = &'a DataType>,
) -> Result<()> {
    types
        .into_iter()
        .try_for_each(|data_type| check_supported(function, data_type))
}

/// Fails unless a call of a hash function (`stable_hash64`,
/// `stable_hash128`) has a value to hash.
pub(super) fn ensure_hash_arguments(function: &str, count: usize) -> Result<()> {
    ensure_arguments(function, count, 1, "at least one argument")
}

/// The result field of a hash function (`stable_hash64`, `stable_hash128`),
/// of type `data_type`. Checks the arguments so an unsupported type fails at
/// planning; the result is non-nullable: nulls hash to a sentinel.
pub(super) fn hash_return_field(
    function: &str,
    args: ReturnFieldArgs,
    data_type: DataType,
) -> Result<FieldRef> {
    ensure_hash_arguments(function, args.arg_fields.len())?;
    ensure_encodable(function, args.arg_fields.iter().map(|f| f.data_type()))?;
    Ok(Arc::new(Field::new(function, data_type, false)))
}

/// The result field of a prefixed function (`stable_id`, `prefixed_hash64`).
/// Checks the arguments so a bad call fails at planning; the result is
/// nullable only when the prefix is.
pub(super) fn prefixed_return_field(function: &str, args: ReturnFieldArgs) -> Result<FieldRef> {
    let fields = args.arg_fields;
    ensure_prefixed_arguments(function, fields.len())?;
    let prefix = &fields[0];
    ensure_prefix_type(function, prefix.data_type())?;
    ensure_encodable(function, fields[1..].iter().map(|f| f.data_type()))?;
    let nullable = prefix.is_nullable() || prefix.data_type() == &DataType::Null;
    Ok(Arc::new(Field::new(function, DataType::Utf8, nullable)))
}

/// The values of `args` if all of them are constants.
pub(super) fn all_scalars(args: &[ColumnarValue]) -> Option<Vec<&ScalarValue>> {
    args.iter()
        .map(|arg| match arg {
            ColumnarValue::Scalar(value) => Some(value),
            ColumnarValue::Array(_) => None,
        })
        .collect()
}

/// The concatenated encoding of one row of constants.
pub(super) fn encode_scalars(function: &str, scalars: &[&ScalarValue]) -> Result<Vec<u8>> {
    let mut encoded = Vec::new();
    for value in scalars {
        encode_scalar(function, value, &mut encoded)?;
    }
    Ok(encoded)
}

/// Checks that an array argument has the call's row count: rows are read by
/// index up to it, so a shorter array would be read out of bounds.
pub(super) fn ensure_rows(function: &str, array: &dyn Array, rows: usize) -> Result<()> {
    if array.len() != rows {
        return exec_err!(
            "{function}: argument has {} rows, expected {rows}",
            array.len()
        );
    }
    Ok(())
}

/// One argument of a call with at least one array argument.
enum Argument<'a> {
    /// A constant: its encoding is computed once and copied into every row,
    /// instead of expanding it to an array and encoding it per row.
    Constant(Vec<u8>),
    Column(ValueEncoder<'a>),
}

impl<'a> Argument<'a> {
    fn try_new(function: &str, value: &'a ColumnarValue, rows: usize) -> Result<Self> {
        match value {
            ColumnarValue::Scalar(scalar) => {
                let mut encoded = Vec::new();
                encode_scalar(function, scalar, &mut encoded)?;
                Ok(Self::Constant(encoded))
            }
            ColumnarValue::Array(array) => {
                ensure_rows(function, array.as_ref(), rows)?;
                Ok(Self::Column(ValueEncoder::try_new(
                    function,
                    array.as_ref(),
                )?))
            }
        }
    }

    #[inline]
    fn append(&self, row: usize, out: &mut Vec<u8>) {
        match self {
            Self::Constant(encoded) => out.extend_from_slice(encoded),
            Self::Column(encoder) => encoder.append(row, out),
        }
    }
}

/// Encodes the rows of a call's arguments (some constants, some columns),
/// each row the concatenation of its arguments' encodings.
pub(super) struct RowEncoder<'a> {
    arguments: Vec<Argument<'a>>,
}

impl<'a> RowEncoder<'a> {
    /// Prepares `args` for a batch of `rows` rows: constants are encoded here,
    /// once, and columns are downcast once.
    pub(super) fn try_new(function: &str, args: &'a [ColumnarValue], rows: usize) -> Result<Self> {
        let arguments = args
            .iter()
            .map(|arg| Argument::try_new(function, arg, rows))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { arguments })
    }

    /// Whether every row encodes alike, all arguments being constants.
    pub(super) fn is_constant(&self) -> bool {
        self.arguments
            .iter()
            .all(|argument| matches!(argument, Argument::Constant(_)))
    }

    /// Replaces the contents of `out` with the encoding of row `row`. One
    /// buffer serves a whole batch: cleared, never reallocated once it has
    /// grown to the longest row.
    #[inline]
    pub(super) fn encode(&self, row: usize, out: &mut Vec<u8>) {
        out.clear();
        for argument in &self.arguments {
            argument.append(row, out);
        }
    }
}

/// `stable_hash64` of an encoded row: XXH3-64 with the sign bit cleared, so
/// the result is a non-negative `Int64` (SQL has no unsigned 64-bit type).
#[inline]
pub(super) fn hash64(encoded: &[u8]) -> i64 {
    (xxh3_64(encoded) & i64::MAX as u64) as i64
}

/// A hash of an encoded row, rendered as ASCII text.
pub(super) trait TextHash {
    /// The longest text `render` writes.
    const MAX_LEN: usize;

    /// Writes the text of the hash of `encoded` to the start of `buffer`,
    /// returning its length.
    fn render(encoded: &[u8], buffer: &mut [u8; 32]) -> usize;

    /// The text of the hash of `encoded`.
    fn text(encoded: &[u8]) -> String {
        let mut buffer = [0; 32];
        let len = Self::render(encoded, &mut buffer);
        ascii(&buffer[..len]).to_string()
    }
}

/// XXH3-128 as 32 lowercase hexadecimal digits, most significant first (the
/// canonical XXH128 big-endian representation of its high then low half).
pub(super) struct Hex128;

impl TextHash for Hex128 {
    const MAX_LEN: usize = 32;

    #[inline]
    fn render(encoded: &[u8], buffer: &mut [u8; 32]) -> usize {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let hash = xxh3_128(encoded);
        for (i, digit) in buffer.iter_mut().enumerate() {
            let nibble = (hash >> (124 - 4 * i)) & 0xF;
            *digit = DIGITS[nibble as usize];
        }
        32
    }
}

/// [`hash64`] in decimal, without leading zeros.
pub(super) struct Decimal64;

impl TextHash for Decimal64 {
    /// `i64::MAX` has 19 digits.
    const MAX_LEN: usize = 19;

    #[inline]
    fn render(encoded: &[u8], buffer: &mut [u8; 32]) -> usize {
        // `hash64` is never negative.
        write_decimal(hash64(encoded) as u64, buffer)
    }
}

/// Writes `value` in decimal without leading zeros to the start of
/// `buffer`, returning its length (at most 20).
fn write_decimal(mut value: u64, buffer: &mut [u8; 32]) -> usize {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let len = digits.len() - start;
    buffer[..len].copy_from_slice(&digits[start..]);
    len
}

/// The text of a rendered hash. It is ASCII by construction; checking that
/// costs a few word compares for at most 32 bytes, and keeps this crate free
/// of `unsafe`.
#[inline]
pub(super) fn ascii(rendered: &[u8]) -> &str {
    std::str::from_utf8(rendered).unwrap_or_default()
}

/// Whether `data_type` can be a prefix of `stable_id` / `prefixed_hash64`
/// as it is (`Null` is a NULL prefix).
pub(super) fn is_prefix_type(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    )
}

/// The coercion of a prefixed function's arguments: the prefix must be a
/// string; a NULL literal becomes a `Utf8` NULL and a dictionary of strings
/// its strings. Values are hashed as they are.
pub(super) fn coerce_prefixed(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    ensure_prefixed_arguments(function, arg_types.len())?;
    let prefix = match &arg_types[0] {
        DataType::Null => DataType::Utf8,
        DataType::Dictionary(_, value)
            if matches!(
                value.as_ref(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            value.as_ref().clone()
        }
        other => {
            ensure_prefix_type(function, other)?;
            other.clone()
        }
    };
    Ok(std::iter::once(prefix)
        .chain(arg_types[1..].iter().cloned())
        .collect())
}

fn ensure_prefixed_arguments(function: &str, count: usize) -> Result<()> {
    ensure_arguments(
        function,
        count,
        2,
        "a prefix and at least one value to hash",
    )
}

fn ensure_prefix_type(function: &str, data_type: &DataType) -> Result<()> {
    if !is_prefix_type(data_type) {
        return plan_err!(
            "{function}: the prefix must be a string (Utf8, LargeUtf8 or Utf8View), got {data_type}"
        );
    }
    Ok(())
}

/// The prefix argument of a batch.
///
/// FFI note: DataFusion's FFI hands a UDF its constant arguments as arrays
/// (apache/datafusion#18201), so a literal prefix such as `'user'` usually
/// arrives as a string array repeating it on every row. [`Prefix::detect`]
/// recognises such an array with one pass that stops at the first row that
/// differs (so a real column costs about one comparison) and turns it into
/// [`Prefix::Constant`]: the batch then copies the same bytes into every row
/// without reading offsets or validity per row, sizes its output exactly, and
/// a NULL constant skips hashing altogether. Other columns are read in place
/// through `value(row)`, which neither allocates nor re-validates UTF-8; the
/// only per-row work is copying the prefix's bytes into the result.
pub(super) enum Prefix<'a> {
    Constant(Option<&'a str>),
    Utf8(&'a arrow::array::StringArray),
    LargeUtf8(&'a arrow::array::LargeStringArray),
    Utf8View(&'a arrow::array::StringViewArray),
}

impl<'a> Prefix<'a> {
    pub(super) fn try_new(function: &str, value: &'a ColumnarValue, rows: usize) -> Result<Self> {
        let array = match value {
            ColumnarValue::Scalar(scalar) => {
                return match scalar {
                    ScalarValue::Utf8(prefix)
                    | ScalarValue::LargeUtf8(prefix)
                    | ScalarValue::Utf8View(prefix) => Ok(Self::Constant(prefix.as_deref())),
                    ScalarValue::Null => Ok(Self::Constant(None)),
                    other => exec_err!(
                        "{function}: the prefix must be a string (Utf8, LargeUtf8 or Utf8View), got {}",
                        other.data_type()
                    ),
                };
            }
            ColumnarValue::Array(array) => array,
        };
        ensure_rows(function, array.as_ref(), rows)?;
        let prefix = match array.data_type() {
            DataType::Utf8 => Self::detect(array.as_string::<i32>(), Self::Utf8),
            DataType::LargeUtf8 => Self::detect(array.as_string::<i64>(), Self::LargeUtf8),
            DataType::Utf8View => Self::detect(array.as_string_view(), Self::Utf8View),
            DataType::Null => Self::Constant(None),
            other => {
                return exec_err!(
                    "{function}: the prefix must be a string (Utf8, LargeUtf8 or Utf8View), got {other}"
                );
            }
        };
        Ok(prefix)
    }

    /// [`Prefix::Constant`] if every row of `array` holds the same prefix (or
    /// every row is null), else `column(array)`.
    fn detect<A>(array: A, column: fn(A) -> Self) -> Self
    where
        A: ArrayAccessor<Item = &'a str>,
    {
        let rows = array.len();
        let nulls = array.null_count();
        if rows > 0 && nulls == rows {
            return Self::Constant(None);
        }
        if rows > 0 && nulls == 0 {
            let first = array.value(0);
            if (1..rows).all(|row| array.value(row) == first) {
                return Self::Constant(Some(first));
            }
        }
        column(array)
    }
}

/// Appends `prefix`, `:` and a rendered hash to `builder` as one value.
#[inline]
pub(super) fn append_prefixed(builder: &mut StringBuilder, prefix: &str, rendered: &str) {
    use std::fmt::Write;
    // `GenericStringBuilder`'s `fmt::Write` only extends its buffer and
    // cannot fail.
    let _ = builder.write_str(prefix);
    let _ = builder.write_str(":");
    let _ = builder.write_str(rendered);
    builder.append_value("");
}

/// The result of a function whose row text is the rendered hash `H` of its
/// arguments' encoding (`stable_hash128`): never null.
pub(super) fn invoke_text_hash<H: TextHash>(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
) -> Result<ColumnarValue> {
    if let Some(scalars) = all_scalars(args) {
        let text = H::text(&encode_scalars(function, &scalars)?);
        return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text))));
    }
    let values = RowEncoder::try_new(function, args, rows)?;
    let capacity = rows.saturating_mul(H::MAX_LEN);
    ensure_offsets_fit(function, capacity)?;
    let mut builder = StringBuilder::with_capacity(rows, capacity);
    let mut encoded = Vec::new();
    let mut buffer = [0; 32];
    for row in 0..rows {
        values.encode(row, &mut encoded);
        let len = H::render(&encoded, &mut buffer);
        builder.append_value(ascii(&buffer[..len]));
    }
    Ok(ColumnarValue::Array(Arc::new(builder.finish())))
}

/// The result of a function whose row text is `'<prefix>:<H>'`, `H` the
/// rendered hash of every argument but the prefix (`stable_id`,
/// `prefixed_hash64`): NULL where the prefix is NULL.
pub(super) fn invoke_prefixed<H: TextHash>(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
) -> Result<ColumnarValue> {
    ensure_prefixed_arguments(function, args.len())?;
    if all_scalars(args).is_some() {
        // One row; the array path below handles it and keeps a single
        // implementation of the prefix rules.
        let array = prefixed_array::<H>(function, args, 1)?;
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            array.as_ref(),
            0,
        )?));
    }
    Ok(ColumnarValue::Array(prefixed_array::<H>(
        function, args, rows,
    )?))
}

fn prefixed_array<H: TextHash>(
    function: &str,
    args: &[ColumnarValue],
    rows: usize,
) -> Result<ArrayRef> {
    let prefix = Prefix::try_new(function, &args[0], rows)?;
    // Built even for a NULL prefix, so an argument that cannot be hashed is
    // an error whatever the prefix.
    let values = RowEncoder::try_new(function, &args[1..], rows)?;
    let array = match prefix {
        Prefix::Constant(None) => new_null_array(&DataType::Utf8, rows),
        Prefix::Constant(Some(prefix)) => {
            prefixed_rows::<H>(function, rows, &values, |_| Some(prefix))?
        }
        Prefix::Utf8(array) => prefixed_rows::<H>(function, rows, &values, |row| {
            array.is_valid(row).then(|| array.value(row))
        })?,
        Prefix::LargeUtf8(array) => prefixed_rows::<H>(function, rows, &values, |row| {
            array.is_valid(row).then(|| array.value(row))
        })?,
        Prefix::Utf8View(array) => prefixed_rows::<H>(function, rows, &values, |row| {
            array.is_valid(row).then(|| array.value(row))
        })?,
    };
    Ok(array)
}

/// Builds the `'<prefix>:<hash>'` rows, monomorphised per prefix layout so
/// the per-row prefix read is a direct, inlined access.
fn prefixed_rows<'p, H: TextHash>(
    function: &str,
    rows: usize,
    values: &RowEncoder,
    prefix_at: impl Fn(usize) -> Option<&'p str>,
) -> Result<ArrayRef> {
    // Sizes the output exactly (up to the hash's length) in a pass that only
    // reads offsets, and refuses a batch whose text would overflow `Utf8`'s
    // 32-bit offsets instead of panicking half way.
    let (valid, prefix_bytes) = (0..rows)
        .filter_map(&prefix_at)
        .fold((0usize, 0usize), |(valid, bytes), prefix| {
            (valid + 1, bytes.saturating_add(prefix.len()))
        });
    let capacity = prefix_bytes.saturating_add(valid.saturating_mul(1 + H::MAX_LEN));
    ensure_offsets_fit(function, capacity)?;

    let mut builder = StringBuilder::with_capacity(rows, capacity);
    let mut encoded = Vec::new();
    let mut buffer = [0; 32];
    // Constant values (the whole row but the prefix): hashed once.
    let constant_len = values.is_constant().then(|| {
        values.encode(0, &mut encoded);
        H::render(&encoded, &mut buffer)
    });
    for row in 0..rows {
        let Some(prefix) = prefix_at(row) else {
            builder.append_null();
            continue;
        };
        let len = match constant_len {
            Some(len) => len,
            None => {
                values.encode(row, &mut encoded);
                H::render(&encoded, &mut buffer)
            }
        };
        append_prefixed(&mut builder, prefix, ascii(&buffer[..len]));
    }
    Ok(Arc::new(builder.finish()))
}

fn ensure_offsets_fit(function: &str, bytes: usize) -> Result<()> {
    if bytes > i32::MAX as usize {
        return exec_err!(
            "{function}: the results of this batch exceed 2 GiB of text; use smaller batches"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, LargeStringArray, NullArray, StringArray, StringViewArray};
    use arrow::datatypes::DataType;
    use datafusion_common::ScalarValue;
    use datafusion_expr::ColumnarValue;
    use xxhash_rust::xxh3::xxh3_128;

    use super::{Decimal64, Hex128, Prefix, TextHash, coerce_prefixed, write_decimal};

    #[test]
    fn decimals_have_no_leading_zeros() {
        let mut buffer = [0; 32];
        for (value, text) in [
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (i64::MAX as u64, "9223372036854775807"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let len = write_decimal(value, &mut buffer);
            assert_eq!(&buffer[..len], text.as_bytes());
        }
        // The NULL sentinel of stable_hash64.
        assert_eq!(Decimal64::text(&[0x00]), "4921273257020026075");
    }

    #[test]
    fn hex_is_the_128_bit_value_most_significant_digit_first() {
        let hash = xxh3_128(&[0x00]);
        assert_eq!(Hex128::text(&[0x00]), format!("{hash:032x}"));
        // The canonical XXH128 of the NULL sentinel, from the C reference.
        assert_eq!(Hex128::text(&[0x00]), "a6cd5e9392000f6ac44bdff4074eecdb");
    }

    fn detect(array: ArrayRef) -> Option<Option<String>> {
        let rows = array.len();
        let value = ColumnarValue::Array(array);
        match Prefix::try_new("f", &value, rows).unwrap() {
            Prefix::Constant(prefix) => Some(prefix.map(str::to_string)),
            Prefix::Utf8(_) | Prefix::LargeUtf8(_) | Prefix::Utf8View(_) => None,
        }
    }

    #[test]
    fn constant_prefix_arrays_are_detected() {
        fn repeated(value: Option<&str>) -> Vec<Option<&str>> {
            vec![value; 4]
        }
        assert_eq!(
            detect(Arc::new(StringArray::from(repeated(Some("user"))))),
            Some(Some("user".into()))
        );
        assert_eq!(
            detect(Arc::new(LargeStringArray::from(repeated(Some(""))))),
            Some(Some(String::new()))
        );
        let long = "a prefix longer than twelve bytes";
        assert_eq!(
            detect(Arc::new(StringViewArray::from(repeated(Some(long))))),
            Some(Some(long.into()))
        );
        assert_eq!(
            detect(Arc::new(StringArray::from(repeated(None)))),
            Some(None)
        );
        assert_eq!(detect(Arc::new(NullArray::new(3))), Some(None));
        // What DataFusion's FFI hands over for a literal.
        let literal = ScalarValue::Utf8View(Some("order".into()))
            .to_array_of_size(5)
            .unwrap();
        assert_eq!(detect(literal), Some(Some("order".into())));
    }

    #[test]
    fn varying_prefix_arrays_stay_columns() {
        for values in [
            vec![Some("a"), Some("a"), Some("b")],
            vec![Some("a"), None, Some("a")],
            vec![None, Some("a")],
            vec![Some("ab"), Some("a")],
        ] {
            assert_eq!(detect(Arc::new(StringArray::from(values.clone()))), None);
            assert_eq!(detect(Arc::new(StringViewArray::from(values))), None);
        }
        assert_eq!(
            detect(Arc::new(StringArray::from(Vec::<&str>::new()))),
            None
        );
    }

    #[test]
    fn prefixes_must_be_strings() {
        let coerced =
            coerce_prefixed("f", &[DataType::Null, DataType::Int8, DataType::Utf8View]).unwrap();
        assert_eq!(
            coerced,
            vec![DataType::Utf8, DataType::Int8, DataType::Utf8View]
        );
        let dictionary =
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::LargeUtf8));
        assert_eq!(
            coerce_prefixed("f", &[dictionary, DataType::Null]).unwrap(),
            vec![DataType::LargeUtf8, DataType::Null]
        );
        for prefix in [DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View] {
            assert_eq!(
                coerce_prefixed("f", &[prefix.clone(), DataType::Int64]).unwrap(),
                vec![prefix, DataType::Int64]
            );
        }

        for prefix in [
            DataType::Int64,
            DataType::Binary,
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Int64)),
        ] {
            let error = coerce_prefixed("f", &[prefix.clone(), DataType::Int64]).unwrap_err();
            assert!(
                error.to_string().contains(&format!(
                    "f: the prefix must be a string (Utf8, LargeUtf8 or Utf8View), got {prefix}"
                )),
                "{error}"
            );
        }
        let error = coerce_prefixed("f", &[DataType::Utf8]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("f requires a prefix and at least one value to hash"),
            "{error}"
        );
        assert!(coerce_prefixed("f", &[]).is_err());

        let error = Prefix::try_new("f", &ColumnarValue::Scalar(ScalarValue::Int32(Some(1))), 1)
            .err()
            .unwrap();
        assert!(error.to_string().contains("got Int32"), "{error}");
    }
}
