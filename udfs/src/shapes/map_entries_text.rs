//! `map_entries_text(map)`: a map's entries as a list of text structs, the
//! map-entry shape the pack uses everywhere ([`map_entry_fields`]).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, ListArray, StringBuilder, StructArray, new_null_array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion_common::{Result, exec_err, internal_err, plan_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::args::{Args, expect_arity};
use super::render::Renderer;

/// The fields of one map entry: `key` (Utf8, not null), `value_kind` (Utf8,
/// not null) and `value` (Utf8, null when the value is null). Every part of
/// the pack that shows map entries uses this shape.
pub fn map_entry_fields() -> Fields {
    Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value_kind", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ])
}

/// The type of a map's entries: `List<Struct<map_entry_fields()>>`. The list
/// items are not nullable: an entry is never null (the map itself may be).
pub fn map_entries_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(map_entry_fields()),
        false,
    )))
}

#[user_doc(
    doc_section(label = "Map Functions"),
    description = r#"Returns the entries of a map as a list of `{key, value_kind, value}` structs of text, one per entry in stored order: the pack's canonical map-entry shape.

- `key` (Utf8, never NULL) is the key rendered as text, whatever the key type.
- `value_kind` (Utf8, never NULL) names the logical kind of the value: `null` (the value is NULL), `bool`, `int`, `float`, `decimal`, `string`, `binary`, `date`, `time`, `timestamp`, `duration`, `interval`, `list`, `struct` or `map`. Dictionary- and run-end-encoded values report the kind of their values, union values the kind of the selected member.
- `value` (Utf8) is the value rendered as text, NULL when the value is NULL.

Text rendering: strings as they are; booleans `true`/`false`; integers and decimals in decimal (`123.45`); floats in shortest round-trip form (`1.5`, `1e20`, `NaN`, `inf`); binaries as lowercase hex (`deadbeef`); dates `2024-01-15`; times `12:34:56`; timestamps ISO 8601 (`2024-01-15T12:34:56`, with the offset for a type with a time zone); durations ISO 8601 (`PT1S`). Lists, structs and maps are rendered as JSON text: lists as arrays, structs as objects keyed by field name, maps as objects keyed by the key's text (stored order, duplicates kept); inside JSON, NULL is `null`, booleans, integers, decimals and finite floats are bare, every other value is a JSON string of its text rendering.

A NULL map gives NULL; an empty map an empty list."#,
    syntax_example = "map_entries_text(map)",
    sql_example = r#"```sql
