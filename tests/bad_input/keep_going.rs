//! `--keep-going` end to end: a fleet with one truncated, one UTF-16 and one hostile
//! (XML entity bomb) checklist beside the fixture hosts. Strict (the default) still
//! refuses it whole; with `--keep-going` every other host is exported, the three are
//! named with file and reason, the exit code is 9, and a package says NOT READY.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;

const AT: &str = "2026-11-22T20:00:00Z";
const GOOD: [&str; 3] = ["SRV01", "WS01", "WS02"];
/// (host, file under the host) of each bad host.
const BAD: [(&str, &str); 3] = [
    ("BAD1", "BAD1_truncated.ckl"),
    ("BAD2", "BAD2_utf16.ckl"),
    ("BAD3", "BAD3_hostile.ckl"),
];

fn benchmark_args() -> Vec<std::ffi::OsString> {
    let mut files: Vec<_> = fs::read_dir(repo().join("fixtures/benchmarks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .flat_map(|f| ["--benchmark".into(), f.into_os_string()])
        .collect()
}

/// The fixture hosts, plus (with `bad`) the three hosts whose one checklist is broken.
fn fleet(root: &Path, bad: bool) -> PathBuf {
    let results = root.join("results");
    for h in GOOD {
        copy_dir(&repo().join("fixtures/scans").join(h), &results.join(h));
    }
    if bad {
        let good = fs::read(repo().join("fixtures/scans/SRV01/SRV01_Combined.ckl")).unwrap();
        let write = |host: &str, file: &str, bytes: &[u8]| {
            fs::create_dir_all(results.join(host)).unwrap();
            fs::write(results.join(host).join(file), bytes).unwrap();
        };
        // Cut off mid-document, as a copy interrupted by a full disk leaves it.
        write(BAD[0].0, BAD[0].1, &good[..good.len() / 2]);
        // UTF-16LE text that declares itself UTF-8 (no BOM): not the bytes it claims.
        let text = String::from_utf8(good.clone()).unwrap();
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        write(BAD[1].0, BAD[1].1, &utf16);
        // A billion-laughs entity bomb in front of a real checklist.
        let text = text.replacen(
            "<CHECKLIST>",
            "<!DOCTYPE CHECKLIST [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n<CHECKLIST>",
            1,
        );
        assert!(
            text.contains("<!ENTITY"),
            "the fixture has a <CHECKLIST> root"
        );
        let text = text.replacen("<COMMENTS>", "<COMMENTS>&c;", 1);
        write(BAD[2].0, BAD[2].1, text.as_bytes());
    }
    results
}

fn export_ckl(work: &Path, results: &Path, out: &Path, keep_going: bool) -> std::process::Output {
    let mut c = stigpack(work);
    c.arg("export-ckl")
        .args(benchmark_args())
        .arg("--results")
        .arg(results)
        .arg("--out")
        .arg(out)
        .args(["--exported-at", AT]);
    if keep_going {
        c.arg("--keep-going");
    }
    run(&mut c)
}

fn export_emass(work: &Path, results: &Path, out: &Path, keep_going: bool) -> std::process::Output {
    let mut c = stigpack(work);
    c.arg("export-emass")
        .args(benchmark_args())
        .arg("--results")
        .arg(results)
        .arg("--out")
        .arg(out)
        .args(["--exported-at", AT, "--system", "KeepGoing"]);
    if keep_going {
        c.arg("--keep-going");
    }
    run(&mut c)
}

/// Each bad host is named on stderr with its file and a reason.
fn assert_named_on_stderr(o: &std::process::Output, results: &Path) {
    let err = stderr(o);
    for (host, file) in BAD {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("left out host {host}:")))
            .unwrap_or_else(|| panic!("no line for {host}: {err}"));
        let path = results.join(host).join(file);
        assert!(line.contains(&path.display().to_string()), "{line}");
        let reason = line.rsplit(": ").next().unwrap();
        assert!(!reason.trim().is_empty(), "{line}");
    }
    for h in GOOD {
        assert!(!err.contains(&format!("host {h}:")), "{err}");
    }
}

