#![no_main]
//! Fuzz target `package_json`: the body is `stigpack_fuzz_entries::package_json` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::package_json(data));
