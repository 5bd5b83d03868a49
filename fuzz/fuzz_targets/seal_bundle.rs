#![no_main]
//! Fuzz target `seal_bundle`: the body is `stigpack_fuzz_entries::seal_bundle` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::seal_bundle(data));
