//! `map_get_default(map, key, default)`: the value of `key` in `map`, or
//! `default` when the map has no such key.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, make_comparator, new_empty_array, new_null_array};
use arrow::compute::{CastOptions, SortOptions, cast_with_options, interleave};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{Result, exec_datafusion_err, exec_err, internal_err, plan_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::args::{Args, expect_arity};

#[user_doc(
    doc_section(label = "Map Functions"),
    description = r#"Returns the value stored under a key in a map, or a default when the map has no such key.

The default is returned only when the key is absent: a key that is present with a NULL value gives NULL, not the default. The key is compared by value after being cast to the map's key type (floats compare by their total order: `NaN` finds `NaN`, `-0.0` does not find `0.0`); when a key occurs more than once, the first entry in stored order wins. The default is cast to the map's value type, which is the result type.

A NULL map or a NULL key gives NULL."#,
    syntax_example = "map_get_default(map, key, default)",
    sql_example = r#"```sql
> select map_get_default(MAP {'a': 1, 'b': NULL}, 'a', 0) as present, map_get_default(MAP {'a': 1, 'b': NULL}, 'b', 0) as present_null, map_get_default(MAP {'a': 1, 'b': NULL}, 'z', 0) as absent;
+---------+--------------+--------+
| present | present_null | absent |
+---------+--------------+--------+
| 1       | NULL         | 0      |
+---------+--------------+--------+
```"#,
    argument(
        name = "map",
        description = "Map expression: a constant, column or function returning a map. Its keys must be of an orderable type."
    ),
    argument(
        name = "key",
        description = "Key to look up; cast to the map's key type."
    ),
    argument(
        name = "default",
        description = "Value returned when the key is absent; cast to the map's value type. May be NULL."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MapGetDefaultFunc {
    signature: Signature,
}

impl Default for MapGetDefaultFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MapGetDefaultFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "map_get_default";
const ARGUMENTS: &str = "map, key, default";

/// The key and value types of a map type.
fn entry_types(map_type: &DataType) -> Result<Option<(DataType, DataType)>> {
    match map_type {
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => Ok(Some((
                fields[0].data_type().clone(),
                fields[1].data_type().clone(),
            ))),
            other => plan_err!("{NAME}: malformed map entries type {other}"),
        },
        DataType::Null => Ok(None),
        other => plan_err!("{NAME} expects a map as first argument, got {other}"),
    }
}

impl ScalarUDFImpl for MapGetDefaultFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The key becomes the map's key type, the default its value type.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        expect_arity(NAME, ARGUMENTS, arg_types)?;
        match entry_types(&arg_types[0])? {
            Some((key_type, value_type)) => Ok(vec![arg_types[0].clone(), key_type, value_type]),
            None => Ok(arg_types.to_vec()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    /// The map's value type (the default's type for a NULL map), nullable.
    /// Keys that cannot be compared are rejected here, when planning.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        expect_arity(NAME, ARGUMENTS, args.arg_fields)?;
        let data_type = match entry_types(args.arg_fields[0].data_type())? {
            Some((key_type, value_type)) => {
                let empty = new_empty_array(&key_type);
                if let Err(error) = make_comparator(&empty, &empty, SortOptions::default()) {
                    return plan_err!("{NAME} cannot compare map keys of type {key_type}: {error}");
                }
                value_type
            }
            None => args.arg_fields[2].data_type().clone(),
        };
        Ok(Arc::new(Field::new(NAME, data_type, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        expect_arity(NAME, ARGUMENTS, &args.args)?;
        let call = Args::try_new(NAME, &args.args, args.number_rows)?;
        let result = map_get_default(&call, args.return_field.data_type())?;
        call.finish(result)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// `array` as `to`, cast when it is another type. The planner casts already;
/// this covers direct calls. Like SQL's CAST, a value that does not convert
/// is an error, not NULL.
fn cast_to(array: &ArrayRef, to: &DataType, what: &str) -> Result<ArrayRef> {
    if array.data_type() == to {
        return Ok(ArrayRef::clone(array));
    }
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    cast_with_options(array, to, &options).map_err(|e| {
        exec_datafusion_err!(
            "{NAME}: cannot cast the {what} from {} to {to}: {e}",
            array.data_type()
        )
    })
}

fn map_get_default(call: &Args, return_type: &DataType) -> Result<ArrayRef> {
    let [map, key, default] = &call.args[..] else {
        return exec_err!("{NAME} expects 3 arguments ({ARGUMENTS})");
    };
    let maps = match map.array.data_type() {
        DataType::Map(..) => map.array.as_map(),
        DataType::Null => return Ok(new_null_array(return_type, call.rows)),
        other => return exec_err!("{NAME} expects a map as first argument, got {other}"),
    };
    let keys = maps.keys();
    let values = maps.values();
    let wanted = cast_to(&key.array, keys.data_type(), "key")?;
    let defaults = cast_to(&default.array, values.data_type(), "default")?;
    let compare = make_comparator(keys.as_ref(), wanted.as_ref(), SortOptions::default())
        .map_err(|e| exec_datafusion_err!("{NAME} cannot compare map keys: {e}"))?;
    let null = new_null_array(values.data_type(), 1);

    let offsets = maps.value_offsets();
    let map_nulls = maps.logical_nulls();
    let key_nulls = wanted.logical_nulls();
    // One (source, row) pick per result row: 0 = a map value, 1 = the
    // default, 2 = NULL. `interleave` then gathers them in one pass.
    const VALUE: usize = 0;
    const DEFAULT: usize = 1;
    const NULL: usize = 2;
    let mut picks = Vec::with_capacity(call.rows);
    for row in 0..call.rows {
        let map_row = map.row(row);
        let key_row = key.row(row);
        let is_null = map_nulls.as_ref().is_some_and(|n| n.is_null(map_row))
            || key_nulls.as_ref().is_some_and(|n| n.is_null(key_row));
        if is_null {
            picks.push((NULL, 0));
            continue;
        }
        let start = usize::try_from(offsets[map_row]).unwrap_or(0);
        let end = usize::try_from(offsets[map_row + 1]).unwrap_or(start);
        let found = (start..end).find(|&entry| compare(entry, key_row).is_eq());
        picks.push(match found {
            Some(entry) => (VALUE, entry),
            None => (DEFAULT, default.row(row)),
        });
    }
    Ok(interleave(
        &[values.as_ref(), defaults.as_ref(), null.as_ref()],
        &picks,
    )?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, ListArray, NullArray,
        StringArray, StringViewArray,
    };
    use arrow::datatypes::{DataType, Int64Type};
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ScalarUDFImpl};

    use super::MapGetDefaultFunc;
    use crate::shapes::testing::{display, map_of};
    use crate::test_support::{XorShift, assert_slices_match_whole, invoke, invoke_arrays};

    /// Rows: {a: 1, b: NULL}, {}, NULL, {a: 10, a: 11 (duplicate)}.
    fn sample_maps() -> ArrayRef {
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "a", "a"]));
        let values: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(10), Some(11)]));
        map_of(
            keys,
            values,
            &[0, 2, 2, 2, 4],
            Some(&[true, true, false, true]),
        )
    }

    fn run(args: &[ArrayRef]) -> Vec<String> {
        display(
            invoke_arrays(&MapGetDefaultFunc::new(), args)
                .unwrap()
                .as_ref(),
        )
    }

    fn strings(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn ints(values: &[Option<i64>]) -> ArrayRef {
        Arc::new(Int64Array::from(values.to_vec()))
    }

    #[test]
    fn value_when_present_default_only_when_absent() {
        let maps = sample_maps();
        let defaults = ints(&[Some(-1); 4]);
        // Present with a value, present with NULL, absent in an empty map,
        // NULL map, duplicate key (the first entry wins).
        assert_eq!(
            run(&[
                Arc::clone(&maps),
                strings(&[Some("a"); 4]),
                Arc::clone(&defaults)
            ]),
            ["1", "-1", "NULL", "10"]
        );
        assert_eq!(
            run(&[
                Arc::clone(&maps),
                strings(&[Some("b"); 4]),
                Arc::clone(&defaults)
            ]),
            ["NULL", "-1", "NULL", "-1"]
        );
        assert_eq!(
            run(&[Arc::clone(&maps), strings(&[Some("z"); 4]), defaults]),
            ["-1", "-1", "NULL", "-1"]
        );
    }

    #[test]
    fn null_key_gives_null_and_null_default_is_returned_as_is() {
        let maps = sample_maps();
        assert_eq!(
            run(&[
                Arc::clone(&maps),
                strings(&[None, Some("z"), Some("a"), Some("a")]),
                ints(&[Some(5), None, Some(5), None]),
            ]),
            ["NULL", "NULL", "NULL", "10"]
        );
    }

    #[test]
    fn keys_and_defaults_per_row() {
        assert_eq!(
            run(&[
                sample_maps(),
                strings(&[Some("b"), Some("a"), Some("a"), Some("q")]),
                ints(&[Some(1), Some(2), Some(3), Some(4)]),
            ]),
            ["NULL", "2", "NULL", "4"]
        );
    }

    #[test]
    fn constant_and_array_arguments_agree() {
        let maps = sample_maps();
        let func = MapGetDefaultFunc::new();
        let mixed = invoke(
            &func,
            vec![
                ColumnarValue::Array(Arc::clone(&maps)),
                ColumnarValue::Scalar(ScalarValue::from("a")),
                ColumnarValue::Scalar(ScalarValue::Int64(Some(-1))),
            ],
            4,
        )
        .unwrap();
        let ColumnarValue::Array(mixed) = mixed else {
            panic!("a column argument gives a column");
        };
        assert_eq!(display(mixed.as_ref()), ["1", "-1", "NULL", "10"]);

        // All constants: a constant result.
        let map = ScalarValue::Map(Arc::new(maps.slice(0, 1).as_map().clone()));
        let constant = invoke(
            &func,
            vec![
                ColumnarValue::Scalar(map),
                ColumnarValue::Scalar(ScalarValue::from("z")),
                ColumnarValue::Scalar(ScalarValue::Int64(Some(7))),
            ],
            1,
        )
        .unwrap();
        let ColumnarValue::Scalar(ScalarValue::Int64(Some(7))) = constant else {
            panic!("expected the constant 7, got {constant:?}");
        };
    }

    #[test]
    fn key_is_cast_to_the_key_type_and_default_to_the_value_type() {
        let keys: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let values: ArrayRef = Arc::new(StringArray::from(vec!["one", "two"]));
        let maps = map_of(keys, values, &[0, 2, 2], None);
        let func = MapGetDefaultFunc::new();
        let coerced = func
            .coerce_types(&[
                maps.data_type().clone(),
                DataType::Int32,
                DataType::Utf8View,
            ])
            .unwrap();
        assert_eq!(coerced[1], DataType::Int64);
        assert_eq!(coerced[2], DataType::Utf8);

        // Without the planner's casts, the function casts itself.
        let key: ArrayRef = Arc::new(Int32Array::from(vec![2, 2]));
        let default: ArrayRef = Arc::new(StringViewArray::from(vec!["none", "none"]));
        let result = invoke_arrays(&func, &[maps, key, default]).unwrap();
        assert_eq!(result.data_type(), &DataType::Utf8);
        assert_eq!(display(result.as_ref()), ["two", "none"]);
    }

    #[test]
    fn float_keys_compare_by_total_order() {
        let maps = map_of(
            Arc::new(Float64Array::from(vec![f64::NAN, 0.0])),
            Arc::new(StringArray::from(vec!["nan", "zero"])),
            &[0, 2],
            None,
        );
        let func = MapGetDefaultFunc::new();
        let lookups = [
            (f64::NAN, "nan"),
            (0.0, "zero"),
            (-0.0, "absent"),
            (1.0, "absent"),
        ];
        for (wanted, expected) in lookups {
            let result = invoke(
                &func,
                vec![
                    ColumnarValue::Array(Arc::clone(&maps)),
                    ColumnarValue::Scalar(ScalarValue::Float64(Some(wanted))),
                    ColumnarValue::Scalar(ScalarValue::from("absent")),
                ],
                1,
            )
            .unwrap();
            let ColumnarValue::Array(result) = result else {
                panic!("a column argument gives a column");
            };
            assert_eq!(display(result.as_ref()), [expected], "{wanted}");
        }
    }

    #[test]
    fn nested_values_are_returned_whole() {
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["xs", "ys"]));
        let values: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), None]),
            None,
        ]));
        let maps = map_of(keys, values, &[0, 2, 2], None);
        let default: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![]),
            Some(vec![Some(9)]),
        ]));
        assert_eq!(
            run(&[maps, strings(&[Some("xs"), Some("xs")]), default]),
            ["[1, NULL]", "[9]"]
        );
    }

    #[test]
    fn null_map_argument_gives_null_of_the_default_type() {
        let func = MapGetDefaultFunc::new();
        let coerced = func
            .coerce_types(&[DataType::Null, DataType::Utf8, DataType::Int64])
            .unwrap();
        assert_eq!(coerced, [DataType::Null, DataType::Utf8, DataType::Int64]);
        let result = invoke_arrays(
            &func,
            &[
                Arc::new(NullArray::new(2)),
                strings(&[Some("a"), Some("b")]),
                ints(&[Some(1), Some(2)]),
            ],
        )
        .unwrap();
        assert_eq!(result.data_type(), &DataType::Int64);
        assert_eq!(result.null_count(), 2);
    }

    #[test]
    fn wrong_arguments_are_rejected_when_planning() {
        let func = MapGetDefaultFunc::new();
        let error = func
            .coerce_types(&[DataType::Int64, DataType::Int64, DataType::Int64])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("map_get_default expects a map as first argument, got Int64"),
            "{error}"
        );
        let error = func
            .coerce_types(&[sample_maps().data_type().clone(), DataType::Utf8])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("map_get_default expects 3 arguments (map, key, default), got 2"),
            "{error}"
        );
    }

    #[test]
    fn uncastable_key_is_an_error_naming_the_function() {
        let key: ArrayRef = Arc::new(StringArray::from(vec!["x"; 4]));
        let maps = map_of(
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(Int64Array::from(vec![1])),
            &[0, 1, 1, 1, 1],
            None,
        );
        let error =
            invoke_arrays(&MapGetDefaultFunc::new(), &[maps, key, ints(&[None; 4])]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("map_get_default: cannot cast the key from Utf8 to Int64"),
            "{error}"
        );
    }

    #[test]
    fn batch_splits_do_not_matter() {
        let mut random = XorShift::new(99);
        let rows = 300;
        let mut keys = Vec::new();
        let mut values = Vec::new();
        let mut offsets = vec![0i32];
        let mut valid = Vec::new();
        for _ in 0..rows {
            valid.push(random.below(8) != 0);
            for _ in 0..random.below(5) {
                keys.push(random.below(6) as i64);
                values.push((random.below(5) != 0).then(|| format!("v{}", random.below(50))));
            }
            offsets.push(keys.len() as i32);
        }
        let maps = map_of(
            Arc::new(Int64Array::from(keys)),
            Arc::new(StringArray::from(values)),
            &offsets,
            Some(&valid),
        );
        let wanted: ArrayRef = Arc::new(Int64Array::from(
            (0..rows)
                .map(|_| (random.below(9) != 0).then(|| random.below(6) as i64))
                .collect::<Vec<_>>(),
        ));
        let defaults: ArrayRef = Arc::new(StringArray::from(
            (0..rows)
                .map(|i| (i % 5 != 0).then(|| format!("d{i}")))
                .collect::<Vec<_>>(),
        ));
        assert_slices_match_whole(
            &MapGetDefaultFunc::new(),
            &[maps, wanted, defaults],
            5,
            display,
        );
    }
}
