//! A plain parquet scan for tables that need no Delta transforms.
//!
//! deltalake-core's scan parses every file's JSON statistics again on each
//! query, reads each file with a synthetic file-id column and, above the
//! parquet reader, splits each batch by file to add partition values. For a
//! table with no column mapping, no deletion vectors and flat columns, none of
//! that is needed: the pack types the files of a table version once (partition
//! values, and the statistics the snapshot already holds parsed), prunes them
//! itself on each query, and reads the files left with DataFusion's own
//! parquet scan, as a `ListingTable` does. Any other table keeps deltalake's scan.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, RecordBatchOptions, UInt64Array, new_empty_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef, UInt64Type};
use datafusion::catalog::Session;
use datafusion::common::config::TableParquetOptions;
use datafusion::common::stats::Precision;
use datafusion::common::{Column, ColumnStatistics, DFSchema, ScalarValue, Statistics};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::Result;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::utils::conjunction;
use datafusion::physical_optimizer::pruning::{PruningPredicateBuilder, PruningStatistics};
use datafusion::physical_plan::ExecutionPlan;
use deltalake_core::kernel::scalars::ScalarExt as _;
use deltalake_core::logstore::LogStore as _;
use object_store::ObjectMeta;
use object_store::path::Path;
use parking_lot::Mutex;

use crate::resolve::GatedTable;

/// The plain files of one table version, per provider schema (scan options
/// such as dictionary-wrapped partition values change the schema).
#[derive(Debug, Default)]
pub struct PlainCache {
    by_schema: Mutex<Vec<(SchemaRef, Option<Arc<PlainFiles>>)>>,
}

impl PlainCache {
    /// `table`'s files typed for `schema`, listed on first use; `None` when
    /// the table's reads need Delta transforms.
    pub fn files(&self, table: &GatedTable, schema: &SchemaRef) -> Option<Arc<PlainFiles>> {
        let mut cached = self.by_schema.lock();
        if let Some((_, files)) = cached.iter().find(|(known, _)| known == schema) {
            return files.clone();
        }
        let files = PlainFiles::list(table, schema).map(Arc::new);
        cached.push((Arc::clone(schema), files.clone()));
        files
    }
}

/// Every active file of one table version, ready for a parquet scan, with
/// what pruning needs: per-file partition values and column statistics.
#[derive(Debug)]
pub struct PlainFiles {
    table_schema: TableSchema,
    /// The table and partition schemas as filters are planned against them.
    table_df_schema: DFSchema,
    partition_df_schema: DFSchema,
    object_store_url: ObjectStoreUrl,
    /// In log order, with typed partition values and statistics.
    files: Vec<PartitionedFile>,
    /// One row per file: its partition values, for exact partition filters.
    partitions: RecordBatch,
    /// Per file column, each file's statistics (a null: unknown).
    stats: HashMap<String, ColumnBounds>,
    row_counts: ArrayRef,
    /// The last few filter sets' answers, newest last: a query repeated (a
    /// dashboard's) skips planning and evaluating its pruning again.
    matched: Mutex<VecDeque<(MatchKey, Kept)>>,
}

/// Per file, whether a filter set keeps it; `None` when a filter cannot be
/// planned here.
type Kept = Option<Arc<[bool]>>;

/// Filter sets whose answers are remembered per table version and schema.
const MATCHES_KEPT: usize = 8;

/// What decides which files a filter set keeps: the filters, and the session
/// time zone that casts of text to timestamps in them are evaluated in.
#[derive(Debug, PartialEq)]
struct MatchKey {
    filters: Vec<Expr>,
    time_zone: Option<String>,
}

/// One column's statistics across the files, one entry per file.
#[derive(Debug)]
struct ColumnBounds {
    min: ArrayRef,
    max: ArrayRef,
    nulls: ArrayRef,
}

