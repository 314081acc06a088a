//! The pack config: every error of a file in one `Config` error, each with its
//! path; TOML and JSON decode to the same config.
//!
//! Regression: in commit dc86521 `PackConfig::from_value` called
//! `datasets.finish(..)` after looping over `datasets.entries()`, which does not
//! mark the names it yields as read, so every dataset name was reported as
//! "unknown key" and every config with a dataset was rejected. The tests marked
//! `Regression` caught it; the working tree now drops that call.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use dfpack_common::ErrorKind;
use dfpack_providers::config::ConfigFormat;
use dfpack_providers::{CachePolicy, PackConfig, ScanOptions, TableReference, TableReferenceExt, VersionSpec};

const BROKEN: &str = r#"
[datasets.events]
table_uri = "/data/events"
version = 3
timestamp = 2024-01-02T03:04:05Z
colour = "blue"

[datasets.events.gate]
min_reader_version = 9

[datasets.events.scan]
parquet_pushdown = "yes"

[datasets.remote]
table_uri = "ftp://host/remote"
"#;

/// The smallest config with a dataset.
/// Regression: was rejected with "datasets.events: unknown key" (see the module docs).
#[test]
fn a_config_with_one_dataset_decodes() {
    let config = PackConfig::parse("[datasets.events]\ntable_uri = \"/data/events\"\n", ConfigFormat::Toml)
        .expect("one valid dataset");
    assert_eq!(config.datasets["events"].table, TableReference::local("/data/events"));
}

/// Regression: reported 7 errors instead of 5 (each dataset as an unknown key).
#[test]
fn every_error_of_a_file_is_reported_at_once_with_its_path() {
    let error = PackConfig::parse(BROKEN, ConfigFormat::Toml).expect_err("five errors");
    assert_eq!(error.kind(), ErrorKind::Config);
    let message = error.to_string();
    assert!(message.starts_with("[dfpack:config] 5 errors, nothing was registered:"), "{message}");
    let expected = [
        "datasets.events.colour: unknown key",
        "datasets.events.gate.min_reader_version: expected an integer from 1 to 3, found 9",
        "datasets.events: give either version or timestamp, not both",
        "datasets.events.scan.parquet_pushdown: expected a boolean, found a string",
        "datasets.remote.table_uri: scheme 'ftp' is not supported",
    ];
    for line in expected {
        assert!(message.contains(line), "missing `{line}` in:\n{message}");
    }
    // One line per error, nothing else.
    assert_eq!(message.lines().count(), 1 + expected.len(), "{message}");

    // The same document as JSON reports the same errors.
    let json = r#"{"datasets": {
        "events": {"table_uri": "/data/events", "version": 3, "timestamp": "2024-01-02T03:04:05Z", "colour": "blue",
                   "gate": {"min_reader_version": 9}, "scan": {"parquet_pushdown": "yes"}},
        "remote": {"table_uri": "ftp://host/remote"}}}"#;
    let from_json = PackConfig::parse(json, ConfigFormat::Json).expect_err("five errors");
    let mut a: Vec<&str> = message.lines().skip(1).map(str::trim).collect();
    let json_message = from_json.to_string();
    let mut b: Vec<&str> = json_message.lines().skip(1).map(str::trim).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn a_file_with_errors_names_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pack.toml");
    std::fs::write(&path, BROKEN).expect("write");
    let error = PackConfig::from_file(&path).expect_err("errors");
    assert_eq!(error.kind(), ErrorKind::Config);
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("datasets.events.gate.min_reader_version"), "{message}");
    let prefix = format!("[dfpack:config] pack config '{}': ", path.display());
    assert!(message.starts_with(&prefix), "{message}");
    assert_eq!(message.matches("[dfpack:config]").count(), 1, "the kind tag appears once: {message}");

    let missing = PackConfig::from_file(&dir.path().join("absent.toml")).expect_err("no such file");
    assert_eq!(missing.kind(), ErrorKind::Config);
    assert!(missing.to_string().contains("absent.toml"), "{missing}");
}

const VALID_TOML: &str = r#"
[catalog]
name = "lake"
schemas = ["default", "sales"]

