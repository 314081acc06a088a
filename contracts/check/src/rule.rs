//! The contract rule: finds contract-bound scans and writes in a physical
//! plan, refuses the plan when a schema breaks its contract, and validates
//! data where the dataset's policy asks for it: a scan is armed with its
//! checks in place, a write gets a validation node below it.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::datasource::sink::DataSinkExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use dfpack_common::Error;

use crate::bound::{ContractBinding, ContractBoundExec, ContractSink};
use crate::cache::{CacheStats, CheckCache};
use crate::schema_check::{Side, check_schema, describe_violations};
use crate::validate::{Checks, ValidationExec};

/// Holds every contract-bound read and write of a plan to its contract.
#[derive(Debug, Default)]
pub struct ContractRule {
    /// Compiled checks, reused by the plans of the same dataset and contract.
    cache: CheckCache,
}

impl ContractRule {
    pub const NAME: &'static str = "dfpack_contract_check";

    pub fn new() -> Self {
        ContractRule::default()
    }

    /// How often this rule compiled checks, and how often it reused them.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }
}

impl PhysicalOptimizerRule for ContractRule {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_down(|node| {
            if let Some(bound) = node.downcast_ref::<ContractBoundExec>() {
                let binding = bound.binding();
                refuse_drift(binding, check_schema(&binding.table_schema, &binding.contract, Side::Read), "read")?;
                // Armed in place: a node above the scan would rebuild every ancestor.
                if !bound.is_armed()
                    && let Some(checks) = Checks::compile(binding, &node.schema(), "read", &self.cache)
                        .map_err(DataFusionError::from)?
                {
                    bound.arm(checks);
                }
                return Ok(Transformed::new(node, false, TreeNodeRecursion::Jump));
            }
            if let Some(write) = node.downcast_ref::<DataSinkExec>()
                && let Some(sink) = ContractSink::of(write.sink())
            {
                let binding = Arc::clone(sink.binding());
                let input = Arc::clone(write.input());
                refuse_drift(&binding, check_schema(&input.schema(), &binding.contract, Side::Write), "write")?;
                // Placed by an earlier pass of this rule: already checked.
                if input.is::<ValidationExec>() {
                    return Ok(Transformed::new(node, false, TreeNodeRecursion::Jump));
                }
                let validated =
                    ValidationExec::over(input, &binding, "write", &self.cache).map_err(DataFusionError::from)?;
                if let Some(validated) = validated {
                    let node = replace_children_if_necessary(node, vec![validated])?;
                    return Ok(Transformed::new(node, true, TreeNodeRecursion::Jump));
                }
            }
            Ok(Transformed::no(node))
        })
        .map(|transformed| transformed.data)
    }

    fn name(&self) -> &str {
        Self::NAME
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn refuse_drift(binding: &ContractBinding, violations: Vec<crate::Violation>, operation: &str) -> Result<()> {
    if violations.is_empty() {
        return Ok(());
    }
    Err(DataFusionError::from(Error::Contract(format!(
        "{} does not match its contract (evolution {}, {operation}): {}",
        binding.describe(),
        binding.contract.evolution.as_str(),
        describe_violations(&violations)
    ))))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use async_trait::async_trait;
    use datafusion::catalog::{Session, TableProvider};
    use datafusion::datasource::memory::MemTable;
    use datafusion::datasource::sink::DataSink;
    use datafusion::execution::{SendableRecordBatchStream, TaskContext};
    use datafusion::physical_plan::{DisplayAs, DisplayFormatType};
    use futures::StreamExt;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::logical_expr::{Expr, TableType};
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::physical_plan::collect;
    use datafusion::physical_plan::limit::GlobalLimitExec;
    use datafusion::prelude::SessionContext;
    use dfpack_contracts::{
        ArrowType, CheckConstraint, ContractSpec, EvolutionPolicy, FieldSpec, TableSchemaSpec, ValidationMode,
        ValidationPolicy,
    };

    use super::*;
    use crate::violations;

    fn contract(evolution: EvolutionPolicy) -> ContractSpec {
        ContractSpec {
            schema: TableSchemaSpec {
                fields: vec![
                    FieldSpec { name: "id".into(), r#type: ArrowType::Int64, nullable: false, metadata: None },
                    FieldSpec { name: "amount".into(), r#type: ArrowType::Float64, nullable: true, metadata: None },
                ],
                metadata: None,
            },
            evolution,
            check_constraints: Some(vec![CheckConstraint {
                name: "amount_non_negative".into(),
                expression: "amount >= 0".into(),
            }]),
        }
    }

    fn policy(mode: ValidationMode) -> ValidationPolicy {
        ValidationPolicy {
            enabled: true,
            mode: Some(mode),
            sample_limit: None,
            head: None,
            tail: None,
            collect_all: None,
        }
    }

    fn schema(nullable_id: bool) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, nullable_id),
            Field::new("amount", DataType::Float64, true),
        ]))
    }

    fn batch(schema: &SchemaRef, ids: Vec<Option<i64>>, amounts: Vec<Option<f64>>) -> RecordBatch {
        RecordBatch::try_new(
            Arc::clone(schema),
            vec![Arc::new(Int64Array::from(ids)), Arc::new(Float64Array::from(amounts))],
        )
        .expect("a batch")
    }

    /// A provider whose scans are contract-bound, as the Delta provider's are.
    #[derive(Debug)]
    struct BoundTable {
        binding: Arc<ContractBinding>,
        table: MemTable,
    }

    #[async_trait]
    impl TableProvider for BoundTable {
        fn schema(&self) -> SchemaRef {
            self.table.schema()
        }

        fn table_type(&self) -> TableType {
            TableType::Base
        }

        async fn scan(
            &self,
            state: &dyn Session,
            projection: Option<&Vec<usize>>,
            filters: &[Expr],
            limit: Option<usize>,
        ) -> Result<Arc<dyn ExecutionPlan>> {
            let plan = self.table.scan(state, projection, filters, limit).await?;
            Ok(ContractBoundExec::wrap(Arc::clone(&self.binding), plan))
        }
    }

    fn session() -> SessionContext {
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(ContractRule::new()))
            .build();
        SessionContext::new_with_state(state)
    }

    fn bound_table(
        dataset: &str,
        evolution: EvolutionPolicy,
        validation: Option<ValidationPolicy>,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Arc<BoundTable> {
        let binding = Arc::new(ContractBinding {
            dataset: dataset.into(),
            version: Some(3),
            table_schema: Arc::clone(&schema),
            contract: contract(evolution),
            validation,
        });
        let table = MemTable::try_new(schema, vec![batches]).expect("a table");
        Arc::new(BoundTable { binding, table })
    }

    async fn error_of(ctx: &SessionContext, sql: &str) -> String {
        match ctx.sql(sql).await {
            Ok(frame) => frame.collect().await.expect_err("the query fails").to_string(),
            Err(error) => error.to_string(),
        }
    }

    #[tokio::test]
    async fn drift_is_refused_naming_dataset_version_column_and_both_types() {
        let drifted = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("note", DataType::Utf8, true),
        ]));
        let ctx = session();
        ctx.register_table("t", bound_table("orders", EvolutionPolicy::Strict, None, drifted, vec![]))
            .expect("registered");
        let message = error_of(&ctx, "SELECT * FROM t").await;
        assert!(
            message.contains(
                "[dfpack:contract] dataset 'orders' at version 3 does not match its contract (evolution strict, read): \
                 column 'id': expected type Int64, found Utf8; column 'id': expected NOT NULL, found nullable; \
                 column 'amount' is missing (expected Float64); column 'note' (Utf8) is not in the contract"
            ),
            "{message}"
        );
    }

    #[tokio::test]
    async fn each_policy_decides_on_a_nullable_key_and_an_extra_column() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("amount", DataType::Float64, true),
            Field::new("note", DataType::Utf8, true),
        ]));
        for (policy, expected) in [
            (EvolutionPolicy::Strict, Some("expected NOT NULL, found nullable; column 'note' (Utf8) is not in")),
            (EvolutionPolicy::Additive, Some("column 'id': expected NOT NULL, found nullable")),
            (EvolutionPolicy::Relaxed, None),
        ] {
            let ctx = session();
            ctx.register_table("t", bound_table("orders", policy, None, Arc::clone(&schema), vec![]))
                .expect("registered");
            let result = ctx.sql("SELECT * FROM t").await.expect("planned").collect().await;
            match expected {
                Some(expected) => {
                    let message = result.expect_err("refused").to_string();
                    assert!(message.contains(expected), "{policy:?}: {message}");
                    assert!(!policy.eq(&EvolutionPolicy::Additive) || !message.contains("note"), "{message}");
                }
                None => assert!(result.is_ok(), "{policy:?}: {result:?}"),
            }
        }
    }

    #[tokio::test]
    async fn enforce_fails_with_counts_and_samples() {
        let schema = schema(true);
        let rows = batch(&schema, vec![Some(1), None, Some(3), Some(4)], vec![Some(1.0), Some(-2.5), None, Some(-1.0)]);
        let ctx = session();
        let table = bound_table(
            "enforced",
            EvolutionPolicy::Relaxed,
            Some(policy(ValidationMode::Enforce)),
            Arc::clone(&schema),
            vec![rows],
        );
        ctx.register_table("t", table).expect("registered");
        let message = error_of(&ctx, "SELECT * FROM t").await;
        assert!(
            message.contains(
                "[dfpack:contract] dataset 'enforced' at version 3 failed validation (read): column 'id' NOT NULL: \
                 1 of 4 rows checked failing, e.g. row 1; constraint 'amount_non_negative' (amount >= 0): 2 of 4 rows \
                 checked failing, e.g. amount=-2.5, amount=-1"
            ),
            "{message}"
        );
        // A query reading only `id` checks only `id`.
        let message = error_of(&ctx, "SELECT id FROM t").await;
        assert!(message.contains("column 'id' NOT NULL") && !message.contains("amount_non_negative"), "{message}");
    }

    /// Under enforce no failing batch is passed on, so a LIMIT above cannot
    /// end the query before its failure; with collect_all the rest of the
    /// input is drained to count every violation first.
    #[tokio::test]
    async fn enforce_fails_a_limited_query_and_collect_all_counts_every_row() {
        let schema = schema(true);
        let first = batch(&schema, vec![Some(1), Some(2)], vec![Some(1.0), Some(-1.0)]);
        let second = batch(&schema, vec![Some(3), Some(4)], vec![Some(-2.0), Some(4.0)]);
        let enforce_all = ValidationPolicy { collect_all: Some(true), ..policy(ValidationMode::Enforce) };
        // A LIMIT over a validated scan that reads past it (as a Delta scan of
        // whole files does): the first batch alone would satisfy the LIMIT.
        let limited = |name: &str, validation: ValidationPolicy| {
            let binding = Arc::new(ContractBinding {
                dataset: name.into(),
                version: Some(3),
                table_schema: Arc::clone(&schema),
                contract: contract(EvolutionPolicy::Relaxed),
                validation: Some(validation),
            });
            let partitions = [vec![first.clone(), second.clone()]];
            let scan = MemorySourceConfig::try_new_exec(&partitions, Arc::clone(&schema), None).expect("a scan");
            let plan = Arc::new(GlobalLimitExec::new(ContractBoundExec::wrap(binding, scan), 0, Some(1)));
            ContractRule::new().optimize(plan, &ConfigOptions::default()).expect("optimized")
        };
        let failed = |plan| async move {
            collect(plan, SessionContext::new().task_ctx()).await.expect_err("the query fails").to_string()
        };
        let message = failed(limited("limited_all", enforce_all.clone())).await;
        assert!(
            message.contains(
                "dataset 'limited_all' at version 3 failed validation (read): constraint 'amount_non_negative' \
                 (amount >= 0): 2 of 4 rows checked failing, e.g. amount=-1.0, amount=-2.0"
            ),
            "{message}"
        );
        // Without collect_all the first failing batch fails the query.
        let message = failed(limited("limited_first", policy(ValidationMode::Enforce))).await;
        let first_batch = "constraint 'amount_non_negative' (amount >= 0): 1 of 2 rows checked failing";
        assert!(message.contains(first_batch), "{message}");
        // Under warn the LIMIT ends the query with its rows, and what was seen is recorded.
        let warned = limited("limited_warn", policy(ValidationMode::Warn));
        let rows = collect(warned, SessionContext::new().task_ctx()).await.expect("warn passes the rows");
        assert_eq!(rows.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
    }

    #[tokio::test]
    async fn warn_passes_rows_and_records_the_violations() {
        let schema = schema(true);
        let rows = batch(&schema, vec![Some(1), None, None], vec![Some(-1.0), Some(2.0), None]);
        let ctx = session();
        let table =
            bound_table("warned", EvolutionPolicy::Relaxed, Some(policy(ValidationMode::Warn)), Arc::clone(&schema), vec![rows]);
        ctx.register_table("t", table).expect("registered");
        let out = ctx.sql("SELECT * FROM t").await.expect("planned").collect().await.expect("rows pass");
        assert_eq!(out.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
        let ours: Vec<_> = violations::recent().into_iter().filter(|r| r.dataset == "warned").collect();
        let summary: Vec<_> = ours.iter().map(|r| (r.check, r.name.as_str(), r.failing_rows, r.rows_checked)).collect();
        assert_eq!(summary, [("not_null", "id", 2, 3), ("check_constraint", "amount_non_negative", 1, 3)]);
        assert_eq!(ours[0].samples, ["row 1", "row 2"]);
        assert_eq!((ours[1].mode, ours[1].operation, ours[1].version), ("warn", "read", Some(3)));
    }

    #[tokio::test]
    async fn head_and_tail_narrow_the_rows_checked() {
        let schema = schema(true);
        let first = batch(&schema, vec![None, Some(1), Some(2)], vec![None, None, None]);
        let middle = batch(&schema, vec![None, None], vec![None, None]);
        let last = batch(&schema, vec![Some(5), None], vec![None, None]);
        let mut narrowed = policy(ValidationMode::Warn);
        narrowed.head = Some(2);
        narrowed.tail = Some(1);
        let ctx = session();
        let table = bound_table("narrowed", EvolutionPolicy::Relaxed, Some(narrowed), Arc::clone(&schema), vec![
            first, middle, last,
        ]);
        ctx.register_table("t", table).expect("registered");
        ctx.sql("SELECT * FROM t").await.expect("planned").collect().await.expect("rows pass");
        let ours: Vec<_> = violations::recent().into_iter().filter(|r| r.dataset == "narrowed").collect();
        assert_eq!(ours.len(), 1);
        // Rows 0..2 and row 6 are checked: rows 0 and 6 are null; rows 3 and 4 are not checked.
        assert_eq!((ours[0].failing_rows, ours[0].rows_checked), (2, 3));
        assert_eq!(ours[0].samples, ["row 0", "row 6"]);
    }

    #[tokio::test]
    async fn a_sample_checks_at_most_its_limit() {
        let schema = schema(true);
        let ids: Vec<Option<i64>> = (0..100).map(|_| None).collect();
        let rows = batch(&schema, ids, vec![None; 100]);
        let mut sampled = policy(ValidationMode::Warn);
        sampled.sample_limit = Some(10);
        let ctx = session();
        let table = bound_table("sampled", EvolutionPolicy::Relaxed, Some(sampled), Arc::clone(&schema), vec![rows]);
        ctx.register_table("t", table).expect("registered");
        ctx.sql("SELECT * FROM t").await.expect("planned").collect().await.expect("rows pass");
        let ours: Vec<_> = violations::recent().into_iter().filter(|r| r.dataset == "sampled").collect();
        assert_eq!((ours[0].failing_rows, ours[0].rows_checked), (10, 10));
    }

    #[tokio::test]
    async fn a_constraint_that_does_not_compile_is_named() {
        let schema = schema(false);
        let mut table = bound_table("broken", EvolutionPolicy::Relaxed, Some(policy(ValidationMode::Enforce)), schema, vec![]);
        let binding = Arc::get_mut(&mut table).map(|t| Arc::make_mut(&mut t.binding)).expect("unshared");
        binding.contract.check_constraints =
            Some(vec![CheckConstraint { name: "bad".into(), expression: "amount + 1".into() }]);
        let ctx = session();
        ctx.register_table("t", table).expect("registered");
        let message = error_of(&ctx, "SELECT * FROM t").await;
        assert!(
            message.contains("dataset 'broken' at version 3: check constraint 'bad' (amount + 1) cannot be compiled: it is of type Float64, not Boolean"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn the_rule_is_idempotent() {
        let schema = schema(false);
        let ctx = session();
        let table = bound_table("twice", EvolutionPolicy::Strict, Some(policy(ValidationMode::Enforce)), schema, vec![]);
        ctx.register_table("t", table).expect("registered");
        let plan = ctx.sql("SELECT * FROM t").await.expect("planned").create_physical_plan().await.expect("a plan");
        let again = ContractRule::new().optimize(Arc::clone(&plan), &ConfigOptions::default()).expect("optimized");
        let shown = datafusion::physical_plan::displayable(again.as_ref()).indent(false).to_string();
        // Armed in place: no node was added above the scan, and its checks show once.
        assert_eq!(shown.matches("checks=[").count(), 1, "{shown}");
        assert!(!shown.contains("ContractValidationExec"), "{shown}");
        assert!(
            shown.contains(
                "ContractBoundExec: dataset=twice, version=3, evolution=strict, validation=enforce, \
                 checks=[id, amount_non_negative], scan="
            ),
            "{shown}"
        );

        // A write is validated once however often the rule runs.
        let schema = self::schema(false);
        let binding = enforced_write_binding("twice_written", EvolutionPolicy::Strict, Arc::clone(&schema));
        let (plan, _) = write_plan(binding, schema, vec![]);
        let once = ContractRule::new().optimize(plan, &ConfigOptions::default()).expect("optimized");
        let twice = ContractRule::new().optimize(once, &ConfigOptions::default()).expect("optimized again");
        let shown = datafusion::physical_plan::displayable(twice.as_ref()).indent(false).to_string();
        assert_eq!(shown.matches("ContractValidationExec").count(), 1, "{shown}");
    }

    /// A plan whose scans are armed keeps its shape: the rule returns the
    /// very plan it was given, and the armed scan still checks its rows.
    #[tokio::test]
    async fn arming_a_scan_leaves_the_plan_as_it_was() {
        let schema = schema(true);
        let rows = batch(&schema, vec![Some(1), None], vec![Some(1.0), Some(2.0)]);
        let table = bound_table("in_place", EvolutionPolicy::Relaxed, Some(policy(ValidationMode::Enforce)), Arc::clone(&schema), vec![rows]);
        let plain = SessionContext::new();
        plain.register_table("t", table).expect("registered");
        let plan = plain.sql("SELECT id FROM t WHERE amount > 0").await.expect("planned").create_physical_plan().await.expect("a plan");
        let optimized = ContractRule::new().optimize(Arc::clone(&plan), &ConfigOptions::default()).expect("optimized");
        assert!(Arc::ptr_eq(&plan, &optimized), "the plan was rebuilt");
        let message = collect(optimized, plain.task_ctx()).await.expect_err("the null id fails the query").to_string();
        assert!(message.contains("dataset 'in_place' at version 3 failed validation (read): column 'id' NOT NULL: 1 of 2"), "{message}");
    }

    /// A sink keeping what it is given in memory; it writes only once its input ends
    /// without error, as a committing sink does.
    #[derive(Debug)]
    struct MemorySink {
        schema: SchemaRef,
        rows: std::sync::Mutex<usize>,
    }

    impl DisplayAs for MemorySink {
        fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "MemorySink")
        }
    }

    #[async_trait]
    impl DataSink for MemorySink {
        fn schema(&self) -> &SchemaRef {
            &self.schema
        }

        async fn write_all(&self, mut data: SendableRecordBatchStream, _: &Arc<TaskContext>) -> Result<u64> {
            let mut rows = 0;
            while let Some(batch) = data.next().await {
                rows += batch?.num_rows();
            }
            *self.rows.lock().expect("unpoisoned") += rows;
            Ok(rows as u64)
        }
    }

    fn write_plan(
        binding: Arc<ContractBinding>,
        input_schema: SchemaRef,
        rows: Vec<RecordBatch>,
    ) -> (Arc<dyn ExecutionPlan>, Arc<MemorySink>) {
        let target = Arc::new(MemorySink { schema: Arc::clone(&input_schema), rows: std::sync::Mutex::new(0) });
        let input = datafusion::datasource::memory::MemorySourceConfig::try_new_exec(&[rows], input_schema, None)
            .expect("an input");
        let sink = Arc::new(ContractSink::new(binding, Arc::clone(&target) as Arc<dyn DataSink>));
        (Arc::new(DataSinkExec::new(input, sink, None)), target)
    }

    /// A write target's binding (no version yet) whose data is validated, enforced.
    fn enforced_write_binding(dataset: &str, evolution: EvolutionPolicy, table_schema: SchemaRef) -> Arc<ContractBinding> {
        Arc::new(ContractBinding {
            dataset: dataset.into(),
            version: None,
            table_schema,
            contract: contract(evolution),
            validation: Some(policy(ValidationMode::Enforce)),
        })
    }

    fn rows_in(sink: &MemorySink) -> usize {
        *sink.rows.lock().expect("unpoisoned")
    }

    #[tokio::test]
    async fn a_write_is_checked_before_anything_reaches_its_sink() {
        let schema = schema(true);
        let binding = enforced_write_binding("written", EvolutionPolicy::Strict, Arc::clone(&schema));
        let rows = batch(&schema, vec![Some(1), None], vec![Some(-1.0), Some(1.0)]);
        let (plan, target) = write_plan(Arc::clone(&binding), Arc::clone(&schema), vec![rows]);
        let plan = ContractRule::new().optimize(plan, &ConfigOptions::default()).expect("optimized");
        let ctx = SessionContext::new();
        let message = collect(plan, ctx.task_ctx()).await.expect_err("refused").to_string();
        assert!(
            message.contains("[dfpack:contract] dataset 'written' failed validation (write): column 'id' NOT NULL: 1 of 2"),
            "{message}"
        );
        assert_eq!(rows_in(&target), 0, "nothing was written");

        // A write of the wrong shape is refused when planned.
        let wrong = Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, false)]));
        let (plan, _) = write_plan(binding, Arc::clone(&wrong), vec![]);
        let message = ContractRule::new().optimize(plan, &ConfigOptions::default()).expect_err("refused").to_string();
        assert!(
            message.contains(
                "dataset 'written' does not match its contract (evolution strict, write): column 'id': expected type \
                 Int64, found Int32; column 'amount' is missing (expected Float64)"
            ),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_clean_write_goes_through() {
        let schema = schema(true);
        let binding = enforced_write_binding("clean", EvolutionPolicy::Additive, Arc::clone(&schema));
        let rows = batch(&schema, vec![Some(1), Some(2)], vec![Some(1.0), None]);
        let (plan, target) = write_plan(binding, Arc::clone(&schema), vec![rows]);
        let plan = ContractRule::new().optimize(plan, &ConfigOptions::default()).expect("optimized");
        let shown = datafusion::physical_plan::displayable(plan.as_ref()).indent(false).to_string();
        assert!(shown.contains("ContractValidationExec: dataset=clean, mode=enforce, checks=[id, amount_non_negative]"), "{shown}");
        collect(plan, SessionContext::new().task_ctx()).await.expect("written");
        assert_eq!(rows_in(&target), 2);
    }

    /// Planning the same dataset again reuses its compiled checks; another
    /// contract or another schema of the rows compiles afresh, and the checks
    /// that run are the new contract's.
    #[tokio::test]
    async fn compiled_checks_are_reused_until_the_contract_or_schema_changes() {
        let rule = Arc::new(ContractRule::new());
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_physical_optimizer_rule(Arc::clone(&rule) as Arc<dyn PhysicalOptimizerRule + Send + Sync>)
            .build();
        let ctx = SessionContext::new_with_state(state);
        let schema = schema(false);
        let rows = batch(&schema, vec![Some(1), Some(2)], vec![Some(5.0), Some(500.0)]);
        let table = |contract: ContractSpec| {
            let binding = Arc::new(ContractBinding {
                dataset: "cached".into(),
                version: Some(3),
                table_schema: Arc::clone(&schema),
                contract,
                validation: Some(policy(ValidationMode::Enforce)),
            });
            let table = MemTable::try_new(Arc::clone(&schema), vec![vec![rows.clone()]]).expect("a table");
            Arc::new(BoundTable { binding, table })
        };
        let plan = |sql: &'static str| {
            let ctx = ctx.clone();
            async move { ctx.sql(sql).await.expect("planned").create_physical_plan().await.expect("optimized") }
        };
        let stats = |hits, compilations| CacheStats { hits, compilations };

        ctx.register_table("t", table(contract(EvolutionPolicy::Strict))).expect("registered");
        plan("SELECT * FROM t").await;
        assert_eq!(rule.cache_stats(), stats(0, 1));
        plan("SELECT * FROM t").await;
        plan("SELECT * FROM t WHERE id > 0").await;
        assert_eq!(rule.cache_stats(), stats(2, 1), "the same contract over the same rows: reused");

        // Other rows (a projection): compiled for them.
        plan("SELECT amount FROM t").await;
        assert_eq!(rule.cache_stats(), stats(2, 2));

        // Another contract for the same dataset: compiled afresh, and it is the one that holds.
        let mut capped = contract(EvolutionPolicy::Strict);
        capped.check_constraints =
            Some(vec![CheckConstraint { name: "amount_capped".into(), expression: "amount < 100".into() }]);
        ctx.deregister_table("t").expect("deregistered");
        ctx.register_table("t", table(capped)).expect("registered");
        let message = error_of(&ctx, "SELECT * FROM t").await;
        assert_eq!(rule.cache_stats(), stats(2, 3));
        assert!(message.contains("constraint 'amount_capped' (amount < 100): 1 of 2"), "{message}");
    }
}
