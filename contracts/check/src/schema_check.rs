//! An arrow schema against a contract, under the contract's evolution policy.
//!
//! Types are compared through the Arrow type IR (`dfpack_contracts::arrow_ir`),
//! so a map's entries-field name, which the IR does not carry, is no mismatch.
//! Metadata: every key the contract declares must be present with its value;
//! keys the table adds (Delta adds its own) are no mismatch.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use arrow::datatypes::{DataType, Field, Schema};
use dfpack_contracts::{ArrowType, ContractSpec, EvolutionPolicy, FieldSpec};

/// What is checked: a table's schema as read, or the rows about to be written.
///
/// A write's input says nothing about nullability or metadata (a query's
/// columns are nullable whatever it produces, and carry no table metadata):
/// for writes those are left to the table and to data validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Read,
    Write,
}

/// One way a schema departs from its contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    MissingColumn { column: String, expected: String },
    TypeMismatch { column: String, expected: String, found: String },
    /// The contract says non-null; the table allows nulls.
    Nullable { column: String },
    /// A column the contract lacks (`strict` only).
    ExtraColumn { column: String, found: String },
    /// `column` is `None` for the schema's own metadata.
    Metadata { column: Option<String>, key: String, expected: String, found: Option<String> },
}

impl Violation {
    /// The column the violation is about; `None` for the schema's metadata.
    pub fn column(&self) -> Option<&str> {
        match self {
            Violation::MissingColumn { column, .. }
            | Violation::TypeMismatch { column, .. }
            | Violation::Nullable { column }
            | Violation::ExtraColumn { column, .. } => Some(column),
            Violation::Metadata { column, .. } => column.as_deref(),
        }
    }

    /// A stable short name of the problem, for rows of `pack_contract_check`.
    pub fn kind(&self) -> &'static str {
        match self {
            Violation::MissingColumn { .. } => "missing_column",
            Violation::TypeMismatch { .. } => "type_mismatch",
            Violation::Nullable { .. } => "nullability",
            Violation::ExtraColumn { .. } => "extra_column",
            Violation::Metadata { .. } => "metadata_mismatch",
        }
    }

    /// What the contract expects, in the contract's terms.
    pub fn expected(&self) -> String {
        match self {
            Violation::MissingColumn { expected, .. } | Violation::TypeMismatch { expected, .. } => expected.clone(),
            Violation::Nullable { .. } => "NOT NULL".to_string(),
            Violation::ExtraColumn { .. } => "no such column".to_string(),
            Violation::Metadata { key, expected, .. } => format!("{key}={expected}"),
        }
    }

    /// What the schema has instead.
    pub fn found(&self) -> String {
        match self {
            Violation::MissingColumn { .. } => "no such column".to_string(),
            Violation::TypeMismatch { found, .. } | Violation::ExtraColumn { found, .. } => found.clone(),
            Violation::Nullable { .. } => "nullable".to_string(),
            Violation::Metadata { key, found, .. } => match found {
                Some(value) => format!("{key}={value}"),
                None => format!("no key {key}"),
            },
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::MissingColumn { column, expected } => {
                write!(f, "column '{column}' is missing (expected {expected})")
            }
            Violation::TypeMismatch { column, expected, found } => {
                write!(f, "column '{column}': expected type {expected}, found {found}")
            }
            Violation::Nullable { column } => {
                write!(f, "column '{column}': expected NOT NULL, found nullable")
            }
            Violation::ExtraColumn { column, found } => {
                write!(f, "column '{column}' ({found}) is not in the contract (evolution strict)")
            }
            Violation::Metadata { column, key, expected, found } => {
                match column {
                    Some(column) => write!(f, "column '{column}' metadata '{key}': ")?,
                    None => write!(f, "schema metadata '{key}': ")?,
                }
                match found {
                    Some(found) => write!(f, "expected '{expected}', found '{found}'"),
                    None => write!(f, "expected '{expected}', found no such key"),
                }
            }
        }
    }
}

