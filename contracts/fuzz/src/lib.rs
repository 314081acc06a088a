//! What dfpack-contracts' decoders must do with any input, checked by the fuzz
//! targets in `fuzz_targets/`, one per decoder entry point (`codec::from_json`,
//! `codec::from_msgpack`).
//!
//! The input is decoded as every payload type ([`for_each_payload`]): a
//! refusal is fine, a panic is not. A value that decodes must
//! - be refused by the same decoder under a size limit one byte below the input;
//! - decode alike through serde's `Deserialize` (JSON);
//! - re-encode as JSON and as MessagePack, each decoding to an equal value;
//! - have a canonical form that is stable: the same bytes and fingerprint every
//!   time, for the value and for its round-tripped copies, decoding to a value
//!   equal up to schema defaults (which the canonical form leaves out) that has
//!   the same canonical form;
//! - for the Arrow type IR (`ArrowType`, `FieldSpec`, `TableSchemaSpec`):
//!   convert to arrow and back to the same IR (compared as IR, after the
//!   documented normalisation: empty metadata is absent metadata), and convert
//!   to the same arrow type again.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;

use arrow_schema::{DataType, Field, Schema};
use dfpack_contracts::{ArrowType, FieldSpec, Payload, PayloadVisitor, TableSchemaSpec, codec, for_each_payload};

/// A decoder entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `codec::from_json`
    Json,
    /// `codec::from_msgpack`
    MessagePack,
}

/// Decodes `data` as every payload type with `format`'s decoder and checks
/// the properties of the module docs; panics on a violation.
pub fn check(format: Format, data: &[u8]) {
    for_each_payload(&mut Check { format, data });
}

struct Check<'a> {
    format: Format,
    data: &'a [u8],
}

impl PayloadVisitor for Check<'_> {
    fn visit<T: Payload + Clone + Debug + PartialEq + 'static>(&mut self) {
        check_payload::<T>(self.format, self.data);
    }
}

fn check_payload<T: Payload + Clone + Debug + PartialEq + 'static>(format: Format, data: &[u8]) {
    let name = T::NAME;
    let decoded = match format {
        Format::Json => codec::from_json::<T>(data),
        Format::MessagePack => codec::from_msgpack::<T>(data),
    };
    if let Some(limit) = data.len().checked_sub(1) {
        let limited = match format {
            Format::Json => codec::from_json_with_limit::<T>(data, limit),
            Format::MessagePack => codec::from_msgpack_with_limit::<T>(data, limit),
        };
        assert!(limited.is_err(), "{name}: {} bytes decoded under a limit of {limit}", data.len());
    }
    if format == Format::Json {
        let via_serde = serde_json::from_slice::<T>(data);
        assert_eq!(
            via_serde.as_ref().ok(),
            decoded.as_ref().ok(),
            "{name}: serde_json::from_slice and codec::from_json disagree (serde: {:?}, codec: {:?})",
            via_serde.as_ref().err().map(ToString::to_string),
            decoded.as_ref().err().map(ToString::to_string),
        );
    }
    let Ok(value) = decoded else { return };
    round_trips(&value);
    arrow_round_trips(&value);
}

/// Re-encoding in every form gives the value back; its canonical form is stable.
fn round_trips<T: Payload + Debug + PartialEq>(value: &T) {
    let name = T::NAME;
    let json = codec::to_json(value).unwrap_or_else(|e| panic!("{name}: a decoded value does not encode as JSON: {e}\n{value:?}"));
    let from_json = codec::from_json::<T>(json.as_bytes())
        .unwrap_or_else(|e| panic!("{name}: the JSON of a decoded value does not decode: {e}\n{json}"));
    assert_eq!(&from_json, value, "{name}: JSON round trip changed the value\n{json}");

    let msgpack = codec::to_msgpack(value)
        .unwrap_or_else(|e| panic!("{name}: a decoded value does not encode as MessagePack: {e}\n{value:?}"));
    let from_msgpack = codec::from_msgpack::<T>(&msgpack)
        .unwrap_or_else(|e| panic!("{name}: the MessagePack of a decoded value does not decode: {e}\n{msgpack:02x?}"));
    assert_eq!(&from_msgpack, value, "{name}: MessagePack round trip changed the value");

    let canonical = codec::canonical_msgpack(value)
        .unwrap_or_else(|e| panic!("{name}: a decoded value has no canonical form: {e}\n{value:?}"));
    assert_eq!(codec::canonical_msgpack(value).ok(), Some(canonical.clone()), "{name}: canonical form not stable");
    let from_canonical = codec::from_msgpack::<T>(&canonical)
        .unwrap_or_else(|e| panic!("{name}: the canonical form does not decode: {e}\n{canonical:02x?}"));
    for (copy, via) in [(&from_json, "JSON"), (&from_msgpack, "MessagePack"), (&from_canonical, "canonical")] {
        assert_eq!(
            codec::canonical_msgpack(copy).ok(),
            Some(canonical.clone()),
            "{name}: the {via} round trip changed the canonical form"
        );
    }

    let fingerprint = codec::fingerprint(value).unwrap_or_else(|e| panic!("{name}: no fingerprint: {e}\n{value:?}"));
    assert!(
        fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{name}: fingerprint {fingerprint:?} is not 64 lowercase hex digits"
    );
    assert_eq!(codec::fingerprint(value).ok(), Some(fingerprint.clone()), "{name}: fingerprint not stable");
    assert_eq!(codec::fingerprint(&from_canonical).ok(), Some(fingerprint), "{name}: fingerprint of the round trip");
}

