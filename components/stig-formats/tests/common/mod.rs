//! Helpers shared by the integration tests: locating the real sample files and counting
//! what they contain *without* the crate's parsers (plain string scans and serde_json
//! `Value` walks), so a parser bug cannot hide in both the code and its oracle.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;

/// `shared/samples`: under `$STIGPACK_SHARED_DIR` when set (scripts/test.sh sets it),
/// else beside the repository checkout (`<repo>/../shared/samples`).
pub fn samples_dir() -> PathBuf {
    let shared = std::env::var_os("STIGPACK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("samples");
    assert!(
        dir.is_dir(),
        "shared samples not found at {} (set STIGPACK_SHARED_DIR, or check out shared/ beside the repo)",
        dir.display()
    );
    dir
}

/// Every file in `samples/<sub>` with the given extension, sorted.
pub fn sample_files(sub: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(samples_dir().join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .{ext} samples in {sub}");
    v
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Counts `<STATUS>X</STATUS>` occurrences per value by plain string scanning.
pub fn count_ckl_statuses(text: &str) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    let mut rest = text;
    while let Some(i) = rest.find("<STATUS>") {
        rest = &rest[i + 8..];
        let j = rest.find("</STATUS>").unwrap();
        *m.entry(rest[..j].to_string()).or_insert(0) += 1;
        rest = &rest[j..];
    }
    m
}

pub fn count_occurrences(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}