/// Every way `actual` departs from `contract`, in the contract's column order
/// (extra columns last).
pub fn check_schema(actual: &Schema, contract: &ContractSpec, side: Side) -> Vec<Violation> {
    let mut violations = Vec::new();
    let policy = contract.evolution;
    for expected in &contract.schema.fields {
        let Ok(found) = actual.field_with_name(&expected.name) else {
            violations.push(Violation::MissingColumn {
                column: expected.name.clone(),
                expected: describe_spec(expected),
            });
            continue;
        };
        if !same_type(&expected.r#type, found.data_type()) {
            violations.push(Violation::TypeMismatch {
                column: expected.name.clone(),
                expected: DataType::from(&expected.r#type).to_string(),
                found: found.data_type().to_string(),
            });
        }
        if side == Side::Read {
            if !expected.nullable && found.is_nullable() && policy != EvolutionPolicy::Relaxed {
                violations.push(Violation::Nullable { column: expected.name.clone() });
            }
            metadata_violations(Some(&expected.name), expected.metadata.as_ref(), found.metadata(), &mut violations);
        }
    }
    if side == Side::Read {
        metadata_violations(None, contract.schema.metadata.as_ref(), actual.metadata(), &mut violations);
    }
    if policy == EvolutionPolicy::Strict {
        for field in actual.fields() {
            if !contract.schema.fields.iter().any(|spec| &spec.name == field.name()) {
                violations.push(Violation::ExtraColumn { column: field.name().clone(), found: describe(field) });
            }
        }
    }
    violations
}

/// One line listing every violation, for the error of a read or write.
pub fn describe_violations(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Dictionary encoding is a physical form: a dictionary of the contract's
/// type matches it (Delta scans wrap partition values so, and writes into
/// their tables take that schema), unless the contract asks for a dictionary.
fn same_type(expected: &ArrowType, found: &DataType) -> bool {
    let matches = |found: &DataType| ArrowType::try_from(found).is_ok_and(|found| &found == expected);
    match found {
        DataType::Dictionary(_, values) if !matches!(expected, ArrowType::Dictionary { .. }) => matches(values),
        other => matches(other),
    }
}

fn describe_spec(spec: &FieldSpec) -> String {
    describe(&Field::from(spec))
}

fn describe(field: &Field) -> String {
    let null = if field.is_nullable() { "" } else { " NOT NULL" };
    format!("{}{null}", field.data_type())
}

fn metadata_violations(
    column: Option<&String>,
    expected: Option<&BTreeMap<String, String>>,
    found: &HashMap<String, String>,
    violations: &mut Vec<Violation>,
) {
    for (key, value) in expected.into_iter().flatten() {
        let actual = found.get(key);
        if actual != Some(value) {
            violations.push(Violation::Metadata {
                column: column.cloned(),
                key: key.clone(),
                expected: value.clone(),
                found: actual.cloned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use dfpack_contracts::TableSchemaSpec;

    use super::*;

    fn spec(name: &str, r#type: ArrowType, nullable: bool) -> FieldSpec {
        FieldSpec { name: name.into(), r#type, nullable, metadata: None }
    }

    fn contract(evolution: EvolutionPolicy) -> ContractSpec {
        let mut id = spec("id", ArrowType::Int64, false);
        id.metadata = Some(BTreeMap::from([("comment".to_string(), "key".to_string())]));
        ContractSpec {
            schema: TableSchemaSpec { fields: vec![id, spec("amount", ArrowType::Float64, true)], metadata: None },
            evolution,
            check_constraints: None,
        }
    }

    fn id_field(nullable: bool) -> Field {
        Field::new("id", DataType::Int64, nullable)
            .with_metadata(HashMap::from([("comment".to_string(), "key".to_string())]))
    }

    #[test]
    fn a_matching_schema_has_no_violations_under_any_policy() {
        let schema = Schema::new(vec![id_field(false), Field::new("amount", DataType::Float64, true)]);
        for policy in EvolutionPolicy::ALL {
            assert_eq!(check_schema(&schema, &contract(policy), Side::Read), vec![], "{policy:?}");
        }
    }

    #[test]
    fn extra_columns_are_refused_only_by_strict() {
        let schema = Schema::new(vec![
            id_field(false),
            Field::new("amount", DataType::Float64, true),
            Field::new("note", DataType::Utf8, true),
        ]);
        let strict = check_schema(&schema, &contract(EvolutionPolicy::Strict), Side::Read);
        assert_eq!(strict, vec![Violation::ExtraColumn { column: "note".into(), found: "Utf8".into() }]);
        assert_eq!(strict[0].to_string(), "column 'note' (Utf8) is not in the contract (evolution strict)");
        assert_eq!(check_schema(&schema, &contract(EvolutionPolicy::Additive), Side::Read), vec![]);
        assert_eq!(check_schema(&schema, &contract(EvolutionPolicy::Relaxed), Side::Read), vec![]);
    }

    #[test]
    fn a_nullable_column_the_contract_says_is_non_null_passes_only_relaxed() {
        let schema = Schema::new(vec![id_field(true), Field::new("amount", DataType::Float64, true)]);
        let expected = vec![Violation::Nullable { column: "id".into() }];
        assert_eq!(check_schema(&schema, &contract(EvolutionPolicy::Strict), Side::Read), expected);
        assert_eq!(check_schema(&schema, &contract(EvolutionPolicy::Additive), Side::Read), expected);
        assert_eq!(check_schema(&schema, &contract(EvolutionPolicy::Relaxed), Side::Read), vec![]);
        // A write's input is nullable whatever it holds: its data is checked instead.
        assert_eq!(check_schema(&schema, &contract(EvolutionPolicy::Strict), Side::Write), vec![]);
    }

    #[test]
    fn missing_columns_type_and_metadata_mismatches_are_all_reported() {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Utf8, false)
                .with_metadata(HashMap::from([("comment".to_string(), "other".to_string())])),
        ]);
        let found = check_schema(&schema, &contract(EvolutionPolicy::Relaxed), Side::Read);
        let messages: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "column 'id': expected type Int64, found Utf8",
                "column 'id' metadata 'comment': expected 'key', found 'other'",
                "column 'amount' is missing (expected Float64)",
            ]
        );
        assert_eq!(
            (found[2].kind(), found[2].column(), found[2].expected(), found[2].found()),
            ("missing_column", Some("amount"), "Float64".to_string(), "no such column".to_string())
        );
    }

    #[test]
    fn schema_metadata_is_checked_on_reads() {
        let mut contract = contract(EvolutionPolicy::Additive);
        contract.schema.metadata = Some(BTreeMap::from([("owner".to_string(), "finance".to_string())]));
        let schema = Schema::new(vec![id_field(false), Field::new("amount", DataType::Float64, true)]);
        let found = check_schema(&schema, &contract, Side::Read);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].to_string(), "schema metadata 'owner': expected 'finance', found no such key");
        assert_eq!(check_schema(&schema, &contract, Side::Write), vec![]);
    }

    #[test]
    fn a_dictionary_of_the_contracts_type_matches_it() {
        let contract = ContractSpec {
            schema: TableSchemaSpec { fields: vec![spec("country", ArrowType::Utf8, true)], metadata: None },
            evolution: EvolutionPolicy::Strict,
            check_constraints: None,
        };
        let wrapped = DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Utf8));
        let schema = Schema::new(vec![Field::new("country", wrapped, true)]);
        assert_eq!(check_schema(&schema, &contract, Side::Write), vec![]);
        let other = DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Int64));
        let schema = Schema::new(vec![Field::new("country", other, true)]);
        assert_eq!(check_schema(&schema, &contract, Side::Write).len(), 1, "a dictionary of another type");
    }
}
