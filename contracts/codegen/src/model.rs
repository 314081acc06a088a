//! Reads `schemas/*.json` into the model the emitters write code from.
//!
//! Only the subset of JSON Schema 2020-12 the contracts use is understood,
//! and every keyword outside it is an error naming the file and the place:
//! a schema can never say more than the generated code enforces.
//!
//! | schema | model |
//! |---|---|
//! | a file's root, or a `$defs` entry, with a `title` | a named type (the title is its name) |
//! | `type: object`, `properties`, `required`, `additionalProperties: false` | a struct |
//! | `not: {required: [a, b]}` on a struct | `a` and `b` are mutually exclusive |
//! | `type: string`, `enum` | a string enum |
//! | `oneOf` of objects, each with one `const` property (the same name in all) | a tagged union on that property |
//! | `type: string` (`minLength`, `maxLength`) | a string |
//! | `type: integer`, `format` (`int8` … `uint64`), `minimum`, `maximum` | an integer of that width, range-checked |
//! | `type: boolean` | a bool |
//! | `type: array`, `items`, `uniqueItems` | a list |
//! | `type: object`, `additionalProperties: {type: string}` | a string → string map |
//! | `$ref` to a file (`x.json`), to its root (`#`) or to a `$defs` entry | the named type |
//! | `$ref` to any other JSON pointer (`x.json#/properties/uri`) | that schema, inlined |
//! | `description` | doc comments; required on every type, variant and property |
//! | `default` on an optional property: `{}`, `[]`, a boolean, an integer or a string (of a string or string enum) | absent means this value: the canonical form leaves the property out when it holds it |

use std::collections::{BTreeMap, BTreeSet};

use crate::json::Json;

pub const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";
pub const ID_BASE: &str = "https://dfpack.dev/schemas/";

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Files in name order; in each, its root, then its `$defs` types in order.
    pub types: Vec<TypeDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    pub name: String,
    pub description: String,
    /// `$id` of a file's root type: the payloads the codecs take.
    pub schema_id: Option<String>,
    pub kind: TypeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Struct(StructDef),
    StringEnum(Vec<String>),
    Union(UnionDef),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    pub fields: Vec<FieldDef>,
    /// Pairs of properties that must not both be present.
    pub exclusive: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub description: String,
    pub required: bool,
    pub shape: Shape,
    /// The value absence means (`default`), left out of the canonical form.
    pub default: Option<DefaultValue>,
}

