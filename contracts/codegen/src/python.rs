//! Writes `loader/python/python/dfpack/contracts.py` from the model.
//!
//! Each struct and union variant becomes a `dataclass` carrying a table of
//! its fields' shapes (`_FIELDS`); the checks, `to_dict`/`from_dict` and the
//! encodings are written once, in the module's fixed preamble, and read the
//! tables. The checks and their messages match the Rust decoder's, so a
//! payload is refused for the same reason, at the same path, on both sides.

use std::fmt::Write as _;

use crate::model::{FieldDef, Model, Shape, TypeDef, TypeKind};
use crate::text::wrap;

/// Docstring lines end by this column.
const DOC_WIDTH: usize = 88;

/// The largest payload `from_json`/`from_msgpack` accept, as the Rust codec
/// (`dfpack_contracts::codec::MAX_PAYLOAD_BYTES`; a test keeps them equal).
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

pub fn emit(model: &Model) -> String {
    let mut out = String::new();
    out.push_str(&PREAMBLE.replace("@MAX_PAYLOAD_BYTES@", &MAX_PAYLOAD_BYTES.to_string()));
    let _ = writeln!(out, "__all__ = [");
    for name in public_names(model) {
        let _ = writeln!(out, "    \"{name}\",");
    }
    out.push_str("]\n");

    let payload_ids: Vec<String> =
        model.types.iter().filter_map(|def| def.schema_id.as_ref()).map(|id| format!("    \"{id}\",\n")).collect();
    let _ = write!(
        out,
        "\n#: The ``$id`` of every schema file, one per payload type, in file name order.\nSCHEMA_IDS: tuple[str, ...] = (\n{})\n",
        payload_ids.concat()
    );

    // Enums first: the field tables below name their values when they are built.
    for def in &model.types {
        if let TypeKind::StringEnum(values) = &def.kind {
            emit_enum(&mut out, def, values);
        }
    }
    for def in &model.types {
        match &def.kind {
            TypeKind::Struct(structure) => {
                out.push_str("\n\n");
                emit_class(
                    &mut out,
                    &ClassSpec {
                        name: &def.name,
                        base: "_Payload",
                        description: &def.description,
                        schema_id: def.schema_id.as_deref(),
                        tag_value: None,
                        fields: &structure.fields,
                        exclusive: &structure.exclusive,
                    },
                    model,
                );
            }
            TypeKind::Union(union) => {
                out.push_str("\n\n");
                emit_docstring_class_header(&mut out, &def.name, "_Union", &def.description, def.schema_id.as_deref());
                let _ = writeln!(out, "    _TAG: ClassVar[str] = \"{}\"", union.tag);
                for variant in &union.variants {
                    out.push_str("\n\n");
                    let class_name = format!("{}{}", def.name, variant.name);
                    emit_class(
                        &mut out,
                        &ClassSpec {
                            name: &class_name,
                            base: &def.name,
                            description: &variant.description,
                            schema_id: None,
                            tag_value: Some(&variant.tag_value),
                            fields: &variant.fields,
                            exclusive: &[],
                        },
                        model,
                    );
                }
                out.push('\n');
                let _ = writeln!(out, "\n{}._VARIANTS = {{", def.name);
                for variant in &union.variants {
                    let _ = writeln!(out, "    \"{}\": {}{},", variant.tag_value, def.name, variant.name);
                }
                out.push_str("}\n");
                for variant in &union.variants {
                    let _ = writeln!(out, "{0}.{1} = {0}{1}  # type: ignore[attr-defined]", def.name, variant.name);
                }
            }
            TypeKind::StringEnum(_) => {}
        }
    }
    out
}

fn public_names(model: &Model) -> Vec<String> {
    let mut names = vec!["MAX_PAYLOAD_BYTES".to_string(), "PayloadError".to_string(), "SCHEMA_IDS".to_string()];
    for def in &model.types {
        names.push(def.name.clone());
        match &def.kind {
            TypeKind::StringEnum(_) => names.push(values_constant(&def.name)),
            TypeKind::Union(union) => names.extend(union.variants.iter().map(|v| format!("{}{}", def.name, v.name))),
            TypeKind::Struct(_) => {}
        }
    }
    names
}

