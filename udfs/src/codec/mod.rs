//! MessagePack codec functions (issue #5): one canonical MessagePack form of
//! every Arrow value ([`canonical`]), and the SQL functions built on it.
//!
//! | function | result |
//! |---|---|
//! | `canonical_fingerprint(v)` | Utf8: BLAKE3-256 of the canonical form of `v`, lowercase hex; NULL is fingerprinted as nil |
//! | `msgpack_encode(v)` | Binary: the canonical form of `v`; NULL gives NULL |
//! | `msgpack_to_json(bytes)` | Utf8: one MessagePack value as JSON; NULL gives NULL |
//! | `metadata_map_encode(map)` | Binary: the canonical form of a `Map<Utf8, Utf8>`; NULL gives NULL |
//! | `metadata_map_decode(bytes)` | `Map<Utf8, Utf8>`, sorted by key; NULL gives NULL |
//!
//! Decoding ([`reader`]) is bounded: inputs above 64 MiB, nesting deeper
//! than 128 and malformed bytes are errors, never panics.

use std::sync::Arc;

use datafusion_expr::ScalarUDF;

pub(crate) mod args;
pub mod canonical;
pub mod canonical_fingerprint;
pub mod metadata_map_decode;
pub mod metadata_map_encode;
pub mod msgpack_encode;
pub mod msgpack_to_json;
pub mod reader;

#[cfg(test)]
mod tests;

shared_udf!(
    /// The `canonical_fingerprint` function, shared by every caller.
    canonical_fingerprint,
    canonical_fingerprint::CanonicalFingerprintFunc::new()
);
shared_udf!(
    /// The `msgpack_encode` function, shared by every caller.
    msgpack_encode,
    msgpack_encode::MsgpackEncodeFunc::new()
);
shared_udf!(
    /// The `msgpack_to_json` function, shared by every caller.
    msgpack_to_json,
    msgpack_to_json::MsgpackToJsonFunc::new()
);
shared_udf!(
    /// The `metadata_map_encode` function, shared by every caller.
    metadata_map_encode,
    metadata_map_encode::MetadataMapEncodeFunc::new()
);
shared_udf!(
    /// The `metadata_map_decode` function, shared by every caller.
    metadata_map_decode,
    metadata_map_decode::MetadataMapDecodeFunc::new()
);

/// Every scalar function of this family.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        canonical_fingerprint(),
        msgpack_encode(),
        msgpack_to_json(),
        metadata_map_encode(),
        metadata_map_decode(),
    ]
}