/// IR → arrow → IR is the identity (after normalisation), and the arrow
/// type made again from the result is the same.
fn arrow_round_trips(value: &dyn Any) {
    if let Some(ir) = value.downcast_ref::<ArrowType>() {
        let data_type = DataType::from(ir);
        let back = ArrowType::try_from(&data_type)
            .unwrap_or_else(|e| panic!("ArrowType → {data_type} → ArrowType refused: {e}\n{ir:?}"));
        assert_eq!(back, normalized_type(ir), "ArrowType → {data_type} → ArrowType changed the type");
        assert_eq!(DataType::from(&back), data_type, "ArrowType → DataType is not the same after a round trip");
    } else if let Some(spec) = value.downcast_ref::<FieldSpec>() {
        let field = Field::from(spec);
        let back = FieldSpec::try_from(&field)
            .unwrap_or_else(|e| panic!("FieldSpec → {field:?} → FieldSpec refused: {e}\n{spec:?}"));
        assert_eq!(back, normalized_field(spec), "FieldSpec → {field:?} → FieldSpec changed the field");
        assert_eq!(Field::from(&back), field, "FieldSpec → Field is not the same after a round trip");
    } else if let Some(spec) = value.downcast_ref::<TableSchemaSpec>() {
        let schema = Schema::from(spec);
        let back = TableSchemaSpec::try_from(&schema)
            .unwrap_or_else(|e| panic!("TableSchemaSpec → {schema:?} → TableSchemaSpec refused: {e}\n{spec:?}"));
        let normalized = TableSchemaSpec {
            fields: spec.fields.iter().map(normalized_field).collect(),
            metadata: normalized_metadata(&spec.metadata),
        };
        assert_eq!(back, normalized, "TableSchemaSpec → Schema → TableSchemaSpec changed the schema");
        assert_eq!(Schema::from(&back), schema, "TableSchemaSpec → Schema is not the same after a round trip");
    }
}

/// The IR as arrow gives it back: empty metadata left out ("absent and empty
/// mean the same"); everything else as it is.
fn normalized_type(ir: &ArrowType) -> ArrowType {
    match ir {
        ArrowType::List { field } => ArrowType::List { field: Box::new(normalized_field(field)) },
        ArrowType::LargeList { field } => ArrowType::LargeList { field: Box::new(normalized_field(field)) },
        ArrowType::FixedSizeList { field, size } => {
            ArrowType::FixedSizeList { field: Box::new(normalized_field(field)), size: *size }
        }
        ArrowType::Map { key, value, keys_sorted } => ArrowType::Map {
            key: Box::new(normalized_field(key)),
            value: Box::new(normalized_field(value)),
            keys_sorted: *keys_sorted,
        },
        ArrowType::Struct { fields } => ArrowType::Struct { fields: fields.iter().map(normalized_field).collect() },
        ArrowType::Dictionary { key, value } => {
            ArrowType::Dictionary { key: key.clone(), value: Box::new(normalized_type(value)) }
        }
        leaf => leaf.clone(),
    }
}

fn normalized_field(spec: &FieldSpec) -> FieldSpec {
    FieldSpec {
        name: spec.name.clone(),
        r#type: normalized_type(&spec.r#type),
        nullable: spec.nullable,
        metadata: normalized_metadata(&spec.metadata),
    }
}

fn normalized_metadata(metadata: &Option<BTreeMap<String, String>>) -> Option<BTreeMap<String, String>> {
    metadata.clone().filter(|metadata| !metadata.is_empty())
}
