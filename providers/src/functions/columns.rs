//! The column types the functions share, and builders of their arrays. Each
//! type is declared once here so a schema and the arrays put under it cannot
//! disagree.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Int64Array, ListBuilder, MapBuilder, StringBuilder, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use dfpack_common::{Error, Result};

/// `Timestamp(Millisecond, "UTC")`: Delta's commit and file times.
pub(crate) fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// `List<Utf8>`, elements nullable, as `ListBuilder` builds it.
pub(crate) fn string_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// `Map<Utf8, Utf8>` as `MapBuilder` builds it (`entries`, `keys`, `values`;
/// values nullable, not declared sorted): the type of DataFusion's own
/// `arrow_metadata` and of the pack's `metadata_map_decode`.
pub(crate) fn string_map_type() -> DataType {
    DataType::Map(
        Arc::new(Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![
                Field::new("keys", DataType::Utf8, false),
                Field::new("values", DataType::Utf8, true),
            ])),
            false,
        )),
        false,
    )
}

pub(crate) fn timestamps(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMillisecondArray::from(values).with_timezone("UTC"))
}

/// One list per row; `None` is a null list.
pub(crate) fn string_lists<L, S>(rows: impl IntoIterator<Item = Option<L>>) -> ArrayRef
where
    L: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut builder = ListBuilder::new(StringBuilder::new());
    for row in rows {
        match row {
            Some(items) => {
                for item in items {
                    builder.values().append_value(item);
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    Arc::new(builder.finish())
}

/// One map per row, entries in the order given.
pub(crate) fn string_maps<M, K, V>(rows: impl IntoIterator<Item = M>) -> Result<ArrayRef>
where
    M: IntoIterator<Item = (K, Option<V>)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for row in rows {
        for (key, value) in row {
            builder.keys().append_value(key);
            builder.values().append_option(value);
        }
        builder.append(true)?;
    }
    Ok(Arc::new(builder.finish()))
}

/// Versions, counts or sizes as an Int64 column.
pub(crate) fn int64s(values: impl IntoIterator<Item = u64>, what: &str) -> Result<ArrayRef> {
    let values = values.into_iter().map(|v| int64(v, what)).collect::<Result<Vec<i64>>>()?;
    Ok(Arc::new(Int64Array::from(values)))
}

/// A version, count or size as an Int64 value.
pub(crate) fn int64(value: u64, what: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::Internal(format!("{what} {value} does not fit in an Int64 column")))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Array;

    use super::*;

    #[test]
    fn builders_build_the_declared_types() {
        let lists = string_lists([Some(vec!["a"]), None]);
        assert_eq!(lists.data_type(), &string_list_type());
        assert!(lists.is_null(1));
        let maps = string_maps([vec![("k", Some("v")), ("n", None)]]).expect("a map");
        assert_eq!(maps.data_type(), &string_map_type());
        assert_eq!(timestamps(vec![Some(1), None]).data_type(), &timestamp_type());
        assert_eq!(int64(u64::MAX, "version").unwrap_err().kind(), dfpack_common::ErrorKind::Internal);
    }
}
