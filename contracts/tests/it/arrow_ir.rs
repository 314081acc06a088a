//! The Arrow type IR and arrow's types, both ways.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::datatypes::{
    DataType, Field, Fields, IntervalUnit as ArrowIntervalUnit, Schema, TimeUnit as ArrowTimeUnit, UnionFields,
    UnionMode,
};
use dfpack_common::ErrorKind;
use dfpack_contracts::*;

use crate::support::decoded;

fn field(name: &str, ir: ArrowType, nullable: bool) -> FieldSpec {
    FieldSpec { name: name.into(), r#type: ir, nullable, metadata: None }
}

/// One value of every variant (and every unit) of the IR.
fn every_ir_variant() -> Vec<ArrowType> {
    let item = || Box::new(field("item", ArrowType::Int32, true));
    let mut all = vec![
        ArrowType::Null,
        ArrowType::Boolean,
        ArrowType::Int8,
        ArrowType::Int16,
        ArrowType::Int32,
        ArrowType::Int64,
        ArrowType::UInt8,
        ArrowType::UInt16,
        ArrowType::UInt32,
        ArrowType::UInt64,
        ArrowType::Float16,
        ArrowType::Float32,
        ArrowType::Float64,
        ArrowType::Decimal128 { precision: 38, scale: -5 },
        ArrowType::Decimal256 { precision: 76, scale: 10 },
        ArrowType::Date32,
        ArrowType::Date64,
        ArrowType::Time32 { unit: Time32Unit::Second },
        ArrowType::Time32 { unit: Time32Unit::Millisecond },
        ArrowType::Time64 { unit: Time64Unit::Microsecond },
        ArrowType::Time64 { unit: Time64Unit::Nanosecond },
        ArrowType::Binary,
        ArrowType::LargeBinary,
        ArrowType::BinaryView,
        ArrowType::FixedSizeBinary { byte_width: 16 },
        ArrowType::Utf8,
        ArrowType::LargeUtf8,
        ArrowType::Utf8View,
        ArrowType::List { field: item() },
        ArrowType::LargeList {
            field: Box::new(FieldSpec {
                metadata: Some(BTreeMap::from([("k".to_string(), "v".to_string())])),
                ..field("element", ArrowType::Utf8, false)
            }),
        },
        ArrowType::FixedSizeList { field: item(), size: 3 },
        ArrowType::Map {
            key: Box::new(field("key", ArrowType::Utf8, false)),
            value: Box::new(field("value", ArrowType::List { field: item() }, true)),
            keys_sorted: true,
        },
        ArrowType::Struct { fields: vec![] },
        ArrowType::Struct {
            fields: vec![
                field("a", ArrowType::Struct { fields: vec![field("inner", ArrowType::Boolean, true)] }, true),
                field("b", ArrowType::Date32, false),
            ],
        },
        ArrowType::Dictionary { key: DictionaryKeyType::Int8, value: Box::new(ArrowType::Utf8) },
    ];
    for unit in TimeUnit::ALL {
        all.push(ArrowType::Timestamp { unit, timezone: None });
        all.push(ArrowType::Timestamp { unit, timezone: Some("Europe/Paris".into()) });
        all.push(ArrowType::Duration { unit });
    }
    for unit in IntervalUnit::ALL {
        all.push(ArrowType::Interval { unit });
    }
    for key in [
        DictionaryKeyType::Int16,
        DictionaryKeyType::Int32,
        DictionaryKeyType::Int64,
        DictionaryKeyType::UInt8,
        DictionaryKeyType::UInt16,
        DictionaryKeyType::UInt32,
        DictionaryKeyType::UInt64,
    ] {
        all.push(ArrowType::Dictionary { key, value: Box::new(ArrowType::LargeBinary) });
    }
    all
}

#[test]
fn every_ir_value_round_trips_through_data_type() {
    let all = every_ir_variant();
    let tags: BTreeSet<&str> = all.iter().map(ArrowType::tag).collect();
    assert_eq!(tags, ArrowType::TAGS.into_iter().collect(), "every variant is covered");
    for ir in &all {
        let data_type = DataType::from(ir);
        assert_eq!(&ArrowType::try_from(&data_type).expect("converts back"), ir, "{data_type}");
        // And through both encodings.
        let json = codec::to_json(ir).expect("valid");
        assert_eq!(&codec::from_json::<ArrowType>(json.as_bytes()).expect("decodes"), ir, "{json}");
        let msgpack = codec::to_msgpack(ir).expect("valid");
        assert_eq!(&codec::from_msgpack::<ArrowType>(&msgpack).expect("decodes"), ir, "{json}");
    }
}

#[test]
fn the_ir_gives_the_data_types_it_names() {
    let cases: Vec<(ArrowType, DataType)> = vec![
        (ArrowType::Decimal128 { precision: 18, scale: 2 }, DataType::Decimal128(18, 2)),
        (ArrowType::Time32 { unit: Time32Unit::Millisecond }, DataType::Time32(ArrowTimeUnit::Millisecond)),
        (
            ArrowType::Timestamp { unit: TimeUnit::Microsecond, timezone: Some("UTC".into()) },
            DataType::Timestamp(ArrowTimeUnit::Microsecond, Some("UTC".into())),
        ),
        (ArrowType::Interval { unit: IntervalUnit::MonthDayNano }, DataType::Interval(ArrowIntervalUnit::MonthDayNano)),
        (
            ArrowType::List { field: Box::new(field("item", ArrowType::Int64, true)) },
            DataType::new_list(DataType::Int64, true),
        ),
        (
            ArrowType::Dictionary { key: DictionaryKeyType::Int32, value: Box::new(ArrowType::Utf8) },
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        ),
        (
            ArrowType::Map {
                key: Box::new(field("key", ArrowType::Utf8, false)),
                value: Box::new(field("value", ArrowType::Int64, true)),
                keys_sorted: false,
            },
            DataType::Map(
                Arc::new(Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        Field::new("key", DataType::Utf8, false),
                        Field::new("value", DataType::Int64, true),
                    ])),
                    false,
                )),
                false,
            ),
        ),
    ];
    for (ir, data_type) in cases {
        assert_eq!(DataType::from(&ir), data_type);
    }
}

