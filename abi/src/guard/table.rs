use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Constraints, Statistics};
use datafusion::error::Result;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;

use super::{GuardedExec, guarded, guarded_future};

/// A table function whose call, and every provider it returns, is panic-guarded.
#[derive(Debug)]
pub struct GuardedTableFunction {
    name: String,
    inner: Arc<dyn TableFunctionImpl>,
}

impl GuardedTableFunction {
    pub fn new(name: impl Into<String>, inner: Arc<dyn TableFunctionImpl>) -> Self {
        GuardedTableFunction { name: name.into(), inner }
    }
}

impl TableFunctionImpl for GuardedTableFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let provider = guarded(&self.name, || self.inner.call_with_args(args))?;
        Ok(Arc::new(GuardedTableProvider::new(self.name.clone(), provider)))
    }
}

/// A table provider whose scan (an async call) and the plans it returns are panic-guarded.
#[derive(Debug)]
pub struct GuardedTableProvider {
    name: String,
    inner: Arc<dyn TableProvider>,
}

impl GuardedTableProvider {
    pub fn new(name: impl Into<String>, inner: Arc<dyn TableProvider>) -> Self {
        GuardedTableProvider { name: name.into(), inner }
    }

    fn context(&self, what: &str) -> String {
        format!("{} ({what})", self.name)
    }

    async fn guarded_future<T>(&self, what: &str, future: impl Future<Output = Result<T>>) -> Result<T> {
        guarded_future(&self.context(what), future).await
    }

    fn guard_plan(&self, plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        Arc::new(GuardedExec::new(self.name.clone(), plan))
    }
}

#[async_trait]
impl TableProvider for GuardedTableProvider {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn get_table_definition(&self) -> Option<&str> {
        self.inner.get_table_definition()
    }

    fn get_logical_plan(&self) -> Option<Cow<'_, LogicalPlan>> {
        self.inner.get_logical_plan()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self
            .guarded_future("scan", self.inner.scan(state, projection, filters, limit))
            .await?;
        Ok(self.guard_plan(plan))
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        guarded(&self.context("filter pushdown"), || self.inner.supports_filters_pushdown(filters))
    }

    fn statistics(&self) -> Option<Statistics> {
        self.inner.statistics()
    }

    async fn insert_into(
        &self,
        state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self
            .guarded_future("insert", self.inner.insert_into(state, input, insert_op))
            .await?;
        Ok(self.guard_plan(plan))
    }
}
