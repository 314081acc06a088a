//! The pack config: a catalog of Delta datasets, each with its gate and scan
//! options. TOML or JSON, decoded strictly: every error of a file is reported
//! at once, each naming its path, and nothing is built from a file with errors.

mod decode;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use dfpack_common::{Error, Result};
use serde_json::Value;

pub(crate) use decode::{Problems, Table};

use dfpack_contracts::decode::{Decode, Node};
use dfpack_contracts::{CommitOptions, ContractSpec, DatasetSpec, FeatureGate, TableReference, ValidationPolicy};
/// How a dataset is scanned: the payload type generated from `schemas/scan_options.json`.
pub use dfpack_contracts::ScanOptions;

use crate::gate::ProtocolGate;
use crate::table::{format_timestamp, parse_timestamp};

/// The catalog name used when the config does not give one.
pub const DEFAULT_CATALOG: &str = "delta";
/// The schema of a dataset that names none.
pub const DEFAULT_SCHEMA: &str = "default";

#[derive(Debug, Clone, PartialEq)]
pub struct PackConfig {
    pub catalog: String,
    /// Every schema of the catalog, datasets' schemas included.
    pub schemas: Vec<String>,
    pub datasets: BTreeMap<String, DatasetConfig>,
    pub cache: CachePolicy,
}

impl Default for PackConfig {
    fn default() -> Self {
        PackConfig {
            catalog: DEFAULT_CATALOG.to_string(),
            schemas: vec![DEFAULT_SCHEMA.to_string()],
            datasets: BTreeMap::new(),
            cache: CachePolicy::default(),
        }
    }
}

/// A dataset of the config: its name and the schema's `DatasetSpec`, with
/// the two things resolved from it that every use needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetConfig {
    pub name: String,
    /// The dataset as configured: its `[datasets.<name>]` table.
    pub spec: DatasetSpec,
    /// Its table: the spec's `table_uri`, `storage_options`, `version` and
    /// `timestamp` (that in one spelling).
    pub table: TableReference,
    /// Its gate: the spec's, else the config's default gate.
    pub gate: ProtocolGate,
}

impl DatasetConfig {
    /// The catalog schema it is listed in.
    pub fn schema(&self) -> &str {
        self.spec.schema.as_deref().unwrap_or(DEFAULT_SCHEMA)
    }

    pub fn scan(&self) -> ScanOptions {
        self.spec.scan.clone().unwrap_or_default()
    }

    /// What the dataset must look like; `None`: not contract-bound.
    pub fn contract(&self) -> Option<&ContractSpec> {
        self.spec.contract.as_ref()
    }

    /// How its data is checked against the contract at run time; `None`: not checked.
    pub fn validation(&self) -> Option<&ValidationPolicy> {
        self.spec.validation.as_ref()
    }

    /// Create the table from the contract's schema on the first write.
    pub fn create_if_missing(&self) -> bool {
        self.spec.create_if_missing.unwrap_or(false)
    }

    /// The partition columns of a table the pack creates, in order.
    pub fn partition_columns(&self) -> &[String] {
        self.spec.partition_columns.as_deref().unwrap_or_default()
    }

    /// How writes to the dataset commit (per-write options override these).
    pub fn commit(&self) -> CommitOptions {
        self.spec.commit.clone().unwrap_or_default()
    }
}

/// When a cached snapshot of a table's latest version is checked for new commits.
/// Pinned versions never change and are always served from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CachePolicy {
    /// Every query checks for new commits (a listing of the log), and replays only those.
    #[default]
    CheckEveryQuery,
    /// A snapshot younger than this is used without checking.
    MaxStaleness(Duration),
    /// Nothing is cached: every query reads the log afresh.
    Disabled,
}

/// Where a config came from: used to pick the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    Toml,
    Json,
}

impl ConfigFormat {
    /// JSON for `.json` files, TOML otherwise.
    pub fn of_path(path: &Path) -> ConfigFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => ConfigFormat::Json,
            _ => ConfigFormat::Toml,
        }
    }

    /// JSON when the text starts with `{`, TOML otherwise.
    pub fn sniff(text: &str) -> ConfigFormat {
        if text.trim_start().starts_with('{') { ConfigFormat::Json } else { ConfigFormat::Toml }
    }
}

