#![no_main]
//! Fuzz target `inventory`: the body is `stigpack_fuzz_entries::inventory` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::inventory(data));
