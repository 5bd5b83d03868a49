#![no_main]
//! Fuzz target `import_classify`: the body is `stigpack_fuzz_entries::import_classify` (shared with the replay).

libfuzzer_sys::fuzz_target!(|data: &[u8]| stigpack_fuzz_entries::import_classify(data));
