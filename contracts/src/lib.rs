//! dfpack's contract payloads: the feature gate and protocol support,
//! snapshot info, commit options, app transaction, table reference, the
//! Arrow type IR, field, table schema and contract specs, validation policy,
//! dataset spec and plugin manifest.
//!
//! The JSON Schemas in `schemas/` at the repository root are the single
//! source of truth. The types in [`generated`] are generated from them by
//! `dfpack-contracts-codegen` (as are the Python package's classes), and a test
//! fails unless regenerating changes nothing.
//!
//! - [`codec`]: JSON and MessagePack (named fields), decoded strictly — unknown
//!   properties, wrong types, out-of-range values, trailing bytes and oversized
//!   input are errors naming the path of the offending value; the canonical
//!   MessagePack form and the fingerprint of a payload.
//! - [`arrow_ir`]: the Arrow type IR to arrow's `DataType`, `Field` and `Schema`,
//!   and back.
//!
//! ```
//! use dfpack_contracts::{AppTransaction, codec};
//!
//! let payload: AppTransaction = codec::from_json(br#"{"app_id": "etl", "version": 3}"#)?;
//! assert_eq!(payload, AppTransaction { app_id: "etl".into(), version: 3 });
//! let refused = codec::from_json::<AppTransaction>(br#"{"app_id": "etl", "version": -1}"#);
//! assert_eq!(
//!     refused.unwrap_err().to_string(),
//!     "[dfpack:config] invalid AppTransaction payload (JSON): version: expected an integer from 0 to 9223372036854775807, found -1"
//! );
//! # Ok::<(), dfpack_common::Error>(())
//! ```

pub mod arrow_ir;
pub mod codec;
pub mod decode;
pub mod defaults;
#[rustfmt::skip]
pub mod generated;
mod snapshot;

pub use generated::*;

/// A payload type: the root type of one schema file. Its `Deserialize` is
/// the strict [`decode::Decode`].
pub trait Payload: decode::Decode + defaults::OmitDefaults + serde::Serialize + serde::de::DeserializeOwned {
    /// The type's name (the schema's `title`), used in error messages.
    const NAME: &'static str;
    /// The schema's `$id`.
    const SCHEMA_ID: &'static str;
}

/// Something to do with each payload type: [`for_each_payload`] calls
/// [`visit`](PayloadVisitor::visit) once per type.
pub trait PayloadVisitor {
    fn visit<T: Payload + Clone + std::fmt::Debug + PartialEq + 'static>(&mut self);
}

/// Visits every payload type, one per schema file, in the order of
/// [`SCHEMA_IDS`]: what a caller does for every payload (the fuzz targets
/// decode their input as each) cannot leave a new type out. A test holds
/// this list to the schemas.
pub fn for_each_payload(visitor: &mut impl PayloadVisitor) {
    visitor.visit::<AppTransaction>();
    visitor.visit::<ArrowType>();
    visitor.visit::<CommitOptions>();
    visitor.visit::<ContractSpec>();
    visitor.visit::<DatasetSpec>();
    visitor.visit::<FeatureGate>();
    visitor.visit::<FieldSpec>();
    visitor.visit::<PluginManifest>();
    visitor.visit::<ProtocolSupport>();
    visitor.visit::<ScanOptions>();
    visitor.visit::<SnapshotInfo>();
    visitor.visit::<TableReference>();
    visitor.visit::<TableSchemaSpec>();
    visitor.visit::<ValidationPolicy>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_each_payload_visits_one_type_per_schema_file() {
        struct Ids(Vec<&'static str>);
        impl PayloadVisitor for Ids {
            fn visit<T: Payload + Clone + std::fmt::Debug + PartialEq + 'static>(&mut self) {
                self.0.push(T::SCHEMA_ID);
            }
        }
        let mut ids = Ids(Vec::new());
        for_each_payload(&mut ids);
        assert_eq!(ids.0, SCHEMA_IDS, "for_each_payload must visit the type of every schema, in SCHEMA_IDS order");

        let schemas = dfpack_common::crate_dir!().join("../schemas");
        let mut on_disk: Vec<String> = std::fs::read_dir(&schemas)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", schemas.display()))
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".json"))
            .collect();
        on_disk.sort();
        let visited: Vec<&str> =
            ids.0.iter().map(|id| id.strip_prefix("https://dfpack.dev/schemas/").expect("a dfpack $id")).collect();
        assert_eq!(visited, on_disk, "for_each_payload must visit the type of every file in schemas/");
    }
}
