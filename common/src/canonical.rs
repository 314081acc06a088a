//! The primitives of dfpack's canonical MessagePack form, and the one digest
//! taken of it: the pack's single hashing module.
//!
//! Everything the pack fingerprints or keys a cache by goes through here:
//! Arrow values (`dfpack-udfs`' `canonical` encoder, which `canonical_fingerprint`
//! and `msgpack_encode` use) and contract payloads (`dfpack-contracts`' canonical
//! encoding, which config and contract fingerprints, the rule's cache of compiled
//! checks and the Delta snapshot identity use). Each caller maps its own values onto
//! MessagePack items; the bytes of every item, the order of map entries and the
//! digest are decided here, once.
//!
//! The form is a **public contract**: stored fingerprints depend on these exact
//! bytes. The golden vectors in the tests below (and in the callers' tests)
//! pin it; a change that breaks them is a breaking change.
//!
//! # Rules (version 1)
//!
//! | item | bytes |
//! |---|---|
//! | nil | `c0` |
//! | bool | false `c2`, true `c3` |
//! | integer | the shortest MessagePack int that holds the value: positive fixint `0…127`, negative fixint `-32…-1`, then uint 8/16/32/64 for larger non-negative values and int 8/16/32/64 for smaller negative ones; the signedness and width of the source type do not matter |
//! | float | float 64 (`cb` + 8 bytes), always; `-0.0` is written as `0.0`, every NaN as `7ff8000000000000`; never as an int, even when integral |
//! | str, bin, array, map | the shortest length header (fixstr / str 8 / 16 / 32; bin 8 / 16 / 32; fixarray / array 16 / 32; fixmap / map 16 / 32); a length above 2³² - 1 is an error, never truncated |
//! | ext | fixext 1/2/4/8/16 when the payload has exactly that length, else ext 8, 16, 32 |
//! | map entries | sorted by the bytes of the encoded key, then of the encoded value (only equal keys reach the value) |
//!
//! Every multi-byte number is big-endian, as MessagePack requires. The digest
//! of a canonical encoding is its BLAKE3-256, as 64 lowercase hex characters.

use std::fmt;
use std::ops::Range;

/// The encoding of nil.
pub const NIL: u8 = 0xc0;
/// The encoding of `false`.
pub const FALSE: u8 = 0xc2;
/// The encoding of `true`.
pub const TRUE: u8 = 0xc3;

/// The one NaN bit pattern every NaN is written as. Spelled out rather than
/// taken from `f64::NAN`, whose bit pattern Rust does not promise.
pub const CANONICAL_NAN_BITS: u64 = 0x7FF8_0000_0000_0000;

/// Characters of one fingerprint: 32 bytes of BLAKE3, in hex.
pub const FINGERPRINT_HEX_LEN: usize = 64;

/// A string, binary, array, map or ext payload longer than MessagePack can
/// describe (2³² - 1 bytes or elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    /// What was too long: "string", "binary", "list", "map" or "ext payload".
    pub what: &'static str,
    pub len: usize,
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} of length {} is longer than MessagePack allows ({})", self.what, self.len, u32::MAX)
    }
}

impl std::error::Error for TooLong {}

fn checked_len(what: &'static str, len: usize) -> Result<u32, TooLong> {
    u32::try_from(len).map_err(|_| TooLong { what, len })
}

/// Writes nil.
#[inline]
pub fn write_nil(out: &mut Vec<u8>) {
    out.push(NIL);
}

/// Writes a bool.
#[inline]
pub fn write_bool(out: &mut Vec<u8>, value: bool) {
    out.push(if value { TRUE } else { FALSE });
}

