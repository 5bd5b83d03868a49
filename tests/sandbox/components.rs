//! End-to-end tests of admitting third-party components: `component vet`, `trust`, `run
//! --role`, `revoke` and `export`, through the real binary. A built-in component exported
//! with `component export` stands in for a third party's file; the hostile test component
//! is what vet must refuse. The signed review is checked with securesystemslib.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

const HOSTILE: &str = env!("STIGPACK_TEST_COMPONENT_HOSTILE");

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Exports the built-in `name` to `<work>/<name>.wasm`.
fn export(work: &Path, name: &str) -> PathBuf {
    let out = work.join(format!("{name}.wasm"));
    let o = run(stigpack(work)
        .args(["component", "export", name, "--out"])
        .arg(&out));
    assert!(o.status.success(), "export: {}", stderr(&o));
    out
}

fn vet_json(work: &Path, file: &Path) -> (i32, serde_json::Value, String) {
    let o = run(stigpack(work)
        .args(["component", "vet", "--json"])
        .arg(file));
    let doc = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (code(&o), doc, stderr(&o))
}

#[test]
fn vet_reports_a_builtin_as_admissible_and_exported_bytes_are_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let wasm = export(work, "import");
    // The exported bytes are what `component list` pins.
    let list = run(stigpack(work).args(["component", "list", "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let listed = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "import")
        .unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (c, doc, err) = vet_json(work, &wasm);
    assert_eq!(c, 0, "{err}");
    let r = &doc["report"];
    assert_eq!(r["sha256"], listed.as_str());
    assert_eq!(r["verdict"], "admissible");
    assert_eq!(r["witVersion"], "0.1.0");
    assert_eq!(r["info"]["name"], "import");
    let imports = r["imports"].as_array().unwrap();
    assert!(imports
        .iter()
        .any(|i| i["name"] == "stigpack:component/types@0.1.0" && i["grant"] == "contract"));
    assert!(
        imports.iter().all(|i| i["grant"] != "refused"),
        "{imports:?}"
    );
    let exports: Vec<_> = r["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(exports, ["info", "run"]);
    // The report's digest is stable: vetting again gives the same report and digest.
    let (_, again, _) = vet_json(work, &wasm);
    assert_eq!(again["reportSha256"], doc["reportSha256"]);
    assert_eq!(doc["reportSha256"].as_str().unwrap().len(), 64);
}

#[test]
fn vet_refuses_what_the_sandbox_never_grants_naming_each_import() {
    let dir = tempfile::tempdir().unwrap();
    let (c, doc, err) = vet_json(dir.path(), Path::new(HOSTILE));
    assert_eq!(c, 7, "{err}");
    let r = &doc["report"];
    assert_eq!(r["verdict"], "refused");
    assert!(
        r["info"].is_null(),
        "info() must not run for a refused component"
    );
    let refused: Vec<String> = r["imports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["grant"] == "refused")
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        refused.iter().any(|n| n.starts_with("wasi:sockets/")),
        "{refused:?}"
    );
    let findings = r["findings"].to_string();
    for name in &refused {
        assert!(
            findings.contains(name.as_str()),
            "{name} not named in {findings}"
        );
    }
}

#[test]
fn vet_refuses_files_that_are_not_components_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let good = fs::read(export(work, "import")).unwrap();
    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        (
            "text.wasm",
            b"hello, not wasm".to_vec(),
            3,
            "not a WebAssembly component",
        ),
        (
            "core.wasm",
            b"\0asm\x01\0\0\0".to_vec(),
            3,
            "core WebAssembly module",
        ),
        (
            "truncated.wasm",
            good[..good.len() / 2].to_vec(),
            3,
            "truncated",
        ),
        (
            "future.wasm",
            replace_all(
                &good,
                b"stigpack:component/types@0.1.0",
                b"stigpack:component/types@9.9.9",
            ),
            7,
            "built against stigpack:component@9.9.9",
        ),
    ];
    for (name, bytes, want, text) in cases {
        let p = work.join(name);
        fs::write(&p, &bytes).unwrap();
        let o = run(stigpack(work).args(["component", "vet"]).arg(&p));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(code(&o), want, "{name}: {all}");
        assert!(all.contains(text), "{name}: expected {text:?} in {all}");
    }
}

fn replace_all(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = hay.to_vec();
    let mut i = 0;
    let mut n = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            n += 1;
        }
        i += 1;
    }
    assert!(n > 0, "the contract name was not found");
    out
}