/// `TimeUnit` → `TIME_UNIT_VALUES`.
fn values_constant(name: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
        previous = Some(c);
    }
    out + "_VALUES"
}

fn docstring(out: &mut String, indent: &str, text: &str, trailer: Option<String>) {
    let mut lines = wrap(&escape(text), DOC_WIDTH - indent.len() - "\"\"\"".len());
    if let Some(trailer) = trailer {
        lines.push(String::new());
        lines.push(trailer);
    }
    if lines.len() == 1 {
        let _ = writeln!(out, "{indent}\"\"\"{}\"\"\"", lines[0]);
        return;
    }
    let _ = writeln!(out, "{indent}\"\"\"{}", lines[0]);
    for line in &lines[1..] {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    let _ = writeln!(out, "{indent}\"\"\"");
}

/// Descriptions go into docstrings: keep backslashes and quotes literal.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    if escaped.ends_with('"') { format!("{escaped} ") } else { escaped }
}

fn emit_enum(out: &mut String, def: &TypeDef, values: &[String]) {
    let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    out.push('\n');
    let _ = writeln!(out, "{} = Literal[{}]", def.name, quoted.join(", "));
    docstring(out, "", &def.description, None);
    // A one-value tuple needs its trailing comma.
    let trailing = if quoted.len() == 1 { "," } else { "" };
    let _ = writeln!(out, "{}: tuple[str, ...] = ({}{trailing})", values_constant(&def.name), quoted.join(", "));
}

fn emit_docstring_class_header(out: &mut String, name: &str, base: &str, description: &str, schema_id: Option<&str>) {
    let _ = writeln!(out, "class {name}({base}):");
    docstring(out, "    ", description, schema_id.map(|id| format!("Schema: ``{id}``")));
    if let Some(id) = schema_id {
        let _ = writeln!(out, "\n    SCHEMA_ID: ClassVar[str] = \"{id}\"");
    }
}

struct ClassSpec<'a> {
    name: &'a str,
    base: &'a str,
    description: &'a str,
    schema_id: Option<&'a str>,
    tag_value: Option<&'a str>,
    fields: &'a [FieldDef],
    exclusive: &'a [(String, String)],
}

fn emit_class(out: &mut String, spec: &ClassSpec<'_>, model: &Model) {
    out.push_str("@dataclass(kw_only=True)\n");
    emit_docstring_class_header(out, spec.name, spec.base, spec.description, spec.schema_id);
    if let Some(tag) = spec.tag_value {
        let _ = writeln!(out, "\n    TYPE: ClassVar[str] = \"{tag}\"");
    }
    if spec.fields.is_empty() {
        out.push_str("    _FIELDS: ClassVar[_FieldTable] = ()\n");
    } else {
        out.push_str("    _FIELDS: ClassVar[_FieldTable] = (\n");
        for field in spec.fields {
            let _ = writeln!(
                out,
                "        (\"{}\", {}, {}),",
                field.name,
                python_bool(field.required),
                shape_spec(&field.shape, model)
            );
        }
        out.push_str("    )\n");
    }
    if !spec.exclusive.is_empty() {
        let pairs: Vec<String> = spec.exclusive.iter().map(|(a, b)| format!("(\"{a}\", \"{b}\")")).collect();
        let _ = writeln!(out, "    _EXCLUSIVE: ClassVar[tuple[tuple[str, str], ...]] = ({},)", pairs.join(", "));
    }
    for field in spec.fields {
        out.push('\n');
        let annotation = annotation(&field.shape);
        if field.required {
            let _ = writeln!(out, "    {}: {annotation}", field.name);
        } else {
            let _ = writeln!(out, "    {}: {annotation} | None = None", field.name);
        }
        docstring(out, "    ", &field.description, None);
    }
}

fn python_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

fn annotation(shape: &Shape) -> String {
    match shape {
        Shape::String { .. } => "str".to_string(),
        Shape::Integer { .. } => "int".to_string(),
        Shape::Boolean => "bool".to_string(),
        Shape::Array { items, .. } => format!("list[{}]", annotation(items)),
        Shape::StringMap => "dict[str, str]".to_string(),
        Shape::Named { name, .. } => name.clone(),
    }
}

