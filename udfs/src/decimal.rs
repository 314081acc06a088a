//! Decimal helpers shared by the canonical encodings of the codec and hash
//! families.

use arrow::datatypes::i256;

/// Lossless widening of every decimal's unscaled value to `i256`.
pub(crate) trait ToI256 {
    fn to_i256(self) -> i256;
}

impl ToI256 for i32 {
    fn to_i256(self) -> i256 {
        i256::from_i128(self.into())
    }
}

impl ToI256 for i64 {
    fn to_i256(self) -> i256 {
        i256::from_i128(self.into())
    }
}

impl ToI256 for i128 {
    fn to_i256(self) -> i256 {
        i256::from_i128(self)
    }
}

impl ToI256 for i256 {
    fn to_i256(self) -> i256 {
        self
    }
}
