//! `stable_hash64` called through SQL in a real DataFusion session: planning,
//! literal handling and execution agree with calling the function directly.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::common::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};
use datafusion::prelude::SessionContext;
use dfpack_udfs::hash::stable_hash64;

fn context() -> SessionContext {
    let ctx = SessionContext::new();
    for udf in dfpack_udfs::scalar_functions() {
        ctx.register_udf(udf.as_ref().clone());
    }
    ctx
}

/// Calls the function directly on one row of constants.
fn direct(values: &[ScalarValue]) -> Result<i64> {
    let args = ScalarFunctionArgs {
        args: values.iter().cloned().map(ColumnarValue::Scalar).collect(),
        arg_fields: values
            .iter()
            .map(|v| Arc::new(Field::new("arg", v.data_type(), true)))
            .collect(),
        number_rows: 1,
        return_field: Arc::new(Field::new("stable_hash64", DataType::Int64, false)),
        config_options: Arc::new(ConfigOptions::default()),
    };
    match stable_hash64().invoke_with_args(args)? {
        ColumnarValue::Scalar(ScalarValue::Int64(Some(hash))) => Ok(hash),
        other => panic!("expected a non-null Int64 scalar, got {other:?}"),
    }
}

async fn query(sql: &str) -> Result<RecordBatch> {
    let batches = context().sql(sql).await?.collect().await?;
    assert_eq!(batches.len(), 1, "{sql}");
    Ok(batches.into_iter().next().unwrap())
}

fn int64_column(batch: &RecordBatch, index: usize) -> Vec<i64> {
    let column = batch.column(index).as_primitive::<Int64Type>();
    assert_eq!(column.null_count(), 0);
    column.values().to_vec()
}

#[tokio::test]
async fn sql_constants_match_direct_invocation() -> Result<()> {
    let batch =
        query("SELECT stable_hash64('hello'), stable_hash64(NULL), stable_hash64(1, 'a')").await?;
    let utf8 = |s: &str| ScalarValue::Utf8(Some(s.to_string()));
    let expected = [
        direct(&[utf8("hello")])?,
        direct(&[ScalarValue::Null])?,
        direct(&[ScalarValue::Int64(Some(1)), utf8("a")])?,
    ];
    for (index, expected) in expected.into_iter().enumerate() {
        assert_eq!(
            int64_column(&batch, index),
            vec![expected],
            "column {index}"
        );
    }
    // The golden values of these rows, also pinned in the unit tests.
    assert_eq!(int64_column(&batch, 0), vec![4410968288181109294]);
    assert_eq!(int64_column(&batch, 1), vec![4921273257020026075]);
    assert_eq!(int64_column(&batch, 2), vec![7334463176092945360]);
    Ok(())
}

#[tokio::test]
async fn sql_columns_match_constants() -> Result<()> {
    let batch = query(
        "SELECT stable_hash64(s, n) FROM (VALUES ('hello', 1), (NULL, 2), ('', NULL)) AS t(s, n)",
    )
    .await?;
    let utf8 = |s: &str| ScalarValue::Utf8(Some(s.to_string()));
    let expected = vec![
        direct(&[utf8("hello"), ScalarValue::Int64(Some(1))])?,
        direct(&[ScalarValue::Utf8(None), ScalarValue::Int64(Some(2))])?,
        direct(&[utf8(""), ScalarValue::Int64(None)])?,
    ];
    assert_eq!(int64_column(&batch, 0), expected);
    assert!(!batch.schema().field(0).is_nullable());
    Ok(())
}

#[tokio::test]
async fn sql_rejects_bad_calls_when_planning() {
    let ctx = context();
    let zero = ctx.sql("SELECT stable_hash64()").await.unwrap_err();
    assert!(zero.to_string().contains("stable_hash64"), "{zero}");

    // Unions are the one type without an encoding; SQL cannot build one,
    // so a wrongly typed prefix stands for the rejections made at planning.
    let prefix = ctx.sql("SELECT stable_id(1, 'x')").await.unwrap_err();
    assert!(
        prefix
            .to_string()
            .contains("the prefix must be a string (Utf8, LargeUtf8 or Utf8View), got Int64"),
        "{prefix}"
    );
}

#[tokio::test]
async fn sql_nested_values_hash_like_their_documented_encoding() -> Result<()> {
    let batch = query(
        "SELECT stable_hash64(make_array(1, 2)), \
                stable_hash64(arrow_cast(make_array(1, 2), 'LargeList(Int8)')), \
                stable_hash64(named_struct('a', 1, 'b', 'x')), \
                stable_hash64(map(['k'], [1]))",
    )
    .await?;
    // Golden values, also pinned in the unit tests and tests/slt/hash.slt.
    assert_eq!(int64_column(&batch, 0), vec![3404865596929635829]);
    assert_eq!(int64_column(&batch, 1), vec![3404865596929635829]);
    assert_eq!(int64_column(&batch, 2), vec![1060264063330710277]);
    assert_eq!(int64_column(&batch, 3), vec![1847248142037691962]);
    Ok(())
}

#[tokio::test]
async fn documented_example_output() -> Result<()> {
    let batches = context()
        .sql("select stable_hash64('hello'), stable_hash64(NULL), stable_hash64(1, 'a')")
        .await?
        .collect()
        .await?;
    let table = datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
    let doc = stable_hash64().documentation().cloned().unwrap();
    let example = doc.sql_example.unwrap();
    assert!(
        example.contains(&table),
        "documented:\n{example}\nactual:\n{table}"
    );
    Ok(())
}