impl PlainFiles {
    fn list(table: &GatedTable, schema: &SchemaRef) -> Option<PlainFiles> {
        if !schema.fields().iter().all(|field| plain_type(field.data_type())) {
            return None;
        }
        let metadata = table.snapshot.metadata();
        let mapping = metadata.configuration().get("delta.columnMapping.mode").map(String::as_str);
        if !matches!(mapping, None | Some("none")) {
            return None;
        }
        let partition_columns = metadata.partition_columns();
        let partition_fields: Vec<FieldRef> = partition_columns
            .iter()
            .map(|name| schema.field_with_name(name).ok().map(|field| Arc::new(field.clone())))
            .collect::<Option<_>>()?;
        let file_fields: Vec<FieldRef> =
            schema.fields().iter().filter(|field| !partition_columns.contains(field.name())).cloned().collect();
        let table_schema = TableSchema::builder(Arc::new(Schema::new(file_fields.clone())))
            .with_table_partition_cols(partition_fields.clone())
            .build();

        let root_url = table.log_store.root_url();
        let root = Path::from_url_path(root_url.path()).ok()?;
        let object_store_url = ObjectStoreUrl::parse(&root_url[..url::Position::BeforePath]).ok()?;
        let log = table.snapshot.try_log_data().ok()?;
        let mut located = Vec::with_capacity(log.num_files());
        let mut partition_rows = Vec::with_capacity(log.num_files());
        let mut row_counts = Vec::with_capacity(log.num_files());
        let mut null_counts = Vec::with_capacity(log.num_files());
        for file in log.iter() {
            // Files outside the table's root (absolute URLs) and deleted rows need deltalake.
            if file.deletion_vector_descriptor().is_some() || file.path().contains("://") {
                return None;
            }
            let location: Path = root.parts().chain(file.object_store_path().parts()).collect();
            let object_meta = ObjectMeta {
                location,
                last_modified: chrono::DateTime::from_timestamp_millis(file.modification_time())?,
                size: u64::try_from(file.size()).ok()?,
                e_tag: None,
                version: None,
            };
            let mut by_name = file.partition_values_map();
            let values: Vec<ScalarValue> = partition_columns
                .iter()
                .zip(&partition_fields)
                .map(|(name, field)| partition_value(by_name.remove(name).flatten().as_deref(), field))
                .collect::<Option<_>>()?;
            located.push(object_meta);
            partition_rows.push(values);
            row_counts.push(file.num_records().map(|n| n as u64));
            null_counts.push(file.null_counts().map(|counts| counts.to_json()));
        }
        let count = located.len();
        let row_counts: ArrayRef = Arc::new(UInt64Array::from(row_counts));

        let mut stats = HashMap::new();
        for field in &file_fields {
            let column = Column::new_unqualified(field.name());
            let typed = |array: Option<ArrayRef>, data_type: &DataType| -> Option<ArrayRef> {
                let array = array.filter(|array| array.len() == count)?;
                if array.data_type() == data_type { Some(array) } else { cast(&array, data_type).ok() }
            };
            let (Some(min), Some(max)) =
                (typed(log.min_values(&column), field.data_type()), typed(log.max_values(&column), field.data_type()))
            else {
                continue;
            };
            // deltalake reads null counts typed as their column; narrower than
            // a long, that fails: read them from each file's counts then.
            let nulls = typed(log.null_counts(&column), &DataType::UInt64).unwrap_or_else(|| {
                let counts: UInt64Array = null_counts
                    .iter()
                    .map(|counts| counts.as_ref().and_then(|counts| counts.get(field.name())).and_then(serde_json::Value::as_u64))
                    .collect();
                Arc::new(counts)
            });
            stats.insert(field.name().clone(), ColumnBounds { min, max, nulls });
        }

        let files = located
            .into_iter()
            .zip(&partition_rows)
            .enumerate()
            .map(|(index, (object_meta, values))| {
                let size = usize::try_from(object_meta.size).unwrap_or(usize::MAX);
                let mut file = PartitionedFile::from(object_meta);
                file.partition_values = values.clone();
                file.with_statistics(Arc::new(file_statistics(index, &file_fields, &stats, &row_counts, size)))
            })
            .collect();
        let partitions = partition_batch(&partition_fields, &partition_rows, count)?;
        let table_df_schema = DFSchema::try_from(Arc::clone(table_schema.table_schema())).ok()?;
        let partition_df_schema = DFSchema::try_from(partitions.schema()).ok()?;
        Some(PlainFiles {
            table_schema,
            table_df_schema,
            partition_df_schema,
            object_store_url,
            files,
            partitions,
            stats,
            row_counts,
            matched: Mutex::new(VecDeque::new()),
        })
    }

