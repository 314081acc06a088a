//! dfpack-contracts' integration tests: one binary (link time), one module per concern.

mod arrow_ir;
mod decoding;
mod golden;
mod regeneration;
mod round_trips;
mod support;
