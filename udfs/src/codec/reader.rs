//! A bounded, zero-copy reader of MessagePack input, shared by the decoding
//! functions.
//!
//! It reads one item (a scalar, or the header of an array or map) at a time
//! straight from the input bytes, so decoding builds no tree: memory does not
//! grow with what an input claims (an `array 32` header announcing four
//! billion elements costs nothing until they are read, and reading them runs
//! out of input). Every read is bounds-checked; malformed input is an error
//! with the byte offset where it was found, never a panic.

use std::fmt;

use rmp::Marker;

/// The largest input a decoding function accepts, per value: 64 MiB.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// How deeply arrays and maps may nest in a decoded value. A value that is
/// not an array or map has depth 0; `[[1]]` has depth 2.
pub const MAX_DEPTH: usize = 128;

/// One MessagePack item. Arrays and maps are their headers: the caller reads
/// their elements (or key, value pairs) as the next items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    Nil,
    Bool(bool),
    /// A non-negative integer (positive fixint, uint 8…64).
    UInt(u64),
    /// An integer written with a signed marker (negative fixint, int 8…64).
    Int(i64),
    F32(f32),
    F64(f64),
    Str(&'a str),
    Bin(&'a [u8]),
    Array(u32),
    Map(u32),
    Ext(i8, &'a [u8]),
}

impl Item<'_> {
    /// The item's kind, as the MessagePack spec names it, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Nil => "nil",
            Self::Bool(_) => "a bool",
            Self::UInt(_) | Self::Int(_) => "an int",
            Self::F32(_) | Self::F64(_) => "a float",
            Self::Str(_) => "a str",
            Self::Bin(_) => "a bin",
            Self::Array(_) => "an array",
            Self::Map(_) => "a map",
            Self::Ext(_, _) => "an ext",
        }
    }
}

/// Malformed input: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(String);

impl DecodeError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type DecodeResult<T> = std::result::Result<T, DecodeError>;

