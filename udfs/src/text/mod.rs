//! Text functions: Unicode normalization and blank handling.

use std::sync::{Arc, LazyLock};

use datafusion_expr::ScalarUDF;

mod strings;
#[cfg(test)]
mod testing;
pub mod utf8_normalize;
pub mod utf8_null_if_blank;

/// The `utf8_normalize` function, shared by every caller.
pub fn utf8_normalize() -> Arc<ScalarUDF> {
    static INSTANCE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
        Arc::new(ScalarUDF::new_from_impl(
            utf8_normalize::Utf8NormalizeFunc::new(),
        ))
    });
    Arc::clone(&INSTANCE)
}

/// The `utf8_null_if_blank` function, shared by every caller.
pub fn utf8_null_if_blank() -> Arc<ScalarUDF> {
    static INSTANCE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
        Arc::new(ScalarUDF::new_from_impl(
            utf8_null_if_blank::Utf8NullIfBlankFunc::new(),
        ))
    });
    Arc::clone(&INSTANCE)
}

/// Every scalar function of this family.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![utf8_normalize(), utf8_null_if_blank()]
}
