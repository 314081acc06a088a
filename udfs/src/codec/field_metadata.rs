//! `field_metadata(expression [, key])`: the Arrow field metadata of the
//! argument's field.
//!
//! DataFusion 55 hosts have a built-in `arrow_metadata` for the same purpose.
//! The pack's function has a name of its own because the loader refuses to
//! install a pack that would shadow a host's function. It gives the same
//! answers, also takes a key per row, and works through datafusion-ffi,
//! where a constant key arrives as a column (apache/datafusion#18201).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, MapArray, StringBuilder};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{Result, ScalarValue, exec_err, internal_err, plan_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::args::{
    Strings, append_str, check_offset, coerce_string, metadata_map_builder, metadata_map_type,
};

#[user_doc(
    doc_section(label = "MessagePack Functions"),
    description = r#"Returns the Arrow field metadata of the argument's field. With one argument, all of it as a Map(Utf8, Utf8), entries sorted by key (an empty map when the field has none); with a key, that key's value as Utf8, or NULL when the field has no such key or the key is NULL.

The metadata is that of the argument's field as planned: a column read from a file or table whose schema carries field metadata (Parquet, Arrow IPC, a registered table), or an expression that sets it (`with_metadata`). Casts (`CAST`, `arrow_cast`) keep their input's metadata and add none; literals, arithmetic and most functions return fields without metadata. Without a key, the result is the same for every row. It answers like DataFusion's built-in `arrow_metadata`, and also accepts a key per row (a column of keys)."#,
    syntax_example = "field_metadata(expression[, key])",
    sql_example = r#"```sql
