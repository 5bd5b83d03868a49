//! `stigpack export-ckl` end to end: the real binary on the project's fixture fleet and
//! on hostile inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use crate::common::*;

const AT: &str = "2026-11-22T20:00:00Z";

fn fixtures() -> std::path::PathBuf {
    repo().join("fixtures").join("scans")
}

/// `--benchmark` for every fixture benchmark (the fixture XCCDF results need theirs).
fn benchmark_args() -> Vec<std::ffi::OsString> {
    let mut v = Vec::new();
    let mut files: Vec<_> = fs::read_dir(repo().join("fixtures/benchmarks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        v.push("--benchmark".into());
        v.push(f.into_os_string());
    }
    v
}

fn export(work: &Path, results: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let mut cmd = stigpack(work);
    cmd.arg("export-ckl")
        .args(benchmark_args())
        .arg("--results")
        .arg(results)
        .arg("--out")
        .arg(out)
        .arg("--exported-at")
        .arg(AT)
        .args(extra);
    run(&mut cmd)
}

/// Count `<STATUS>` values by plain text scan, independent of stigpack's parser.
fn status_counts(xml: &str) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for part in xml.split("<STATUS>").skip(1) {
        let v = part
            .split("</STATUS>")
            .next()
            .unwrap_or_default()
            .to_string();
        *m.entry(v).or_insert(0) += 1;
    }
    m
}

