#![no_main]
//! Fuzz target `audit_checkpoint`: the body is `stigpack_fuzz_entries::audit_checkpoint` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::audit_checkpoint(data));