/// The `default` values a property may declare.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    EmptyMap,
    EmptyList,
    Bool(bool),
    Integer(i128),
    String(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    String { min_length: Option<u64>, max_length: Option<u64> },
    Integer { format: IntFormat, minimum: Option<i128>, maximum: Option<i128> },
    Boolean,
    Array { items: Box<Shape>, unique: bool },
    StringMap,
    Named { name: String, boxed: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    /// The discriminator property, e.g. `type`.
    pub tag: String,
    pub variants: Vec<VariantDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariantDef {
    pub name: String,
    pub tag_value: String,
    pub description: String,
    pub fields: Vec<FieldDef>,
}

/// The integer widths a schema may ask for with `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntFormat {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

impl IntFormat {
    const ALL: [(IntFormat, &'static str); 8] = [
        (IntFormat::I8, "int8"),
        (IntFormat::I16, "int16"),
        (IntFormat::I32, "int32"),
        (IntFormat::I64, "int64"),
        (IntFormat::U8, "uint8"),
        (IntFormat::U16, "uint16"),
        (IntFormat::U32, "uint32"),
        (IntFormat::U64, "uint64"),
    ];

    fn parse(name: &str) -> Option<IntFormat> {
        IntFormat::ALL.iter().find(|(_, n)| *n == name).map(|(format, _)| *format)
    }

    pub fn rust_type(self) -> &'static str {
        match self {
            IntFormat::I8 => "i8",
            IntFormat::I16 => "i16",
            IntFormat::I32 => "i32",
            IntFormat::I64 => "i64",
            IntFormat::U8 => "u8",
            IntFormat::U16 => "u16",
            IntFormat::U32 => "u32",
            IntFormat::U64 => "u64",
        }
    }

    pub fn min(self) -> i128 {
        match self {
            IntFormat::I8 => i8::MIN.into(),
            IntFormat::I16 => i16::MIN.into(),
            IntFormat::I32 => i32::MIN.into(),
            IntFormat::I64 => i64::MIN.into(),
            IntFormat::U8 | IntFormat::U16 | IntFormat::U32 | IntFormat::U64 => 0,
        }
    }

    pub fn max(self) -> i128 {
        match self {
            IntFormat::I8 => i8::MAX.into(),
            IntFormat::I16 => i16::MAX.into(),
            IntFormat::I32 => i32::MAX.into(),
            IntFormat::I64 => i64::MAX.into(),
            IntFormat::U8 => u8::MAX.into(),
            IntFormat::U16 => u16::MAX.into(),
            IntFormat::U32 => u32::MAX.into(),
            IntFormat::U64 => u64::MAX.into(),
        }
    }
}

impl TypeDef {
    fn fields_mut(&mut self) -> Vec<&mut FieldDef> {
        match &mut self.kind {
            TypeKind::Struct(def) => def.fields.iter_mut().collect(),
            TypeKind::Union(def) => def.variants.iter_mut().flat_map(|v| v.fields.iter_mut()).collect(),
            TypeKind::StringEnum(_) => Vec::new(),
        }
    }
}

/// Reads every schema file (`(file name, text)`, any order) into a model.
pub fn read(files: &[(String, String)]) -> Result<Model, String> {
    let mut documents = BTreeMap::new();
    for (file, text) in files {
        let document = Json::parse(text).map_err(|e| format!("{file}: invalid JSON: {e}"))?;
        documents.insert(file.clone(), document);
    }
    let reader = Reader::new(&documents)?;
    let mut types = Vec::new();
    for (location, name) in &reader.order {
        types.push(reader.named_type(location, name)?);
    }
    box_recursive_references(&mut types);
    Ok(Model { types })
}

/// Where a schema is: a file and a JSON pointer inside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Location {
    file: String,
    pointer: String,
}

impl Location {
    fn describe(&self) -> String {
        if self.pointer.is_empty() { self.file.clone() } else { format!("{}#{}", self.file, self.pointer) }
    }

    fn child(&self, segments: &[&str]) -> Location {
        let mut pointer = self.pointer.clone();
        for segment in segments {
            pointer.push('/');
            pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        }
        Location { file: self.file.clone(), pointer }
    }
}

struct Reader<'a> {
    documents: &'a BTreeMap<String, Json>,
    /// Every named type by where it is defined.
    names: BTreeMap<Location, String>,
    /// Named types in output order.
    order: Vec<(Location, String)>,
}

impl<'a> Reader<'a> {
    fn new(documents: &'a BTreeMap<String, Json>) -> Result<Self, String> {
        let mut reader = Reader { documents, names: BTreeMap::new(), order: Vec::new() };
        let mut taken = BTreeSet::new();
        for (file, document) in documents {
            let root = Location { file: file.clone(), pointer: String::new() };
            check_root(file, document)?;
            reader.register(root, document, &mut taken)?;
            if let Some(defs) = document.get("$defs") {
                let defs = defs.as_object().ok_or_else(|| format!("{file}: $defs must be an object"))?;
                for (key, schema) in defs {
                    if is_variant(schema) {
                        // A variant shared by unions (`oneOf: [{$ref: ...}]`), not a type.
                        continue;
                    }
                    let location = Location { file: file.clone(), pointer: format!("/$defs/{key}") };
                    reader.register(location, schema, &mut taken)?;
                }
            }
        }
        Ok(reader)
    }

    fn register(&mut self, location: Location, schema: &Json, taken: &mut BTreeSet<String>) -> Result<(), String> {
        let name = text(schema, "title", &location)?;
        if !is_pascal_case(&name) {
            return Err(format!("{}: title '{name}' must be a PascalCase identifier", location.describe()));
        }
        if !taken.insert(name.clone()) {
            return Err(format!("{}: title '{name}' is used by another type", location.describe()));
        }
        self.names.insert(location.clone(), name.clone());
        self.order.push((location, name));
        Ok(())
    }

