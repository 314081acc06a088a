//! Renders Arrow values as text, as JSON, and names their logical kind: the
//! value model of `map_entries_text`.
//!
//! A [`Renderer`] is built once per array (a batch's map keys or values) and
//! then renders any row of it into a `fmt::Write` sink without allocating.
//!
//! Text rendering (the top level of an entry):
//! - strings as they are, without quotes;
//! - booleans `true`/`false`; integers in decimal; floats in shortest
//!   round-trip form (`1.5`, `1e20`, `NaN`, `inf`, `-inf`); decimals with their
//!   scale (`123.45`);
//! - binaries as lowercase hex, two digits per byte (`deadbeef`);
//! - dates `2024-01-15`, times `12:34:56`, timestamps ISO 8601
//!   (`2024-01-15T12:34:56`, with the offset when the type has a time zone:
//!   `2024-01-15T14:34:56+02:00`), durations ISO 8601 (`PT1S`), intervals as
//!   Arrow displays them (`1 mons 2 days`);
//! - lists, structs and maps as JSON text (below).
//!
//! JSON rendering (inside nested values): lists are arrays, structs objects
//! keyed by field name, maps objects keyed by the key's text rendering (in
//! stored order; duplicate keys are kept). Nulls are `null`; booleans,
//! integers, decimals and finite floats are JSON numbers/literals; every other
//! value (strings, binaries as hex, temporal values, non-finite floats) is a
//! JSON string holding its text rendering. Dictionary- and run-end-encoded
//! values render as their values; a union value as its selected member.

use std::fmt::{self, Write};

use arrow::array::{
    Array, AsArray, Float16Array, Float32Array, Float64Array, UnionArray, downcast_run_array,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion_common::{DataFusionError, Result, exec_datafusion_err, exec_err};

/// Arrow's default display options: ISO 8601 dates and timestamps, hex binaries.
const OPTIONS: FormatOptions<'static> = FormatOptions::new();

/// Renders the rows of one array.
pub struct Renderer<'a> {
    /// Logical nulls: for dictionaries, runs and unions they include null values.
    nulls: Option<NullBuffer>,
    node: Node<'a>,
}

enum Node<'a> {
    /// The `Null` type: every row is null.
    Null,
    Leaf {
        kind: &'static str,
        json: LeafJson<'a>,
        formatter: ArrayFormatter<'a>,
    },
    List {
        ranges: ListRanges<'a>,
        child: Box<Renderer<'a>>,
    },
    Struct {
        /// Field names, already JSON-quoted and followed by `:`.
        names: Vec<String>,
        children: Vec<Renderer<'a>>,
    },
    Map {
        offsets: &'a [i32],
        keys: Box<Renderer<'a>>,
        values: Box<Renderer<'a>>,
    },
    /// Dictionary- or run-end-encoded: row `i` is row `indices[i]` of `child`.
    Indirect {
        indices: Vec<usize>,
        child: Box<Renderer<'a>>,
    },
    Union {
        array: &'a UnionArray,
        /// Member renderers by type id.
        children: Vec<Option<Renderer<'a>>>,
    },
}

/// How a leaf value appears inside JSON.
enum LeafJson<'a> {
    /// As displayed: booleans, integers and decimals are valid JSON as text.
    Raw,
    /// As a JSON string of its display.
    Quoted,
    /// A number when finite, else a string (`"NaN"`, `"inf"`, `"-inf"`).
    Float(Floats<'a>),
}

