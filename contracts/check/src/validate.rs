//! Run-time validation of a contract-bound dataset's rows: its non-null
//! columns and its check constraints, as its validation policy says.
//!
//! Only the columns present where the node sits are checked: above a scan
//! that is what the query reads (a constraint over a column the query does not
//! read is not evaluated); below a write it is every column written.
//!
//! Which rows: without `head`, `tail` or `sample_limit`, every row. With them,
//! the first `head` rows, the last `tail` rows, and a random sample of
//! `sample_limit` rows from the rest, of each partition. Head rows are checked
//! as they pass; tail and sample rows when the partition ends.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::util::display::array_value_to_string;
use datafusion::common::DFSchema;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion::prelude::SessionContext;
use dfpack_common::Error;
use dfpack_contracts::{ValidationMode, ValidationPolicy};
use futures::{Stream, StreamExt};

use crate::bound::ContractBinding;
use crate::cache::CheckCache;
use crate::violations::{self, ViolationRecord};

/// Failing values shown per check.
const SAMPLES: usize = 5;

/// One row-level check, compiled against the schema of the rows it sees.
#[derive(Debug)]
pub(crate) enum Check {
    NotNull { column: String, index: usize },
    Constraint { name: String, expression: String, predicate: Arc<dyn PhysicalExpr>, columns: Vec<usize> },
}

impl Check {
    fn name(&self) -> &str {
        match self {
            Check::NotNull { column, .. } => column,
            Check::Constraint { name, .. } => name,
        }
    }

    fn describe(&self) -> String {
        match self {
            Check::NotNull { column, .. } => format!("column '{column}' NOT NULL"),
            Check::Constraint { name, expression, .. } => format!("constraint '{name}' ({expression})"),
        }
    }
}

/// What a validation node checks, and how it reacts.
#[derive(Debug)]
pub struct Checks {
    binding: Arc<ContractBinding>,
    operation: &'static str,
    policy: ValidationPolicy,
    checks: Arc<[Check]>,
}

impl Checks {
    /// The binding's checks against `schema`, compiled or from `cache`. `None`
    /// when validation is off or nothing of the contract is present in
    /// `schema`. A constraint that does not compile is an error naming it.
    pub fn compile(
        binding: &Arc<ContractBinding>,
        schema: &SchemaRef,
        operation: &'static str,
        cache: &CheckCache,
    ) -> dfpack_common::Result<Option<Arc<Checks>>> {
        let Some(policy) = binding.enabled_validation() else {
            return Ok(None);
        };
        let checks = cache.get_or_compile(binding, schema, || compile_checks(binding, schema))?;
        if checks.is_empty() {
            return Ok(None);
        }
        Ok(Some(Arc::new(Checks { binding: Arc::clone(binding), operation, policy: policy.clone(), checks })))
    }

    fn enforce(&self) -> bool {
        self.policy.mode.unwrap_or(ValidationMode::Enforce) == ValidationMode::Enforce
    }

    fn mode(&self) -> &'static str {
        if self.enforce() { "enforce" } else { "warn" }
    }

    /// What is checked, as EXPLAIN shows it: columns and constraint names.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.checks.iter().map(Check::name).collect()
    }
}

