//! Helpers shared by the hash functions' tests (the ones every family
//! shares are in `crate::test_support`).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int64Builder, ListBuilder, MapBuilder, StringArray, StringBuilder, StructArray,
};
use arrow::datatypes::{DataType, Field};
use datafusion_common::ScalarValue;
use datafusion_expr::{ColumnarValue, ScalarUDFImpl};

use crate::test_support::{XorShift, invoke};

/// The rows of a result, scalar or array, as scalars.
pub fn result_values(result: ColumnarValue, rows: usize) -> Vec<ScalarValue> {
    let array = result.into_array(rows).unwrap();
    assert_eq!(array.len(), rows, "one result per row");
    (0..array.len())
        .map(|row| ScalarValue::try_from_array(array.as_ref(), row).unwrap())
        .collect()
}

/// Calls `udf` on columns and returns its rows.
pub fn call_columns(udf: &dyn ScalarUDFImpl, columns: &[ArrayRef]) -> Vec<ScalarValue> {
    let rows = columns[0].len();
    let args = columns.iter().cloned().map(ColumnarValue::Array).collect();
    result_values(invoke(udf, args, rows).unwrap(), rows)
}

/// Calls `udf` on constants through the all-scalar path and returns its
/// single value, which must be a scalar.
pub fn call_scalars(udf: &dyn ScalarUDFImpl, values: &[ScalarValue]) -> ScalarValue {
    let args = values.iter().cloned().map(ColumnarValue::Scalar).collect();
    match invoke(udf, args, 1).unwrap() {
        ColumnarValue::Scalar(value) => value,
        ColumnarValue::Array(_) => panic!("constant arguments must give a constant"),
    }
}

/// The `Utf8` text of a result value.
pub fn text(value: &ScalarValue) -> Option<&str> {
    match value {
        ScalarValue::Utf8(text) => text.as_deref(),
        other => panic!("expected a Utf8 value, got {other:?}"),
    }
}

/// A `Utf8` value.
pub fn utf8(value: Option<&str>) -> ScalarValue {
    ScalarValue::Utf8(value.map(str::to_string))
}

/// Golden vectors of a function with `Utf8` results: a name, the arguments
/// and the expected text.
pub type TextGoldenVectors = Vec<(&'static str, Vec<ScalarValue>, &'static str)>;

/// Checks every golden vector through the all-scalar path.
pub fn assert_golden_vectors_as_scalars(udf: &dyn ScalarUDFImpl, vectors: TextGoldenVectors) {
    for (name, values, expected) in vectors {
        let result = call_scalars(udf, &values);
        assert_eq!(text(&result), Some(expected), "{name}");
    }
}

/// Checks every golden vector through the array path, as three equal rows.
pub fn assert_golden_vectors_as_arrays(udf: &dyn ScalarUDFImpl, vectors: TextGoldenVectors) {
    for (name, values, expected) in vectors {
        let columns: Vec<ArrayRef> = values
            .iter()
            .map(|v| v.to_array_of_size(3).unwrap())
            .collect();
        let results = call_columns(udf, &columns);
        assert_eq!(results, vec![utf8(Some(expected)); 3], "{name}");
    }
}

fn random_string(rng: &mut XorShift) -> String {
    const ALPHABET: &[&str] = &["a", "b", "é", "日", "🦀", "", "xyz"];
    (0..rng.below(4))
        .map(|_| ALPHABET[rng.below(ALPHABET.len())])
        .collect()
}

/// Random columns of `rows` rows covering flat and nested types with nulls
/// at every level: strings, integers, lists of integers, structs of a string
/// and a list, and maps of strings to integers.
pub fn random_columns(rng: &mut XorShift, rows: usize) -> Vec<ArrayRef> {
    let mut strings = StringBuilder::new();
    let mut numbers = Int64Builder::new();
    let mut lists = ListBuilder::new(Int64Builder::new());
    let mut inner_strings = StringBuilder::new();
    let mut inner_lists = ListBuilder::new(Int64Builder::new());
    let mut maps = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    for _ in 0..rows {
        if rng.one_in(5) {
            strings.append_null();
        } else {
            strings.append_value(random_string(rng));
        }
        if rng.one_in(5) {
            numbers.append_null();
        } else {
            numbers.append_value(rng.next_u64() as i64 % 1000);
        }
        for builder in [&mut lists, &mut inner_lists] {
            if rng.one_in(6) {
                builder.append_null();
            } else {
                for _ in 0..rng.below(4) {
                    if rng.one_in(4) {
                        builder.values().append_null();
                    } else {
                        builder.values().append_value(rng.below(5) as i64);
                    }
                }
                builder.append(true);
            }
        }
        if rng.one_in(5) {
            inner_strings.append_null();
        } else {
            inner_strings.append_value(random_string(rng));
        }
        for _ in 0..rng.below(3) {
            maps.keys().append_value(random_string(rng));
            if rng.one_in(4) {
                maps.values().append_null();
            } else {
                maps.values().append_value(rng.below(9) as i64);
            }
        }
        maps.append(!rng.one_in(6)).unwrap();
    }
    let inner_strings: ArrayRef = Arc::new(inner_strings.finish());
    let inner_lists: ArrayRef = Arc::new(inner_lists.finish());
    let struct_nulls = (0..rows).map(|_| !rng.one_in(6)).collect::<Vec<_>>();
    let structs = StructArray::try_new(
        vec![
            Arc::new(Field::new("s", DataType::Utf8, true)),
            Arc::new(Field::new("l", inner_lists.data_type().clone(), true)),
        ]
        .into(),
        vec![inner_strings, inner_lists],
        Some(struct_nulls.into()),
    )
    .unwrap();
    vec![
        Arc::new(strings.finish()),
        Arc::new(numbers.finish()),
        Arc::new(lists.finish()),
        Arc::new(structs),
        Arc::new(maps.finish()),
    ]
}

