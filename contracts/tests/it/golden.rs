//! Golden vectors: the canonical bytes and fingerprint of every fixture,
//! computed independently (`fixtures/make_golden.py`, Python's msgpack and
//! blake3 packages). A failure means stored fingerprints would change.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, ListBuilder, MapBuilder, StringArray, StringBuilder, StructArray};
use arrow::datatypes::{DataType, Field};
use dfpack_contracts::*;
use dfpack_udfs::codec::canonical::CanonicalEncoder;
use dfpack_udfs::codec::canonical_fingerprint::fingerprint_row;
use serde_json::Value;

use crate::support::{PayloadCheck, decoded, every_payload, fixtures_dir, hex};

#[test]
fn every_fixture_has_its_golden_canonical_bytes_and_fingerprint() {
    struct Golden(Value);
    impl PayloadCheck for Golden {
        fn check<T: Payload + Clone + Debug + PartialEq>(&mut self, file: &str) {
            let payload: T = decoded(file);
            let expected = &self.0[file];
            let canonical = codec::canonical_msgpack(&payload).expect("canonical");
            assert_eq!(Some(hex(&canonical).as_str()), expected["canonical"].as_str(), "{file}: canonical bytes");
            assert_eq!(
                Some(codec::fingerprint(&payload).expect("fingerprint").as_str()),
                expected["fingerprint"].as_str(),
                "{file}: fingerprint"
            );
        }
    }
    let text = std::fs::read_to_string(fixtures_dir().join("golden.json")).expect("golden.json");
    every_payload(&mut Golden(serde_json::from_str(&text).expect("golden.json is JSON")));
}

/// A payload spelling out its schema defaults (`fixtures/defaults/`) has the
/// golden bytes of the same payload without them: absent and default are one
/// value in every fingerprint.
#[test]
fn schema_defaults_are_left_out_of_the_canonical_form() {
    struct Defaults(Value, Vec<String>);
    impl PayloadCheck for Defaults {
        fn check<T: Payload + Clone + Debug + PartialEq>(&mut self, file: &str) {
            let key = format!("defaults/{file}");
            if !fixtures_dir().join(&key).is_file() {
                return;
            }
            let payload: T = decoded(&key);
            let expected = &self.0[&key];
            let canonical = codec::canonical_msgpack(&payload).expect("canonical");
            assert_eq!(Some(hex(&canonical).as_str()), expected["canonical"].as_str(), "{key}: canonical bytes");
            assert_eq!(
                Some(codec::fingerprint(&payload).expect("fingerprint").as_str()),
                expected["fingerprint"].as_str(),
                "{key}: fingerprint"
            );
            // JSON keeps the payload as it is: the defaults survive a round trip.
            let json = codec::to_json(&payload).expect("JSON");
            assert_eq!(codec::from_json::<T>(json.as_bytes()).expect("decodes"), payload, "{key}");
            self.1.push(key);
        }
    }
    let text = std::fs::read_to_string(fixtures_dir().join("golden.json")).expect("golden.json");
    let mut check = Defaults(serde_json::from_str(&text).expect("golden.json is JSON"), Vec::new());
    every_payload(&mut check);
    assert_eq!(
        check.1,
        [
            "defaults/dataset_spec.json",
            "defaults/field_spec.json",
            "defaults/table_schema_spec.json",
            "defaults/validation_policy.json"
        ]
    );

    // The documented example: metadata `{}` and no metadata are one field.
    let field = |metadata: Option<std::collections::BTreeMap<String, String>>| FieldSpec {
        name: "id".into(),
        r#type: ArrowType::Int64,
        nullable: false,
        metadata,
    };
    let (empty, absent) = (field(Some(Default::default())), field(None));
    assert_eq!(codec::fingerprint(&empty).unwrap(), codec::fingerprint(&absent).unwrap());
    assert_eq!(
        hex(&codec::canonical_msgpack(&field(Some(Default::default()))).unwrap()),
        "83a46e616d65a26964a47479706581a474797065a5696e743634a86e756c6c61626c65c2"
    );
    let tagged = field(Some([("k".to_string(), "v".to_string())].into()));
    assert_ne!(codec::fingerprint(&tagged).unwrap(), codec::fingerprint(&field(None)).unwrap());
    // A value other than the default stays: `collect_all: true` is not `false`.
    let policy = |collect_all| ValidationPolicy {
        enabled: true,
        mode: None,
        sample_limit: None,
        head: None,
        tail: None,
        collect_all,
    };
    assert_eq!(codec::fingerprint(&policy(Some(false))).unwrap(), codec::fingerprint(&policy(None)).unwrap());
    assert_ne!(codec::fingerprint(&policy(Some(true))).unwrap(), codec::fingerprint(&policy(None)).unwrap());
}

