//! `metadata_map_encode(map)`: a `Map<Utf8, Utf8>` as canonical MessagePack.

use arrow::datatypes::DataType;
use datafusion_common::utils::take_function_args;
use datafusion_common::{Result, plan_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::args::{is_string_like, unary};
use super::msgpack_encode::encode_column;

#[user_doc(
    doc_section(label = "MessagePack Functions"),
    description = r#"Encodes a metadata map (a map of strings to strings) as MessagePack in dfpack's canonical form, as Binary: a MessagePack map of str to str, its entries sorted by the bytes of their encoded key (shorter keys first, then bytewise), so equal maps give equal bytes whatever the order of their entries. A NULL value is written as nil; a NULL map gives NULL. The bytes are those `msgpack_encode` gives for the same map, and `metadata_map_decode` reads them back."#,
    syntax_example = "metadata_map_encode(expression)",
    sql_example = r#"```sql
> select metadata_map_encode(MAP {'unit': 'ms', 'source': NULL}) as encoded;
+------------------------------------+
| encoded                            |
+------------------------------------+
| 82a4756e6974a26d73a6736f75726365c0 |
+------------------------------------+
```"#,
    argument(
        name = "expression",
        description = "A map whose keys and values are strings (Utf8, LargeUtf8, Utf8View or dictionary encoded), such as the result of `field_metadata(column)` or `MAP {'k': 'v'}`. NULL gives NULL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MetadataMapEncodeFunc {
    signature: Signature,
}

impl Default for MetadataMapEncodeFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MetadataMapEncodeFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "metadata_map_encode";

/// Whether `data_type` is a map of strings to strings (values may also be
/// all NULL, as in `MAP {'k': NULL}`).
fn is_metadata_map(data_type: &DataType) -> bool {
    let DataType::Map(entries, _) = data_type else {
        return false;
    };
    let DataType::Struct(fields) = entries.data_type() else {
        return false;
    };
    match fields.iter().collect::<Vec<_>>().as_slice() {
        [key, value] => {
            is_string_like(key.data_type())
                && (is_string_like(value.data_type()) || value.data_type() == &DataType::Null)
        }
        _ => false,
    }
}

impl ScalarUDFImpl for MetadataMapEncodeFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [data_type] = take_function_args(NAME, arg_types)?;
        if data_type == &DataType::Null || is_metadata_map(data_type) {
            Ok(vec![data_type.clone()])
        } else {
            plan_err!("{NAME} expects a map of strings to strings, got {data_type}")
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = take_function_args(NAME, &args.args)?;
        // Checked again here: a host may call without coercing first.
        let data_type = arg.data_type();
        if data_type != DataType::Null && !is_metadata_map(&data_type) {
            return plan_err!("{NAME} expects a map of strings to strings, got {data_type}");
        }
        unary(arg, |array| encode_column(NAME, array))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, AsArray, LargeStringBuilder, MapBuilder, StringBuilder,
        StringDictionaryBuilder, StringViewBuilder,
    };
    use arrow::datatypes::{DataType, Field, Int32Type};
    use datafusion_common::{Result, ScalarValue};
    use datafusion_expr::{ColumnarValue, ScalarUDFImpl};

    use super::MetadataMapEncodeFunc;
    use crate::test_support::invoke_unplanned;

    fn invoke(arg: ColumnarValue, number_rows: usize) -> Result<ColumnarValue> {
        invoke_unplanned(
            &MetadataMapEncodeFunc::new(),
            vec![arg],
            number_rows,
            DataType::Binary,
        )
    }

    fn encode(column: ArrayRef) -> Vec<Option<Vec<u8>>> {
        let rows = column.len();
        let ColumnarValue::Array(result) = invoke(ColumnarValue::Array(column), rows).unwrap()
        else {
            panic!("a column gives a column");
        };
        result
            .as_binary::<i32>()
            .iter()
            .map(|v| v.map(<[u8]>::to_vec))
            .collect()
    }

    type Row = Option<Vec<(&'static str, Option<&'static str>)>>;

    /// Rows: {unit: ms, a: NULL}, NULL, {}, {a: NULL, unit: ms}.
    fn rows() -> Vec<Row> {
        vec![
            Some(vec![("unit", Some("ms")), ("a", None)]),
            None,
            Some(vec![]),
            Some(vec![("a", None), ("unit", Some("ms"))]),
        ]
    }

    #[test]
    fn entries_are_sorted_and_nulls_are_nil_or_null() {
        let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        for row in rows() {
            match row {
                None => builder.append(false).unwrap(),
                Some(entries) => {
                    for (k, v) in entries {
                        builder.keys().append_value(k);
                        builder.values().append_option(v);
                    }
                    builder.append(true).unwrap();
                }
            }
        }
        let encoded = encode(Arc::new(builder.finish()));
        let unit_ms_a_nil = vec![
            0x82, 0xa1, b'a', 0xc0, 0xa4, b'u', b'n', b'i', b't', 0xa2, b'm', b's',
        ];
        assert_eq!(
            encoded,
            vec![
                Some(unit_ms_a_nil.clone()),
                None,
                Some(vec![0x80]),
                Some(unit_ms_a_nil)
            ]
        );
    }

    #[test]
    fn every_string_representation_encodes_alike() {
        fn fill<K, V>(
            mut builder: MapBuilder<K, V>,
            push: impl Fn(&mut MapBuilder<K, V>, &str, Option<&str>),
        ) -> ArrayRef
        where
            K: arrow::array::ArrayBuilder,
            V: arrow::array::ArrayBuilder,
        {
            for row in rows() {
                match row {
                    None => builder.append(false).unwrap(),
                    Some(entries) => {
                        for (k, v) in entries {
                            push(&mut builder, k, v);
                        }
                        builder.append(true).unwrap();
                    }
                }
            }
            Arc::new(builder.finish())
        }
        let plain = fill(
            MapBuilder::new(None, StringBuilder::new(), StringBuilder::new()),
            |b, k, v| {
                b.keys().append_value(k);
                b.values().append_option(v);
            },
        );
        let large = fill(
            MapBuilder::new(None, LargeStringBuilder::new(), StringViewBuilder::new()),
            |b, k, v| {
                b.keys().append_value(k);
                b.values().append_option(v);
            },
        );
        let dictionary = fill(
            MapBuilder::new(
                None,
                StringDictionaryBuilder::<Int32Type>::new(),
                StringDictionaryBuilder::<Int32Type>::new(),
            ),
            |b, k, v| {
                b.keys().append_value(k);
                b.values().append_option(v);
            },
        );
        let expected = encode(plain);
        assert_eq!(encode(large), expected);
        assert_eq!(encode(dictionary), expected);
    }

    #[test]
    fn other_types_are_rejected() {
        let func = MetadataMapEncodeFunc::new();
        let error = func
            .coerce_types(&[DataType::Utf8])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("metadata_map_encode expects a map of strings to strings, got Utf8"),
            "{error}"
        );
        let int_values = DataType::Map(
            Arc::new(Field::new(
                "entries",
                DataType::Struct(
                    vec![
                        Field::new("key", DataType::Utf8, false),
                        Field::new("value", DataType::Int32, true),
                    ]
                    .into(),
                ),
                false,
            )),
            false,
        );
        assert!(func.coerce_types(&[int_values]).is_err());
        assert!(
            invoke(ColumnarValue::Scalar(ScalarValue::Int32(Some(1))), 1)
                .unwrap_err()
                .to_string()
                .contains("expects a map of strings to strings, got Int32")
        );
        let null = invoke(ColumnarValue::Scalar(ScalarValue::Null), 1).unwrap();
        assert!(
            matches!(null, ColumnarValue::Scalar(ScalarValue::Binary(None))),
            "{null:?}"
        );
    }
}
