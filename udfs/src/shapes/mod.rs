//! Functions over maps and lists: the shape of map entries, lookups with a
//! default, and list clean-up.

use std::sync::{Arc, LazyLock};

use datafusion_expr::ScalarUDF;

mod args;
pub mod list_unique_sorted;
mod lists;
pub mod map_entries_text;
pub mod map_get_default;
mod render;
#[cfg(test)]
mod testing;

pub use map_entries_text::{map_entries_type, map_entry_fields};

/// The `map_entries_text` function, shared by every caller.
pub fn map_entries_text() -> Arc<ScalarUDF> {
    static INSTANCE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
        Arc::new(ScalarUDF::new_from_impl(
            map_entries_text::MapEntriesTextFunc::new(),
        ))
    });
    Arc::clone(&INSTANCE)
}

/// The `map_get_default` function, shared by every caller.
pub fn map_get_default() -> Arc<ScalarUDF> {
    static INSTANCE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
        Arc::new(ScalarUDF::new_from_impl(
            map_get_default::MapGetDefaultFunc::new(),
        ))
    });
    Arc::clone(&INSTANCE)
}

/// The `list_unique_sorted` function, shared by every caller.
pub fn list_unique_sorted() -> Arc<ScalarUDF> {
    static INSTANCE: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
        Arc::new(ScalarUDF::new_from_impl(
            list_unique_sorted::ListUniqueSortedFunc::new(),
        ))
    });
    Arc::clone(&INSTANCE)
}

/// Every scalar function of this family.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        map_entries_text(),
        map_get_default(),
        list_unique_sorted(),
    ]
}