/// A snapshot's identity fingerprint leaves out its fingerprint and commit time.
#[test]
fn the_snapshot_identity_fingerprint_is_golden() {
    let text = std::fs::read_to_string(fixtures_dir().join("golden.json")).expect("golden.json");
    let golden: Value = serde_json::from_str(&text).expect("golden.json is JSON");
    let info: SnapshotInfo = decoded("snapshot_info.json");
    let identity = info.identity_fingerprint().expect("fingerprint");
    assert_eq!(Some(identity.as_str()), golden["snapshot_info.json"]["identity_fingerprint"].as_str());
    let later = SnapshotInfo { commit_timestamp_ms: None, fingerprint: "0".repeat(64), ..info.clone() };
    assert_eq!(later.identity_fingerprint().unwrap(), identity, "log cleanup does not change the identity");
    let next = SnapshotInfo { version: info.version + 1, ..info };
    assert_ne!(next.identity_fingerprint().unwrap(), identity);
}

#[test]
fn small_payloads_have_the_documented_bytes() {
    // A map of two entries sorted by their encoded keys: "app_id" (a6 …)
    // before "version" (a7 …); 200 as uint 8 (cc c8).
    let payload = AppTransaction { app_id: "etl".into(), version: 200 };
    assert_eq!(hex(&codec::canonical_msgpack(&payload).unwrap()), "82a66170705f6964a365746ca776657273696f6eccc8");
    // Entries sorted by encoded key, which is not string order: "type" (a4 …),
    // "scale" (a5 …), "precision" (a9 …); -2 as a negative fixint (fe).
    let negative = ArrowType::Decimal128 { precision: 5, scale: -2 };
    assert_eq!(
        hex(&codec::canonical_msgpack(&negative).unwrap()),
        "83a474797065aa646563696d616c313238a57363616c65fea9707265636973696f6e05"
    );
}

/// The canonical encoding udfs gives row 0 of a one-row column.
fn udfs_canonical(column: &dyn Array) -> Vec<u8> {
    let mut out = Vec::new();
    CanonicalEncoder::try_new("test", column).expect("encodable").append(0, &mut out).expect("encodes");
    out
}

fn struct_of(fields: Vec<(&str, ArrayRef)>) -> StructArray {
    StructArray::from(
        fields
            .into_iter()
            .map(|(name, column)| (Arc::new(Field::new(name, column.data_type().clone(), true)), column))
            .collect::<Vec<_>>(),
    )
}

/// A payload and the Arrow struct of the same values encode alike: one
/// canonical form for the whole pack, one fingerprint.
#[test]
fn payloads_encode_as_the_arrow_struct_of_their_values() {
    let transaction = AppTransaction { app_id: "nightly-etl".into(), version: 42 };
    let transaction_row = struct_of(vec![
        ("version", Arc::new(Int64Array::from(vec![42]))),
        ("app_id", Arc::new(StringArray::from(vec!["nightly-etl"]))),
    ]);
    assert_eq!(codec::canonical_msgpack(&transaction).unwrap(), udfs_canonical(&transaction_row));
    assert_eq!(codec::fingerprint(&transaction).unwrap(), fingerprint_row(&transaction_row, 0).unwrap());

    // Maps, nested structs, integers of other widths.
    let options: CommitOptions = decoded("commit_options.json");
    let mut metadata = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for (key, value) in [("owner", "data-eng"), ("job", "nightly")] {
        metadata.keys().append_value(key);
        metadata.values().append_value(value);
    }
    metadata.append(true).unwrap();
    let options_row = struct_of(vec![
        ("max_retries", Arc::new(arrow::array::UInt8Array::from(vec![5]))),
        ("metadata", Arc::new(metadata.finish())),
        (
            "app_transaction",
            Arc::new(struct_of(vec![
                ("app_id", Arc::new(StringArray::from(vec!["nightly-etl"]))),
                ("version", Arc::new(Int64Array::from(vec![42]))),
            ])),
        ),
    ]);
    assert_eq!(codec::canonical_msgpack(&options).unwrap(), udfs_canonical(&options_row));
    assert_eq!(codec::fingerprint(&options).unwrap(), fingerprint_row(&options_row, 0).unwrap());

    // Lists of strings, and a bool.
    let support = ProtocolSupport {
        max_reader_version: Some(3),
        max_writer_version: None,
        reader_features: Some(vec!["deletionVectors".into(), "columnMapping".into()]),
        writer_features: Some(vec![]),
    };
    let mut reader_features = ListBuilder::new(StringBuilder::new());
    reader_features.values().append_value("deletionVectors");
    reader_features.values().append_value("columnMapping");
    reader_features.append(true);
    let mut writer_features = ListBuilder::new(StringBuilder::new());
    writer_features.append(true);
    let support_row = struct_of(vec![
        ("writer_features", Arc::new(writer_features.finish())),
        ("reader_features", Arc::new(reader_features.finish())),
        ("max_reader_version", Arc::new(arrow::array::Int32Array::from(vec![3]))),
    ]);
    assert!(matches!(support_row.column(0).data_type(), DataType::List(_)));
    assert_eq!(codec::canonical_msgpack(&support).unwrap(), udfs_canonical(&support_row));
}
