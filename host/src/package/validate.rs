//! `stigpack validate`: every check the reference validator makes, and more, each with a
//! pass/fail and the files involved; then a READY / NOT READY verdict.
//!
//! Nothing the package says about itself is trusted: hashes are recomputed, counts and
//! readiness are re-derived from the checklists, POA&M, attestations and evidence, and the
//! artifacts are checked against each other and against the provenance record.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use stig_formats::attest::effective_status;
use stig_formats::control_view::ckl_status;
use stig_formats::model::Status;
use stig_formats::package_artifacts::paths;

use super::contents::{self, Contents};
use super::hashlist::{self, HASH_LIST, MANIFEST};
use super::layout::*;
use super::manifest;
use crate::hashing::sha256_file;

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub message: String,
    pub files: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub package: String,
    pub valid: bool,
    pub ready: bool,
    pub verdict: String,
    pub checks: Vec<Check>,
    pub readiness: Option<stig_formats::readiness::Readiness>,
}

/// A package that cannot be validated at all (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub String);

const MAX_FILES: usize = 200;

struct Checks(Vec<Check>);

impl Checks {
    fn add(&mut self, name: &str, failing: Vec<String>, ok_msg: String, fail_msg: String) {
        let passed = failing.is_empty();
        let total = failing.len();
        let mut files = failing;
        if files.len() > MAX_FILES {
            files.truncate(MAX_FILES);
            files.push(format!("... and {} more", total - MAX_FILES));
        }
        self.0.push(Check {
            name: name.to_owned(),
            passed,
            message: if passed { ok_msg } else { fail_msg },
            files,
        });
    }
}

fn csv_rows(pkg: &Path, rel: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let bytes = fs::read(pkg.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| format!("{rel}: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{rel}: {e}"))?;
        rows.push(rec.iter().map(str::to_owned).collect());
    }
    Ok((header, rows))
}

