//! A plain parquet scan for tables that need no Delta transforms.
//!
//! deltalake-core's scan reads every file with a synthetic file-id column and,
//! above the parquet reader, splits each batch by file and runs a kernel
//! expression per file to add partition values and restore the logical
//! schema. For a table with no column mapping, no deletion vector on the files
//! read and flat columns, that work only adds partition values, which
//! DataFusion's own parquet scan does for free (as a `ListingTable` does). The
//! pack keeps deltalake's planning (the files it chose after partition and
//! statistics pruning, with their statistics) and reads those files with a
//! plain `DataSourceExec`. Anything outside that shape keeps deltalake's plan.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::config::TableParquetOptions;
use datafusion::common::{ColumnStatistics, DFSchema, ScalarValue, Statistics};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::utils::conjunction;
use datafusion::physical_plan::ExecutionPlan;
use deltalake_core::logstore::LogStore as _;

use crate::resolve::GatedTable;

/// What a plain scan needs of each active file of one table version: its
/// partition values as Delta wrote them, keyed by the file's path relative to
/// the table root. `None` when the table cannot be read plainly.
#[derive(Debug)]
pub struct PlainFiles {
    partition_columns: Vec<String>,
    values: HashMap<String, Vec<Option<String>>>,
}

impl PlainFiles {
    /// The files of `table`, listed once per table version; `None` when its
    /// reads need Delta transforms (column mapping, deletion vectors) or its
    /// log cannot be listed.
    pub fn of(table: &GatedTable) -> Option<Arc<PlainFiles>> {
        table.plain_files.get_or_init(|| PlainFiles::list(table).map(Arc::new)).clone()
    }

    fn list(table: &GatedTable) -> Option<PlainFiles> {
        let metadata = table.snapshot.metadata();
        let mapping = metadata.configuration().get("delta.columnMapping.mode").map(String::as_str);
        if !matches!(mapping, None | Some("none")) {
            return None;
        }
        let partition_columns = metadata.partition_columns().to_vec();
        let files = table.snapshot.try_log_data().ok()?;
        let mut values = HashMap::with_capacity(files.num_files());
        for file in files.iter() {
            if file.deletion_vector_descriptor().is_some() {
                return None;
            }
            let mut by_name = file.partition_values_map();
            let row = partition_columns.iter().map(|c| by_name.remove(c).flatten()).collect();
            values.insert(file.object_store_path().to_string(), row);
        }
        Some(PlainFiles { partition_columns, values })
    }
}

/// Column types a plain parquet read returns exactly as deltalake-core does.
/// Timestamps (INT96 and unit coercion), nested types and variants are left
/// to deltalake's transforms.
fn plain_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::Date32
        | DataType::Decimal128(_, _) => true,
        DataType::Dictionary(key, value) => key.as_ref() == &DataType::UInt16 && plain_type(value),
        _ => false,
    }
}

/// The input of a plain scan: deltalake's plan for the same call, the
/// provider's schema and the call's arguments.
pub struct PlainScan<'a> {
    pub table: &'a GatedTable,
    pub schema: &'a SchemaRef,
    pub projection: Option<&'a Vec<usize>>,
    pub filters: &'a [Expr],
    pub limit: Option<usize>,
    pub parquet_pushdown: bool,
}

