#![no_main]
//! Fuzz target `system_profile`: the body is `stigpack_fuzz_entries::system_profile` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::system_profile(data));
