//! `msgpack_to_json(bytes)`: one MessagePack value rendered as JSON text.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder};
use arrow::datatypes::DataType;
use datafusion_common::utils::take_function_args;
use datafusion_common::{DataFusionError, Result};
use datafusion_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::args::{Binaries, append_str, coerce_binary, unary};
use super::reader::{DecodeError, DecodeResult, Item, MAX_DEPTH, Reader};

#[user_doc(
    doc_section(label = "MessagePack Functions"),
    description = r#"Decodes one MessagePack value and renders it as JSON text.

nil, booleans, integers, floats, strings and arrays map to their JSON counterparts (floats in their shortest round-trip form; NaN and ±infinity, which JSON cannot express, become null). A map becomes a JSON object, its entries in the order of the input, duplicates kept; a key that is not a string is rendered as its JSON text, which becomes the member name (the int 1 as "1", nil as "null", the array [1,2] as "[1,2]"). A bin becomes a string of lowercase hex. An ext value becomes {"ext": type, "data": "<lowercase hex>"} (so a timestamp is {"ext": -1, ...}).

The input must be exactly one value: truncated input, trailing bytes after the value, the reserved byte 0xc1, invalid UTF-8 in a str, arrays and maps nested more than 128 deep, and inputs larger than 64 MiB are errors naming the problem and its byte offset. NULL gives NULL."#,
    syntax_example = "msgpack_to_json(expression)",
    sql_example = r#"```sql