/// The `[{host, file, reason}]` list names exactly the three bad hosts and files.
fn assert_listed(v: &serde_json::Value) {
    let list = v.as_array().unwrap_or_else(|| panic!("not a list: {v}"));
    let named: Vec<(String, String)> = list
        .iter()
        .map(|u| {
            assert!(!u["reason"].as_str().unwrap().is_empty(), "{u}");
            (
                u["host"].as_str().unwrap().to_owned(),
                u["file"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = BAD
        .iter()
        .map(|(h, f)| (h.to_string(), format!("{h}/{f}")))
        .collect();
    assert_eq!(named, expected);
}

fn hosts_under(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn export_ckl_keeps_going_past_unreadable_hosts() {
    let w = tempfile::tempdir().unwrap();
    let results = fleet(w.path(), true);

    // Strict by default: exit 3 and nothing written.
    let out = w.path().join("strict");
    let o = export_ckl(w.path(), &results, &out, false);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!out.exists());

    let out = w.path().join("partial");
    let o = export_ckl(w.path(), &results, &out, true);
    assert_eq!(o.status.code(), Some(9), "{}\n{}", stdout(&o), stderr(&o));
    assert_named_on_stderr(&o, &results);
    assert!(
        stdout(&o).contains("INCOMPLETE: 3 of 6 host(s)"),
        "{}",
        stdout(&o)
    );
    assert_eq!(hosts_under(&out), GOOD);
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("unreadable-hosts.json")).unwrap()).unwrap();
    assert_listed(&summary);

    // The good hosts' checklists are byte for byte those of a fleet without the bad ones.
    let clean = fleet(&w.path().join("clean"), false);
    let reference = w.path().join("reference");
    let o = export_ckl(w.path(), &clean, &reference, false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let kept: Vec<_> = tree(&out)
        .into_iter()
        .filter(|(p, _)| p != "unreadable-hosts.json")
        .collect();
    assert_eq!(kept, tree(&reference));

    // A fleet in which no host can be read is a failure, not a partial export.
    let none = w.path().join("none");
    for (host, _) in BAD {
        copy_dir(&results.join(host), &none.join(host));
    }
    let out = w.path().join("nothing");
    let o = export_ckl(w.path(), &none, &out, true);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no host could be read"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn export_emass_keeps_going_and_the_package_is_not_ready() {
    let w = tempfile::tempdir().unwrap();
    let results = fleet(w.path(), true);

    let out = w.path().join("strict");
    let o = export_emass(w.path(), &results, &out, false);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());

    let out = w.path().join("packages");
    let o = export_emass(w.path(), &results, &out, true);
    assert_eq!(o.status.code(), Some(9), "{}\n{}", stdout(&o), stderr(&o));
    assert_named_on_stderr(&o, &results);
    assert!(stdout(&o).contains("NOT READY"), "{}", stdout(&o));
    let pkg = fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(pkg.join("00_Manifest/manifest.json")).unwrap()).unwrap();
    assert_listed(&manifest["unreadableHosts"]);
    assert_eq!(manifest["hostCount"], 3, "{manifest}");
    let readiness = &manifest["submissionReadiness"];
    assert_eq!(readiness["isReady"], false, "{readiness}");
    assert_eq!(readiness["allHostsRead"], false, "{readiness}");
    let blocking = readiness["blocking"]["unreadableHosts"].as_array().unwrap();
    assert_eq!(blocking.len(), 3, "{readiness}");
    for ((host, file), line) in BAD.iter().zip(blocking) {
        let line = line.as_str().unwrap();
        assert!(
            line.starts_with(&format!("{host}: {host}/{file}: ")),
            "{line}"
        );
    }
    // The unreadable hosts' scans are kept as given; they have no checklists.
    assert_eq!(hosts_under(&pkg.join("02_Checklists")), GOOD);
    for (host, file) in BAD {
        assert_eq!(
            fs::read(pkg.join("01_Scans").join(host).join(file)).unwrap(),
            fs::read(results.join(host).join(file)).unwrap()
        );
    }

    // validate: valid, NOT READY, with the reason (its own re-derivation agrees).
    let mut c = stigpack(w.path());
    let o = run(c.arg("validate").arg(&pkg));
    assert_eq!(o.status.code(), Some(4), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("Verdict: NOT READY"), "{text}");
    assert!(
        text.contains("allHostsRead: false (3 host(s) left out"),
        "{text}"
    );
    for (host, file) in BAD {
        assert!(text.contains(&format!("{host}/{file}")), "{text}");
    }
    assert!(!text.contains("[FAIL]"), "{text}");

    // reproduce: the same package, byte for byte, unreadable hosts and all.
    let mut c = stigpack(w.path());
    let o = run(c.arg("reproduce").arg(&pkg));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("REPRODUCED"), "{}", stdout(&o));
}