    fn schema_at(&self, location: &Location) -> Result<&'a Json, String> {
        self.documents
            .get(&location.file)
            .and_then(|document| document.pointer(&location.pointer))
            .ok_or_else(|| format!("{}: no such schema", location.describe()))
    }

    /// Resolves a `$ref` written at `from`: `x.json`, `x.json#/pointer`, `#`, `#/pointer`.
    fn resolve(&self, from: &Location, reference: &str) -> Result<Location, String> {
        let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if file.is_empty() { from.file.clone() } else { file.to_string() };
        if file.contains('/') || !self.documents.contains_key(&file) {
            return Err(format!("{}: $ref '{reference}' names no schema file beside it", from.describe()));
        }
        let location = Location { file, pointer: pointer.to_string() };
        self.schema_at(&location).map_err(|_| format!("{}: $ref '{reference}' points at nothing", from.describe()))?;
        Ok(location)
    }

    fn named_type(&self, location: &Location, name: &str) -> Result<TypeDef, String> {
        let schema = self.schema_at(location)?;
        let description = text(schema, "description", location)?;
        let is_root = location.pointer.is_empty();
        let schema_id = is_root.then(|| format!("{ID_BASE}{}", location.file));
        let root_keywords: &[&str] = if is_root { &["$schema", "$id", "$defs"] } else { &[] };
        let kind = if schema.get("oneOf").is_some() {
            check_keywords(schema, location, &[root_keywords, &["title", "description", "oneOf"]].concat())?;
            TypeKind::Union(self.union(location, schema)?)
        } else if schema.get("enum").is_some() {
            check_keywords(schema, location, &[root_keywords, &["title", "description", "type", "enum"]].concat())?;
            expect_type(schema, location, "string")?;
            TypeKind::StringEnum(string_enum(schema, location)?)
        } else {
            let keywords = ["title", "description", "type", "properties", "required", "additionalProperties", "not"];
            check_keywords(schema, location, &[root_keywords, &keywords].concat())?;
            TypeKind::Struct(self.structure(location, schema)?)
        };
        Ok(TypeDef { name: name.to_string(), description, schema_id, kind })
    }

    fn structure(&self, location: &Location, schema: &Json) -> Result<StructDef, String> {
        let fields = self.object_fields(location, schema, None)?;
        let mut exclusive = Vec::new();
        if let Some(not) = schema.get("not") {
            let at = location.child(&["not"]);
            check_keywords(not, &at, &["required"])?;
            let names = strings(not.get("required"), &at.child(&["required"]))?;
            let [first, second] = names.as_slice() else {
                return Err(format!("{}: must name exactly two properties", at.describe()));
            };
            for name in [first, second] {
                match fields.iter().find(|field| &field.name == name) {
                    Some(field) if !field.required => {}
                    Some(_) => return Err(format!("{}: '{name}' is required, so it cannot exclude", at.describe())),
                    None => return Err(format!("{}: '{name}' is not a property", at.describe())),
                }
            }
            exclusive.push((first.clone(), second.clone()));
        }
        Ok(StructDef { fields, exclusive })
    }

    /// The properties of an object schema, in order. `tag` names a `const`
    /// property to leave out (a union's discriminator).
    fn object_fields(&self, location: &Location, schema: &Json, tag: Option<&str>) -> Result<Vec<FieldDef>, String> {
        expect_type(schema, location, "object")?;
        if schema.get("additionalProperties") != Some(&Json::Bool(false)) {
            return Err(format!("{}: an object must say \"additionalProperties\": false", location.describe()));
        }
        let properties = schema
            .get("properties")
            .and_then(Json::as_object)
            .ok_or_else(|| format!("{}: an object needs \"properties\"", location.describe()))?;
        let required = match schema.get("required") {
            Some(list) => strings(Some(list), &location.child(&["required"]))?,
            None => Vec::new(),
        };
        for name in &required {
            if !properties.iter().any(|(property, _)| property == name) {
                return Err(format!("{}: required '{name}' is not a property", location.describe()));
            }
        }
        let mut fields = Vec::new();
        for (name, property) in properties {
            if Some(name.as_str()) == tag {
                continue;
            }
            let at = location.child(&["properties", name]);
            if !is_snake_case(name) {
                return Err(format!("{}: property names are snake_case identifiers", at.describe()));
            }
            let description = text(property, "description", &at)?;
            let shape = self.shape(&at, property, true)?;
            let required = required.contains(name);
            let default = match property.get("default") {
                None => None,
                Some(_) if required => {
                    return Err(format!("{}: a required property has no default", at.describe()));
                }
                Some(value) => Some(self.default_value(&at, value, &shape)?),
            };
            fields.push(FieldDef { name: name.clone(), description, required, shape, default });
        }
        Ok(fields)
    }

    /// A property's `default`, which must be a value of its shape.
    fn default_value(&self, location: &Location, value: &Json, shape: &Shape) -> Result<DefaultValue, String> {
        let wrong = || format!("{}: the default is not a value of the property's type", location.describe());
        let enum_values = |name: &str| -> Option<Vec<String>> {
            let target = self.names.iter().find(|(_, n)| n.as_str() == name).map(|(location, _)| location)?;
            let schema = self.schema_at(target).ok()?;
            (schema.get("enum").is_some()).then(|| string_enum(schema, target).ok()).flatten()
        };
        match (value, shape) {
            (Json::Object(entries), Shape::StringMap) if entries.is_empty() => Ok(DefaultValue::EmptyMap),
            (Json::Array(items), Shape::Array { .. }) if items.is_empty() => Ok(DefaultValue::EmptyList),
            (Json::Bool(value), Shape::Boolean) => Ok(DefaultValue::Bool(*value)),
            (Json::Integer(value), Shape::Integer { format, minimum, maximum })
                if *value >= minimum.unwrap_or(format.min()) && *value <= maximum.unwrap_or(format.max()) =>
            {
                Ok(DefaultValue::Integer(*value))
            }
            (Json::String(text), Shape::String { .. }) => Ok(DefaultValue::String(text.clone())),
            (Json::String(text), Shape::Named { name, .. })
                if enum_values(name).is_some_and(|values| values.contains(text)) =>
            {
                Ok(DefaultValue::String(text.clone()))
            }
            (Json::Object(_) | Json::Array(_), _) => Err(format!(
                "{}: an object or array default must be empty ({{}} or [])",
                location.describe()
            )),
            _ => Err(wrong()),
        }
    }

    /// The shape of a property (`described`: it carries a `description`) or
    /// of an array's items.
    fn shape(&self, location: &Location, schema: &Json, described: bool) -> Result<Shape, String> {
        let with = |keywords: &[&'static str]| allowed_keywords(keywords, described);
        if let Some(reference) = schema.get("$ref") {
            check_keywords(schema, location, &with(&["$ref"]))?;
            let reference =
                reference.as_str().ok_or_else(|| format!("{}: $ref must be a string", location.describe()))?;
            let target = self.resolve(location, reference)?;
            if let Some(name) = self.names.get(&target) {
                return Ok(Shape::Named { name: name.clone(), boxed: false });
            }
            let inlined = self.schema_at(&target)?;
            if is_variant(inlined) {
                return Err(format!("{}: a union variant can only be referenced from oneOf", location.describe()));
            }
            // The target's own description documents the target; the
            // property's documents the property.
            return self.shape(&target, inlined, inlined.get("description").is_some());
        }
        let kind = schema
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{}: needs \"type\" or \"$ref\"", location.describe()))?;
        match kind {
            "string" => {
                check_keywords(schema, location, &with(&["type", "minLength", "maxLength"]))?;
                let min_length = unsigned(schema.get("minLength"), &location.child(&["minLength"]))?;
                let max_length = unsigned(schema.get("maxLength"), &location.child(&["maxLength"]))?;
                if let (Some(min), Some(max)) = (min_length, max_length)
                    && min > max
                {
                    return Err(format!("{}: minLength is above maxLength", location.describe()));
                }
                Ok(Shape::String { min_length, max_length })
            }
            "integer" => {
                check_keywords(schema, location, &with(&["type", "format", "minimum", "maximum"]))?;
                let format_name = schema.get("format").and_then(Json::as_str).unwrap_or_default();
                let format = IntFormat::parse(format_name).ok_or_else(|| {
                    format!("{}: an integer needs a \"format\" of int8 … int64 or uint8 … uint64", location.describe())
                })?;
                let minimum = integer(schema.get("minimum"), &location.child(&["minimum"]))?;
                let maximum = integer(schema.get("maximum"), &location.child(&["maximum"]))?;
                for bound in [minimum, maximum].into_iter().flatten() {
                    if bound < format.min() || bound > format.max() {
                        return Err(format!("{}: bound {bound} does not fit {format_name}", location.describe()));
                    }
                }
                if let (Some(min), Some(max)) = (minimum, maximum)
                    && min > max
                {
                    return Err(format!("{}: minimum is above maximum", location.describe()));
                }
                Ok(Shape::Integer { format, minimum, maximum })
            }
            "boolean" => {
                check_keywords(schema, location, &with(&["type"]))?;
                Ok(Shape::Boolean)
            }
            "array" => {
                check_keywords(schema, location, &with(&["type", "items", "uniqueItems"]))?;
                let items =
                    schema.get("items").ok_or_else(|| format!("{}: an array needs items", location.describe()))?;
                let items = self.shape(&location.child(&["items"]), items, false)?;
                let unique = match schema.get("uniqueItems") {
                    None | Some(Json::Bool(false)) => false,
                    Some(Json::Bool(true)) => true,
                    Some(_) => return Err(format!("{}: uniqueItems must be a boolean", location.describe())),
                };
                Ok(Shape::Array { items: Box::new(items), unique })
            }
            "object" => {
                check_keywords(schema, location, &with(&["type", "additionalProperties"]))?;
                let values = schema.get("additionalProperties");
                let string_values = values.is_some_and(|v| {
                    v.as_object().is_some_and(|entries| entries.len() == 1)
                        && v.get("type") == Some(&str_json("string"))
                });
                if !string_values {
                    return Err(format!(
                        "{}: an inline object must be a map of strings (\"additionalProperties\": {{\"type\": \"string\"}}); \
                         give other objects a title in $defs",
                        location.describe()
                    ));
                }
                Ok(Shape::StringMap)
            }
            other => Err(format!("{}: type '{other}' is not supported", location.describe())),
        }
    }

    fn union(&self, location: &Location, schema: &Json) -> Result<UnionDef, String> {
        let Some(Json::Array(alternatives)) = schema.get("oneOf") else {
            return Err(format!("{}: oneOf must be an array", location.describe()));
        };
        let mut tag: Option<String> = None;
        let mut variants: Vec<VariantDef> = Vec::new();
        for (index, alternative) in alternatives.iter().enumerate() {
            let mut at = location.child(&["oneOf", &index.to_string()]);
            let mut variant_schema = alternative;
            if let Some(reference) = alternative.get("$ref") {
                check_keywords(alternative, &at, &["$ref"])?;
                let reference =
                    reference.as_str().ok_or_else(|| format!("{}: $ref must be a string", at.describe()))?;
                at = self.resolve(&at, reference)?;
                variant_schema = self.schema_at(&at)?;
            }
            check_keywords(
                variant_schema,
                &at,
                &["title", "description", "type", "properties", "required", "additionalProperties"],
            )?;
            let (tag_name, tag_value) = discriminator(variant_schema, &at)?;
            match &tag {
                None => tag = Some(tag_name.clone()),
                Some(existing) if *existing == tag_name => {}
                Some(existing) => {
                    return Err(format!("{}: tagged on '{tag_name}', the others on '{existing}'", at.describe()));
                }
            }
            let required = strings(variant_schema.get("required"), &at.child(&["required"]))?;
            if !required.contains(&tag_name) {
                return Err(format!("{}: the tag '{tag_name}' must be required", at.describe()));
            }
            let name = text(variant_schema, "title", &at)?;
            if !is_pascal_case(&name) {
                return Err(format!("{}: title '{name}' must be a PascalCase identifier", at.describe()));
            }
            if variants.iter().any(|v| v.name == name || v.tag_value == tag_value) {
                return Err(format!("{}: variant '{name}' ('{tag_value}') is repeated", at.describe()));
            }
            let fields = self.object_fields(&at, variant_schema, Some(&tag_name))?;
            if fields.iter().any(|field| field.name == tag_name) {
                return Err(format!("{}: a field may not share the tag's name", at.describe()));
            }
            let description = text(variant_schema, "description", &at)?;
            variants.push(VariantDef { name, tag_value, description, fields });
        }
        let tag = tag.ok_or_else(|| format!("{}: oneOf is empty", location.describe()))?;
        Ok(UnionDef { tag, variants })
    }
}

