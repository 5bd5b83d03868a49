//! Third-party components inside `export-emass`, through the real binary: the example
//! exporter (components/examples/fleet-md, built here the way its author would) vetted,
//! trusted and run as an `extra`; a built-in re-admitted as a third party to fill the
//! `emass` slot; every refusal exit 7 before --out exists; trusted keys from the user's
//! config; `reproduce` from the package's own copies after the operator's store is gone,
//! and its refusal of a tampered copy.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

const AT: &str = "2026-11-22T20:00:00Z";
const PACKAGE: &str = "EMASS_System_20261122-2000";

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// The fixture fleet, with the benchmark its XCCDF results need.
fn fleet(work: &Path) -> (PathBuf, PathBuf) {
    let results = work.join("results");
    copy_dir(&repo().join("fixtures").join("scans"), &results);
    let _ = fs::remove_file(results.join("README.md"));
    let bench = repo()
        .join("fixtures")
        .join("benchmarks")
        .join("U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml");
    (results, bench)
}

/// `stigpack key generate --out <work>/<name>`: (private, public).
fn key(work: &Path, name: &str) -> (PathBuf, PathBuf) {
    let base = work.join(name);
    let o = run(stigpack(work).args(["key", "generate", "--out"]).arg(&base));
    assert!(o.status.success(), "key generate: {}", stderr(&o));
    (
        base.clone(),
        PathBuf::from(format!("{}.pub", base.display())),
    )
}

/// `stigpack component trust FILE --role ROLE` into `lock` (None: the default lock).
fn trust(work: &Path, wasm: &Path, role: &str, sign_key: &Path, lock: Option<&Path>) {
    let mut cmd = stigpack(work);
    cmd.args([
        "component",
        "trust",
        "--role",
        role,
        "--note",
        "read the source",
    ])
    .arg(wasm)
    .arg("--sign-key")
    .arg(sign_key);
    if let Some(l) = lock {
        cmd.arg("--components-lock").arg(l);
    }
    let o = run(&mut cmd);
    assert!(o.status.success(), "trust: {}", stderr(&o));
}

/// `export-emass` of the fixture fleet into `out` with `extra` arguments.
fn export(work: &Path, out: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    let (results, bench) = (work.join("results"), work.join("bench.xml"));
    if !results.exists() {
        let (r, b) = fleet(work);
        assert_eq!(r, results);
        fs::copy(b, &bench).unwrap();
    }
    run(stigpack(work)
        .args(["export-emass", "--exported-at", AT, "--results"])
        .arg(&results)
        .arg("--benchmark")
        .arg(&bench)
        .arg("--out")
        .arg(out)
        .args(extra))
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// Builds the example exporter with its documented command (docs/components.md), into
/// a target directory kept between test runs.
fn build_example() -> PathBuf {
    let dir = repo().join("components").join("examples").join("fleet-md");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&dir)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
        ])
        .arg("--target-dir")
        .arg(&target);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "building the example: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    target
        .join("wasm32-wasip2")
        .join("release")
        .join("fleet_md.wasm")
}

/// (open, not a finding, not applicable, not reviewed) over every checklist under `dir`.
fn statuses(dir: &Path) -> [usize; 4] {
    let mut n = [0; 4];
    for (path, bytes) in tree(dir) {
        if !path.ends_with(".ckl") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        for (i, s) in ["Open", "NotAFinding", "Not_Applicable", "Not_Reviewed"]
            .iter()
            .enumerate()
        {
            n[i] += text.matches(&format!("<STATUS>{s}</STATUS>")).count();
        }
    }
    n
}

