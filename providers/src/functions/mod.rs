//! Delta introspection table functions: gated reads of the log only.
