#![no_main]
//! Fuzz target `xccdf_benchmark`: the body is `stigpack_fuzz_entries::xccdf_benchmark` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::xccdf_benchmark(data));