/// Compiles the non-null columns and check constraints of `binding`'s
/// contract present in `schema`.
fn compile_checks(binding: &ContractBinding, schema: &SchemaRef) -> dfpack_common::Result<Arc<[Check]>> {
    let mut checks: Vec<Check> = binding
        .contract
        .schema
        .fields
        .iter()
        .filter(|field| !field.nullable)
        .filter_map(|field| {
            let index = schema.index_of(&field.name).ok()?;
            Some(Check::NotNull { column: field.name.clone(), index })
        })
        .collect();
    let contract_schema = DFSchema::try_from(Schema::from(&binding.contract.schema)).map_err(Error::from)?;
    let actual = DFSchema::try_from(schema.as_ref().clone()).map_err(Error::from)?;
    for constraint in binding.contract.check_constraints.iter().flatten() {
        let failed = |reason: String| {
            Error::Contract(format!(
                "{}: check constraint '{}' ({}) cannot be compiled: {reason}",
                binding.describe(),
                constraint.name,
                constraint.expression
            ))
        };
        let expr = planner().parse_sql_expr(&constraint.expression, &contract_schema).map_err(|e| failed(e.to_string()))?;
        let names: Vec<String> = expr.column_refs().into_iter().map(|c| c.name.clone()).collect();
        let Some(columns) = names.iter().map(|name| schema.index_of(name).ok()).collect::<Option<Vec<usize>>>() else {
            continue; // a column the rows here lack: not checkable here
        };
        let predicate = planner().create_physical_expr(expr, &actual).map_err(|e| failed(e.to_string()))?;
        let data_type = predicate.data_type(schema).map_err(|e| failed(e.to_string()))?;
        if data_type != DataType::Boolean {
            return Err(failed(format!("it is of type {data_type}, not Boolean")));
        }
        checks.push(Check::Constraint {
            name: constraint.name.clone(),
            expression: constraint.expression.clone(),
            predicate,
            columns,
        });
    }
    Ok(checks.into())
}

/// One session to parse and plan constraint expressions with: its function
/// registry and type coercion are what a constraint's SQL means.
fn planner() -> &'static SessionContext {
    static PLANNER: OnceLock<SessionContext> = OnceLock::new();
    PLANNER.get_or_init(SessionContext::new)
}

/// Checks the rows passing through it; placed by the rule below a
/// contract-bound write (a contract-bound scan is armed in place instead:
/// see [`ContractBoundExec`](crate::ContractBoundExec)).
#[derive(Debug)]
pub struct ValidationExec {
    input: Arc<dyn ExecutionPlan>,
    checks: Arc<Checks>,
}

impl ValidationExec {
    /// Validation above `input`, or `None` when there is nothing to check there.
    pub fn over(
        input: Arc<dyn ExecutionPlan>,
        binding: &Arc<ContractBinding>,
        operation: &'static str,
        cache: &CheckCache,
    ) -> dfpack_common::Result<Option<Arc<dyn ExecutionPlan>>> {
        let checks = Checks::compile(binding, &input.schema(), operation, cache)?;
        Ok(checks.map(|checks| Arc::new(ValidationExec { input, checks }) as Arc<dyn ExecutionPlan>))
    }
}

impl DisplayAs for ValidationExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ContractValidationExec: dataset={}, mode={}, checks=[{}]",
            self.checks.binding.dataset,
            self.checks.mode(),
            self.checks.names().join(", ")
        )
    }
}

