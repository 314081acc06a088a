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
#[rustfmt::skip]
pub mod generated;

pub use generated::*;

/// A payload type: the root type of one schema file. Its `Deserialize` is
/// the strict [`decode::Decode`].
pub trait Payload: decode::Decode + serde::Serialize + serde::de::DeserializeOwned {
    /// The type's name (the schema's `title`), used in error messages.
    const NAME: &'static str;
    /// The schema's `$id`.
    const SCHEMA_ID: &'static str;
}
