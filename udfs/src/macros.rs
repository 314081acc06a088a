//! Macros shared by the function families (in scope for every module
//! declared after `mod macros` in `lib.rs`).

/// Defines `pub fn $name() -> Arc<ScalarUDF>`, returning one instance of the
/// function built from `$implementation` and shared by every caller.
macro_rules! shared_udf {
    ($(#[$doc:meta])* $name:ident, $implementation:expr) => {
        $(#[$doc])*
        pub fn $name() -> ::std::sync::Arc<::datafusion_expr::ScalarUDF> {
            static INSTANCE: ::std::sync::LazyLock<
                ::std::sync::Arc<::datafusion_expr::ScalarUDF>,
            > = ::std::sync::LazyLock::new(|| {
                ::std::sync::Arc::new(::datafusion_expr::ScalarUDF::new_from_impl(
                    $implementation,
                ))
            });
            ::std::sync::Arc::clone(&INSTANCE)
        }
    };
}
