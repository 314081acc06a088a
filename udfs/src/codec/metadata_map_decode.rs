//! `metadata_map_decode(bytes)`: a MessagePack map of str to str, as a
//! `Map<Utf8, Utf8>`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use datafusion_common::utils::take_function_args;
use datafusion_common::{DataFusionError, Result};
use datafusion_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::args::{
    Binaries, check_offset, coerce_binary, metadata_map_builder, metadata_map_type, unary,
};
use super::reader::{DecodeError, DecodeResult, Item, Reader};

#[user_doc(
    doc_section(label = "MessagePack Functions"),
    description = r#"Decodes a MessagePack map of strings to strings (a metadata map, as `metadata_map_encode` writes it) into a Map(Utf8, Utf8), its entries sorted by key.

The payload must be exactly one MessagePack map whose keys are all str and whose values are str or nil (nil becomes a NULL value). Anything else is an error naming what was found and where: a payload that is not a map, a key or value of another kind, a key that appears twice, truncated input, trailing bytes, invalid UTF-8, or more than 64 MiB. NULL gives NULL. `metadata_map_decode(metadata_map_encode(m))` is `m` with its entries sorted by key."#,
    syntax_example = "metadata_map_decode(expression)",
    sql_example = r#"```sql
> select metadata_map_decode(metadata_map_encode(MAP {'unit': 'ms', 'source': NULL})) as round_trip;
+----------------------+
| round_trip           |
+----------------------+
| {source: , unit: ms} |
+----------------------+
> select metadata_map_decode(X'81a474797065a3696e74') as decoded;
+-------------+
| decoded     |
+-------------+
| {type: int} |
+-------------+
```"#,
    argument(
        name = "expression",
        description = "MessagePack bytes: a Binary, LargeBinary, BinaryView or FixedSizeBinary constant, column or function. NULL gives NULL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MetadataMapDecodeFunc {
    signature: Signature,
}

impl Default for MetadataMapDecodeFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MetadataMapDecodeFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "metadata_map_decode";

impl ScalarUDFImpl for MetadataMapDecodeFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [data_type] = take_function_args(NAME, arg_types)?;
        Ok(vec![coerce_binary(NAME, data_type)?])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(metadata_map_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = take_function_args(NAME, &args.args)?;
        unary(arg, decode_column)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// A decoded entry: borrowed from the input, nothing copied until the result
/// is built.
type Entry<'a> = (&'a str, Option<&'a str>);

fn decode_column(array: &dyn Array) -> Result<ArrayRef> {
    let input = Binaries::try_new(NAME, array)?;
    let rows = input.len();
    let mut builder = metadata_map_builder(rows);
    // Reused across rows: every entry borrows from the input column, which
    // outlives the loop.
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let (mut key_bytes, mut value_bytes, mut entry_count) = (0usize, 0usize, 0usize);
    for row in 0..rows {
        let Some(bytes) = input.get(row) else {
            builder.append(false)?;
            continue;
        };
        entries.clear();
        decode(bytes, &mut entries).map_err(|error| {
            DataFusionError::Execution(format!("{NAME}: cannot decode a metadata map: {error}"))
        })?;
        for (key, value) in &entries {
            // arrow's builders would panic past 2 GiB of text, or 2^31 entries.
            key_bytes += key.len();
            value_bytes += value.map_or(0, str::len);
            entry_count += 1;
            check_offset(NAME, key_bytes.max(value_bytes).max(entry_count), 0)?;
            builder.keys().append_value(key);
            builder.values().append_option(*value);
        }
        builder.append(true)?;
    }
    Ok(Arc::new(builder.finish()))
}

/// Decodes one metadata map into `entries`, sorted by key.
pub fn decode<'a>(bytes: &'a [u8], entries: &mut Vec<Entry<'a>>) -> DecodeResult<()> {
    let mut reader = Reader::new(bytes)?;
    let count = match reader.item()? {
        Item::Map(count) => count,
        other => {
            return Err(DecodeError::new(format!(
                "expected a map of str to str, found {}",
                other.kind()
            )));
        }
    };
    for index in 0..count {
        let offset = reader.position();
        let key = match reader.item()? {
            Item::Str(key) => key,
            other => {
                return Err(DecodeError::new(format!(
                    "the key of entry {index} (at offset {offset}) is {}, expected a str",
                    other.kind()
                )));
            }
        };
        let offset = reader.position();
        let value = match reader.item()? {
            Item::Str(value) => Some(value),
            Item::Nil => None,
            other => {
                return Err(DecodeError::new(format!(
                    "the value of key {key:?} (at offset {offset}) is {}, expected a str or nil",
                    other.kind()
                )));
            }
        };
        entries.push((key, value));
    }
    reader.finish()?;
    // Keys are checked unique below, so an unstable sort is deterministic
    // (and allocates nothing).
    entries.sort_unstable_by_key(|(key, _)| *key);
    if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(DecodeError::new(format!(
            "the key {:?} appears more than once",
            pair[0].0
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, MapArray};
    use datafusion_common::{Result, ScalarValue};
    use datafusion_expr::ColumnarValue;

    use super::{MetadataMapDecodeFunc, decode};
    use crate::codec::args::metadata_map_type;
    use crate::test_support::invoke_unplanned;

    fn entries(bytes: &[u8]) -> Result<Vec<(String, Option<String>)>, String> {
        let mut entries = Vec::new();
        decode(bytes, &mut entries).map_err(|e| e.to_string())?;
        Ok(entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect())
    }

    fn invoke(arg: ColumnarValue, number_rows: usize) -> Result<ColumnarValue> {
        invoke_unplanned(
            &MetadataMapDecodeFunc::new(),
            vec![arg],
            number_rows,
            metadata_map_type(),
        )
    }

    fn owned(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn decodes_sorted_with_nil_values() {
        // {"unit": "ms", "a": nil, "b": ""}, not in key order.
        let bytes = [
            0x83, 0xa4, b'u', b'n', b'i', b't', 0xa2, b'm', b's', 0xa1, b'a', 0xc0, 0xa1, b'b',
            0xa0,
        ];
        assert_eq!(
            entries(&bytes).unwrap(),
            owned(&[("a", None), ("b", Some("")), ("unit", Some("ms"))])
        );
        assert_eq!(entries(&[0x80]).unwrap(), vec![]);
    }

    #[test]
    fn errors_name_what_was_found() {
        let cases: [(&[u8], &str); 8] = [
            (
                &[0x91, 0x01],
                "expected a map of str to str, found an array",
            ),
            (&[0xc0], "expected a map of str to str, found nil"),
            (
                &[0x81, 0x01, 0xa0],
                "the key of entry 0 (at offset 1) is an int, expected a str",
            ),
            (
                &[0x81, 0xa1, b'k', 0x90],
                "the value of key \"k\" (at offset 3) is an array, expected a str or nil",
            ),
            (
                &[0x82, 0xa1, b'k', 0xc0, 0xa1, b'k', 0xa0],
                "the key \"k\" appears more than once",
            ),
            (
                &[0x81, 0xa1, b'k'],
                "truncated input: 1 byte needed at offset 3, 0 left",
            ),
            (
                &[0x80, 0x80],
                "1 trailing byte after the value, which ends at offset 1",
            ),
            (&[], "truncated input: 1 byte needed at offset 0, 0 left"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(entries(bytes).unwrap_err(), expected, "{bytes:02x?}");
        }
    }

    #[test]
    fn columns_nulls_and_constants() {
        let column: ArrayRef = Arc::new(BinaryArray::from(vec![
            Some(&[0x81, 0xa1, b'k', 0xa1, b'v'][..]),
            None,
            Some(&[0x80][..]),
        ]));
        let ColumnarValue::Array(result) = invoke(ColumnarValue::Array(column), 3).unwrap() else {
            panic!("a column gives a column");
        };
        let result = result.as_map();
        assert_eq!(result.data_type(), &metadata_map_type());
        assert_eq!(result.len(), 3);
        assert_eq!(result.value(0).column(0).as_string::<i32>().value(0), "k");
        assert_eq!(result.value(0).column(1).as_string::<i32>().value(0), "v");
        assert!(result.is_null(1));
        assert!(result.is_valid(2));
        assert_eq!(result.value(2).len(), 0);

        let scalar = invoke(
            ColumnarValue::Scalar(ScalarValue::Binary(Some(vec![0x80]))),
            1,
        )
        .unwrap();
        let ColumnarValue::Scalar(ScalarValue::Map(map)) = scalar else {
            panic!("a constant gives a constant map, got {scalar:?}");
        };
        let map: &MapArray = map.as_ref();
        assert_eq!(
            (map.len(), map.is_valid(0), map.value(0).len()),
            (1, true, 0)
        );

        let error = invoke(
            ColumnarValue::Scalar(ScalarValue::Binary(Some(vec![0x01]))),
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(
                "metadata_map_decode: cannot decode a metadata map: expected a map of str to str, found an int"
            ),
            "{error}"
        );
    }
}
