//! A DISA manual benchmark found in a host's folder beside its XCCDF results is used as a
//! `--benchmark` would be: matched by benchmark id and date, whatever the file names and
//! their order (here the matching release sorts after the results, another release
//! before them). Real files from `shared/samples`, read in place.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use crate::common::*;

const XCCDF: &str = "results/eval-stig-w-sm-resultEngine.xml";
const R8: &str = "xccdf/U_Google_Chrome_STIG_V2R8_Manual-xccdf.xml";
const R9: &str = "xccdf/U_Google_Chrome_STIG_V2R9_Manual-xccdf.xml";

fn export_ckl(work: &Path, results: &Path, out: &Path) -> std::process::Output {
    let mut c = stigpack(work);
    c.arg("export-ckl")
        .arg("--results")
        .arg(results)
        .arg("--out")
        .arg(out)
        .args(["--exported-at", "2026-11-22T20:00:00Z", "--format", "ckl"]);
    run(&mut c)
}

/// `<results>/ES1/XCCDF/results.xml` with the given benchmarks beside it.
fn host(results: &Path, benchmarks: &[(&str, &str)]) {
    let dir = results.join("ES1");
    fs::create_dir_all(dir.join("XCCDF")).unwrap();
    fs::copy(samples().join(XCCDF), dir.join("XCCDF/results.xml")).unwrap();
    for (name, sample) in benchmarks {
        fs::copy(samples().join(sample), dir.join(name)).unwrap();
    }
}

#[test]
fn a_benchmark_beside_the_results_is_used_when_it_is_their_release() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("results");
    host(&results, &[("a_chrome.xml", R8), ("z_chrome.xml", R9)]);
    let out = w.path().join("out");
    let o = export_ckl(w.path(), &results, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = tree(&out);
    assert_eq!(
        files.len(),
        1,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(files[0].0, "ES1/ES1_Google_Chrome_Current_Windows_V2R9.ckl");
    let text = String::from_utf8(files[0].1.clone()).unwrap();
    assert!(
        text.contains("<SID_DATA>Release: 9 Benchmark Date: 24 Jan 2024</SID_DATA>"),
        "{}",
        &text[..text.len().min(3000)]
    );
}

#[test]
fn a_benchmark_beside_the_results_of_another_release_is_not_used() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("results");
    host(&results, &[("z_chrome.xml", R8)]);
    let out = w.path().join("out");
    let o = export_ckl(w.path(), &results, &out);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("results.xml") && err.contains("24 Jan 2024") && err.contains("26 Jan 2023"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Evaluate-STIG's own folder: its V2R9 results beside its checklist, and a V2R8 manual
/// (another release of the same STIG) beside them: the manual is not applied to the
/// results, which the checklist covers as when no benchmark is there.
#[test]
fn results_of_another_release_than_the_benchmark_are_covered_by_their_checklist() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("results");
    host(&results, &[("z_chrome.xml", R8)]);
    fs::copy(
        samples().join("ckl/CA1294WK16078_Chrome_V2R8_20231211-125631.ckl"),
        results.join("ES1/Chrome.ckl"),
    )
    .unwrap();
    let out = w.path().join("out");
    let o = export_ckl(w.path(), &results, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files: Vec<String> = tree(&out).into_iter().map(|(p, _)| p).collect();
    assert_eq!(files, ["ES1/ES1_Google_Chrome_Current_Windows_V2R8.ckl"]);
}
