//! Host-side proxies of a pack's table functions that let filters reach the
//! pack's scan.
//!
//! datafusion-ffi 55 wraps every table a foreign table function returns as a
//! provider without filter pushdown, so `read_delta(…) WHERE year = '2021'`
//! would read every file. The filters still cross FFI with the scan; this
//! proxy declares the simple ones (column comparisons with literals, `IN`,
//! `IS NULL`, `BETWEEN`, and `AND`/`OR`/`NOT` of those) `Inexact`, so the pack
//! prunes with them and DataFusion still applies them above the scan.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;

#[derive(Debug)]
pub(crate) struct PushdownTableFunction(pub(crate) Arc<dyn TableFunctionImpl>);

impl TableFunctionImpl for PushdownTableFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        Ok(Arc::new(InexactFilters(self.0.call_with_args(args)?)))
    }
}

#[derive(Debug)]
struct InexactFilters(Arc<dyn TableProvider>);

#[async_trait]
impl TableProvider for InexactFilters {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        self.0.table_type()
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|filter| {
                if is_simple(filter) {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.0.scan(session, projection, filters, limit).await
    }
}

/// Columns, literals and the operators every provider can prune with: no
/// function calls, which the pack might not be able to decode.
fn is_simple(expr: &Expr) -> bool {
    match expr {
        Expr::Column(_) | Expr::Literal(..) => true,
        Expr::BinaryExpr(binary) => is_simple(&binary.left) && is_simple(&binary.right),
        Expr::Not(inner) | Expr::IsNull(inner) | Expr::IsNotNull(inner) => is_simple(inner),
        Expr::Between(between) => is_simple(&between.expr) && is_simple(&between.low) && is_simple(&between.high),
        Expr::InList(in_list) => is_simple(&in_list.expr) && in_list.list.iter().all(is_simple),
        Expr::Cast(cast) => is_simple(&cast.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};

    use super::*;

    #[test]
    fn comparisons_of_columns_with_literals_are_simple_and_calls_are_not() {
        assert!(is_simple(&col("year").eq(lit("2021")).and(col("id").between(lit(1), lit(9)))));
        assert!(is_simple(&col("day").in_list(vec![lit(1), lit(2)], false).or(col("x").is_null())));
        let call = datafusion::functions::expr_fn::upper(col("name")).eq(lit("A"));
        assert!(!is_simple(&call));
    }
}
