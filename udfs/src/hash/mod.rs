//! Hashing functions whose results are stable across representations,
//! releases and platforms, so they can be stored.

use std::sync::Arc;

use datafusion_expr::ScalarUDF;

pub mod encoding;
pub mod prefixed_hash64;
mod rows;
pub mod stable_hash128;
pub mod stable_hash64;
pub mod stable_id;
#[cfg(test)]
mod test_util;

shared_udf!(
    /// The `stable_hash64` function, shared by every caller.
    stable_hash64,
    stable_hash64::StableHash64Func::new()
);
shared_udf!(
    /// The `stable_hash128` function, shared by every caller.
    stable_hash128,
    stable_hash128::StableHash128Func::new()
);
shared_udf!(
    /// The `stable_id` function, shared by every caller.
    stable_id,
    stable_id::StableIdFunc::new()
);
shared_udf!(
    /// The `prefixed_hash64` function, shared by every caller.
    prefixed_hash64,
    prefixed_hash64::PrefixedHash64Func::new()
);

/// Every scalar function of this family.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        stable_hash64(),
        stable_hash128(),
        stable_id(),
        prefixed_hash64(),
    ]
}
