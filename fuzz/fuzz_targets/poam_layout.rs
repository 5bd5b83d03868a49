#![no_main]
//! Fuzz target `poam_layout`: the body is `stigpack_fuzz_entries::poam_layout` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::poam_layout(data));
