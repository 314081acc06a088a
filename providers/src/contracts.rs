//! The contract-bound datasets of the configs this pack has built catalogs
//! from, for the contract table functions (`pack_contracts`,
//! `pack_contract_check`). A dataset of a later config replaces one of the
//! same name.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::DeltaEnv;
use crate::config::{DatasetConfig, PackConfig};

/// A contract-bound dataset, with the environment its catalog reads it through.
#[derive(Debug, Clone)]
pub struct BoundDataset {
    pub config: DatasetConfig,
    pub env: Arc<DeltaEnv>,
}

#[derive(Debug, Default)]
pub struct ContractRegistry {
    datasets: RwLock<BTreeMap<String, BoundDataset>>,
}

impl ContractRegistry {
    /// Adds the contract-bound datasets of `config`, read through `env`.
    pub fn register(&self, config: &PackConfig, env: &Arc<DeltaEnv>) {
        let mut datasets = self.datasets.write();
        for dataset in config.datasets.values().filter(|d| d.contract().is_some()) {
            datasets.insert(dataset.name.clone(), BoundDataset { config: dataset.clone(), env: Arc::clone(env) });
        }
    }

    /// Every contract-bound dataset, by name.
    pub fn datasets(&self) -> Vec<BoundDataset> {
        self.datasets.read().values().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<BoundDataset> {
        self.datasets.read().get(name).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.datasets.read().keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::SessionContext;
    use dfpack_contract_check::ContractRule;
    use tokio::runtime::Handle;

    use crate::DeltaPack;
    use crate::functions::test_support::{error, rows, table};

    /// A session with the pack's catalog built from `config`, its functions and the contract rule.
    fn session(config: &str) -> SessionContext {
        let pack = DeltaPack::new(Handle::current());
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_physical_optimizer_rule(std::sync::Arc::new(ContractRule::new()))
            .build();
        let ctx = SessionContext::new_with_state(state);
        let configured = pack.catalog(&config.replace("${TABLE}", &table("simple_table"))).expect("a catalog");
        ctx.register_catalog(&configured.name, configured.catalog);
        for function in pack.table_functions() {
            ctx.register_udtf(function.name, function.function);
        }
        ctx
    }

    const CONFIG: &str = r#"
        [datasets.loose]
        table_uri = '${TABLE}'
        contract = { evolution = "relaxed", schema = { fields = [{ name = "id", type = { type = "int64" }, nullable = false }] } }

        [datasets.tight]
        table_uri = '${TABLE}'
        contract = { evolution = "strict", schema = { fields = [{ name = "id", type = { type = "int32" }, nullable = false }, { name = "name", type = { type = "utf8" }, nullable = true }] } }

        [datasets.checked]
        table_uri = '${TABLE}'
        contract = { evolution = "additive", schema = { fields = [{ name = "id", type = { type = "int64" }, nullable = true }] }, check_constraints = [{ name = "small_id", expression = "id < 7" }] }
        validation = { enabled = true, mode = "warn" }

        [datasets.plain]
        table_uri = '${TABLE}'
    "#;

    #[tokio::test(flavor = "multi_thread")]
    async fn drift_is_caught_per_policy_and_listed_by_the_functions() {
        let ctx = session(CONFIG);
        let all = rows(&ctx, "SELECT id FROM delta.default.plain ORDER BY id").await;
        assert_eq!(rows(&ctx, "SELECT id FROM delta.default.loose ORDER BY id").await, all);
        let message = error(&ctx, "SELECT * FROM delta.default.tight").await;
        assert!(
            message.contains(
                "[dfpack:contract] dataset 'tight' at version 4 does not match its contract (evolution strict, read): \
                 column 'id': expected type Int32, found Int64; column 'id': expected NOT NULL, found nullable; \
                 column 'name' is missing (expected Utf8)"
            ),
            "{message}"
        );
        let check = rows(&ctx, "SELECT dataset, version, kind, \"column\", expected, found FROM pack_contract_check('tight')").await;
        assert_eq!(
            check,
            [
                ["tight", "4", "type_mismatch", "id", "Int32", "Int64"],
                ["tight", "4", "nullability", "id", "NOT NULL", "nullable"],
                ["tight", "4", "missing_column", "name", "Utf8", "no such column"],
            ]
        );
        assert!(rows(&ctx, "SELECT * FROM pack_contract_check('loose')").await.is_empty());
        let message = error(&ctx, "SELECT * FROM pack_contract_check('plain')").await;
        assert_eq!(
            message,
            "Error during planning: pack_contract_check: no contract-bound dataset 'plain' \
             (contract-bound datasets: checked, loose, tight)"
        );
        let listed = rows(&ctx, "SELECT dataset, evolution, array_to_string(columns, '|'), array_to_string(constraints, '|'), validation FROM pack_contracts()").await;
        assert_eq!(
            listed,
            [
                ["checked", "additive", "id Int64", "small_id: id < 7", r#"{"enabled":true,"mode":"warn"}"#],
                ["loose", "relaxed", "id Int64 NOT NULL", "", "NULL"],
                ["tight", "strict", "id Int32 NOT NULL|name Utf8", "", "NULL"],
            ]
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn warn_validation_of_a_real_table_records_what_fails() {
        let ctx = session(CONFIG);
        // Each scan partition records its own violations, and one without
        // failing rows records nothing: one partition, so `rows_checked` is every row.
        ctx.sql("SET datafusion.execution.target_partitions = 1").await.expect("set").collect().await.expect("set");
        let ids = rows(&ctx, "SELECT id FROM delta.default.checked ORDER BY id").await;
        let failing = ids.iter().filter(|row| row[0].parse::<i64>().expect("an id") >= 7).count();
        let recorded = rows(
            &ctx,
            "SELECT sum(failing_rows), sum(rows_checked), min(mode), min(\"check\") FROM pack_contract_violations() \
             WHERE dataset = 'checked'",
        )
        .await;
        assert_eq!(recorded, [[failing.to_string(), ids.len().to_string(), "warn".into(), "check_constraint".into()]]);
    }

    #[test]
    fn the_readme_contract_example_is_a_valid_config() {
        let readme = include_str!("../../README.md");
        let start = readme.find("[datasets.orders]").expect("the README's contract example");
        let example = &readme[start..start + readme[start..].find("```").expect("the example's end")];
        let config = crate::PackConfig::parse_text(example).unwrap_or_else(|e| panic!("{e}\n{example}"));
        let orders = &config.datasets["orders"];
        let contract = orders.contract().expect("a contract");
        assert_eq!((contract.schema.fields.len(), contract.evolution.as_str()), (2, "additive"));
        assert!(orders.validation().is_some_and(|v| v.enabled));
    }
}
