//! The codec functions through SQL in a native DataFusion session (planning,
//! coercion, literals, field metadata), their documented examples, round
//! trips, and property-style loops feeding the decoders random bytes.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use datafusion_common::{Result, ScalarValue};
use datafusion_expr::ColumnarValue;

use super::functions;
use super::metadata_map_decode::decode as decode_metadata;
use super::msgpack_to_json::to_json;
use crate::test_support::{XorShift, invoke, invoke_unplanned};

fn context() -> Result<SessionContext> {
    let ctx = SessionContext::new();
    for udf in functions() {
        ctx.register_udf(udf.as_ref().clone());
    }
    // A table whose column carries field metadata, as a Parquet file's would.
    let metadata = HashMap::from([
        ("unit".to_string(), "ms".to_string()),
        ("source".to_string(), "sensor".to_string()),
    ]);
    let schema = Arc::new(Schema::new(vec![
        Field::new("latency", DataType::Int32, true).with_metadata(metadata),
        Field::new("k", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int32Array::from(vec![Some(5), None, Some(7)])),
            Arc::new(arrow::array::StringArray::from(vec![
                Some("unit"),
                Some("source"),
                None,
            ])),
        ],
    )?;
    ctx.register_table(
        "readings",
        Arc::new(MemTable::try_new(schema, vec![vec![batch]])?),
    )?;
    Ok(ctx)
}

async fn rows(ctx: &SessionContext, sql: &str) -> Result<Vec<Vec<String>>> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let options = arrow::util::display::FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in &batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    Ok(rows)
}

async fn one(ctx: &SessionContext, sql: &str) -> Result<String> {
    let rows = rows(ctx, sql).await?;
    assert_eq!(rows.len(), 1, "{sql}");
    assert_eq!(rows[0].len(), 1, "{sql}");
    Ok(rows[0][0].clone())
}