> select map_entries_text(MAP {'a': 1, 'b': NULL});
+----------------------------------------------------------------------------------+
| map_entries_text(map(make_array(Utf8("a"),Utf8("b")),make_array(Int64(1),NULL))) |
+----------------------------------------------------------------------------------+
| [{key: a, value_kind: int, value: 1}, {key: b, value_kind: null, value: NULL}]   |
+----------------------------------------------------------------------------------+
> select map_entries_text(MAP {'xs': [1, 2], 'ys': NULL}) as entries;
+---------------------------------------------------------------------------------------+
| entries                                                                               |
+---------------------------------------------------------------------------------------+
| [{key: xs, value_kind: list, value: [1,2]}, {key: ys, value_kind: null, value: NULL}] |
+---------------------------------------------------------------------------------------+
```"#,
    argument(
        name = "map",
        description = "Map expression: a constant, column or function returning a map with keys and values of any type."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MapEntriesTextFunc {
    signature: Signature,
}

impl Default for MapEntriesTextFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MapEntriesTextFunc {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "map_entries_text";

/// The argument must be a map, or NULL (a NULL map gives a NULL list).
fn check_map(data_type: &DataType) -> Result<()> {
    match data_type {
        DataType::Map(..) | DataType::Null => Ok(()),
        other => plan_err!("{NAME} expects a map argument, got {other}"),
    }
}

impl ScalarUDFImpl for MapEntriesTextFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        expect_arity(NAME, "map", arg_types)?;
        check_map(&arg_types[0])?;
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("{NAME}: return_field_from_args should be called instead")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        expect_arity(NAME, "map", args.arg_fields)?;
        let field = &args.arg_fields[0];
        check_map(field.data_type())?;
        let nullable = field.is_nullable() || field.data_type().is_null();
        Ok(Arc::new(Field::new(NAME, map_entries_type(), nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        expect_arity(NAME, "map", &args.args)?;
        let call = Args::try_new(NAME, &args.args, args.number_rows)?;
        let result = map_entries_text(call.args[0].array.as_ref())?;
        call.finish(result)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The entries of every row of `maps`.
pub fn map_entries_text(maps: &dyn Array) -> Result<ArrayRef> {
    let map = match maps.data_type() {
        DataType::Map(..) => maps.as_map(),
        DataType::Null => return Ok(new_null_array(&map_entries_type(), maps.len())),
        other => return exec_err!("{NAME} expects a map argument, got {other}"),
    };
    let offsets = map.value_offsets();
    let first = usize::try_from(offsets[0]).unwrap_or(0);
    let last = usize::try_from(offsets[map.len()]).unwrap_or(first);
    let capacity = last.saturating_sub(first);

    let keys = Renderer::try_new(NAME, map.keys().as_ref())?;
    let values = Renderer::try_new(NAME, map.values().as_ref())?;
    let mut key_column = StringBuilder::with_capacity(capacity, capacity * 8);
    let mut kind_column = StringBuilder::with_capacity(capacity, capacity * 4);
    let mut value_column = StringBuilder::with_capacity(capacity, capacity * 8);

    let nulls = map.logical_nulls();
    let mut entry_offsets = Vec::with_capacity(map.len() + 1);
    entry_offsets.push(0i32);
    let mut count = 0i32;
    for row in 0..map.len() {
        if nulls.as_ref().is_none_or(|n| n.is_valid(row)) {
            let start = usize::try_from(offsets[row]).unwrap_or(0);
            let end = usize::try_from(offsets[row + 1]).unwrap_or(start);
            for entry in start..end {
                if keys.is_null(entry) {
                    return exec_err!("{NAME}: map key at entry {entry} is null");
                }
                // The builders are `fmt::Write` sinks: each value is rendered
                // into its final place, without an intermediate string.
                keys.write_text(NAME, entry, &mut key_column)?;
                key_column.append_value("");
                kind_column.append_value(values.kind(entry));
                if values.is_null(entry) {
                    value_column.append_null();
                } else {
                    values.write_text(NAME, entry, &mut value_column)?;
                    value_column.append_value("");
                }
                // At most the map's own entry count, which fits its i32 offsets.
                count += 1;
            }
        }
        entry_offsets.push(count);
    }

    let entries = StructArray::try_new(
        map_entry_fields(),
        vec![
            Arc::new(key_column.finish()),
            Arc::new(kind_column.finish()),
            Arc::new(value_column.finish()),
        ],
        None,
    )?;
    let DataType::List(item) = map_entries_type() else {
        return internal_err!("{NAME}: the entries type is a list");
    };
    Ok(Arc::new(ListArray::try_new(
        item,
        OffsetBuffer::new(entry_offsets.into()),
        Arc::new(entries),
        nulls,
    )?))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, Decimal128Array,
        DictionaryArray, DurationSecondArray, FixedSizeBinaryArray, Float32Array, Float64Array,
        Int8Array, Int32Array, Int64Array, IntervalMonthDayNanoArray, LargeListArray,
        LargeStringArray, ListArray, MapArray, NullArray, StringArray, StringViewArray,
        StructArray, Time32SecondArray, TimestampMillisecondArray, TimestampSecondArray,
        UInt64Array, UnionArray,
    };
    use arrow::buffer::ScalarBuffer;
    use arrow::datatypes::{
        DataType, Field, Int8Type, Int32Type, Int64Type, IntervalMonthDayNano, UnionFields,
    };
    use datafusion_common::ScalarValue;
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};

    use super::{MapEntriesTextFunc, map_entries_type, map_entry_fields};
    use crate::shapes::testing::{display, map_of};
    use crate::test_support::{XorShift, assert_slices_match_whole, invoke, invoke_arrays};

    type Entry = (String, String, Option<String>);

    fn entries_of(result: &dyn Array) -> Vec<Option<Vec<Entry>>> {
        let lists = result.as_list::<i32>();
        (0..lists.len())
            .map(|row| {
                lists.is_valid(row).then(|| {
                    let value = lists.value(row);
                    let entries = value.as_struct();
                    let keys = entries.column(0).as_string::<i32>();
                    let kinds = entries.column(1).as_string::<i32>();
                    let values = entries.column(2).as_string::<i32>();
                    (0..entries.len())
                        .map(|i| {
                            (
                                keys.value(i).to_string(),
                                kinds.value(i).to_string(),
                                values.is_valid(i).then(|| values.value(i).to_string()),
                            )
                        })
                        .collect()
                })
            })
            .collect()
    }

    fn run(map: ArrayRef) -> Vec<Option<Vec<Entry>>> {
        entries_of(
            invoke_arrays(&MapEntriesTextFunc::new(), &[map])
                .unwrap()
                .as_ref(),
        )
    }

    fn entry(key: &str, kind: &str, value: Option<&str>) -> Entry {
        (key.to_string(), kind.to_string(), value.map(str::to_string))
    }

    /// One map per value: key `k`, the value at row `i` of `values`.
    fn one_entry_maps(values: ArrayRef) -> ArrayRef {
        let rows = values.len();
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["k"; rows]));
        let offsets: Vec<i32> = (0..=rows as i32).collect();
        map_of(keys, values, &offsets, None)
    }

    /// (kind, text) of each value rendered as a map value.
    fn rendered(values: ArrayRef) -> Vec<(String, Option<String>)> {
        run(one_entry_maps(values))
            .into_iter()
            .map(|row| {
                let (_, kind, value) = row.unwrap().into_iter().next().unwrap();
                (kind, value)
            })
            .collect()
    }

    fn expect_rendered(values: ArrayRef, expected: &[(&str, Option<&str>)]) {
        let expected: Vec<(String, Option<String>)> = expected
            .iter()
            .map(|(kind, value)| (kind.to_string(), value.map(str::to_string)))
            .collect();
        assert_eq!(rendered(values), expected);
    }

    #[test]
    fn golden_entries_in_stored_order() {
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["b", "a", "c", "x"]));
        let values: ArrayRef = Arc::new(Int64Array::from(vec![Some(2), None, Some(-3), Some(9)]));
        // Row 0: three entries; row 1: empty; row 2: NULL map; row 3: one.
        let map = map_of(
            keys,
            values,
            &[0, 3, 3, 3, 4],
            Some(&[true, true, false, true]),
        );
        assert_eq!(
            run(map),
            vec![
                Some(vec![
                    entry("b", "int", Some("2")),
                    entry("a", "null", None),
                    entry("c", "int", Some("-3")),
                ]),
                Some(vec![]),
                None,
                Some(vec![entry("x", "int", Some("9"))]),
            ]
        );
    }

    #[test]
    fn null_map_row_with_entries_behind_it_is_null() {
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        let values: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let map = map_of(keys, values, &[0, 1, 2], Some(&[false, true]));
        assert_eq!(
            run(map),
            vec![None, Some(vec![entry("b", "int", Some("2"))])]
        );
    }

    #[test]
    fn scalar_values_render_as_text() {
        expect_rendered(
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
            &[
                ("bool", Some("true")),
                ("bool", Some("false")),
                ("null", None),
            ],
        );
        expect_rendered(
            Arc::new(Int8Array::from(vec![-128, 127])),
            &[("int", Some("-128")), ("int", Some("127"))],
        );
        expect_rendered(
            Arc::new(UInt64Array::from(vec![u64::MAX])),
            &[("int", Some("18446744073709551615"))],
        );
        expect_rendered(
            Arc::new(Float64Array::from(vec![
                1.5,
                -0.0,
                1e20,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ])),
            &[
                ("float", Some("1.5")),
                ("float", Some("-0.0")),
                ("float", Some("1e20")),
                ("float", Some("NaN")),
                ("float", Some("inf")),
                ("float", Some("-inf")),
            ],
        );
        expect_rendered(
            Arc::new(Float32Array::from(vec![0.1f32])),
            &[("float", Some("0.1"))],
        );
        expect_rendered(
            arrow::compute::cast(&Float32Array::from(vec![1.5f32]), &DataType::Float16).unwrap(),
            &[("float", Some("1.5"))],
        );
        expect_rendered(
            Arc::new(
                Decimal128Array::from(vec![Some(12345), Some(-50), None])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            &[
                ("decimal", Some("123.45")),
                ("decimal", Some("-0.50")),
                ("null", None),
            ],
        );
        expect_rendered(
            Arc::new(StringArray::from(vec![
                Some("plain"),
                Some("q\"u\\o"),
                Some(""),
                None,
            ])),
            &[
                ("string", Some("plain")),
                ("string", Some("q\"u\\o")),
                ("string", Some("")),
                ("null", None),
            ],
        );
        expect_rendered(
            Arc::new(LargeStringArray::from(vec!["large"])),
            &[("string", Some("large"))],
        );
        expect_rendered(
            Arc::new(StringViewArray::from(vec![
                "a view longer than twelve bytes",
            ])),
            &[("string", Some("a view longer than twelve bytes"))],
        );
        expect_rendered(
            Arc::new(BinaryArray::from(vec![
                &[0xDE, 0xAD, 0xBE, 0xEF][..],
                &[][..],
            ])),
            &[("binary", Some("deadbeef")), ("binary", Some(""))],
        );
        expect_rendered(
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(vec![vec![0u8, 255]].into_iter()).unwrap(),
            ),
            &[("binary", Some("00ff"))],
        );
        expect_rendered(
            Arc::new(Date32Array::from(vec![19_737])),
            &[("date", Some("2024-01-15"))],
        );
        expect_rendered(
            Arc::new(Time32SecondArray::from(vec![45_296])),
            &[("time", Some("12:34:56"))],
        );
        expect_rendered(
            Arc::new(TimestampSecondArray::from(vec![1_705_322_096])),
            &[("timestamp", Some("2024-01-15T12:34:56"))],
        );
        expect_rendered(
            Arc::new(
                TimestampMillisecondArray::from(vec![1_705_322_096_500]).with_timezone("+02:00"),
            ),
            &[("timestamp", Some("2024-01-15T14:34:56.500+02:00"))],
        );
        expect_rendered(
            Arc::new(DurationSecondArray::from(vec![90])),
            &[("duration", Some("PT90S"))],
        );
        expect_rendered(
            Arc::new(IntervalMonthDayNanoArray::from(vec![
                IntervalMonthDayNano::new(1, 2, 0),
            ])),
            &[("interval", Some("1 mons 2 days"))],
        );
        expect_rendered(
            Arc::new(NullArray::new(2)),
            &[("null", None), ("null", None)],
        );
    }

    #[test]
    fn nested_values_render_as_json() {
        let lists = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), None, Some(3)]),
            Some(vec![]),
            None,
        ]);
        expect_rendered(
            Arc::new(lists),
            &[
                ("list", Some("[1,null,3]")),
                ("list", Some("[]")),
                ("null", None),
            ],
        );

        let large =
            LargeListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(7)])]);
        expect_rendered(Arc::new(large), &[("list", Some("[7]"))]);

        let names: ArrayRef = Arc::new(StringArray::from(vec![Some("a\"b"), None]));
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![f64::NAN, 2.0]));
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![0, 1]));
        let structs = StructArray::from(vec![
            (Arc::new(Field::new("name", DataType::Utf8, true)), names),
            (Arc::new(Field::new("x", DataType::Float64, true)), floats),
            (Arc::new(Field::new("d", DataType::Date32, true)), dates),
        ]);
        expect_rendered(
            Arc::new(structs),
            &[
                (
                    "struct",
                    Some(r#"{"name":"a\"b","x":"NaN","d":"1970-01-01"}"#),
                ),
                ("struct", Some(r#"{"name":null,"x":2.0,"d":"1970-01-02"}"#)),
            ],
        );

        let inner_keys: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3]));
        let inner_values: ArrayRef = Arc::new(StringArray::from(vec![
            Some("one"),
            None,
            Some("tab\there"),
        ]));
        let inner = map_of(inner_keys, inner_values, &[0, 2, 3], None);
        expect_rendered(
            inner,
            &[
                ("map", Some(r#"{"1":"one","2":null}"#)),
                ("map", Some(r#"{"3":"tab\there"}"#)),
            ],
        );

        let binaries = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Binary, true)),
            arrow::buffer::OffsetBuffer::new(vec![0, 2].into()),
            Arc::new(BinaryArray::from(vec![&[1u8][..], &[0x0a, 0x1f][..]])),
            None,
        );
        expect_rendered(Arc::new(binaries), &[("list", Some(r#"["01","0a1f"]"#))]);
    }

    #[test]
    fn control_characters_are_escaped_inside_json() {
        let strings: ArrayRef = Arc::new(StringArray::from(vec!["\u{1}\n\r\u{8}\u{c}\"\\é"]));
        let lists = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Utf8, true)),
            arrow::buffer::OffsetBuffer::new(vec![0, 1].into()),
            strings,
            None,
        );
        expect_rendered(
            Arc::new(lists),
            &[("list", Some(r#"["\u0001\n\r\b\f\"\\é"]"#))],
        );
    }

    #[test]
    fn encoded_and_union_values_render_as_their_values() {
        let dictionary: DictionaryArray<Int8Type> = vec![Some("x"), None, Some("y"), Some("x")]
            .into_iter()
            .collect();
        expect_rendered(
            Arc::new(dictionary),
            &[
                ("string", Some("x")),
                ("null", None),
                ("string", Some("y")),
                ("string", Some("x")),
            ],
        );

        let dictionary_with_null_value = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(vec![0, 1]),
            Arc::new(Int64Array::from(vec![Some(5), None])),
        )
        .unwrap();
        expect_rendered(
            Arc::new(dictionary_with_null_value),
            &[("int", Some("5")), ("null", None)],
        );

        let run_ends = Int32Array::from(vec![2, 3]);
        let run_values = StringArray::from(vec![Some("r"), None]);
        let runs = arrow::array::RunArray::<Int32Type>::try_new(&run_ends, &run_values).unwrap();
        expect_rendered(
            Arc::new(runs),
            &[("string", Some("r")), ("string", Some("r")), ("null", None)],
        );

        let fields = UnionFields::try_new(
            vec![0, 1],
            vec![
                Field::new("i", DataType::Int32, true),
                Field::new("s", DataType::Utf8, true),
            ],
        )
        .unwrap();
        let union = UnionArray::try_new(
            fields,
            ScalarBuffer::from(vec![0i8, 1, 0]),
            None,
            vec![
                Arc::new(Int32Array::from(vec![Some(4), None, None])),
                Arc::new(StringArray::from(vec![None, Some("u"), None])),
            ],
        )
        .unwrap();
        expect_rendered(
            Arc::new(union),
            &[("int", Some("4")), ("string", Some("u")), ("null", None)],
        );
    }

    #[test]
    fn keys_of_any_type_render_as_text() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let cases: Vec<(ArrayRef, [&str; 2])> = vec![
            (Arc::new(Int32Array::from(vec![-1, 20])), ["-1", "20"]),
            (
                Arc::new(Date32Array::from(vec![0, 19_737])),
                ["1970-01-01", "2024-01-15"],
            ),
            (
                Arc::new(BinaryArray::from(vec![&[0xABu8][..], &[][..]])),
                ["ab", ""],
            ),
            (
                Arc::new(BooleanArray::from(vec![true, false])),
                ["true", "false"],
            ),
            (
                Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
                    Some(vec![Some(1)]),
                    Some(vec![]),
                ])),
                ["[1]", "[]"],
            ),
        ];
        for (keys, expected) in cases {
            let map = map_of(Arc::clone(&keys), Arc::clone(&values), &[0, 2], None);
            let row = run(map).remove(0).unwrap();
            let got: Vec<&str> = row.iter().map(|(key, _, _)| key.as_str()).collect();
            assert_eq!(got, expected, "{}", keys.data_type());
        }
    }

    #[test]
    fn sliced_maps_use_their_own_rows() {
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c", "d"]));
        let values: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 4]));
        let map = map_of(keys, values, &[0, 1, 3, 4], None);
        assert_eq!(
            run(map.slice(1, 2)),
            vec![
                Some(vec![
                    entry("b", "int", Some("2")),
                    entry("c", "int", Some("3"))
                ]),
                Some(vec![entry("d", "int", Some("4"))]),
            ]
        );
    }

    #[test]
    fn scalar_map_gives_a_scalar() {
        let keys: ArrayRef = Arc::new(StringArray::from(vec!["k"]));
        let values: ArrayRef = Arc::new(BooleanArray::from(vec![true]));
        let map = map_of(keys, values, &[0, 1], None);
        let scalar = ScalarValue::Map(Arc::new(map.as_map().clone()));
        let result = invoke(
            &MapEntriesTextFunc::new(),
            vec![ColumnarValue::Scalar(scalar)],
            1,
        )
        .unwrap();
        let ColumnarValue::Scalar(ScalarValue::List(list)) = result else {
            panic!("a constant map gives a constant list, got {result:?}");
        };
        assert_eq!(
            entries_of(list.as_ref()),
            vec![Some(vec![entry("k", "bool", Some("true"))])]
        );

        let null_map = ScalarValue::try_from(map.data_type()).unwrap();
        let result = invoke(
            &MapEntriesTextFunc::new(),
            vec![ColumnarValue::Scalar(null_map)],
            1,
        )
        .unwrap();
        let ColumnarValue::Scalar(scalar) = result else {
            panic!("a constant map gives a constant list");
        };
        assert!(scalar.is_null());
    }

    #[test]
    fn null_argument_gives_null() {
        let result =
            invoke_arrays(&MapEntriesTextFunc::new(), &[Arc::new(NullArray::new(3))]).unwrap();
        assert_eq!(result.null_count(), 3);
        assert_eq!(result.data_type(), &map_entries_type());
    }

    #[test]
    fn the_entry_shape_is_the_documented_one() {
        let fields = map_entry_fields();
        let described: Vec<(&str, &DataType, bool)> = fields
            .iter()
            .map(|f| (f.name().as_str(), f.data_type(), f.is_nullable()))
            .collect();
        assert_eq!(
            described,
            vec![
                ("key", &DataType::Utf8, false),
                ("value_kind", &DataType::Utf8, false),
                ("value", &DataType::Utf8, true),
            ]
        );
        let DataType::List(item) = map_entries_type() else {
            panic!("a list");
        };
        assert_eq!(item.data_type(), &DataType::Struct(fields));
        assert!(!item.is_nullable());
    }

    #[test]
    fn result_nullability_follows_the_map() {
        let map_type = map_of(
            Arc::new(StringArray::from(Vec::<&str>::new())),
            Arc::new(Int64Array::from(Vec::<i64>::new())),
            &[0],
            None,
        )
        .data_type()
        .clone();
        for nullable in [true, false] {
            let fields = [Arc::new(Field::new("m", map_type.clone(), nullable))];
            let field = MapEntriesTextFunc::new()
                .return_field_from_args(ReturnFieldArgs {
                    arg_fields: &fields,
                    scalar_arguments: &[None],
                })
                .unwrap();
            assert_eq!(field.data_type(), &map_entries_type());
            assert_eq!(field.is_nullable(), nullable);
        }
    }

    #[test]
    fn non_map_arguments_are_rejected_when_planning() {
        let func = MapEntriesTextFunc::new();
        let error = func.coerce_types(&[DataType::Int64]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("map_entries_text expects a map argument, got Int64"),
            "{error}"
        );
        let error = func
            .coerce_types(&[DataType::Null, DataType::Null])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("map_entries_text expects 1 argument (map), got 2"),
            "{error}"
        );
        let error = invoke_arrays(&func, &[Arc::new(Int64Array::from(vec![1]))]).unwrap_err();
        assert!(error.to_string().contains("expects a map"), "{error}");
    }

    #[test]
    fn mismatched_argument_length_is_an_error() {
        let map = one_entry_maps(Arc::new(Int64Array::from(vec![1, 2])));
        let error = invoke(
            &MapEntriesTextFunc::new(),
            vec![ColumnarValue::Array(map)],
            3,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("has 2 rows, expected 3"),
            "{error}"
        );
    }

    /// Random maps of strings to lists of ints, with null maps, null values
    /// and empty maps.
    fn random_maps(seed: u64, rows: usize) -> ArrayRef {
        let mut random = XorShift::new(seed);
        let mut keys = Vec::new();
        let mut values = Vec::new();
        let mut offsets = vec![0i32];
        let mut valid = Vec::new();
        for _ in 0..rows {
            valid.push(random.below(6) != 0);
            for _ in 0..random.below(4) {
                keys.push(format!("k{}", random.below(10)));
                values.push(match random.below(4) {
                    0 => None,
                    n => Some(
                        (0..n)
                            .map(|i| (i % 3 != 2).then_some(random.below(100) as i64))
                            .collect::<Vec<_>>(),
                    ),
                });
            }
            offsets.push(keys.len() as i32);
        }
        let keys: ArrayRef = Arc::new(StringArray::from(keys));
        let values: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(values));
        map_of(keys, values, &offsets, Some(&valid))
    }

    #[test]
    fn batch_splits_do_not_matter() {
        for seed in [1, 7, 42] {
            assert_slices_match_whole(
                &MapEntriesTextFunc::new(),
                &[random_maps(seed, 200)],
                seed,
                display,
            );
        }
    }

    #[test]
    fn maps_from_the_map_builder_work() {
        let mut builder = arrow::array::MapBuilder::new(
            None,
            arrow::array::StringBuilder::new(),
            arrow::array::Int64Builder::new(),
        );
        builder.keys().append_value("z");
        builder.values().append_value(26);
        builder.append(true).unwrap();
        builder.append(false).unwrap();
        let map: MapArray = builder.finish();
        assert_eq!(
            run(Arc::new(map)),
            vec![Some(vec![entry("z", "int", Some("26"))]), None]
        );
    }
}
