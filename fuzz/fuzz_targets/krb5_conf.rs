#![no_main]
//! Fuzz target `krb5_conf`: the body is `stigpack_fuzz_entries::krb5_conf` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::krb5_conf(data));
