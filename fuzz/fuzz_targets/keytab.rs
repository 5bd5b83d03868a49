#![no_main]
//! Fuzz target `keytab`: the body is `stigpack_fuzz_entries::keytab` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::keytab(data));
