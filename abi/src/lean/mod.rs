//! Lean FFI calls for the pack's tables: the host's session is read, not rebuilt.
//!
//! datafusion-ffi 55's plugin-side wrappers turn the host's session or task
//! context into local objects on every call that takes one, wrapping each of the
//! host's several hundred functions as a foreign function: `supports_filters_pushdown`
//! and `scan` do it two or three times, and `execute` once per partition. That is
//! about a millisecond each, ~5 ms a query: what once separated the pack's scans from
//! DataFusion's own ListingTable (BENCHMARKS.md).
//!
//! The pack's providers need only the host's config; filters decode against the
//! pack's own functions (DataFusion's, which it links, and its UDFs). So for every
//! table provider the pack exports, and every plan such a provider returns, the
//! functions that take the host's session are replaced here by ones that read its
//! config and nothing else. A filter naming a function only the host has stays the
//! host's to apply. Every other function stays datafusion-ffi's.

mod catalog;
mod host;
mod layout;
mod plan;
mod provider;

use std::sync::OnceLock;

pub use catalog::{lean_catalog, lean_factory, lean_table_function};

/// The datafusion-ffi functions a `lean` call kept from the first handle of its
/// kind (all handles of one kind carry the same), set before any lean function
/// of that kind can be called.
fn kept<T>(original: &'static OnceLock<T>) -> &'static T {
    original.get().expect("kept before any handle of its kind was served")
}

#[cfg(test)]
mod tests;
