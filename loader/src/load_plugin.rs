use std::sync::{Arc, Weak};

use dfpack_common::Error;
use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;
use parking_lot::RwLock;

use crate::Pack;
use crate::install::install_into_state;

/// `load_plugin('/path/to/libx.so')`: loads and installs a pack at run time,
/// from SQL, into the session it is called in. Returns one row per function
/// installed (none, and `already_installed = true`, when it was already there).
#[derive(Debug)]
pub struct LoadPluginFunction {
    // Weak: the session owns this function; a strong reference would be a cycle.
    session: Weak<RwLock<SessionState>>,
}

impl LoadPluginFunction {
    pub const NAME: &'static str = "load_plugin";

    pub fn new(ctx: &SessionContext) -> Self {
        LoadPluginFunction { session: ctx.state_weak_ref() }
    }
}

impl TableFunctionImpl for LoadPluginFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let path = match args.exprs() {
            [Expr::Literal(ScalarValue::Utf8(Some(path)), _)] => path.clone(),
            _ => return plan_err!("{}() takes one argument: the path of a plugin, as a string literal", Self::NAME),
        };
        let session = self
            .session
            .upgrade()
            .ok_or_else(|| Error::Internal("load_plugin() outlived its session".into()))?;
        let pack = Pack::load(&path)?;
        let report = install_into_state(&pack, &session, "")?;

        let schema = Arc::new(Schema::new(vec![
            Field::new("pack", DataType::Utf8, false),
            Field::new("version", DataType::Utf8, false),
            Field::new("function", DataType::Utf8, true),
            Field::new("kind", DataType::Utf8, true),
            Field::new("already_installed", DataType::Boolean, false),
        ]));
        let rows: Vec<(Option<&str>, Option<&str>)> = if report.functions.is_empty() {
            vec![(None, None)]
        } else {
            report.functions.iter().map(|(name, kind)| (Some(name.as_str()), Some(kind.as_str()))).collect()
        };
        let repeat = |value: &str| Arc::new(StringArray::from(vec![value; rows.len()])) as ArrayRef;
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                repeat(&report.pack_name),
                repeat(&report.pack_version),
                Arc::new(rows.iter().map(|row| row.0).collect::<StringArray>()),
                Arc::new(rows.iter().map(|row| row.1).collect::<StringArray>()),
                Arc::new(BooleanArray::from(vec![report.already_installed; rows.len()])),
            ],
        )?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}