> select field_metadata(with_metadata(1, 'unit', 'ms', 'source', 'sensor')) as metadata;
+----------------------------+
| metadata                   |
+----------------------------+
| {source: sensor, unit: ms} |
+----------------------------+
> select field_metadata(with_metadata(1, 'unit', 'ms'), 'unit') as unit, field_metadata(1, 'unit') as none;
+------+------+
| unit | none |
+------+------+
| ms   |      |
+------+------+
```"#,
    argument(
        name = "expression",
        description = "Any expression; only its field's metadata is read, not its values."
    ),
    argument(
        name = "key",
        description = "Optional: the metadata key to look up, a string (usually a constant; a column is looked up row by row). NULL gives NULL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FieldMetadataFunc {
    signature: Signature,
}

impl Default for FieldMetadataFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl FieldMetadataFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "field_metadata";

fn arity_error<T>(count: usize) -> Result<T> {
    plan_err!("{NAME} expects one or two arguments (expression[, key]), got {count}")
}

impl ScalarUDFImpl for FieldMetadataFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The expression is never cast (a cast would drop its field's
    /// metadata); a key must be a string.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [expression] => Ok(vec![expression.clone()]),
            [expression, key] => Ok(vec![expression.clone(), coerce_string(NAME, "key", key)?]),
            other => arity_error(other.len()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    /// The map form is never NULL; the value of a key may be.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields.len() {
            1 => Ok(Arc::new(Field::new(NAME, metadata_map_type(), false))),
            2 => Ok(Arc::new(Field::new(NAME, DataType::Utf8, true))),
            count => arity_error(count),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.len() != args.arg_fields.len() {
            return internal_err!(
                "{NAME}: {} arguments but {} argument fields",
                args.args.len(),
                args.arg_fields.len()
            );
        }
        let Some(field) = args.arg_fields.first() else {
            return arity_error(0);
        };
        let metadata = field.metadata();
        match args.args.as_slice() {
            [expression] => {
                let mut entries: Vec<(&str, &str)> = metadata
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str()))
                    .collect();
                entries.sort_unstable();
                match expression {
                    ColumnarValue::Scalar(_) => Ok(ColumnarValue::Scalar(ScalarValue::Map(
                        Arc::new(repeated_map(&entries, 1)?),
                    ))),
                    ColumnarValue::Array(_) => Ok(ColumnarValue::Array(Arc::new(repeated_map(
                        &entries,
                        args.number_rows,
                    )?))),
                }
            }
            [expression, ColumnarValue::Scalar(key)] => {
                let value = match key.try_as_str() {
                    Some(key) => key.and_then(|key| metadata.get(key)).cloned(),
                    None if key.is_null() => None,
                    None => {
                        return exec_err!("{NAME} expects a string key, got {}", key.data_type());
                    }
                };
                let value = ScalarValue::Utf8(value);
                match expression {
                    ColumnarValue::Scalar(_) => Ok(ColumnarValue::Scalar(value)),
                    ColumnarValue::Array(_) => Ok(ColumnarValue::Array(
                        value.to_array_of_size(args.number_rows)?,
                    )),
                }
            }
            [_, ColumnarValue::Array(keys)] => {
                if keys.len() != args.number_rows {
                    return exec_err!(
                        "{NAME}: the key has {} rows, expected {}",
                        keys.len(),
                        args.number_rows
                    );
                }
                Ok(ColumnarValue::Array(look_up_rows(metadata, keys.as_ref())?))
            }
            other => arity_error(other.len()),
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// A map column of `rows` rows, each holding `entries`.
fn repeated_map(entries: &[(&str, &str)], rows: usize) -> Result<MapArray> {
    let text: usize = entries.iter().map(|(k, v)| k.len().max(v.len())).sum();
    check_offset(NAME, text.saturating_mul(rows), 0)?;
    check_offset(NAME, entries.len().saturating_mul(rows), 0)?;
    let mut builder = metadata_map_builder(rows);
    for _ in 0..rows {
        for (key, value) in entries {
            builder.keys().append_value(key);
            builder.values().append_value(value);
        }
        builder.append(true)?;
    }
    Ok(builder.finish())
}

/// The value of each row's key.
///
/// Through datafusion-ffi a constant key arrives as a column of `number_rows`
/// equal strings, not as a scalar (apache/datafusion#18201). So a lookup is
/// remembered for as long as the key stays the same: a constant key is
/// looked up once per batch, and every further row costs one string
/// comparison and a copy of the value, no hashing.
fn look_up_rows(
    metadata: &std::collections::HashMap<String, String>,
    keys: &dyn Array,
) -> Result<ArrayRef> {
    let keys = Strings::try_new(NAME, keys)?;
    let rows = keys.len();
    let mut builder = StringBuilder::with_capacity(rows, 0);
    let mut last: Option<(&str, Option<&str>)> = None;
    for row in 0..rows {
        let Some(key) = keys.get(row) else {
            builder.append_null();
            continue;
        };
        let value = match last {
            Some((last_key, value)) if last_key == key => value,
            _ => {
                let value = metadata.get(key).map(String::as_str);
                last = Some((key, value));
                value
            }
        };
        match value {
            Some(value) => append_str(NAME, &mut builder, value)?,
            None => builder.append_null(),
        }
    }
    Ok(Arc::new(builder.finish()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, AsArray, Int32Array, LargeStringArray, StringArray, StringViewArray,
    };
    use arrow::datatypes::{DataType, Field, FieldRef};
    use datafusion_common::config::ConfigOptions;
    use datafusion_common::{Result, ScalarValue};
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl};

    use super::FieldMetadataFunc;
    use crate::codec::args::metadata_map_type;

    fn field_with_metadata() -> FieldRef {
        let metadata = HashMap::from([
            ("unit".to_string(), "ms".to_string()),
            ("source".to_string(), "sensor".to_string()),
            ("empty".to_string(), String::new()),
        ]);
        Arc::new(Field::new("c", DataType::Int32, true).with_metadata(metadata))
    }

    fn invoke(
        field: FieldRef,
        args: Vec<ColumnarValue>,
        number_rows: usize,
    ) -> Result<ColumnarValue> {
        let mut arg_fields = vec![field];
        for arg in &args[1..] {
            arg_fields.push(Arc::new(Field::new("key", arg.data_type(), true)));
        }
        let func = FieldMetadataFunc::new();
        let return_field = func.return_field_from_args(ReturnFieldArgs {
            arg_fields: &arg_fields,
            scalar_arguments: &vec![None; arg_fields.len()],
        })?;
        func.invoke_with_args(ScalarFunctionArgs {
            args,
            arg_fields,
            number_rows,
            return_field,
            config_options: Arc::new(ConfigOptions::default()),
        })
    }

    fn column() -> ColumnarValue {
        ColumnarValue::Array(Arc::new(Int32Array::from(vec![1, 2, 3])))
    }

    fn entries(map: &arrow::array::MapArray, row: usize) -> Vec<(String, String)> {
        let entries = map.value(row);
        let keys = entries.column(0).as_string::<i32>();
        let values = entries.column(1).as_string::<i32>();
        (0..entries.len())
            .map(|i| (keys.value(i).to_string(), values.value(i).to_string()))
            .collect()
    }

    #[test]
    fn the_whole_map_sorted_for_every_row() {
        let ColumnarValue::Array(result) =
            invoke(field_with_metadata(), vec![column()], 3).unwrap()
        else {
            panic!("a column gives a column");
        };
        assert_eq!(result.data_type(), &metadata_map_type());
        let map = result.as_map();
        assert_eq!(map.len(), 3);
        assert_eq!(map.null_count(), 0);
        let expected = vec![
            ("empty".to_string(), String::new()),
            ("source".to_string(), "sensor".to_string()),
            ("unit".to_string(), "ms".to_string()),
        ];
        for row in 0..3 {
            assert_eq!(entries(map, row), expected);
        }

        let ColumnarValue::Scalar(ScalarValue::Map(map)) = invoke(
            field_with_metadata(),
            vec![ColumnarValue::Scalar(ScalarValue::Int32(Some(1)))],
            1,
        )
        .unwrap() else {
            panic!("a constant gives a constant map");
        };
        assert_eq!(entries(&map, 0), expected);

        let plain = Arc::new(Field::new("c", DataType::Int32, true));
        let ColumnarValue::Array(result) = invoke(plain, vec![column()], 3).unwrap() else {
            panic!("a column gives a column");
        };
        let map = result.as_map();
        assert_eq!((map.len(), map.null_count(), map.value(0).len()), (3, 0, 0));
    }

    #[test]
    fn a_constant_key() {
        let key = |k: Option<&str>| ColumnarValue::Scalar(ScalarValue::Utf8(k.map(str::to_string)));
        let ColumnarValue::Array(result) =
            invoke(field_with_metadata(), vec![column(), key(Some("unit"))], 3).unwrap()
        else {
            panic!("a column gives a column");
        };
        assert_eq!(
            result.as_string::<i32>().iter().collect::<Vec<_>>(),
            vec![Some("ms"); 3]
        );

        let scalar = invoke(
            field_with_metadata(),
            vec![
                ColumnarValue::Scalar(ScalarValue::Int32(None)),
                key(Some("source")),
            ],
            1,
        )
        .unwrap();
        assert!(
            matches!(scalar, ColumnarValue::Scalar(ScalarValue::Utf8(Some(ref v))) if v == "sensor")
        );
        for absent in [
            key(Some("nope")),
            key(None),
            ColumnarValue::Scalar(ScalarValue::Null),
        ] {
            let scalar = invoke(
                field_with_metadata(),
                vec![ColumnarValue::Scalar(ScalarValue::Int32(None)), absent],
                1,
            )
            .unwrap();
            assert!(
                matches!(scalar, ColumnarValue::Scalar(ScalarValue::Utf8(None))),
                "{scalar:?}"
            );
        }
    }

    /// What datafusion-ffi hands over for `field_metadata(c, 'unit')`: the
    /// constant as a column (apache/datafusion#18201).
    #[test]
    fn a_key_column_as_through_ffi() {
        let keys: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["unit"; 3])),
            Arc::new(LargeStringArray::from(vec!["unit"; 3])),
            Arc::new(StringViewArray::from(vec!["unit"; 3])),
        ];
        for keys in keys {
            let ColumnarValue::Array(result) = invoke(
                field_with_metadata(),
                vec![column(), ColumnarValue::Array(keys)],
                3,
            )
            .unwrap() else {
                panic!("a column gives a column");
            };
            assert_eq!(
                result.as_string::<i32>().iter().collect::<Vec<_>>(),
                vec![Some("ms"); 3]
            );
        }
        // A key per row, NULL and absent keys included.
        let keys: ArrayRef = Arc::new(StringArray::from(vec![
            Some("unit"),
            None,
            Some("nope"),
            Some("empty"),
            Some("unit"),
        ]));
        let column = ColumnarValue::Array(Arc::new(Int32Array::from(vec![1; 5])));
        let ColumnarValue::Array(result) = invoke(
            field_with_metadata(),
            vec![column, ColumnarValue::Array(keys)],
            5,
        )
        .unwrap() else {
            panic!("a column gives a column");
        };
        assert_eq!(
            result.as_string::<i32>().iter().collect::<Vec<_>>(),
            vec![Some("ms"), None, None, Some(""), Some("ms")]
        );
    }

    #[test]
    fn arguments_are_checked() {
        let func = FieldMetadataFunc::new();
        let error = func.coerce_types(&[]).unwrap_err().to_string();
        assert!(
            error
                .contains("field_metadata expects one or two arguments (expression[, key]), got 0"),
            "{error}"
        );
        assert!(
            func.coerce_types(&[DataType::Int32, DataType::Utf8, DataType::Utf8])
                .is_err()
        );
        let error = func
            .coerce_types(&[DataType::Int32, DataType::Int32])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("field_metadata expects a string key, got Int32"),
            "{error}"
        );
        // The expression is never cast: a cast would drop its metadata.
        let list = DataType::new_list(DataType::Int8, true);
        assert_eq!(
            func.coerce_types(&[list.clone(), DataType::Utf8View])
                .unwrap(),
            vec![list, DataType::Utf8View]
        );

        let error = invoke(
            field_with_metadata(),
            vec![column(), ColumnarValue::Scalar(ScalarValue::Int32(Some(1)))],
            3,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("field_metadata expects a string key, got Int32"),
            "{error}"
        );
        let error = invoke(
            field_with_metadata(),
            vec![
                column(),
                ColumnarValue::Array(Arc::new(StringArray::from(vec!["unit"]))),
            ],
            3,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("field_metadata: the key has 1 rows, expected 3"),
            "{error}"
        );
    }

    #[test]
    fn return_fields() {
        let func = FieldMetadataFunc::new();
        let map = func
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &[field_with_metadata()],
                scalar_arguments: &[None],
            })
            .unwrap();
        assert_eq!(
            (map.data_type(), map.is_nullable()),
            (&metadata_map_type(), false)
        );
        let key = Arc::new(Field::new("k", DataType::Utf8, true));
        let value = func
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &[field_with_metadata(), key],
                scalar_arguments: &[None, None],
            })
            .unwrap();
        assert_eq!(
            (value.data_type(), value.is_nullable()),
            (&DataType::Utf8, true)
        );
    }
}