fn python_option<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "None".to_string(), |v| v.to_string())
}

fn shape_spec(shape: &Shape, model: &Model) -> String {
    match shape {
        Shape::String { min_length, max_length } => {
            format!("_Str({}, {})", python_option(*min_length), python_option(*max_length))
        }
        Shape::Integer { format, minimum, maximum } => {
            format!("_Int({}, {})", minimum.unwrap_or(format.min()), maximum.unwrap_or(format.max()))
        }
        Shape::Boolean => "_BOOL".to_string(),
        Shape::Array { items, unique } => {
            format!("_List({}, unique={})", shape_spec(items, model), python_bool(*unique))
        }
        Shape::StringMap => "_STR_MAP".to_string(),
        Shape::Named { name, .. } => {
            let is_enum =
                model.types.iter().any(|def| &def.name == name && matches!(def.kind, TypeKind::StringEnum(_)));
            if is_enum { format!("_Enum({})", values_constant(name)) } else { format!("_Ref(\"{name}\")") }
        }
    }
}

const PREAMBLE: &str = r#"# @generated by dfpack-contracts-codegen from schemas/*.json. Do not edit:
# change the schemas, then run `cargo run -p dfpack-contracts-codegen`. The
# Rust test `generated_files_are_up_to_date` fails while this file is stale.
"""dfpack's contract payloads as Python classes, generated from the JSON Schemas
(``schemas/`` in the repository) the pack's Rust types are generated from: the
same names, the same checks, the same JSON.

    >>> from dfpack.contracts import AppTransaction
    >>> AppTransaction(app_id="etl", version=3).to_json()
    '{"app_id":"etl","version":3}'
    >>> AppTransaction.from_json('{"app_id": "etl", "version": -1}')
    Traceback (most recent call last):
    ...
    dfpack.contracts.PayloadError: version: expected an integer from 0 to 9223372036854775807, found -1

Every class checks its values when it is built and when it is decoded;
``from_dict`` also rejects unknown and missing keys. A :class:`PayloadError`
(a :class:`dfpack.ConfigError`) names the path of the offending value, e.g.
``contract.schema.fields[2].type.unit``. Tagged unions (``ArrowType``,
``DictionaryKeyType``) are a base class with one dataclass per variant, also
reachable as attributes of the base: ``ArrowType.Int64()``.

``to_msgpack``/``from_msgpack`` need the ``msgpack`` package, which dfpack does
not require; the rest needs only the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Union

from .errors import ConfigError

#: The largest encoded payload ``from_json`` and ``from_msgpack`` accept, in bytes.
MAX_PAYLOAD_BYTES = @MAX_PAYLOAD_BYTES@


class PayloadError(ConfigError):
    """A payload that does not match its schema. ``path`` locates the offending
    value (``""``: the payload itself); ``reason`` says what is wrong with it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or '(root)'}: {reason}")
        self.path = path
        self.reason = reason


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _quoted(values: Any) -> str:
    return ", ".join(f"'{value}'" for value in values)


class _Shape:
    """How one field's values are checked, decoded from plain data and encoded to it."""

    def check(self, value: Any, path: str) -> None:
        raise NotImplementedError

    def decode(self, data: Any, path: str) -> Any:
        self.check(data, path)
        return data

    def encode(self, value: Any) -> Any:
        return value


class _Str(_Shape):
    def __init__(self, min_length: int | None, max_length: int | None) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise PayloadError(path, f"expected a string, found {_kind(value)}")
        length = len(value)
        low, high = self.min_length, self.max_length
        if low is not None and low == high and length != low:
            raise PayloadError(path, f"must be exactly {low} characters long, found {length}")
        if low is not None and length < low:
            if low == 1:
                raise PayloadError(path, "must not be empty")
            raise PayloadError(path, f"must be at least {low} characters long, found {length}")
        if high is not None and length > high:
            raise PayloadError(path, f"must be at most {high} characters long, found {length}")


