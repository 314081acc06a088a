//! The lean calls, driven the way a host drives them: through datafusion-ffi's
//! foreign wrappers, with handles marked as another image's. (The integration
//! tests in `tests/` load the built pack into real hosts.)

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider, Session, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext, TaskContextProvider};
use datafusion::logical_expr::{ColumnarValue, Expr, TableProviderFilterPushDown, TableType, Volatility, create_udf};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::execution::FFI_TaskContext;
use datafusion_ffi::execution_plan::FFI_ExecutionPlan;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::util::FFI_Result;

use super::layout::TableProviderLayout;
use super::{plan, provider};

/// What a handle of another image answers when asked which image it is.
extern "C" fn another_image() -> usize {
    datafusion_ffi::get_library_marker_id().wrapping_add(1)
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]))
}

/// A table that remembers what the pack's side of the boundary was given.
#[derive(Debug, Default)]
struct Seen {
    batch_size: Option<usize>,
    pushdown_asked: Vec<String>,
    scanned_with: Vec<String>,
}

#[derive(Debug)]
struct RecordingTable {
    rows: MemTable,
    seen: Mutex<Seen>,
}

impl RecordingTable {
    fn new() -> Result<RecordingTable> {
        let batch = RecordBatch::try_new(schema(), vec![Arc::new(Int64Array::from(vec![1, 2, 3, 4]))])?;
        Ok(RecordingTable { rows: MemTable::try_new(schema(), vec![vec![batch]])?, seen: Mutex::default() })
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl TableProvider for RecordingTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.seen().pushdown_asked.extend(filters.iter().map(|f| f.to_string()));
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        {
            let mut seen = self.seen();
            seen.batch_size = Some(session.config().batch_size());
            seen.scanned_with.extend(filters.iter().map(|f| f.to_string()));
        }
        self.rows.scan(session, projection, filters, limit).await
    }
}

/// `host_only(a)`, an identity function the host has and the pack does not.
fn register_host_only(host: &SessionContext) {
    let identity = Arc::new(|args: &[ColumnarValue]| Ok(args[0].clone()));
    host.register_udf(create_udf("host_only", vec![DataType::Int64], DataType::Int64, Volatility::Immutable, identity));
}

/// `provider`, exported as the pack exports its tables and seen from a host image.
fn as_host_sees_it(provider: Arc<dyn TableProvider>, ctx: &Arc<dyn TaskContextProvider>) -> Arc<dyn TableProvider> {
    let mut ffi = provider::lean(FFI_TableProvider::new(provider, true, None, ctx, None));
    ffi.library_marker_id = another_image;
    (&ffi).into()
}

#[tokio::test]
async fn a_scan_gets_the_hosts_config_and_only_the_filters_the_pack_can_decode() -> Result<()> {
    let host = SessionContext::new_with_config(SessionConfig::new().with_batch_size(4321));
    // A function only the host has: its filter stays the host's to apply.
    register_host_only(&host);
    let task_ctx: Arc<dyn TaskContextProvider> = Arc::new(SessionContext::new());
    let table = Arc::new(RecordingTable::new()?);
    host.register_table("t", as_host_sees_it(Arc::clone(&table) as _, &task_ctx))?;

    let batches = host.sql("SELECT a FROM t WHERE a > 1 AND host_only(a) < 4 ORDER BY a").await?.collect().await?;
    let values: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().into_iter().flatten().flatten())
        .collect();
    assert_eq!(values, [2, 3]);

    {
        let seen = table.seen();
        assert_eq!(seen.batch_size, Some(4321), "the host's config reaches the scan");
    }
    // A changed config is seen by the next scan (configs are parsed once each).
    host.sql("SET datafusion.execution.batch_size = 99").await?.collect().await?;
    host.sql("SELECT a FROM t WHERE a > 1").await?.collect().await?;
    let seen = table.seen();
    assert_eq!(seen.batch_size, Some(99));
    assert!(seen.pushdown_asked.iter().all(|f| !f.contains("host_only")), "{:?}", seen.pushdown_asked);
    assert!(seen.pushdown_asked.iter().any(|f| f.contains("a > Int64(1)")), "{:?}", seen.pushdown_asked);
    assert_eq!(seen.scanned_with, ["a > Int64(1)", "a > Int64(1)"]);
    Ok(())
}

/// A plan that remembers the task context it ran in.
#[derive(Debug)]
struct RecordingExec {
    properties: Arc<PlanProperties>,
    ran_in: Mutex<Option<Arc<TaskContext>>>,
}

impl RecordingExec {
    fn new() -> RecordingExec {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        RecordingExec { properties: Arc::new(properties), ran_in: Mutex::new(None) }
    }
}

impl DisplayAs for RecordingExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "RecordingExec")
    }
}

impl ExecutionPlan for RecordingExec {
    fn name(&self) -> &str {
        "RecordingExec"
    }

    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn with_new_children(self: Arc<Self>, _: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition > 0 {
            return Err(datafusion::error::DataFusionError::Plan(format!("no partition {partition}")));
        }
        *self.ran_in.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(context);
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema(), futures::stream::empty())))
    }
}