enum Floats<'a> {
    F16(&'a Float16Array),
    F32(&'a Float32Array),
    F64(&'a Float64Array),
}

impl Floats<'_> {
    fn is_finite(&self, row: usize) -> bool {
        match self {
            Self::F16(array) => array.value(row).is_finite(),
            Self::F32(array) => array.value(row).is_finite(),
            Self::F64(array) => array.value(row).is_finite(),
        }
    }
}

/// Where each list row's elements are in the child array.
enum ListRanges<'a> {
    Offsets32(&'a [i32]),
    Offsets64(&'a [i64]),
    Fixed(usize),
    View32(&'a [i32], &'a [i32]),
    View64(&'a [i64], &'a [i64]),
}

impl ListRanges<'_> {
    fn range(&self, row: usize) -> (usize, usize) {
        // Offsets of a valid array are non-negative; a malformed negative one
        // becomes an empty range instead of a wrapped-around index.
        let span = |start: i64, len: i64| {
            let start = usize::try_from(start).unwrap_or(0);
            (start, start + usize::try_from(len).unwrap_or(0))
        };
        match self {
            Self::Offsets32(offsets) => span(
                i64::from(offsets[row]),
                i64::from(offsets[row + 1]) - i64::from(offsets[row]),
            ),
            Self::Offsets64(offsets) => span(offsets[row], offsets[row + 1] - offsets[row]),
            Self::Fixed(size) => (row * size, (row + 1) * size),
            Self::View32(offsets, sizes) => span(i64::from(offsets[row]), i64::from(sizes[row])),
            Self::View64(offsets, sizes) => span(offsets[row], sizes[row]),
        }
    }
}

/// Escapes what is written through it as the inside of a JSON string.
struct JsonEscaped<'w>(&'w mut dyn Write);

impl Write for JsonEscaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        let mut start = 0;
        for (index, &byte) in bytes.iter().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0C => "\\f",
                0x00..=0x1F => "",
                _ => continue,
            };
            // Escaped bytes are ASCII, so these are char boundaries.
            self.0.write_str(&s[start..index])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            start = index + 1;
        }
        self.0.write_str(&s[start..])
    }
}

/// Writes `s` as a JSON string, quotes included.
fn write_json_string(s: &str, out: &mut dyn Write) -> fmt::Result {
    out.write_char('"')?;
    JsonEscaped(out).write_str(s)?;
    out.write_char('"')
}

fn format_error(function: &str, error: impl fmt::Display) -> DataFusionError {
    exec_datafusion_err!("{function}: cannot render a value: {error}")
}

impl<'a> Renderer<'a> {
    /// A renderer for `array`. Fails only for a type Arrow cannot display.
    pub fn try_new(function: &str, array: &'a dyn Array) -> Result<Self> {
        let nulls = array.logical_nulls();
        let node = Node::try_new(function, array)?;
        Ok(Self { nulls, node })
    }

    pub fn is_null(&self, row: usize) -> bool {
        matches!(self.node, Node::Null) || self.nulls.as_ref().is_some_and(|n| n.is_null(row))
    }

