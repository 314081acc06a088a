//! Text functions: Unicode normalization and blank handling.

use std::sync::Arc;

use datafusion_expr::ScalarUDF;

mod strings;
pub mod utf8_normalize;
pub mod utf8_null_if_blank;

shared_udf!(
    /// The `utf8_normalize` function, shared by every caller.
    utf8_normalize,
    utf8_normalize::Utf8NormalizeFunc::new()
);
shared_udf!(
    /// The `utf8_null_if_blank` function, shared by every caller.
    utf8_null_if_blank,
    utf8_null_if_blank::Utf8NullIfBlankFunc::new()
);

/// Every scalar function of this family.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![utf8_normalize(), utf8_null_if_blank()]
}