#[test]
fn a_list_that_hides_an_exported_host_is_invalid() {
    let w = tempfile::tempdir().unwrap();
    let results = fleet(w.path(), true);
    let out = w.path().join("packages");
    let o = export_emass(w.path(), &results, &out, true);
    assert_eq!(o.status.code(), Some(9), "{}", stderr(&o));
    let pkg = fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();
    // Claim that a host which was exported was left out: besides the hash list, the
    // package's own contents (SRV01 has checklists) refute the list, and say so.
    let list_path = pkg.join("00_Manifest/unreadable_hosts.json");
    let mut list: serde_json::Value =
        serde_json::from_slice(&fs::read(&list_path).unwrap()).unwrap();
    list.as_array_mut().unwrap().push(serde_json::json!({
        "host": "SRV01", "file": "SRV01/SRV01_Combined.ckl", "reason": "made up"
    }));
    fs::write(&list_path, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    let mut c = stigpack(w.path());
    let o = run(c.arg("validate").arg(&pkg).arg("--json"));
    assert_eq!(o.status.code(), Some(5), "{}", stdout(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"unreadable-hosts"), "{report}");
}

/// A fleet of ten hosts (copies of the fixture hosts) in which `H03`'s one checklist is
/// too large for the memory cap the test sets (`--component-memory-mb 64`): the guest
/// cannot report it, the sandbox stops the whole run of the batch it shares with seven
/// good hosts. Returns the results directory.
fn fleet_with_a_host_that_stops_the_sandbox(root: &Path, with_bad: bool) -> PathBuf {
    let results = root.join("results");
    for i in 1..=10 {
        let host = format!("H{i:02}");
        if host == STOPPER.0 {
            if with_bad {
                let good =
                    fs::read_to_string(repo().join("fixtures/scans/SRV01/SRV01_Combined.ckl"))
                        .unwrap();
                // 40 MiB of comment text: a valid checklist, larger than the cap allows.
                let huge = good.replacen(
                    "<COMMENTS>",
                    &format!("<COMMENTS>{}", "a".repeat(40 << 20)),
                    1,
                );
                fs::create_dir_all(results.join(&host)).unwrap();
                fs::write(results.join(&host).join(STOPPER.1), huge).unwrap();
            }
            continue;
        }
        copy_dir(
            &repo().join("fixtures/scans").join(GOOD[i % GOOD.len()]),
            &results.join(&host),
        );
    }
    results
}

/// Two trees hold the same files with the same bytes (the differing paths, if not).
fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb), "{} vs {}", a.display(), b.display());
    let differ: Vec<&String> = ta
        .iter()
        .zip(&tb)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| &x.0)
        .collect();
    assert!(
        differ.is_empty(),
        "{} vs {}: {differ:?}",
        a.display(),
        b.display()
    );
}

/// (host, file) of the host that stops the sandbox.
const STOPPER: (&str, &str) = ("H03", "H03_Combined.ckl");

fn export_emass_capped(
    work: &Path,
    results: &Path,
    out: &Path,
    jobs: &str,
    keep_going: bool,
) -> std::process::Output {
    let mut c = stigpack(work);
    // One audit log per run, so each package records the same checkpoint (the first).
    c.env("STIGPACK_JOBS", jobs)
        .env("STIGPACK_AUDIT_LOG", out.with_extension("audit.jsonl"))
        .args(["export-emass", "--component-memory-mb", "64"])
        .args(benchmark_args())
        .arg("--results")
        .arg(results)
        .arg("--out")
        .arg(out)
        .args(["--exported-at", AT, "--system", "KeepGoing"]);
    if keep_going {
        c.arg("--keep-going");
    }
    run(&mut c)
}