[cache]
refresh = "max_staleness"
max_staleness_ms = 30000

[gate]
min_reader_version = 1

[datasets.events]
table_uri = "/data/events"
timestamp = 2024-01-02T03:04:05Z

[datasets.orders]
schema = "sales"
table_uri = "s3://bucket/orders"
version = 7
storage_options = { AWS_REGION = "eu-west-1" }

[datasets.orders.gate]
required_reader_features = ["deletionVectors"]

[datasets.orders.gate.support]
max_reader_version = 3
reader_features = ["deletionVectors", "columnMapping"]

[datasets.orders.scan]
file_column = "_file"
parquet_pushdown = true
"#;

const VALID_JSON: &str = r#"{
  "catalog": {"name": "lake", "schemas": ["default", "sales"]},
  "cache": {"refresh": "max_staleness", "max_staleness_ms": 30000},
  "gate": {"min_reader_version": 1},
  "datasets": {
    "events": {"table_uri": "/data/events", "timestamp": "2024-01-02T03:04:05Z"},
    "orders": {
      "schema": "sales",
      "table_uri": "s3://bucket/orders",
      "version": 7,
      "storage_options": {"AWS_REGION": "eu-west-1"},
      "gate": {
        "required_reader_features": ["deletionVectors"],
        "support": {"max_reader_version": 3, "reader_features": ["deletionVectors", "columnMapping"]}
      },
      "scan": {"file_column": "_file", "parquet_pushdown": true}
    }
  }
}"#;

/// Regression: failed while datasets were reported as unknown keys.
#[test]
fn toml_and_json_decode_to_the_same_config() {
    let toml = PackConfig::parse(VALID_TOML, ConfigFormat::Toml).expect("valid TOML");
    let json = PackConfig::parse(VALID_JSON, ConfigFormat::Json).expect("valid JSON");
    assert_eq!(toml, json);
    assert_eq!(PackConfig::parse_text(VALID_JSON).expect("sniffed JSON"), json);
    assert_eq!(PackConfig::parse_text(VALID_TOML).expect("sniffed TOML"), toml);

    // And the values are the ones written.
    assert_eq!(toml.catalog, "lake");
    assert_eq!(toml.schemas, ["default", "sales"]);
    assert_eq!(toml.cache, CachePolicy::MaxStaleness(Duration::from_secs(30)));
    let events = &toml.datasets["events"];
    assert_eq!(events.schema(), "default");
    assert_eq!(
        events.table,
        TableReference::local("/data/events").at(VersionSpec::Timestamp(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()))
    );
    assert_eq!(events.gate.spec().min_reader_version, Some(1), "the top-level gate is the default");
    let orders = &toml.datasets["orders"];
    assert_eq!(orders.schema(), "sales");
    assert_eq!(orders.table.version_spec().unwrap(), VersionSpec::Version(7));
    assert_eq!(
        orders.table.storage_options,
        Some(BTreeMap::from([("AWS_REGION".to_string(), "eu-west-1".to_string())]))
    );
    assert_eq!(orders.gate.spec().required_reader_features, Some(vec!["deletionVectors".to_string()]));
    assert_eq!(orders.gate.spec().min_reader_version, None, "a dataset's gate replaces the default");
    assert_eq!(orders.gate.support().reader_features.map(|f| f.len()), Some(2));
    assert_eq!(
        orders.scan(),
        ScanOptions { file_column: Some("_file".into()), parquet_pushdown: Some(true), wrap_partition_values: None }
    );
    assert_eq!(toml.datasets_in("sales").map(|d| d.name.as_str()).collect::<Vec<_>>(), ["orders"]);
}

/// Regression: failed while datasets were reported as unknown keys.
#[test]
fn files_are_decoded_by_their_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (toml_path, json_path) = (dir.path().join("pack.toml"), dir.path().join("pack.json"));
    std::fs::write(&toml_path, VALID_TOML).expect("write");
    std::fs::write(&json_path, VALID_JSON).expect("write");
    assert_eq!(
        PackConfig::from_file(&toml_path).expect("toml file"),
        PackConfig::from_file(&json_path).expect("json file")
    );
}

