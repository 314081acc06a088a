//! The providers' integration tests, as one binary (one link of the DataFusion
//! and deltalake tree instead of one per file).

mod common;

mod cache;
mod checkpoint;
mod config;
mod gate;
mod read;
mod runtimes;
mod time_travel;
mod write;
