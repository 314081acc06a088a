//! `read_delta(uri [, version | timestamp])`: any Delta table by location,
//! under the default gate.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{DocSection, Documentation, Expr};
use dfpack_common::Error;

use crate::config::ScanOptions;
use crate::gate::ProtocolGate;
use crate::table::{TableReferenceExt, VersionSpec, parse_timestamp};
use dfpack_contracts::TableReference;
use crate::DeltaEnv;

pub const READ_DELTA: &str = "read_delta";

#[derive(Debug)]
pub struct ReadDelta {
    env: Arc<DeltaEnv>,
}

impl ReadDelta {
    pub fn new(env: Arc<DeltaEnv>) -> ReadDelta {
        ReadDelta { env }
    }

    pub fn documentation() -> Documentation {
        Documentation::builder(
            DocSection { include: true, label: "dfpack Delta Lake", description: Some("Delta tables through dfpack") },
            "Reads a Delta table by location (a local path or an s3://, gs://, az:// URL), at its latest version, \
             a given version, or the newest version at a timestamp. The table is held against the pack's default \
             protocol gate: a table needing a reader feature the pack cannot honour is refused by name. \
             Filters, projections and limits are applied inside the scan (partition and file-statistics pruning).",
            "read_delta(uri [, version | timestamp])",
        )
        .with_argument("uri", "The table's root: a local path or an object-store URL.")
        .with_argument(
            "version_or_timestamp",
            "Optional. An integer: the table version to read; or a string, an RFC 3339 time or a date: \
             the newest version committed by then.",
        )
        .with_sql_example("SELECT count(*) FROM read_delta('/data/events', 3);")
        .build()
    }
}

impl TableFunctionImpl for ReadDelta {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let table = table_argument(args.exprs()).map_err(DataFusionError::from)?;
        let env = Arc::clone(&self.env);
        // Table functions are planned synchronously; resolution runs on the
        // pack's runtime while this thread waits.
        let provider = futures::executor::block_on(async move {
            let name = table.uri.clone();
            env.provider(&name, &table, &ProtocolGate::default(), &ScanOptions::default()).await
        })?;
        Ok(provider)
    }
}

fn table_argument(exprs: &[Expr]) -> dfpack_common::Result<TableReference> {
    let literal = |expr: &Expr| match expr {
        Expr::Literal(value, _) => Some(value.clone()),
        _ => None,
    };
    let usage = "read_delta(uri [, version | timestamp])";
    let uri = match exprs.first().and_then(literal) {
        Some(ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s))) => s,
        _ => return Err(Error::Config(format!("{usage}: the first argument must be a string literal (the table URI)"))),
    };
    let at = match exprs.get(1).map(|expr| (expr, literal(expr))) {
        None => VersionSpec::Latest,
        Some((_, Some(value))) if value.data_type().is_integer() && !value.is_null() => {
            let version = value
                .cast_to(&datafusion::arrow::datatypes::DataType::Int64)
                .ok()
                .and_then(|v| if let ScalarValue::Int64(Some(v)) = v { u64::try_from(v).ok() } else { None })
                .ok_or_else(|| Error::Config(format!("{usage}: version must be a non-negative integer, got {value}")))?;
            VersionSpec::Version(version)
        }
        Some((_, Some(ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s))))) => {
            VersionSpec::Timestamp(parse_timestamp(&s).map_err(|why| Error::Config(format!("{usage}: timestamp {why}")))?)
        }
        Some((expr, _)) => {
            return Err(Error::Config(format!(
                "{usage}: the second argument must be an integer version or a timestamp string, got {expr}"
            )));
        }
    };
    if exprs.len() > 2 {
        return Err(Error::Config(format!("{usage}: takes at most 2 arguments, got {}", exprs.len())));
    }
    Ok(TableReference::local(uri).at(at))
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::lit;

    use super::*;

    #[test]
    fn arguments_select_the_version() {
        assert_eq!(table_argument(&[lit("/t")]).expect("valid").version_spec().unwrap(), VersionSpec::Latest);
        let pinned = table_argument(&[lit("/t"), lit(3i64)]).expect("valid");
        assert_eq!(pinned.version_spec().unwrap(), VersionSpec::Version(3));
        let at = table_argument(&[lit("/t"), lit("2024-01-02T00:00:00Z")]).expect("valid").version_spec().unwrap();
        assert!(matches!(at, VersionSpec::Timestamp(ts) if ts.to_rfc3339() == "2024-01-02T00:00:00+00:00"));
    }

    #[test]
    fn bad_arguments_say_what_is_expected() {
        let error = table_argument(&[lit(1)]).unwrap_err().to_string();
        assert!(error.contains("the first argument must be a string literal"), "{error}");
        let error = table_argument(&[lit("/t"), lit(-1i64)]).unwrap_err().to_string();
        assert!(error.contains("version must be a non-negative integer"), "{error}");
        let error = table_argument(&[lit("/t"), lit("yesterday")]).unwrap_err().to_string();
        assert!(error.contains("'yesterday' is not an RFC 3339 timestamp"), "{error}");
    }
}