    /// [`matching`](Self::matching), remembered for filter sets that are not
    /// volatile (`random()` answers anew each time).
    fn matching_remembered(&self, session: &dyn Session, filters: &[Expr]) -> Result<Kept> {
        if filters.iter().any(Expr::is_volatile) {
            return Ok(self.matching(session, filters)?.map(Arc::from));
        }
        let key = MatchKey {
            filters: filters.to_vec(),
            time_zone: session.config().options().execution.time_zone.clone(),
        };
        if let Some((_, keep)) = self.matched.lock().iter().find(|(known, _)| *known == key) {
            return Ok(keep.clone());
        }
        let keep: Kept = self.matching(session, filters)?.map(Arc::from);
        let mut matched = self.matched.lock();
        // A concurrent query may have remembered the same set meanwhile.
        if !matched.iter().any(|(known, _)| *known == key) {
            if matched.len() == MATCHES_KEPT {
                matched.pop_front();
            }
            matched.push_back((key, keep.clone()));
        }
        Ok(keep)
    }

    /// Which files may hold rows matching `filters`: partition-only filters
    /// are evaluated exactly on each file's partition values (deltalake marks
    /// them exact, so the host drops them), the rest prune by statistics.
    /// `None` when a filter cannot be planned here.
    fn matching(&self, session: &dyn Session, filters: &[Expr]) -> Result<Option<Vec<bool>>> {
        let mut keep = vec![true; self.files.len()];
        let mut by_statistics = Vec::new();
        for filter in filters {
            let columns = filter.column_refs();
            let partition_only =
                !columns.is_empty() && columns.iter().all(|c| self.partition_df_schema.has_column_with_unqualified_name(&c.name));
            if !partition_only {
                by_statistics.push(filter.clone());
                continue;
            }
            let Ok(physical) = session.create_physical_expr(filter.clone(), &self.partition_df_schema) else {
                return Ok(None);
            };
            let matched = physical.evaluate(&self.partitions)?.into_array(self.files.len())?;
            let Some(matched) = matched.as_boolean_opt() else {
                return Ok(None);
            };
            for (index, keep) in keep.iter_mut().enumerate() {
                *keep &= matched.is_valid(index) && matched.value(index);
            }
        }
        if let Some(predicate) = conjunction(by_statistics)
            && let Ok(physical) = session.create_physical_expr(predicate, &self.table_df_schema)
            && let Some(pruning) =
                PruningPredicateBuilder::new().with_file_schema(Arc::clone(self.table_schema.table_schema())).build(physical)
        {
            for (keep, may_match) in keep.iter_mut().zip(pruning.prune(self)?) {
                *keep &= may_match;
            }
        }
        Ok(Some(keep))
    }
}

impl PruningStatistics for PlainFiles {
    fn min_values(&self, column: &Column) -> Option<ArrayRef> {
        self.partition_array(column).or_else(|| self.stats.get(&column.name).map(|bounds| Arc::clone(&bounds.min)))
    }

    fn max_values(&self, column: &Column) -> Option<ArrayRef> {
        self.partition_array(column).or_else(|| self.stats.get(&column.name).map(|bounds| Arc::clone(&bounds.max)))
    }

    fn num_containers(&self) -> usize {
        self.files.len()
    }

    fn null_counts(&self, column: &Column) -> Option<ArrayRef> {
        if let Some(values) = self.partition_array(column) {
            let rows = self.row_counts.as_primitive::<UInt64Type>();
            let counts: UInt64Array =
                (0..values.len()).map(|i| if values.is_null(i) { rows.is_valid(i).then(|| rows.value(i)) } else { Some(0) }).collect();
            return Some(Arc::new(counts));
        }
        self.stats.get(&column.name).map(|bounds| Arc::clone(&bounds.nulls))
    }

    fn row_counts(&self) -> Option<ArrayRef> {
        Some(Arc::clone(&self.row_counts))
    }

    fn contained(&self, _column: &Column, _values: &HashSet<ScalarValue>) -> Option<BooleanArray> {
        None
    }
}

impl PlainFiles {
    /// A partition column's values, where statistics pruning can compare them
    /// (not dictionary-wrapped: exact partition filters handle those).
    fn partition_array(&self, column: &Column) -> Option<ArrayRef> {
        let values = self.partitions.column_by_name(&column.name)?;
        (!matches!(values.data_type(), DataType::Dictionary(_, _))).then(|| Arc::clone(values))
    }
}