struct Keys {
    private: PathBuf,
    public: PathBuf,
}

fn keys(work: &Path, name: &str) -> Keys {
    let base = work.join("keys").join(name);
    fs::create_dir_all(base.parent().unwrap()).unwrap();
    stigpack_sign::keys::generate_files(&base).unwrap();
    Keys {
        public: PathBuf::from(format!("{}.pub", base.display())),
        private: base,
    }
}

fn scans(work: &Path) -> PathBuf {
    let results = work.join("results");
    copy_dir(&repo().join("fixtures").join("scans"), &results);
    let _ = fs::remove_file(results.join("README.md"));
    results
}

fn run_role(
    work: &Path,
    wasm: &Path,
    role: &str,
    lock: &Path,
    key: &Path,
    out: &Path,
) -> std::process::Output {
    run(stigpack(work)
        .args([
            "component",
            "run",
            "--role",
            role,
            "--exported-at",
            "2026-11-22T20:00:00Z",
        ])
        .arg("--wasm")
        .arg(wasm)
        .arg("--components-lock")
        .arg(lock)
        .arg("--trusted-key")
        .arg(key)
        .arg("--input")
        .arg(work.join("results"))
        .arg("--out")
        .arg(out))
}

#[test]
fn trust_run_revoke_round_trip_and_every_refusal_before_any_code_runs() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    scans(work);
    let import = export(work, "import");
    let emass = export(work, "emass");
    let reviewer = keys(work, "reviewer");
    let stranger = keys(work, "stranger");
    let lock = work.join("conf").join("stigpack.components.lock");

    // Nothing is admitted before a review exists.
    let out = work.join("out0");
    let o = run_role(work, &import, "import", &lock, &reviewer.public, &out);
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no review in the lock admits"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());

    let o = run(stigpack(work)
        .args([
            "component",
            "trust",
            "--role",
            "import",
            "--note",
            "read its source",
            "--json",
        ])
        .arg(&import)
        .arg("--sign-key")
        .arg(&reviewer.private)
        .arg("--components-lock")
        .arg(&lock));
    assert!(o.status.success(), "trust: {}", stderr(&o));
    let entry: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sha = entry["sha256"].as_str().unwrap().to_string();
    // The store keeps the reviewed bytes under their digest.
    let stored = lock
        .parent()
        .unwrap()
        .join("components/sha256")
        .join(format!("{sha}.wasm"));
    assert_eq!(fs::read(&stored).unwrap(), fs::read(&import).unwrap());

    // Admitted: runs, and says which review admitted it.
    let out = work.join("out1");
    let o = run_role(work, &import, "import", &lock, &reviewer.public, &out);
    assert!(o.status.success(), "run: {}", stderr(&o));
    let rec: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rec["admittedBy"]["role"], "import");
    assert_eq!(
        rec["admittedBy"]["reviewStatementSha256"],
        entry["reviewStatementSha256"]
    );
    assert!(out.is_dir() && fs::read_dir(&out).unwrap().count() > 0);

    // Each refusal: exit 7 with the reason, and --out never created (nothing ran).
    let refusals: Vec<(&Path, &str, &Path, &str)> = vec![
        (
            &import,
            "import",
            &stranger.public,
            "does not verify with any trusted key",
        ),
        (
            &emass,
            "import",
            &reviewer.public,
            "no review in the lock admits",
        ),
        (
            &import,
            "checklist",
            &reviewer.public,
            "is pinned for role import, not checklist",
        ),
    ];
    for (i, (wasm, role, key, why)) in refusals.into_iter().enumerate() {
        let out = work.join(format!("refused{i}"));
        let o = run_role(work, wasm, role, &lock, key, &out);
        assert_eq!(code(&o), 7, "case {i}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "case {i}: {}", stderr(&o));
        assert!(
            !out.exists(),
            "case {i}: output written by a refused component"
        );
    }
    // An unknown role is a usage error.
    let o = run_role(
        work,
        &import,
        "plugin",
        &lock,
        &reviewer.public,
        &work.join("x"),
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    // A lock edited to pin other bytes under the review is refused.
    let text = fs::read_to_string(&lock).unwrap();
    let emass_sha = stigpack::hashing::sha256_hex(&fs::read(&emass).unwrap());
    let forged = work.join("forged.lock");
    fs::write(&forged, text.replace(&sha, &emass_sha)).unwrap();
    let o = run_role(
        work,
        &emass,
        "import",
        &forged,
        &reviewer.public,
        &work.join("forged-out"),
    );
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(stderr(&o).contains("reviews SHA-256"), "{}", stderr(&o));

    // Revoked: refused, and the record of the review stays in the lock.
    let o = run(stigpack(work)
        .args(["component", "revoke", "--reason", "superseded by 1.1"])
        .arg(&import)
        .arg("--components-lock")
        .arg(&lock));
    assert!(o.status.success(), "revoke: {}", stderr(&o));
    let o = run_role(
        work,
        &import,
        "import",
        &lock,
        &reviewer.public,
        &work.join("out2"),
    );
    assert_eq!(code(&o), 7);
    assert!(
        stderr(&o).contains("revoked") && stderr(&o).contains("superseded by 1.1"),
        "{}",
        stderr(&o)
    );
    let locked: serde_json::Value = serde_json::from_slice(&fs::read(&lock).unwrap()).unwrap();
    assert_eq!(
        locked["components"][0]["revoked"]["reason"],
        "superseded by 1.1"
    );

    // The audit log holds the review and the revocation.
    let log = fs::read_to_string(work.join("audit.jsonl")).unwrap();
    assert!(
        log.contains("\"component.trust\"") && log.contains(&sha),
        "{log}"
    );
    assert!(log.contains("\"component.revoke\""), "{log}");
}

#[test]
fn trust_refuses_what_vet_refuses_and_expired_reviews_admit_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    scans(work);
    let reviewer = keys(work, "reviewer");
    let lock = work.join("stigpack.components.lock");
    let o = run(stigpack(work)
        .args(["component", "trust", "--role", "extra"])
        .arg(HOSTILE)
        .arg("--sign-key")
        .arg(&reviewer.private)
        .arg("--components-lock")
        .arg(&lock));
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(stderr(&o).contains("wasi:sockets"), "{}", stderr(&o));
    assert!(
        !lock.exists(),
        "a refused component was written to the lock"
    );

    let import = export(work, "import");
    let o = run(stigpack(work)
        .args([
            "component",
            "trust",
            "--role",
            "import",
            "--valid-days",
            "30",
        ])
        .args(["--reviewed-at", "2020-01-01T00:00:00Z"])
        .arg(&import)
        .arg("--sign-key")
        .arg(&reviewer.private)
        .arg("--components-lock")
        .arg(&lock));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_role(
        work,
        &import,
        "import",
        &lock,
        &reviewer.public,
        &work.join("out"),
    );
    assert_eq!(code(&o), 7);
    assert!(
        stderr(&o).contains("expired at 2020-01-31T00:00:00Z"),
        "{}",
        stderr(&o)
    );
}