/// A random prefix column: a few distinct prefixes and nulls.
pub fn random_prefixes(rng: &mut XorShift, rows: usize) -> ArrayRef {
    const PREFIXES: &[Option<&str>] = &[Some("user"), Some("o"), Some(""), Some("日本"), None];
    Arc::new(
        (0..rows)
            .map(|_| PREFIXES[rng.below(PREFIXES.len())])
            .collect::<StringArray>(),
    )
}

/// Property: calling `udf` on random columns gives the same rows whether
/// the rows come as one batch, as random slices of it (batch boundaries) or
/// one by one as constants (the all-scalar path). `make_columns` builds the
/// arguments of one case.
pub fn assert_batch_splits_do_not_matter(
    udf: &dyn ScalarUDFImpl,
    seed: u64,
    make_columns: impl Fn(&mut XorShift, usize) -> Vec<ArrayRef>,
) {
    let mut rng = XorShift::new(seed);
    for case in 0..20 {
        let rows = 1 + rng.below(60);
        let columns = make_columns(&mut rng, rows);
        let whole = call_columns(udf, &columns);

        // Random cut points, possibly repeated (empty batches).
        let mut cuts: Vec<usize> = (0..rng.below(5)).map(|_| rng.below(rows + 1)).collect();
        cuts.extend([0, rows]);
        cuts.sort_unstable();
        let mut split = Vec::with_capacity(rows);
        for bounds in cuts.windows(2) {
            let (start, len) = (bounds[0], bounds[1] - bounds[0]);
            let slices: Vec<ArrayRef> = columns.iter().map(|c| c.slice(start, len)).collect();
            let args = slices.into_iter().map(ColumnarValue::Array).collect();
            split.extend(result_values(invoke(udf, args, len).unwrap(), len));
        }
        assert_eq!(split, whole, "case {case}: cuts {cuts:?}");

        for (row, expected) in whole.iter().enumerate() {
            let scalars: Vec<ScalarValue> = columns
                .iter()
                .map(|c| ScalarValue::try_from_array(c.as_ref(), row).unwrap())
                .collect();
            assert_eq!(
                &call_scalars(udf, &scalars),
                expected,
                "case {case}, row {row}"
            );
        }
    }
}

/// The text a hash function's result value stands for in a prefixed
/// result: `Utf8` as it is, `Int64` in decimal.
fn hash_text(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Utf8(Some(text)) => text.clone(),
        ScalarValue::Int64(Some(hash)) => hash.to_string(),
        other => panic!("a hash is never {other:?}"),
    }
}

/// Property of a prefixed function `udf`: on random prefixes (with NULLs)
/// and random values, each row is NULL where the prefix is, and otherwise
/// `'<prefix>:'` followed by what `hash_udf` gives for the values alone;
/// every string type of prefix gives the same rows, and a constant prefix
/// handed over as an array (as DataFusion's FFI does) gives what the
/// constant gives.
pub fn assert_prefixed_rows_match(
    udf: &dyn ScalarUDFImpl,
    hash_udf: &dyn ScalarUDFImpl,
    seed: u64,
) {
    let mut rng = XorShift::new(seed);
    for case in 0..20 {
        let rows = 1 + rng.below(50);
        let prefixes = random_prefixes(&mut rng, rows);
        let values = random_columns(&mut rng, rows);
        let hashes = call_columns(hash_udf, &values);

        let mut columns = vec![Arc::clone(&prefixes)];
        columns.extend(values.iter().cloned());
        let results = call_columns(udf, &columns);
        let prefix_strings = prefixes.as_any().downcast_ref::<StringArray>().unwrap();
        for row in 0..rows {
            let expected = prefix_strings
                .is_valid(row)
                .then(|| format!("{}:{}", prefix_strings.value(row), hash_text(&hashes[row])));
            assert_eq!(
                results[row],
                ScalarValue::Utf8(expected),
                "case {case}, row {row}"
            );
        }

        for string_type in [DataType::LargeUtf8, DataType::Utf8View] {
            columns[0] = arrow::compute::cast(&prefixes, &string_type).unwrap();
            assert_eq!(
                call_columns(udf, &columns),
                results,
                "case {case}, {string_type}"
            );
        }

        let constant = ScalarValue::Utf8(Some("k".into()));
        let mut args = vec![ColumnarValue::Scalar(constant.clone())];
        args.extend(values.iter().cloned().map(ColumnarValue::Array));
        let from_scalar = result_values(invoke(udf, args, rows).unwrap(), rows);
        columns[0] = constant.to_array_of_size(rows).unwrap();
        assert_eq!(call_columns(udf, &columns), from_scalar, "case {case}");
        let expected: Vec<ScalarValue> = hashes
            .iter()
            .map(|hash| ScalarValue::Utf8(Some(format!("k:{}", hash_text(hash)))))
            .collect();
        assert_eq!(from_scalar, expected, "case {case}");
    }
}

/// Random arguments for a prefixed function: a prefix column, then values.
pub fn random_prefixed_columns(rng: &mut XorShift, rows: usize) -> Vec<ArrayRef> {
    let mut columns = vec![random_prefixes(rng, rows)];
    columns.extend(random_columns(rng, rows));
    columns
}
