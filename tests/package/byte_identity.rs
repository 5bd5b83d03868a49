//! The byte-identity guard of refactorings (issue 17): the demo's outputs and the package
//! of a small generated fleet, hashed file by file, must equal the SHA-256 list in
//! `tests/data/byte_identity.sha256`, recorded from the code before the moves (main 7c51c30).
//! A move that changes one byte of a checklist, a workbook, a summary, the report or the
//! hash list fails here.
//!
//! What is compared after masking, and why:
//! - Moving Rust code inside `components/stig-formats` legitimately changes the compiled
//!   wasm, hence every recorded component digest and the fuel a run consumed. So in
//!   `00_Manifest/provenance.json` the built-in components' SHA-256 digests are replaced by
//!   a placeholder and every `fuel*` count by 0; in the hash list the line of that file
//!   keeps its path but not its hash; in the manifest the package hash (of the hash list)
//!   and the total byte count (which includes provenance.json) are masked. Every other
//!   byte of these files is compared, and the test fails if any other file records a
//!   component digest.
//! - The demo's run-to-run differences are left out as `demo.rs` describes: its audit log,
//!   the manifest's audit checkpoint, the per-run keys, password, CA, sealed bundle and
//!   compiled-component cache.
//!
//! To record a new list on purpose (an intended output change, never a move):
//! `STIGPACK_RECORD_BYTE_IDENTITY=1 cargo test -p stigpack --test e2e -- byte_identity`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use sha2::{Digest, Sha256};

const AT: &str = "2026-11-22T20:00:00Z";
const RECORD: &str = "tests/data/byte_identity.sha256";
/// Stands for a built-in component's digest (or a hash over bytes that record one).
const MASK: &str = "<masked: records component digests>";

#[test]
fn demo_and_generated_fleet_packages_are_byte_identical_to_the_record() {
    let work = Work::new();
    let sandbox = work.path();
    let digests = component_digests(sandbox);
    let mut lines = Vec::new();
    lines.extend(demo_files(sandbox, &digests));
    lines.extend(generated_fleet_files(sandbox, &digests));
    let got = lines.join("");

    let record = repo().join(RECORD);
    if std::env::var_os("STIGPACK_RECORD_BYTE_IDENTITY").is_some() {
        fs::write(&record, &got).unwrap();
        return;
    }
    let want = fs::read_to_string(&record).unwrap();
    let (w, g): (BTreeSet<&str>, BTreeSet<&str>) = (want.lines().collect(), got.lines().collect());
    let missing: Vec<&&str> = w.difference(&g).collect();
    let extra: Vec<&&str> = g.difference(&w).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "outputs differ from {RECORD}\nrecorded, not produced now:\n{missing:#?}\nproduced now, not recorded:\n{extra:#?}"
    );
}

/// The SHA-256 of every component built into the binary (`component list --json`).
fn component_digests(work: &Path) -> Vec<String> {
    let o = run(stigpack(work).args(["component", "list", "--json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut out = Vec::new();
    collect_sha256(&v, &mut out);
    assert!(!out.is_empty(), "no component digests in {v}");
    out
}

fn collect_sha256(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match v.as_str() {
                    Some(s) if k == "sha256" => out.push(s.to_owned()),
                    _ => collect_sha256(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_sha256(v, out)),
        _ => {}
    }
}

/// `stigpack demo` with HOME, TMPDIR and the working directory inside `sandbox` (as in
/// `demo.rs`): the per-host results, the checklists and the package.
fn demo_files(sandbox: &Path, digests: &[String]) -> Vec<String> {
    for d in ["home", "tmp", "cwd"] {
        fs::create_dir_all(sandbox.join(d)).unwrap();
    }
    let o = Command::new(BIN)
        .current_dir(sandbox.join("cwd"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sandbox.join("home"))
        .env("TMPDIR", sandbox.join("tmp"))
        .args(["demo", "--out", "demo", "--exported-at", AT])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = sandbox.join("cwd/demo");
    let mut lines = Vec::new();
    for sub in ["results", "checklists", "emass"] {
        for (rel, bytes) in tree(&dir.join(sub)) {
            lines.push(line(&format!("demo/{sub}/{rel}"), &bytes, digests));
        }
    }
    lines
}

/// A 12-host fleet from `dev-gen-fleet` (two import batches) exported as one package.
fn generated_fleet_files(sandbox: &Path, digests: &[String]) -> Vec<String> {
    let work = sandbox.join("gen");
    fs::create_dir_all(&work).unwrap();
    let o = run(stigpack(&work)
        .args(["dev-gen-fleet", "--hosts", "12", "--rules", "30", "--out"])
        .arg(work.join("fleet")));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(stigpack(&work)
        .args(["export-emass", "--exported-at", AT, "--results"])
        .arg(work.join("fleet"))
        .arg("--out")
        .arg(work.join("out")));
    assert!(o.status.success(), "{}", stderr(&o));
    let mut lines = Vec::new();
    for sub in ["fleet", "out"] {
        for (rel, bytes) in tree(&work.join(sub)) {
            lines.push(line(&format!("gen/{sub}/{rel}"), &bytes, digests));
        }
    }
    lines
}

/// `<sha256>  <name>\n` of the file's bytes after the masking the module comment lists.
fn line(name: &str, bytes: &[u8], digests: &[String]) -> String {
    let masked = masked(name, bytes, digests);
    format!("{}  {name}\n", hex::encode(Sha256::digest(&masked)))
}

fn masked(name: &str, bytes: &[u8], digests: &[String]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    if name.ends_with("00_Manifest/provenance.json") {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        mask_components(&mut v, digests);
        return serde_json::to_vec_pretty(&v).unwrap();
    }
    if name.ends_with("00_Manifest/file_hashes.sha256") {
        return text
            .lines()
            .map(|l| match l.split_once("  ") {
                Some((_, path)) if path == "00_Manifest/provenance.json" => {
                    format!("{MASK}  {path}\n")
                }
                _ => format!("{l}\n"),
            })
            .collect::<String>()
            .into_bytes();
    }
    if name.ends_with("00_Manifest/manifest.json") {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        for key in ["packageHash", "packageHashH1", "totalBytes"] {
            v[key] = MASK.into();
        }
        if name.starts_with("demo/") {
            // The demo's audit log holds the times of its fleet steps.
            v["auditCheckpoint"] = "<masked: demo audit log>".into();
        }
        return serde_json::to_vec_pretty(&v).unwrap();
    }
    if let Some(d) = digests.iter().find(|d| text.contains(d.as_str())) {
        panic!(
            "{name} records the component digest {d}: mask it here on purpose, or not record it"
        );
    }
    bytes.to_vec()
}

/// Replaces built-in component digests by [`MASK`] and fuel counts by 0.
fn mask_components(v: &mut serde_json::Value, digests: &[String]) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k.contains("fuel") && v.is_number() {
                    *v = 0.into();
                } else {
                    mask_components(v, digests);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|v| mask_components(v, digests)),
        serde_json::Value::String(s) => {
            for d in digests {
                if s.contains(d.as_str()) {
                    *s = s.replace(d.as_str(), MASK);
                }
            }
        }
        _ => {}
    }
}
