#![no_main]
//! Fuzz target `poam_template`: the body is `stigpack_fuzz_entries::poam_template` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::poam_template(data));
