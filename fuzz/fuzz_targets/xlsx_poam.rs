#![no_main]
//! Fuzz target `xlsx_poam`: the body is `stigpack_fuzz_entries::xlsx_poam` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::xlsx_poam(data));
