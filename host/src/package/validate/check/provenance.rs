//! `provenance`: every generated file of the package is an output the provenance record
//! names, every raw input an input it names, each with the SHA-256 it recorded; and a
//! third-party component's kept review is the one recorded.

use std::collections::BTreeMap;
use std::fs;

use serde_json::Value;
use stig_formats::package_artifacts::{paths, CCI_INPUT_DIR};
use stig_formats::poam::profile;

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::layout::{
    ATTESTATIONS, BENCHMARKS, CHECKLISTS, INDEX, POAM, PROVENANCE as RECORD, SCANS,
};
use crate::package::thirdparty::{self, COMPONENTS_DIR, EXTRA};

pub const PROVENANCE: CheckSpec = CheckSpec {
    name: "provenance",
    what: "every generated file is a recorded output and every raw input a recorded input, with matching SHA-256",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    f.contents()?;
    let Some(prov) = fs::read(f.pkg.join(RECORD))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return Some(Verdict::from_problems(
            vec![format!("{RECORD}: missing or not JSON")],
            String::new(),
            "no usable provenance".into(),
        ));
    };
    let mut recorded = Recorded::from_steps(&prov);
    let mut problems = third_party_reviews(f, &prov, &mut recorded);
    problems.extend(compare(f, &recorded));
    Some(Verdict::from_problems(
        problems,
        "provenance.json records every generated file and raw input with its SHA-256".into(),
        "provenance.json does not match the package".into(),
    ))
}

/// What the record says: package path -> SHA-256, for the runs' outputs and inputs.
#[derive(Debug, Default)]
struct Recorded {
    outputs: BTreeMap<String, String>,
    inputs: BTreeMap<String, String>,
}

impl Recorded {
    /// Each step's outputs and inputs, their paths in the run turned into the package's.
    fn from_steps(prov: &Value) -> Recorded {
        let mut r = Recorded::default();
        let empty = Vec::new();
        for step in prov["steps"].as_array().unwrap_or(&empty) {
            let name = step["step"].as_str().unwrap_or("");
            let run = &step["run"];
            for f in run["outputs"].as_array().unwrap_or(&empty) {
                let p = f["path"].as_str().unwrap_or("");
                if let Some(at) = output_path(name, step, p) {
                    r.outputs.insert(at, sha256(f));
                }
            }
            for f in run["inputs"].as_array().unwrap_or(&empty) {
                let p = f["path"].as_str().unwrap_or("");
                if let Some(at) = input_path(name, p) {
                    r.inputs.insert(at, sha256(f));
                }
            }
        }
        r
    }
}

fn sha256(file: &Value) -> String {
    file["sha256"].as_str().unwrap_or("").to_owned()
}

/// Where step `name`'s output `p` sits in the package; `None` for outputs not kept.
fn output_path(name: &str, step: &Value, p: &str) -> Option<String> {
    match name {
        "import" => {
            let dir = format!("{}/", stig_formats::output::CHECKLISTS_DIR);
            p.strip_prefix(&dir)
                .map(|rest| format!("{CHECKLISTS}/{rest}"))
        }
        "emass" if p != paths::FACTS => Some(p.to_owned()),
        "extra" => {
            let folder = step["name"].as_str().unwrap_or("");
            Some(format!("{EXTRA}/{folder}/{p}"))
        }
        _ => None,
    }
}

/// Where step `name`'s input `p` sits in the package; `None` for inputs not kept.
fn input_path(name: &str, p: &str) -> Option<String> {
    let (dir, rest) = p.split_once('/')?;
    let folder = match (name, dir) {
        ("import", "scans") => SCANS,
        ("import", "benchmarks") => BENCHMARKS,
        ("emass", "answers") => paths::ANSWERS_DIR,
        ("emass", "layout") => paths::POAM_LAYOUT_DIR,
        ("emass", CCI_INPUT_DIR) => paths::POAM_CCI_DIR,
        ("emass", "profile") => profile::PROFILE_DIR,
        _ => return None,
    };
    Some(format!("{folder}/{rest}"))
}

/// The third-party components a package keeps are named by their digest: the name is
/// the check (the provenance records which ran). Each is a recorded input; its kept
/// review must be the one recorded.
fn third_party_reviews(f: &Facts, prov: &Value, recorded: &mut Recorded) -> Vec<String> {
    let mut problems = Vec::new();
    let empty = Vec::new();
    for c in prov["components"].as_array().unwrap_or(&empty) {
        if c["source"] != "third-party" {
            continue;
        }
        let sha = c["sha256"].as_str().unwrap_or("").to_owned();
        let review = c["admittedBy"]["reviewFile"].as_str().unwrap_or("");
        let kept = fs::read(f.pkg.join(review))
            .map_err(|e| e.to_string())
            .and_then(|b| thirdparty::read_review(&b));
        match kept {
            Ok((subject, _, statement))
                if subject == sha
                    && c["admittedBy"]["reviewStatementSha256"] == statement.as_str() => {}
            Ok(_) => problems.push(format!(
                "{review}: not the review {RECORD} records for component {sha}"
            )),
            Err(e) => problems.push(format!("{review:?}: {e}")),
        }
        recorded.inputs.insert(thirdparty::wasm_path(&sha), sha);
    }
    problems
}

/// A file of the package as the record sees it.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// An input kept as given (scans, answers, layout, CCI list, profile, components).
    Raw,
    /// Something a component wrote.
    Generated,
    /// Neither (the manifest folder, evidence): not in the record.
    Other,
}

fn kind(f: &str) -> Kind {
    let under = |dir: &str| f.starts_with(&format!("{dir}/"));
    let raw = under(SCANS)
        || under(paths::ANSWERS_DIR)
        || under(paths::POAM_LAYOUT_DIR)
        || under(paths::POAM_CCI_DIR)
        || under(profile::PROFILE_DIR)
        || (f.starts_with(&format!("{COMPONENTS_DIR}/sha256/")) && f.ends_with(".wasm"));
    let generated = [CHECKLISTS, POAM, INDEX, ATTESTATIONS, EXTRA]
        .into_iter()
        .any(under)
        || f == paths::README;
    if raw {
        Kind::Raw
    } else if generated {
        Kind::Generated
    } else {
        Kind::Other
    }
}

/// Every raw or generated file against its recorded SHA-256, then every recorded path
/// against the files present.
fn compare(f: &Facts, recorded: &Recorded) -> Vec<String> {
    let mut problems = Vec::new();
    for file in &f.on_disk {
        let stated = match kind(file) {
            Kind::Generated => recorded.outputs.get(file),
            Kind::Raw => recorded.inputs.get(file),
            Kind::Other => continue,
        };
        let actual = f
            .digests
            .sha256_file(&f.pkg.join(file))
            .map(|x| x.0)
            .unwrap_or_default();
        match stated {
            None => problems.push(format!("{file}: not recorded in {RECORD}")),
            Some(sha) if *sha != actual => problems.push(format!(
                "{file}: SHA-256 differs from the one {RECORD} recorded"
            )),
            _ => {}
        }
    }
    for p in recorded.outputs.keys().chain(recorded.inputs.keys()) {
        if !f.on_disk.contains(p) {
            problems.push(format!("{p}: recorded in {RECORD} but not in the package"));
        }
    }
    problems
}
