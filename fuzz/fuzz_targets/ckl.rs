#![no_main]
//! Fuzz target `ckl`: the body is `stigpack_fuzz_entries::ckl` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::ckl(data));
