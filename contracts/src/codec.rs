//! Payloads as bytes: JSON, MessagePack (rmp-serde, named fields), and the
//! canonical MessagePack form their fingerprints are taken of.
//!
//! Decoders are strict. Input above [`MAX_PAYLOAD_BYTES`] (or a caller's
//! limit) is refused before it is parsed; malformed input, trailing bytes
//! after the value, duplicate or non-string keys, and nesting deeper than
//! [`MAX_DEPTH`](crate::decode::MAX_DEPTH) are refused while parsing; then
//! the schema's rules are checked ([`decode`](crate::decode)), and every
//! problem is reported with its path. All errors are [`Error::Config`]: a
//! payload is configuration the pack was handed.
//!
//! Encoders check a payload with the same rules before they write it, so
//! nothing is written that the decoders would refuse.
//!
//! # The canonical form
//!
//! [`canonical_msgpack`] writes a payload as its JSON document would be
//! written by the pack's canonical MessagePack form ([`dfpack_common::canonical`],
//! the one `canonical_fingerprint` uses for Arrow values): objects are maps
//! with their entries sorted by the bytes of their encoded keys, integers in
//! their shortest form, strings with their shortest header; absent optional
//! properties are left out (not written as nil), and so are optional
//! properties holding their schema's `default`, which mean what absence means
//! ([`defaults`](crate::defaults): `metadata: {}` and no `metadata` are one
//! value). So a payload and the Arrow struct of the same values encode alike
//! (defaults aside), and the order properties were written in never matters.
//! [`fingerprint`] is the BLAKE3-256 hex of those bytes.

use std::io::Cursor;

use dfpack_common::canonical::{self, MapScratch, TooLong};
use dfpack_common::{Error, Result};

use crate::Payload;
use crate::decode::{Node, decode_node};

/// The largest encoded payload the decoders accept by default: 16 MiB (a
/// table schema of thousands of columns is far below it).
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    MessagePack,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::MessagePack => "MessagePack",
        }
    }
}

fn refused<T: Payload>(format: Format, why: impl std::fmt::Display) -> Error {
    Error::Config(format!("invalid {} payload ({}): {why}", T::NAME, format.name()))
}

fn check_size<T: Payload>(format: Format, len: usize, max_bytes: usize) -> Result<()> {
    if len > max_bytes {
        return Err(refused::<T>(format, format!("{len} bytes is larger than the limit of {max_bytes} bytes")));
    }
    Ok(())
}

fn decode_checked<T: Payload>(format: Format, node: &Node) -> Result<T> {
    decode_node(node).map_err(|problems| refused::<T>(format, problems))
}

/// Decodes a JSON payload (UTF-8 bytes) of at most [`MAX_PAYLOAD_BYTES`].
pub fn from_json<T: Payload>(bytes: &[u8]) -> Result<T> {
    from_json_with_limit(bytes, MAX_PAYLOAD_BYTES)
}

/// Decodes a JSON payload of at most `max_bytes`. Whitespace may follow the
/// value; anything else is an error.
pub fn from_json_with_limit<T: Payload>(bytes: &[u8], max_bytes: usize) -> Result<T> {
    check_size::<T>(Format::Json, bytes.len(), max_bytes)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let node = Node::read(&mut deserializer).map_err(|e| refused::<T>(Format::Json, e))?;
    deserializer.end().map_err(|e| refused::<T>(Format::Json, e))?;
    decode_checked(Format::Json, &node)
}

/// Decodes a MessagePack payload of at most [`MAX_PAYLOAD_BYTES`].
pub fn from_msgpack<T: Payload>(bytes: &[u8]) -> Result<T> {
    from_msgpack_with_limit(bytes, MAX_PAYLOAD_BYTES)
}

/// Decodes a MessagePack payload of at most `max_bytes`: exactly one value,
/// objects as maps with string keys (rmp-serde's named form). Any bytes after
/// the value are an error.
pub fn from_msgpack_with_limit<T: Payload>(bytes: &[u8], max_bytes: usize) -> Result<T> {
    check_size::<T>(Format::MessagePack, bytes.len(), max_bytes)?;
    let mut deserializer = rmp_serde::Deserializer::new(Cursor::new(bytes));
    let node = Node::read(&mut deserializer).map_err(|e| refused::<T>(Format::MessagePack, e))?;
    let consumed = usize::try_from(deserializer.position()).unwrap_or(usize::MAX);
    if consumed < bytes.len() {
        let trailing = bytes.len() - consumed;
        let noun = if trailing == 1 { "byte" } else { "bytes" };
        return Err(refused::<T>(
            Format::MessagePack,
            format!("{trailing} trailing {noun} after the value (which ends at byte {consumed})"),
        ));
    }
    decode_checked(Format::MessagePack, &node)
}