/// Every documented example is run, and its table must be what it prints.
#[tokio::test]
async fn documented_examples_show_real_output() -> Result<()> {
    let ctx = context()?;
    for udf in functions() {
        let doc = udf.documentation().expect("documented");
        let example = doc.sql_example.as_deref().expect("an example");
        let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
        for line in example.lines() {
            if let Some(sql) = line.strip_prefix("> ") {
                blocks.push((sql.to_string(), Vec::new()));
            } else if (line.starts_with('+') || line.starts_with('|'))
                && let Some((_, table)) = blocks.last_mut()
            {
                table.push(line.to_string());
            }
        }
        assert!(
            !blocks.is_empty(),
            "{}: no query in the example",
            udf.name()
        );
        for (sql, table) in blocks {
            let batches = ctx.sql(&sql).await?.collect().await?;
            let actual = pretty_format_batches(&batches)?.to_string();
            let actual: Vec<String> = actual.lines().map(str::to_string).collect();
            assert_eq!(
                table,
                actual,
                "{}: the example's table is not what\n{sql}\nprints:\n{}",
                udf.name(),
                actual.join("\n")
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn representation_independence_through_sql() -> Result<()> {
    let ctx = context()?;
    let same = [
        "canonical_fingerprint('hi') = canonical_fingerprint(arrow_cast('hi', 'LargeUtf8'))",
        "canonical_fingerprint('hi') = canonical_fingerprint(arrow_cast('hi', 'Utf8View'))",
        "canonical_fingerprint('hi') = canonical_fingerprint(arrow_cast('hi', 'Dictionary(Int32, Utf8)'))",
        "canonical_fingerprint(CAST(7 AS TINYINT)) = canonical_fingerprint(CAST(7 AS BIGINT))",
        "canonical_fingerprint(CAST(7 AS TINYINT UNSIGNED)) = canonical_fingerprint(CAST(7 AS BIGINT))",
        "canonical_fingerprint(CAST(1.5 AS REAL)) = canonical_fingerprint(CAST(1.5 AS DOUBLE))",
        "canonical_fingerprint(make_array(1, 2)) = canonical_fingerprint(arrow_cast(make_array(1, 2), 'LargeList(Int64)'))",
        "canonical_fingerprint(named_struct('a', 1, 'b', 'x')) = canonical_fingerprint(named_struct('b', 'x', 'a', 1))",
        "canonical_fingerprint(MAP {'a': 1, 'b': 2}) = canonical_fingerprint(MAP {'b': 2, 'a': 1})",
        "canonical_fingerprint(named_struct('a', 1, 'b', 2)) = canonical_fingerprint(MAP {'b': 2, 'a': 1})",
        "canonical_fingerprint(CAST('2024-01-15T12:34:56' AS TIMESTAMP)) = canonical_fingerprint(arrow_cast(CAST('2024-01-15T12:34:56' AS TIMESTAMP), 'Timestamp(Second, None)'))",
        "msgpack_encode(CAST(1.50 AS DECIMAL(5, 2))) = msgpack_encode(CAST(1.50 AS DECIMAL(38, 2)))",
        "msgpack_encode(CAST(-0.0 AS DOUBLE)) = msgpack_encode(CAST(0.0 AS DOUBLE))",
    ];
    for condition in same {
        assert_eq!(
            one(&ctx, &format!("SELECT {condition}")).await?,
            "true",
            "{condition}"
        );
    }
    let different = [
        "canonical_fingerprint(1) <> canonical_fingerprint(1.0)",
        "canonical_fingerprint('1') <> canonical_fingerprint(1)",
        "canonical_fingerprint(NULL) <> canonical_fingerprint('')",
        "canonical_fingerprint(CAST(1.50 AS DECIMAL(5, 2))) <> canonical_fingerprint(CAST(1.5 AS DECIMAL(5, 1)))",
    ];
    for condition in different {
        assert_eq!(
            one(&ctx, &format!("SELECT {condition}")).await?,
            "true",
            "{condition}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn fingerprint_golden_values() -> Result<()> {
    // BLAKE3 of the golden canonical bytes, computed by a separate
    // implementation (Python's `blake3` and `msgpack` packages).
    let ctx = context()?;
    let cases = [
        (
            "NULL",
            "af2edc674154ff129d9e826727ada0828d3ba480924bbed84bf6dcae2e1f1db2",
        ),
        (
            "CAST(NULL AS INT)",
            "af2edc674154ff129d9e826727ada0828d3ba480924bbed84bf6dcae2e1f1db2",
        ),
        (
            "1",
            "48fc721fbbc172e0925fa27af1671de225ba927134802998b10a1568a188652b",
        ),
        (
            "'hello'",
            "b4e0d2a00fc363626c58c560d1690bd132fc8977a649531b0e4838df93e2aab4",
        ),
        (
            "named_struct('b', 1.5, 'a', make_array(1, NULL))",
            "938e540102068cafb7f6ab741b3f77d2b0a573c5e90bcebb40f3bce572845a62",
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(
            one(&ctx, &format!("SELECT canonical_fingerprint({value})")).await?,
            expected,
            "{value}"
        );
    }
    // Per row over a column, NULL rows included; the result is never NULL.
    let rows = rows(&ctx, "SELECT canonical_fingerprint(latency) FROM readings").await?;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][0], cases[0].1);
    assert!(rows.iter().all(|row| row[0].len() == 64));
    Ok(())
}

#[tokio::test]
async fn round_trips() -> Result<()> {
    let ctx = context()?;
    let cases = [
        (
            "named_struct('b', 1.5, 'a', make_array(1, NULL))",
            r#"{"a":[1,null],"b":1.5}"#,
        ),
        ("MAP {'z': 'last', 'a': NULL}", r#"{"a":null,"z":"last"}"#),
        ("MAP {10: 'x', 2: 'y'}", r#"{"2":"y","10":"x"}"#),
        ("CAST(X'DEAD' AS BYTEA)", r#""dead""#),
        ("'tab\there \"quoted\"'", r#""tab\there \"quoted\"""#),
        (
            "CAST('2024-01-15' AS DATE)",
            r#"{"ext":1,"data":"0000000000004d19"}"#,
        ),
        (
            "CAST('1970-01-01T00:00:01' AS TIMESTAMP)",
            r#"{"ext":-1,"data":"00000001"}"#,
        ),
        ("CAST('NaN' AS DOUBLE)", "null"),
        ("make_array(make_array(1), make_array())", "[[1],[]]"),
    ];
    for (value, expected) in cases {
        let json = one(
            &ctx,
            &format!("SELECT msgpack_to_json(msgpack_encode({value}))"),
        )
        .await?;
        assert_eq!(json, expected, "{value}");
    }
    assert_eq!(
        one(&ctx, "SELECT msgpack_to_json(msgpack_encode(NULL))").await?,
        "NULL"
    );

    // metadata_map_decode(metadata_map_encode(m)) is m sorted by key.
    let decoded = one(
        &ctx,
        "SELECT metadata_map_decode(metadata_map_encode(MAP {'unit': 'ms', 'b': NULL, 'a': ''}))",
    )
    .await?;
    assert_eq!(decoded, "{a: , b: NULL, unit: ms}");
    assert_eq!(
        one(&ctx, "SELECT metadata_map_encode(MAP {'unit': 'ms', 'a': NULL}) = msgpack_encode(MAP {'a': NULL, 'unit': 'ms'})").await?,
        "true"
    );
    assert_eq!(
        one(&ctx, "SELECT metadata_map_decode(metadata_map_encode(arrow_metadata(latency))) FROM readings LIMIT 1").await?,
        "{source: sensor, unit: ms}"
    );
    Ok(())
}

#[tokio::test]
async fn planning_errors_name_the_function() -> Result<()> {
    let ctx = context()?;
    let cases = [
        (
            "SELECT msgpack_to_json('not bytes')",
            "msgpack_to_json expects a binary argument (MessagePack bytes), got Utf8",
        ),
        (
            "SELECT metadata_map_decode(1)",
            "metadata_map_decode expects a binary argument (MessagePack bytes), got Int64",
        ),
        (
            "SELECT metadata_map_encode(MAP {'a': 1})",
            "metadata_map_encode expects a map of strings to strings",
        ),
        (
            "SELECT msgpack_to_json(X'92')",
            "msgpack_to_json: cannot decode MessagePack: truncated input: 1 byte needed at offset 1, 0 left",
        ),
        (
            "SELECT msgpack_to_json(X'0102')",
            "msgpack_to_json: cannot decode MessagePack: 1 trailing byte after the value, which ends at offset 1",
        ),
        (
            "SELECT metadata_map_decode(X'9101')",
            "metadata_map_decode: cannot decode a metadata map: expected a map of str to str, found an array",
        ),
        (
            "SELECT metadata_map_decode(X'81a16b01')",
            "metadata_map_decode: cannot decode a metadata map: the value of key \"k\" (at offset 3) is an int, expected a str or nil",
        ),
    ];
    for (sql, expected) in cases {
        let error = match ctx.sql(sql).await {
            Ok(frame) => frame.collect().await.unwrap_err(),
            Err(error) => error,
        };
        assert!(error.to_string().contains(expected), "{sql}: {error}");
    }
    assert_eq!(
        one(&ctx, "SELECT msgpack_to_json(CAST(NULL AS BYTEA))").await?,
        "NULL"
    );
    assert_eq!(one(&ctx, "SELECT metadata_map_decode(NULL)").await?, "NULL");
    assert_eq!(one(&ctx, "SELECT metadata_map_encode(NULL)").await?, "NULL");
    Ok(())
}

/// A random byte biased towards MessagePack markers and small lengths, so
/// random inputs reach past the first byte.
fn random_byte(rng: &mut XorShift) -> u8 {
    const INTERESTING: [u8; 24] = [
        0x00, 0x01, 0x7f, 0x80, 0x81, 0x90, 0x91, 0xa1, 0xc0, 0xc1, 0xc2, 0xc4, 0xc7, 0xca, 0xcb,
        0xd4, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff, 0x92,
    ];
    if rng.next_u64().is_multiple_of(2) {
        INTERESTING[rng.below(INTERESTING.len())]
    } else {
        rng.next_u64() as u8
    }
}

/// A random MessagePack value, at most `depth` levels of containers deep.
fn random_value(rng: &mut XorShift, depth: usize) -> rmpv::Value {
    use rmpv::Value;
    let kinds = if depth == 0 { 8 } else { 10 };
    match rng.below(kinds) {
        0 => Value::Nil,
        1 => Value::Boolean(rng.next_u64().is_multiple_of(2)),
        2 => Value::from(rng.next_u64()),
        3 => Value::from(rng.next_u64() as i64),
        4 => Value::F64(f64::from_bits(rng.next_u64())),
        5 => {
            let len = rng.below(6);
            Value::from(
                (0..len)
                    .map(|_| char::from(b'a' + rng.below(26) as u8))
                    .collect::<String>(),
            )
        }
        6 => Value::Binary((0..rng.below(5)).map(|_| rng.next_u64() as u8).collect()),
        7 => Value::Ext(
            rng.next_u64() as i8,
            (0..rng.below(20)).map(|_| rng.next_u64() as u8).collect(),
        ),
        8 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => Value::Map(
            (0..rng.below(4))
                .map(|i| (Value::from(format!("k{i}")), random_value(rng, depth - 1)))
                .collect(),
        ),
    }
}

/// The JSON the documentation promises for `value`, built independently of
/// the renderer (from rmpv's tree, with serde_json's).
fn reference_json(value: &rmpv::Value) -> serde_json::Value {
    use rmpv::Value;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    match value {
        Value::Nil => serde_json::Value::Null,
        Value::Boolean(b) => serde_json::Value::Bool(*b),
        Value::Integer(i) => match i.as_u64() {
            Some(u) => serde_json::Value::from(u),
            None => serde_json::Value::from(i.as_i64().unwrap()),
        },
        // serde_json's default parser may be one unit in the last place off
        // (it lacks `float_roundtrip`), so the reference number goes through
        // the same text-and-parse as the output; the text itself is pinned
        // by msgpack_to_json's own tests.
        Value::F32(f) if f.is_finite() => {
            serde_json::from_str(&serde_json::to_string(f).unwrap()).unwrap()
        }
        Value::F64(f) if f.is_finite() => {
            serde_json::from_str(&serde_json::to_string(f).unwrap()).unwrap()
        }
        Value::F32(_) | Value::F64(_) => serde_json::Value::Null,
        Value::String(s) => serde_json::Value::from(s.as_str().unwrap()),
        Value::Binary(b) => serde_json::Value::from(hex(b)),
        Value::Ext(code, data) => serde_json::json!({"ext": code, "data": hex(data)}),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(reference_json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap().to_string(), reference_json(v)))
                .collect(),
        ),
    }
}

#[test]
fn random_values_render_as_the_reference_json() {
    let mut rng = XorShift::new(0x05EE_D0FC_0DEC);
    for _ in 0..2_000 {
        let value = random_value(&mut rng, 4);
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &value).unwrap();
        let mut json = Vec::new();
        to_json(&bytes, &mut json).unwrap_or_else(|e| panic!("{value}: {e}"));
        let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap_or_else(|e| {
            panic!(
                "{value}: invalid JSON {}: {e}",
                String::from_utf8_lossy(&json)
            )
        });
        assert_eq!(parsed, reference_json(&value), "{value}");
    }
}

fn invoke_one(udf: &datafusion_expr::ScalarUDF, bytes: &[u8]) -> Result<ColumnarValue> {
    let column: ArrayRef = Arc::new(BinaryArray::from(vec![bytes]));
    invoke(udf.inner().as_ref(), vec![ColumnarValue::Array(column)], 1)
}

/// Random bytes, and valid encodings cut short or with a byte changed, fed
/// to both decoders: never a panic; either a result or an error that names
/// the function and the problem.
#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift::new(0xF022_1D0B_5E55);
    let to_json_udf = super::msgpack_to_json();
    let decode_udf = super::metadata_map_decode();
    let (mut ok, mut errors) = (0, 0);
    for i in 0..20_000 {
        let bytes: Vec<u8> = if i % 2 == 0 {
            (0..rng.below(24)).map(|_| random_byte(&mut rng)).collect()
        } else {
            let mut bytes = Vec::new();
            rmpv::encode::write_value(&mut bytes, &random_value(&mut rng, 3)).unwrap();
            match rng.below(3) {
                0 => bytes.truncate(rng.below(bytes.len() + 1)),
                1 if !bytes.is_empty() => {
                    let at = rng.below(bytes.len());
                    bytes[at] = random_byte(&mut rng);
                }
                _ => bytes.push(random_byte(&mut rng)),
            }
            bytes
        };

        let mut json = Vec::new();
        match to_json(&bytes, &mut json) {
            Ok(()) => {
                ok += 1;
                serde_json::from_slice::<serde_json::Value>(&json).unwrap_or_else(|e| {
                    panic!(
                        "{bytes:02x?} rendered invalid JSON {}: {e}",
                        String::from_utf8_lossy(&json)
                    )
                });
            }
            Err(error) => {
                errors += 1;
                assert!(!error.to_string().is_empty());
            }
        }
        let mut entries = Vec::new();
        if decode_metadata(&bytes, &mut entries).is_ok() {
            assert!(
                entries.windows(2).all(|pair| pair[0].0 < pair[1].0),
                "{bytes:02x?}"
            );
        }

        if i % 20 == 0 {
            for (udf, prefix) in [
                (&to_json_udf, "msgpack_to_json: cannot decode MessagePack: "),
                (
                    &decode_udf,
                    "metadata_map_decode: cannot decode a metadata map: ",
                ),
            ] {
                if let Err(error) = invoke_one(udf, &bytes) {
                    assert!(error.to_string().contains(prefix), "{bytes:02x?}: {error}");
                }
            }
        }
    }
    // The inputs reach both outcomes often enough to mean something.
    assert!(ok > 1_000 && errors > 1_000, "ok {ok}, errors {errors}");
}

#[test]
fn large_inputs_are_refused_before_decoding() {
    let huge = vec![0xc0; super::reader::MAX_INPUT_BYTES + 1];
    let error = invoke_one(&super::msgpack_to_json(), &huge)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("msgpack_to_json: cannot decode MessagePack: the input is 67108865 bytes, more than the limit of 67108864 bytes (64 MiB)"),
        "{error}"
    );
    // An array header claiming four billion elements costs nothing up front.
    let claim = [0xdd, 0xff, 0xff, 0xff, 0xff];
    let error = invoke_one(&super::msgpack_to_json(), &claim)
        .unwrap_err()
        .to_string();
    assert!(error.contains("truncated input"), "{error}");
}

#[test]
fn scalar_null_of_any_type_fingerprints_as_nil() -> Result<()> {
    let udf = super::canonical_fingerprint();
    for null in [
        ScalarValue::Null,
        ScalarValue::Int32(None),
        ScalarValue::Utf8(None),
    ] {
        let args = vec![ColumnarValue::Scalar(null.clone())];
        let ColumnarValue::Scalar(ScalarValue::Utf8(Some(hash))) =
            invoke_unplanned(udf.inner().as_ref(), args, 1, DataType::Utf8)?
        else {
            panic!("{null:?}: not a Utf8 constant");
        };
        assert_eq!(hash, blake3::hash(&[0xc0]).to_hex().as_str(), "{null:?}");
    }
    let column: ArrayRef = Arc::new(Int32Array::from(vec![None, Some(1)]));
    let args = vec![ColumnarValue::Array(column)];
    let ColumnarValue::Array(result) =
        invoke_unplanned(udf.inner().as_ref(), args, 2, DataType::Utf8)?
    else {
        panic!("a column gives a column");
    };
    let result = result.as_string::<i32>();
    assert_eq!(result.null_count(), 0);
    assert_eq!(result.value(0), blake3::hash(&[0xc0]).to_hex().as_str());
    assert_eq!(result.value(1), blake3::hash(&[0x01]).to_hex().as_str());
    Ok(())
}
