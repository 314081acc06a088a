//! dfpack's contract check: a physical optimizer rule that holds every read
//! and write of a contract-bound dataset to its contract.
//!
//! - [`schema_check`]: a table's (or a write's) arrow schema against the
//!   contract, under its evolution policy;
//! - [`bound`]: how a plan says "this is a contract-bound dataset": the
//!   [`ContractBoundExec`] marker a provider wraps its scan in, and the
//!   [`ContractSink`] a write sink is wrapped in;
//! - [`cache`]: compiled checks kept per dataset, contract and schema, so
//!   planning the same dataset again does not parse its constraints again;
//! - [`validate`]: the run-time check of non-null columns and check
//!   constraints: the stream an armed scan's rows pass through, and the
//!   [`ValidationExec`] placed below a write;
//! - [`violations`]: the process-wide record of violations seen in `warn` mode
//!   (and those that failed a query in `enforce` mode);
//! - [`rule`]: [`ContractRule`], which finds the markers, checks schemas, arms
//!   scans with their checks and places validation below writes.
//!
//! The rule is a physical rule because only physical rules cross FFI; the
//! pack's own nodes reach it as themselves (datafusion-ffi unwraps plans that
//! return to the library that made them), so it can downcast its markers.

pub mod bound;
pub mod cache;
pub mod rule;
pub mod schema_check;
pub mod validate;
pub mod violations;

pub use bound::{ContractBinding, ContractBoundExec, ContractSink};
pub use cache::CacheStats;
pub use rule::ContractRule;
pub use schema_check::{Side, Violation, check_schema};
pub use validate::ValidationExec;
pub use violations::ViolationRecord;