/// Checks a payload against its schema: what the decoders would say of it.
pub fn validate<T: Payload>(payload: &T) -> Result<()> {
    payload_node(payload).map(|_| ())
}

/// The payload's node, after checking it with the decoder's rules.
fn payload_node<T: Payload>(payload: &T) -> Result<Node> {
    let node = Node::of(payload).map_err(|e| Error::Internal(format!("cannot encode {}: {e}", T::NAME)))?;
    decode_node::<T>(&node).map_err(|problems| Error::Config(format!("cannot encode {}: {problems}", T::NAME)))?;
    Ok(node)
}

/// The payload as compact JSON, properties in schema order.
pub fn to_json<T: Payload>(payload: &T) -> Result<String> {
    validate(payload)?;
    serde_json::to_string(payload).map_err(|e| Error::Internal(format!("cannot encode {} as JSON: {e}", T::NAME)))
}

/// The payload as MessagePack with named fields (rmp-serde's `to_vec_named`).
pub fn to_msgpack<T: Payload>(payload: &T) -> Result<Vec<u8>> {
    validate(payload)?;
    rmp_serde::to_vec_named(payload)
        .map_err(|e| Error::Internal(format!("cannot encode {} as MessagePack: {e}", T::NAME)))
}

/// The payload's canonical MessagePack form (see the module docs).
pub fn canonical_msgpack<T: Payload>(payload: &T) -> Result<Vec<u8>> {
    canonical_bytes::<T>(payload_node(payload)?)
}

/// The canonical form of a payload's node: the one path every canonical
/// encoding and fingerprint takes.
fn canonical_bytes<T: Payload>(mut node: Node) -> Result<Vec<u8>> {
    T::omit_defaults(&mut node);
    let mut out = Vec::new();
    write_canonical(&node, &mut out)
        .map_err(|e| Error::Config(format!("cannot encode {} canonically: {e}", T::NAME)))?;
    Ok(out)
}

/// The payload's fingerprint: BLAKE3-256 of its canonical form, 64 lowercase
/// hex characters, as `canonical_fingerprint` computes for Arrow values.
pub fn fingerprint<T: Payload>(payload: &T) -> Result<String> {
    Ok(canonical::fingerprint_hex(&canonical_msgpack(payload)?))
}

/// The fingerprint of a payload with some of its top-level properties left
/// out: for a payload that carries its own fingerprint, or values outside its
/// identity. The payload must be valid apart from those properties' values.
pub fn fingerprint_without<T: Payload>(payload: &T, left_out: &[&str]) -> Result<String> {
    let node = Node::of(payload).map_err(|e| Error::Internal(format!("cannot encode {}: {e}", T::NAME)))?;
    let node = match node {
        Node::Map(entries) => {
            Node::Map(entries.into_iter().filter(|(key, _)| !left_out.contains(&key.as_str())).collect())
        }
        other => other,
    };
    Ok(canonical::fingerprint_hex(&canonical_bytes::<T>(node)?))
}

/// Why a node has no canonical form.
#[derive(Debug)]
enum CanonicalError {
    TooLong(TooLong),
    IntegerOutOfRange(i128),
}

impl From<TooLong> for CanonicalError {
    fn from(too_long: TooLong) -> Self {
        CanonicalError::TooLong(too_long)
    }
}

impl std::fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CanonicalError::TooLong(too_long) => too_long.fmt(f),
            CanonicalError::IntegerOutOfRange(value) => write!(f, "the integer {value} does not fit in 64 bits"),
        }
    }
}

/// Writes a node in the canonical form, with the shared primitives.
fn write_canonical(node: &Node, out: &mut Vec<u8>) -> std::result::Result<(), CanonicalError> {
    match node {
        Node::Null => canonical::write_nil(out),
        Node::Bool(value) => canonical::write_bool(out, *value),
        Node::Integer(value) => {
            if let Ok(unsigned) = u64::try_from(*value) {
                canonical::write_uint(out, unsigned);
            } else if let Ok(signed) = i64::try_from(*value) {
                canonical::write_sint(out, signed);
            } else {
                return Err(CanonicalError::IntegerOutOfRange(*value));
            }
        }
        Node::Float(value) => canonical::write_f64(out, *value),
        Node::String(text) => canonical::write_str(out, text)?,
        Node::Bytes(bytes) => canonical::write_bin(out, bytes)?,
        Node::Array(items) => {
            canonical::write_array_header(out, items.len())?;
            for item in items {
                write_canonical(item, out)?;
            }
        }
        Node::Map(entries) => {
            // A scratch per map: payload maps are few and small, and a nested
            // map is written while its parent's scratch is in use.
            canonical::write_sorted_map(&mut MapScratch::default(), entries.len(), out, |i, buffer| {
                let (key, value) = &entries[i];
                canonical::write_str(buffer, key)?;
                write_canonical(value, buffer)
            })?;
        }
    }
    Ok(())
}
