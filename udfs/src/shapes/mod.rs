//! Functions over maps and lists: the shape of map entries, lookups with a
//! default, and list clean-up.

use std::sync::Arc;

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

shared_udf!(
    /// The `map_entries_text` function, shared by every caller.
    map_entries_text,
    map_entries_text::MapEntriesTextFunc::new()
);
shared_udf!(
    /// The `map_get_default` function, shared by every caller.
    map_get_default,
    map_get_default::MapGetDefaultFunc::new()
);
shared_udf!(
    /// The `list_unique_sorted` function, shared by every caller.
    list_unique_sorted,
    list_unique_sorted::ListUniqueSortedFunc::new()
);

/// Every scalar function of this family.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![map_entries_text(), map_get_default(), list_unique_sorted()]
}
