#![no_main]
//! Fuzz target `ansible_vars`: the body is `stigpack_fuzz_entries::ansible_vars` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::ansible_vars(data));
