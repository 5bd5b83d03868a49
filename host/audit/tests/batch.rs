//! `append_all` (one write and one fsync for a fleet run's per-host entries) writes the
//! very log that appending the same drafts one by one writes, and refuses a batch as a
//! whole: nothing of it is written when one draft is bad.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::build_log;
use serde_json::json;
use stigpack_audit::{verify, AuditError, EntryDraft, Outcome};

fn drafts() -> Vec<EntryDraft> {
    let mut v: Vec<EntryDraft> = (1..=5)
        .map(|i| {
            let outcome = if i == 3 {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            EntryDraft::new("fleet.status", format!("host{i}"), outcome)
                .with_details(json!({"hostname": format!("HOST{i}")}))
        })
        .collect();
    v.push(
        EntryDraft::new("fleet.status", "fleet", Outcome::Partial)
            .with_details(json!({"ok": 4, "failed": 1})),
    );
    v
}

#[test]
fn a_batch_writes_what_single_appends_write() {
    let (one, many) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (single_path, single) = build_log(one.path(), 3);
    let (batch_path, batch) = build_log(many.path(), 3);
    let mut expected = Vec::new();
    for d in drafts() {
        expected.push(single.append(d).unwrap());
    }
    let written = batch.append_all(drafts()).unwrap();
    assert_eq!(written.len(), 6);
    for (a, b) in expected.iter().zip(&written) {
        assert_eq!((a.seq, &a.prev, &a.target), (b.seq, &b.prev, &b.target));
    }
    assert_eq!(
        std::fs::read(&single_path).unwrap(),
        std::fs::read(&batch_path).unwrap(),
        "the same bytes"
    );
    // The tree index took every line: the same checkpoint, and the log verifies.
    assert_eq!(
        single.checkpoint("t").unwrap().root,
        batch.checkpoint("t").unwrap().root
    );
    assert_eq!(batch.checkpoint("t").unwrap().size, 9);
    let r = verify(&batch_path, None, None).unwrap();
    assert!(r.ok, "{:?}", r.failures);
    assert_eq!(r.entries, 9);
    // And the next single append chains on the batch's last line.
    let next = batch
        .record("next", "t", Outcome::Success, json!({}))
        .unwrap();
    assert_eq!(next.seq, 9);
    assert!(verify(&batch_path, None, None).unwrap().ok);
}

#[test]
fn a_bad_draft_refuses_the_whole_batch_and_an_empty_one_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = build_log(dir.path(), 2);
    let before = std::fs::read(&path).unwrap();
    let mut bad = drafts();
    bad[2].details = json!("not an object");
    assert!(matches!(log.append_all(bad), Err(AuditError::Serialize(_))));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(log.append_all(Vec::new()).unwrap().is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
