//! Functions that panic when asked to, at each place a host can call into a pack.


use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{
    ColumnarValue, DocSection, Documentation, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TableType, Volatility,
};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use dfpack_abi::export::TableFunctionExport;
use futures::Stream;

const SECTION: DocSection = DocSection { include: false, label: "dfpack test fixtures", description: None };

/// `fixture_panic(n)`: returns `n`, and panics when `n` is 13.
pub fn panic_on_udf() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(PanicOnUdf {
        signature: Signature::exact(vec![DataType::Int64], Volatility::Immutable),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct PanicOnUdf {
    signature: Signature,
}

impl ScalarUDFImpl for PanicOnUdf {
    fn name(&self) -> &str {
        "fixture_panic"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let Some(values) = array.as_any().downcast_ref::<Int64Array>() else {
            return exec_err!("fixture_panic expects Int64");
        };
        if values.iter().any(|v| v == Some(13)) {
            panic!("fixture_panic was given 13");
        }
        Ok(ColumnarValue::Array(array))
    }

    fn documentation(&self) -> Option<&Documentation> {
        static DOC: std::sync::OnceLock<Documentation> = std::sync::OnceLock::new();
        Some(DOC.get_or_init(|| {
            Documentation::builder(SECTION, "Returns its argument; panics on 13.", "fixture_panic(n)").build()
        }))
    }
}

/// Where `fixture_panic_table(stage)` panics: 'call', 'scan', 'execute', 'poll',
/// or nowhere ('none', giving the rows 1, 2, 3).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Call,
    Scan,
    Execute,
    Poll,
    None,
}

pub fn panic_on_table() -> TableFunctionExport {
    TableFunctionExport {
        name: "fixture_panic_table".into(),
        function: Arc::new(PanicOnTable),
        documentation: Documentation::builder(
            SECTION,
            "Rows 1, 2, 3; panics at the named stage.",
            "fixture_panic_table(stage)",
        )
        .with_argument("stage", "'call', 'scan', 'execute', 'poll' or 'none'")
        .build(),
    }
}

#[derive(Debug)]
struct PanicOnTable;

impl TableFunctionImpl for PanicOnTable {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let stage = match args.exprs() {
            [Expr::Literal(ScalarValue::Utf8(Some(stage)), _)] => match stage.as_str() {
                "call" => Stage::Call,
                "scan" => Stage::Scan,
                "execute" => Stage::Execute,
                "poll" => Stage::Poll,
                "none" => Stage::None,
                other => return plan_err!("unknown stage '{other}'"),
            },
            _ => return plan_err!("fixture_panic_table(stage) takes one string literal"),
        };
        if stage == Stage::Call {
            panic!("fixture_panic_table panicked in call");
        }
        Ok(Arc::new(PanicTable { stage }))
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]))
}

#[derive(Debug)]
struct PanicTable {
    stage: Stage,
}

#[async_trait::async_trait]
impl TableProvider for PanicTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if self.stage == Stage::Scan {
            panic!("fixture_panic_table panicked in scan");
        }
        Ok(Arc::new(PanicExec::new(self.stage)))
    }
}

struct PanicExec {
    stage: Stage,
    properties: Arc<PlanProperties>,
}

impl PanicExec {
    fn new(stage: Stage) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        PanicExec { stage, properties: Arc::new(properties) }
    }
}

impl fmt::Debug for PanicExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PanicExec({:?})", self.stage)
    }
}

impl DisplayAs for PanicExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PanicExec: stage={:?}", self.stage)
    }
}

impl ExecutionPlan for PanicExec {
    fn name(&self) -> &str {
        "PanicExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, _partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if self.stage == Stage::Execute {
            panic!("fixture_panic_table panicked in execute");
        }
        Ok(Box::pin(PanicStream { stage: self.stage, done: false }))
    }
}

struct PanicStream {
    stage: Stage,
    done: bool,
}

impl Stream for PanicStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.stage == Stage::Poll {
            panic!("fixture_panic_table panicked in poll");
        }
        if self.done {
            return Poll::Ready(None);
        }
        self.done = true;
        let batch = RecordBatch::try_new(schema(), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]);
        Poll::Ready(Some(batch.map_err(Into::into)))
    }
}

impl RecordBatchStream for PanicStream {
    fn schema(&self) -> SchemaRef {
        schema()
    }
}