#[test]
fn a_map_entries_field_of_another_name_is_normalised() {
    let entries = Field::new(
        "key_value",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", DataType::Float64, true),
        ])),
        false,
    );
    let parquet_style = DataType::Map(Arc::new(entries), false);
    let ir = ArrowType::try_from(&parquet_style).unwrap();
    let ArrowType::Map { key, value, .. } = &ir else { panic!("a map: {ir:?}") };
    assert_eq!((key.name.as_str(), value.name.as_str()), ("keys", "values"));
    let DataType::Map(normalised, _) = DataType::from(&ir) else { panic!("a map") };
    assert_eq!(normalised.name(), "entries");
    assert_eq!(ArrowType::try_from(&DataType::Map(normalised, false)).unwrap(), ir);
}

fn contract_error(data_type: &DataType) -> String {
    let error = ArrowType::try_from(data_type).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Contract, "{error}");
    error.to_string()
}

#[test]
fn types_outside_the_ir_are_refused_by_name() {
    let union = DataType::Union(
        UnionFields::try_new(vec![0], vec![Field::new("i", DataType::Int32, true)]).unwrap(),
        UnionMode::Sparse,
    );
    assert_eq!(
        contract_error(&union),
        "[dfpack:contract] the Arrow type Union(Sparse, 0: (\"i\": Int32)) has no contract form: unions are not in the Arrow type IR"
    );
    let nested = DataType::new_list(union.clone(), true);
    assert_eq!(
        contract_error(&nested),
        format!(
            "[dfpack:contract] the Arrow type {union} (in {nested}) has no contract form: unions are not in the Arrow type IR"
        )
    );
    let run_ends = DataType::RunEndEncoded(
        Arc::new(Field::new("run_ends", DataType::Int32, false)),
        Arc::new(Field::new("values", DataType::Utf8, true)),
    );
    assert!(
        contract_error(&run_ends)
            .ends_with("has no contract form: run-end encoded arrays are not in the Arrow type IR")
    );
    let view = DataType::ListView(Arc::new(Field::new_list_field(DataType::Int8, true)));
    assert!(contract_error(&view).ends_with("list views are not in the Arrow type IR"));
    let large_view = DataType::LargeListView(Arc::new(Field::new_list_field(DataType::Int8, true)));
    assert!(contract_error(&large_view).ends_with("list views are not in the Arrow type IR"));
    assert_eq!(
        contract_error(&DataType::Decimal32(9, 2)),
        "[dfpack:contract] the Arrow type Decimal32(9, 2) has no contract form: only 128- and 256-bit decimals are in the Arrow type IR"
    );
    assert!(contract_error(&DataType::Decimal64(18, 2)).contains("Decimal64(18, 2)"));
    let string_keys = DataType::Dictionary(Box::new(DataType::Utf8), Box::new(DataType::Utf8));
    assert!(contract_error(&string_keys).ends_with("a dictionary's keys must be an integer type"));
    // Not a valid arrow type either, but constructible.
    assert!(contract_error(&DataType::Time32(ArrowTimeUnit::Nanosecond)).contains("Time32(ns)"));
}