#[test]
fn a_partition_runs_in_the_hosts_config_with_the_packs_functions() {
    let host = SessionContext::new_with_config(SessionConfig::new().with_batch_size(777));
    register_host_only(&host);
    let exec = Arc::new(RecordingExec::new());
    let ffi = plan::lean(FFI_ExecutionPlan::new(Arc::clone(&exec) as _, None));
    let host_context = || {
        let mut context = FFI_TaskContext::from(host.task_ctx());
        context.library_marker_id = another_image;
        context
    };

    // SAFETY: the plan's own function, called as a host calls it.
    let ran = unsafe { (ffi.execute)(&ffi, 0, host_context()) };
    assert!(ran.is_ok());
    let context = exec.ran_in.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    let context = context.expect("the plan ran");
    assert_eq!(context.session_config().batch_size(), 777);
    assert_eq!(context.session_id(), host.session_id());
    assert!(context.scalar_functions().contains_key("abs"), "DataFusion's functions are the pack's own too");
    assert!(!context.scalar_functions().contains_key("host_only"), "the host's are not rebuilt");

    // Another host config, another context; the same one again, the same context.
    let other = SessionContext::new_with_config(SessionConfig::new().with_batch_size(888));
    let mut other_context = FFI_TaskContext::from(other.task_ctx());
    other_context.library_marker_id = another_image;
    // SAFETY: as above.
    assert!(unsafe { (ffi.execute)(&ffi, 0, other_context) }.is_ok());
    let ran_in = || exec.ran_in.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take().expect("ran");
    assert_eq!(ran_in().session_config().batch_size(), 888);
    // SAFETY: as above.
    assert!(unsafe { (ffi.execute)(&ffi, 0, host_context()) }.is_ok());
    let again = ran_in();
    assert_eq!(again.session_config().batch_size(), 777);
    assert!(Arc::ptr_eq(&again, &context), "one context per host config and task");

    // SAFETY: as above.
    let refused = unsafe { (ffi.execute)(&ffi, 1, host_context()) };
    let FFI_Result::Err(message) = refused else { panic!("partition 1 does not exist") };
    assert!(message.as_str().contains("no partition 1"), "{}", message.as_str());
}

#[test]
fn derived_handles_stay_lean() {
    let exec: Arc<dyn ExecutionPlan> = Arc::new(RecordingExec::new());
    let ffi = plan::lean(FFI_ExecutionPlan::new(exec, None));
    let copy = ffi.clone();
    assert!(std::ptr::fn_addr_eq(copy.execute, ffi.execute));
    // SAFETY: the plan's own function.
    let FFI_Result::Ok(rebuilt) = (unsafe { (ffi.with_new_children)(&ffi, Default::default()) }) else {
        panic!("a leaf takes no children")
    };
    assert!(std::ptr::fn_addr_eq(rebuilt.execute, ffi.execute));

    let task_ctx: Arc<dyn TaskContextProvider> = Arc::new(SessionContext::new());
    let table = RecordingTable::new().expect("a table");
    let mut lean = provider::lean(FFI_TableProvider::new(Arc::new(table), false, None, &task_ctx, None));
    let mut copy = lean.clone();
    let (lean, copy) = (TableProviderLayout::of(&mut lean), TableProviderLayout::of(&mut copy));
    assert!(std::ptr::fn_addr_eq(lean.scan, copy.scan));
    assert!(lean.supports_filters_pushdown.is_some() && copy.supports_filters_pushdown.is_some());
}

#[tokio::test]
async fn a_lean_catalogs_schemas_hand_out_lean_tables() -> Result<()> {
    let schema = Arc::new(MemorySchemaProvider::new());
    schema.register_table("t".into(), Arc::new(RecordingTable::new()?))?;
    let catalog = Arc::new(MemoryCatalogProvider::new());
    catalog.register_schema("s", schema)?;
    let task_ctx: Arc<dyn TaskContextProvider> = Arc::new(SessionContext::new());
    let reference = provider::lean(FFI_TableProvider::new(Arc::new(RecordingTable::new()?), true, None, &task_ctx, None));

    let catalog = super::lean_catalog(FFI_CatalogProvider::new(catalog, None, &task_ctx, None)).clone();
    // SAFETY: the catalog's and schema's own functions, called as a host calls them.
    let schema = unsafe { (catalog.schema)(&catalog, "s".into()) }.into_option().expect("schema s").clone();
    let found = unsafe { (schema.table)(&schema, "t".into()) }.await;
    let FFI_Result::Ok(found) = found else { panic!("table t") };
    let (mut found, mut reference) = (found.into_option().expect("table t"), reference);
    let scan = TableProviderLayout::of(&mut reference).scan;
    assert!(std::ptr::fn_addr_eq(TableProviderLayout::of(&mut found).scan, scan));
    Ok(())
}
