//! Hashing functions whose results are stable across representations,
//! releases and platforms, so they can be stored.

use std::sync::{Arc, LazyLock};

use datafusion_expr::ScalarUDF;

pub mod encoding;
pub mod stable_hash64;

/// The `stable_hash64` function, shared by every caller.
pub fn stable_hash64() -> Arc<ScalarUDF> {
    static INSTANCE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
        Arc::new(ScalarUDF::new_from_impl(
            stable_hash64::StableHash64Func::new(),
        ))
    });
    Arc::clone(&INSTANCE)
}

/// Every scalar function of this family.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![stable_hash64()]
}