#[test]
fn values_the_schema_refuses_are_contract_errors_with_their_path() {
    assert_eq!(
        contract_error(&DataType::Decimal128(0, 0)),
        "[dfpack:contract] the Arrow type has no valid contract form: cannot encode ArrowType: precision: expected an integer from 1 to 38, found 0"
    );
    let schema = Schema::new(vec![Field::new("d", DataType::Decimal256(80, 0), true)]);
    assert_eq!(
        TableSchemaSpec::try_from(&schema).unwrap_err().to_string(),
        "[dfpack:contract] the Arrow type has no valid contract form: cannot encode TableSchemaSpec: fields[0].type.precision: expected an integer from 1 to 76, found 80"
    );
    let schema = Schema::new(vec![Field::new("u", DataType::Decimal32(1, 0), true)]);
    assert_eq!(
        TableSchemaSpec::try_from(&schema).unwrap_err().to_string(),
        "[dfpack:contract] column 'u': the Arrow type Decimal32(1, 0) has no contract form: only 128- and 256-bit decimals are in the Arrow type IR"
    );
}

#[test]
fn schemas_and_fields_convert_with_their_metadata() {
    let spec: TableSchemaSpec = decoded("table_schema_spec.json");
    let schema = Schema::from(&spec);
    assert_eq!(schema.metadata(), &HashMap::from([("owner".to_string(), "data-eng".to_string())]));
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["event_id", "event_time", "amount", "country"]);
    let event_time = schema.field(1);
    assert_eq!(event_time.data_type(), &DataType::Timestamp(ArrowTimeUnit::Microsecond, Some("UTC".into())));
    assert!(!event_time.is_nullable());
    assert_eq!(event_time.metadata().get("comment").map(String::as_str), Some("Zeitpunkt des Ereignisses ✓"));
    assert_eq!(schema.field(2).data_type(), &DataType::Decimal128(18, 2));
    assert_eq!(TableSchemaSpec::try_from(&schema).unwrap(), spec);

    let spec: FieldSpec = decoded("field_spec.json");
    assert_eq!(FieldSpec::try_from(&Field::from(&spec)).unwrap(), spec);
    let nested: ArrowType = decoded("arrow_type.json");
    assert_eq!(ArrowType::try_from(&DataType::from(&nested)).unwrap(), nested);

    // No metadata and empty metadata are the same: the IR leaves it out.
    let empty = FieldSpec { metadata: Some(BTreeMap::new()), ..field("x", ArrowType::Int8, true) };
    let as_arrow = Field::from(&empty);
    assert!(as_arrow.metadata().is_empty());
    assert_eq!(FieldSpec::try_from(&as_arrow).unwrap(), field("x", ArrowType::Int8, true));
}
