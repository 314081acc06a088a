//! The decoders refuse everything a schema does not allow, each problem
//! named by the path of the offending value.

use dfpack_common::ErrorKind;
use dfpack_contracts::*;

use crate::support::{decoded, fixture, json_error};

fn msgpack_error<T: Payload + std::fmt::Debug>(bytes: &[u8]) -> String {
    match codec::from_msgpack::<T>(bytes) {
        Ok(value) => panic!("accepted {bytes:02x?} as {value:?}"),
        Err(error) => error.to_string(),
    }
}

/// The dataset fixture with one value set (replaced or added) at a path of
/// object keys and array indexes.
fn dataset_with(path: &[&str], value: serde_json::Value) -> String {
    let mut document: serde_json::Value = serde_json::from_str(&fixture("dataset_spec.json")).unwrap();
    let (last, parents) = path.split_last().expect("a path");
    let mut target = &mut document;
    for step in parents {
        target = match step.parse::<usize>() {
            Ok(index) => &mut target[index],
            Err(_) => &mut target[*step],
        };
    }
    target[*last] = value;
    document.to_string()
}

#[test]
fn a_wrong_value_deep_inside_is_named_by_its_path() {
    let text = dataset_with(
        &["contract", "schema", "fields", "2", "type"],
        serde_json::json!({"type": "time32", "unit": "hour"}),
    );
    assert_eq!(
        json_error::<DatasetSpec>(&text),
        "[dfpack:config] invalid DatasetSpec payload (JSON): contract.schema.fields[2].type.unit: \
         expected one of 'second', 'millisecond', found 'hour'"
    );
    let error = codec::from_json::<DatasetSpec>(text.as_bytes()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
}

#[test]
fn unknown_properties_are_refused_even_in_tag_only_variants() {
    assert_eq!(
        json_error::<AppTransaction>(r#"{"app_id": "etl", "version": 1, "versoin": 2}"#),
        "[dfpack:config] invalid AppTransaction payload (JSON): versoin: unknown property (expected one of: app_id, version)"
    );
    // serde's internally tagged unit variants would accept this.
    assert_eq!(
        json_error::<ArrowType>(r#"{"type": "int8", "precision": 3}"#),
        "[dfpack:config] invalid ArrowType payload (JSON): precision: unknown property (expected one of: type)"
    );
    let nested = dataset_with(&["gate", "support", "writer_feature"], serde_json::json!(["appendOnly"]));
    assert!(
        json_error::<DatasetSpec>(&nested).ends_with(
            "gate.support.writer_feature: unknown property (expected one of: max_reader_version, max_writer_version, \
             reader_features, writer_features)"
        ),
        "{nested}"
    );
}

#[test]
fn every_problem_is_reported_at_once_in_order() {
    let text = r#"{"table_uri": "", "version": -1, "gate": {"min_reader_version": 9}, "scan": {"parquet_pushdown": "yes"},
                   "partition_columns": ["a", "b", "a"], "extra": null}"#;
    assert_eq!(
        json_error::<DatasetSpec>(text),
        "[dfpack:config] invalid DatasetSpec payload (JSON): 6 problems:\n  \
         table_uri: must not be empty\n  \
         version: expected an integer from 0 to 9223372036854775807, found -1\n  \
         gate.min_reader_version: expected an integer from 1 to 3, found 9\n  \
         scan.parquet_pushdown: expected a boolean, found a string\n  \
         partition_columns[2]: repeats item 0 (items must be unique)\n  \
         extra: unknown property (expected one of: schema, table_uri, storage_options, version, timestamp, gate, \
         scan, contract, validation, create_if_missing, partition_columns, commit)"
    );
}

#[test]
fn ranges_and_lengths_come_from_the_schema() {
    let cases: [(&str, &str); 7] = [
        (r#"{"min_writer_version": 8}"#, "min_writer_version: expected an integer from 1 to 7, found 8"),
        (r#"{"min_reader_version": 0}"#, "min_reader_version: expected an integer from 1 to 3, found 0"),
        (r#"{"min_reader_version": 3.0}"#, "min_reader_version: expected an integer, found a float"),
        (r#"{"min_reader_version": null}"#, "min_reader_version: expected an integer, found null"),
        (r#"{"min_reader_version": 99999999999999999999}"#, "min_reader_version: expected an integer, found a float"),
        (r#"{"required_reader_features": [""]}"#, "required_reader_features[0]: must not be empty"),
        (
            r#"{"required_reader_features": "deletionVectors"}"#,
            "required_reader_features: expected an array, found a string",
        ),
    ];
    for (json, problem) in cases {
        assert_eq!(
            json_error::<FeatureGate>(json),
            format!("[dfpack:config] invalid FeatureGate payload (JSON): {problem}")
        );
    }
    let decimal = r#"{"type": "decimal256", "precision": 77, "scale": -80}"#;
    assert!(json_error::<ArrowType>(decimal).ends_with(
        "2 problems:\n  precision: expected an integer from 1 to 76, found 77\n  scale: expected an integer from -76 to 76, found -80"
    ));
    let mut snapshot: serde_json::Value = serde_json::from_str(&fixture("snapshot_info.json")).unwrap();
    snapshot["fingerprint"] = "abc".into();
    assert!(
        json_error::<SnapshotInfo>(&snapshot.to_string())
            .ends_with("fingerprint: must be exactly 64 characters long, found 3")
    );
    // Lengths count characters, not bytes: 64 × 'é' is 128 bytes.
    snapshot["fingerprint"] = "é".repeat(64).into();
    assert!(codec::from_json::<SnapshotInfo>(snapshot.to_string().as_bytes()).is_ok());
}

#[test]
fn version_and_timestamp_exclude_each_other() {
    assert_eq!(
        json_error::<TableReference>(r#"{"uri": "/t", "version": 1, "timestamp": "2026-01-01"}"#),
        "[dfpack:config] invalid TableReference payload (JSON): (root): give either version or timestamp, not both"
    );
    let text = dataset_with(&["timestamp"], serde_json::json!("2026-01-01"));
    assert_eq!(
        json_error::<DatasetSpec>(&text),
        "[dfpack:config] invalid DatasetSpec payload (JSON): (root): give either version or timestamp, not both"
    );
    assert!(codec::from_json::<TableReference>(br#"{"uri": "/t", "timestamp": "2026-01-01"}"#).is_ok());
}

#[test]
fn missing_and_mistyped_properties_and_tags() {
    assert_eq!(
        json_error::<FieldSpec>(r#"{"name": "a", "type": {"type": "list"}}"#),
        "[dfpack:config] invalid FieldSpec payload (JSON): 2 problems:\n  \
         type.field: missing required property\n  nullable: missing required property"
    );
    assert!(json_error::<ArrowType>(r#"{"unit": "second"}"#)
        .ends_with("type: missing required property (one of 'null', 'boolean', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64', 'decimal128', 'decimal256', 'date32', 'date64', 'time32', 'time64', 'timestamp', 'duration', 'interval', 'binary', 'large_binary', 'binary_view', 'fixed_size_binary', 'utf8', 'large_utf8', 'utf8_view', 'list', 'large_list', 'fixed_size_list', 'map', 'struct', 'dictionary')"));
    assert!(json_error::<ArrowType>(r#"{"type": "union"}"#).ends_with(", 'dictionary', found 'union'"));
    assert!(json_error::<ArrowType>(r#"{"type": 5}"#).ends_with("type: expected a string, found an integer"));
    assert_eq!(
        json_error::<ArrowType>(r#"{"type": "dictionary", "key": {"type": "utf8"}, "value": {"type": "utf8"}}"#),
        "[dfpack:config] invalid ArrowType payload (JSON): key.type: expected one of 'int8', 'int16', 'int32', \
         'int64', 'uint8', 'uint16', 'uint32', 'uint64', found 'utf8'"
    );
    assert_eq!(
        json_error::<CommitOptions>(r#"{"metadata": {"a": "1", "b": 2}}"#),
        "[dfpack:config] invalid CommitOptions payload (JSON): metadata.b: expected a string, found an integer"
    );
    assert_eq!(
        json_error::<AppTransaction>("[1, 2]"),
        "[dfpack:config] invalid AppTransaction payload (JSON): (root): expected an object, found an array"
    );
}

#[test]
fn malformed_json_trailing_text_and_duplicate_keys_are_refused() {
    let valid = r#"{"app_id": "etl", "version": 1}"#;
    assert!(codec::from_json::<AppTransaction>(format!("{valid} \n\t").as_bytes()).is_ok(), "whitespace may follow");
    assert_eq!(
        json_error::<AppTransaction>(&format!("{valid} {{}}")),
        "[dfpack:config] invalid AppTransaction payload (JSON): trailing characters at line 1 column 33"
    );
    assert_eq!(
        json_error::<AppTransaction>(r#"{"app_id": "a", "app_id": "b", "version": 1}"#),
        "[dfpack:config] invalid AppTransaction payload (JSON): app_id: duplicate property at line 1 column 24"
    );
    assert!(json_error::<AppTransaction>(r#"{"app_id": "etl""#).contains("EOF while parsing an object"));
    let invalid_utf8 = b"{\"app_id\": \"\xff\", \"version\": 1}";
    assert!(codec::from_json::<AppTransaction>(invalid_utf8).unwrap_err().to_string().contains("invalid unicode"));
}

#[test]
fn oversized_input_is_refused_before_it_is_parsed() {
    let valid = br#"{"app_id": "etl", "version": 1}"#;
    assert_eq!(
        codec::from_json_with_limit::<AppTransaction>(valid, 10).unwrap_err().to_string(),
        "[dfpack:config] invalid AppTransaction payload (JSON): 31 bytes is larger than the limit of 10 bytes"
    );
    let huge = vec![b' '; codec::MAX_PAYLOAD_BYTES + 1];
    assert_eq!(
        codec::from_msgpack::<AppTransaction>(&huge).unwrap_err().to_string(),
        "[dfpack:config] invalid AppTransaction payload (MessagePack): 16777217 bytes is larger than the limit of 16777216 bytes"
    );
    assert!(
        codec::from_msgpack_with_limit::<AppTransaction>(
            &codec::to_msgpack(&decoded::<AppTransaction>("app_transaction.json")).unwrap(),
            64
        )
        .is_ok()
    );
}

#[test]
fn messagepack_trailing_bytes_and_malformed_input_are_refused() {
    let payload: AppTransaction = decoded("app_transaction.json");
    let mut bytes = codec::to_msgpack(&payload).unwrap();
    let end = bytes.len();
    bytes.push(0xc0);
    assert_eq!(
        msgpack_error::<AppTransaction>(&bytes),
        format!(
            "[dfpack:config] invalid AppTransaction payload (MessagePack): 1 trailing byte after the value (which ends at byte {end})"
        )
    );
    bytes.extend_from_slice(&bytes.clone());
    assert!(msgpack_error::<AppTransaction>(&bytes).contains(&format!("{} trailing bytes", end + 2)));
    // Truncated: the map announces two entries.
    assert!(
        msgpack_error::<AppTransaction>(&bytes[..end - 1])
            .starts_with("[dfpack:config] invalid AppTransaction payload (MessagePack): ")
    );
    assert!(
        msgpack_error::<AppTransaction>(&[])
            .starts_with("[dfpack:config] invalid AppTransaction payload (MessagePack): ")
    );
}

#[test]
fn messagepack_needs_named_fields_string_keys_and_no_binary() {
    let payload: AppTransaction = decoded("app_transaction.json");
    // rmp-serde's compact form writes a struct as an array.
    let positional = rmp_serde::to_vec(&payload).unwrap();
    assert_eq!(
        msgpack_error::<AppTransaction>(&positional),
        "[dfpack:config] invalid AppTransaction payload (MessagePack): (root): expected an object, found an array"
    );
    // {1: 2}
    assert!(
        msgpack_error::<AppTransaction>(&[0x81, 0x01, 0x02])
            .contains("invalid type: integer `1`, expected a string key in (root)")
    );
    // {"app_id": bin "etl", "version": 1}
    let binary = [&[0x82, 0xa6][..], b"app_id", &[0xc4, 0x03], b"etl", &[0xa7], b"version", &[0x01]].concat();
    assert_eq!(
        msgpack_error::<AppTransaction>(&binary),
        "[dfpack:config] invalid AppTransaction payload (MessagePack): app_id: expected a string, found binary data"
    );
    // {"app_id": "a", "app_id": "b", ...}
    let duplicate = [&[0x82, 0xa6][..], b"app_id", &[0xa1, b'a', 0xa6], b"app_id", &[0xa1, b'b']].concat();
    assert!(msgpack_error::<AppTransaction>(&duplicate).ends_with("app_id: duplicate property"));
}

#[test]
fn nesting_is_bounded() {
    // 200 nested one-element arrays around nil: the 101st is refused, in
    // either format, before the decoder recurses into it.
    let too_deep = format!("{}[0]: nested deeper than 100 levels", "[0]".repeat(99));
    let mut deep = vec![0x91; 200];
    deep.push(0xc0);
    assert_eq!(
        msgpack_error::<TableSchemaSpec>(&deep),
        format!("[dfpack:config] invalid TableSchemaSpec payload (MessagePack): {too_deep}")
    );
    let json = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        json_error::<TableSchemaSpec>(&json),
        format!("[dfpack:config] invalid TableSchemaSpec payload (JSON): {too_deep} at line 1 column 101")
    );
    // 100 levels are fine for the parser (the schema then refuses the array).
    let json = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert_eq!(
        json_error::<TableSchemaSpec>(&json),
        "[dfpack:config] invalid TableSchemaSpec payload (JSON): (root): expected an object, found an array"
    );
}

#[test]
fn serde_deserialize_is_the_same_strict_decoder() {
    let error =
        serde_json::from_str::<FieldSpec>(r#"{"name": "a", "nullable": true, "type": {"type": "int8", "x": 1}}"#)
            .unwrap_err()
            .to_string();
    assert_eq!(error, "type.x: unknown property (expected one of: type)");
    let spec: FieldSpec = serde_json::from_str(r#"{"name": "a", "nullable": true, "type": {"type": "int8"}}"#).unwrap();
    assert_eq!(spec, FieldSpec { name: "a".into(), r#type: ArrowType::Int8, nullable: true, metadata: None });
}
