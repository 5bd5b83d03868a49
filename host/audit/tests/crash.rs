//! A crash mid-append leaves a torn last line: verify names it precisely, append refuses
//! to build on it, and repair removes exactly it and nothing else.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::io::Write;

use common::build_log;
use serde_json::json;
use stigpack_audit::{verify, AuditError, FailureKind, Outcome, RepairOutcome};

#[test]
fn half_a_line_is_reported_precisely_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = build_log(dir.path(), 4);
    let complete = std::fs::read(&path).unwrap();
    // The next real line, cut in half.
    let next = {
        let d2 = tempfile::tempdir().unwrap();
        let p2 = d2.path().join("audit.jsonl");
        std::fs::write(&p2, &complete).unwrap();
        common::open(&p2)
            .record("next", "t", Outcome::Success, json!({"k": 1}))
            .unwrap();
        let all = std::fs::read(&p2).unwrap();
        all[complete.len()..].to_vec()
    };
    let half = &next[..next.len() / 2];
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(half)
        .unwrap();

    let r = verify(&path, None, None).unwrap();
    assert_eq!(r.entries, 4);
    assert_eq!(r.failures.len(), 1);
    let f = &r.failures[0];
    assert_eq!((f.kind, f.seq), (FailureKind::TornTail, Some(4)));
    assert!(
        f.detail.contains(&format!(
            "{} bytes at offset {}",
            half.len(),
            complete.len()
        )),
        "{}",
        f.detail
    );

    match log.record("x", "y", Outcome::Success, json!({})) {
        Err(AuditError::TornTail { offset, .. }) => assert_eq!(offset, complete.len() as u64),
        other => panic!("{other:?}"),
    }
    // Proofs and checkpoints still cover the complete entries.
    assert_eq!(log.checkpoint("t").unwrap().size, 4);

    let RepairOutcome::Repaired { removed, entry, .. } = log.repair().unwrap() else {
        panic!()
    };
    assert_eq!(removed, half.len() as u64);
    assert_eq!(entry.details["removed_bytes"], json!(half.len()));
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(&complete));
    let r = verify(&path, None, None).unwrap();
    assert!(r.ok, "{:?}", r.failures);
    assert_eq!(r.entries, 5);
}

#[test]
fn a_missing_newline_on_a_whole_line_is_still_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = build_log(dir.path(), 3);
    let mut data = std::fs::read(&path).unwrap();
    data.pop();
    std::fs::write(&path, &data).unwrap();
    let r = verify(&path, None, None).unwrap();
    assert_eq!(r.failures[0].kind, FailureKind::TornTail);
    assert_eq!(r.failures[0].seq, Some(2));
    assert!(matches!(
        log.repair().unwrap(),
        RepairOutcome::Repaired { .. }
    ));
    assert!(verify(&path, None, None).unwrap().ok);
}

#[test]
fn repair_refuses_damage_that_is_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = build_log(dir.path(), 3);
    let mut data = std::fs::read(&path).unwrap();
    let n = data.len();
    data[n - 2] = b'#'; // corrupt the last complete line (its closing brace)
    data.extend_from_slice(b"{\"torn");
    std::fs::write(&path, &data).unwrap();
    assert!(matches!(
        log.repair(),
        Err(AuditError::RepairRefused { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), data, "nothing changed");
    // With no torn tail there is nothing to do, even if an entry is damaged.
    data.truncate(n);
    std::fs::write(&path, &data).unwrap();
    assert_eq!(log.repair().unwrap(), RepairOutcome::NothingToRepair);
}

#[test]
fn a_deleted_or_stale_tree_index_is_rebuilt_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = build_log(dir.path(), 9);
    let cp = log.checkpoint("t").unwrap();
    drop(log);
    std::fs::remove_dir_all(dir.path().join("audit.jsonl.tree")).unwrap();
    let log = common::open(&path);
    assert_eq!(log.checkpoint("t").unwrap(), cp);
    // Lines appended behind the index's back (a crash between the log write and the
    // index write) are picked up.
    log.record("a", "b", Outcome::Success, json!({})).unwrap();
    let state = dir.path().join("audit.jsonl.tree/state");
    let saved = std::fs::read(&state).unwrap();
    log.record("c", "d", Outcome::Success, json!({})).unwrap();
    std::fs::write(&state, saved).unwrap(); // index now one entry behind
    let log = common::open(&path);
    let now = log.checkpoint("t").unwrap();
    assert_eq!(now.size, 11);
    let r = verify(&path, Some(&now), None).unwrap();
    assert!(r.ok, "{:?}", r.failures);
    let p = log.consistency_proof(cp.size).unwrap();
    assert_eq!(p.old_root, cp.root);
    assert!(p.verify());
}