    /// The logical kind of row `row`, `null` when it is null.
    pub fn kind(&self, row: usize) -> &'static str {
        if self.is_null(row) {
            return "null";
        }
        match &self.node {
            Node::Null => "null",
            Node::Leaf { kind, .. } => kind,
            Node::List { .. } => "list",
            Node::Struct { .. } => "struct",
            Node::Map { .. } => "map",
            Node::Indirect { indices, child } => child.kind(indices[row]),
            Node::Union { array, children } => match union_member(array, children, row) {
                Some((child, child_row)) => child.kind(child_row),
                None => "union",
            },
        }
    }

    /// Writes row `row` as text: scalars as displayed, nested values as JSON.
    /// A null row writes `null`; callers that keep nulls as SQL NULL check
    /// [`Self::is_null`] first.
    pub fn write_text(&self, function: &str, row: usize, out: &mut dyn Write) -> Result<()> {
        if self.is_null(row) {
            return out.write_str("null").map_err(|e| format_error(function, e));
        }
        match &self.node {
            Node::Leaf { formatter, .. } => formatter
                .value(row)
                .write(out)
                .map_err(|e| format_error(function, e)),
            Node::Indirect { indices, child } => child.write_text(function, indices[row], out),
            Node::Union { array, children } => match union_member(array, children, row) {
                Some((child, child_row)) => child.write_text(function, child_row, out),
                None => bad_union(function, array, row),
            },
            Node::Null | Node::List { .. } | Node::Struct { .. } | Node::Map { .. } => {
                self.write_json(function, row, out)
            }
        }
    }

    /// Writes row `row` as JSON.
    pub fn write_json(&self, function: &str, row: usize, out: &mut dyn Write) -> Result<()> {
        self.try_write_json(function, row, out)
            .map_err(|e| match e {
                RenderError::Fmt(e) => format_error(function, e),
                RenderError::DataFusion(e) => e,
            })
    }

    fn try_write_json(
        &self,
        function: &str,
        row: usize,
        out: &mut dyn Write,
    ) -> std::result::Result<(), RenderError> {
        if self.is_null(row) {
            out.write_str("null")?;
            return Ok(());
        }
        match &self.node {
            Node::Null => out.write_str("null")?,
            Node::Leaf {
                json, formatter, ..
            } => {
                let quoted = match json {
                    LeafJson::Raw => false,
                    LeafJson::Quoted => true,
                    LeafJson::Float(floats) => !floats.is_finite(row),
                };
                if quoted {
                    out.write_char('"')?;
                    formatter
                        .value(row)
                        .write(&mut JsonEscaped(out))
                        .map_err(|e| format_error(function, e))?;
                    out.write_char('"')?;
                } else {
                    formatter
                        .value(row)
                        .write(out)
                        .map_err(|e| format_error(function, e))?;
                }
            }
            Node::List { ranges, child } => {
                let (start, end) = ranges.range(row);
                out.write_char('[')?;
                for element in start..end {
                    if element > start {
                        out.write_char(',')?;
                    }
                    child.try_write_json(function, element, out)?;
                }
                out.write_char(']')?;
            }
            Node::Struct { names, children } => {
                out.write_char('{')?;
                for (index, (name, child)) in names.iter().zip(children).enumerate() {
                    if index > 0 {
                        out.write_char(',')?;
                    }
                    out.write_str(name)?;
                    child.try_write_json(function, row, out)?;
                }
                out.write_char('}')?;
            }
            Node::Map {
                offsets,
                keys,
                values,
            } => {
                let start = usize::try_from(offsets[row]).unwrap_or(0);
                let end = usize::try_from(offsets[row + 1]).unwrap_or(start);
                out.write_char('{')?;
                for entry in start..end {
                    if entry > start {
                        out.write_char(',')?;
                    }
                    out.write_char('"')?;
                    keys.write_text(function, entry, &mut JsonEscaped(out))?;
                    out.write_str("\":")?;
                    values.try_write_json(function, entry, out)?;
                }
                out.write_char('}')?;
            }
            Node::Indirect { indices, child } => {
                child.try_write_json(function, indices[row], out)?
            }
            Node::Union { array, children } => match union_member(array, children, row) {
                Some((child, child_row)) => child.try_write_json(function, child_row, out)?,
                None => bad_union(function, array, row)?,
            },
        }
        Ok(())
    }
}

enum RenderError {
    Fmt(fmt::Error),
    DataFusion(DataFusionError),
}

impl From<fmt::Error> for RenderError {
    fn from(error: fmt::Error) -> Self {
        Self::Fmt(error)
    }
}

impl From<DataFusionError> for RenderError {
    fn from(error: DataFusionError) -> Self {
        Self::DataFusion(error)
    }
}

fn union_member<'r, 'a>(
    array: &UnionArray,
    children: &'r [Option<Renderer<'a>>],
    row: usize,
) -> Option<(&'r Renderer<'a>, usize)> {
    let type_id = usize::try_from(array.type_id(row)).ok()?;
    let child = children.get(type_id)?.as_ref()?;
    Some((child, array.value_offset(row)))
}

fn bad_union(function: &str, array: &UnionArray, row: usize) -> Result<()> {
    exec_err!(
        "{function}: union row {row} has type id {}, which its type does not declare",
        array.type_id(row)
    )
}

