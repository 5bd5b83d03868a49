//! `stigpack demo` (the README's first command) runs the whole job against a simulated
//! fleet over real WinRM on loopback: every artifact is checked, the fleet's compliance
//! improves between the two scans, nothing is written outside DIR, no password leaks, and
//! a second run with the same --exported-at gives the same bytes (all but the audit log
//! and what records it: the manifest's checkpoint, the bundle, the per-run credentials,
//! CA and keys).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::*;

const AT: &str = "2026-11-22T20:00:00Z";
const HOSTS: [&str; 4] = ["srv1", "ws1", "ws2", "ws3"];

/// Runs the demo with HOME, XDG dirs and TMPDIR pointing into `sandbox`, the audit log
/// and cache left to their defaults, so a file written outside DIR would show there.
fn demo(sandbox: &Path, out: &str) -> std::process::Output {
    for d in ["home", "tmp", "cwd"] {
        fs::create_dir_all(sandbox.join(d)).unwrap();
    }
    Command::new(BIN)
        .current_dir(sandbox.join("cwd"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sandbox.join("home"))
        .env("TMPDIR", sandbox.join("tmp"))
        .args(["demo", "--out", out, "--exported-at", AT])
        .output()
        .unwrap()
}

fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    tree(root)
}

#[test]
fn demo_runs_the_whole_job_over_winrm_and_leaves_everything_in_dir() {
    let sandbox = tempfile::tempdir().unwrap();
    let o = demo(sandbox.path(), "demo-out");
    let text = stdout(&o);
    assert!(o.status.success(), "{text}\n{}", stderr(&o));
    let dir = sandbox.path().join("cwd").join("demo-out");

    // One numbered line per step, each with the command it ran.
    for (n, cmd) in [
        (1, "fleet status"),
        (2, "fleet verify"),
        (3, "fleet apply"),
        (4, "fleet verify"),
        (5, "export-ckl"),
        (6, "export-emass"),
        (7, "validate"),
        (8, "reproduce"),
        (9, "audit verify"),
        (10, "key generate"),
        (11, "seal"),
        (12, "verify"),
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{n}. ")))
            .unwrap_or_else(|| panic!("no step {n} in\n{text}"));
        assert!(line.contains(&format!("$ stigpack {cmd}")), "{line}");
    }
    assert!(text.contains("4 host(s) answered"), "{text}");
    // The apply visibly improves compliance: fewer Open findings in the second scan.
    let improved = text
        .lines()
        .find(|l| l.contains("compliance improved"))
        .unwrap();
    let nums: Vec<usize> = improved
        .split_whitespace()
        .filter_map(|w| w.trim_matches(',').parse().ok())
        .collect();
    assert_eq!(nums.len(), 2, "{improved}");
    assert!(nums[1] < nums[0], "{improved}");
    // The report is pointed at first.
    let look = text.split("Look at:").nth(1).unwrap();
    assert!(look
        .trim_start()
        .lines()
        .next()
        .unwrap()
        .contains("06_Index/index.html"));

    // What each host returned, verified, with the checksum file sha256sum reads.
    for host in HOSTS {
        let sums = fs::read_to_string(dir.join("results").join(host).join("SHA256SUMS")).unwrap();
        assert!(sums.lines().any(|l| l.ends_with(".ckl")), "{host}: {sums}");
        assert!(sums.lines().any(|l| l.ends_with(".cklb")), "{host}: {sums}");
        let ok = Command::new("sha256sum")
            .arg("-c")
            .arg("--quiet")
            .arg("SHA256SUMS")
            .current_dir(dir.join("results").join(host))
            .status()
            .unwrap();
        assert!(ok.success(), "{host}: sha256sum -c failed");
        // Checklists per host, both formats.
        let names: Vec<String> = fs::read_dir(dir.join("checklists").join(host.to_uppercase()))
            .or_else(|_| fs::read_dir(dir.join("checklists").join(host)))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.ends_with(".ckl")),
            "{host}: {names:?}"
        );
        assert!(
            names.iter().any(|n| n.ends_with(".cklb")),
            "{host}: {names:?}"
        );
    }
    stig_manager_imports_the_demo_checklists(&dir.join("checklists"));
    // The package, its report, the sealed bundle, the key and the audit log.
    let pkg = fs::read_dir(dir.join("emass"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let index = fs::read_to_string(pkg.join("06_Index/index.html")).unwrap();
    for host in HOSTS {
        assert!(
            index.to_lowercase().contains(host),
            "{host} not in the report"
        );
    }
    let bundle = dir.join(format!(
        "{}.tar.gz",
        pkg.file_name().unwrap().to_string_lossy()
    ));
    assert!(bundle.is_file());
    assert!(dir.join("keys/demo-signer.pub").is_file());
    let log = fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    for action in [
        "fleet.status",
        "fleet.verify",
        "fleet.apply",
        "export-emass",
    ] {
        assert!(log.contains(action), "{action} not in the demo's audit log");
    }

    // Nothing outside DIR: home, tmp and the working directory hold nothing else.
    assert!(
        files_under(&sandbox.path().join("home")).is_empty(),
        "wrote under HOME"
    );
    assert!(
        files_under(&sandbox.path().join("tmp")).is_empty(),
        "left files in TMPDIR"
    );
    let beside: Vec<_> = fs::read_dir(sandbox.path().join("cwd")).unwrap().collect();
    assert_eq!(beside.len(), 1, "wrote beside DIR");

    // The per-run password is only in its private file.
    let password = fs::read_to_string(dir.join("winrm-password")).unwrap();
    assert!(password.len() >= 12);
    assert!(!text.contains(&password) && !stderr(&o).contains(&password));
    for (rel, bytes) in files_under(&dir) {
        if rel == "winrm-password" || rel.starts_with("cache/") {
            continue;
        }
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains(&password), "the password is in {rel}");
    }

    // The same --exported-at, the same bytes (see the module comment for what differs).
    let again = demo(sandbox.path(), "demo-again");
    assert!(again.status.success(), "{}", stderr(&again));
    let dir2 = sandbox.path().join("cwd").join("demo-again");
    for sub in ["results", "checklists"] {
        assert_eq!(
            files_under(&dir.join(sub)),
            files_under(&dir2.join(sub)),
            "{sub} differs"
        );
    }
    let pkg2 = dir2.join("emass").join(pkg.file_name().unwrap());
    let strip = |t: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        t.into_iter()
            .filter(|(rel, _)| rel != "00_Manifest/manifest.json")
            .collect()
    };
    assert_eq!(
        strip(files_under(&pkg)),
        strip(files_under(&pkg2)),
        "the package differs"
    );
}

