//! A host folder as a real Evaluate-STIG run leaves it (a checklist and its results-only
//! XCCDF, both for the same STIG) exports without `--benchmark`: the checklist covers the
//! results. The same XCCDF with no checklist beside it is still refused, naming the file
//! and the benchmark to pass. Real files from `shared/samples`, read in place.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use crate::common::*;

const CKL: &str = "ckl/CA1294WK16078_Chrome_V2R8_20231211-125631.ckl";
const XCCDF: &str = "results/eval-stig-w-sm-resultEngine.xml";

/// `<results>/<host>/Checklist/<ckl>` and `<results>/<host>/XCCDF/<xccdf>`, as given.
fn host_folder(results: &Path, host: &str, with_checklist: bool) {
    let dir = results.join(host);
    fs::create_dir_all(dir.join("XCCDF")).unwrap();
    fs::copy(
        samples().join(XCCDF),
        dir.join("XCCDF/Chrome_XCCDF-Results.xml"),
    )
    .unwrap();
    if with_checklist {
        fs::create_dir_all(dir.join("Checklist")).unwrap();
        fs::copy(samples().join(CKL), dir.join("Checklist/Chrome.ckl")).unwrap();
    }
}

fn export_ckl(work: &Path, results: &Path, out: &Path) -> std::process::Output {
    let mut c = stigpack(work);
    c.arg("export-ckl")
        .arg("--results")
        .arg(results)
        .arg("--out")
        .arg(out)
        .args(["--exported-at", "2026-11-22T20:00:00Z"]);
    run(&mut c)
}

#[test]
fn evaluate_stig_results_are_covered_by_the_checklist_of_the_same_scan() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("results");
    host_folder(&results, "CA1294WK16078", true);
    let out = w.path().join("out");
    let o = export_ckl(w.path(), &results, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files: Vec<String> = tree(&out).into_iter().map(|(p, _)| p).collect();
    assert_eq!(files.len(), 1, "one checklist, from the CKL: {files:?}");
    assert!(files[0].starts_with("CA1294WK16078/"), "{files:?}");
}

#[test]
fn evaluate_stig_results_alone_still_need_their_benchmark() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("results");
    host_folder(&results, "CA1294WK16078", false);
    let out = w.path().join("out");
    let o = export_ckl(w.path(), &results, &out);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("Chrome_XCCDF-Results.xml") && err.contains("benchmark"),
        "{err}"
    );
    assert!(!out.exists());
}
