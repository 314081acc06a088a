use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;

use super::guarded;

/// A physical optimizer rule whose `optimize` is panic-guarded. Its name is the rule's.
#[derive(Debug)]
pub struct GuardedPhysicalRule {
    name: String,
    inner: Arc<dyn PhysicalOptimizerRule + Send + Sync>,
}

impl GuardedPhysicalRule {
    pub fn new(inner: Arc<dyn PhysicalOptimizerRule + Send + Sync>) -> Self {
        GuardedPhysicalRule { name: inner.name().to_string(), inner }
    }
}

impl PhysicalOptimizerRule for GuardedPhysicalRule {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        guarded(&self.name, || self.inner.optimize(plan, config))
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn schema_check(&self) -> bool {
        self.inner.schema_check()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::empty::EmptyExec;
    use dfpack_common::ErrorKind;

    use super::*;

    #[derive(Debug)]
    struct Panicking;

    impl PhysicalOptimizerRule for Panicking {
        fn optimize(&self, _: Arc<dyn ExecutionPlan>, _: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
            panic!("rule boom")
        }

        fn name(&self) -> &str {
            "panicking"
        }

        fn schema_check(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_panicking_rule_gives_an_internal_error_naming_it() {
        let rule = GuardedPhysicalRule::new(Arc::new(Panicking));
        let plan = Arc::new(EmptyExec::new(Arc::new(datafusion::arrow::datatypes::Schema::empty())));
        let error = rule.optimize(plan, &ConfigOptions::default()).expect_err("panicked");
        assert_eq!(ErrorKind::find_in(&error.to_string()), Some(ErrorKind::Internal));
        assert!(error.to_string().contains("panic in panicking: rule boom"), "{error}");
        assert_eq!(rule.name(), "panicking");
    }
}
