#![no_main]
//! Fuzz target `encrypted_framing`: the body is `stigpack_fuzz_entries::encrypted_framing` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::encrypted_framing(data));