impl ExecutionPlan for ValidationExec {
    fn name(&self) -> &str {
        "ContractValidationExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)] // required by the trait
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [input]: [Arc<dyn ExecutionPlan>; 1] = children.try_into().map_err(|given: Vec<_>| {
            DataFusionError::Internal(format!("ContractValidationExec has one child, {} were given", given.len()))
        })?;
        if input.schema() != self.input.schema() {
            return datafusion::common::internal_err!("ContractValidationExec's input changed its schema");
        }
        Ok(Arc::new(ValidationExec { input, checks: Arc::clone(&self.checks) }))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        Ok(Box::pin(ValidationStream::new(input, Arc::clone(&self.checks), partition)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        None
    }
}

/// Violations of one check so far.
#[derive(Debug, Default, Clone)]
struct Tally {
    failing: u64,
    samples: Vec<String>,
}

pub(crate) struct ValidationStream {
    input: SendableRecordBatchStream,
    schema: SchemaRef,
    checks: Arc<Checks>,
    tallies: Vec<Tally>,
    rows_seen: u64,
    rows_checked: u64,
    /// The last rows beyond the head, when `tail` is set.
    tail: VecDeque<RecordBatch>,
    tail_rows: u64,
    /// Sampled rows beyond the head (one-row batches) and their positions.
    sample: Vec<(u64, RecordBatch)>,
    sample_candidates: u64,
    rng: u64,
    /// Ended (input done, or failed): poll no more.
    done: bool,
    recorded: bool,
}

impl ValidationStream {
    pub(crate) fn new(input: SendableRecordBatchStream, checks: Arc<Checks>, partition: usize) -> Self {
        let tallies = vec![Tally::default(); checks.checks.len()];
        // Any varying seed will do: samples need not be reproducible.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ ((partition as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        ValidationStream {
            schema: input.schema(),
            input,
            checks,
            tallies,
            rows_seen: 0,
            rows_checked: 0,
            tail: VecDeque::new(),
            tail_rows: 0,
            sample: Vec::new(),
            sample_candidates: 0,
            rng: seed | 1,
            done: false,
            recorded: false,
        }
    }

    fn policy(&self) -> &ValidationPolicy {
        &self.checks.policy
    }

    fn any_failing(&self) -> bool {
        self.tallies.iter().any(|tally| tally.failing > 0)
    }

    /// Takes a batch in: checks its head rows now, keeps the rest for the end.
    fn take(&mut self, batch: &RecordBatch) -> Result<()> {
        let rows = batch.num_rows() as u64;
        let first = self.rows_seen;
        self.rows_seen += rows;
        let policy = self.policy().clone();
        if policy.head.is_none() && policy.tail.is_none() && policy.sample_limit.is_none() {
            return self.check(batch, &|i| first + i as u64);
        }
        let head_end = policy.head.unwrap_or(0).clamp(first, first + rows);
        if head_end > first {
            self.check(&batch.slice(0, (head_end - first) as usize), &|i| first + i as u64)?;
        }
        if head_end == first + rows {
            return Ok(());
        }
        let rest = batch.slice((head_end - first) as usize, (first + rows - head_end) as usize);
        if let Some(limit) = policy.sample_limit {
            for i in 0..rest.num_rows() {
                self.offer_sample(limit, head_end + i as u64, &rest, i);
            }
        }
        if let Some(tail) = policy.tail {
            self.tail_rows += rest.num_rows() as u64;
            self.tail.push_back(rest);
            while let Some(front) = self.tail.front() {
                let front_rows = front.num_rows() as u64;
                if self.tail_rows - front_rows < tail {
                    break;
                }
                self.tail_rows -= front_rows;
                self.tail.pop_front();
            }
        }
        Ok(())
    }

    /// Reservoir sampling (algorithm R) over the rows beyond the head.
    fn offer_sample(&mut self, limit: u64, ordinal: u64, batch: &RecordBatch, row: usize) {
        let k = self.sample_candidates;
        self.sample_candidates += 1;
        if k < limit {
            self.sample.push((ordinal, batch.slice(row, 1)));
            return;
        }
        let j = self.next_random() % (k + 1);
        if j < limit {
            self.sample[j as usize] = (ordinal, batch.slice(row, 1));
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: enough for choosing sample rows.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// Checks the kept tail and sample rows (a sampled row that is also a tail
    /// row is checked once, as a tail row).
    fn finish(&mut self) -> Result<()> {
        let tail: Vec<RecordBatch> = std::mem::take(&mut self.tail).into();
        let tail_limit = self.policy().tail.unwrap_or(0);
        let mut tail_start = self.rows_seen - self.tail_rows;
        if !tail.is_empty() {
            let all = concat_batches(&self.schema, &tail)?;
            let excess = self.tail_rows.saturating_sub(tail_limit);
            let last = all.slice(excess as usize, all.num_rows() - excess as usize);
            tail_start += excess;
            self.check(&last, &|i| tail_start + i as u64)?;
        }
        let sample: Vec<(u64, RecordBatch)> = std::mem::take(&mut self.sample)
            .into_iter()
            .filter(|(ordinal, _)| tail.is_empty() || *ordinal < tail_start)
            .collect();
        if !sample.is_empty() {
            let ordinals: Vec<u64> = sample.iter().map(|(ordinal, _)| *ordinal).collect();
            let rows: Vec<RecordBatch> = sample.into_iter().map(|(_, row)| row).collect();
            let all = concat_batches(&self.schema, &rows)?;
            self.check(&all, &|i| ordinals[i])?;
        }
        Ok(())
    }

    fn check(&mut self, batch: &RecordBatch, ordinal: &dyn Fn(usize) -> u64) -> Result<()> {
        self.rows_checked += batch.num_rows() as u64;
        let checks = Arc::clone(&self.checks);
        for (check, tally) in checks.checks.iter().zip(self.tallies.iter_mut()) {
            match check {
                Check::NotNull { index, .. } => {
                    let column = batch.column(*index);
                    if column.null_count() == 0 {
                        continue;
                    }
                    for row in (0..column.len()).filter(|&row| column.is_null(row)) {
                        tally.failing += 1;
                        if tally.samples.len() < SAMPLES {
                            tally.samples.push(format!("row {}", ordinal(row)));
                        }
                    }
                }
                Check::Constraint { predicate, columns, .. } => {
                    let result = predicate.evaluate(batch)?.into_array(batch.num_rows())?;
                    let Some(result) = result.as_boolean_opt() else {
                        return datafusion::common::internal_err!("a check constraint gave {}", result.data_type());
                    };
                    // NULL counts as satisfied, as in SQL CHECK constraints.
                    for row in (0..result.len()).filter(|&row| result.is_valid(row) && !result.value(row)) {
                        tally.failing += 1;
                        if tally.samples.len() < SAMPLES {
                            tally.samples.push(sample_values(batch, columns, row)?);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Records the violations found (once), and the error that fails the query in `enforce` mode.
    fn report(&mut self) -> Option<DataFusionError> {
        if self.recorded || !self.any_failing() {
            return None;
        }
        self.recorded = true;
        let checks = &self.checks;
        let binding = &checks.binding;
        let mut problems = Vec::new();
        for (check, tally) in checks.checks.iter().zip(&self.tallies).filter(|(_, tally)| tally.failing > 0) {
            problems.push(format!(
                "{}: {} of {} rows checked failing, e.g. {}",
                check.describe(),
                tally.failing,
                self.rows_checked,
                tally.samples.join(", ")
            ));
            let (kind, expression) = match check {
                Check::NotNull { .. } => ("not_null", None),
                Check::Constraint { expression, .. } => ("check_constraint", Some(expression.clone())),
            };
            violations::record(ViolationRecord {
                seq: 0,
                dataset: binding.dataset.clone(),
                version: binding.version,
                operation: checks.operation,
                mode: checks.mode(),
                check: kind,
                name: check.name().to_string(),
                expression,
                failing_rows: tally.failing,
                rows_checked: self.rows_checked,
                samples: tally.samples.clone(),
            });
        }
        checks.enforce().then(|| {
            DataFusionError::from(Error::Contract(format!(
                "{} failed validation ({}): {}",
                binding.describe(),
                checks.operation,
                problems.join("; ")
            )))
        })
    }
}

fn sample_values(batch: &RecordBatch, columns: &[usize], row: usize) -> Result<String> {
    let schema = batch.schema();
    let values = columns
        .iter()
        .map(|&index| {
            let value = array_value_to_string(batch.column(index), row)?;
            Ok(format!("{}={value}", schema.field(index).name()))
        })
        .collect::<Result<Vec<String>>>()?;
    Ok(values.join(" "))
}

impl Stream for ValidationStream {
    type Item = Result<RecordBatch>;

    /// Under `enforce` no batch with a failing row is passed on: without
    /// `collect_all` the first one fails the query; with it, the input is
    /// drained (passing nothing on, so a `LIMIT` above cannot end the query
    /// before its failure) to count every violation, then the query fails.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        loop {
            match futures::ready!(this.input.poll_next_unpin(cx)) {
                Some(Ok(batch)) => {
                    if let Err(error) = this.take(&batch) {
                        this.done = true;
                        return Poll::Ready(Some(Err(error)));
                    }
                    if !(this.checks.enforce() && this.any_failing()) {
                        return Poll::Ready(Some(Ok(batch)));
                    }
                    if this.policy().collect_all == Some(true) {
                        continue;
                    }
                    this.done = true;
                    return Poll::Ready(this.report().map(Err));
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => {
                    this.done = true;
                    if let Err(error) = this.finish() {
                        return Poll::Ready(Some(Err(error)));
                    }
                    return Poll::Ready(this.report().map(Err));
                }
            }
        }
    }
}

impl RecordBatchStream for ValidationStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

impl Drop for ValidationStream {
    /// A stream dropped early (a `LIMIT` above it) still records what it found.
    fn drop(&mut self) {
        let _ = self.report();
    }
}
