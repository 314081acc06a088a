//! `stable_hash64(value, ...)`: a hash of SQL values that does not depend on
//! their physical representation, the engine version or the platform.

use std::sync::Arc;

use arrow::array::Int64Array;
use arrow::datatypes::{DataType, FieldRef};
use datafusion_common::{Result, ScalarValue, internal_err};
use datafusion_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use super::rows::{
    RowEncoder, all_scalars, encode_scalars, ensure_hash_arguments, hash_return_field, hash64,
};

#[user_doc(
    doc_section(label = "Hashing Functions"),
    description = r#"Computes a stable 64-bit hash of one or more values, as a non-negative Int64.

The hash is the 64-bit XXH3 (seed 0) of the canonical encoding of the arguments, with the sign bit cleared. It depends only on the logical values: the same number hashes the same as Int8 or Int64, the same string as Utf8, LargeUtf8, Utf8View or dictionary-encoded, and the result is identical across batches, machines and releases, so it can be stored (partitioning, deduplication and sampling keys). NULL is hashed as a dedicated marker, so the result is never NULL and NULL differs from the empty string. Every type is supported except unions: scalars of every kind, and lists (all list types alike), structs (field names included) and maps (entries in stored order) of them, dictionary- or run-end-encoded or not."#,
    syntax_example = "stable_hash64(expression[, ..., expression_n])",
    sql_example = r#"```sql
