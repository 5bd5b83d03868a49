#![no_main]
//! Fuzz target `evaluate_stig_summary`: the body is `stigpack_fuzz_entries::evaluate_stig_summary` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::evaluate_stig_summary(data));