/// A file's own keywords: the dialect, and an `$id` that is its name.
fn check_root(file: &str, document: &Json) -> Result<(), String> {
    if document.get("$schema").and_then(Json::as_str) != Some(SCHEMA_DIALECT) {
        return Err(format!("{file}: \"$schema\" must be \"{SCHEMA_DIALECT}\""));
    }
    let expected = format!("{ID_BASE}{file}");
    if document.get("$id").and_then(Json::as_str) != Some(expected.as_str()) {
        return Err(format!("{file}: \"$id\" must be \"{expected}\""));
    }
    Ok(())
}

/// An object schema with a `const` property: a union's variant.
fn is_variant(schema: &Json) -> bool {
    schema
        .get("properties")
        .and_then(Json::as_object)
        .is_some_and(|properties| properties.iter().any(|(_, property)| property.get("const").is_some()))
}

/// The one `const` property of a variant, and its value.
fn discriminator(schema: &Json, location: &Location) -> Result<(String, String), String> {
    let properties = schema.get("properties").and_then(Json::as_object).unwrap_or_default();
    let mut tags = properties.iter().filter(|(_, property)| property.get("const").is_some());
    let (Some((name, property)), None) = (tags.next(), tags.next()) else {
        return Err(format!("{}: a variant needs exactly one const property (its tag)", location.describe()));
    };
    let at = location.child(&["properties", name]);
    check_keywords(property, &at, &["description", "const"])?;
    text(property, "description", &at)?;
    let value = property
        .get("const")
        .and_then(Json::as_str)
        .ok_or_else(|| format!("{}: the tag's const must be a string", at.describe()))?;
    Ok((name.clone(), value.to_string()))
}

