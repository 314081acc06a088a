//! `CREATE EXTERNAL TABLE t STORED AS DELTATABLE LOCATION '…' OPTIONS (…)`:
//! a Delta table added at run time, gated like a configured dataset.
//!
//! Options: `version` or `timestamp`; the gate's `min_reader_version`,
//! `min_writer_version`, `required_reader_features`, `required_writer_features`
//! (comma-separated); scan options `file_column`, `parquet_pushdown`,
//! `wrap_partition_values`; and `storage.<key>` for the table's storage options.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::CreateExternalTable;
use dfpack_common::Error;
use dfpack_contracts::{FeatureGate, TableReference};

use crate::config::ScanOptions;
use crate::gate::ProtocolGate;
use crate::live::{LiveDeltaTable, TableSpec};
use crate::table::{TableReferenceExt, VersionSpec, parse_timestamp};
use crate::DeltaEnv;

/// The `STORED AS` name this factory is registered under.
pub const DELTA_FORMAT: &str = "DELTATABLE";

#[derive(Debug)]
pub struct DeltaTableFactory {
    env: Arc<DeltaEnv>,
}

impl DeltaTableFactory {
    pub fn new(env: Arc<DeltaEnv>) -> DeltaTableFactory {
        DeltaTableFactory { env }
    }
}

#[async_trait]
impl TableProviderFactory for DeltaTableFactory {
    async fn create(&self, _state: &dyn Session, cmd: &CreateExternalTable) -> Result<Arc<dyn TableProvider>> {
        let [location] = cmd.locations.as_slice() else {
            return Err(DataFusionError::from(Error::Config(format!(
                "a Delta table has one location, {} were given",
                cmd.locations.len()
            ))));
        };
        let name = cmd.name.to_string();
        let spec = spec_from_options(&name, location, &cmd.options).map_err(DataFusionError::from)?;
        let table = LiveDeltaTable::open(spec, Arc::clone(&self.env)).await?;
        Ok(Arc::new(table))
    }
}

/// Decodes the table's options; every bad option is reported at once.
pub fn spec_from_options(
    name: &str,
    location: &str,
    options: &std::collections::HashMap<String, String>,
) -> dfpack_common::Result<TableSpec> {
    let mut problems = Vec::new();
    let mut gate = FeatureGate::default();
    let mut scan = ScanOptions::default();
    let mut storage_options = BTreeMap::new();
    let (mut version, mut timestamp) = (None, None);
    let mut sorted: Vec<(&String, &String)> = options.iter().collect();
    sorted.sort();
    for (key, value) in sorted {
        // DataFusion's SQL planner lowercases option keys and prefixes those
        // without a dot with `format.`: `'version'` arrives as `format.version`.
        let key_lower = key.to_ascii_lowercase();
        let key_lower = key_lower.strip_prefix("format.").unwrap_or(&key_lower).to_string();
        let problem = |why: String| format!("option '{key_lower}': {why}");
        let features = |value: &str| -> Vec<String> {
            value.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_string).collect()
        };
        match key_lower.as_str() {
            "version" => match value.parse::<u64>() {
                Ok(v) => version = Some(v),
                Err(_) => problems.push(problem(format!("expected a non-negative integer, found '{value}'"))),
            },
            "timestamp" => match parse_timestamp(value) {
                Ok(ts) => timestamp = Some(ts),
                Err(why) => problems.push(problem(why)),
            },
            "min_reader_version" => match value.parse::<i32>() {
                Ok(v @ 1..=3) => gate.min_reader_version = Some(v),
                _ => problems.push(problem(format!("expected 1, 2 or 3, found '{value}'"))),
            },
            "min_writer_version" => match value.parse::<i32>() {
                Ok(v @ 1..=7) => gate.min_writer_version = Some(v),
                _ => problems.push(problem(format!("expected 1 to 7, found '{value}'"))),
            },
            "required_reader_features" => gate.required_reader_features = Some(features(value)),
            "required_writer_features" => gate.required_writer_features = Some(features(value)),
            "file_column" => scan.file_column = Some(value.clone()),
            "parquet_pushdown" | "wrap_partition_values" => {
                let flag = match value.to_ascii_lowercase().as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                };
                match (flag, key_lower.as_str()) {
                    (Some(flag), "parquet_pushdown") => scan.parquet_pushdown = Some(flag),
                    (Some(flag), _) => scan.wrap_partition_values = Some(flag),
                    (None, _) => problems.push(problem(format!("expected true or false, found '{value}'"))),
                }
            }
            other => match other.strip_prefix("storage.") {
                Some(storage_key) if !storage_key.is_empty() => {
                    storage_options.insert(storage_key.to_string(), value.clone());
                }
                _ => problems.push(problem(
                    "unknown option (expected version, timestamp, min_reader_version, min_writer_version, \
                     required_reader_features, required_writer_features, file_column, parquet_pushdown, \
                     wrap_partition_values, or storage.<key>)"
                        .to_string(),
                )),
            },
        }
    }
    let at = match (version, timestamp) {
        (Some(_), Some(_)) => {
            problems.push("give either option 'version' or option 'timestamp', not both".to_string());
            VersionSpec::Latest
        }
        (Some(v), None) => VersionSpec::Version(v),
        (None, Some(ts)) => VersionSpec::Timestamp(ts),
        (None, None) => VersionSpec::Latest,
    };
    if let Err(why) = crate::table::parse_table_uri(location) {
        problems.push(format!("location {why}"));
    }
    if !problems.is_empty() {
        return Err(Error::Config(format!("CREATE EXTERNAL TABLE {name}: {}", problems.join("; "))));
    }
    let table = TableReference {
        storage_options: (!storage_options.is_empty()).then_some(storage_options),
        ..TableReference::local(location).at(at)
    };
    Ok(TableSpec { name: name.to_string(), table, gate: ProtocolGate::from(gate), scan })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn options(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn options_become_a_gated_versioned_table_spec() {
        let spec = spec_from_options(
            "t",
            "s3://bucket/t",
            &options(&[
                ("version", "3"),
                ("required_reader_features", "deletionVectors, columnMapping"),
                ("storage.aws_region", "eu-west-1"),
                ("format.file_column", "_file"),
            ]),
        )
        .expect("valid options");
        assert_eq!(spec.table.version_spec().unwrap(), VersionSpec::Version(3));
        assert_eq!(
            spec.gate.spec().required_reader_features.as_deref(),
            Some(&["deletionVectors".to_string(), "columnMapping".to_string()][..])
        );
        let region = spec.table.storage_options.as_ref().and_then(|o| o.get("aws_region"));
        assert_eq!(region.map(String::as_str), Some("eu-west-1"));
        assert_eq!(spec.scan.file_column.as_deref(), Some("_file"));
    }

    #[test]
    fn every_bad_option_is_reported() {
        let error = spec_from_options(
            "t",
            "/t",
            &options(&[("version", "x"), ("timestamp", "2024-01-01"), ("min_reader_version", "9"), ("colour", "red")]),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "[dfpack:config] CREATE EXTERNAL TABLE t: option 'colour': unknown option (expected version, timestamp, \
             min_reader_version, min_writer_version, required_reader_features, required_writer_features, \
             file_column, parquet_pushdown, wrap_partition_values, or storage.<key>); option 'min_reader_version': \
             expected 1, 2 or 3, found '9'; option 'version': expected a non-negative integer, found 'x'"
        );
    }
}
