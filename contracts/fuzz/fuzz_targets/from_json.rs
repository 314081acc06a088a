//! `codec::from_json` on any bytes, as every payload type: see the crate docs
//! for what a decoded value must satisfy.
#![no_main]

use dfpack_contracts_fuzz::{Format, check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check(Format::Json, data));