const CONTRACT_BOUND: &str = r#"
[datasets.orders]
table_uri = "/data/orders"
create_if_missing = true
partition_columns = ["country"]
validation = { enabled = true, mode = "warn", head = 100 }
commit = { metadata = { job = "nightly" }, app_transaction = { app_id = "etl", version = 7 }, max_retries = 3 }

[datasets.orders.contract]
evolution = "additive"
check_constraints = [{ name = "positive", expression = "amount > 0" }]
schema.fields = [
    { name = "id", type = { type = "int64" }, nullable = false },
    { name = "country", type = { type = "utf8" }, nullable = true },
]
"#;

/// Contract, validation and commit options decode with the decoders generated
/// from `schemas/`: the config holds the generated types themselves.
#[test]
fn a_contract_bound_dataset_decodes_into_the_generated_payload_types() {
    let config = PackConfig::parse(CONTRACT_BOUND, ConfigFormat::Toml).expect("a valid contract-bound dataset");
    let orders = &config.datasets["orders"];
    let contract = orders.contract().expect("a contract");
    assert_eq!(contract.evolution, dfpack_contracts::EvolutionPolicy::Additive);
    let names: Vec<&str> = contract.schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "country"]);
    let validation = orders.validation().expect("a validation policy");
    assert_eq!((validation.enabled, validation.mode, validation.head), (true, Some(dfpack_contracts::ValidationMode::Warn), Some(100)));
    assert!(orders.create_if_missing());
    assert_eq!(orders.partition_columns(), ["country"]);
    let commit = orders.commit();
    assert_eq!(commit.app_transaction, Some(dfpack_contracts::AppTransaction { app_id: "etl".into(), version: 7 }));
    assert_eq!(commit.max_retries, Some(3));
    assert_eq!(commit.metadata.as_ref().map(|m| m["job"].as_str()), Some("nightly"));
}

/// The dataset is held to the whole DatasetSpec schema, with its config path:
/// also what reading key by key does not check (a repeated partition column).
#[test]
fn a_dataset_breaking_its_schema_elsewhere_is_refused_with_its_path() {
    let config = PackConfig::parse(CONTRACT_BOUND, ConfigFormat::Toml).expect("valid");
    let orders = &config.datasets["orders"];
    assert_eq!(orders.spec.table_uri, "/data/orders");
    assert_eq!(orders.table, TableReference::local("/data/orders"));
    let repeated = CONTRACT_BOUND.replace(r#"partition_columns = ["country"]"#, r#"partition_columns = ["country", "country"]"#);
    let message = PackConfig::parse(&repeated, ConfigFormat::Toml).expect_err("a repeated column").to_string();
    assert!(message.contains("1 error, nothing was registered"), "{message}");
    assert!(message.contains("\n  datasets.orders.partition_columns[1]: "), "{message}");
}

/// Problems inside generated payloads carry their full config path, next to
/// the config's own problems, all in one error.
#[test]
fn problems_inside_a_contract_are_reported_with_their_config_path() {
    let broken = r#"
[datasets.orders]
table_uri = "/data/orders"
partition_columns = ["region"]
validation = { enabled = true, mode = "shout" }
commit = { max_retries = -1 }

[datasets.orders.contract]
evolution = "loose"
schema.fields = [{ name = "id", type = { type = "int65" }, nullable = false }]

[datasets.plain]
table_uri = "/data/plain"
create_if_missing = true
validation = { enabled = true }
"#;
    let message = PackConfig::parse(broken, ConfigFormat::Toml).expect_err("invalid").to_string();
    let expected = [
        "datasets.orders.validation.mode: ",
        "datasets.orders.commit.max_retries: ",
        "datasets.orders.contract.evolution: ",
        "datasets.orders.contract.schema.fields[0].type.type: ",
        "datasets.orders.partition_columns: applies only with create_if_missing = true",
        "datasets.plain.create_if_missing: needs a contract",
        "datasets.plain.validation: needs a contract",
    ];
    for line in expected {
        assert!(message.contains(line), "missing `{line}` in:\n{message}");
    }
}