/// What STIG Manager's own parsers (npm `@nuwcdivnpt/stig-manager-client-modules`) import
/// from one checklist: (target name, [(rule, result)]).
fn stig_manager_reads(file: &Path) -> (String, Vec<(String, String)>) {
    let script = repo().join("scripts/checkers/stigman-reviews.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "STIG Manager's parser refused {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "{}", file.display());
    let mut reviews: Vec<(String, String)> = v["checklists"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["reviews"].as_array().unwrap().clone())
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    reviews.sort();
    (v["target"]["name"].as_str().unwrap().to_owned(), reviews)
}

/// The checklists the demo exports are what STIG Manager imports: each is read without
/// error, names its host, carries a review for every finding the CKL marks Open, and the
/// CKL and the CKLB of a host import as the same reviews.
fn stig_manager_imports_the_demo_checklists(root: &Path) {
    let module =
        repo().join("scripts/checkers/node_modules/@nuwcdivnpt/stig-manager-client-modules");
    if !have_tool("node") {
        return;
    }
    if !module.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "STIG Manager's parsers are missing (CI=true): run scripts/setup.sh"
        );
        eprintln!("SKIP: STIG Manager's parsers not installed (run scripts/setup.sh)");
        return;
    }
    let mut hosts = 0;
    for host_dir in fs::read_dir(root).unwrap() {
        let host_dir = host_dir.unwrap().path();
        let host = host_dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut by_format = std::collections::BTreeMap::new();
        for f in fs::read_dir(&host_dir).unwrap() {
            let f = f.unwrap().path();
            let ext = f.extension().unwrap().to_string_lossy().into_owned();
            let (target, reviews) = stig_manager_reads(&f);
            assert!(
                target.eq_ignore_ascii_case(&host),
                "{}: target {target}",
                f.display()
            );
            if ext == "ckl" {
                let text = fs::read_to_string(&f).unwrap();
                let open = text.matches("<STATUS>Open</STATUS>").count();
                let fail = reviews.iter().filter(|(_, r)| r == "fail").count();
                assert!(open > 0, "{}: the demo leaves findings open", f.display());
                assert_eq!(fail, open, "{}: Open findings imported", f.display());
            }
            by_format
                .entry(ext)
                .or_insert_with(Vec::new)
                .extend(reviews);
        }
        assert_eq!(
            by_format.get("ckl"),
            by_format.get("cklb"),
            "{host}: CKL and CKLB import differently"
        );
        hosts += 1;
    }
    assert_eq!(hosts, HOSTS.len());
}

#[test]
fn demo_refuses_an_existing_dir_without_force() {
    let sandbox = tempfile::tempdir().unwrap();
    fs::create_dir_all(sandbox.path().join("cwd/taken")).unwrap();
    fs::write(sandbox.path().join("cwd/taken/keep.txt"), "mine").unwrap();
    let o = demo(sandbox.path(), "taken");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(sandbox.path().join("cwd/taken/keep.txt")).unwrap(),
        "mine"
    );
}
