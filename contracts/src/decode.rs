//! The strict decoder the generated types are read with.
//!
//! Decoding has two steps. The input (JSON or MessagePack) is parsed into a
//! [`Node`] tree, which refuses what no payload can hold: duplicate keys,
//! non-string keys, nesting deeper than [`MAX_DEPTH`]. Then each generated
//! type's [`Decode`] impl reads the tree, checking what its schema says
//! (types, ranges, lengths, unique items, required, unknown and mutually
//! exclusive properties) and recording every problem with its path
//! (`contract.schema.fields[2].type.unit`), so one error lists them all.
//!
//! Why not serde's derived `Deserialize` with `deny_unknown_fields`: an
//! internally tagged enum (the Arrow type IR) buffers its content before it
//! picks the variant, which loses the path of anything inside it (also for
//! `serde_path_to_error`), and a unit variant ignores unknown fields
//! (`{"type": "int8", "oops": 1}` is accepted). The generated types still
//! implement `Deserialize`, through this decoder.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// How deeply arrays and objects may nest in a payload (an object at the
/// top is level 1). Below serde_json's own limit (128), so both formats stop
/// at the same depth with the same error, naming the path. The deepest
/// payload the schemas describe nests a few levels per nested Arrow type.
pub const MAX_DEPTH: usize = 100;

/// At most this many problems are listed; the rest are counted.
pub const MAX_PROBLEMS: usize = 50;

/// A parsed payload, before it is checked against a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    String(String),
    /// MessagePack bin: no schema type accepts it, but the decoder names it.
    Bytes(Vec<u8>),
    Array(Vec<Node>),
    /// Entries in input order; keys are unique.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// What kind of value this is, for messages ("expected a string, found an integer").
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Integer(_) => "an integer",
            Node::Float(_) => "a float",
            Node::String(_) => "a string",
            Node::Bytes(_) => "binary data",
            Node::Array(_) => "an array",
            Node::Map(_) => "an object",
        }
    }

    /// Reads a node from any serde deserializer (serde_json's, rmp-serde's).
    pub fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        NodeSeed { depth: 1, trail: &Trail::Root }.deserialize(deserializer)
    }

    /// The node of a serializable value (a generated type): how encoders check
    /// what they are about to write, with the decoder's own rules.
    pub fn of<T: serde::Serialize>(value: &T) -> Result<Node, String> {
        serde_json::to_value(value).map(Node::from).map_err(|e| e.to_string())
    }
}

impl From<serde_json::Value> for Node {
    fn from(value: serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
                (Some(i), _, _) => Node::Integer(i.into()),
                (None, Some(u), _) => Node::Integer(u.into()),
                (None, None, Some(f)) => Node::Float(f),
                (None, None, None) => Node::Null,
            },
            Value::String(s) => Node::String(s),
            Value::Array(items) => Node::Array(items.into_iter().map(Node::from).collect()),
            Value::Object(entries) => Node::Map(entries.into_iter().map(|(k, v)| (k, Node::from(v))).collect()),
        }
    }
}

/// Where a value is, rendered like `contract.schema.fields[2].type.unit`;
/// the payload itself is `(root)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    pub fn root() -> Path {
        Path(String::new())
    }

    pub fn key(&self, key: &str) -> Path {
        if self.0.is_empty() { Path(key.to_string()) } else { Path(format!("{}.{key}", self.0)) }
    }

    pub fn index(&self, index: usize) -> Path {
        Path(format!("{}[{index}]", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { f.write_str("(root)") } else { f.write_str(&self.0) }
    }
}

/// One thing wrong with a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Path,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a payload, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    listed: Vec<Problem>,
    unlisted: usize,
}

impl Problems {
    pub fn push(&mut self, at: &Path, message: impl Into<String>) {
        if self.listed.len() < MAX_PROBLEMS {
            self.listed.push(Problem { path: at.clone(), message: message.into() });
        } else {
            self.unlisted += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    pub fn len(&self) -> usize {
        self.listed.len() + self.unlisted
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.listed.iter()
    }
}

impl fmt::Display for Problems {
    /// One problem on one line; several as a count and one indented line each.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.listed.as_slice() {
            [] => f.write_str("no problems"),
            [only] if self.unlisted == 0 => only.fmt(f),
            listed => {
                write!(f, "{} problems:", self.len())?;
                for problem in listed {
                    write!(f, "\n  {problem}")?;
                }
                if self.unlisted > 0 {
                    write!(f, "\n  … and {} more", self.unlisted)?;
                }
                Ok(())
            }
        }
    }
}

/// A type read from a [`Node`] under its schema's rules. Implemented by the
/// generated code; returns `None` when it recorded a problem.
pub trait Decode: Sized {
    fn decode(node: &Node, at: &Path, problems: &mut Problems) -> Option<Self>;
}