#[test]
fn exports_one_checklist_per_host_and_benchmark() {
    let work = tempfile::tempdir().unwrap();
    let o = export(work.path(), &fixtures(), "out", &["--format", "both"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = work.path().join("out");
    let files = tree(&out);
    assert!(!files.is_empty());
    let hosts: std::collections::BTreeSet<_> = files
        .iter()
        .map(|(p, _)| p.split('/').next().unwrap().to_string())
        .collect();
    let fixture_hosts: std::collections::BTreeSet<_> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(hosts, fixture_hosts, "every fixture host gets checklists");
    for (p, bytes) in &files {
        assert!(
            p.ends_with(".ckl") || p.ends_with(".cklb"),
            "unexpected file {p}"
        );
        if p.ends_with(".ckl") {
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(text.contains("<CHECKLIST>"), "{p}");
            // Every status written is one of the four STIG Viewer accepts.
            for k in status_counts(&text).keys() {
                assert!(
                    ["NotAFinding", "Open", "Not_Applicable", "Not_Reviewed"].contains(&k.as_str()),
                    "{p}: {k}"
                );
            }
            // The matching CKLB exists and is JSON with the same number of rules.
            let cklb = out.join(p.replace(".ckl", ".cklb"));
            let v: serde_json::Value = serde_json::from_slice(&fs::read(&cklb).unwrap()).unwrap();
            let rules: usize = v["stigs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["rules"].as_array().unwrap().len())
                .sum();
            assert_eq!(rules, status_counts(&text).values().sum::<usize>(), "{p}");
        }
    }
}

#[test]
fn ckl_output_is_well_formed_xml_per_xmllint() {
    if !have_tool("xmllint") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let o = export(work.path(), &fixtures(), "out", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (p, _) in tree(&work.path().join("out")) {
        let st = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg(work.path().join("out").join(&p))
            .status()
            .unwrap();
        assert!(st.success(), "xmllint rejects {p}");
    }
}

#[test]
fn same_inputs_give_identical_bytes_in_any_directory_and_timezone() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    // Different results paths too: copy the fixtures under another name.
    copy_dir(&fixtures(), &b.path().join("elsewhere"));
    let mut c1 = stigpack(a.path());
    c1.env("TZ", "UTC")
        .args([
            "export-ckl",
            "--format",
            "both",
            "--exported-at",
            AT,
            "--out",
            "x",
            "--results",
        ])
        .arg(fixtures())
        .args(benchmark_args());
    let mut c2 = stigpack(b.path());
    c2.env("TZ", "Pacific/Kiritimati")
        .env("LC_ALL", "C")
        .args([
            "export-ckl",
            "--format",
            "both",
            "--exported-at",
            "2026-11-23T10:00:00+14:00",
            "--out",
            "deep/y",
            "--results",
        ])
        .arg(b.path().join("elsewhere"))
        .args(benchmark_args());
    let (o1, o2) = (run(&mut c1), run(&mut c2));
    assert!(
        o1.status.success() && o2.status.success(),
        "{} {}",
        stderr(&o1),
        stderr(&o2)
    );
    let t1 = tree(&a.path().join("x"));
    let t2 = tree(&b.path().join("deep/y"));
    assert_eq!(t1.len(), t2.len());
    for ((p1, b1), (p2, b2)) in t1.iter().zip(&t2) {
        assert_eq!(p1, p2);
        assert!(b1 == b2, "{p1} differs between runs");
    }
}

#[test]
fn existing_output_needs_force_and_force_replaces_it_whole() {
    let work = tempfile::tempdir().unwrap();
    fs::create_dir_all(work.path().join("out/stale")).unwrap();
    fs::write(work.path().join("out/stale/old.ckl"), b"old").unwrap();
    let o = export(work.path(), &fixtures(), "out", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"));
    assert!(
        work.path().join("out/stale/old.ckl").exists(),
        "untouched without --force"
    );
    let o = export(work.path(), &fixtures(), "out", &["--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !work.path().join("out/stale").exists(),
        "nothing stale survives --force"
    );
}

/// A results tree with one host holding one file.
fn one_file_fleet(work: &Path, host: &str, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let results = work.join("results");
    fs::create_dir_all(results.join(host)).unwrap();
    fs::write(results.join(host).join(name), bytes).unwrap();
    results
}

fn assert_bad_input(o: &std::process::Output, work: &Path, needle: &str) {
    assert_eq!(o.status.code(), Some(3), "stderr: {}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "stderr should name {needle:?}: {}",
        stderr(o)
    );
    assert!(!work.join("out").exists(), "no partial output");
    let leftovers: Vec<_> = fs::read_dir(work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("stigpack-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[test]
fn malformed_xml_is_refused_naming_the_file() {
    let work = tempfile::tempdir().unwrap();
    let r = one_file_fleet(
        work.path(),
        "WS01",
        "broken.ckl",
        b"<?xml version=\"1.0\"?><CHECKLIST><ASSET></CHECK",
    );
    let o = export(work.path(), &r, "out", &[]);
    assert_bad_input(&o, work.path(), "broken.ckl");
}

#[test]
fn entity_declarations_are_refused_not_expanded() {
    let work = tempfile::tempdir().unwrap();
    let lol = b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><CHECKLIST>&lol2;</CHECKLIST>";
    let r = one_file_fleet(work.path(), "WS01", "laughs.ckl", lol);
    let o = export(work.path(), &r, "out", &[]);
    assert_bad_input(&o, work.path(), "laughs.ckl");
    assert!(
        stderr(&o).to_lowercase().contains("dtd") || stderr(&o).to_lowercase().contains("entity"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn utf16_input_is_refused_with_the_encoding_named() {
    let work = tempfile::tempdir().unwrap();
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><CHECKLIST/>";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let r = one_file_fleet(work.path(), "WS01", "wide.ckl", &bytes);
    let o = export(work.path(), &r, "out", &[]);
    assert_bad_input(&o, work.path(), "wide.ckl");
}

#[test]
fn a_truncated_checklist_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let good = fs::read(samples().join("ckl/saf_small_ckl_overrides.ckl")).unwrap();
    let r = one_file_fleet(work.path(), "WS01", "cut.ckl", &good[..good.len() / 2]);
    let o = export(work.path(), &r, "out", &[]);
    assert_bad_input(&o, work.path(), "cut.ckl");
}

#[test]
fn a_500_mb_file_is_refused_by_the_documented_cap_without_reading_it() {
    let work = tempfile::tempdir().unwrap();
    let r = one_file_fleet(work.path(), "WS01", "huge.ckl", b"");
    // Sparse: takes no disk, but reports 500 MB.
    let f = fs::OpenOptions::new()
        .write(true)
        .open(r.join("WS01/huge.ckl"))
        .unwrap();
    f.set_len(500 * 1024 * 1024).unwrap();
    let o = export(work.path(), &r, "out", &[]);
    assert_bad_input(&o, work.path(), "huge.ckl");
    assert!(stderr(&o).contains("limit"), "{}", stderr(&o));
}

#[test]
fn unsafe_host_directory_names_are_refused() {
    for bad in ["bad\u{1}name", "CON", "..."] {
        let work = tempfile::tempdir().unwrap();
        let good = fs::read(samples().join("ckl/saf_small_ckl_overrides.ckl")).unwrap();
        let r = one_file_fleet(work.path(), bad, "a.ckl", &good);
        let o = export(work.path(), &r, "out", &[]);
        assert_eq!(o.status.code(), Some(3), "{bad:?}: {}", stderr(&o));
        assert!(!work.path().join("out").exists());
    }
}

#[test]
fn hosts_differing_only_in_case_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let good = fs::read(samples().join("ckl/saf_small_ckl_overrides.ckl")).unwrap();
    let r = one_file_fleet(work.path(), "ws01", "a.ckl", &good);
    fs::create_dir_all(r.join("WS01")).unwrap();
    fs::write(r.join("WS01/a.ckl"), &good).unwrap();
    let o = export(work.path(), &r, "out", &[]);
    assert_bad_input(&o, work.path(), "case");
}

#[test]
fn symlinks_in_results_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let r = one_file_fleet(work.path(), "WS01", "a.txt", b"x");
    std::os::unix::fs::symlink("/etc/passwd", r.join("WS01/passwd.ckl")).unwrap();
    let o = export(work.path(), &r, "out", &[]);
    assert_bad_input(&o, work.path(), "passwd.ckl");
}

#[test]
fn a_bad_export_time_is_a_usage_error() {
    let work = tempfile::tempdir().unwrap();
    let mut cmd = stigpack(work.path());
    cmd.args([
        "export-ckl",
        "--out",
        "o",
        "--exported-at",
        "yesterday",
        "--results",
    ])
    .arg(fixtures());
    let o = run(&mut cmd);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("RFC 3339"), "{}", stderr(&o));
}

fn audit_lines(work: &Path) -> Vec<serde_json::Value> {
    let text = fs::read_to_string(work.join("audit.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_export_success_or_failure_is_recorded_in_the_audit_log() {
    let work = tempfile::tempdir().unwrap();
    let o = export(work.path(), &fixtures(), "out", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = one_file_fleet(work.path(), "WS01", "broken.ckl", b"<CHECKLIST>");
    let o = export(work.path(), &r, "out2", &[]);
    assert_eq!(o.status.code(), Some(3));
    let lines = audit_lines(work.path());
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["action"], "export-ckl");
    assert_eq!(lines[0]["result"], "success");
    let files = lines[0]["details"]["files"].as_array().unwrap();
    assert!(
        !files.is_empty()
            && files
                .iter()
                .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    assert_eq!(lines[1]["result"], "failure");
    assert!(lines[1]["details"]["error"]
        .as_str()
        .unwrap()
        .contains("broken.ckl"));
    // The log verifies.
    let v = run(stigpack(work.path()).args(["audit", "verify"]));
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
}