fn only_package(out: &Path) -> PathBuf {
    let mut v: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

#[test]
fn a_host_that_stops_the_sandbox_costs_only_itself() {
    let w = tempfile::tempdir().unwrap();
    let results = fleet_with_a_host_that_stops_the_sandbox(w.path(), true);

    // Strict: the run fails and nothing is written.
    let out = w.path().join("strict");
    let o = export_emass_capped(w.path(), &results, &out, "2", false);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(o.status.code(), Some(9), "{}", stderr(&o));
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());

    // --keep-going, on one core and on two: only H03 is left out, with its file and why.
    let mut packages = Vec::new();
    for jobs in ["1", "2"] {
        let out = w.path().join(format!("packages-{jobs}"));
        let o = export_emass_capped(w.path(), &results, &out, jobs, true);
        assert_eq!(o.status.code(), Some(9), "{}\n{}", stdout(&o), stderr(&o));
        let pkg = only_package(&out);
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(pkg.join("00_Manifest/manifest.json")).unwrap())
                .unwrap();
        let list = manifest["unreadableHosts"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{manifest}");
        assert_eq!(list[0]["host"], STOPPER.0);
        assert_eq!(list[0]["file"], format!("{}/{}", STOPPER.0, STOPPER.1));
        assert!(
            list[0]["reason"].as_str().unwrap().contains("memory limit"),
            "{}",
            list[0]
        );
        assert_eq!(manifest["hostCount"], 9, "{manifest}");
        let exported = hosts_under(&pkg.join("02_Checklists"));
        assert_eq!(exported.len(), 9, "{exported:?}");
        assert!(!exported.contains(&STOPPER.0.to_owned()));
        assert!(
            stderr(&o).contains(&format!("left out host {}", STOPPER.0)),
            "{}",
            stderr(&o)
        );
        packages.push(pkg);
    }
    // The same package whatever the number of cores (and so of concurrent retries).
    assert_same_tree(&packages[0], &packages[1]);

    // The good hosts' checklists are byte for byte those of the fleet without H03.
    let clean = fleet_with_a_host_that_stops_the_sandbox(&w.path().join("clean"), false);
    let out = w.path().join("reference");
    let o = export_emass_capped(w.path(), &clean, &out, "2", false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reference = only_package(&out);
    assert_same_tree(
        &packages[0].join("02_Checklists"),
        &reference.join("02_Checklists"),
    );

    // export-ckl (one run for the whole fleet) leaves out H03 alone too.
    let out = w.path().join("checklists");
    let mut c = stigpack(w.path());
    c.args(["export-ckl", "--component-memory-mb", "64"])
        .args(benchmark_args())
        .arg("--results")
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .args(["--exported-at", AT, "--keep-going"]);
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(9), "{}\n{}", stdout(&o), stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("unreadable-hosts.json")).unwrap()).unwrap();
    assert_eq!(summary.as_array().unwrap().len(), 1, "{summary}");
    assert_eq!(summary[0]["file"], format!("{}/{}", STOPPER.0, STOPPER.1));
    assert_eq!(hosts_under(&out).len(), 9);

    // validate: valid but NOT READY; reproduce: the same bytes, retry and all.
    let mut c = stigpack(w.path());
    let o = run(c.arg("validate").arg(&packages[0]));
    assert_eq!(o.status.code(), Some(4), "{}", stdout(&o));
    assert!(!stdout(&o).contains("[FAIL]"), "{}", stdout(&o));
    let mut c = stigpack(w.path());
    let o = run(c
        .args(["reproduce", "--component-memory-mb", "64"])
        .arg(&packages[0]));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("REPRODUCED"), "{}", stdout(&o));
}

/// A component that runs out of memory is named, with what it was doing, the cap, and
/// the option (with a value) that raises it. The `emass` run holds every host's view, so
/// 40 hosts each carrying 2 MiB of comment text fit the import runs (8 hosts each) under
/// a 96 MiB cap but not the one fleet-wide `emass` run.
#[test]
fn a_component_out_of_memory_says_which_what_it_was_doing_and_how_to_raise_the_cap() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("results");
    let good = fs::read_to_string(repo().join("fixtures/scans/SRV01/SRV01_Combined.ckl")).unwrap();
    for i in 1..=40 {
        let host = format!("M{i:02}");
        let text = good.replacen(
            "<COMMENTS>",
            &format!("<COMMENTS>{i} {}", "b".repeat(2 << 20)),
            1,
        );
        fs::create_dir_all(results.join(&host)).unwrap();
        fs::write(results.join(&host).join(format!("{host}.ckl")), text).unwrap();
    }
    let out = w.path().join("out");
    let mut c = stigpack(w.path());
    c.args(["export-emass", "--component-memory-mb", "96"])
        .args(benchmark_args())
        .arg("--results")
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .args(["--exported-at", AT]);
    let o = run(&mut c);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(7), "{err}");
    for want in [
        "component emass",
        "writing the POA&M, attestations, indexes and README from the views of 40 hosts",
        "exceeded the memory limit of 100663296 bytes (96 MiB per component run)",
        "raise it with --component-memory-mb, e.g. --component-memory-mb 192",
    ] {
        assert!(err.contains(want), "{want:?} not in: {err}");
    }
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
}