> select stable_hash64('hello'), stable_hash64(NULL), stable_hash64(1, 'a');
+------------------------------+---------------------+-----------------------------------+
| stable_hash64(Utf8("hello")) | stable_hash64(NULL) | stable_hash64(Int64(1),Utf8("a")) |
+------------------------------+---------------------+-----------------------------------+
| 4410968288181109294          | 4921273257020026075 | 7334463176092945360               |
+------------------------------+---------------------+-----------------------------------+
```"#,
    argument(
        name = "expression",
        description = "Expression to hash: a constant, column or function of a supported type. NULL is allowed."
    ),
    argument(
        name = "expression_n",
        description = "Further expressions; the hash covers all arguments in order, so `stable_hash64(a, b)` differs from `stable_hash64(b, a)`."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StableHash64Func {
    signature: Signature,
}

impl Default for StableHash64Func {
    fn default() -> Self {
        Self::new()
    }
}

impl StableHash64Func {
    pub fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for StableHash64Func {
    fn name(&self) -> &str {
        "stable_hash64"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("stable_hash64: return_field_from_args should be called instead")
    }

    /// Checks the arguments here so an unsupported type fails at planning,
    /// and declares the result non-nullable: nulls hash to a sentinel.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        hash_return_field(self.name(), args, DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        ensure_hash_arguments(self.name(), args.args.len())?;
        if let Some(scalars) = all_scalars(&args.args) {
            let hash = hash64(&encode_scalars(self.name(), &scalars)?);
            return Ok(ColumnarValue::Scalar(ScalarValue::Int64(Some(hash))));
        }
        let rows = args.number_rows;
        let values = RowEncoder::try_new(self.name(), &args.args, rows)?;
        let mut encoded = Vec::new();
        let hashes: Vec<i64> = (0..rows)
            .map(|row| {
                values.encode(row, &mut encoded);
                hash64(&encoded)
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(Int64Array::from(hashes))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal32Array,
        Decimal64Array, Decimal128Array, Decimal256Array, DictionaryArray, FixedSizeBinaryArray,
        Float32Array, Float64Array, Int8Array, Int32Array, Int64Array, LargeBinaryArray,
        LargeListArray, LargeStringArray, ListArray, MapArray, StringArray, StringViewArray,
        StructArray, TimestampMicrosecondArray, TimestampMillisecondArray,
        TimestampNanosecondArray, TimestampSecondArray, UInt8Array, UInt64Array,
    };
    use arrow::buffer::OffsetBuffer;
    use arrow::compute::cast;
    use arrow::datatypes::{
        DataType, Field, Int8Type, Int32Type, Int64Type, IntervalDayTime, IntervalMonthDayNano,
        IntervalUnit, TimeUnit, i256,
    };
    use datafusion_common::{Result, ScalarValue};
    use datafusion_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};
    use xxhash_rust::xxh3::xxh3_64;

    use super::StableHash64Func;
    use crate::hash::test_util::{assert_batch_splits_do_not_matter, random_columns};
    use crate::test_support::{invoke_unplanned, union_of_int32};

    fn invoke(args: Vec<ColumnarValue>, number_rows: usize) -> Result<ColumnarValue> {
        invoke_unplanned(&StableHash64Func::new(), args, number_rows, DataType::Int64)
    }

    /// Hashes one row of constants through the all-scalar path.
    fn hash_scalars(values: &[ScalarValue]) -> i64 {
        let args = values.iter().cloned().map(ColumnarValue::Scalar).collect();
        match invoke(args, 1).unwrap() {
            ColumnarValue::Scalar(ScalarValue::Int64(Some(hash))) => hash,
            other => panic!("expected a non-null Int64 scalar, got {other:?}"),
        }
    }

    /// Hashes columns row by row through the array path.
    fn hash_columns(columns: &[ArrayRef]) -> Vec<i64> {
        let rows = columns[0].len();
        let args = columns.iter().cloned().map(ColumnarValue::Array).collect();
        let ColumnarValue::Array(result) = invoke(args, rows).unwrap() else {
            panic!("array arguments must give an array");
        };
        let result = result.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(result.null_count(), 0, "the result is never null");
        result.values().to_vec()
    }

    /// The hash of the documented layout, computed without the encoder.
    fn hash_of_bytes(bytes: &[u8]) -> i64 {
        (xxh3_64(bytes) & 0x7FFF_FFFF_FFFF_FFFF) as i64
    }

    fn string(value: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(value.to_string()))
    }

    /// 2024-01-15, and 12:34:56 UTC on that day, in seconds.
    const DAYS_2024_01_15: i32 = 19_737;
    const SECONDS_2024_01_15_123456: i64 = 1_705_322_096;

    /// Golden vectors. They were computed by a separate implementation of
    /// the layout documented in `encoding.rs` (Python's `xxhash` package for
    /// the first ones, Python over the C reference `libxxhash` 0.8.1 for the
    /// nested types, times, durations and intervals), not by this crate. A
    /// failure here means stored hashes would change.
    fn golden_vectors() -> Vec<(&'static str, Vec<ScalarValue>, i64)> {
        vec![
            ("null", vec![ScalarValue::Null], 4921273257020026075),
            (
                "typed null",
                vec![ScalarValue::Utf8(None)],
                4921273257020026075,
            ),
            (
                "true",
                vec![ScalarValue::Boolean(Some(true))],
                508203992382727667,
            ),
            (
                "false",
                vec![ScalarValue::Boolean(Some(false))],
                3140324002597336768,
            ),
            ("0", vec![ScalarValue::Int64(Some(0))], 5196138786552323418),
            (
                "-1",
                vec![ScalarValue::Int64(Some(-1))],
                7950047852766296940,
            ),
            (
                "i64::MAX",
                vec![ScalarValue::Int64(Some(i64::MAX))],
                2715785836897228412,
            ),
            (
                "u64::MAX",
                vec![ScalarValue::UInt64(Some(u64::MAX))],
                6006979909695015964,
            ),
            (
                "1.5",
                vec![ScalarValue::Float64(Some(1.5))],
                6394485071238434244,
            ),
            (
                "0.0",
                vec![ScalarValue::Float64(Some(0.0))],
                5896069937192417693,
            ),
            (
                "-0.0",
                vec![ScalarValue::Float64(Some(-0.0))],
                5896069937192417693,
            ),
            (
                "NaN",
                vec![ScalarValue::Float64(Some(f64::NAN))],
                2903000400928131424,
            ),
            ("''", vec![string("")], 7949976060249939398),
            ("'hello'", vec![string("hello")], 4410968288181109294),
            ("unicode", vec![string("日本語 ✓ 🦀")], 3105831634411718683),
            (
                "binary",
                vec![ScalarValue::Binary(Some(vec![0xDE, 0xAD, 0xBE, 0xEF]))],
                1954692231949859119,
            ),
            (
                "empty binary",
                vec![ScalarValue::Binary(Some(vec![]))],
                3037280139978897121,
            ),
            (
                "date",
                vec![ScalarValue::Date32(Some(DAYS_2024_01_15))],
                6521413071397547753,
            ),
            (
                "timestamp (s)",
                vec![ScalarValue::TimestampSecond(
                    Some(SECONDS_2024_01_15_123456),
                    None,
                )],
                5280777693790712921,
            ),
            (
                "timestamp (ms, +02:00)",
                vec![ScalarValue::TimestampMillisecond(
                    Some(SECONDS_2024_01_15_123456 * 1_000),
                    Some("+02:00".into()),
                )],
                5280777693790712921,
            ),
            (
                "decimal 123.45",
                vec![ScalarValue::Decimal128(Some(12345), 10, 2)],
                2093655212188787793,
            ),
            (
                "decimal -1.50",
                vec![ScalarValue::Decimal256(Some(i256::from_i128(-150)), 40, 2)],
                2194400142140612836,
            ),
            (
                "(42, 'abc', true)",
                vec![
                    ScalarValue::Int32(Some(42)),
                    string("abc"),
                    ScalarValue::Boolean(Some(true)),
                ],
                2270159212352266832,
            ),
            // Nested types, times, durations and intervals (tags 0x09..0x0E).
            (
                "[1, NULL]",
                vec![int64_list(vec![Some(1), None])],
                4710186269904277460,
            ),
            (
                "[1, NULL] as LargeList(Int8)",
                vec![ScalarValue::LargeList(Arc::new(
                    LargeListArray::from_iter_primitive::<Int8Type, _, _>(vec![Some(vec![
                        Some(1),
                        None,
                    ])]),
                ))],
                4710186269904277460,
            ),
            ("[]", vec![int64_list(vec![])], 2995866665646312470),
            (
                "NULL list",
                vec![ScalarValue::try_from(int64_list(vec![]).data_type()).unwrap()],
                4921273257020026075,
            ),
            (
                "['a', 'bc']",
                vec![list_of(&[string("a"), string("bc")], &DataType::Utf8)],
                5148144888131020280,
            ),
            (
                "[[1], [2, 3]]",
                vec![list_of(
                    &[
                        int64_list(vec![Some(1)]),
                        int64_list(vec![Some(2), Some(3)]),
                    ],
                    &int64_list(vec![]).data_type(),
                )],
                8164850026905650659,
            ),
            (
                "[[1, 2], [3]]",
                vec![list_of(
                    &[
                        int64_list(vec![Some(1), Some(2)]),
                        int64_list(vec![Some(3)]),
                    ],
                    &int64_list(vec![]).data_type(),
                )],
                738829839404923307,
            ),
            (
                "{a: 'x'}",
                vec![struct_of(vec![(
                    "a",
                    Arc::new(StringArray::from(vec!["x"])) as ArrayRef,
                )])],
                5222871653557998402,
            ),
            (
                "{a: 1, b: NULL}",
                vec![struct_of(vec![
                    ("a", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
                    ("b", Arc::new(StringArray::from(vec![None::<&str>]))),
                ])],
                820039554410484712,
            ),
            (
                "{'a': 1, 'b': 2}",
                vec![map_of(&["a", "b"], vec![1, 2])],
                3175697339993180762,
            ),
            (
                "{'b': 2, 'a': 1}",
                vec![map_of(&["b", "a"], vec![2, 1])],
                601376797050747209,
            ),
            (
                "12:34:56 as Time64(ns)",
                vec![ScalarValue::Time64Nanosecond(Some(45_296_000_000_000))],
                1437612178551012942,
            ),
            (
                "12:34:56 as Time32(s)",
                vec![ScalarValue::Time32Second(Some(45_296))],
                1437612178551012942,
            ),
            (
                "90 s",
                vec![ScalarValue::DurationSecond(Some(90))],
                2369972569812330660,
            ),
            (
                "90 000 ms",
                vec![ScalarValue::DurationMillisecond(Some(90_000))],
                2369972569812330660,
            ),
            (
                "1 month 2 days 3 ns",
                vec![ScalarValue::IntervalMonthDayNano(Some(
                    IntervalMonthDayNano::new(1, 2, 3),
                ))],
                1464247515385498894,
            ),
            (
                "14 months",
                vec![ScalarValue::IntervalYearMonth(Some(14))],
                1395819546888710554,
            ),
            (
                "1 day 1500 ms as DayTime",
                vec![ScalarValue::IntervalDayTime(Some(IntervalDayTime::new(
                    1, 1_500,
                )))],
                3923555770850414265,
            ),
            (
                "1 day 1500 ms as MonthDayNano",
                vec![ScalarValue::IntervalMonthDayNano(Some(
                    IntervalMonthDayNano::new(0, 1, 1_500_000_000),
                ))],
                3923555770850414265,
            ),
        ]
    }

    fn int64_list(values: Vec<Option<i64>>) -> ScalarValue {
        ScalarValue::List(Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
            vec![Some(values)],
        )))
    }

    fn list_of(values: &[ScalarValue], item: &DataType) -> ScalarValue {
        ScalarValue::List(ScalarValue::new_list_nullable(values, item))
    }

    fn struct_of(fields: Vec<(&str, ArrayRef)>) -> ScalarValue {
        let fields: Vec<_> = fields
            .into_iter()
            .map(|(name, array)| {
                (
                    Arc::new(Field::new(name, array.data_type().clone(), true)),
                    array,
                )
            })
            .collect();
        ScalarValue::Struct(Arc::new(StructArray::from(fields)))
    }

    fn map_of(keys: &[&str], values: Vec<i64>) -> ScalarValue {
        let entries = keys.len() as u32;
        let map = MapArray::new_from_strings(
            keys.iter().copied(),
            &Int64Array::from(values),
            &[0, entries],
        )
        .unwrap();
        ScalarValue::Map(Arc::new(map))
    }

    #[test]
    fn golden_vectors_as_scalars() {
        for (name, values, expected) in golden_vectors() {
            assert_eq!(hash_scalars(&values), expected, "{name}");
        }
    }

    #[test]
    fn golden_vectors_as_arrays() {
        for (name, values, expected) in golden_vectors() {
            let columns: Vec<ArrayRef> = values
                .iter()
                .map(|v| v.to_array_of_size(3).unwrap())
                .collect();
            assert_eq!(hash_columns(&columns), vec![expected; 3], "{name}");
        }
    }

    #[test]
    fn output_matches_the_documented_byte_layout() {
        let mut hello = vec![0x04];
        hello.extend_from_slice(&5u64.to_le_bytes());
        hello.extend_from_slice(b"hello");

        let mut one_then_a = vec![0x02];
        one_then_a.extend_from_slice(&1i128.to_le_bytes());
        one_then_a.push(0x04);
        one_then_a.extend_from_slice(&1u64.to_le_bytes());
        one_then_a.push(b'a');

        let mut nan = vec![0x03];
        nan.extend_from_slice(&0x7FF8_0000_0000_0000u64.to_le_bytes());

        let mut date = vec![0x06];
        date.extend_from_slice(&i64::from(DAYS_2024_01_15).to_le_bytes());

        let mut timestamp = vec![0x07];
        let nanos = i128::from(SECONDS_2024_01_15_123456) * 1_000_000_000;
        timestamp.extend_from_slice(&nanos.to_le_bytes());

        let mut decimal = vec![0x08, 2];
        decimal.extend_from_slice(&i256::from_i128(12345).to_le_bytes());

        let cases = [
            (vec![ScalarValue::Null], vec![0x00]),
            (vec![ScalarValue::Boolean(Some(true))], vec![0x01, 0x01]),
            (vec![string("hello")], hello),
            (vec![ScalarValue::Int64(Some(1)), string("a")], one_then_a),
            (vec![ScalarValue::Float32(Some(f32::NAN))], nan),
            (vec![ScalarValue::Date32(Some(DAYS_2024_01_15))], date),
            (
                vec![ScalarValue::TimestampSecond(
                    Some(SECONDS_2024_01_15_123456),
                    None,
                )],
                timestamp,
            ),
            (vec![ScalarValue::Decimal128(Some(12345), 5, 2)], decimal),
        ];
        for (values, bytes) in cases {
            assert_eq!(hash_scalars(&values), hash_of_bytes(&bytes), "{values:?}");
        }
    }

    /// The nested examples of the module documentation of `encoding`, and
    /// the other new tags, byte by byte.
    #[test]
    fn nested_output_matches_the_documented_byte_layout() {
        fn int(v: i128) -> Vec<u8> {
            [&[0x02][..], &v.to_le_bytes()].concat()
        }
        fn text(v: &str) -> Vec<u8> {
            [&[0x04][..], &(v.len() as u64).to_le_bytes(), v.as_bytes()].concat()
        }
        fn name(v: &str) -> Vec<u8> {
            [&(v.len() as u64).to_le_bytes()[..], v.as_bytes()].concat()
        }
        let count = |n: u64| n.to_le_bytes().to_vec();

        let one_null = [vec![0x09], count(2), int(1), vec![0x00]].concat();
        let struct_a_x = [vec![0x0A], count(1), name("a"), text("x")].concat();
        let map_a1_b2 = [vec![0x0B], count(2), text("a"), int(1), text("b"), int(2)].concat();
        let nested = [
            vec![0x09],
            count(2),
            vec![0x09],
            count(1),
            int(1),
            vec![0x09],
            count(2),
            int(2),
            int(3),
        ]
        .concat();
        let time = [&[0x0C][..], &45_296_000_000_000_i64.to_le_bytes()].concat();
        let duration = [&[0x0D][..], &90_000_000_000_i128.to_le_bytes()].concat();
        let interval = [
            &[0x0E][..],
            &1_i32.to_le_bytes(),
            &2_i32.to_le_bytes(),
            &3_i64.to_le_bytes(),
        ]
        .concat();

        let cases = [
            (int64_list(vec![Some(1), None]), one_null),
            (
                struct_of(vec![(
                    "a",
                    Arc::new(StringArray::from(vec!["x"])) as ArrayRef,
                )]),
                struct_a_x,
            ),
            (map_of(&["a", "b"], vec![1, 2]), map_a1_b2),
            (
                list_of(
                    &[
                        int64_list(vec![Some(1)]),
                        int64_list(vec![Some(2), Some(3)]),
                    ],
                    &int64_list(vec![]).data_type(),
                ),
                nested,
            ),
            (ScalarValue::Time32Millisecond(Some(45_296_000)), time),
            (ScalarValue::DurationMicrosecond(Some(90_000_000)), duration),
            (
                ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(1, 2, 3))),
                interval,
            ),
        ];
        for (value, bytes) in cases {
            assert_eq!(
                hash_scalars(std::slice::from_ref(&value)),
                hash_of_bytes(&bytes),
                "{value:?}"
            );
        }
        // The documented [1, NULL] in full, as written in the module doc.
        let documented: Vec<u8> = [
            0x09, 2, 0, 0, 0, 0, 0, 0, 0, //
            0x02, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
            0x00,
        ]
        .to_vec();
        assert_eq!(
            hash_scalars(&[int64_list(vec![Some(1), None])]),
            hash_of_bytes(&documented)
        );
    }

    #[test]
    fn string_representations_hash_alike() {
        let values = [Some("a"), None, Some(""), Some("hello"), Some("日本語")];
        let utf8: ArrayRef = Arc::new(StringArray::from(values.to_vec()));
        let expected = hash_columns(&[utf8]);
        let others: Vec<ArrayRef> = vec![
            Arc::new(LargeStringArray::from(values.to_vec())),
            Arc::new(StringViewArray::from(values.to_vec())),
            Arc::new(
                values
                    .iter()
                    .copied()
                    .collect::<DictionaryArray<Int32Type>>(),
            ),
            Arc::new(
                values
                    .iter()
                    .copied()
                    .collect::<DictionaryArray<Int8Type>>(),
            ),
        ];
        for other in others {
            assert_eq!(
                hash_columns(&[Arc::clone(&other)]),
                expected,
                "{}",
                other.data_type()
            );
        }
    }

    #[test]
    fn dictionary_null_keys_and_null_values_hash_as_null() {
        let keys = Int32Array::from(vec![Some(0), Some(1), Some(2), None, Some(0)]);
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("")]));
        let dictionary: ArrayRef = Arc::new(DictionaryArray::try_new(keys, values).unwrap());
        let plain: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a"),
            None,
            Some(""),
            None,
            Some("a"),
        ]));
        assert_eq!(hash_columns(&[dictionary]), hash_columns(&[plain]));
    }

    #[test]
    fn integer_widths_hash_alike() {
        let expected = hash_columns(&[Arc::new(Int64Array::from(vec![
            Some(0),
            Some(1),
            None,
            Some(100),
        ]))]);
        let others: Vec<ArrayRef> = vec![
            Arc::new(Int8Array::from(vec![Some(0), Some(1), None, Some(100)])),
            Arc::new(Int32Array::from(vec![Some(0), Some(1), None, Some(100)])),
            Arc::new(UInt8Array::from(vec![Some(0), Some(1), None, Some(100)])),
            Arc::new(UInt64Array::from(vec![Some(0), Some(1), None, Some(100)])),
        ];
        for other in others {
            assert_eq!(
                hash_columns(&[Arc::clone(&other)]),
                expected,
                "{}",
                other.data_type()
            );
        }
    }

    #[test]
    fn float_widths_hash_alike() {
        let expected = hash_columns(&[Arc::new(Float64Array::from(vec![
            Some(1.5),
            Some(-0.0),
            Some(f64::NAN),
            None,
        ]))]);
        let float32: ArrayRef = Arc::new(Float32Array::from(vec![
            Some(1.5),
            Some(-0.0),
            Some(-f32::NAN),
            None,
        ]));
        let float16 = cast(&float32, &DataType::Float16).unwrap();
        assert_eq!(hash_columns(&[float32]), expected);
        assert_eq!(hash_columns(&[float16]), expected);
    }

    #[test]
    fn dates_and_timestamp_units_hash_alike() {
        let date32: ArrayRef = Arc::new(Date32Array::from(vec![DAYS_2024_01_15, -1, 0]));
        let ms_per_day = 86_400_000;
        let date64: ArrayRef = Arc::new(Date64Array::from(vec![
            i64::from(DAYS_2024_01_15) * ms_per_day,
            -ms_per_day,
            0,
        ]));
        assert_eq!(hash_columns(&[date64]), hash_columns(&[date32]));

        let s = SECONDS_2024_01_15_123456;
        let expected = hash_columns(&[Arc::new(TimestampSecondArray::from(vec![s, -1]))]);
        let others: Vec<ArrayRef> = vec![
            Arc::new(TimestampMillisecondArray::from(vec![s * 1_000, -1_000]).with_timezone("UTC")),
            Arc::new(TimestampMicrosecondArray::from(vec![
                s * 1_000_000,
                -1_000_000,
            ])),
            Arc::new(
                TimestampNanosecondArray::from(vec![s * 1_000_000_000, -1_000_000_000])
                    .with_timezone("America/New_York"),
            ),
        ];
        for other in others {
            assert_eq!(
                hash_columns(&[Arc::clone(&other)]),
                expected,
                "{}",
                other.data_type()
            );
        }
    }

    #[test]
    fn decimal_widths_hash_alike_and_scale_matters() {
        let expected = hash_columns(&[Arc::new(
            Decimal128Array::from(vec![Some(150), None])
                .with_precision_and_scale(38, 2)
                .unwrap(),
        )]);
        let others: Vec<ArrayRef> = vec![
            Arc::new(
                Decimal32Array::from(vec![Some(150), None])
                    .with_precision_and_scale(9, 2)
                    .unwrap(),
            ),
            Arc::new(
                Decimal64Array::from(vec![Some(150), None])
                    .with_precision_and_scale(18, 2)
                    .unwrap(),
            ),
            Arc::new(
                Decimal256Array::from(vec![Some(i256::from_i128(150)), None])
                    .with_precision_and_scale(76, 2)
                    .unwrap(),
            ),
        ];
        for other in others {
            assert_eq!(
                hash_columns(&[Arc::clone(&other)]),
                expected,
                "{}",
                other.data_type()
            );
        }
        let one_point_five_at_scale_1 = ScalarValue::Decimal128(Some(15), 38, 1);
        assert_ne!(hash_scalars(&[one_point_five_at_scale_1]), expected[0]);
    }

    #[test]
    fn binary_representations_hash_alike() {
        let values: Vec<&[u8]> = vec![b"ab", b"\xDE\xAD"];
        let expected = hash_columns(&[Arc::new(BinaryArray::from(values.clone()))]);
        let large: ArrayRef = Arc::new(LargeBinaryArray::from(values.clone()));
        let fixed: ArrayRef =
            Arc::new(FixedSizeBinaryArray::try_from_iter(values.into_iter()).unwrap());
        assert_eq!(hash_columns(&[large]), expected);
        assert_eq!(hash_columns(&[fixed]), expected);
        let as_string = hash_columns(&[Arc::new(StringArray::from(vec!["ab"]))]);
        assert_ne!(
            as_string[0], expected[0],
            "a string is not the binary of its bytes"
        );
    }

    #[test]
    fn scalar_and_array_arguments_hash_alike() {
        let column: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None, Some("yz")]));
        let constant = ScalarValue::Int32(Some(7));
        let expected = hash_columns(&[Arc::clone(&column), constant.to_array_of_size(3).unwrap()]);

        let mixed = vec![
            ColumnarValue::Array(column),
            ColumnarValue::Scalar(constant.clone()),
        ];
        let ColumnarValue::Array(result) = invoke(mixed, 3).unwrap() else {
            panic!("an array argument must give an array");
        };
        let result = result.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(result.values().to_vec(), expected);

        let first_row = vec![string("x"), constant];
        assert_eq!(hash_scalars(&first_row), expected[0]);
    }

    #[test]
    fn batch_boundaries_do_not_matter() {
        let strings: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a"),
            None,
            Some("b"),
            Some(""),
            Some("c"),
            Some("dd"),
        ]));
        let numbers: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6]));
        let whole = hash_columns(&[Arc::clone(&strings), Arc::clone(&numbers)]);
        let mut split = hash_columns(&[strings.slice(0, 2), numbers.slice(0, 2)]);
        split.extend(hash_columns(&[strings.slice(2, 4), numbers.slice(2, 4)]));
        assert_eq!(split, whole);
    }

    #[test]
    fn null_and_empty_string_differ() {
        assert_ne!(
            hash_scalars(&[ScalarValue::Utf8(None)]),
            hash_scalars(&[string("")])
        );
    }

    #[test]
    fn length_prefix_separates_arguments() {
        let a_bc = hash_scalars(&[string("a"), string("bc")]);
        let ab_c = hash_scalars(&[string("ab"), string("c")]);
        assert_ne!(a_bc, ab_c);
        assert_eq!(a_bc, 4991425739592251093);
        assert_eq!(ab_c, 4517338325977915365);
    }

    #[test]
    fn argument_order_matters() {
        let one_a = hash_scalars(&[ScalarValue::Int64(Some(1)), string("a")]);
        let a_one = hash_scalars(&[string("a"), ScalarValue::Int64(Some(1))]);
        assert_ne!(one_a, a_one);
    }

    #[test]
    fn unsupported_type_is_an_error_naming_it() {
        let error = invoke(vec![ColumnarValue::Array(union_of_int32())], 1).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("stable_hash64 does not support Union(Sparse"),
            "{message}"
        );
        assert!(message.contains("union_extract"), "{message}");

        // Also when nested.
        let list_of_union = ListArray::new(
            Arc::new(Field::new_list_field(
                union_of_int32().data_type().clone(),
                true,
            )),
            OffsetBuffer::from_lengths([1]),
            union_of_int32(),
            None,
        );
        let error = invoke(vec![ColumnarValue::Array(Arc::new(list_of_union))], 1).unwrap_err();
        assert!(
            error.to_string().contains("does not support Union"),
            "{error}"
        );
    }

    #[test]
    fn unsupported_type_is_rejected_when_planning() {
        let fields = [
            Arc::new(Field::new("s", DataType::Utf8, true)),
            Arc::new(Field::new("u", union_of_int32().data_type().clone(), true)),
        ];
        let error = StableHash64Func::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &fields,
                scalar_arguments: &[None, None],
            })
            .unwrap_err();
        assert!(error.to_string().contains("Union(Sparse"), "{error}");
    }

    #[test]
    fn every_type_but_union_is_accepted_when_planning() {
        let list = |item: DataType| Arc::new(Field::new_list_field(item, true));
        let types = [
            DataType::Null,
            DataType::Time32(TimeUnit::Second),
            DataType::Time64(TimeUnit::Nanosecond),
            DataType::Duration(TimeUnit::Millisecond),
            DataType::Interval(IntervalUnit::DayTime),
            DataType::List(list(DataType::Utf8)),
            DataType::LargeList(list(DataType::Utf8View)),
            DataType::ListView(list(DataType::Int8)),
            DataType::LargeListView(list(DataType::Binary)),
            DataType::FixedSizeList(list(DataType::Float32), 3),
            DataType::Struct(vec![Field::new("a", DataType::Date32, true)].into()),
            nested_map_type(),
            DataType::RunEndEncoded(
                Arc::new(Field::new("run_ends", DataType::Int32, false)),
                Arc::new(Field::new("values", DataType::Utf8, true)),
            ),
            DataType::Dictionary(
                Box::new(DataType::Int16),
                Box::new(DataType::List(list(DataType::Int64))),
            ),
        ];
        for data_type in types {
            let fields = [Arc::new(Field::new("v", data_type.clone(), true))];
            let result = StableHash64Func::new().return_field_from_args(ReturnFieldArgs {
                arg_fields: &fields,
                scalar_arguments: &[None],
            });
            assert!(result.is_ok(), "{data_type}: {result:?}");
        }
    }

    fn nested_map_type() -> DataType {
        let entries = Field::new(
            "entries",
            DataType::Struct(
                vec![
                    Field::new("key", DataType::Utf8, false),
                    Field::new("value", DataType::Int64, true),
                ]
                .into(),
            ),
            false,
        );
        DataType::Map(Arc::new(entries), false)
    }

    #[test]
    fn batch_splits_do_not_matter_for_nested_values() {
        assert_batch_splits_do_not_matter(&StableHash64Func::new(), 0x5EED_0064, random_columns);
    }

    #[test]
    fn zero_arguments_is_an_error() {
        let planning = StableHash64Func::new().return_field_from_args(ReturnFieldArgs {
            arg_fields: &[],
            scalar_arguments: &[],
        });
        assert!(
            planning
                .unwrap_err()
                .to_string()
                .contains("at least one argument")
        );
        assert!(invoke(vec![], 1).is_err());
    }

    #[test]
    fn result_is_a_non_nullable_int64() {
        let fields = [Arc::new(Field::new("s", DataType::Utf8, true))];
        let field = StableHash64Func::new()
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &fields,
                scalar_arguments: &[None],
            })
            .unwrap();
        assert_eq!(field.data_type(), &DataType::Int64);
        assert!(!field.is_nullable());
    }

    #[test]
    fn mismatched_argument_length_is_an_error() {
        let short: ArrayRef = Arc::new(BooleanArray::from(vec![true]));
        assert!(invoke(vec![ColumnarValue::Array(short)], 2).is_err());
    }
}