/// Decodes a whole payload: the value, or every problem found.
pub fn decode_node<T: Decode>(node: &Node) -> Result<T, Problems> {
    let mut problems = Problems::default();
    match T::decode(node, &Path::root(), &mut problems) {
        Some(value) if problems.is_empty() => Ok(value),
        _ => Err(problems),
    }
}

/// `Deserialize` for the generated types: the node, then [`Decode`].
pub fn deserialize_strict<'de, T: Decode, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    let node = Node::read(deserializer)?;
    decode_node(&node).map_err(de::Error::custom)
}

/// An object being decoded: it tracks which properties were read, so the
/// rest can be reported as unknown.
pub struct Object<'a> {
    entries: &'a [(String, Node)],
    read: Vec<bool>,
    at: &'a Path,
}

impl<'a> Object<'a> {
    pub fn open(node: &'a Node, at: &'a Path, problems: &mut Problems) -> Option<Object<'a>> {
        match node {
            Node::Map(entries) => Some(Object { entries, read: vec![false; entries.len()], at }),
            other => {
                problems.push(at, format!("expected an object, found {}", other.kind()));
                None
            }
        }
    }

    fn take(&mut self, key: &str) -> Option<&'a Node> {
        let index = self.entries.iter().position(|(name, _)| name == key)?;
        self.read[index] = true;
        Some(&self.entries[index].1)
    }

    /// Whether the property is present, read or not.
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(name, _)| name == key)
    }

    /// A required property: `None` (a problem recorded) when missing or invalid.
    pub fn required<T>(
        &mut self,
        key: &str,
        problems: &mut Problems,
        decode: impl FnOnce(&Node, &Path, &mut Problems) -> Option<T>,
    ) -> Option<T> {
        let at = self.at.key(key);
        match self.take(key) {
            Some(node) => decode(node, &at, problems),
            None => {
                problems.push(&at, "missing required property");
                None
            }
        }
    }

    /// An optional property: `Some(None)` when absent, `None` (a problem
    /// recorded) when present but invalid.
    pub fn optional<T>(
        &mut self,
        key: &str,
        problems: &mut Problems,
        decode: impl FnOnce(&Node, &Path, &mut Problems) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.take(key) {
            Some(node) => decode(node, &self.at.key(key), problems).map(Some),
            None => Some(None),
        }
    }

    /// A union's tag: one of `tags`, or `None` with a problem recorded.
    pub fn tag(&mut self, key: &str, tags: &[&'static str], problems: &mut Problems) -> Option<&'static str> {
        let at = self.at.key(key);
        match self.take(key) {
            None => {
                problems.push(&at, format!("missing required property (one of {})", quoted(tags.iter())));
                None
            }
            Some(Node::String(value)) => {
                let found = tags.iter().find(|tag| **tag == value.as_str()).copied();
                if found.is_none() {
                    problems.push(&at, format!("expected one of {}, found '{value}'", quoted(tags.iter())));
                }
                found
            }
            Some(other) => {
                problems.push(&at, format!("expected a string, found {}", other.kind()));
                None
            }
        }
    }

    /// Records a problem when both properties are present.
    pub fn exclusive(&self, first: &str, second: &str, problems: &mut Problems) {
        if self.has(first) && self.has(second) {
            problems.push(self.at, format!("give either {first} or {second}, not both"));
        }
    }

    /// Records every property that was not read as unknown.
    pub fn finish(self, known: &[&str], problems: &mut Problems) {
        for ((name, _), read) in self.entries.iter().zip(&self.read) {
            if !read {
                problems.push(&self.at.key(name), format!("unknown property (expected one of: {})", known.join(", ")));
            }
        }
    }
}

fn quoted<'a>(values: impl Iterator<Item = &'a &'a str>) -> String {
    values.map(|value| format!("'{value}'")).collect::<Vec<_>>().join(", ")
}

/// A string, with its length (in characters, as JSON Schema counts) checked.
pub fn string(
    min_length: Option<u64>,
    max_length: Option<u64>,
) -> impl Fn(&Node, &Path, &mut Problems) -> Option<String> {
    move |node, at, problems| {
        let Node::String(value) = node else {
            problems.push(at, format!("expected a string, found {}", node.kind()));
            return None;
        };
        let length = value.chars().count() as u64;
        let problem = match (min_length, max_length) {
            (Some(low), Some(high)) if low == high && length != low => {
                Some(format!("must be exactly {low} characters long, found {length}"))
            }
            (Some(1), _) if length == 0 => Some("must not be empty".to_string()),
            (Some(low), _) if length < low => Some(format!("must be at least {low} characters long, found {length}")),
            (_, Some(high)) if length > high => Some(format!("must be at most {high} characters long, found {length}")),
            _ => None,
        };
        match problem {
            Some(message) => {
                problems.push(at, message);
                None
            }
            None => Some(value.clone()),
        }
    }
}