impl<'a> Node<'a> {
    fn try_new(function: &str, array: &'a dyn Array) -> Result<Self> {
        use DataType::*;
        let leaf = |kind: &'static str, json: LeafJson<'a>| -> Result<Self> {
            let formatter = ArrayFormatter::try_new(array, &OPTIONS).map_err(|e| {
                exec_datafusion_err!("{function} cannot render {}: {e}", array.data_type())
            })?;
            Ok(Self::Leaf {
                kind,
                json,
                formatter,
            })
        };
        let boxed = |child: &'a dyn Array| -> Result<Box<Renderer<'a>>> {
            Ok(Box::new(Renderer::try_new(function, child)?))
        };
        match array.data_type() {
            Null => Ok(Self::Null),
            Boolean => leaf("bool", LeafJson::Raw),
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => {
                leaf("int", LeafJson::Raw)
            }
            Float16 => leaf("float", LeafJson::Float(Floats::F16(array.as_primitive()))),
            Float32 => leaf("float", LeafJson::Float(Floats::F32(array.as_primitive()))),
            Float64 => leaf("float", LeafJson::Float(Floats::F64(array.as_primitive()))),
            Decimal32(..) | Decimal64(..) | Decimal128(..) | Decimal256(..) => {
                leaf("decimal", LeafJson::Raw)
            }
            Utf8 | LargeUtf8 | Utf8View => leaf("string", LeafJson::Quoted),
            Binary | LargeBinary | BinaryView | FixedSizeBinary(_) => {
                leaf("binary", LeafJson::Quoted)
            }
            Date32 | Date64 => leaf("date", LeafJson::Quoted),
            Time32(_) | Time64(_) => leaf("time", LeafJson::Quoted),
            Timestamp(..) => leaf("timestamp", LeafJson::Quoted),
            Duration(_) => leaf("duration", LeafJson::Quoted),
            Interval(_) => leaf("interval", LeafJson::Quoted),
            List(_) => {
                let list = array.as_list::<i32>();
                Ok(Self::List {
                    ranges: ListRanges::Offsets32(list.value_offsets()),
                    child: boxed(list.values().as_ref())?,
                })
            }
            LargeList(_) => {
                let list = array.as_list::<i64>();
                Ok(Self::List {
                    ranges: ListRanges::Offsets64(list.value_offsets()),
                    child: boxed(list.values().as_ref())?,
                })
            }
            ListView(_) => {
                let list = array.as_list_view::<i32>();
                Ok(Self::List {
                    ranges: ListRanges::View32(list.value_offsets(), list.value_sizes()),
                    child: boxed(list.values().as_ref())?,
                })
            }
            LargeListView(_) => {
                let list = array.as_list_view::<i64>();
                Ok(Self::List {
                    ranges: ListRanges::View64(list.value_offsets(), list.value_sizes()),
                    child: boxed(list.values().as_ref())?,
                })
            }
            FixedSizeList(_, size) => {
                let list = array.as_fixed_size_list();
                Ok(Self::List {
                    ranges: ListRanges::Fixed(usize::try_from(*size).unwrap_or(0)),
                    child: boxed(list.values().as_ref())?,
                })
            }
            Struct(fields) => {
                let structs = array.as_struct();
                let mut names = Vec::with_capacity(fields.len());
                let mut children = Vec::with_capacity(fields.len());
                for (field, column) in fields.iter().zip(structs.columns()) {
                    let mut name = String::new();
                    write_json_string(field.name(), &mut name)
                        .map_err(|e| format_error(function, e))?;
                    name.push(':');
                    names.push(name);
                    children.push(Renderer::try_new(function, column.as_ref())?);
                }
                Ok(Self::Struct { names, children })
            }
            Map(..) => {
                let map = array.as_map();
                Ok(Self::Map {
                    offsets: map.value_offsets(),
                    keys: boxed(map.keys().as_ref())?,
                    values: boxed(map.values().as_ref())?,
                })
            }
            Dictionary(..) => {
                let dictionary = array.as_any_dictionary();
                let values = dictionary.values();
                // `normalized_keys` needs a value to clamp to; with none, every
                // row of a valid array is null and the indices are never read.
                let indices = if values.is_empty() {
                    vec![0; array.len()]
                } else {
                    dictionary.normalized_keys()
                };
                Ok(Self::Indirect {
                    indices,
                    child: boxed(values.as_ref())?,
                })
            }
            RunEndEncoded(..) => downcast_run_array!(
                array => {
                    let indices = (0..array.len()).map(|row| array.get_physical_index(row)).collect();
                    Ok(Self::Indirect { indices, child: boxed(array.values().as_ref())? })
                },
                other => exec_err!("{function} cannot render {other}")
            ),
            Union(fields, _) => {
                let union = array.as_union();
                let mut children: Vec<Option<Renderer<'a>>> = Vec::new();
                for (type_id, _) in fields.iter() {
                    let Ok(slot) = usize::try_from(type_id) else {
                        continue;
                    };
                    if children.len() <= slot {
                        children.resize_with(slot + 1, || None);
                    }
                    children[slot] =
                        Some(Renderer::try_new(function, union.child(type_id).as_ref())?);
                }
                Ok(Self::Union {
                    array: union,
                    children,
                })
            }
        }
    }
}