/// securesystemslib, an independent DSSE implementation, verifies the review with the
/// reviewer's public key, and the statement names the component's digest.
#[test]
fn securesystemslib_verifies_a_review() {
    let Some(py) = python_with("securesystemslib") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let import = export(work, "import");
    let reviewer = keys(work, "reviewer");
    let lock = work.join("stigpack.components.lock");
    let o = run(stigpack(work)
        .args(["component", "trust", "--role", "import", "--json"])
        .arg(&import)
        .arg("--sign-key")
        .arg(&reviewer.private)
        .arg("--components-lock")
        .arg(&lock));
    assert!(o.status.success(), "{}", stderr(&o));
    let entry: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let env_path = work.join("review.dsse.json");
    fs::write(&env_path, entry["review"].to_string()).unwrap();
    let o = Command::new(&py)
        .arg(repo().join("tests/checkers/dsse_verify.py"))
        .arg(&env_path)
        .arg(&reviewer.public)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["keyid"], entry["review"]["signatures"][0]["keyid"]);
    // The statement it verified is about these bytes, for this role.
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(entry["review"]["payload"].as_str().unwrap())
        .unwrap();
    let st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(st["subject"][0]["digest"]["sha256"], entry["sha256"]);
    assert_eq!(
        st["predicateType"],
        "https://stigpack.invalid/component-review/v1"
    );
    assert_eq!(st["predicate"]["role"], "import");
    // Another key does not verify it.
    let other = keys(work, "other");
    let o = Command::new(&py)
        .arg(repo().join("tests/checkers/dsse_verify.py"))
        .arg(&env_path)
        .arg(&other.public)
        .output()
        .unwrap();
    assert!(!o.status.success());
}
