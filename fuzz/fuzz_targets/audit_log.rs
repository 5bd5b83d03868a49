#![no_main]
//! Fuzz target `audit_log`: the body is `stigpack_fuzz_entries::audit_log` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::audit_log(data));