class _Int(_Shape):
    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.high = high

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadError(path, f"expected an integer, found {_kind(value)}")
        if not self.low <= value <= self.high:
            raise PayloadError(path, f"expected an integer from {self.low} to {self.high}, found {value}")


class _Bool(_Shape):
    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            raise PayloadError(path, f"expected a boolean, found {_kind(value)}")


class _Enum(_Shape):
    def __init__(self, values: tuple[str, ...]) -> None:
        self.values = values

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise PayloadError(path, f"expected a string, found {_kind(value)}")
        if value not in self.values:
            raise PayloadError(path, f"expected one of {_quoted(self.values)}, found '{value}'")


class _List(_Shape):
    def __init__(self, item: _Shape, unique: bool) -> None:
        self.item = item
        self.unique = unique

    def _items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise PayloadError(path, f"expected an array, found {_kind(value)}")
        return list(value)

    def _check_unique(self, items: list[Any], path: str) -> None:
        if self.unique:
            for index, item in enumerate(items):
                if item in items[:index]:
                    first = items.index(item)
                    raise PayloadError(f"{path}[{index}]", f"repeats item {first} (items must be unique)")

    def check(self, value: Any, path: str) -> None:
        items = self._items(value, path)
        for index, item in enumerate(items):
            self.item.check(item, f"{path}[{index}]")
        self._check_unique(items, path)

    def decode(self, data: Any, path: str) -> Any:
        items = [self.item.decode(item, f"{path}[{index}]") for index, item in enumerate(self._items(data, path))]
        self._check_unique(items, path)
        return items

    def encode(self, value: Any) -> Any:
        return [self.item.encode(item) for item in value]


class _StrMap(_Shape):
    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise PayloadError(path, f"expected an object of strings, found {_kind(value)}")
        for key, item in value.items():
            if not isinstance(key, str):
                raise PayloadError(path, f"keys must be strings, found {_kind(key)}")
            if not isinstance(item, str):
                raise PayloadError(_at(path, key), f"expected a string, found {_kind(item)}")

    def decode(self, data: Any, path: str) -> Any:
        self.check(data, path)
        return dict(data)

    def encode(self, value: Any) -> Any:
        return dict(value)


