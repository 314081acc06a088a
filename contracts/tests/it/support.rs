//! Fixtures and the list of payload types, shared by the suites.

use std::fmt::Debug;
use std::path::PathBuf;

use dfpack_contracts::*;

/// `contracts/tests/fixtures`: one valid example of every payload type, named
/// after its schema file, and `golden.json`.
pub fn fixtures_dir() -> PathBuf {
    dfpack_common::crate_dir!().join("tests/fixtures")
}

pub fn fixture(file: &str) -> String {
    let path = fixtures_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What the suites do for each payload type.
pub trait PayloadCheck {
    fn check<T: Payload + Clone + Debug + PartialEq>(&mut self, file: &str);
}

/// Runs a check for every payload type (the crate's own list), with its
/// fixture's file name (its schema's), and returns the files visited (a test
/// compares them with the schemas).
pub fn every_payload(check: &mut impl PayloadCheck) -> Vec<&'static str> {
    struct Adapter<'a, C> {
        check: &'a mut C,
        files: Vec<&'static str>,
    }
    impl<C: PayloadCheck> PayloadVisitor for Adapter<'_, C> {
        fn visit<T: Payload + Clone + Debug + PartialEq + 'static>(&mut self) {
            let file = schema_file::<T>();
            self.check.check::<T>(file);
            self.files.push(file);
        }
    }
    let mut adapter = Adapter { check, files: Vec::new() };
    for_each_payload(&mut adapter);
    adapter.files
}

/// The file name of a payload type's schema (and of its fixture): the last
/// segment of its `$id`.
pub fn schema_file<T: Payload>() -> &'static str {
    T::SCHEMA_ID.rsplit('/').next().unwrap_or(T::SCHEMA_ID)
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
