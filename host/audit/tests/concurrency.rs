//! Many threads and many processes appending to one log at once must produce one intact
//! chain holding every entry exactly once.
//!
//! Processes are this test binary re-executed with `AUDIT_TEST_WORKER_*` set: the
//! `worker` test below is the child's body and does nothing in a normal run.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::json;
use stigpack_audit::{entries, verify, AuditLog, EntryFilter, Outcome};

const THREADS: u64 = 6;
const PROCESSES: u64 = 4;
const PER_WRITER: u64 = 40;

fn spawn_worker(log: &Path, name: &str, count: u64, extra: &[(&str, &str)]) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "worker",
        "--exact",
        "--nocapture",
        "--ignored",
        "--test-threads=1",
    ])
    .env("AUDIT_TEST_WORKER_LOG", log)
    .env("AUDIT_TEST_WORKER_NAME", name)
    .env("AUDIT_TEST_WORKER_COUNT", count.to_string());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.stdout(std::process::Stdio::null()).spawn().unwrap()
}

/// The child process body (run only when re-executed by a test).
#[test]
#[ignore = "run as a child process by the concurrency tests"]
fn worker() {
    let Some(log) = std::env::var_os("AUDIT_TEST_WORKER_LOG") else {
        return;
    };
    let name = std::env::var("AUDIT_TEST_WORKER_NAME").unwrap();
    let count: u64 = std::env::var("AUDIT_TEST_WORKER_COUNT")
        .unwrap()
        .parse()
        .unwrap();
    let log = AuditLog::open(PathBuf::from(log)).unwrap();
    for i in 0..count {
        log.record(
            "concurrent",
            &format!("{name}/{i}"),
            Outcome::Success,
            json!({"writer": name, "i": i}),
        )
        .unwrap();
    }
}

#[test]
fn threads_and_processes_appending_at_once_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/audit.jsonl");
    let shared = AuditLog::open(&path).unwrap();
    let children: Vec<Child> = (0..PROCESSES)
        .map(|p| spawn_worker(&path, &format!("proc{p}"), PER_WRITER, &[]))
        .collect();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let path = &path;
            let shared = &shared;
            s.spawn(move || {
                // Half the threads share one handle (in-process mutex), half open their own
                // (OS file lock between handles).
                let own;
                let log = if t % 2 == 0 {
                    shared
                } else {
                    own = AuditLog::open(path).unwrap();
                    &own
                };
                for i in 0..PER_WRITER {
                    log.record(
                        "concurrent",
                        &format!("thread{t}/{i}"),
                        Outcome::Success,
                        json!({"i": i}),
                    )
                    .unwrap();
                }
            });
        }
    });
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }

    let total = (THREADS + PROCESSES) * PER_WRITER;
    let r = verify(&path, None, None).unwrap();
    assert!(r.ok, "{:?}", r.failures);
    assert_eq!(r.entries, total);
    let targets: BTreeSet<String> = entries(&path, EntryFilter::default())
        .unwrap()
        .map(|e| e.unwrap().target)
        .collect();
    assert_eq!(
        targets.len() as u64,
        total,
        "every append present exactly once"
    );
    // The index kept up with appends from all writers.
    let cp = shared.checkpoint("t").unwrap();
    assert_eq!(cp.size, total);
    assert_eq!(r.root, Some(hex::encode(cp.root)));
}

#[test]
fn a_writer_killed_mid_append_leaves_at_most_a_torn_tail_that_repair_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = common::build_log(dir.path(), 5);
    let before = std::fs::read(&path).unwrap();
    // One child appends normally; a second simulates a crash inside append: it writes
    // the first half of a line and is killed while "still writing".
    let mut child = spawn_worker(&path, "victim", 3, &[]);
    let status = child.wait().unwrap();
    assert!(status.success());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["torn_writer", "--exact", "--nocapture", "--ignored"])
        .env("AUDIT_TEST_TORN_LOG", &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = path.with_extension("torn-ready");
    let t0 = std::time::Instant::now();
    while !ready.exists() {
        assert!(t0.elapsed().as_secs() < 60, "torn writer never got going");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    let _ = child.wait();

    let r = verify(&path, None, None).unwrap();
    assert!(!r.ok);
    assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
    let f = &r.failures[0];
    assert_eq!(f.kind, stigpack_audit::FailureKind::TornTail);
    assert_eq!(f.seq, Some(8));
    assert_eq!(r.entries, 8);

    // Appending is refused until repair.
    assert!(matches!(
        log.record("x", "y", Outcome::Success, json!({})),
        Err(stigpack_audit::AuditError::TornTail { .. })
    ));
    let complete = std::fs::read(&path).unwrap();
    let cut = complete.iter().rposition(|b| *b == b'\n').unwrap() + 1;
    let outcome = log.repair().unwrap();
    match outcome {
        stigpack_audit::RepairOutcome::Repaired {
            offset,
            removed,
            entry,
        } => {
            assert_eq!(offset, cut as u64);
            assert_eq!(removed, (complete.len() - cut) as u64);
            assert_eq!(entry.action, "repair");
            assert_eq!(entry.seq, 8);
        }
        other => panic!("{other:?}"),
    }
    let after = std::fs::read(&path).unwrap();
    assert_eq!(
        &after[..cut],
        &complete[..cut],
        "complete entries untouched"
    );
    assert!(after.starts_with(&before));
    let r = verify(&path, None, None).unwrap();
    assert!(r.ok, "{:?}", r.failures);
    assert_eq!(r.entries, 9);
    assert_eq!(
        log.repair().unwrap(),
        stigpack_audit::RepairOutcome::NothingToRepair
    );
}

/// Child body for the kill test: writes half of a real next line, signals, then hangs
/// until killed, exactly like a process dying inside `write`.
#[test]
#[ignore = "run as a child process by the kill test"]
fn torn_writer() {
    use std::io::Write;
    let Some(path) = std::env::var_os("AUDIT_TEST_TORN_LOG") else {
        return;
    };
    let path = PathBuf::from(path);
    let half = br#"{"action":"export-ckl","actor":"victim@host","details":{"count":"#;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(half).unwrap();
    f.sync_all().unwrap();
    std::fs::write(path.with_extension("torn-ready"), b"").unwrap();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
