#![no_main]
//! Fuzz target `audit_line_differential`: the body is `stigpack_fuzz_entries::audit_line_differential` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::audit_line_differential(data));