impl PackConfig {
    pub fn from_file(path: &Path) -> Result<PackConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read pack config '{}': {e}", path.display())))?;
        PackConfig::parse(&text, ConfigFormat::of_path(path))
            .map_err(|e| Error::Config(format!("pack config '{}': {}", path.display(), e.untagged())))
    }

    /// Parses a config, sniffing its format.
    pub fn parse_text(text: &str) -> Result<PackConfig> {
        PackConfig::parse(text, ConfigFormat::sniff(text))
    }

    pub fn parse(text: &str, format: ConfigFormat) -> Result<PackConfig> {
        let value = match format {
            ConfigFormat::Json => serde_json::from_str::<Value>(text).map_err(|e| format!("invalid JSON: {e}")),
            ConfigFormat::Toml => decode::toml_to_json(text).map_err(|e| format!("invalid TOML: {e}")),
        }
        .map_err(Error::Config)?;
        PackConfig::from_value(&value).map_err(|problems| {
            let count = problems.len();
            let noun = if count == 1 { "error" } else { "errors" };
            Error::Config(format!("{count} {noun}, nothing was registered:\n  {}", problems.join("\n  ")))
        })
    }

    /// Decodes a parsed document; `Err` holds every problem found.
    pub fn from_value(value: &Value) -> std::result::Result<PackConfig, Vec<String>> {
        let mut problems = Problems::default();
        let mut config = PackConfig::default();
        let Some(mut root) = Table::of(value, "", &mut problems) else {
            return problems.into_result(config);
        };
        let mut declared_schemas = None;
        if let Some(mut catalog) = root.table("catalog", &mut problems) {
            if let Some(name) = catalog.string("name", &mut problems) {
                match check_identifier(&name) {
                    Ok(()) => config.catalog = name,
                    Err(why) => problems.push(&catalog.child_path("name"), why),
                }
            }
            if let Some(schemas) = catalog.strings("schemas", &mut problems) {
                for (i, schema) in schemas.iter().enumerate() {
                    if let Err(why) = check_identifier(schema) {
                        problems.push(&format!("{}[{i}]", catalog.child_path("schemas")), why);
                    }
                }
                declared_schemas = Some(schemas);
            }
            catalog.finish(&mut problems);
        }
        if let Some(cache) = root.table("cache", &mut problems) {
            config.cache = decode_cache(cache, &mut problems);
        }
        let default_gate = generated::<FeatureGate>(&mut root, "gate", &mut problems)
            .map(ProtocolGate::from)
            .unwrap_or_default();
        if let Some(datasets) = root.table("datasets", &mut problems) {
            for (name, value) in datasets.entries() {
                let path = datasets.child_path(name);
                if let Err(why) = check_identifier(name) {
                    problems.push(&path, why);
                }
                if let Some(table) = Table::of(value, &path, &mut problems)
                    && let Some(dataset) = decode_dataset(name, table, &default_gate, &mut problems)
                {
                    config.datasets.insert(name.clone(), dataset);
                }
            }
            // Its keys are dataset names: every one was read above.
        }
        root.finish(&mut problems);

        let mut schemas = declared_schemas.clone().unwrap_or_else(|| vec![DEFAULT_SCHEMA.to_string()]);
        for dataset in config.datasets.values() {
            let schema = dataset.schema();
            if schemas.iter().any(|s| s == schema) {
                continue;
            }
            if declared_schemas.is_some() {
                problems.push(
                    &format!("datasets.{}.schema", dataset.name),
                    format!("'{schema}' is not one of catalog.schemas ({})", schemas.join(", ")),
                );
            } else {
                schemas.push(schema.to_string());
            }
        }
        config.schemas = schemas;
        problems.into_result(config)
    }

    /// The datasets of one schema.
    pub fn datasets_in(&self, schema: &str) -> impl Iterator<Item = &DatasetConfig> {
        self.datasets.values().filter(move |d| d.schema() == schema)
    }
}

/// Names become SQL identifiers: keep them to what needs no quoting.
fn check_identifier(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!("'{name}' is not a valid name (lowercase letters, digits and '_', not starting with a digit)"))
    }
}

fn decode_cache(mut table: Table<'_>, problems: &mut Problems) -> CachePolicy {
    let refresh = table.choice("refresh", &["every_query", "max_staleness", "disabled"], problems);
    let staleness = table.integer("max_staleness_ms", u64::MAX, problems);
    let policy = match (refresh.as_deref(), staleness) {
        (Some("max_staleness"), Some(ms)) => CachePolicy::MaxStaleness(Duration::from_millis(ms)),
        (Some("max_staleness"), None) => {
            problems.push(&table.child_path("max_staleness_ms"), "is required when refresh = 'max_staleness'");
            CachePolicy::default()
        }
        (Some(other), Some(_)) => {
            problems.push(
                &table.child_path("max_staleness_ms"),
                format!("applies only to refresh = 'max_staleness', not '{other}'"),
            );
            CachePolicy::default()
        }
        (Some("disabled"), None) => CachePolicy::Disabled,
        _ => CachePolicy::CheckEveryQuery,
    };
    table.finish(problems);
    policy
}

