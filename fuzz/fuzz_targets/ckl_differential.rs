#![no_main]
//! Fuzz target `ckl_differential`: the body is `stigpack_fuzz_entries::ckl_differential` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::ckl_differential(data));