impl PlainScan<'_> {
    /// The plain scan reading the files `delta_plan` chose; `None` when
    /// the table or the plan is outside the shape a plain scan reads alike.
    pub fn plan(&self, session: &dyn Session, delta_plan: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        if !self.schema.fields().iter().all(|field| plain_type(field.data_type())) {
            return Ok(None);
        }
        let Some(listed) = PlainFiles::of(self.table) else {
            return Ok(None);
        };
        let Some(delta_config) = single_file_scan(delta_plan) else {
            return Ok(None);
        };
        let partition_fields: Option<Vec<FieldRef>> = listed
            .partition_columns
            .iter()
            .map(|name| self.schema.field_with_name(name).ok().map(|field| Arc::new(field.clone())))
            .collect();
        let Some(partition_fields) = partition_fields else {
            return Ok(None);
        };
        let file_fields: Vec<FieldRef> = self
            .schema
            .fields()
            .iter()
            .filter(|field| !listed.partition_columns.contains(field.name()))
            .cloned()
            .collect();
        let table_schema = TableSchema::builder(Arc::new(Schema::new(file_fields.clone())))
            .with_table_partition_cols(partition_fields.clone())
            .build();

        let Some(files) = self.files_of(&listed, delta_config, &partition_fields, file_fields.len()) else {
            return Ok(None);
        };

        let mut parquet = TableParquetOptions::default();
        parquet.global = session.config().options().execution.parquet.clone();
        // Footers are read once per table, not once per query: the table's own
        // metadata cache (across FFI the task context's runtime is new each time).
        let store = self.table.runtime_env.object_store(&delta_config.object_store_url)?;
        let footers = self.table.runtime_env.cache_manager.get_file_metadata_cache();
        let mut source = ParquetSource::new(table_schema.clone())
            .with_table_parquet_options(parquet)
            .with_parquet_file_reader_factory(Arc::new(CachedParquetFileReaderFactory::new(store, footers)));
        if let Some(predicate) = conjunction(self.filters.iter().cloned()) {
            let df_schema = DFSchema::try_from(Arc::clone(table_schema.table_schema()))?;
            // A filter the plain scan cannot bind (deltalake may have
            // handled it differently) keeps deltalake's plan.
            let Ok(physical) = session.create_physical_expr(predicate, &df_schema) else {
                return Ok(None);
            };
            source = source.with_predicate(physical).with_pushdown_filters(self.parquet_pushdown);
        }

        // The table's statistics are its files' (each complete, from the log), merged.
        let statistics = if files.iter().all(|file| file.statistics.is_some()) {
            Statistics::try_merge_iter(files.iter().filter_map(|file| file.statistics.as_deref()), table_schema.table_schema())?
        } else {
            Statistics::new_unknown(table_schema.table_schema())
        };
        // Provider column i is table-schema column `order[i]` (file columns first).
        let order = |index: usize| -> Option<usize> {
            let name = self.schema.field(index).name();
            table_schema.table_schema().index_of(name).ok()
        };
        let projection: Option<Vec<usize>> = match self.projection {
            Some(columns) => columns.iter().map(|&i| order(i)).collect(),
            None => (0..self.schema.fields().len()).map(order).collect(),
        };
        let Some(projection) = projection else {
            return Ok(None);
        };
        let config = FileScanConfigBuilder::new(delta_config.object_store_url.clone(), Arc::new(source))
            .with_file_groups(vec![FileGroup::new(files)])
            .with_statistics(statistics)
            .with_limit(self.limit)
            .with_projection_indices(Some(projection))?
            .build();
        let plan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        // Only a plan whose output is exactly deltalake's may replace it.
        if plan.schema().fields() != delta_plan.schema().fields() {
            return Ok(None);
        }
        Ok(Some(plan))
    }

    /// deltalake's chosen files, with their partition values typed and their
    /// statistics narrowed to the file columns; `None` if any is unknown.
    fn files_of(
        &self,
        listed: &PlainFiles,
        delta_config: &FileScanConfig,
        partition_fields: &[FieldRef],
        file_columns: usize,
    ) -> Option<Vec<PartitionedFile>> {
        let root = object_store::path::Path::from_url_path(self.table.log_store.root_url().path()).ok()?;
        let mut files = Vec::new();
        for file in delta_config.file_groups.iter().flat_map(|group| group.files()) {
            let location = file.object_meta.location.as_ref();
            let relative = location.strip_prefix(root.as_ref())?.trim_start_matches('/');
            let raw = listed.values.get(relative)?;
            let mut plain = PartitionedFile::from(file.object_meta.clone());
            plain.partition_values =
                raw.iter().zip(partition_fields).map(|(value, field)| partition_value(value.as_deref(), field)).collect::<Option<_>>()?;
            if let Some(stats) = &file.statistics {
                let mut narrowed = Statistics::clone(stats);
                if narrowed.column_statistics.len() < file_columns {
                    narrowed.column_statistics = vec![ColumnStatistics::new_unknown(); file_columns];
                } else {
                    narrowed.column_statistics.truncate(file_columns);
                }
                plain = plain.with_statistics(Arc::new(narrowed));
            }
            files.push(plain);
        }
        Some(files)
    }
}