> select msgpack_to_json(msgpack_encode(named_struct('b', 1.5, 'a', [1, NULL]))) as json;
+------------------------+
| json                   |
+------------------------+
| {"a":[1,null],"b":1.5} |
+------------------------+
> select msgpack_to_json(X'8301a1780ac2a1629102') as int_keys, msgpack_to_json(X'c4020a0b') as bin, msgpack_to_json(X'd6ff00000001') as timestamp;
+------------------------------+--------+------------------------------+
| int_keys                     | bin    | timestamp                    |
+------------------------------+--------+------------------------------+
| {"1":"x","10":false,"b":[2]} | "0a0b" | {"ext":-1,"data":"00000001"} |
+------------------------------+--------+------------------------------+
```"#,
    argument(
        name = "expression",
        description = "MessagePack bytes: a Binary, LargeBinary, BinaryView or FixedSizeBinary constant, column or function. NULL gives NULL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MsgpackToJsonFunc {
    signature: Signature,
}

impl Default for MsgpackToJsonFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgpackToJsonFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "msgpack_to_json";

impl ScalarUDFImpl for MsgpackToJsonFunc {
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
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = take_function_args(NAME, &args.args)?;
        unary(arg, json_column)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

fn json_column(array: &dyn Array) -> Result<ArrayRef> {
    let input = Binaries::try_new(NAME, array)?;
    let rows = input.len();
    let mut builder = StringBuilder::with_capacity(rows, input.value_bytes().saturating_mul(2));
    // One buffer for the whole batch: cleared, never reallocated once it has
    // grown to the longest row.
    let mut json = Vec::new();
    for row in 0..rows {
        let Some(bytes) = input.get(row) else {
            builder.append_null();
            continue;
        };
        json.clear();
        to_json(bytes, &mut json).map_err(|error| {
            DataFusionError::Execution(format!("{NAME}: cannot decode MessagePack: {error}"))
        })?;
        // Every piece written is JSON text, so this never fails.
        let text = std::str::from_utf8(&json).map_err(|error| {
            DataFusionError::Internal(format!("{NAME}: rendered invalid UTF-8: {error}"))
        })?;
        append_str(NAME, &mut builder, text)?;
    }
    Ok(Arc::new(builder.finish()))
}

/// Renders the one MessagePack value of `bytes` as JSON, appended to `out`.
pub fn to_json(bytes: &[u8], out: &mut Vec<u8>) -> DecodeResult<()> {
    let mut reader = Reader::new(bytes)?;
    render_next(&mut reader, out, 0)?;
    reader.finish()
}

/// Renders the next value of `reader`, found inside `depth` arrays and maps.
fn render_next(reader: &mut Reader<'_>, out: &mut Vec<u8>, depth: usize) -> DecodeResult<()> {
    let offset = reader.position();
    let item = reader.item()?;
    render(reader, item, offset, out, depth)
}

/// Writes a number or string as JSON with serde_json. Writing to a
/// `Vec<u8>` cannot fail, and neither can serializing these, so the result
/// carries no information here.
macro_rules! json {
    ($out:expr, $value:expr) => {{
        let _ = serde_json::to_writer(&mut *$out, $value);
    }};
}

fn render(
    reader: &mut Reader<'_>,
    item: Item<'_>,
    offset: usize,
    out: &mut Vec<u8>,
    depth: usize,
) -> DecodeResult<()> {
    match item {
        Item::Nil => out.extend_from_slice(b"null"),
        Item::Bool(true) => out.extend_from_slice(b"true"),
        Item::Bool(false) => out.extend_from_slice(b"false"),
        Item::UInt(v) => json!(out, &v),
        Item::Int(v) => json!(out, &v),
        Item::F32(v) if v.is_finite() => json!(out, &v),
        Item::F64(v) if v.is_finite() => json!(out, &v),
        Item::F32(_) | Item::F64(_) => out.extend_from_slice(b"null"),
        Item::Str(v) => json!(out, v),
        Item::Bin(v) => {
            out.push(b'"');
            hex(v, out);
            out.push(b'"');
        }
        Item::Ext(code, data) => {
            let _ = write!(out, "{{\"ext\":{code},\"data\":\"");
            hex(data, out);
            out.extend_from_slice(b"\"}");
        }
        Item::Array(len) => {
            let depth = enter(depth, offset)?;
            out.push(b'[');
            for i in 0..len {
                if i > 0 {
                    out.push(b',');
                }
                render_next(reader, out, depth)?;
            }
            out.push(b']');
        }
        Item::Map(len) => {
            let depth = enter(depth, offset)?;
            out.push(b'{');
            for i in 0..len {
                if i > 0 {
                    out.push(b',');
                }
                render_key(reader, out, depth)?;
                out.push(b':');
                render_next(reader, out, depth)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// A map key: a str as itself, anything else as a string of its JSON text.
fn render_key(reader: &mut Reader<'_>, out: &mut Vec<u8>, depth: usize) -> DecodeResult<()> {
    let offset = reader.position();
    match reader.item()? {
        Item::Str(key) => json!(out, key),
        item => {
            // Non-string keys are rare: a buffer of their own is fine.
            let mut text = Vec::new();
            render(reader, item, offset, &mut text, depth)?;
            let text = String::from_utf8(text)
                .map_err(|_| DecodeError::new("internal error: a key rendered invalid UTF-8"))?;
            json!(out, &text);
        }
    }
    Ok(())
}

/// The depth inside an array or map that starts at `offset`.
fn enter(depth: usize, offset: usize) -> DecodeResult<usize> {
    if depth >= MAX_DEPTH {
        return Err(DecodeError::new(format!(
            "arrays and maps nest more than {MAX_DEPTH} deep (at offset {offset})"
        )));
    }
    Ok(depth + 1)
}

fn hex(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0x0f)]);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, AsArray, BinaryArray, BinaryViewArray, FixedSizeBinaryArray,
        LargeBinaryArray,
    };
    use arrow::datatypes::DataType;
    use datafusion_common::{Result, ScalarValue};
    use datafusion_expr::{ColumnarValue, ScalarUDFImpl};

    use super::{MsgpackToJsonFunc, to_json};
    use crate::codec::reader::MAX_DEPTH;
    use crate::test_support::invoke_unplanned;

    fn json(bytes: &[u8]) -> Result<String, String> {
        let mut out = Vec::new();
        to_json(bytes, &mut out).map_err(|e| e.to_string())?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn invoke(arg: ColumnarValue, number_rows: usize) -> Result<ColumnarValue> {
        invoke_unplanned(
            &MsgpackToJsonFunc::new(),
            vec![arg],
            number_rows,
            DataType::Utf8,
        )
    }

    #[test]
    fn scalars() {
        let cases: [(&[u8], &str); 16] = [
            (&[0xc0], "null"),
            (&[0xc3], "true"),
            (&[0xc2], "false"),
            (&[0x05], "5"),
            (&[0xe0], "-32"),
            (
                &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "18446744073709551615",
            ),
            (&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], "-9223372036854775808"),
            (&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], "1.5"),
            (&[0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], "1.0"),
            (&[0xca, 0x3d, 0xcc, 0xcc, 0xcd], "0.1"),
            (&[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], "null"),
            (&[0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0], "null"),
            (&[0xca, 0x7f, 0x80, 0, 0], "null"),
            (
                &[0xa5, b'a', b'"', b'\\', b'\n', 0x01],
                r#""a\"\\\n\u0001""#,
            ),
            (&[0xc4, 2, 0xde, 0xad], r#""dead""#),
            (&[0xd6, 0xff, 0, 0, 0, 1], r#"{"ext":-1,"data":"00000001"}"#),
        ];
        for (bytes, expected) in cases {
            assert_eq!(json(bytes).unwrap(), expected, "{bytes:02x?}");
        }
        let mut unicode = vec![0xa6];
        unicode.extend_from_slice("é🦀".as_bytes());
        assert_eq!(json(&unicode).unwrap(), "\"é🦀\"");
    }

    #[test]
    fn containers_and_keys() {
        // {"a": [1, nil], 1: true, nil: {}, [1, 2]: "x", h'ab': 0}
        let bytes = [
            0x85, 0xa1, b'a', 0x92, 0x01, 0xc0, 0x01, 0xc3, 0xc0, 0x80, 0x92, 0x01, 0x02, 0xa1,
            b'x', 0xc4, 0x01, 0xab, 0x00,
        ];
        assert_eq!(
            json(&bytes).unwrap(),
            r#"{"a":[1,null],"1":true,"null":{},"[1,2]":"x","\"ab\"":0}"#
        );
        // Duplicates are kept, in input order.
        assert_eq!(
            json(&[0x82, 0xa1, b'k', 0x01, 0xa1, b'k', 0x02]).unwrap(),
            r#"{"k":1,"k":2}"#
        );
        assert_eq!(json(&[0x90]).unwrap(), "[]");
    }

    fn nested_arrays(depth: usize) -> Vec<u8> {
        let mut bytes = vec![0x91; depth];
        bytes.push(0x01);
        bytes
    }

    #[test]
    fn nesting_is_limited() {
        let deepest = json(&nested_arrays(MAX_DEPTH)).unwrap();
        assert_eq!(deepest.len(), 2 * MAX_DEPTH + 1);
        assert_eq!(
            json(&nested_arrays(MAX_DEPTH + 1)).unwrap_err(),
            "arrays and maps nest more than 128 deep (at offset 128)"
        );
        // Maps count too, keys included.
        let mut keys = vec![0x81; MAX_DEPTH + 1];
        keys.push(0xc0);
        assert!(json(&keys).unwrap_err().contains("nest more than 128 deep"));
        // A million levels: an error, not a stack overflow.
        assert!(
            json(&nested_arrays(1_000_000))
                .unwrap_err()
                .contains("nest more than")
        );
    }

    #[test]
    fn malformed_input_is_an_error() {
        let cases: [(&[u8], &str); 6] = [
            (&[], "truncated input: 1 byte needed at offset 0, 0 left"),
            (
                &[0x92, 0x01],
                "truncated input: 1 byte needed at offset 2, 0 left",
            ),
            (
                &[0x01, 0x02],
                "1 trailing byte after the value, which ends at offset 1",
            ),
            (
                &[0xc1],
                "the byte c1 at offset 0 is not a valid MessagePack marker",
            ),
            (
                &[0xa1, 0xff],
                "invalid UTF-8 in the str at offset 1, at byte 0 of it",
            ),
            (
                &[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0],
                "truncated input: 1 byte needed at offset 6, 0 left",
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(json(bytes).unwrap_err(), expected, "{bytes:02x?}");
        }
    }

    #[test]
    fn errors_name_the_function() {
        let column: ArrayRef = Arc::new(BinaryArray::from(vec![&[0x01u8][..], &[0x92, 0x01]]));
        let error = invoke(ColumnarValue::Array(column), 2)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("msgpack_to_json: cannot decode MessagePack: truncated input"),
            "{error}"
        );
    }

    #[test]
    fn every_binary_kind_and_nulls() {
        let values: Vec<Option<&[u8]>> = vec![Some(&[0x91, 0x01]), None, Some(&[0xa1, b'x'])];
        let columns: Vec<ArrayRef> = vec![
            Arc::new(BinaryArray::from(values.clone())),
            Arc::new(LargeBinaryArray::from(values.clone())),
            Arc::new(BinaryViewArray::from(values.clone())),
        ];
        for column in columns {
            let data_type = column.data_type().clone();
            let ColumnarValue::Array(result) = invoke(ColumnarValue::Array(column), 3).unwrap()
            else {
                panic!("a column gives a column");
            };
            let result = result.as_string::<i32>();
            assert_eq!(result.value(0), "[1]", "{data_type}");
            assert!(result.is_null(1), "{data_type}");
            assert_eq!(result.value(2), "\"x\"", "{data_type}");
        }
        let fixed: ArrayRef = Arc::new(
            FixedSizeBinaryArray::try_from_iter(vec![[0x92, 0x01, 0x02]].into_iter()).unwrap(),
        );
        let ColumnarValue::Array(result) = invoke(ColumnarValue::Array(fixed), 1).unwrap() else {
            panic!("a column gives a column");
        };
        assert_eq!(result.as_string::<i32>().value(0), "[1,2]");

        let scalar = invoke(
            ColumnarValue::Scalar(ScalarValue::Binary(Some(vec![0xc3]))),
            1,
        )
        .unwrap();
        assert!(
            matches!(scalar, ColumnarValue::Scalar(ScalarValue::Utf8(Some(ref s))) if s == "true")
        );
        for null in [ScalarValue::Binary(None), ScalarValue::Null] {
            let result = invoke(ColumnarValue::Scalar(null), 1).unwrap();
            assert!(
                matches!(result, ColumnarValue::Scalar(ScalarValue::Utf8(None))),
                "{result:?}"
            );
        }
    }

    #[test]
    fn only_binary_arguments_are_accepted() {
        let func = MsgpackToJsonFunc::new();
        let error = func
            .coerce_types(&[DataType::Utf8])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("msgpack_to_json expects a binary argument"),
            "{error}"
        );
        assert!(func.coerce_types(&[]).is_err());
        assert!(
            func.coerce_types(&[DataType::Binary, DataType::Binary])
                .is_err()
        );
        let dictionary = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Binary));
        assert_eq!(
            func.coerce_types(&[dictionary]).unwrap(),
            vec![DataType::Binary]
        );
    }
}
