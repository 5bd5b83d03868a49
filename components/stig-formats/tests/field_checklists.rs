//! Every real checklist from the field (shared/samples/ckl, shared/samples/cklb), written
//! by stigpack as CKL and CKLB the way an export writes them (`output::checklist_files`),
//! then judged by readers that are not ours:
//! - STIG Manager's own parsers (`reviewsFromCkl` / `reviewsFromCklb` from the npm package
//!   @nuwcdivnpt/stig-manager-client-modules, run with Node through
//!   scripts/checkers/stigman-reviews.mjs) read the input and each output with the same
//!   target, benchmarks, revisions, rules, results, details, comments and result engines;
//! - every CKL validates against DISA's checklist schema with `xmllint --schema`;
//! - our own reader reads each output back with no rule, status, text, override,
//!   classification or Evaluate-STIG record lost.
//!
//! With `CI=true` a missing node, module or xmllint fails the test; elsewhere it says why
//! it skips that part.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use stig_formats::model::{Checklist, HostResults};
use stig_formats::output::{checklist_files, Formats};
use stig_formats::{ckl, cklb, eval_record};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn missing(what: &str) -> bool {
    assert!(!ci(), "{what} is missing and CI=true");
    eprintln!("SKIP: {what} not found; that independent check did not run");
    true
}

