//! dfpack's functions, written as plain DataFusion UDFs so they can be
//! registered directly in a `SessionContext` or exported through the plugin.
//!
//! A rule for every function here: its result depends on its arguments only,
//! never on `ScalarFunctionArgs::config_options` (the same answer everywhere is
//! the point of these functions). The pack's kernel relies on it and passes
//! default options instead of copying the session's per batch
//! (`dfpack_abi::kernel`); a function that needs a session option must take
//! it as an argument.

use std::sync::Arc;

use datafusion_expr::ScalarUDF;

#[macro_use]
mod macros;

pub mod codec;
mod decimal;
pub mod hash;
pub mod shapes;
#[cfg(test)]
pub(crate) mod test_support;
pub mod text;

/// Every scalar function of this crate.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    [hash::functions(), codec::functions(), shapes::functions(), text::functions()].concat()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::scalar_functions;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = HashSet::new();
        for udf in scalar_functions() {
            let names = std::iter::once(udf.name()).chain(udf.aliases().iter().map(String::as_str));
            for name in names {
                assert!(seen.insert(name.to_string()), "{name} is registered twice");
            }
        }
    }

    #[test]
    fn every_function_is_documented() {
        for udf in scalar_functions() {
            let doc = udf
                .documentation()
                .unwrap_or_else(|| panic!("{} has no documentation", udf.name()));
            assert!(
                !doc.description.is_empty(),
                "{} has an empty description",
                udf.name()
            );
            assert!(
                doc.sql_example.is_some(),
                "{} has no SQL example",
                udf.name()
            );
        }
    }
}