#[test]
fn example_exporter_is_vetted_trusted_exported_validated_and_reproduced_without_the_store() {
    let wasm_built = build_example();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let wasm = work.join("fleet_md.wasm");
    fs::copy(&wasm_built, &wasm).unwrap();
    let sha = sha256(&fs::read(&wasm).unwrap());

    // Vet: admissible, the published contract, its own account of itself.
    let o = run(stigpack(work)
        .args(["component", "vet", "--json"])
        .arg(&wasm));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let vet: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(vet["report"]["witVersion"], "0.1.0");
    assert_eq!(vet["report"]["info"]["name"], "fleet-md");

    let (private, public) = key(work, "reviewer");
    let lock = work.join("operator").join("stigpack.components.lock");
    trust(work, &wasm, "extra", &private, Some(&lock));
    let store = work.join("operator").join("components");
    assert!(store.join("sha256").join(format!("{sha}.wasm")).is_file());
    let entry = &json(&lock)["components"][0];

    let out = work.join("out");
    let o = export(
        work,
        &out,
        &[
            os("--component"),
            os("extra=fleet-md"),
            os("--components-lock"),
            lock.as_os_str(),
            os("--trusted-key"),
            public.as_os_str(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let pkg = out.join(PACKAGE);

    // Its output, in its own folder, says what the package's checklists say.
    let md = fs::read_to_string(pkg.join("07_Extra/fleet-md/fleet-summary.md")).unwrap();
    let [open, naf, na, nr] = statuses(&pkg.join("02_Checklists"));
    assert!(open > 0 && naf > 0, "the fixture has findings");
    let fleet_row = md.lines().find(|l| l.starts_with("| **Fleet**")).unwrap();
    let cells: Vec<usize> = fleet_row
        .split('|')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    assert_eq!(cells[..3].iter().sum::<usize>(), open, "{md}");
    assert_eq!(cells[3..], [naf, na, nr], "{md}");

    // The package keeps the bytes and the review; provenance names both.
    let kept = pkg.join(format!("00_Manifest/components/sha256/{sha}.wasm"));
    assert_eq!(fs::read(&kept).unwrap(), fs::read(&wasm).unwrap());
    let hashes = fs::read_to_string(pkg.join("00_Manifest/file_hashes.sha256")).unwrap();
    assert!(hashes.contains(&format!("{sha}  00_Manifest/components/sha256/{sha}.wasm")));
    let prov = json(&pkg.join("00_Manifest/provenance.json"));
    let comps = prov["components"].as_array().unwrap();
    let tp = comps.iter().find(|c| c["source"] == "third-party").unwrap();
    assert_eq!(tp["role"], "extra");
    assert_eq!(tp["sha256"], sha.as_str());
    assert_eq!(
        tp["admittedBy"]["reviewStatementSha256"],
        entry["reviewStatementSha256"]
    );
    let keyid = tp["admittedBy"]["reviewerKeyid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(keyid.len(), 64);
    // The built-ins that ran are listed with their role and digest too.
    for role in ["import", "emass"] {
        let b = comps.iter().find(|c| c["role"] == role).unwrap();
        assert_eq!(b["source"], "built-in");
        let step = prov["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == role)
            .unwrap();
        assert_eq!(b["sha256"], step["run"]["wasm_sha256"]);
    }
    let extra_step = prov["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "extra")
        .unwrap();
    assert_eq!(extra_step["run"]["wasm_sha256"], sha.as_str());
    // The kept review is the signed one: an independent DSSE verifier accepts it with
    // the reviewer's public key.
    let review = pkg.join(format!(
        "00_Manifest/components/reviews/{sha}.extra.dsse.json"
    ));
    assert_eq!(
        tp["admittedBy"]["reviewFile"],
        format!("00_Manifest/components/reviews/{sha}.extra.dsse.json")
    );
    independent_dsse_check(&review, &public, &keyid);
    // The audit log records which outside code went into the package.
    let log = fs::read_to_string(work.join("audit.jsonl")).unwrap();
    assert!(log.contains("\"export-emass\"") && log.contains(&sha));

    // validate: the package is valid (it may be not ready: 0 or 4, never 5).
    let o = run(stigpack(work).arg("validate").arg(&pkg));
    assert!(matches!(code(&o), 0 | 4), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("[PASS] provenance"), "{}", stdout(&o));

    // reproduce, then again with the operator's lock and store deleted.
    // The first pass leaves the review's signature unchecked (no key given); the second,
    // an auditor's, checks it with the reviewer's public key.
    for (pass, keys) in [
        ("with the store", vec![]),
        (
            "after deleting the store",
            vec![os("--trusted-key"), public.as_os_str()],
        ),
    ] {
        let o = run(stigpack(work)
            .args(["reproduce", "--json"])
            .args(&keys)
            .arg(&pkg));
        assert_eq!(code(&o), 0, "{pass}: {}{}", stdout(&o), stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["reproduced"], true, "{pass}");
        let by = &doc["thirdParty"][0];
        assert_eq!(by["role"], "extra");
        assert_eq!(by["reviewerKeyid"], keyid.as_str());
        assert_eq!(by["note"], "read the source");
        assert!(by["reviewedAt"].as_str().unwrap().ends_with('Z'));
        let verified = if keys.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::Value::from(keyid.as_str())
        };
        assert_eq!(by["reviewVerifiedBy"], verified, "{pass}");
        fs::remove_dir_all(work.join("operator")).ok();
    }
    assert!(!lock.exists() && !store.exists());
    // An auditor who trusts another key does not rerun the component: exit 7, and the
    // text report of an unchecked run says so.
    let (_, stranger) = key(work, "stranger");
    let o = run(stigpack(work)
        .arg("reproduce")
        .arg("--trusted-key")
        .arg(&stranger)
        .arg(&pkg));
    assert_eq!(code(&o), 7, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("is not signed by a trusted key"),
        "{}",
        stderr(&o)
    );
    let o = run(stigpack(work).arg("reproduce").arg(&pkg));
    assert!(
        stdout(&o).contains("review signature not checked (give --trusted-key)"),
        "{}",
        stdout(&o)
    );

    // A package whose copy was altered is refused (exit 5) before anything reruns.
    let tampered = work.join("tampered");
    copy_dir(&pkg, &tampered);
    let copy = tampered.join(format!("00_Manifest/components/sha256/{sha}.wasm"));
    let mut bytes = fs::read(&copy).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&copy, bytes).unwrap();
    let o = run(stigpack(work).arg("reproduce").arg(&tampered));
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("refusing to rerun third-party component fleet-md"),
        "{}",
        stderr(&o)
    );
    // ... and validate says the kept copy is not what ran.
    let o = run(stigpack(work).arg("validate").arg(&tampered));
    assert_eq!(code(&o), 5, "{}", stdout(&o));
    // A kept review swapped for another is caught by validate and refused by reproduce.
    let swapped = work.join("swapped");
    copy_dir(&pkg, &swapped);
    fs::write(
        swapped.join(format!(
            "00_Manifest/components/reviews/{sha}.extra.dsse.json"
        )),
        fs::read(pkg.join("00_Manifest/provenance.json")).unwrap(),
    )
    .unwrap();
    let o = run(stigpack(work).arg("validate").arg(&swapped));
    assert_eq!(code(&o), 5, "{}", stdout(&o));
    assert!(stdout(&o).contains("not a DSSE envelope"), "{}", stdout(&o));
    let o = run(stigpack(work).arg("reproduce").arg(&swapped));
    assert_eq!(code(&o), 5, "{}", stderr(&o));
}

/// securesystemslib (`tests/checkers/dsse_verify.py`) verifies `envelope` with
/// `public`, signed by `keyid`; skipped outside CI when no such Python is at hand.
fn independent_dsse_check(envelope: &Path, public: &Path, keyid: &str) {
    let Some(py) = python_with("securesystemslib") else {
        return;
    };
    let o = Command::new(&py)
        .arg(repo().join("tests/checkers/dsse_verify.py"))
        .arg(envelope)
        .arg(public)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["keyid"], keyid);
}

/// A built-in exported and admitted as a third party (`emass` slot), and a lock the tests
/// can spoil in each way the gate must catch.
struct Setup {
    _dir: tempfile::TempDir,
    work: PathBuf,
    lock: PathBuf,
    public: PathBuf,
    sha: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    let wasm = work.join("emass.wasm");
    let o = run(stigpack(&work)
        .args(["component", "export", "emass", "--out"])
        .arg(&wasm));
    assert!(o.status.success(), "{}", stderr(&o));
    let (private, public) = key(&work, "reviewer");
    let lock = work.join("lock").join("stigpack.components.lock");
    trust(&work, &wasm, "emass", &private, Some(&lock));
    let sha = sha256(&fs::read(&wasm).unwrap());
    Setup {
        _dir: dir,
        work,
        lock,
        public,
        sha,
    }
}

#[test]
fn a_third_party_in_the_emass_slot_writes_what_the_builtin_writes_and_says_so() {
    let s = setup();
    let (with, without) = (s.work.join("with"), s.work.join("without"));
    let o = export(
        &s.work,
        &with,
        &[
            os("--component"),
            os("emass=emass"),
            os("--components-lock"),
            s.lock.as_os_str(),
            os("--trusted-key"),
            s.public.as_os_str(),
            os("--json"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["thirdParty"][0]["role"], "emass");
    assert_eq!(doc["thirdParty"][0]["sha256"], s.sha.as_str());
    let o = export(&s.work, &without, &[os("--json")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc.get("thirdParty").is_none());
    let (a, b) = (with.join(PACKAGE), without.join(PACKAGE));
    // Same bytes in, same component bytes: the POA&M and every other emass output are
    // identical; only the manifest folder differs (provenance names the review).
    for (path, bytes) in tree(&b) {
        if !path.starts_with("00_Manifest") {
            assert_eq!(fs::read(a.join(&path)).unwrap(), bytes, "{path}");
        }
    }
    // The default export names no third party and keeps no component.
    let plain = json(&b.join("00_Manifest/provenance.json"));
    assert!(plain.get("components").is_none());
    assert!(!b.join("00_Manifest/components").exists() && !b.join("07_Extra").exists());
    let prov = json(&a.join("00_Manifest/provenance.json"));
    let emass = prov["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "emass")
        .unwrap()
        .clone();
    assert_eq!(emass["source"], "third-party");
    assert_eq!(emass["sha256"], s.sha.as_str());
    assert!(a
        .join(format!("00_Manifest/components/sha256/{}.wasm", s.sha))
        .is_file());
    let o = run(stigpack(&s.work).arg("reproduce").arg(&a));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("third-party     emass (emass)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn every_refusal_is_exit_7_before_out_exists() {
    let s = setup();
    let (_, other_pub) = key(&s.work, "stranger");
    let lock = s.lock.as_os_str();
    let cases: Vec<(&str, Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            "untrusted key",
            vec![
                os("--component"),
                os("emass=emass"),
                os("--components-lock"),
                lock,
                os("--trusted-key"),
                other_pub.as_os_str(),
            ],
            "does not verify with any trusted key",
        ),
        (
            "no trusted key",
            vec![
                os("--component"),
                os("emass=emass"),
                os("--components-lock"),
                lock,
            ],
            "no trusted key given",
        ),
        (
            "wrong role",
            vec![
                os("--component"),
                os("extra=emass"),
                os("--components-lock"),
                lock,
                os("--trusted-key"),
                s.public.as_os_str(),
            ],
            "pinned for role emass, not extra",
        ),
        (
            "unknown role",
            vec![
                os("--component"),
                os("layout=emass"),
                os("--components-lock"),
                lock,
                os("--trusted-key"),
                s.public.as_os_str(),
            ],
            "unknown role \"layout\"",
        ),
        (
            "a role export-emass has no slot for",
            vec![
                os("--component"),
                os("poam=emass"),
                os("--components-lock"),
                lock,
                os("--trusted-key"),
                s.public.as_os_str(),
            ],
            "no separate POA&M step",
        ),
        (
            "unknown name",
            vec![
                os("--component"),
                os("emass=other"),
                os("--components-lock"),
                lock,
                os("--trusted-key"),
                s.public.as_os_str(),
            ],
            "no component named other is pinned for role emass",
        ),
    ];
    for (what, args, says) in cases {
        let out = s.work.join("out");
        let o = export(&s.work, &out, &args);
        assert_eq!(code(&o), 7, "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{what}: {}", stderr(&o));
        assert!(!out.exists(), "{what}: --out was created");
    }
    // Digest mismatch: the store's copy no longer hashes to its pin.
    let stored = s
        .lock
        .parent()
        .unwrap()
        .join(format!("components/sha256/{}.wasm", s.sha));
    let mut bytes = fs::read(&stored).unwrap();
    bytes.push(0);
    fs::write(&stored, bytes).unwrap();
    let out = s.work.join("out");
    let o = export(
        &s.work,
        &out,
        &[
            os("--component"),
            os("emass=emass"),
            os("--components-lock"),
            lock,
            os("--trusted-key"),
            s.public.as_os_str(),
        ],
    );
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a changed file is never trusted"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn trusted_keys_and_the_lock_come_from_the_users_config() {
    let s = setup();
    // XDG_CONFIG_HOME is <work>/config (common::stigpack): the config lists the key and
    // the lock, relative to itself.
    let cfg = s.work.join("config").join("stigpack");
    fs::create_dir_all(&cfg).unwrap();
    fs::copy(&s.public, cfg.join("reviewer.pub")).unwrap();
    let out = s.work.join("out");
    let args = [os("--component"), os("emass=emass")];
    // Without the config, nothing is trusted.
    let o = export(&s.work, &out, &args);
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    fs::write(
        cfg.join("config.toml"),
        format!(
            "trusted_keys = [\"reviewer.pub\"]\ncomponents_lock = {:?}\n",
            s.lock.display().to_string()
        ),
    )
    .unwrap();
    let o = export(&s.work, &out, &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // --trusted-key adds to the config's keys; it does not replace them.
    let (_, other_pub) = key(&s.work, "stranger");
    let o = export(
        &s.work,
        &out,
        &[
            os("--component"),
            os("emass=emass"),
            os("--force"),
            os("--trusted-key"),
            other_pub.as_os_str(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // A malformed config is bad input naming the file.
    fs::write(cfg.join("config.toml"), "trusted_key = 1\n").unwrap();
    let o = export(&s.work, &s.work.join("out2"), &args);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stderr(&o).contains("config.toml"), "{}", stderr(&o));
}

#[test]
fn a_run_gets_no_more_than_the_review_grants_and_a_revoked_review_admits_nothing() {
    let s = setup();
    // A second review of the same bytes for the same slot, granting almost no fuel,
    // replaces the first: the operator's default budget does not override it.
    let wasm = s.work.join("emass.wasm");
    let o = run(stigpack(&s.work)
        .args([
            "component",
            "trust",
            "--role",
            "emass",
            "--grant-fuel",
            "1000",
        ])
        .arg(&wasm)
        .arg("--sign-key")
        .arg(s.work.join("reviewer"))
        .arg("--components-lock")
        .arg(&s.lock));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = s.work.join("out");
    let args = [
        os("--component"),
        os("emass=emass"),
        os("--components-lock"),
        s.lock.as_os_str(),
        os("--trusted-key"),
        s.public.as_os_str(),
    ];
    let o = export(&s.work, &out, &args);
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(stderr(&o).contains("fuel"), "{}", stderr(&o));
    assert!(!out.join(PACKAGE).exists());

    let o = run(stigpack(&s.work)
        .args(["component", "revoke", "--reason", "superseded"])
        .arg(&wasm)
        .arg("--components-lock")
        .arg(&s.lock));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = export(&s.work, &out, &args);
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(stderr(&o).contains("revoked"), "{}", stderr(&o));
    assert!(stderr(&o).contains("superseded"), "{}", stderr(&o));
}

#[test]
fn import_attestations_admits_a_packages_third_party_components_again() {
    let s = setup();
    let out = s.work.join("out");
    let o = export(
        &s.work,
        &out,
        &[
            os("--component"),
            os("emass=emass"),
            os("--components-lock"),
            s.lock.as_os_str(),
            os("--trusted-key"),
            s.public.as_os_str(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let pkg = out.join(PACKAGE);
    let answers = s.work.join("answers.csv");
    fs::copy(
        pkg.join("05_Attestations/attestation_template.csv"),
        &answers,
    )
    .unwrap();
    let before = tree(&pkg);
    let import = |extra: &[&std::ffi::OsStr]| {
        run(stigpack(&s.work)
            .args(["import-attestations", "--package"])
            .arg(&pkg)
            .arg("--file")
            .arg(&answers)
            .args(extra))
    };
    // No trusted key: refused before anything is rebuilt; the package is untouched.
    let o = import(&[os("--components-lock"), s.lock.as_os_str()]);
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(stderr(&o).contains("no trusted key"), "{}", stderr(&o));
    assert_eq!(tree(&pkg), before);
    let o = import(&[
        os("--components-lock"),
        s.lock.as_os_str(),
        os("--trusted-key"),
        s.public.as_os_str(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let prov = json(&pkg.join("00_Manifest/provenance.json"));
    assert!(prov["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["role"] == "emass" && c["source"] == "third-party"));
    let o = run(stigpack(&s.work).arg("reproduce").arg(&pkg));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}
