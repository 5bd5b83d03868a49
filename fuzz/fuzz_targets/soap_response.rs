#![no_main]
//! Fuzz target `soap_response`: the body is `stigpack_fuzz_entries::soap_response` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::soap_response(data));