class _Ref(_Shape):
    """A field holding another generated class, named (resolved when first used,
    so classes can refer to each other whatever their order)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _class(self) -> Any:
        return globals()[self.name]

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, self._class()):
            article = "an" if self.name[0] in "AEIOU" else "a"
            raise PayloadError(path, f"expected {article} {self.name}, found {_kind(value)}")
        value.validate(path)

    def decode(self, data: Any, path: str) -> Any:
        return self._class().from_dict(data, path)

    def encode(self, value: Any) -> Any:
        return value._plain()


_BOOL = _Bool()
_STR_MAP = _StrMap()
_FieldTable = tuple[tuple[str, bool, _Shape], ...]


def _object(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise PayloadError(path, f"expected an object, found {_kind(data)}")
    return data


def _unique_keys(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PayloadError("", f"duplicate property '{key}'")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise PayloadError("", f"{name} is not JSON")


def _check_size(size: int) -> None:
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadError("", f"a payload of {size} bytes is larger than the limit of {MAX_PAYLOAD_BYTES} bytes")


def _msgpack() -> Any:
    try:
        import msgpack  # type: ignore[import-not-found]
    except ImportError:
        raise ImportError(
            "MessagePack needs the msgpack package (pip install msgpack); dfpack does not require it"
        ) from None
    return msgpack


class _Payload:
    """What every generated class shares: checks, plain-data conversion, encodings."""

    _FIELDS: ClassVar[_FieldTable] = ()
    _EXCLUSIVE: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, path: str = "") -> None:
        """Raises :class:`PayloadError` naming the first value that breaks the schema."""
        for name, required, shape in self._FIELDS:
            value = getattr(self, name)
            if value is None:
                if required:
                    raise PayloadError(_at(path, name), "missing required property")
                continue
            shape.check(value, _at(path, name))
        for first, second in self._EXCLUSIVE:
            if getattr(self, first) is not None and getattr(self, second) is not None:
                raise PayloadError(path, f"give either {first} or {second}, not both")

    def to_dict(self) -> dict[str, Any]:
        """The payload as plain data (absent optional values left out), after checking it."""
        self.validate()
        return self._plain()

    def _plain(self) -> dict[str, Any]:
        plain: dict[str, Any] = {}
        for name, _, shape in self._FIELDS:
            value = getattr(self, name)
            if value is not None:
                plain[name] = shape.encode(value)
        return plain

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Any:
        """Decodes plain data, rejecting wrong types, out-of-range values, and
        missing or unknown keys; ``path`` prefixes the paths in errors."""
        return cls._from_entries(_object(data, path), path, ())

    @classmethod
    def _from_entries(cls, entries: Mapping[str, Any], path: str, reserved: tuple[str, ...]) -> Any:
        values: dict[str, Any] = {}
        for name, required, shape in cls._FIELDS:
            if name in entries:
                values[name] = shape.decode(entries[name], _at(path, name))
            elif required:
                raise PayloadError(_at(path, name), "missing required property")
        for first, second in cls._EXCLUSIVE:
            if first in values and second in values:
                raise PayloadError(path, f"give either {first} or {second}, not both")
        known = reserved + tuple(name for name, _, _ in cls._FIELDS)
        for key in entries:
            if key not in known:
                raise PayloadError(_at(path, str(key)), f"unknown property (expected one of: {', '.join(known)})")
        return cls(**values)

    def to_json(self) -> str:
        """Compact JSON with sorted keys."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> Any:
        """Decodes JSON strictly: also rejects duplicate keys, NaN and oversized input."""
        _check_size(len(text.encode() if isinstance(text, str) else text))
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            raise PayloadError("", f"invalid JSON: {error}") from None
        return cls.from_dict(data)

    def to_msgpack(self) -> bytes:
        """MessagePack with named fields (needs the ``msgpack`` package)."""
        packed: bytes = _msgpack().packb(self.to_dict(), use_bin_type=True)
        return packed

    @classmethod
    def from_msgpack(cls, data: bytes) -> Any:
        """Decodes one MessagePack value strictly: also rejects trailing bytes,
        duplicate keys and oversized input (needs the ``msgpack`` package)."""
        msgpack = _msgpack()
        _check_size(len(data))
        try:
            plain = msgpack.unpackb(data, raw=False, strict_map_key=True, object_pairs_hook=_unique_keys)
        except PayloadError:
            raise
        except Exception as error:  # msgpack raises several classes, ExtraData among them
            raise PayloadError("", f"invalid MessagePack: {error}") from None
        return cls.from_dict(plain)


class _Union(_Payload):
    """A tagged union: the base class of its variants, which are dataclasses
    carrying their tag in ``TYPE``. ``from_dict`` on the base picks the variant."""

    _TAG: ClassVar[str] = "type"
    _VARIANTS: ClassVar[dict[str, Any]] = {}
    TYPE: ClassVar[str] = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if not cls.TYPE:
            example = next(iter(cls._VARIANTS.values()), cls).__name__
            raise TypeError(f"{cls.__name__} is a union: build one of its variants, e.g. {example}")
        return super().__new__(cls)

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Any:
        entries = _object(data, path)
        tag_path = _at(path, cls._TAG)
        tags = tuple(cls._VARIANTS)
        if cls._TAG not in entries:
            raise PayloadError(tag_path, f"missing required property (one of {_quoted(tags)})")
        tag = entries[cls._TAG]
        if not isinstance(tag, str):
            raise PayloadError(tag_path, f"expected a string, found {_kind(tag)}")
        if cls.TYPE and tag != cls.TYPE:
            raise PayloadError(tag_path, f"expected '{cls.TYPE}', found '{tag}'")
        variant = cls._VARIANTS.get(tag)
        if variant is None:
            raise PayloadError(tag_path, f"expected one of {_quoted(tags)}, found '{tag}'")
        return variant._from_entries(entries, path, (cls._TAG,))

    def _plain(self) -> dict[str, Any]:
        return {self._TAG: self.TYPE, **super()._plain()}

"#;
