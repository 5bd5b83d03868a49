//! An export killed midway (SIGKILL, as after a power loss) leaves no partial package
//! under its final name, and the next export in the same place removes what the killed
//! one left behind (scratch and staging directories) and succeeds.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use crate::common::{run, stderr, stigpack};

const T: &str = "2026-11-02T10:00:00Z";

/// stigpack's temporary directories left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("stigpack-"))
        .collect();
    v.sort();
    v
}

/// An export with its own fresh audit log (`log`): the manifest embeds the log's
/// checkpoint, so runs sharing one log would differ in that file alone.
fn export(work: &Path, results: &Path, out: &Path, log: &str) -> std::process::Command {
    let mut c = stigpack(work);
    c.env("STIGPACK_AUDIT_LOG", work.join(log))
        .args([
            "export-emass",
            "--exported-at",
            T,
            "--system",
            "Crash",
            "--results",
        ])
        .arg(results)
        .arg("--out")
        .arg(out);
    c
}

/// One SHA-256 over every file's path and bytes (short failure messages).
fn digest(root: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (path, bytes) in crate::common::tree(root) {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(Sha256::digest(&bytes));
    }
    hex::encode(h.finalize())
}

#[test]
fn an_export_killed_at_any_point_is_cleaned_up_by_the_next() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("fleet");
    let o = run(stigpack(w.path())
        .args(["dev-gen-fleet", "--hosts", "32", "--rules", "100", "--out"])
        .arg(&results));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = w.path().join("out");
    let package = out.join("EMASS_Crash_20261102-1000");

    // A first run fills the component cache; the second says how long an undisturbed
    // export takes here, to spread the kills across it.
    let o = run(&mut export(w.path(), &results, &out, "audit-warm.jsonl"));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_dir_all(&package).unwrap();
    let started = Instant::now();
    let o = run(&mut export(w.path(), &results, &out, "audit-ref.jsonl"));
    assert!(o.status.success(), "{}", stderr(&o));
    let full = started.elapsed();
    let reference = digest(&package);
    std::fs::remove_dir_all(&package).unwrap();

    let mut saw_leftovers = false;
    for fraction in [0.15, 0.45, 0.75] {
        let mut child = export(
            w.path(),
            &results,
            &out,
            &format!("audit-killed-{fraction}.jsonl"),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // Never a partial package under the final name: either none, or the whole one.
        if package.exists() {
            // (That run's audit log is whole only if it got that far; compare it too.)
            assert_eq!(digest(&package), reference, "killed at {fraction}");
            std::fs::remove_dir_all(&package).unwrap();
        }
        let left = leftovers(&out);
        saw_leftovers |= !left.is_empty();

        let o = run(&mut export(
            w.path(),
            &results,
            &out,
            "audit-ref.jsonl.next",
        ));
        assert!(
            o.status.success(),
            "after a kill at {fraction}: {}",
            stderr(&o)
        );
        for name in &left {
            assert!(
                stderr(&o).contains(name.as_str()),
                "the next run names what it removed ({name}): {}",
                stderr(&o)
            );
        }
        assert_eq!(
            leftovers(&out),
            Vec::<String>::new(),
            "killed at {fraction}"
        );
        assert_eq!(digest(&package), reference, "killed at {fraction}");
        std::fs::remove_dir_all(&package).unwrap();
        std::fs::remove_file(w.path().join("audit-ref.jsonl.next")).unwrap();
    }
    assert!(
        saw_leftovers,
        "no kill landed while the export had temporary directories ({full:?} per export)"
    );
}
