//! A strict reader over a decoded document: every problem is recorded with the
//! path of the value it concerns, and reading goes on, so one pass reports all
//! of a file's errors together.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Collects the errors of one document.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn push(&mut self, path: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{path}: {message}"));
    }

    pub fn into_result<T>(self, value: T) -> Result<T, Vec<String>> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0) }
    }

    /// How many problems so far: a decoder compares counts to see whether a part failed.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The name of a JSON value's type, as a user writing TOML or JSON knows it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

/// The keys of one table, read one by one; `finish` reports the keys nobody read.
pub struct Table<'a> {
    path: String,
    map: &'a Map<String, Value>,
    read: Vec<&'static str>,
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

impl<'a> Table<'a> {
    /// Reads `value` at `path` as a table, or records why it is not one.
    pub fn of(value: &'a Value, path: &str, problems: &mut Problems) -> Option<Table<'a>> {
        match value {
            Value::Object(map) => Some(Table { path: path.to_string(), map, read: Vec::new() }),
            other => {
                problems.push(path, format!("expected a table, found {}", type_name(other)));
                None
            }
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn child_path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The raw value of `key`, marking it read.
    pub fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.read.push(key);
        self.map.get(key)
    }

    pub fn table(&mut self, key: &'static str, problems: &mut Problems) -> Option<Table<'a>> {
        let path = self.child_path(key);
        self.value(key).and_then(|value| Table::of(value, &path, problems))
    }

    pub fn string(&mut self, key: &'static str, problems: &mut Problems) -> Option<String> {
        let path = self.child_path(key);
        match self.value(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                problems.push(&path, format!("expected a string, found {}", type_name(other)));
                None
            }
        }
    }

    pub fn required_string(&mut self, key: &'static str, problems: &mut Problems) -> Option<String> {
        if !self.map.contains_key(key) {
            problems.push(&self.child_path(key), "is required");
        }
        self.string(key, problems)
    }

    pub fn bool(&mut self, key: &'static str, problems: &mut Problems) -> Option<bool> {
        let path = self.child_path(key);
        match self.value(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                problems.push(&path, format!("expected a boolean, found {}", type_name(other)));
                None
            }
        }
    }

    /// A non-negative integer no greater than `max`.
    pub fn integer(&mut self, key: &'static str, max: u64, problems: &mut Problems) -> Option<u64> {
        let path = self.child_path(key);
        let value = self.value(key)?;
        match value.as_u64() {
            Some(n) if n <= max => Some(n),
            Some(n) => {
                problems.push(&path, format!("must be at most {max}, found {n}"));
                None
            }
            None => {
                let found = match value.as_i64() {
                    Some(n) => format!("{n}"),
                    None => type_name(value).to_string(),
                };
                problems.push(&path, format!("expected a non-negative integer, found {found}"));
                None
            }
        }
    }

    pub fn strings(&mut self, key: &'static str, problems: &mut Problems) -> Option<Vec<String>> {
        let path = self.child_path(key);
        match self.value(key)? {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => problems
                            .push(&format!("{path}[{i}]"), format!("expected a string, found {}", type_name(other))),
                    }
                }
                Some(out)
            }
            other => {
                problems.push(&path, format!("expected an array of strings, found {}", type_name(other)));
                None
            }
        }
    }

    /// A table of string values (storage options, properties).
    pub fn string_map(&mut self, key: &'static str, problems: &mut Problems) -> Option<BTreeMap<String, String>> {
        let table = self.table(key, problems)?;
        let mut out = BTreeMap::new();
        for (name, value) in table.map {
            match value {
                Value::String(s) => {
                    out.insert(name.clone(), s.clone());
                }
                other => problems.push(
                    &join(&table.path, name),
                    format!("expected a string, found {}", type_name(other)),
                ),
            }
        }
        Some(out)
    }

    /// One of `choices`.
    pub fn choice(&mut self, key: &'static str, choices: &[&str], problems: &mut Problems) -> Option<String> {
        let path = self.child_path(key);
        let value = self.string(key, problems)?;
        if choices.contains(&value.as_str()) {
            Some(value)
        } else {
            problems.push(&path, format!("expected one of {}, found '{value}'", choices.join(", ")));
            None
        }
    }

    /// The entries of a table whose keys are names chosen by the user.
    pub fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.map.iter()
    }

    /// Reports every key that was not read.
    pub fn finish(self, problems: &mut Problems) {
        for key in self.map.keys() {
            if !self.read.contains(&key.as_str()) {
                problems.push(&join(&self.path, key), "unknown key");
            }
        }
    }
}

/// Parses a TOML document into the JSON value model (TOML dates become RFC 3339 strings).
pub fn toml_to_json(text: &str) -> Result<Value, String> {
    let value: toml::Table = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    Ok(convert(toml::Value::Table(value)))
}

fn convert(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(convert).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.into_iter().map(|(k, v)| (k, convert(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let doc = json!({"a": {"n": 9, "s": 1, "extra": true}});
        let mut problems = Problems::default();
        let mut root = Table::of(&doc, "", &mut problems).expect("a table");
        let mut a = root.table("a", &mut problems).expect("a table");
        assert_eq!(a.integer("n", 3, &mut problems), None);
        assert_eq!(a.string("s", &mut problems), None);
        a.finish(&mut problems);
        root.finish(&mut problems);
        assert_eq!(
            problems.into_result(()).unwrap_err(),
            [
                "a.n: must be at most 3, found 9",
                "a.s: expected a string, found an integer",
                "a.extra: unknown key"
            ]
        );
    }

    #[test]
    fn toml_dates_become_strings() {
        let value = toml_to_json("t = 2024-01-02T03:04:05Z\nn = -1").expect("valid toml");
        assert_eq!(value, json!({"t": "2024-01-02T03:04:05Z", "n": -1}));
    }
}
