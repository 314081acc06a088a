//! dfpack's integration suites: a Rust host (this binary) loading the built
//! `libdfpack.so` and the test-only `libdfpack_fixture.so` as separate images.

mod contracts;
mod delta;
mod embed;
mod install;
mod introspection;
mod loading;
mod panics;
mod parity;
mod runtimes;
mod write;
