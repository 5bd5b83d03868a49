//! Helpers shared by the audit integration tests: a fixed clock and small real logs.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::json;
use stigpack_audit::{AuditLog, Clock, EntryDraft, Outcome};

/// A clock that ticks one second per call from a fixed start.
#[derive(Debug, Default)]
pub struct TickClock(AtomicU64);

impl Clock for TickClock {
    fn now(&self) -> time::OffsetDateTime {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        time::macros::datetime!(2026-01-02 03:04:05 UTC) + time::Duration::seconds(n as i64)
    }
}

pub fn open(path: &Path) -> AuditLog {
    AuditLog::open(path)
        .unwrap()
        .with_clock(Arc::new(TickClock::default()))
        .with_actor("tester@testhost")
}

/// A log of `n` varied entries written through the real append path.
pub fn build_log(dir: &Path, n: u64) -> (PathBuf, AuditLog) {
    let path = dir.join("audit.jsonl");
    let log = open(&path);
    for i in 0..n {
        let result = [Outcome::Success, Outcome::Failure, Outcome::Partial][(i % 3) as usize];
        log.append(
            EntryDraft::new(format!("action-{i}"), format!("/pkg/{i}.ckl"), result).with_details(
                json!({
                    "i": i,
                    "digest": format!("{:064x}", i * 7919),
                    "hosts": ["a", "b"],
                    "note": "x/y \"q\" é",
                }),
            ),
        )
        .unwrap();
    }
    (path, log)
}

pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap();
    let mut v: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    if v.last().is_some_and(Vec::is_empty) {
        v.pop();
    }
    v
}

pub fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    std::fs::write(path, out).unwrap();
}