fn tool_runs(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Node script, when node and STIG Manager's module are installed.
fn stigman() -> Option<PathBuf> {
    let script = repo().join("scripts/checkers/stigman-reviews.mjs");
    let module =
        repo().join("scripts/checkers/node_modules/@nuwcdivnpt/stig-manager-client-modules");
    if !tool_runs("node", "--version") {
        missing("node");
        return None;
    }
    if !module.is_dir() {
        missing("STIG Manager's parsers (run scripts/setup.sh)");
        return None;
    }
    Some(script)
}

fn schema() -> Option<PathBuf> {
    if !tool_runs("xmllint", "--version") {
        missing("xmllint");
        return None;
    }
    Some(common::samples_dir().join("schemas/U_Checklist_Schema_V2.xsd"))
}

/// What STIG Manager imports from `path`.
fn stigman_reads(script: &Path, path: &Path) -> Value {
    let out = Command::new("node").arg(script).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "STIG Manager's parser refused {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checklists by benchmark id (our per-benchmark files split a combined input).
fn by_benchmark(reads: &[Value]) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = reads
        .iter()
        .flat_map(|r| r["checklists"].as_array().unwrap().clone())
        .map(|c| (c["benchmarkId"].as_str().unwrap().to_owned(), c))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn host_of(path: &Path) -> String {
    path.file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The input as STIG Manager would take it. STIG Manager refuses a CKL whose HOST_NAME is
/// empty (STIG Viewer's blank checklists); stigpack fills it from the host directory, so
/// the input is compared with that one element filled the same way (a text edit of a
/// copy, not our reader).
fn input_for_stigman(path: &Path, host: &str, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let filled = text
        .replacen(
            "<HOST_NAME></HOST_NAME>",
            &format!("<HOST_NAME>{host}</HOST_NAME>"),
            1,
        )
        .replacen(
            "<HOST_NAME />",
            &format!("<HOST_NAME>{host}</HOST_NAME>"),
            1,
        )
        .replacen("<HOST_NAME/>", &format!("<HOST_NAME>{host}</HOST_NAME>"), 1);
    if filled == text {
        return path.to_owned();
    }
    let copy = dir.join(path.file_name().unwrap());
    std::fs::write(&copy, filled).unwrap();
    copy
}

/// A review as both of STIG Manager's parsers can express it, for comparing a CKL input
/// with a CKLB output or the reverse: its CKL parser trims element text and its CKLB
/// parser does not; its CKLB parser has no place for Evaluate-STIG's per-rule answer-file
/// overrides (it reads only the document and STIG objects). Everything else must match.
fn across(review: &Value) -> Value {
    let mut r = review.clone();
    for key in ["detail", "comment"] {
        if let Some(s) = r[key].as_str() {
            r[key] = Value::String(s.trim().to_owned());
        }
    }
    if let Some(engine) = r["resultEngine"].as_object_mut() {
        engine.remove("overrides");
    }
    r
}

fn samples() -> Vec<PathBuf> {
    let mut v = common::sample_files("ckl", "ckl");
    v.extend(common::sample_files("cklb", "cklb"));
    v
}

fn read_any(path: &Path) -> Checklist {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display().to_string();
    if name.ends_with(".cklb") {
        cklb::read(&bytes, &name).unwrap()
    } else {
        ckl::read(&bytes, &name).unwrap()
    }
}

/// Everything a review carries, for the read-back comparison. A CKL has no element for
/// STIG Viewer 3's field-level markings or for unknown CKLB keys (DISA's schema allows
/// none), so those are compared only when the output has the input's format.
fn review_view(c: &Checklist, same_format: bool) -> Vec<String> {
    c.stigs
        .iter()
        .flat_map(|s| {
            s.rules.iter().map(move |r| {
                let mut v = r.review.clone();
                if !same_format {
                    v.keep.comments_classification = None;
                    v.keep.finding_details_classification = None;
                    v.keep.cklb_unknown.clear();
                }
                format!("{}|{}|{:?}", s.info.stigid, r.rule.vuln_num, v)
            })
        })
        .collect()
}

#[test]
fn every_real_checklist_written_as_ckl_and_cklb_reads_the_same_everywhere() {
    let stigman = stigman();
    let schema = schema();
    let dir = std::env::temp_dir().join(format!("stigpack-field-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for path in samples() {
        let name = path.display().to_string();
        let host = host_of(&path);
        let input = read_any(&path);
        let files = checklist_files(
            &HostResults {
                host: host.clone(),
                checklists: vec![input.clone()],
            },
            Formats::named("both").unwrap(),
            false,
            "stigpack :: field test",
        )
        .unwrap();
        let out_dir = dir.join(&host);
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut written: Vec<PathBuf> = Vec::new();
        for f in &files {
            let p = dir.join(&f.path);
            std::fs::write(&p, &f.bytes).unwrap();
            written.push(p);
        }

        // Our own reader: nothing lost, per format.
        for ext in ["ckl", "cklb"] {
            let back: Vec<Checklist> = written
                .iter()
                .filter(|p| p.extension().unwrap() == ext)
                .map(|p| read_any(p))
                .collect();
            let same = name.ends_with(&format!(".{ext}"));
            let mut got: Vec<String> = back.iter().flat_map(|b| review_view(b, same)).collect();
            let mut want = review_view(&input, same);
            got.sort();
            want.sort();
            assert_eq!(got, want, "{name} -> {ext}");
            for b in &back {
                // Evaluate-STIG's records: exact in the same format; across formats
                // (1.22xx's CKL layout is written in the CKLB layout) the tool and scan
                // time they give, and STIG Manager's result engines below, are the same.
                if name.ends_with(&format!(".{ext}")) {
                    assert_eq!(b.cklb.evaluate_stig, input.cklb.evaluate_stig, "{name}");
                    for s in &b.stigs {
                        let i = input.stigs.iter().find(|i| i.info.stigid == s.info.stigid);
                        assert_eq!(s.info.evaluate_stig, i.unwrap().info.evaluate_stig);
                    }
                }
                let es_tool = |c: &Checklist| {
                    c.cklb
                        .evaluate_stig
                        .as_ref()
                        .and_then(eval_record::tool_name)
                };
                assert_eq!(es_tool(b), es_tool(&input), "{name} -> {ext}");
                // A benchmark's own scan time when split from a combined input.
                let times: Vec<&str> = input
                    .cklb
                    .evaluate_stig
                    .iter()
                    .chain(
                        input
                            .stigs
                            .iter()
                            .filter_map(|s| s.info.evaluate_stig.as_ref()),
                    )
                    .filter_map(eval_record::scan_time)
                    .collect();
                if times.is_empty() {
                    assert_eq!(b.source.scanned_at, "", "{name} -> {ext}");
                } else {
                    assert!(
                        times.contains(&b.source.scanned_at.as_str()),
                        "{name} -> {ext}"
                    );
                }
                assert!(!b.asset.host_name.is_empty(), "{name} -> {ext}: HOST_NAME");
            }
        }

        // DISA's schema accepts every CKL.
        if let Some(xsd) = &schema {
            for p in written.iter().filter(|p| p.extension().unwrap() == "ckl") {
                let out = Command::new("xmllint")
                    .args(["--noout", "--schema"])
                    .arg(xsd)
                    .arg(p)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{name}: the CKL we wrote fails DISA's schema: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }

        // STIG Manager reads the input and each output the same.
        if let Some(script) = &stigman {
            let original = stigman_reads(script, &input_for_stigman(&path, &host, &dir));
            let want = by_benchmark(std::slice::from_ref(&original));
            for ext in ["ckl", "cklb"] {
                let reads: Vec<Value> = written
                    .iter()
                    .filter(|p| p.extension().unwrap() == ext)
                    .map(|p| stigman_reads(script, p))
                    .collect();
                for r in &reads {
                    assert_eq!(r["target"], original["target"], "{name} -> {ext}: target");
                    assert_eq!(r["errors"], Value::Array(vec![]), "{name} -> {ext}");
                }
                let got = by_benchmark(&reads);
                assert_eq!(got.len(), want.len(), "{name} -> {ext}");
                for ((id, g), (_, w)) in got.iter().zip(&want) {
                    assert_eq!(g["benchmarkId"], w["benchmarkId"], "{name} -> {ext}");
                    assert_eq!(g["revisionStr"], w["revisionStr"], "{name} -> {ext} {id}");
                    let (gr, wr) = (
                        g["reviews"].as_array().unwrap(),
                        w["reviews"].as_array().unwrap(),
                    );
                    assert_eq!(gr.len(), wr.len(), "{name} -> {ext} {id}");
                    let same_format = name.ends_with(&format!(".{ext}"));
                    for (a, b) in gr.iter().zip(wr) {
                        let (a, b) = if same_format {
                            (a.clone(), b.clone())
                        } else {
                            (across(a), across(b))
                        };
                        assert_eq!(a, b, "{name} -> {ext} {id}: review differs");
                    }
                }
            }
        }
        checked += 1;
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(checked >= 12, "{checked} samples");
}
