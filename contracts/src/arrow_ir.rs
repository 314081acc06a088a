//! The Arrow type IR ([`ArrowType`], [`FieldSpec`], [`TableSchemaSpec`]) and
//! arrow's `DataType`, `Field` and `Schema`, converted both ways.
//!
//! IR → arrow is total: every IR value has a `DataType`. Arrow → IR refuses
//! what the IR cannot say — unions, run-end encoded arrays, list views, 32-
//! and 64-bit decimals — with an [`Error::Contract`] naming the type (and
//! the type it sits in), and what the IR's schema refuses (a `Decimal128` of
//! precision 0, say).
//!
//! Two normalisations, so that IR → arrow → IR is the identity and arrow →
//! IR → arrow is the identity on arrow's usual forms:
//! - metadata: an empty map and no map are the same; the IR leaves it out;
//! - a map's entries field is named `entries` and is non-null (arrow-rs's
//!   convention; other writers say `key_value`): its name is not part of the
//!   IR, so compare map types through the IR, not with `DataType`'s `==`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, IntervalUnit as ArrowIntervalUnit, Schema, TimeUnit as ArrowTimeUnit};
use dfpack_common::{Error, Result};

use crate::codec;
use crate::{ArrowType, DictionaryKeyType, FieldSpec, IntervalUnit, TableSchemaSpec, Time32Unit, Time64Unit, TimeUnit};

/// The name of a map's entries field in the `DataType`s made from the IR.
pub const MAP_ENTRIES_NAME: &str = "entries";

impl From<&ArrowType> for DataType {
    fn from(ir: &ArrowType) -> DataType {
        match ir {
            ArrowType::Null => DataType::Null,
            ArrowType::Boolean => DataType::Boolean,
            ArrowType::Int8 => DataType::Int8,
            ArrowType::Int16 => DataType::Int16,
            ArrowType::Int32 => DataType::Int32,
            ArrowType::Int64 => DataType::Int64,
            ArrowType::UInt8 => DataType::UInt8,
            ArrowType::UInt16 => DataType::UInt16,
            ArrowType::UInt32 => DataType::UInt32,
            ArrowType::UInt64 => DataType::UInt64,
            ArrowType::Float16 => DataType::Float16,
            ArrowType::Float32 => DataType::Float32,
            ArrowType::Float64 => DataType::Float64,
            ArrowType::Decimal128 { precision, scale } => DataType::Decimal128(*precision, *scale),
            ArrowType::Decimal256 { precision, scale } => DataType::Decimal256(*precision, *scale),
            ArrowType::Date32 => DataType::Date32,
            ArrowType::Date64 => DataType::Date64,
            ArrowType::Time32 { unit } => DataType::Time32(match unit {
                Time32Unit::Second => ArrowTimeUnit::Second,
                Time32Unit::Millisecond => ArrowTimeUnit::Millisecond,
            }),
            ArrowType::Time64 { unit } => DataType::Time64(match unit {
                Time64Unit::Microsecond => ArrowTimeUnit::Microsecond,
                Time64Unit::Nanosecond => ArrowTimeUnit::Nanosecond,
            }),
            ArrowType::Timestamp { unit, timezone } => {
                DataType::Timestamp(arrow_time_unit(*unit), timezone.as_deref().map(Arc::from))
            }
            ArrowType::Duration { unit } => DataType::Duration(arrow_time_unit(*unit)),
            ArrowType::Interval { unit } => DataType::Interval(match unit {
                IntervalUnit::YearMonth => ArrowIntervalUnit::YearMonth,
                IntervalUnit::DayTime => ArrowIntervalUnit::DayTime,
                IntervalUnit::MonthDayNano => ArrowIntervalUnit::MonthDayNano,
            }),
            ArrowType::Binary => DataType::Binary,
            ArrowType::LargeBinary => DataType::LargeBinary,
            ArrowType::BinaryView => DataType::BinaryView,
            ArrowType::FixedSizeBinary { byte_width } => DataType::FixedSizeBinary(*byte_width),
            ArrowType::Utf8 => DataType::Utf8,
            ArrowType::LargeUtf8 => DataType::LargeUtf8,
            ArrowType::Utf8View => DataType::Utf8View,
            ArrowType::List { field } => DataType::List(Arc::new(Field::from(field.as_ref()))),
            ArrowType::LargeList { field } => DataType::LargeList(Arc::new(Field::from(field.as_ref()))),
            ArrowType::FixedSizeList { field, size } => {
                DataType::FixedSizeList(Arc::new(Field::from(field.as_ref())), *size)
            }
            ArrowType::Map { key, value, keys_sorted } => {
                let entries =
                    DataType::Struct(Fields::from(vec![Field::from(key.as_ref()), Field::from(value.as_ref())]));
                DataType::Map(Arc::new(Field::new(MAP_ENTRIES_NAME, entries, false)), *keys_sorted)
            }
            ArrowType::Struct { fields } => DataType::Struct(fields.iter().map(Field::from).collect()),
            ArrowType::Dictionary { key, value } => {
                DataType::Dictionary(Box::new(DataType::from(key)), Box::new(DataType::from(value.as_ref())))
            }
        }
    }
}