/// One file's statistics over the file columns, from the log. Min and max are
/// bounds (writers may truncate strings), never exact answers.
fn file_statistics(
    index: usize,
    file_fields: &[FieldRef],
    stats: &HashMap<String, ColumnBounds>,
    row_counts: &ArrayRef,
    size: usize,
) -> Statistics {
    let bound = |array: &ArrayRef| match ScalarValue::try_from_array(array, index) {
        Ok(value) if !value.is_null() => Precision::Inexact(value),
        _ => Precision::Absent,
    };
    let column_statistics = file_fields
        .iter()
        .map(|field| match stats.get(field.name()) {
            Some(ColumnBounds { min, max, nulls }) => ColumnStatistics {
                null_count: match nulls.as_primitive_opt::<UInt64Type>() {
                    Some(nulls) if nulls.is_valid(index) => Precision::Exact(nulls.value(index) as usize),
                    _ => Precision::Absent,
                },
                min_value: bound(min),
                max_value: bound(max),
                ..ColumnStatistics::new_unknown()
            },
            None => ColumnStatistics::new_unknown(),
        })
        .collect();
    let rows = row_counts.as_primitive::<UInt64Type>();
    Statistics {
        num_rows: if rows.is_valid(index) { Precision::Exact(rows.value(index) as usize) } else { Precision::Absent },
        total_byte_size: Precision::Inexact(size),
        column_statistics,
    }
}

/// The files' partition values as a batch, one row per file.
fn partition_batch(fields: &[FieldRef], rows: &[Vec<ScalarValue>], count: usize) -> Option<RecordBatch> {
    let columns: Vec<ArrayRef> = fields
        .iter()
        .enumerate()
        .map(|(column, field)| {
            if count == 0 {
                Some(new_empty_array(field.data_type()))
            } else {
                ScalarValue::iter_to_array(rows.iter().map(|row| row[column].clone())).ok()
            }
        })
        .collect::<Option<_>>()?;
    let schema = Arc::new(Schema::new(fields.to_vec()));
    RecordBatch::try_new_with_options(schema, columns, &RecordBatchOptions::new().with_row_count(Some(count))).ok()
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

/// One scan call's arguments, for a table the pack reads plainly.
pub struct PlainScan<'a> {
    pub table: &'a GatedTable,
    /// The provider's schema: what the scan returns, before projection.
    pub schema: &'a SchemaRef,
    pub projection: Option<&'a Vec<usize>>,
    pub filters: &'a [Expr],
    pub limit: Option<usize>,
    pub parquet_pushdown: bool,
}

impl PlainScan<'_> {
    /// The plain scan of the files the filters may match; `None` when the
    /// table or a filter is outside what a plain scan reads alike.
    pub fn plan(&self, session: &dyn Session) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(listed) = self.table.plain.files(self.table, self.schema) else {
            return Ok(None);
        };
        // Filters may name the table; the file and partition schemas do not.
        let filters: Vec<Expr> = self.filters.iter().cloned().map(unnormalize_col).collect();
        let Some(keep) = listed.matching_remembered(session, &filters)? else {
            return Ok(None);
        };
        let mut files: Vec<PartitionedFile> =
            listed.files.iter().zip(keep.iter()).filter(|(_, keep)| **keep).map(|(file, _)| file.clone()).collect();
        if filters.is_empty()
            && let Some(limit) = self.limit
        {
            files = enough_for(files, limit);
        }

        let table_schema = &listed.table_schema;
        let mut parquet = TableParquetOptions::default();
        parquet.global = session.config().options().execution.parquet.clone();
        // Footers are read once per table, not once per query: the table's own
        // metadata cache (across FFI the task context's runtime is new each time).
        let store = self.table.runtime_env.object_store(&listed.object_store_url)?;
        let footers = self.table.runtime_env.cache_manager.get_file_metadata_cache();
        let mut source = ParquetSource::new(table_schema.clone())
            .with_table_parquet_options(parquet)
            .with_parquet_file_reader_factory(Arc::new(CachedParquetFileReaderFactory::new(store, footers)));
        if let Some(predicate) = conjunction(filters) {
            let Ok(physical) = session.create_physical_expr(predicate, &listed.table_df_schema) else {
                return Ok(None);
            };
            source = source.with_predicate(physical).with_pushdown_filters(self.parquet_pushdown);
        }

        let statistics = Statistics::try_merge_iter(files.iter().filter_map(|file| file.statistics.as_deref()), table_schema.table_schema())?;
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
        let options = session.config().options();
        let partitions = options.execution.target_partitions;
        let whole_files = options.optimizer.repartition_file_scans.then(|| whole_file_groups(&files, partitions)).flatten();
        let config = FileScanConfigBuilder::new(listed.object_store_url.clone(), Arc::new(source))
            .with_file_groups(whole_files.unwrap_or_else(|| vec![FileGroup::new(files)]))
            .with_statistics(statistics)
            .with_limit(self.limit)
            .with_projection_indices(Some(projection))?
            .build();
        let plan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
        // Only a plan that returns exactly the provider's (projected) columns may serve.
        let expected = match self.projection {
            Some(columns) => self.schema.project(columns)?,
            None => self.schema.as_ref().clone(),
        };
        if plan.schema().fields() != expected.fields() {
            return Ok(None);
        }
        Ok(Some(plan))
    }
}

