//! A checklist's STIG_INFO `filename` is the `--benchmark` file's own name as the
//! operator gave it, never the name the host stages it under for the import component
//! (`<position>-<name>`): in export-ckl, in export-emass, and after `reproduce` (which
//! reruns the components on the recorded inputs). Real files from `shared/samples`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use crate::common::*;

const XCCDF: &str = "results/eval-stig-w-sm-resultEngine.xml";
const CHROME: &str = "U_Google_Chrome_STIG_V2R9_Manual-xccdf.xml";
const T: &str = "2026-11-22T20:00:00Z";

/// `<work>/results/ES1/results.xml`: Evaluate-STIG's results, which name no file of
/// their benchmark, so every STIG_INFO field comes from the given one.
fn results(work: &Path) -> std::path::PathBuf {
    let r = work.join("results");
    fs::create_dir_all(r.join("ES1")).unwrap();
    fs::copy(samples().join(XCCDF), r.join("ES1/results.xml")).unwrap();
    r
}

/// Every STIG_INFO filename in the CKL files under `dir`, with the file.
fn filenames(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (rel, bytes) in tree(dir) {
        if !rel.ends_with(".ckl") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        let cl = stig_formats::ckl::read_reference(text.as_bytes(), &rel).unwrap();
        for stig in cl.stigs {
            out.push((rel.clone(), stig.info.filename));
        }
    }
    out
}

fn assert_given_name(dir: &Path) {
    let names = filenames(dir);
    assert!(!names.is_empty(), "no checklist under {}", dir.display());
    for (rel, name) in names {
        assert_eq!(name, CHROME, "{rel}");
    }
}

#[test]
fn export_ckl_records_the_benchmark_file_name_as_given() {
    let w = tempfile::tempdir().unwrap();
    let r = results(w.path());
    let out = w.path().join("out");
    let o = run(stigpack(w.path())
        .arg("export-ckl")
        .arg("--results")
        .arg(&r)
        .arg("--benchmark")
        .arg(samples().join("xccdf").join(CHROME))
        .args(["--exported-at", T, "--format", "ckl", "--out"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_given_name(&out);
}

#[test]
fn export_emass_records_the_benchmark_file_name_as_given_and_reproduces() {
    let w = tempfile::tempdir().unwrap();
    let r = results(w.path());
    let out = w.path().join("out");
    let o = run(stigpack(w.path())
        .arg("export-emass")
        .arg("--results")
        .arg(&r)
        .arg("--benchmark")
        .arg(samples().join("xccdf").join(CHROME))
        .args(["--exported-at", T, "--out"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pkg: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(pkg.len(), 1, "{pkg:?}");
    assert_given_name(&pkg[0].join("02_Checklists"));
    let o = run(stigpack(w.path()).arg("reproduce").arg(&pkg[0]));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("REPRODUCED"), "{}", stdout(&o));
}