impl From<&DictionaryKeyType> for DataType {
    fn from(key: &DictionaryKeyType) -> DataType {
        match key {
            DictionaryKeyType::Int8 => DataType::Int8,
            DictionaryKeyType::Int16 => DataType::Int16,
            DictionaryKeyType::Int32 => DataType::Int32,
            DictionaryKeyType::Int64 => DataType::Int64,
            DictionaryKeyType::UInt8 => DataType::UInt8,
            DictionaryKeyType::UInt16 => DataType::UInt16,
            DictionaryKeyType::UInt32 => DataType::UInt32,
            DictionaryKeyType::UInt64 => DataType::UInt64,
        }
    }
}

fn arrow_time_unit(unit: TimeUnit) -> ArrowTimeUnit {
    match unit {
        TimeUnit::Second => ArrowTimeUnit::Second,
        TimeUnit::Millisecond => ArrowTimeUnit::Millisecond,
        TimeUnit::Microsecond => ArrowTimeUnit::Microsecond,
        TimeUnit::Nanosecond => ArrowTimeUnit::Nanosecond,
    }
}

fn ir_time_unit(unit: ArrowTimeUnit) -> TimeUnit {
    match unit {
        ArrowTimeUnit::Second => TimeUnit::Second,
        ArrowTimeUnit::Millisecond => TimeUnit::Millisecond,
        ArrowTimeUnit::Microsecond => TimeUnit::Microsecond,
        ArrowTimeUnit::Nanosecond => TimeUnit::Nanosecond,
    }
}