/// Reads items from one MessagePack input.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading `bytes`, which must hold at most [`MAX_INPUT_BYTES`].
    pub fn new(bytes: &'a [u8]) -> DecodeResult<Self> {
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(DecodeError(format!(
                "the input is {} bytes, more than the limit of {MAX_INPUT_BYTES} bytes (64 MiB)",
                bytes.len()
            )));
        }
        Ok(Self { bytes, position: 0 })
    }

    /// The offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Succeeds when every byte has been read: the input was exactly one value.
    pub fn finish(&self) -> DecodeResult<()> {
        let trailing = self.bytes.len() - self.position;
        if trailing == 0 {
            Ok(())
        } else {
            Err(DecodeError(format!(
                "{trailing} trailing byte{} after the value, which ends at offset {}",
                if trailing == 1 { "" } else { "s" },
                self.position
            )))
        }
    }

    fn take(&mut self, len: usize) -> DecodeResult<&'a [u8]> {
        let available = self.bytes.len() - self.position;
        if len > available {
            return Err(DecodeError(format!(
                "truncated input: {len} byte{} needed at offset {}, {available} left",
                if len == 1 { "" } else { "s" },
                self.position
            )));
        }
        let taken = &self.bytes[self.position..self.position + len];
        self.position += len;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> DecodeResult<[u8; N]> {
        let mut bytes = [0u8; N];
        bytes.copy_from_slice(self.take(N)?);
        Ok(bytes)
    }

    fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> DecodeResult<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> DecodeResult<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> DecodeResult<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn str(&mut self, len: usize) -> DecodeResult<&'a str> {
        let start = self.position;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|error| {
            DecodeError(format!(
                "invalid UTF-8 in the str at offset {start}, at byte {} of it",
                error.valid_up_to()
            ))
        })
    }

    fn ext(&mut self, len: usize) -> DecodeResult<Item<'a>> {
        let code = self.u8()? as i8;
        Ok(Item::Ext(code, self.take(len)?))
    }

    /// Reads the next item.
    pub fn item(&mut self) -> DecodeResult<Item<'a>> {
        let offset = self.position;
        let marker = Marker::from_u8(self.u8()?);
        let item = match marker {
            Marker::FixPos(v) => Item::UInt(u64::from(v)),
            Marker::FixNeg(v) => Item::Int(i64::from(v)),
            Marker::Null => Item::Nil,
            Marker::True => Item::Bool(true),
            Marker::False => Item::Bool(false),
            Marker::U8 => Item::UInt(u64::from(self.u8()?)),
            Marker::U16 => Item::UInt(u64::from(self.u16()?)),
            Marker::U32 => Item::UInt(u64::from(self.u32()?)),
            Marker::U64 => Item::UInt(self.u64()?),
            Marker::I8 => Item::Int(i64::from(self.u8()? as i8)),
            Marker::I16 => Item::Int(i64::from(self.u16()? as i16)),
            Marker::I32 => Item::Int(i64::from(self.u32()? as i32)),
            Marker::I64 => Item::Int(self.u64()? as i64),
            Marker::F32 => Item::F32(f32::from_bits(self.u32()?)),
            Marker::F64 => Item::F64(f64::from_bits(self.u64()?)),
            Marker::FixStr(len) => Item::Str(self.str(usize::from(len))?),
            Marker::Str8 => {
                let len = self.u8()?;
                Item::Str(self.str(usize::from(len))?)
            }
            Marker::Str16 => {
                let len = self.u16()?;
                Item::Str(self.str(usize::from(len))?)
            }
            Marker::Str32 => {
                let len = self.u32()?;
                Item::Str(self.str(len as usize)?)
            }
            Marker::Bin8 => {
                let len = self.u8()?;
                Item::Bin(self.take(usize::from(len))?)
            }
            Marker::Bin16 => {
                let len = self.u16()?;
                Item::Bin(self.take(usize::from(len))?)
            }
            Marker::Bin32 => {
                let len = self.u32()?;
                Item::Bin(self.take(len as usize)?)
            }
            Marker::FixArray(len) => Item::Array(u32::from(len)),
            Marker::Array16 => Item::Array(u32::from(self.u16()?)),
            Marker::Array32 => Item::Array(self.u32()?),
            Marker::FixMap(len) => Item::Map(u32::from(len)),
            Marker::Map16 => Item::Map(u32::from(self.u16()?)),
            Marker::Map32 => Item::Map(self.u32()?),
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 => {
                let len = self.u8()?;
                self.ext(usize::from(len))?
            }
            Marker::Ext16 => {
                let len = self.u16()?;
                self.ext(usize::from(len))?
            }
            Marker::Ext32 => {
                let len = self.u32()?;
                self.ext(len as usize)?
            }
            Marker::Reserved => {
                return Err(DecodeError(format!(
                    "the byte c1 at offset {offset} is not a valid MessagePack marker"
                )));
            }
        };
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(bytes: &[u8]) -> DecodeResult<Vec<Item<'_>>> {
        let mut reader = Reader::new(bytes)?;
        let mut items = Vec::new();
        while reader.position() < bytes.len() {
            items.push(reader.item()?);
        }
        reader.finish()?;
        Ok(items)
    }

    #[test]
    fn reads_every_marker_family() {
        let bytes = [
            0x05, 0xe0, 0xc0, 0xc3, 0xc2, 0xcc, 0xc8, 0xcd, 0x01, 0x00, 0xce, 0, 1, 0, 0, 0xcf, 0,
            0, 0, 1, 0, 0, 0, 0, 0xd0, 0x80, 0xd1, 0xff, 0x00, 0xd2, 0xff, 0xff, 0xff, 0xfe, 0xd3,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0xca, 0x3f, 0xc0, 0, 0, 0xcb, 0x3f,
            0xf8, 0, 0, 0, 0, 0, 0, 0xa2, b'h', b'i', 0xd9, 1, b'x', 0xda, 0, 1, b'y', 0xdb, 0, 0,
            0, 1, b'z', 0xc4, 2, 1, 2, 0xc5, 0, 0, 0xc6, 0, 0, 0, 1, 9, 0x92, 0xdc, 0, 3, 0xdd, 0,
            0, 0, 4, 0x81, 0xde, 0, 5, 0xdf, 0, 0, 0, 6, 0xd4, 1, 0xaa, 0xd5, 2, 0, 0, 0xd6, 0xff,
            0, 0, 0, 0, 0xd7, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0xd8, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0xc7, 1, 5, 7, 0xc8, 0, 0, 6, 0xc9, 0, 0, 0, 0, 7,
        ];
        let expected = vec![
            Item::UInt(5),
            Item::Int(-32),
            Item::Nil,
            Item::Bool(true),
            Item::Bool(false),
            Item::UInt(200),
            Item::UInt(256),
            Item::UInt(65536),
            Item::UInt(1 << 32),
            Item::Int(-128),
            Item::Int(-256),
            Item::Int(-2),
            Item::Int(-3),
            Item::F32(1.5),
            Item::F64(1.5),
            Item::Str("hi"),
            Item::Str("x"),
            Item::Str("y"),
            Item::Str("z"),
            Item::Bin(&[1, 2]),
            Item::Bin(&[]),
            Item::Bin(&[9]),
            Item::Array(2),
            Item::Array(3),
            Item::Array(4),
            Item::Map(1),
            Item::Map(5),
            Item::Map(6),
            Item::Ext(1, &[0xaa]),
            Item::Ext(2, &[0, 0]),
            Item::Ext(-1, &[0; 4]),
            Item::Ext(3, &[0; 8]),
            Item::Ext(4, &[0; 16]),
            Item::Ext(5, &[7]),
            Item::Ext(6, &[]),
            Item::Ext(7, &[]),
        ];
        assert_eq!(items(&bytes).unwrap(), expected);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let values: [&[u8]; 8] = [
            &[0xcd, 0x01, 0x00],
            &[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
            &[0xa2, b'h', b'i'],
            &[0xda, 0, 1, b'y'],
            &[0xc6, 0, 0, 0, 1, 9],
            &[0xdd, 0, 0, 0, 4],
            &[0xd7, 3, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0xc9, 0, 0, 0, 1, 7, 0],
        ];
        for value in values {
            assert!(items(value).is_ok(), "{value:02x?}");
            for len in 0..value.len() {
                let mut reader = Reader::new(&value[..len]).unwrap();
                let error = reader.item().unwrap_err().to_string();
                assert!(error.starts_with("truncated input"), "{error}");
            }
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let mut reader = Reader::new(&[0x91, 0xc1]).unwrap();
        assert_eq!(reader.item().unwrap(), Item::Array(1));
        assert_eq!(
            reader.item().unwrap_err().to_string(),
            "the byte c1 at offset 1 is not a valid MessagePack marker"
        );

        let mut reader = Reader::new(&[0xa2, b'a', 0xff]).unwrap();
        assert_eq!(
            reader.item().unwrap_err().to_string(),
            "invalid UTF-8 in the str at offset 1, at byte 1 of it"
        );

        let mut reader = Reader::new(&[0x01, 0x02, 0x03]).unwrap();
        reader.item().unwrap();
        assert_eq!(
            reader.finish().unwrap_err().to_string(),
            "2 trailing bytes after the value, which ends at offset 1"
        );

        let mut reader = Reader::new(&[0xdb, 0xff, 0xff, 0xff, 0xff]).unwrap();
        assert_eq!(
            reader.item().unwrap_err().to_string(),
            "truncated input: 4294967295 bytes needed at offset 5, 0 left"
        );

        let huge = vec![0u8; MAX_INPUT_BYTES + 1];
        assert!(
            Reader::new(&huge)
                .unwrap_err()
                .to_string()
                .contains("more than the limit of 67108864 bytes (64 MiB)")
        );
    }
}
