//! The schemas are the single source of truth: the checked-in generated
//! files are exactly what the generator makes of them.

use dfpack_contracts::{SCHEMA_IDS, codec};
use dfpack_contracts_codegen::{PYTHON_MAX_PAYLOAD_BYTES, PYTHON_OUTPUT, SCHEMA_DIR, generate, workspace_root};

use crate::support::{PayloadCheck, every_payload, fixtures_dir};

#[test]
fn generated_files_are_up_to_date() {
    let root = workspace_root();
    let generated = generate(&root.join(SCHEMA_DIR)).expect("the schemas are valid");
    for (relative, expected) in generated.outputs() {
        let checked_in = std::fs::read_to_string(root.join(relative)).expect("the generated file exists");
        assert!(
            checked_in == expected,
            "{relative} is not what schemas/ generates: run `cargo run -p dfpack-contracts-codegen` and commit the result"
        );
    }
}

#[test]
fn python_and_rust_share_the_size_limit() {
    assert_eq!(PYTHON_MAX_PAYLOAD_BYTES, codec::MAX_PAYLOAD_BYTES);
    let python = std::fs::read_to_string(workspace_root().join(PYTHON_OUTPUT)).expect("the Python file exists");
    assert!(python.contains(&format!("MAX_PAYLOAD_BYTES = {}\n", codec::MAX_PAYLOAD_BYTES)));
}

#[test]
fn every_schema_has_a_payload_type_a_fixture_and_a_golden_vector() {
    struct Nothing;
    impl PayloadCheck for Nothing {
        fn check<T: dfpack_contracts::Payload>(&mut self, _file: &str) {}
    }
    let visited = every_payload(&mut Nothing);
    let schema_files: Vec<&str> =
        SCHEMA_IDS.iter().map(|id| id.strip_prefix("https://dfpack.dev/schemas/").expect("a dfpack $id")).collect();
    assert_eq!(visited, schema_files, "the tests' list of payload types is the schemas'");

    let mut on_disk: Vec<String> = std::fs::read_dir(workspace_root().join(SCHEMA_DIR))
        .expect("schemas/ exists")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, schema_files);

    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures_dir().join("golden.json")).expect("golden.json"))
            .expect("golden.json is JSON");
    for file in schema_files {
        assert!(fixtures_dir().join(file).is_file(), "no fixture for {file}");
        assert!(golden.get(file).is_some(), "no golden vector for {file}");
    }
}