impl From<&FieldSpec> for Field {
    fn from(spec: &FieldSpec) -> Field {
        let field = Field::new(spec.name.clone(), DataType::from(&spec.r#type), spec.nullable);
        match &spec.metadata {
            Some(metadata) if !metadata.is_empty() => field.with_metadata(hash_map(metadata)),
            _ => field,
        }
    }
}

impl From<&TableSchemaSpec> for Schema {
    fn from(spec: &TableSchemaSpec) -> Schema {
        let fields: Fields = spec.fields.iter().map(Field::from).collect();
        match &spec.metadata {
            Some(metadata) if !metadata.is_empty() => Schema::new_with_metadata(fields, hash_map(metadata)),
            _ => Schema::new(fields),
        }
    }
}

fn hash_map(metadata: &BTreeMap<String, String>) -> HashMap<String, String> {
    metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Arrow metadata in the IR: sorted, and left out when empty.
fn ir_metadata(metadata: &HashMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!metadata.is_empty()).then(|| metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

impl TryFrom<&DataType> for ArrowType {
    type Error = Error;

    fn try_from(data_type: &DataType) -> Result<ArrowType> {
        let ir = ir_type(data_type).map_err(|unsupported| unsupported.into_error(data_type))?;
        checked(ir)
    }
}

impl TryFrom<&Field> for FieldSpec {
    type Error = Error;

    fn try_from(field: &Field) -> Result<FieldSpec> {
        let spec = ir_field(field).map_err(|unsupported| unsupported.into_error(field.data_type()))?;
        checked(spec)
    }
}

impl TryFrom<&Schema> for TableSchemaSpec {
    type Error = Error;

    fn try_from(schema: &Schema) -> Result<TableSchemaSpec> {
        let mut fields = Vec::with_capacity(schema.fields().len());
        for field in schema.fields() {
            let spec = ir_field(field).map_err(|unsupported| {
                let error = unsupported.into_error(field.data_type());
                Error::Contract(format!("column '{}': {}", field.name(), strip_tag(&error)))
            })?;
            fields.push(spec);
        }
        checked(TableSchemaSpec { fields, metadata: ir_metadata(schema.metadata()) })
    }
}

/// A converted value the IR's schema refuses (a decimal of precision 0):
/// a contract error with the problems' paths.
fn checked<T: crate::Payload>(ir: T) -> Result<T> {
    codec::validate(&ir).map_err(|error| {
        Error::Contract(format!("the Arrow type has no valid contract form: {}", strip_tag(&error)))
    })?;
    Ok(ir)
}

/// An error's message without its `[dfpack:…]` tag, to be wrapped in another.
fn strip_tag(error: &Error) -> String {
    match error {
        Error::Config(message) | Error::Contract(message) => message.clone(),
        other => other.to_string(),
    }
}

/// A type the IR cannot express, found while converting.
struct Unsupported(DataType);

impl Unsupported {
    fn into_error(self, outer: &DataType) -> Error {
        let Unsupported(inner) = self;
        let what = unsupported_reason(&inner);
        if &inner == outer {
            Error::Contract(format!("the Arrow type {inner} has no contract form: {what}"))
        } else {
            Error::Contract(format!("the Arrow type {inner} (in {outer}) has no contract form: {what}"))
        }
    }
}

fn unsupported_reason(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Union(_, _) => "unions are not in the Arrow type IR",
        DataType::RunEndEncoded(_, _) => "run-end encoded arrays are not in the Arrow type IR",
        DataType::ListView(_) | DataType::LargeListView(_) => "list views are not in the Arrow type IR",
        DataType::Decimal32(_, _) | DataType::Decimal64(_, _) => {
            "only 128- and 256-bit decimals are in the Arrow type IR"
        }
        DataType::Dictionary(_, _) => "a dictionary's keys must be an integer type",
        DataType::Map(_, _) => "a map's entries must be a struct of a key and a value",
        _ => "it is not in the Arrow type IR",
    }
}

fn ir_field(field: &Field) -> std::result::Result<FieldSpec, Unsupported> {
    Ok(FieldSpec {
        name: field.name().clone(),
        r#type: ir_type(field.data_type())?,
        nullable: field.is_nullable(),
        metadata: ir_metadata(field.metadata()),
    })
}

fn ir_type(data_type: &DataType) -> std::result::Result<ArrowType, Unsupported> {
    let unsupported = || Unsupported(data_type.clone());
    Ok(match data_type {
        DataType::Null => ArrowType::Null,
        DataType::Boolean => ArrowType::Boolean,
        DataType::Int8 => ArrowType::Int8,
        DataType::Int16 => ArrowType::Int16,
        DataType::Int32 => ArrowType::Int32,
        DataType::Int64 => ArrowType::Int64,
        DataType::UInt8 => ArrowType::UInt8,
        DataType::UInt16 => ArrowType::UInt16,
        DataType::UInt32 => ArrowType::UInt32,
        DataType::UInt64 => ArrowType::UInt64,
        DataType::Float16 => ArrowType::Float16,
        DataType::Float32 => ArrowType::Float32,
        DataType::Float64 => ArrowType::Float64,
        DataType::Decimal128(precision, scale) => ArrowType::Decimal128 { precision: *precision, scale: *scale },
        DataType::Decimal256(precision, scale) => ArrowType::Decimal256 { precision: *precision, scale: *scale },
        DataType::Date32 => ArrowType::Date32,
        DataType::Date64 => ArrowType::Date64,
        DataType::Time32(unit) => ArrowType::Time32 {
            unit: match unit {
                ArrowTimeUnit::Second => Time32Unit::Second,
                ArrowTimeUnit::Millisecond => Time32Unit::Millisecond,
                // Not a valid arrow type either: Time32 holds seconds or milliseconds.
                ArrowTimeUnit::Microsecond | ArrowTimeUnit::Nanosecond => return Err(unsupported()),
            },
        },
        DataType::Time64(unit) => ArrowType::Time64 {
            unit: match unit {
                ArrowTimeUnit::Microsecond => Time64Unit::Microsecond,
                ArrowTimeUnit::Nanosecond => Time64Unit::Nanosecond,
                ArrowTimeUnit::Second | ArrowTimeUnit::Millisecond => return Err(unsupported()),
            },
        },
        DataType::Timestamp(unit, timezone) => {
            ArrowType::Timestamp { unit: ir_time_unit(*unit), timezone: timezone.as_deref().map(str::to_string) }
        }
        DataType::Duration(unit) => ArrowType::Duration { unit: ir_time_unit(*unit) },
        DataType::Interval(unit) => ArrowType::Interval {
            unit: match unit {
                ArrowIntervalUnit::YearMonth => IntervalUnit::YearMonth,
                ArrowIntervalUnit::DayTime => IntervalUnit::DayTime,
                ArrowIntervalUnit::MonthDayNano => IntervalUnit::MonthDayNano,
            },
        },
        DataType::Binary => ArrowType::Binary,
        DataType::LargeBinary => ArrowType::LargeBinary,
        DataType::BinaryView => ArrowType::BinaryView,
        DataType::FixedSizeBinary(width) => ArrowType::FixedSizeBinary { byte_width: *width },
        DataType::Utf8 => ArrowType::Utf8,
        DataType::LargeUtf8 => ArrowType::LargeUtf8,
        DataType::Utf8View => ArrowType::Utf8View,
        DataType::List(field) => ArrowType::List { field: Box::new(ir_field(field)?) },
        DataType::LargeList(field) => ArrowType::LargeList { field: Box::new(ir_field(field)?) },
        DataType::FixedSizeList(field, size) => {
            ArrowType::FixedSizeList { field: Box::new(ir_field(field)?), size: *size }
        }
        DataType::Map(entries, keys_sorted) => {
            let DataType::Struct(pair) = entries.data_type() else {
                return Err(unsupported());
            };
            let [key, value] = pair.iter().collect::<Vec<_>>()[..] else {
                return Err(unsupported());
            };
            ArrowType::Map {
                key: Box::new(ir_field(key)?),
                value: Box::new(ir_field(value)?),
                keys_sorted: *keys_sorted,
            }
        }
        DataType::Struct(fields) => {
            ArrowType::Struct { fields: fields.iter().map(|f| ir_field(f)).collect::<std::result::Result<_, _>>()? }
        }
        DataType::Dictionary(key, value) => {
            let key = match key.as_ref() {
                DataType::Int8 => DictionaryKeyType::Int8,
                DataType::Int16 => DictionaryKeyType::Int16,
                DataType::Int32 => DictionaryKeyType::Int32,
                DataType::Int64 => DictionaryKeyType::Int64,
                DataType::UInt8 => DictionaryKeyType::UInt8,
                DataType::UInt16 => DictionaryKeyType::UInt16,
                DataType::UInt32 => DictionaryKeyType::UInt32,
                DataType::UInt64 => DictionaryKeyType::UInt64,
                _ => return Err(unsupported()),
            };
            ArrowType::Dictionary { key, value: Box::new(ir_type(value)?) }
        }
        DataType::Union(_, _)
        | DataType::RunEndEncoded(_, _)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::Decimal32(_, _)
        | DataType::Decimal64(_, _) => return Err(unsupported()),
    })
}
