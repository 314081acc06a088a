//! Every payload type survives JSON and MessagePack, and its canonical form
//! depends on its values only.

use std::fmt::Debug;

use dfpack_contracts::*;
use serde_json::Value;

use crate::support::{PayloadCheck, decoded, every_payload, fixture};

/// JSON text of a value with every object's keys in reverse order (serde_json's
/// own `Value` would sort them).
fn reversed_json(value: &Value) -> String {
    match value {
        Value::Object(entries) => {
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.reverse();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", Value::String(key.clone()), reversed_json(&entries[key])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(reversed_json).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

#[test]
fn every_payload_round_trips_through_json_and_messagepack() {
    struct RoundTrip;
    impl PayloadCheck for RoundTrip {
        fn check<T: Payload + Clone + Debug + PartialEq>(&mut self, file: &str) {
            let payload: T = decoded(file);
            let document: Value = serde_json::from_str(&fixture(file)).expect("the fixture is JSON");

            let json = codec::to_json(&payload).expect("a valid payload encodes");
            assert_eq!(serde_json::from_str::<Value>(&json).expect("JSON"), document, "{file}: JSON keeps every value");
            assert_eq!(codec::from_json::<T>(json.as_bytes()).expect("decodes"), payload, "{file}: JSON round trip");

            let msgpack = codec::to_msgpack(&payload).expect("a valid payload encodes");
            // Named fields: the MessagePack is the same document as the JSON.
            let as_document: Value = rmp_serde::from_slice(&msgpack).expect("MessagePack of a document");
            assert_eq!(as_document, document, "{file}: MessagePack has named fields");
            assert_eq!(codec::from_msgpack::<T>(&msgpack).expect("decodes"), payload, "{file}: MessagePack round trip");

            // The canonical form leaves schema defaults out: it decodes to the
            // same value up to those, which has the same canonical form.
            let canonical = codec::canonical_msgpack(&payload).expect("canonical");
            let back = codec::from_msgpack::<T>(&canonical).expect("decodes");
            assert_eq!(codec::canonical_msgpack(&back).expect("canonical"), canonical, "{file}: canonical round trip");

            // serde users get the same decoder.
            assert_eq!(serde_json::from_str::<T>(&json).expect("serde decodes"), payload, "{file}: Deserialize");
        }
    }
    assert_eq!(every_payload(&mut RoundTrip).len(), 14);
}

#[test]
fn the_canonical_form_does_not_depend_on_property_order() {
    struct Reordered;
    impl PayloadCheck for Reordered {
        fn check<T: Payload + Clone + Debug + PartialEq>(&mut self, file: &str) {
            let text = fixture(file);
            let document: Value = serde_json::from_str(&text).expect("the fixture is JSON");
            let reversed = reversed_json(&document);
            let sorted = document.to_string();
            assert_ne!(reversed, sorted, "{file}: the test must reorder something");

            let as_written: T = decoded(file);
            let from_reversed = codec::from_json::<T>(reversed.as_bytes()).expect("decodes");
            let from_sorted = codec::from_json::<T>(sorted.as_bytes()).expect("decodes");
            assert_eq!(from_reversed, as_written, "{file}");

            let canonical = codec::canonical_msgpack(&as_written).expect("canonical");
            assert_eq!(codec::canonical_msgpack(&from_reversed).expect("canonical"), canonical, "{file}");
            assert_eq!(codec::canonical_msgpack(&from_sorted).expect("canonical"), canonical, "{file}");
            // rmp-serde writes fields in declaration order; decoded, the canonical form is the same.
            let named = codec::to_msgpack(&as_written).expect("encodes");
            let from_named = codec::from_msgpack::<T>(&named).expect("decodes");
            assert_eq!(codec::canonical_msgpack(&from_named).expect("canonical"), canonical, "{file}");
            assert_eq!(
                codec::fingerprint(&from_reversed).expect("fingerprint"),
                codec::fingerprint(&as_written).expect("fingerprint"),
                "{file}"
            );
        }
    }
    every_payload(&mut Reordered);
}

#[test]
fn different_values_have_different_fingerprints() {
    let one = AppTransaction { app_id: "etl".into(), version: 1 };
    let two = AppTransaction { app_id: "etl".into(), version: 2 };
    assert_ne!(codec::fingerprint(&one).unwrap(), codec::fingerprint(&two).unwrap());
    // An absent optional property is left out, not written as nil.
    let bare = ScanOptions::default();
    assert_eq!(codec::canonical_msgpack(&bare).unwrap(), [0x80]);
    let with_false = ScanOptions { parquet_pushdown: Some(false), ..ScanOptions::default() };
    assert_ne!(codec::fingerprint(&bare).unwrap(), codec::fingerprint(&with_false).unwrap());
}

#[test]
fn encoders_refuse_what_decoders_would_refuse() {
    let both = TableReference {
        uri: "/data/events".into(),
        storage_options: None,
        version: Some(3),
        timestamp: Some("2026-01-01".into()),
    };
    let expected = "[dfpack:config] cannot encode TableReference: (root): give either version or timestamp, not both";
    assert_eq!(codec::to_json(&both).unwrap_err().to_string(), expected);
    assert_eq!(codec::to_msgpack(&both).unwrap_err().to_string(), expected);
    assert_eq!(codec::fingerprint(&both).unwrap_err().to_string(), expected);

    let gate = FeatureGate { min_reader_version: Some(9), min_writer_version: Some(0), ..FeatureGate::default() };
    assert_eq!(
        codec::validate(&gate).unwrap_err().to_string(),
        "[dfpack:config] cannot encode FeatureGate: 2 problems:\n  \
         min_reader_version: expected an integer from 1 to 3, found 9\n  \
         min_writer_version: expected an integer from 1 to 7, found 0"
    );
}

#[test]
fn union_variants_encode_as_tagged_objects() {
    let timestamp = ArrowType::Timestamp { unit: TimeUnit::Nanosecond, timezone: None };
    assert_eq!(codec::to_json(&timestamp).unwrap(), r#"{"type":"timestamp","unit":"nanosecond"}"#);
    assert_eq!(codec::to_json(&ArrowType::Utf8View).unwrap(), r#"{"type":"utf8_view"}"#);
    assert_eq!(timestamp.tag(), "timestamp");
    assert_eq!(ArrowType::TAGS.len(), 35);
    let dictionary = ArrowType::Dictionary { key: DictionaryKeyType::UInt16, value: Box::new(ArrowType::Utf8) };
    assert_eq!(
        codec::to_json(&dictionary).unwrap(),
        r#"{"type":"dictionary","key":{"type":"uint16"},"value":{"type":"utf8"}}"#
    );
}
