//! Fixtures and the list of payload types, shared by the suites.

use std::fmt::Debug;
use std::path::PathBuf;

use dfpack_contracts::*;

/// `contracts/tests/fixtures`: one valid example of every payload type, named
/// after its schema file, and `golden.json`.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(file: &str) -> String {
    let path = fixtures_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What the suites do for each payload type.
pub trait PayloadCheck {
    fn check<T: Payload + Clone + Debug + PartialEq>(&mut self, file: &str);
}

/// Runs a check for every payload type, with its fixture's file name, and
/// returns the files visited (a test compares them with the schemas).
pub fn every_payload(check: &mut impl PayloadCheck) -> Vec<&'static str> {
    macro_rules! each {
        ($($file:literal => $type:ty),* $(,)?) => {{
            $(check.check::<$type>($file);)*
            vec![$($file),*]
        }};
    }
    each!(
        "app_transaction.json" => AppTransaction,
        "arrow_type.json" => ArrowType,
        "commit_options.json" => CommitOptions,
        "contract_spec.json" => ContractSpec,
        "dataset_spec.json" => DatasetSpec,
        "feature_gate.json" => FeatureGate,
        "field_spec.json" => FieldSpec,
        "plugin_manifest.json" => PluginManifest,
        "protocol_support.json" => ProtocolSupport,
        "scan_options.json" => ScanOptions,
        "snapshot_info.json" => SnapshotInfo,
        "table_reference.json" => TableReference,
        "table_schema_spec.json" => TableSchemaSpec,
        "validation_policy.json" => ValidationPolicy,
    )
}

/// Decodes a fixture, which must be valid.
pub fn decoded<T: Payload>(file: &str) -> T {
    codec::from_json(fixture(file).as_bytes()).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The error message of a refused JSON payload.
pub fn json_error<T: Payload + Debug>(json: &str) -> String {
    match codec::from_json::<T>(json.as_bytes()) {
        Ok(value) => panic!("accepted {json} as {value:?}"),
        Err(error) => error.to_string(),
    }
}