/// The integer types a schema's `format` maps to, with their ranges.
pub trait IntegerFormat: TryFrom<i128> {
    const MIN: i128;
    const MAX: i128;
}

macro_rules! integer_format {
    ($($t:ty),*) => {$(
        impl IntegerFormat for $t {
            const MIN: i128 = <$t>::MIN as i128;
            const MAX: i128 = <$t>::MAX as i128;
        }
    )*};
}
integer_format!(i8, i16, i32, i64, u8, u16, u32, u64);

/// An integer within the schema's bounds and its type's. A float is refused
/// even when integral: payloads write integers as integers.
pub fn integer<T: IntegerFormat>(
    minimum: Option<i128>,
    maximum: Option<i128>,
) -> impl Fn(&Node, &Path, &mut Problems) -> Option<T> {
    let low = minimum.map_or(T::MIN, |m| m.max(T::MIN));
    let high = maximum.map_or(T::MAX, |m| m.min(T::MAX));
    move |node, at, problems| {
        let Node::Integer(value) = node else {
            problems.push(at, format!("expected an integer, found {}", node.kind()));
            return None;
        };
        let converted = if (low..=high).contains(value) { T::try_from(*value).ok() } else { None };
        if converted.is_none() {
            problems.push(at, format!("expected an integer from {low} to {high}, found {value}"));
        }
        converted
    }
}

pub fn boolean(node: &Node, at: &Path, problems: &mut Problems) -> Option<bool> {
    match node {
        Node::Bool(value) => Some(*value),
        other => {
            problems.push(at, format!("expected a boolean, found {}", other.kind()));
            None
        }
    }
}

/// A list, each item decoded at its index; `unique` refuses repeated items.
pub fn array<T: PartialEq>(
    unique: bool,
    item: impl Fn(&Node, &Path, &mut Problems) -> Option<T>,
) -> impl Fn(&Node, &Path, &mut Problems) -> Option<Vec<T>> {
    move |node, at, problems| {
        let Node::Array(nodes) = node else {
            problems.push(at, format!("expected an array, found {}", node.kind()));
            return None;
        };
        let mut items = Vec::with_capacity(nodes.len());
        let mut valid = true;
        for (index, node) in nodes.iter().enumerate() {
            match item(node, &at.index(index), problems) {
                Some(value) => items.push(value),
                None => valid = false,
            }
        }
        if !valid {
            return None;
        }
        if unique {
            for (index, value) in items.iter().enumerate() {
                if let Some(first) = items[..index].iter().position(|earlier| earlier == value) {
                    problems.push(&at.index(index), format!("repeats item {first} (items must be unique)"));
                    valid = false;
                }
            }
        }
        valid.then_some(items)
    }
}

/// An object of strings.
pub fn string_map(node: &Node, at: &Path, problems: &mut Problems) -> Option<BTreeMap<String, String>> {
    let Node::Map(entries) = node else {
        problems.push(at, format!("expected an object of strings, found {}", node.kind()));
        return None;
    };
    let mut map = BTreeMap::new();
    let mut valid = true;
    for (key, value) in entries {
        match value {
            Node::String(text) => {
                map.insert(key.clone(), text.clone());
            }
            other => {
                problems.push(&at.key(key), format!("expected a string, found {}", other.kind()));
                valid = false;
            }
        }
    }
    valid.then_some(map)
}

/// One of a string enum's values.
pub fn one_of<T: Copy>(
    node: &Node,
    at: &Path,
    problems: &mut Problems,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Option<T> {
    let Node::String(value) = node else {
        problems.push(at, format!("expected a string, found {}", node.kind()));
        return None;
    };
    let found = all.iter().copied().find(|candidate| name(*candidate) == value);
    if found.is_none() {
        let names: Vec<&'static str> = all.iter().map(|v| name(*v)).collect();
        problems.push(at, format!("expected one of {}, found '{value}'", quoted(names.iter())));
    }
    found
}

/// A decoder of a type that holds itself, boxed.
pub fn boxed<T>(
    decode: impl Fn(&Node, &Path, &mut Problems) -> Option<T>,
) -> impl Fn(&Node, &Path, &mut Problems) -> Option<Box<T>> {
    move |node, at, problems| decode(node, at, problems).map(Box::new)
}

/// Where the parser is, kept on the stack (a link per nesting level), so a
/// path is only rendered when there is an error to report.
enum Trail<'a> {
    Root,
    Key(&'a Trail<'a>, &'a str),
    Index(&'a Trail<'a>, usize),
}

impl Trail<'_> {
    fn path(&self) -> Path {
        match self {
            Trail::Root => Path::root(),
            Trail::Key(parent, key) => parent.path().key(key),
            Trail::Index(parent, index) => parent.path().index(*index),
        }
    }
}

