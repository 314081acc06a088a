//! Delta introspection table functions: gated reads of the log only.
//!
//! | function | rows |
//! |---|---|
//! | `delta_snapshot(uri [, version])` | one: the version's protocol, schema, properties and fingerprint |
//! | `delta_history(uri [, limit])` | one per commit still in the log, newest first, from its `commitInfo` |
//! | `delta_add_actions(uri [, version])` | one per active data file of the version |
//! | `delta_protocol_check(uri [, gate_json])` | one: whether the version passes a gate, and why not |
//! | `pack_delta_scans()` | one per recent scan of a Delta table by this pack |
//!
//! And the contract functions (see `dfpack-contract-check`):
//!
//! | function | rows |
//! |---|---|
//! | `pack_contracts()` | one per contract-bound dataset |
//! | `pack_contract_check(dataset)` | one per way the dataset's table breaks its contract |
//! | `pack_contract_violations()` | one per recent data violation found by validation |
//!
//! Arguments are checked when the function is called (planning); the log is
//! read when the returned table is scanned, on the pack's runtime. Every
//! table is read under the default protocol gate, so these functions refuse
//! what the pack's table providers refuse, with the same message; only
//! `delta_protocol_check` reports a refusal as a row instead.

use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::logical_expr::{DocSection, Documentation};

use crate::DeltaEnv;
use crate::contracts::ContractRegistry;

mod add_actions;
mod args;
mod columns;
mod contract_check;
mod contract_violations;
mod contracts;
mod history;
mod log_table;
mod protocol_check;
mod scans;
mod snapshot;
#[cfg(test)]
pub(crate) mod test_support;

pub use add_actions::DeltaAddActionsFunction;
pub use contract_check::PackContractCheckFunction;
pub use contract_violations::PackContractViolationsFunction;
pub use contracts::PackContractsFunction;
pub use history::DeltaHistoryFunction;
pub use protocol_check::DeltaProtocolCheckFunction;
pub use scans::PackDeltaScansFunction;
pub use snapshot::DeltaSnapshotFunction;

/// One table function with its name and documentation, ready to register
/// (`SessionContext::register_udtf`) or export through the plugin.
#[derive(Debug, Clone)]
pub struct DeltaTableFunction {
    pub name: &'static str,
    pub function: Arc<dyn TableFunctionImpl>,
    pub documentation: Documentation,
}

/// Every Delta table function, reading through `env`.
pub fn table_functions(env: Arc<DeltaEnv>) -> Vec<DeltaTableFunction> {
    vec![
        DeltaSnapshotFunction::function(Arc::clone(&env)),
        DeltaHistoryFunction::function(Arc::clone(&env)),
        DeltaAddActionsFunction::function(Arc::clone(&env)),
        DeltaProtocolCheckFunction::function(Arc::clone(&env)),
        PackDeltaScansFunction::function(env),
    ]
}

/// The contract functions: `registry` holds the contract-bound datasets.
pub fn contract_functions(env: Arc<DeltaEnv>, registry: Arc<ContractRegistry>) -> Vec<DeltaTableFunction> {
    vec![
        PackContractsFunction::function(Arc::clone(&env), Arc::clone(&registry)),
        PackContractCheckFunction::function(Arc::clone(&env), registry),
        PackContractViolationsFunction::function(env),
    ]
}

/// The documentation section of the contract functions.
const CONTRACT_DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "Contracts",
    description: Some("Datasets' schema contracts: what they are, whether tables match them, what validation found"),
};

/// The documentation section of every Delta function here.
const DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "Delta Lake introspection",
    description: Some(
        "What a Delta table's log says: snapshots, history, files, protocol; and the pack's recent scans",
    ),
};

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use tokio::runtime::Handle;

    use super::*;
    use crate::CachePolicy;

    #[tokio::test(flavor = "multi_thread")]
    async fn names_are_unique_and_every_function_is_documented() {
        let env = DeltaEnv::new(Handle::current(), CachePolicy::default());
        let mut seen = HashSet::new();
        for function in table_functions(env) {
            assert!(seen.insert(function.name), "{} is listed twice", function.name);
            let doc = &function.documentation;
            assert!(!doc.description.is_empty(), "{} has no description", function.name);
            assert!(doc.syntax_example.starts_with(function.name), "{}: {}", function.name, doc.syntax_example);
            let example = doc.sql_example.as_deref().unwrap_or_default();
            assert!(example.contains(function.name), "{} has no SQL example using it", function.name);
            // A function without arguments documents none; the others document each.
            let arguments = doc.arguments.as_ref().map_or(0, Vec::len);
            let expected = doc.syntax_example.matches(',').count() + usize::from(!doc.syntax_example.ends_with("()"));
            assert_eq!(arguments, expected, "{}: arguments of {}", function.name, doc.syntax_example);
        }
        assert_eq!(seen.len(), 5);
    }
}
