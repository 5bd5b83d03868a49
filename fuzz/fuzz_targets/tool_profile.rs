#![no_main]
//! Fuzz target `tool_profile`: the body is `stigpack_fuzz_entries::tool_profile` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::tool_profile(data));
