#![no_main]
//! Fuzz target `ansible_inventory`: the body is `stigpack_fuzz_entries::ansible_inventory` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::ansible_inventory(data));