/// Reads a dataset key by key, so that every problem of a file is reported
/// at once with its path (the nested payloads with their generated decoders),
/// then holds the whole `DatasetSpec` to its schema.
fn decode_dataset(
    name: &str,
    mut table: Table<'_>,
    default_gate: &ProtocolGate,
    problems: &mut Problems,
) -> Option<DatasetConfig> {
    let before = problems.len();
    let schema = table.string("schema", problems);
    if let Some(schema) = &schema
        && let Err(why) = check_identifier(schema)
    {
        problems.push(&table.child_path("schema"), why);
    }
    let uri = table.required_string("table_uri", problems);
    if let Some(uri) = &uri
        && let Err(why) = crate::table::parse_table_uri(uri)
    {
        problems.push(&table.child_path("table_uri"), why);
    }
    let storage_options = table.string_map("storage_options", problems);
    let version = table.integer("version", i64::MAX as u64, problems);
    let timestamp = table.string("timestamp", problems);
    let at = timestamp.as_deref().and_then(|text| match parse_timestamp(text) {
        Ok(ts) => Some(ts),
        Err(why) => {
            problems.push(&table.child_path("timestamp"), why);
            None
        }
    });
    if version.is_some() && timestamp.is_some() {
        problems.push(table.path(), "give either version or timestamp, not both");
    }
    let spec = DatasetSpec {
        schema,
        table_uri: uri.unwrap_or_default(),
        storage_options,
        version,
        timestamp,
        gate: generated(&mut table, "gate", problems),
        scan: generated(&mut table, "scan", problems),
        contract: generated(&mut table, "contract", problems),
        validation: generated(&mut table, "validation", problems),
        create_if_missing: table.bool("create_if_missing", problems),
        partition_columns: table.strings("partition_columns", problems),
        commit: generated(&mut table, "commit", problems),
    };
    check_contract_use(&table, &spec, problems);
    let path = table.path().to_string();
    table.finish(problems);
    if problems.len() != before {
        return None;
    }
    // What reading key by key does not check (unique partition columns, ...).
    let as_written = serde_json::to_value(&spec).map_err(|e| problems.push(&path, e.to_string())).ok()?;
    decode_generated::<DatasetSpec>(&as_written, &path, problems)?;
    let reference = TableReference {
        uri: spec.table_uri.clone(),
        storage_options: spec.storage_options.clone().filter(|options| !options.is_empty()),
        version: spec.version,
        timestamp: at.map(format_timestamp),
    };
    let gate = spec.gate.clone().map_or_else(|| default_gate.clone(), ProtocolGate::from);
    Some(DatasetConfig { name: name.to_string(), spec, table: reference, gate })
}

/// Decodes `key` with the decoder generated from its JSON Schema, reporting
/// each problem under the config path of the value.
fn generated<T: Decode>(table: &mut Table<'_>, key: &'static str, problems: &mut Problems) -> Option<T> {
    let path = table.child_path(key);
    decode_generated(table.value(key)?, &path, problems)
}

/// Decodes `value`, found at config path `path`, with the decoder generated
/// from its type's JSON Schema; each problem is reported under that path.
pub(crate) fn decode_generated<T: Decode>(value: &Value, path: &str, problems: &mut Problems) -> Option<T> {
    let node = Node::from(value.clone());
    let mut found = dfpack_contracts::decode::Problems::default();
    let decoded = T::decode(&node, &dfpack_contracts::decode::Path::root(), &mut found);
    for problem in found.iter() {
        let inner = problem.path.as_str();
        let at = if inner.is_empty() {
            path.to_string()
        } else if inner.starts_with('[') {
            format!("{path}{inner}")
        } else {
            format!("{path}.{inner}")
        };
        problems.push(&at, &problem.message);
    }
    if found.is_empty() { decoded } else { None }
}

/// What only makes sense together: validation and partition columns need a
/// contract to refer to, and a created table takes the contract's schema.
fn check_contract_use(table: &Table<'_>, spec: &DatasetSpec, problems: &mut Problems) {
    let (contract, validation) = (spec.contract.as_ref(), spec.validation.as_ref());
    let create_if_missing = spec.create_if_missing.unwrap_or(false);
    let partition_columns = spec.partition_columns.as_deref().unwrap_or_default();
    if contract.is_none() {
        if validation.is_some_and(|policy| policy.enabled) {
            problems.push(&table.child_path("validation"), "needs a contract: validation checks data against it");
        }
        if create_if_missing {
            problems.push(
                &table.child_path("create_if_missing"),
                "needs a contract: a created table takes the contract's schema",
            );
        }
    }
    if !partition_columns.is_empty() && !create_if_missing {
        problems.push(
            &table.child_path("partition_columns"),
            "applies only with create_if_missing = true (an existing table keeps its own partitioning)",
        );
    }
    if let Some(contract) = contract {
        for (i, column) in partition_columns.iter().enumerate() {
            if !contract.schema.fields.iter().any(|field| &field.name == column) {
                problems.push(
                    &format!("{}[{i}]", table.child_path("partition_columns")),
                    format!("'{column}' is not a column of the contract"),
                );
            }
        }
    }
}
