#![no_main]
//! Fuzz target `attest_csv`: the body is `stigpack_fuzz_entries::attest_csv` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::attest_csv(data));
