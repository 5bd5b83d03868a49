#![no_main]
//! Fuzz target `clixml`: the body is `stigpack_fuzz_entries::clixml` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::clixml(data));