struct NodeSeed<'a> {
    depth: usize,
    trail: &'a Trail<'a>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl NodeSeed<'_> {
    /// The depth of this container's children, or an error if the container
    /// itself is too deep.
    fn nested<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth > MAX_DEPTH {
            return Err(E::custom(format!("{}: nested deeper than {MAX_DEPTH} levels", self.trail.path())));
        }
        Ok(self.depth + 1)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a payload value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Integer(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Integer(value.into()))
    }

    fn visit_i128<E>(self, value: i128) -> Result<Node, E> {
        Ok(Node::Integer(value))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Node, E> {
        i128::try_from(value)
            .map(Node::Integer)
            .map_err(|_| E::custom(format!("{}: the integer {value} is too large", self.trail.path())))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Float(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::String(value))
    }

    fn visit_bytes<E>(self, value: &[u8]) -> Result<Node, E> {
        Ok(Node::Bytes(value.to_vec()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let depth = self.nested()?;
        // The size hint comes from the input (a MessagePack array header may
        // claim four billion elements): trust it only so far.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        loop {
            let trail = Trail::Index(self.trail, items.len());
            match seq.next_element_seed(NodeSeed { depth, trail: &trail })? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let depth = self.nested()?;
        let mut entries: Vec<(String, Node)> = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key_seed(KeySeed { trail: self.trail })? {
            if entries.iter().any(|(existing, _)| *existing == key) {
                return Err(de::Error::custom(format!("{}: duplicate property", self.trail.path().key(&key))));
            }
            let trail = Trail::Key(self.trail, &key);
            let value = map.next_value_seed(NodeSeed { depth, trail: &trail })?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// Reads an object key, which must be a string (MessagePack allows any key).
struct KeySeed<'a> {
    trail: &'a Trail<'a>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string key in {}", self.trail.path())
    }

    fn visit_str<E>(self, value: &str) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_string<E>(self, value: String) -> Result<String, E> {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_keys_and_indexes_and_the_root() {
        let path = Path::root().key("contract").key("schema").key("fields").index(2).key("type");
        assert_eq!(path.to_string(), "contract.schema.fields[2].type");
        assert_eq!(Path::root().to_string(), "(root)");
        assert_eq!(Path::root().index(0).to_string(), "[0]");
    }

    #[test]
    fn problems_are_listed_up_to_a_bound_and_counted_beyond() {
        let mut problems = Problems::default();
        assert_eq!(problems.to_string(), "no problems");
        problems.push(&Path::root().key("a"), "bad");
        assert_eq!(problems.to_string(), "a: bad");
        for i in 0..MAX_PROBLEMS + 2 {
            problems.push(&Path::root().index(i), "worse");
        }
        assert_eq!(problems.len(), MAX_PROBLEMS + 3);
        assert_eq!(problems.iter().count(), MAX_PROBLEMS);
        let text = problems.to_string();
        assert!(text.starts_with("53 problems:\n  a: bad\n  [0]: worse\n"), "{text}");
        assert!(text.ends_with("\n  [48]: worse\n  … and 3 more"), "{text}");
    }

    #[test]
    fn a_node_is_read_from_json_keeping_order_and_integers_exact() {
        let mut deserializer =
            serde_json::Deserializer::from_str(r#"{"z": [18446744073709551615, -1, 0.5], "a": null}"#);
        let node = Node::read(&mut deserializer).unwrap();
        assert_eq!(
            node,
            Node::Map(vec![
                (
                    "z".to_string(),
                    Node::Array(vec![Node::Integer(u64::MAX.into()), Node::Integer(-1), Node::Float(0.5)])
                ),
                ("a".to_string(), Node::Null),
            ])
        );
    }

    #[test]
    fn integers_are_checked_against_the_schema_and_the_type() {
        let mut problems = Problems::default();
        let at = Path::root().key("n");
        let schema_bound = integer::<u8>(Some(1), Some(3));
        assert_eq!(schema_bound(&Node::Integer(3), &at, &mut problems), Some(3u8));
        assert_eq!(schema_bound(&Node::Integer(4), &at, &mut problems), None);
        let type_bound = integer::<i8>(None, None);
        assert_eq!(type_bound(&Node::Integer(-129), &at, &mut problems), None);
        assert_eq!(type_bound(&Node::Bool(true), &at, &mut problems), None);
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "n: expected an integer from 1 to 3, found 4",
                "n: expected an integer from -128 to 127, found -129",
                "n: expected an integer, found a boolean",
            ]
        );
    }
}