/// Writes a non-negative integer in its shortest form.
#[inline]
pub fn write_uint(out: &mut Vec<u8>, value: u64) {
    if value < 0x80 {
        out.push(value as u8);
    } else if let Ok(byte) = u8::try_from(value) {
        out.extend_from_slice(&[0xcc, byte]);
    } else if let Ok(short) = u16::try_from(value) {
        out.push(0xcd);
        out.extend_from_slice(&short.to_be_bytes());
    } else if let Ok(word) = u32::try_from(value) {
        out.push(0xce);
        out.extend_from_slice(&word.to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Writes an integer in its shortest form: a non-negative one exactly as
/// [`write_uint`] does, so `5i8` and `5u64` are the same bytes.
#[inline]
pub fn write_sint(out: &mut Vec<u8>, value: i64) {
    if let Ok(non_negative) = u64::try_from(value) {
        write_uint(out, non_negative);
    } else if value >= -32 {
        // Negative fixint: the value's own low byte (0xe0..=0xff).
        out.push(value as u8);
    } else if let Ok(byte) = i8::try_from(value) {
        out.push(0xd0);
        out.extend_from_slice(&byte.to_be_bytes());
    } else if let Ok(short) = i16::try_from(value) {
        out.push(0xd1);
        out.extend_from_slice(&short.to_be_bytes());
    } else if let Ok(word) = i32::try_from(value) {
        out.push(0xd2);
        out.extend_from_slice(&word.to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Writes a float as float 64 with the canonical bits: `-0.0` folded into
/// `0.0`, every NaN as [`CANONICAL_NAN_BITS`]. Narrower floats are widened
/// (exactly) by the caller.
#[inline]
pub fn write_f64(out: &mut Vec<u8>, value: f64) {
    let bits = if value.is_nan() {
        CANONICAL_NAN_BITS
    } else if value == 0.0 {
        // Also true for -0.0.
        0
    } else {
        value.to_bits()
    };
    out.push(0xcb);
    out.extend_from_slice(&bits.to_be_bytes());
}

/// Writes a str: the shortest header, then the UTF-8 bytes.
#[inline]
pub fn write_str(out: &mut Vec<u8>, value: &str) -> Result<(), TooLong> {
    let len = checked_len("string", value.len())?;
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else {
        write_sized_header(out, [0xd9, 0xda, 0xdb], len);
    }
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

/// Writes a bin: the shortest header, then the bytes.
#[inline]
pub fn write_bin(out: &mut Vec<u8>, value: &[u8]) -> Result<(), TooLong> {
    let len = checked_len("binary", value.len())?;
    write_sized_header(out, [0xc4, 0xc5, 0xc6], len);
    out.extend_from_slice(value);
    Ok(())
}

/// Writes the header of an array of `len` elements; the caller writes them.
#[inline]
pub fn write_array_header(out: &mut Vec<u8>, len: usize) -> Result<(), TooLong> {
    let len = checked_len("list", len)?;
    if len < 16 {
        out.push(0x90 | len as u8);
    } else {
        write_wide_header(out, [0xdc, 0xdd], len);
    }
    Ok(())
}

/// Writes the header of a map of `len` entries; the caller writes them, in
/// canonical order (see [`write_sorted_map`]).
#[inline]
pub fn write_map_header(out: &mut Vec<u8>, len: usize) -> Result<(), TooLong> {
    let len = checked_len("map", len)?;
    if len < 16 {
        out.push(0x80 | len as u8);
    } else {
        write_wide_header(out, [0xde, 0xdf], len);
    }
    Ok(())
}

/// Writes an ext of type `code`: fixext when the payload has a fixext length,
/// else the shortest ext header, then the payload.
#[inline]
pub fn write_ext(out: &mut Vec<u8>, code: i8, payload: &[u8]) -> Result<(), TooLong> {
    let len = checked_len("ext payload", payload.len())?;
    let fixed = match len {
        1 => Some(0xd4),
        2 => Some(0xd5),
        4 => Some(0xd6),
        8 => Some(0xd7),
        16 => Some(0xd8),
        _ => None,
    };
    match fixed {
        Some(marker) => out.push(marker),
        None => write_sized_header(out, [0xc7, 0xc8, 0xc9], len),
    }
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// A header with an 8-, 16- or 32-bit length, the shortest that holds `len`.
fn write_sized_header(out: &mut Vec<u8>, markers: [u8; 3], len: u32) {
    if let Ok(byte) = u8::try_from(len) {
        out.extend_from_slice(&[markers[0], byte]);
    } else {
        write_wide_header(out, [markers[1], markers[2]], len);
    }
}

/// A header with a 16- or 32-bit length, the shortest that holds `len`.
fn write_wide_header(out: &mut Vec<u8>, markers: [u8; 2], len: u32) {
    if let Ok(short) = u16::try_from(len) {
        out.push(markers[0]);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(markers[1]);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Reusable buffers for [`write_sorted_map`]: a caller that writes many maps
/// keeps one, so sorting allocates nothing once they have grown.
#[derive(Debug, Default)]
pub struct MapScratch {
    bytes: Vec<u8>,
    entries: Vec<Range<usize>>,
}

/// Writes a map of `count` entries in canonical order. `entry(i, buffer)`
/// appends the encoded key then the encoded value of entry `i`.
///
/// Sorting whole entries (key then value) sorts by key first: distinct
/// encoded keys cannot be prefixes of one another (MessagePack items are
/// self-delimiting), so they differ at a byte inside both keys, and only
/// equal keys are ordered by their values. Entries that compare equal are
/// byte-identical, so an unstable sort is deterministic.
///
/// On error `out` may hold a partial map; callers that must leave it
/// untouched truncate it back.
pub fn write_sorted_map<E: From<TooLong>>(
    scratch: &mut MapScratch,
    count: usize,
    out: &mut Vec<u8>,
    mut entry: impl FnMut(usize, &mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    write_map_header(out, count)?;
    if count <= 1 {
        return (0..count).try_for_each(|i| entry(i, out));
    }
    let MapScratch { bytes, entries } = scratch;
    bytes.clear();
    entries.clear();
    for i in 0..count {
        let start = bytes.len();
        entry(i, bytes)?;
        entries.push(start..bytes.len());
    }
    entries.sort_unstable_by(|a, b| bytes[a.clone()].cmp(&bytes[b.clone()]));
    for range in entries.iter() {
        out.extend_from_slice(&bytes[range.clone()]);
    }
    Ok(())
}

/// The fingerprint of canonical bytes: BLAKE3-256, 64 lowercase hex characters.
pub fn fingerprint_hex(canonical: &[u8]) -> String {
    let mut hex = String::with_capacity(FINGERPRINT_HEX_LEN);
    push_fingerprint_hex(&mut hex, canonical);
    hex
}

/// Appends the fingerprint of canonical bytes to `out`: for callers that
/// fingerprint row after row into one reused buffer.
pub fn push_fingerprint_hex(out: &mut String, canonical: &[u8]) {
    out.push_str(blake3::hash(canonical).to_hex().as_str());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn written(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        hex(&out)
    }

    #[test]
    fn integers_take_their_shortest_form_whatever_their_sign() {
        let cases: [(i64, &str); 18] = [
            (0, "00"),
            (127, "7f"),
            (128, "cc80"),
            (255, "ccff"),
            (256, "cd0100"),
            (65_535, "cdffff"),
            (65_536, "ce00010000"),
            (u32::MAX as i64, "ceffffffff"),
            (1 << 32, "cf0000000100000000"),
            (i64::MAX, "cf7fffffffffffffff"),
            (-1, "ff"),
            (-32, "e0"),
            (-33, "d0df"),
            (-128, "d080"),
            (-129, "d1ff7f"),
            (-32_769, "d2ffff7fff"),
            (i32::MIN as i64 - 1, "d3ffffffff7fffffff"),
            (i64::MIN, "d38000000000000000"),
        ];
        for (value, expected) in cases {
            assert_eq!(written(|out| write_sint(out, value)), expected, "{value}");
            if let Ok(unsigned) = u64::try_from(value) {
                assert_eq!(written(|out| write_uint(out, unsigned)), expected, "{value} as u64");
            }
        }
        assert_eq!(written(|out| write_uint(out, u64::MAX)), "cfffffffffffffffff");
    }

    #[test]
    fn floats_are_always_f64_with_one_zero_and_one_nan() {
        assert_eq!(written(|out| write_f64(out, 1.0)), "cb3ff0000000000000");
        assert_eq!(written(|out| write_f64(out, -0.0)), "cb0000000000000000");
        assert_eq!(written(|out| write_f64(out, f64::NAN)), "cb7ff8000000000000");
        assert_eq!(written(|out| write_f64(out, -f64::NAN)), "cb7ff8000000000000");
        assert_eq!(written(|out| write_f64(out, f64::NEG_INFINITY)), "cbfff0000000000000");
        assert_eq!(written(|out| write_f64(out, f64::from(0.1f32))), "cb3fb99999a0000000");
    }

    #[test]
    fn lengths_take_their_shortest_header() -> Result<(), TooLong> {
        let text = |n: usize| "x".repeat(n);
        let head = |s: &str, n: usize| s[..n].to_string();
        let mut out = Vec::new();
        for (len, header) in
            [(0, "a0"), (31, "bf"), (32, "d920"), (255, "d9ff"), (256, "da0100"), (65_536, "db00010000")]
        {
            out.clear();
            write_str(&mut out, &text(len))?;
            assert_eq!(head(&hex(&out), header.len()), header, "str of {len}");
            assert_eq!(out.len(), header.len() / 2 + len);
        }
        for (len, header) in [(0, "c400"), (255, "c4ff"), (256, "c50100"), (65_536, "c600010000")] {
            out.clear();
            write_bin(&mut out, &vec![7; len])?;
            assert_eq!(head(&hex(&out), header.len()), header, "bin of {len}");
        }
        for (len, array, map) in
            [(0, "90", "80"), (15, "9f", "8f"), (16, "dc0010", "de0010"), (65_536, "dd00010000", "df00010000")]
        {
            out.clear();
            write_array_header(&mut out, len)?;
            assert_eq!(hex(&out), array, "array of {len}");
            out.clear();
            write_map_header(&mut out, len)?;
            assert_eq!(hex(&out), map, "map of {len}");
        }
        Ok(())
    }

    #[test]
    fn ext_headers_use_fixext_only_for_its_exact_lengths() -> Result<(), TooLong> {
        let cases: [(usize, &str); 8] = [
            (0, "c70005"),
            (1, "d405"),
            (2, "d505"),
            (3, "c70305"),
            (4, "d605"),
            (8, "d705"),
            (12, "c70c05"),
            (16, "d805"),
        ];
        for (len, header) in cases {
            let mut out = Vec::new();
            write_ext(&mut out, 5, &vec![0xab; len])?;
            assert_eq!(hex(&out), format!("{header}{}", "ab".repeat(len)), "ext of {len}");
        }
        let mut out = Vec::new();
        write_ext(&mut out, -1, &[0, 0, 0, 0])?;
        assert_eq!(hex(&out), "d6ff00000000");
        Ok(())
    }

    #[test]
    fn too_long_is_an_error_naming_what_and_how_long() {
        let error = checked_len("map", u32::MAX as usize + 1).unwrap_err();
        assert_eq!(error, TooLong { what: "map", len: 4_294_967_296 });
        assert_eq!(error.to_string(), "a map of length 4294967296 is longer than MessagePack allows (4294967295)");
    }

    #[test]
    fn map_entries_are_sorted_by_encoded_key_bytes_not_string_order() -> Result<(), TooLong> {
        // "b" (a1 62) sorts before "aa" (a2 61 61): the header comes first.
        let entries = [("aa", 1i64), ("b", 2), ("a", 3)];
        let mut out = Vec::new();
        let mut scratch = MapScratch::default();
        write_sorted_map(&mut scratch, entries.len(), &mut out, |i, buffer| {
            write_str(buffer, entries[i].0)?;
            write_sint(buffer, entries[i].1);
            Ok::<(), TooLong>(())
        })?;
        assert_eq!(hex(&out), "83a16103a16202a2616101");
        // Equal keys are ordered by their values, so the input order never matters.
        let duplicates = [("k", 2i64), ("k", 1)];
        out.clear();
        write_sorted_map(&mut scratch, duplicates.len(), &mut out, |i, buffer| {
            write_str(buffer, duplicates[i].0)?;
            write_sint(buffer, duplicates[i].1);
            Ok::<(), TooLong>(())
        })?;
        assert_eq!(hex(&out), "82a16b01a16b02");
        Ok(())
    }

    #[test]
    fn the_fingerprint_is_blake3_hex_of_the_bytes() {
        // The empty input's digest is BLAKE3's published test vector; nil's and
        // 1's are `canonical_fingerprint(NULL)` and `canonical_fingerprint(1)`
        // as documented (and tested) in dfpack-udfs.
        assert_eq!(fingerprint_hex(b""), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
        assert_eq!(fingerprint_hex(&[NIL]), "af2edc674154ff129d9e826727ada0828d3ba480924bbed84bf6dcae2e1f1db2");
        assert_eq!(fingerprint_hex(&[0x01]), "48fc721fbbc172e0925fa27af1671de225ba927134802998b10a1568a188652b");
        assert_eq!(fingerprint_hex(b"x").len(), FINGERPRINT_HEX_LEN);
        let mut reused = String::from("kept:");
        push_fingerprint_hex(&mut reused, &[NIL]);
        assert_eq!(reused, format!("kept:{}", fingerprint_hex(&[NIL])));
    }
}
