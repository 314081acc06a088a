//! Writes the fuzz targets' seeds, from the payloads' fixtures and schemas:
//! - `corpus/from_json/<schema>.json`: each fixture of `contracts/tests/fixtures`
//!   (one valid payload of every type), as it is;
//! - `corpus/from_msgpack/<schema>.msgpack`: its MessagePack (named fields), and
//!   `<schema>.canonical.msgpack`, its canonical form where that differs;
//! - `dict/from_json.dict`, `dict/from_msgpack.dict`: libFuzzer dictionaries of
//!   what the schemas name (property names, tags and enum values) and the integer
//!   bounds they set, each side of the bound, encoded as each format writes them.
//!   Without them the fuzzer seldom turns `false` into `true`, or a tag into another.
//!
//! Run it again when a schema or a fixture changes, and commit the result:
//!
//!     cargo run --manifest-path contracts/fuzz/Cargo.toml --example make_seeds

use std::collections::BTreeSet;
use std::fmt::{Debug, Write as _};
use std::path::{Path, PathBuf};

use dfpack_contracts::{Payload, PayloadVisitor, codec, for_each_payload};
use serde_json::Value;

struct Seeds {
    fixtures: PathBuf,
    json: PathBuf,
    msgpack: PathBuf,
    written: usize,
}

impl Seeds {
    fn write(&mut self, path: PathBuf, bytes: &[u8]) {
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        self.written += 1;
    }
}

impl PayloadVisitor for Seeds {
    fn visit<T: Payload + Clone + Debug + PartialEq + 'static>(&mut self) {
        let file = T::SCHEMA_ID.rsplit('/').next().expect("a schema $id names its file");
        let stem = file.strip_suffix(".json").expect("schema files are .json");
        let fixture = self.fixtures.join(file);
        let text = std::fs::read(&fixture).unwrap_or_else(|e| panic!("cannot read {}: {e}", fixture.display()));
        let value: T = codec::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        self.write(self.json.join(file), &text);
        let named = codec::to_msgpack(&value).expect("a decoded payload encodes");
        self.write(self.msgpack.join(format!("{stem}.msgpack")), &named);
        let canonical = codec::canonical_msgpack(&value).expect("a decoded payload has a canonical form");
        if canonical != named {
            self.write(self.msgpack.join(format!("{stem}.canonical.msgpack")), &canonical);
        }
    }
}

/// What the schemas name, and the integers at their bounds.
#[derive(Default)]
struct Words {
    strings: BTreeSet<String>,
    integers: BTreeSet<i128>,
}

impl Words {
    fn collect(&mut self, schema: &Value) {
        match schema {
            Value::Object(entries) => {
                for (key, value) in entries {
                    match (key.as_str(), value) {
                        ("properties", Value::Object(properties)) => {
                            self.strings.extend(properties.keys().cloned());
                        }
                        ("const", Value::String(word)) => {
                            self.strings.insert(word.clone());
                        }
                        ("enum", Value::Array(words)) => {
                            self.strings.extend(words.iter().filter_map(|w| w.as_str().map(str::to_string)));
                        }
                        ("minimum" | "maximum" | "minLength" | "maxLength" | "minItems" | "maxItems", Value::Number(n)) => {
                            if let Some(bound) = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) {
                                self.integers.extend([bound - 1, bound, bound + 1]);
                            }
                        }
                        _ => {}
                    }
                    self.collect(value);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.collect(item)),
            _ => {}
        }
    }
}

/// A libFuzzer dictionary entry: the bytes, quoted, with `\xNN` escapes.
fn entry(bytes: &[u8]) -> String {
    let mut line = String::from("\"");
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            line.push(b as char);
        } else {
            let _ = write!(line, "\\x{b:02X}");
        }
    }
    line.push_str("\"\n");
    line
}

fn msgpack_str(word: &str) -> Vec<u8> {
    let len = word.len();
    let mut out = match len {
        0..32 => vec![0xa0 | len as u8],
        32..256 => vec![0xd9, len as u8],
        _ => [vec![0xda], (len as u16).to_be_bytes().to_vec()].concat(),
    };
    out.extend_from_slice(word.as_bytes());
    out
}

/// An integer in MessagePack's shortest form, or none outside 64 bits.
fn msgpack_int(n: i128) -> Option<Vec<u8>> {
    Some(match n {
        0..=0x7f => vec![n as u8],
        -32..0 => vec![n as i8 as u8],
        0x80..=0xff => vec![0xcc, n as u8],
        0x100..=0xffff => [vec![0xcd], (n as u16).to_be_bytes().to_vec()].concat(),
        0x1_0000..=0xffff_ffff => [vec![0xce], (n as u32).to_be_bytes().to_vec()].concat(),
        0x1_0000_0000..=0xffff_ffff_ffff_ffff => [vec![0xcf], (n as u64).to_be_bytes().to_vec()].concat(),
        -0x80..-32 => vec![0xd0, n as i8 as u8],
        -0x8000..-0x80 => [vec![0xd1], (n as i16).to_be_bytes().to_vec()].concat(),
        -0x8000_0000..-0x8000 => [vec![0xd2], (n as i32).to_be_bytes().to_vec()].concat(),
        -0x8000_0000_0000_0000..-0x8000_0000 => [vec![0xd3], (n as i64).to_be_bytes().to_vec()].concat(),
        _ => return None,
    })
}

fn write_dicts(schemas: &Path, out: &Path) -> usize {
    let mut words = Words::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(schemas)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", schemas.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        words.collect(&serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display())));
    }
    // Beyond the bounds the schemas set: the edges of the integer types.
    words.integers.extend([0, -1, i128::from(i64::MIN), i128::from(i64::MAX) + 1, i128::from(u64::MAX) + 1]);

    let mut json = String::from("# Generated by `cargo run --example make_seeds`: what the schemas name, and integers at their bounds.\n");
    let mut msgpack = json.clone();
    for literal in ["true", "false", "null", "\"\"", "{}", "[]", "1e3", "0.5", "-0"] {
        json.push_str(&entry(literal.as_bytes()));
    }
    for word in &words.strings {
        json.push_str(&entry(serde_json::to_string(word).expect("a string encodes").as_bytes()));
        msgpack.push_str(&entry(&msgpack_str(word)));
    }
    for n in &words.integers {
        json.push_str(&entry(n.to_string().as_bytes()));
        if let Some(bytes) = msgpack_int(*n) {
            msgpack.push_str(&entry(&bytes));
        }
    }
    std::fs::create_dir_all(out).unwrap_or_else(|e| panic!("cannot create {}: {e}", out.display()));
    for (name, text) in [("from_json.dict", &json), ("from_msgpack.dict", &msgpack)] {
        let path = out.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    words.strings.len() + words.integers.len()
}

fn fresh_dir(path: &Path) -> PathBuf {
    if path.exists() {
        std::fs::remove_dir_all(path).unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
    }
    std::fs::create_dir_all(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    path.to_path_buf()
}

fn main() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Seeds {
        fixtures: fuzz.join("../tests/fixtures"),
        json: fresh_dir(&fuzz.join("corpus/from_json")),
        msgpack: fresh_dir(&fuzz.join("corpus/from_msgpack")),
        written: 0,
    };
    for_each_payload(&mut seeds);
    let words = write_dicts(&fuzz.join("../../schemas"), &fuzz.join("dict"));
    println!("make_seeds: wrote {} seed files under corpus/ and dictionaries of {words} words under dict/", seeds.written);
}
