//! How a plan marks a contract-bound dataset for [`ContractRule`](crate::ContractRule):
//!
//! - reads: the provider wraps its scan in [`ContractBoundExec`], a leaf
//!   carrying the dataset's binding; the rule arms it with the checks its
//!   rows must pass, in place (no node above it, so no ancestor is rebuilt);
//! - writes: the write side wraps its sink in [`ContractSink`] (a delegating
//!   `DataSink`) inside its `DataSinkExec`; the rule checks that node's input
//!   and places validation below it, so nothing reaches the sink unchecked.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::sink::DataSink;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::ReplaceChildrenOptions;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use dfpack_contracts::{ContractSpec, ValidationMode, ValidationPolicy};

use crate::validate::{Checks, ValidationStream};

/// A dataset's contract as one read or write is held to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractBinding {
    /// The dataset's name, as users know it.
    pub dataset: String,
    /// The table version read; `None` for a write.
    pub version: Option<u64>,
    /// The table's whole schema at that version (a scan may project it); what
    /// a read is checked against.
    pub table_schema: SchemaRef,
    pub contract: ContractSpec,
    /// `None`, or not enabled: data is not checked.
    pub validation: Option<ValidationPolicy>,
}

impl ContractBinding {
    /// The binding of a write into the same dataset (the version written is not yet known).
    pub fn for_write(&self) -> ContractBinding {
        ContractBinding { version: None, ..self.clone() }
    }

    /// The validation policy when data is to be checked.
    pub fn enabled_validation(&self) -> Option<&ValidationPolicy> {
        self.validation.as_ref().filter(|policy| policy.enabled)
    }

    /// `dataset 'x' at version 3`, or `dataset 'x'` for a write.
    pub fn describe(&self) -> String {
        match self.version {
            Some(version) => format!("dataset '{}' at version {version}", self.dataset),
            None => format!("dataset '{}'", self.dataset),
        }
    }

    fn mode(&self) -> &'static str {
        match self.enabled_validation() {
            None => "off",
            Some(policy) => match policy.mode.unwrap_or(ValidationMode::Enforce) {
                ValidationMode::Enforce => "enforce",
                ValidationMode::Warn => "warn",
            },
        }
    }
}

/// A scan of a contract-bound dataset: runs and shows as the scan it wraps (a
/// leaf, as the scan is), and tells the rule which contract holds.
///
/// Where the dataset's validation is on, the rule arms the node with its
/// checks and the rows it reads pass through them. Arming changes neither
/// the node's schema nor its properties, so a plan is validated without
/// rebuilding it: through FFI every rebuilt ancestor is a call into the host.
pub struct ContractBoundExec {
    binding: Arc<ContractBinding>,
    inner: Arc<dyn ExecutionPlan>,
    checks: OnceLock<Arc<Checks>>,
}

impl ContractBoundExec {
    pub fn wrap(binding: Arc<ContractBinding>, inner: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        Arc::new(ContractBoundExec { binding, inner, checks: OnceLock::new() })
    }

    pub fn binding(&self) -> &Arc<ContractBinding> {
        &self.binding
    }

    /// Whether the rule armed this scan with checks.
    pub(crate) fn is_armed(&self) -> bool {
        self.checks.get().is_some()
    }

    /// Every row this scan reads from now on is checked by `checks` (compiled
    /// for its schema). The first arming holds: the same binding and schema
    /// compile to the same checks.
    pub(crate) fn arm(&self, checks: Arc<Checks>) {
        let _ = self.checks.set(checks);
    }

    /// The same dataset over another plan of its scan, armed as this one is.
    fn rewrap(&self, inner: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        Arc::new(ContractBoundExec { binding: Arc::clone(&self.binding), inner, checks: self.checks.clone() })
    }
}

impl fmt::Debug for ContractBoundExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContractBoundExec")
            .field("binding", &self.binding)
            .field("inner", &self.inner)
            .field("checks", &self.checks.get())
            .finish()
    }
}

impl DisplayAs for ContractBoundExec {
    fn fmt_as(&self, format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let binding = &self.binding;
        write!(
            f,
            "ContractBoundExec: dataset={}, version={}, evolution={}, validation={}, ",
            binding.dataset,
            binding.version.map_or_else(|| "-".to_string(), |v| v.to_string()),
            binding.contract.evolution.as_str(),
            binding.mode(),
        )?;
        if let Some(checks) = self.checks.get() {
            write!(f, "checks=[{}], ", checks.names().join(", "))?;
        }
        write!(f, "scan=")?;
        self.inner.fmt_as(format, f)
    }
}

impl ExecutionPlan for ContractBoundExec {
    fn name(&self) -> &str {
        "ContractBoundExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.inner.properties()
    }

    /// None: the scan is one unit, as the provider returned it.
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.inner.apply_expressions(f)
    }

    #[allow(deprecated)] // required by the trait; a leaf has no children to replace
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        no_children(&children)?;
        Ok(self)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        no_children(&children)?;
        Ok(self)
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let rows = self.inner.execute(partition, context)?;
        Ok(match self.checks.get() {
            Some(checks) => Box::pin(ValidationStream::new(rows, Arc::clone(checks), partition)),
            None => rows,
        })
    }

    fn supports_limit_pushdown(&self) -> bool {
        self.inner.supports_limit_pushdown()
    }

    fn with_fetch(&self, limit: Option<usize>) -> Option<Arc<dyn ExecutionPlan>> {
        Some(self.rewrap(self.inner.with_fetch(limit)?))
    }

    fn fetch(&self) -> Option<usize> {
        self.inner.fetch()
    }

    fn metrics(&self) -> Option<MetricsSet> {
        self.inner.metrics()
    }

    #[allow(deprecated)] // delegating: the wrapped plan may still implement it
    fn partition_statistics(&self, partition: Option<usize>) -> Result<Arc<datafusion::common::Statistics>> {
        self.inner.partition_statistics(partition)
    }
}

fn no_children(children: &[Arc<dyn ExecutionPlan>]) -> Result<()> {
    if children.is_empty() {
        Ok(())
    } else {
        datafusion::common::internal_err!("a contract-bound scan has no children, {} were given", children.len())
    }
}

/// A sink writing into a contract-bound dataset: delegates every call to the
/// sink it wraps. The rule recognises a `DataSinkExec` over it.
pub struct ContractSink {
    binding: Arc<ContractBinding>,
    inner: Arc<dyn DataSink>,
}

impl ContractSink {
    pub fn new(binding: Arc<ContractBinding>, inner: Arc<dyn DataSink>) -> Self {
        ContractSink { binding, inner }
    }

    pub fn binding(&self) -> &Arc<ContractBinding> {
        &self.binding
    }

    /// The contract sink `sink` is, if it is one.
    pub fn of(sink: &dyn DataSink) -> Option<&ContractSink> {
        (sink as &dyn Any).downcast_ref::<ContractSink>()
    }
}

impl fmt::Debug for ContractSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContractSink").field("binding", &self.binding).field("inner", &self.inner).finish()
    }
}

impl DisplayAs for ContractSink {
    fn fmt_as(&self, format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContractSink: dataset={}, sink=", self.binding.dataset)?;
        self.inner.fmt_as(format, f)
    }
}

#[async_trait]
impl DataSink for ContractSink {
    fn metrics(&self) -> Option<MetricsSet> {
        self.inner.metrics()
    }

    fn schema(&self) -> &SchemaRef {
        self.inner.schema()
    }

    async fn write_all(&self, data: SendableRecordBatchStream, context: &Arc<TaskContext>) -> Result<u64> {
        self.inner.write_all(data, context).await
    }
}