/// A Delta partition value (its string form in the log) as a value of
/// `field`'s type; a null stays null. `None` when it does not parse.
fn partition_value(value: Option<&str>, field: &FieldRef) -> Option<ScalarValue> {
    let (key, value_type) = match field.data_type() {
        DataType::Dictionary(key, value) => (Some(key.as_ref().clone()), value.as_ref()),
        other => (None, other),
    };
    let typed = match value {
        None => ScalarValue::try_from(value_type).ok()?,
        // An empty string is no value, but in string and binary columns
        // (deltalake-core's kernel reads it so).
        Some("")
            if !matches!(
                value_type,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Binary | DataType::LargeBinary | DataType::BinaryView
            ) =>
        {
            ScalarValue::try_from(value_type).ok()?
        }
        Some(text) => ScalarValue::Utf8(Some(text.to_string())).cast_to(value_type).ok()?,
    };
    Some(match key {
        Some(key) => ScalarValue::Dictionary(Box::new(key), Box::new(typed)),
        None => typed,
    })
}

/// The one parquet file scan under deltalake's plan, if it has exactly one.
fn single_file_scan(plan: &Arc<dyn ExecutionPlan>) -> Option<&FileScanConfig> {
    let mut found = Vec::new();
    collect_scans(plan, &mut found);
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn collect_scans<'a>(plan: &'a Arc<dyn ExecutionPlan>, found: &mut Vec<&'a FileScanConfig>) {
    if let Some(exec) = plan.downcast_ref::<DataSourceExec>()
        && let Some(config) = exec.data_source().downcast_ref::<FileScanConfig>()
    {
        found.push(config);
    }
    for child in plan.children() {
        collect_scans(child, found);
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::Field;

    use super::*;

    fn field(data_type: DataType) -> FieldRef {
        Arc::new(Field::new("p", data_type, true))
    }

    #[test]
    fn partition_values_parse_as_the_delta_protocol_serializes_them() {
        let cases = [
            (Some("42"), DataType::Int32, ScalarValue::Int32(Some(42))),
            (None, DataType::Int32, ScalarValue::Int32(None)),
            // An empty string is no value, except for strings and binaries (as deltalake-core reads it).
            (Some(""), DataType::Int64, ScalarValue::Int64(None)),
            (Some(""), DataType::Utf8, ScalarValue::Utf8(Some(String::new()))),
            (Some(""), DataType::Binary, ScalarValue::Binary(Some(Vec::new()))),
            (Some("2021-02-03"), DataType::Date32, ScalarValue::Date32(Some(18661))),
            (Some("true"), DataType::Boolean, ScalarValue::Boolean(Some(true))),
            (Some("12.50"), DataType::Decimal128(5, 2), ScalarValue::Decimal128(Some(1250), 5, 2)),
            (
                Some("a b"),
                DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Utf8)),
                ScalarValue::Dictionary(Box::new(DataType::UInt16), Box::new(ScalarValue::Utf8(Some("a b".into())))),
            ),
        ];
        for (raw, data_type, expected) in cases {
            assert_eq!(partition_value(raw, &field(data_type.clone())), Some(expected), "{raw:?} as {data_type}");
        }
        assert_eq!(partition_value(Some("x"), &field(DataType::Int32)), None, "not an integer: no plain scan");
    }

    #[test]
    fn only_flat_types_read_the_same_plainly() {
        assert!(plain_type(&DataType::Int64));
        assert!(plain_type(&DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Utf8))));
        assert!(!plain_type(&DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into()))));
        assert!(!plain_type(&DataType::List(Arc::new(Field::new("item", DataType::Int32, true)))));
    }
}
