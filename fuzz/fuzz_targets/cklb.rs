#![no_main]
//! Fuzz target `cklb`: the body is `stigpack_fuzz_entries::cklb` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::cklb(data));
