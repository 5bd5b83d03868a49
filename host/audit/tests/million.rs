//! Verifying a large log (issue 5 asks for 1,000,000 entries): generated directly (valid
//! chain, canonical lines) so the test spends its time in `verify`, not in fsyncs.
//!
//! In the dev profile this crate's own code is unoptimised and a million entries took
//! ~90 s of CPU here, so the test defaults to 100,000 entries; the 1,000,000-entry run is
//! the bench (`cargo bench -p stigpack-audit --bench audit`), and
//! `AUDIT_TEST_ENTRIES=1000000 cargo test -p stigpack-audit --test million` runs it here.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write;

use stigpack_audit::{verify, AuditLog, FailureKind};

#[test]
fn verify_a_large_log_and_find_one_bad_byte_among_its_entries() {
    let n: u64 = std::env::var("AUDIT_TEST_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut data = Vec::with_capacity(n as usize * 330);
    let mut w = stigpack_audit::testing::LineWriter::default();
    for _ in 0..n {
        w.push_synthetic(&mut data);
    }
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&data)
        .unwrap();

    let r = verify(&path, None, None).unwrap();
    assert!(r.ok, "{:?}", r.failures);
    assert_eq!(r.entries, n);

    // The tree index built from the same file agrees with verify's streaming root, and a
    // checkpoint from it pins the log.
    let log = AuditLog::open(&path).unwrap();
    let cp = log.checkpoint("test/million").unwrap();
    assert_eq!(cp.size, n);
    assert_eq!(r.root, Some(hex::encode(cp.root)));
    let p = log.inclusion_proof(n / 2 + 1).unwrap();
    assert!(p.verify());
    drop(log);

    // One changed digit deep inside the file is found at its entry.
    let victim = n * 2 / 3;
    let start = data
        .split(|b| *b == b'\n')
        .take(victim as usize)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let pos = start + data[start..].iter().position(|b| *b == b'"').unwrap() + 3; // inside "action"'s value
    let pos = pos
        + data[pos..]
            .windows(8)
            .position(|w| w == b"\"rules\":")
            .unwrap()
        + 9;
    data[pos] = if data[pos] == b'9' {
        b'8'
    } else {
        data[pos] + 1
    };
    std::fs::write(&path, &data).unwrap();
    let r = verify(&path, Some(&cp), None).unwrap();
    assert!(!r.ok);
    assert_eq!(r.first_bad_seq(), Some(victim));
    assert_eq!(r.failures[0].kind, FailureKind::Edited);
    assert!(r
        .failures
        .iter()
        .any(|f| f.kind == FailureKind::CheckpointMismatch));
}

/// The fast path reads the next block while it checks the current one; a torn last line
/// after more than one block must still be found at its offset, with every complete line
/// counted (45,000 entries are about 17.8 MB, more than one 16 MiB block).
#[test]
fn a_torn_tail_after_several_blocks_is_found_at_its_offset() {
    let n = 45_000u64;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut data = Vec::with_capacity(n as usize * 400);
    let mut w = stigpack_audit::testing::LineWriter::default();
    for _ in 0..n {
        w.push_synthetic(&mut data);
    }
    assert!(data.len() > 16 << 20, "the log spans more than one block");
    let complete = data.len();
    data.extend_from_slice(b"{\"action\":\"interrupted");
    std::fs::write(&path, &data).unwrap();

    let r = verify(&path, None, None).unwrap();
    assert!(!r.ok);
    assert_eq!(r.entries, n);
    assert!(r.root.is_some(), "the chain of complete lines is intact");
    assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
    assert_eq!(r.failures[0].kind, FailureKind::TornTail);
    assert_eq!(r.failures[0].seq, Some(n));
    assert!(
        r.failures[0]
            .detail
            .contains(&format!("at offset {complete} without")),
        "{}",
        r.failures[0].detail
    );
}