/// Files spread whole over `partitions` groups (largest first, each into the
/// lightest group), when that comes within 20% of an even spread; `None`
/// otherwise, and the provider splits them into byte ranges instead. A split file
/// is opened once per range, and a range holding no row group's midpoint
/// reads nothing: with as many files as partitions, splitting costs an open
/// and gains no balance.
fn whole_file_groups(files: &[PartitionedFile], partitions: usize) -> Option<Vec<FileGroup>> {
    if partitions < 2 || files.len() < partitions {
        return None;
    }
    let mut by_size: Vec<&PartitionedFile> = files.iter().collect();
    by_size.sort_by_key(|file| std::cmp::Reverse(file.object_meta.size));
    let mut groups: Vec<(u64, Vec<PartitionedFile>)> = vec![(0, Vec::new()); partitions];
    for file in by_size {
        let lightest = groups.iter_mut().min_by_key(|(size, _)| *size)?;
        lightest.0 += file.object_meta.size;
        lightest.1.push(file.clone());
    }
    let total: u64 = groups.iter().map(|(size, _)| size).sum();
    let heaviest = groups.iter().map(|(size, _)| *size).max()?;
    let even = total.div_ceil(partitions as u64);
    (heaviest.saturating_mul(5) <= even.saturating_mul(6)).then(|| groups.into_iter().map(|(_, files)| FileGroup::new(files)).collect())
}

/// The first files that together surely hold `limit` rows (all of them when
/// a row count is unknown): the rest need not be opened.
fn enough_for(mut files: Vec<PartitionedFile>, limit: usize) -> Vec<PartitionedFile> {
    let mut rows = 0usize;
    for index in 0..files.len() {
        match files[index].statistics.as_ref().map(|stats| stats.num_rows) {
            Some(Precision::Exact(n)) => rows = rows.saturating_add(n),
            _ => return files,
        }
        if rows >= limit {
            files.truncate(index + 1);
            break;
        }
    }
    files
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

    fn sizes(groups: &[FileGroup]) -> Vec<Vec<u64>> {
        groups.iter().map(|group| group.files().iter().map(|file| file.object_meta.size).collect()).collect()
    }

    #[test]
    fn files_spread_whole_when_that_comes_near_even() {
        let files = |sizes: &[u64]| -> Vec<PartitionedFile> {
            sizes.iter().enumerate().map(|(i, size)| PartitionedFile::new(format!("f{i}.parquet"), *size)).collect()
        };
        // Two files of about the same size on two partitions: one each, none split
        // (a byte-range split of the first would leave an 813-byte range to open).
        assert_eq!(sizes(&whole_file_groups(&files(&[841_971, 840_344]), 2).expect("whole")), [vec![841_971], vec![840_344]]);
        // Largest first, each into the lightest group.
        assert_eq!(sizes(&whole_file_groups(&files(&[3, 5, 2, 4, 6]), 2).expect("whole")), [vec![6, 3, 2], vec![5, 4]]);
        // One file dwarfs the rest: whole files cannot come within 20% of even.
        assert!(whole_file_groups(&files(&[10, 1, 1]), 2).is_none());
        // Fewer files than partitions, or one partition: byte ranges (or nothing) decide.
        assert!(whole_file_groups(&files(&[5]), 2).is_none());
        assert!(whole_file_groups(&files(&[5, 5]), 1).is_none());
    }
}