fn col(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

/// Runs every check on `pkg`.
pub fn validate(pkg: &Path) -> Result<Report, Unusable> {
    if !pkg.is_dir() {
        return Err(Unusable(format!("{}: not a directory", pkg.display())));
    }
    let manifest_text = fs::read_to_string(pkg.join(MANIFEST))
        .map_err(|e| Unusable(format!("{}: cannot read {MANIFEST}: {e}", pkg.display())))?;
    let manifest: Value = serde_json::from_str(&manifest_text)
        .map_err(|e| Unusable(format!("{}/{MANIFEST}: not JSON: {e}", pkg.display())))?;
    let mut checks = Checks(Vec::new());

    // Layout.
    let mut missing = Vec::new();
    for d in REQUIRED_DIRS {
        if !pkg.join(d).is_dir() {
            missing.push(format!("{d}/"));
        }
    }
    for f in [
        HASH_LIST,
        MANIFEST,
        PROVENANCE,
        paths::README,
        paths::POAM_CSV,
        paths::POAM_JSON,
        paths::POAM_SUMMARY,
        paths::ATTESTATIONS_JSON,
        paths::ATTESTATION_TEMPLATE,
        paths::ATTESTATION_INSTRUCTIONS,
        paths::INDEX_EVIDENCE,
        paths::INDEX_SCAN_SOURCE,
        paths::INDEX_NA,
        paths::INDEX_HTML,
    ] {
        if !pkg.join(f).is_file() {
            missing.push(f.to_owned());
        }
    }
    checks.add(
        "layout",
        missing,
        "every required folder and file is present".into(),
        "required folders or files are missing".into(),
    );

    // Hash list.
    let list_bytes = fs::read(pkg.join(HASH_LIST)).unwrap_or_default();
    let list_text = String::from_utf8(list_bytes.clone()).unwrap_or_default();
    let listed = match hashlist::parse(&list_text) {
        Ok(l) => {
            checks.add(
                "hash-list-format",
                vec![],
                "sha256sum format, / separators, byte-sorted, no BOM".into(),
                String::new(),
            );
            l
        }
        Err(e) => {
            checks.add(
                "hash-list-format",
                vec![HASH_LIST.to_owned()],
                String::new(),
                format!("malformed: {e}"),
            );
            Vec::new()
        }
    };
    let mut bad_hash = Vec::new();
    let mut listed_bytes = 0u64;
    for e in &listed {
        match sha256_file(&pkg.join(&e.path)) {
            Ok((h, n)) => {
                listed_bytes += n;
                if h != e.sha256 {
                    bad_hash.push(format!("{} (listed {}, actual {h})", e.path, e.sha256));
                }
            }
            Err(_) => bad_hash.push(format!("{} (listed but missing)", e.path)),
        }
    }
    checks.add(
        "hashes",
        bad_hash,
        format!(
            "all {} listed files present with the listed SHA-256",
            listed.len()
        ),
        "listed files are missing or have a different SHA-256".into(),
    );
    let on_disk: BTreeSet<String> = hashlist::walk(pkg)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let listed_set: BTreeSet<String> = listed.iter().map(|e| e.path.clone()).collect();
    let unlisted: Vec<String> = on_disk
        .iter()
        .filter(|p| !listed_set.contains(*p) && !hashlist::OUTSIDE.contains(&p.as_str()))
        .cloned()
        .collect();
    checks.add(
        "no-unlisted-files",
        unlisted,
        "every file on disk is in the hash list".into(),
        "files on disk are not in the hash list".into(),
    );

    // Manifest.
    let computed_hash = hashlist::package_hash(&list_text);
    let mut hash_problems = Vec::new();
    if manifest["packageHash"].as_str() != Some(computed_hash.as_str()) {
        hash_problems.push(format!(
            "{MANIFEST}: packageHash {} but SHA-256 of {HASH_LIST} is {computed_hash}",
            manifest["packageHash"]
        ));
    }
    if manifest["packageHashH1"].as_str() != Some(hashlist::h1(&list_text).as_str()) {
        hash_problems.push(format!("{MANIFEST}: packageHashH1 does not match"));
    }
    checks.add(
        "package-hash",
        hash_problems,
        format!("packageHash {computed_hash} matches"),
        "package hash mismatch".into(),
    );
    let canonical = manifest::to_text(manifest.clone());
    checks.add(
        "manifest-format",
        if canonical == manifest_text {
            vec![]
        } else {
            vec![MANIFEST.to_owned()]
        },
        "sorted keys, 2-space indent, trailing newline".into(),
        "manifest.json is not in canonical form (sorted keys, 2-space indent, trailing newline)"
            .into(),
    );

    let contents = match contents::load(pkg) {
        Ok(c) => Some(c),
        Err(e) => {
            checks.add(
                "artifacts-readable",
                vec![format!("{e:#}")],
                String::new(),
                "package artifacts cannot be read".into(),
            );
            None
        }
    };
    let mut readiness = None;
    if let Some(c) = &contents {
        let derived = c.derive();
        let mut wrong = Vec::new();
        let mut expect = |field: &str, actual: Value| {
            if manifest[field] != actual {
                wrong.push(format!(
                    "{MANIFEST}: {field} is {} but the package has {}",
                    manifest[field], actual
                ));
            }
        };
        expect("fileCount", Value::from(listed.len()));
        expect("totalBytes", Value::from(listed_bytes));
        expect("hostCount", Value::from(derived.hosts.len()));
        expect("totalControls", Value::from(derived.totals.controls));
        expect(
            "statusTotals",
            serde_json::to_value(&derived.totals).unwrap_or_default(),
        );
        expect(
            "hosts",
            serde_json::to_value(&derived.hosts).unwrap_or_default(),
        );
        expect("poamItems", Value::from(derived.poam_items));
        expect(
            "attestations",
            serde_json::json!({"total": derived.attestations, "pending": derived.attestations_pending}),
        );
        expect(
            "submissionReadiness",
            serde_json::to_value(&derived.readiness).unwrap_or_default(),
        );
        checks.add(
            "manifest-consistent",
            wrong,
            "counts and readiness in manifest.json match the package's contents".into(),
            "manifest.json disagrees with the package's contents".into(),
        );
        cross_checks(pkg, c, &mut checks);
        provenance_checks(pkg, &mut checks);
        readiness = Some(derived.readiness);
    }

    let valid = checks.0.iter().all(|c| c.passed);
    let ready = valid && readiness.as_ref().is_some_and(|r| r.is_ready);
    Ok(Report {
        package: pkg.display().to_string(),
        valid,
        ready,
        verdict: if !valid {
            "INVALID"
        } else if ready {
            "READY"
        } else {
            "NOT READY"
        }
        .to_owned(),
        checks: checks.0,
        readiness,
    })
}

fn cross_checks(pkg: &Path, c: &Contents, checks: &mut Checks) {
    // Expected (host, control) -> (status, scan status) from the checklists + attestations.
    let mut expected: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    let mut not_reviewed: BTreeSet<(String, String)> = BTreeSet::new();
    let mut na: BTreeSet<(String, String)> = BTreeSet::new();
    for h in &c.fleet.hosts {
        for ctl in &h.controls {
            let eff = effective_status(ctl.status, c.attestations.get(&h.name, &ctl.control_id));
            expected.insert(
                (h.name.clone(), ctl.control_id.clone()),
                (
                    ckl_status(eff).to_owned(),
                    ckl_status(ctl.status).to_owned(),
                ),
            );
            if ctl.status == Status::NotReviewed {
                not_reviewed.insert((h.name.clone(), ctl.control_id.clone()));
            }
            if ctl.status == Status::NotApplicable {
                na.insert((h.name.clone(), ctl.control_id.clone()));
            }
        }
    }

    // Index vs checklists.
    let mut problems = Vec::new();
    match csv_rows(pkg, paths::INDEX_EVIDENCE) {
        Err(e) => problems.push(e),
        Ok((header, rows)) => {
            let idx = |n| col(&header, n);
            if let (Some(h), Some(v), Some(r), Some(s), Some(ss)) = (
                idx("Host"),
                idx("VulnId"),
                idx("RuleId"),
                idx("Status"),
                idx("ScanStatus"),
            ) {
                let mut seen = BTreeMap::new();
                for row in &rows {
                    let id = if row[v].is_empty() {
                        row[r].clone()
                    } else {
                        row[v].clone()
                    };
                    seen.insert((row[h].clone(), id), (row[s].clone(), row[ss].clone()));
                }
                if seen.len() != rows.len() {
                    problems.push(format!(
                        "{}: duplicate (host, control) rows",
                        paths::INDEX_EVIDENCE
                    ));
                }
                for (k, want) in &expected {
                    match seen.get(k) {
                        None => problems.push(format!(
                            "{}: no row for {}/{}",
                            paths::INDEX_EVIDENCE,
                            k.0,
                            k.1
                        )),
                        Some(got) if got != want => {
                            problems.push(format!(
                            "{}: {}/{} says {}/{} but the checklists and attestations say {}/{}",
                            paths::INDEX_EVIDENCE, k.0, k.1, got.0, got.1, want.0, want.1
                        ))
                        }
                        _ => {}
                    }
                }
                for k in seen.keys().filter(|k| !expected.contains_key(*k)) {
                    problems.push(format!(
                        "{}: row for {}/{} which no checklist has",
                        paths::INDEX_EVIDENCE,
                        k.0,
                        k.1
                    ));
                }
            } else {
                problems.push(format!("{}: missing columns", paths::INDEX_EVIDENCE));
            }
        }
    }
    match csv_rows(pkg, paths::INDEX_NA) {
        Err(e) => problems.push(e),
        Ok((header, rows)) => {
            if let (Some(h), Some(v), Some(r)) = (
                col(&header, "Host"),
                col(&header, "VulnId"),
                col(&header, "RuleId"),
            ) {
                let got: BTreeSet<(String, String)> = rows
                    .iter()
                    .map(|row| {
                        (
                            row[h].clone(),
                            if row[v].is_empty() {
                                row[r].clone()
                            } else {
                                row[v].clone()
                            },
                        )
                    })
                    .collect();
                if got != na || rows.len() != na.len() {
                    problems.push(format!(
                        "{}: Not_Applicable rows do not match the checklists",
                        paths::INDEX_NA
                    ));
                }
            }
        }
    }
    checks.add(
        "index-vs-checklists",
        problems,
        "the indexes agree with the checklists and attestations".into(),
        "the indexes disagree with the checklists".into(),
    );

    // Attestations vs checklists.
    let recorded: BTreeSet<(String, String)> = c
        .attestations
        .attestations
        .iter()
        .map(|a| (a.host.clone(), a.control_id.clone()))
        .collect();
    let mut problems: Vec<String> = not_reviewed
        .difference(&recorded)
        .map(|(h, ctl)| {
            format!(
                "{}: no attestation record for Not_Reviewed {h}/{ctl}",
                paths::ATTESTATIONS_JSON
            )
        })
        .collect();
    problems.extend(recorded.difference(&not_reviewed).map(|(h, ctl)| {
        format!(
            "{}: attestation for {h}/{ctl}, which a scanner decided",
            paths::ATTESTATIONS_JSON
        )
    }));
    checks.add(
        "attestations-vs-checklists",
        problems,
        "one attestation record per Not_Reviewed control per host".into(),
        "attestation records do not match the Not_Reviewed controls".into(),
    );

    // POA&M: csv vs json, json vs open controls.
    let mut problems = Vec::new();
    match csv_rows(pkg, paths::POAM_CSV) {
        Err(e) => problems.push(e),
        Ok((header, rows)) => {
            if rows.len() != c.poam.items.len() {
                problems.push(format!(
                    "{}: {} rows but poam.json has {} items",
                    paths::POAM_CSV,
                    rows.len(),
                    c.poam.items.len()
                ));
            }
            if let Some(i) = col(&header, "POA&M Item ID") {
                for (n, row) in rows.iter().enumerate() {
                    if row[i] != (n + 1).to_string() {
                        problems.push(format!(
                            "{}: row {} has item id {:?}",
                            paths::POAM_CSV,
                            n + 1,
                            row[i]
                        ));
                    }
                }
            }
        }
    }
    let mut keys = BTreeSet::new();
    for item in &c.poam.items {
        if !keys.insert((item.control_id.clone(), item.severity.clone())) {
            problems.push(format!(
                "{}: duplicate item for {} ({})",
                paths::POAM_JSON,
                item.control_id,
                item.severity
            ));
        }
    }
    let r = stig_formats::readiness::compute(&c.fleet, &c.poam, &c.attestations, &c.evidence);
    problems.extend(
        r.blocking
            .poam_complete
            .iter()
            .filter(|s| s.contains("listed in the POA&M but not open"))
            .map(|s| format!("{}: {s}", paths::POAM_JSON)),
    );
    checks.add(
        "poam-vs-checklists",
        problems,
        "POA&M rows match poam.json; every item is an open control".into(),
        "the POA&M disagrees with the checklists".into(),
    );
}

fn provenance_checks(pkg: &Path, checks: &mut Checks) {
    let mut problems = Vec::new();
    let prov: Value = match fs::read(pkg.join(PROVENANCE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(v) => v,
        None => {
            checks.add(
                "provenance",
                vec![format!("{PROVENANCE}: missing or not JSON")],
                String::new(),
                "no usable provenance".into(),
            );
            return;
        }
    };
    // package path -> sha256 as recorded
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    let empty = Vec::new();
    for step in prov["steps"].as_array().unwrap_or(&empty) {
        let name = step["step"].as_str().unwrap_or("");
        let run = &step["run"];
        for f in run["outputs"].as_array().unwrap_or(&empty) {
            let p = f["path"].as_str().unwrap_or("");
            let sha = f["sha256"].as_str().unwrap_or("").to_owned();
            match name {
                "checklist" => {
                    outputs.insert(format!("{CHECKLISTS}/{p}"), sha);
                }
                "emass" if p != paths::FACTS => {
                    outputs.insert(p.to_owned(), sha);
                }
                _ => {}
            }
        }
        for f in run["inputs"].as_array().unwrap_or(&empty) {
            let p = f["path"].as_str().unwrap_or("");
            let sha = f["sha256"].as_str().unwrap_or("").to_owned();
            match (name, p.split_once('/')) {
                ("import", Some(("scans", rest))) => {
                    inputs.insert(format!("{SCANS}/{rest}"), sha);
                }
                ("import", Some(("benchmarks", rest))) => {
                    inputs.insert(format!("{BENCHMARKS}/{rest}"), sha);
                }
                ("emass", Some(("answers", rest))) => {
                    inputs.insert(format!("{}/{rest}", paths::ANSWERS_DIR), sha);
                }
                _ => {}
            }
        }
    }
    let files = hashlist::walk(pkg).unwrap_or_default();
    for f in &files {
        let generated = f.starts_with(&format!("{CHECKLISTS}/"))
            || f.starts_with(&format!("{POAM}/"))
            || f.starts_with(&format!("{INDEX}/"))
            || (f.starts_with(&format!("{ATTESTATIONS}/"))
                && !f.starts_with(&format!("{}/", paths::ANSWERS_DIR)))
            || f == paths::README;
        let raw = f.starts_with(&format!("{SCANS}/"))
            || f.starts_with(&format!("{}/", paths::ANSWERS_DIR));
        let recorded = if generated {
            outputs.get(f)
        } else if raw {
            inputs.get(f)
        } else {
            continue;
        };
        let actual = sha256_file(&pkg.join(f)).map(|x| x.0).unwrap_or_default();
        match recorded {
            None => problems.push(format!("{f}: not recorded in {PROVENANCE}")),
            Some(sha) if *sha != actual => problems.push(format!(
                "{f}: SHA-256 differs from the one {PROVENANCE} recorded"
            )),
            _ => {}
        }
    }
    let on_disk: BTreeSet<&String> = files.iter().collect();
    for p in outputs.keys().chain(inputs.keys()) {
        if !on_disk.contains(&p) {
            problems.push(format!(
                "{p}: recorded in {PROVENANCE} but not in the package"
            ));
        }
    }
    checks.add(
        "provenance",
        problems,
        "provenance.json records every generated file and raw input with its SHA-256".into(),
        "provenance.json does not match the package".into(),
    );
}

/// The text report.
pub fn render_text(r: &Report) -> String {
    let mut s = format!("Package: {}\n\n", r.package);
    for c in &r.checks {
        s.push_str(&format!(
            "[{}] {}: {}\n",
            if c.passed { "PASS" } else { "FAIL" },
            c.name,
            c.message
        ));
        for f in &c.files {
            s.push_str(&format!("       {f}\n"));
        }
    }
    if let Some(rd) = &r.readiness {
        s.push_str("\nReadiness (re-derived from the package's contents):\n");
        let flags = [
            (
                "allControlsCovered",
                rd.all_controls_covered,
                &rd.blocking.all_controls_covered,
            ),
            (
                "evidencePresent",
                rd.evidence_present,
                &rd.blocking.evidence_present,
            ),
            ("poamComplete", rd.poam_complete, &rd.blocking.poam_complete),
            (
                "attestationsComplete",
                rd.attestations_complete,
                &rd.blocking.attestations_complete,
            ),
        ];
        for (name, ok, list) in flags {
            s.push_str(&format!("  {name}: {}", if ok { "true" } else { "false" }));
            if !ok {
                let shown: Vec<&str> = list.iter().take(10).map(String::as_str).collect();
                s.push_str(&format!(
                    " ({} control(s): {}{})",
                    list.len(),
                    shown.join(", "),
                    if list.len() > 10 { ", ..." } else { "" }
                ));
            }
            s.push('\n');
        }
    }
    s.push_str(&format!("\nVerdict: {}\n", r.verdict));
    s
}