fn string_enum(schema: &Json, location: &Location) -> Result<Vec<String>, String> {
    let values = strings(schema.get("enum"), &location.child(&["enum"]))?;
    let mut identifiers = BTreeSet::new();
    for value in &values {
        if !is_snake_case(value) || !identifiers.insert(pascal_case(value)) {
            return Err(format!("{}: enum value '{value}' must be a distinct snake_case word", location.describe()));
        }
    }
    if values.is_empty() {
        return Err(format!("{}: enum is empty", location.describe()));
    }
    Ok(values)
}

/// A property's keywords may include its description; an array's items' need none.
fn allowed_keywords(keywords: &[&'static str], described: bool) -> Vec<&'static str> {
    let mut all = keywords.to_vec();
    if described {
        // A property's keywords: `default` is checked by `object_fields`.
        all.extend(["description", "default"]);
    }
    all
}

fn check_keywords(schema: &Json, location: &Location, allowed: &[&str]) -> Result<(), String> {
    let entries = schema.as_object().ok_or_else(|| format!("{}: a schema must be an object", location.describe()))?;
    for (keyword, _) in entries {
        if !allowed.contains(&keyword.as_str()) {
            return Err(format!(
                "{}: keyword '{keyword}' is not supported here (allowed: {})",
                location.describe(),
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

fn expect_type(schema: &Json, location: &Location, expected: &str) -> Result<(), String> {
    match schema.get("type").and_then(Json::as_str) {
        Some(kind) if kind == expected => Ok(()),
        _ => Err(format!("{}: \"type\" must be \"{expected}\"", location.describe())),
    }
}

fn text(schema: &Json, keyword: &str, location: &Location) -> Result<String, String> {
    match schema.get(keyword).and_then(Json::as_str) {
        Some(value) if !value.trim().is_empty() => Ok(value.to_string()),
        _ => Err(format!("{}: needs a non-empty \"{keyword}\"", location.describe())),
    }
}

fn strings(value: Option<&Json>, location: &Location) -> Result<Vec<String>, String> {
    let Some(Json::Array(items)) = value else {
        return Err(format!("{}: must be an array of strings", location.describe()));
    };
    items
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("{}: must be an array of strings", location.describe()))
}

fn integer(value: Option<&Json>, location: &Location) -> Result<Option<i128>, String> {
    match value {
        None => Ok(None),
        Some(Json::Integer(number)) => Ok(Some(*number)),
        Some(_) => Err(format!("{}: must be an integer", location.describe())),
    }
}

fn unsigned(value: Option<&Json>, location: &Location) -> Result<Option<u64>, String> {
    integer(value, location)?
        .map(|number| u64::try_from(number).map_err(|_| format!("{}: must be non-negative", location.describe())))
        .transpose()
}

fn str_json(text: &str) -> Json {
    Json::String(text.to_string())
}

fn is_pascal_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `year_month` → `YearMonth`, `int8` → `Int8`.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Boxes just enough references that every type has a finite size (a
/// `FieldSpec` holds an `ArrowType` that may hold a `FieldSpec`). Structs'
/// references are kept inline first and unions' boxed when they would close a
/// cycle: a union's size is that of its largest variant, so boxing there keeps
/// every value small, and structs stay convenient to build. References
/// through lists need no box.
fn box_recursive_references(types: &mut [TypeDef]) {
    let is_union = |def: &TypeDef| matches!(def.kind, TypeKind::Union(_));
    let mut inline: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for unions in [false, true] {
        for def in types.iter_mut().filter(|def| is_union(def) == unions) {
            let owner = def.name.clone();
            for field in def.fields_mut() {
                if let Shape::Named { name, boxed } = &mut field.shape {
                    *boxed = reaches(&inline, name, &owner);
                    if !*boxed {
                        inline.entry(owner.clone()).or_default().insert(name.clone());
                    }
                }
            }
        }
    }
}

/// Whether `to` can be reached from `from` along `edges` (or is `from`).
fn reaches(edges: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut pending = vec![from.to_string()];
    while let Some(current) = pending.pop() {
        if current == to {
            return true;
        }
        if seen.insert(current.clone())
            && let Some(next) = edges.get(&current)
        {
            pending.extend(next.iter().cloned());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, body: &str) -> (String, String) {
        let text = format!(
            r#"{{"$schema": "{SCHEMA_DIALECT}", "$id": "{ID_BASE}{name}", "title": "{}", "description": "d", {body}}}"#,
            pascal_case(name.trim_end_matches(".json"))
        );
        (name.to_string(), text)
    }

    fn error_of(files: &[(String, String)]) -> String {
        read(files).expect_err("the schema is refused")
    }

    #[test]
    fn a_struct_with_every_property_shape() {
        let model = read(&[
            file(
                "thing.json",
                r#""type": "object", "additionalProperties": false, "required": ["id"],
                "not": {"required": ["a", "b"]},
                "properties": {
                    "id": {"description": "i", "type": "integer", "format": "uint8", "minimum": 1, "maximum": 3},
                    "a": {"description": "a", "type": "string", "minLength": 1},
                    "b": {"description": "b", "type": "boolean"},
                    "tags": {"description": "t", "type": "array", "items": {"type": "string"}, "uniqueItems": true},
                    "labels": {"description": "l", "type": "object", "additionalProperties": {"type": "string"}},
                    "other": {"description": "o", "$ref": "other.json"},
                    "copied": {"description": "c", "$ref": "other.json#/properties/x"}
                }"#,
            ),
            file(
                "other.json",
                r#""type": "object", "additionalProperties": false,
                "properties": {"x": {"description": "x", "type": "integer", "format": "int64"}}"#,
            ),
        ])
        .unwrap();
        assert_eq!(model.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["Other", "Thing"]);
        let TypeKind::Struct(thing) = &model.types[1].kind else { panic!("a struct") };
        assert_eq!(thing.exclusive, [("a".to_string(), "b".to_string())]);
        let shapes: Vec<(&str, bool, &Shape)> =
            thing.fields.iter().map(|f| (f.name.as_str(), f.required, &f.shape)).collect();
        assert_eq!(
            shapes,
            [
                ("id", true, &Shape::Integer { format: IntFormat::U8, minimum: Some(1), maximum: Some(3) }),
                ("a", false, &Shape::String { min_length: Some(1), max_length: None }),
                ("b", false, &Shape::Boolean),
                (
                    "tags",
                    false,
                    &Shape::Array {
                        items: Box::new(Shape::String { min_length: None, max_length: None }),
                        unique: true
                    }
                ),
                ("labels", false, &Shape::StringMap),
                ("other", false, &Shape::Named { name: "Other".into(), boxed: false }),
                ("copied", false, &Shape::Integer { format: IntFormat::I64, minimum: None, maximum: None }),
            ]
        );
        assert_eq!(model.types[1].schema_id.as_deref(), Some("https://dfpack.dev/schemas/thing.json"));
    }

    #[test]
    fn unions_share_variants_and_box_what_contains_itself() {
        let model = read(&[file(
            "node.json",
            r##""oneOf": [
                {"$ref": "#/$defs/leaf"},
                {"title": "Pair", "description": "p", "type": "object", "additionalProperties": false,
                 "required": ["kind", "left"],
                 "properties": {"kind": {"description": "k", "const": "pair"},
                                "left": {"description": "l", "$ref": "#"},
                                "rest": {"description": "r", "type": "array", "items": {"$ref": "#"}}}}
            ],
            "$defs": {"leaf": {"title": "Leaf", "description": "l", "type": "object", "additionalProperties": false,
                               "required": ["kind"], "properties": {"kind": {"description": "k", "const": "leaf"}}}}"##,
        )])
        .unwrap();
        assert_eq!(model.types.len(), 1, "a shared variant is not a type of its own");
        let TypeKind::Union(union) = &model.types[0].kind else { panic!("a union") };
        assert_eq!(union.tag, "kind");
        assert_eq!(union.variants.iter().map(|v| v.tag_value.as_str()).collect::<Vec<_>>(), ["leaf", "pair"]);
        let pair = &union.variants[1].fields;
        assert_eq!(pair[0].shape, Shape::Named { name: "Node".into(), boxed: true });
        let Shape::Array { items, .. } = &pair[1].shape else { panic!("a list") };
        assert_eq!(**items, Shape::Named { name: "Node".into(), boxed: false }, "a list needs no box");
    }

    #[test]
    fn a_cycle_through_a_struct_and_a_union_is_boxed_on_the_union_side() {
        let model = read(&[
            file(
                "field.json",
                r#""type": "object", "additionalProperties": false, "required": ["kind"],
                "properties": {"kind": {"description": "k", "$ref": "kind.json"}}"#,
            ),
            file(
                "kind.json",
                r##""oneOf": [{"title": "List", "description": "l", "type": "object", "additionalProperties": false,
                               "required": ["type", "item"],
                               "properties": {"type": {"description": "t", "const": "list"},
                                              "item": {"description": "i", "$ref": "field.json"}}}]"##,
            ),
        ])
        .unwrap();
        let TypeKind::Struct(field) = &model.types[0].kind else { panic!("a struct") };
        assert_eq!(field.fields[0].shape, Shape::Named { name: "Kind".into(), boxed: false });
        let TypeKind::Union(kind) = &model.types[1].kind else { panic!("a union") };
        assert_eq!(kind.variants[0].fields[0].shape, Shape::Named { name: "Field".into(), boxed: true });
    }

    #[test]
    fn defaults_are_values_of_optional_properties() {
        let props = |properties: &str, required: &str| {
            file(
                "d.json",
                &format!(r#""type": "object", "additionalProperties": false, "required": [{required}], "properties": {{{properties}}}"#),
            )
        };
        let model = read(&[props(
            r#""m": {"description": "m", "type": "object", "additionalProperties": {"type": "string"}, "default": {}},
               "f": {"description": "f", "type": "boolean", "default": false},
               "n": {"description": "n", "type": "integer", "format": "uint8", "default": 3}"#,
            "",
        )])
        .expect("valid defaults");
        let TypeKind::Struct(def) = &model.types[0].kind else { panic!("a struct") };
        let defaults: Vec<_> = def.fields.iter().map(|f| f.default.clone()).collect();
        assert_eq!(
            defaults,
            [Some(DefaultValue::EmptyMap), Some(DefaultValue::Bool(false)), Some(DefaultValue::Integer(3))]
        );

        let required = props(r#""f": {"description": "f", "type": "boolean", "default": false}"#, r#""f""#);
        assert_eq!(error_of(&[required]), "d.json#/properties/f: a required property has no default");
        let full = props(r#""l": {"description": "l", "type": "array", "items": {"type": "string"}, "default": ["x"]}"#, "");
        assert_eq!(error_of(&[full]), "d.json#/properties/l: an object or array default must be empty ({} or [])");
        let wrong = props(r#""n": {"description": "n", "type": "integer", "format": "uint8", "default": 300}"#, "");
        assert_eq!(error_of(&[wrong]), "d.json#/properties/n: the default is not a value of the property's type");
    }

    #[test]
    fn anything_outside_the_subset_is_refused_by_name() {
        let open = file("open.json", r#""type": "object", "properties": {}"#);
        assert_eq!(error_of(&[open]), r#"open.json: an object must say "additionalProperties": false"#);

        let pattern = file(
            "p.json",
            r#""type": "object", "additionalProperties": false,
               "properties": {"s": {"description": "s", "type": "string", "pattern": "^a"}}"#,
        );
        assert!(error_of(&[pattern]).starts_with("p.json#/properties/s: keyword 'pattern' is not supported here"));

        let undocumented = file(
            "u.json",
            r#""type": "object", "additionalProperties": false, "properties": {"s": {"type": "string"}}"#,
        );
        assert_eq!(error_of(&[undocumented]), r#"u.json#/properties/s: needs a non-empty "description""#);

        let unformatted = file(
            "i.json",
            r#""type": "object", "additionalProperties": false, "properties": {"n": {"description": "n", "type": "integer"}}"#,
        );
        assert!(error_of(&[unformatted]).contains("an integer needs a \"format\""));

        let too_wide = file(
            "w.json",
            r#""type": "object", "additionalProperties": false,
               "properties": {"n": {"description": "n", "type": "integer", "format": "uint8", "maximum": 300}}"#,
        );
        assert_eq!(error_of(&[too_wide]), "w.json#/properties/n: bound 300 does not fit uint8");

        let dangling = file(
            "d.json",
            r#""type": "object", "additionalProperties": false,
               "properties": {"x": {"description": "x", "$ref": "missing.json"}}"#,
        );
        assert_eq!(error_of(&[dangling]), "d.json#/properties/x: $ref 'missing.json' names no schema file beside it");

        let (name, text) =
            file("wrong_id.json", r#""type": "object", "additionalProperties": false, "properties": {}"#);
        let text = text.replace("wrong_id.json\"", "other.json\"");
        assert!(error_of(&[(name, text)]).starts_with("wrong_id.json: \"$id\" must be"));
    }

    #[test]
    fn names_convert_to_pascal_case() {
        assert_eq!(pascal_case("year_month"), "YearMonth");
        assert_eq!(pascal_case("int8"), "Int8");
        assert_eq!(pascal_case("utf8_view"), "Utf8View");
    }
}
