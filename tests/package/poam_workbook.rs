//! The eMASS POA&M workbook (`03_POAM/poam.xlsx`) and its pre-upload check, proved with
//! an independent reader: Python's openpyxl (the venv's python, `STIGPACK_PYTHON`). In CI
//! (`CI=true`) a missing python or openpyxl fails these tests instead of skipping them.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

const T1: &str = "2026-11-22T20:00:00Z";

const PROFILE: &str = r#"
system_name = "Payroll Enclave"
dod_it_registration = "DITPR-4711"
ccsafa = "Navy"
system_type = "IS Enclave"
omb_project_id = "007-000000001"
poc_name = "Ann Lee"
poc_phone = "555-0100"
poc_email = "ann.lee@example.mil"
office_org = "NAVWAR 5.0, Ann Lee, 555-0100, ann.lee@example.mil"
resources_required = "Administrator time"
security_costs = "0"
classification = "CONTROLLED UNCLASSIFIED INFORMATION"
"#;

/// Formula, hyperlink and DDE payloads that must stay text.
const PAYLOADS: [&str; 7] = [
    "=HYPERLINK(\"http://evil.example/\",\"click\")",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\tTAB=1+1",
    "\rCR=1+1",
    "=cmd|' /C calc'!A0",
];

/// The venv python with openpyxl.
fn python() -> Option<PathBuf> {
    python_with("openpyxl")
}

/// Runs `script` with `args`; returns stdout, failing the test with its output otherwise.
fn py(python: &Path, script: &str, args: &[&Path]) -> String {
    let o = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("emass-component-cache")
}

fn sp(work: &Path) -> Command {
    let mut c = stigpack(work);
    // The environment, not --cache-dir: every command accepts it, including those that
    // run no component and so do not take the sandbox options.
    c.env("STIGPACK_CACHE_DIR", cache());
    c
}

/// The fixture fleet with the payloads at the start of every Fix_Text (Recommendations)
/// and Open finding's details.
fn hostile_results(work: &Path) -> PathBuf {
    let r = work.join("results");
    copy_dir(&repo().join("fixtures").join("scans"), &r);
    let _ = fs::remove_file(r.join("README.md"));
    let f = r.join("SRV01/SRV01_Combined.ckl");
    let text = fs::read_to_string(&f).unwrap();
    let tag = "<VULN_ATTRIBUTE>Fix_Text</VULN_ATTRIBUTE>";
    let mut out = String::new();
    let mut rest = text.as_str();
    let mut n = 0;
    while let Some(i) = rest.find(tag) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let j = tail.find("<ATTRIBUTE_DATA>").unwrap() + "<ATTRIBUTE_DATA>".len();
        out.push_str(&tail[..j]);
        let p = PAYLOADS[n % PAYLOADS.len()]
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
            .replace('\t', "&#9;")
            .replace('\r', "&#13;");
        out.push_str(&p);
        rest = &tail[j..];
        n += 1;
    }
    out.push_str(rest);
    assert!(n >= PAYLOADS.len());
    fs::write(&f, out).unwrap();
    r
}

fn export(work: &Path, results: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let o = sp(work)
        .arg("export-emass")
        .arg("--results")
        .arg(results)
        .arg("--system")
        .arg("Payroll Enclave")
        .arg("--exported-at")
        .arg(T1)
        .arg("--out")
        .arg(out)
        .arg("--benchmark")
        .arg(repo().join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml"))
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "export failed: {}", stderr(&o));
    let mut dirs: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("EMASS_")
        })
        .collect();
    assert_eq!(dirs.len(), 1);
    dirs.pop().unwrap()
}

fn real_template(name: &str) -> PathBuf {
    let file = match name {
        "navy" => "NAVY_eMASS_TEMPLATE.xlsx",
        "army" => "ARMY_eMASS_TEMPLATE.xlsx",
        "marine_corps" => "MARINE_CORPS_eMASS_TEMPLATE.xlsx",
        _ => "saf_POAMTemplate_from_files.json.xlsm",
    };
    samples().join("poam").join(file)
}

fn template_json(name: &str) -> PathBuf {
    repo()
        .join("components/stig-formats/src/poam/templates")
        .join(format!("{name}.json"))
}

/// Each layout file against the real blank template: sheets and order, header row cell
/// by cell, labels of rows 1-6 where the file places them, hidden columns, banner range.
const COMPARE_TEMPLATE: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
import openpyxl
t = json.load(open(sys.argv[1], encoding="utf-8"))
wb = openpyxl.load_workbook(sys.argv[2])
assert wb.sheetnames == t["sheets"], (wb.sheetnames, t["sheets"])
ws = wb[t["poamSheet"]]
hr = t["headerRow"]
real = {c.column_letter: c.value for c in ws[hr] if c.value is not None}
mine = {c["column"]: c["header"] for c in t["columns"]}
assert real == mine, (sorted(set(real.items()) ^ set(mine.items())))
merged = {str(m) for m in ws.merged_cells.ranges}
for m in t["metadata"]:
    first = m["labelCells"].split(":")[0]
    assert ws[first].value == m["label"], (first, ws[first].value, m["label"])
    for r in (m["labelCells"], m["valueCells"]):
        assert ":" not in r or r in merged, ("not merged in the template", r)
assert t["banner"]["cells"] in merged
assert ws["A1"].value.startswith("*****")
hidden = sorted(k for k, v in ws.column_dimensions.items() if v.hidden)
assert hidden == sorted(t["hiddenColumns"]), (hidden, t["hiddenColumns"])
print(len(mine))
"#;

#[test]
fn every_template_file_matches_the_real_blank_template() {
    let Some(python) = python() else { return };
    for name in ["navy", "army", "marine_corps", "joint"] {
        let out = py(
            &python,
            COMPARE_TEMPLATE,
            &[&template_json(name), &real_template(name)],
        );
        assert!(out.trim().parse::<usize>().unwrap() >= 22, "{name}: {out}");
    }
}

/// The workbook read back: structure against the template and the real blank template,
/// no formulas, every text cell a string, the payloads intact, every Open host-finding of
/// the checklists exactly once, the same items as poam.csv. Prints "ok".
const CHECK_WORKBOOK: &str = r#"
import csv, glob, json, os, sys, warnings
import xml.etree.ElementTree as ET
warnings.simplefilter("ignore")
import openpyxl
pkg, tjson, real_path, payloads = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
results, benchmark = sys.argv[5], sys.argv[6]
t = json.load(open(tjson, encoding="utf-8"))
wb = openpyxl.load_workbook(os.path.join(pkg, "03_POAM", "poam.xlsx"))
assert wb.sheetnames == t["sheets"], wb.sheetnames
ws = wb[t["poamSheet"]]
real = openpyxl.load_workbook(real_path)[t["poamSheet"]]
hr = t["headerRow"]
for c in real[hr]:
    assert ws.cell(hr, c.column).value == c.value, (c.coordinate, ws.cell(hr, c.column).value, c.value)
assert ws["A1"].value == "***** CONTROLLED UNCLASSIFIED INFORMATION *****", ws["A1"].value
for r in range(2, 7):
    for c in real[r]:
        if c.value is not None:
            assert ws.cell(r, c.column).value == c.value, (c.coordinate, ws.cell(r, c.column).value)
by_field = {c["field"]: c["column"] for c in t["columns"]}
for m in t["metadata"]:
    v = ws[m["valueCells"].split(":")[0]].value
    if m["field"] == "system_name": assert v == "Payroll Enclave", v
    if m["field"] == "poc_email": assert v == "ann.lee@example.mil", v
    if m["field"] == "dateExported": assert v == "11/22/2026", v
for h in t["hiddenColumns"]:
    assert ws.column_dimensions[h].hidden, h
assert all(ws.cell(hr + 1, c).value is None for c in range(1, ws.max_column + 1)) or hr + 1 == t["firstDataRow"]
seen_payload = set()
for row in ws.iter_rows():
    for c in row:
        assert c.data_type != "f", ("formula", c.coordinate, c.value)
        assert c.hyperlink is None, ("hyperlink", c.coordinate)
        if c.row >= t["firstDataRow"] and isinstance(c.value, str):
            assert c.data_type == "s", (c.coordinate, c.data_type)
            for p in payloads:
                if c.value.startswith(p):
                    seen_payload.add(p)
# Only the open rules' Fix_Text reaches the workbook: some payloads, kept as text.
assert len(seen_payload) >= 2, seen_payload
col = lambda f: openpyxl.utils.column_index_from_string(by_field[f])
rows = [r for r in range(t["firstDataRow"], ws.max_row + 1) if ws.cell(r, col("status")).value]
assert rows and rows[0] == t["firstDataRow"], rows
import datetime
for r in rows:
    assert ws.cell(r, col("status")).value == "Ongoing"
    due = ws.cell(r, col("scheduledCompletion")).value
    datetime.datetime.strptime(due, "%m/%d/%Y")
    if "milestoneScheduledCompletion" in by_field:
        m = ws.cell(r, col("milestoneScheduledCompletion")).value
        assert datetime.datetime.strptime(m, "%m/%d/%Y") <= datetime.datetime.strptime(due, "%m/%d/%Y")
        assert ws.cell(r, col("milestoneDescription")).value
    assert ws.cell(r, col("rawSeverity")).value in ("Very Low", "Low", "Moderate", "High", "Very High", "I", "II", "III")
# Open host-findings, counted from the input scans (CKL, CKLB, XCCDF results with the
# benchmark's Rule -> Group map): one per (host, Vuln ID), whichever files say it.
import re
group_of = {}
for g in ET.parse(benchmark).getroot().iter("{http://checklists.nist.gov/xccdf/1.1}Group"):
    for rule in g.iter("{http://checklists.nist.gov/xccdf/1.1}Rule"):
        group_of[rule.get("id")] = g.get("id")
found = set()
for f in glob.glob(os.path.join(results, "*", "*")):
    host = os.path.basename(os.path.dirname(f))
    if f.endswith(".ckl"):
        for v in ET.parse(f).getroot().iter("VULN"):
            num = [s.findtext("ATTRIBUTE_DATA") for s in v.findall("STIG_DATA") if s.findtext("VULN_ATTRIBUTE") == "Vuln_Num"][0]
            if v.findtext("STATUS") == "Open":
                found.add((host, num))
    elif f.endswith(".cklb"):
        for st in json.load(open(f, encoding="utf-8"))["stigs"]:
            for r in st["rules"]:
                if r["status"] == "open":
                    found.add((host, r["group_id"]))
    elif f.endswith(".xml"):
        for rr in ET.parse(f).getroot().iter():
            if rr.tag.endswith("}rule-result") and any(c.tag.endswith("}result") and c.text == "fail" for c in rr):
                found.add((host, group_of[re.sub(r"^xccdf_mil\.disa\.stig_rule_", "", rr.get("idref"))]))
expected = sorted(found)
got = []
for r in rows:
    vuln = ws.cell(r, col("description")).value.split(" ")[0]
    if "devicesAffected" in by_field:
        hosts = ws.cell(r, col("devicesAffected")).value.split("\n")
    else:
        # No Devices Affected column (joint): the description names every host once.
        text = ws.cell(r, col("description")).value.split("\n\nFinding details:\n", 1)[1]
        hosts = [h for line in text.split("\n") for m in [re.match(r"^\[([^\]]*)\]: ", line)] if m for h in m.group(1).split(", ")]
    got.extend((h, vuln) for h in hosts)
assert sorted(got) == expected, (sorted(got), expected)
assert len(expected) > 0
# The same items as poam.csv.
with open(os.path.join(pkg, "03_POAM", "poam.csv"), newline="", encoding="utf-8") as fh:
    recs = list(csv.DictReader(fh))
assert [int(x["POA&M Item ID"]) for x in recs] == [ws.cell(r, col("itemId")).value for r in rows]
assert [x["Scheduled Completion Date"] for x in recs] == [ws.cell(r, col("scheduledCompletion")).value for r in rows]
assert [x["Security Checks"] for x in recs] == [ws.cell(r, col("securityChecks")).value for r in rows]
print("ok", len(rows), len(expected))
"#;

#[test]
fn the_workbook_is_the_emass_template_filled_deterministic_and_validated() {
    let Some(python) = python() else { return };
    let w = tempfile::tempdir().unwrap();
    let results = hostile_results(w.path());
    let profile = w.path().join("profile.toml");
    fs::write(&profile, PROFILE).unwrap();
    let payloads = serde_json::to_string(&PAYLOADS).unwrap();
    for name in ["navy", "army", "marine_corps", "joint"] {
        let args = [
            "--emass-template",
            name,
            "--system-profile",
            profile.to_str().unwrap(),
        ];
        let a = export(
            w.path(),
            &results,
            &w.path().join(format!("{name}-a")),
            &args,
        );
        let b = export(
            w.path(),
            &results,
            &w.path().join(format!("{name}-b")),
            &args,
        );
        let xa = fs::read(a.join("03_POAM/poam.xlsx")).unwrap();
        assert_eq!(
            xa,
            fs::read(b.join("03_POAM/poam.xlsx")).unwrap(),
            "{name}: two exports must give byte-identical workbooks"
        );
        let out = py(
            &python,
            CHECK_WORKBOOK,
            &[
                &a,
                &template_json(name),
                &real_template(name),
                Path::new(&payloads),
                &results,
                &repo()
                    .join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml"),
            ],
        );
        assert!(out.starts_with("ok "), "{name}: {out}");
        // Every Controls / APs value is what DISA's CCI list maps the row's rule's CCIs
        // to, read independently (openpyxl, ElementTree); one row per poam.json item.
        let items = json_of(&a.join("03_POAM/poam.json"))["items"]
            .as_array()
            .unwrap()
            .len();
        let out = controls_check(&python, &a, None).unwrap();
        assert!(
            out.starts_with(&format!("OK {items} rows, ")),
            "{name}: {out}"
        );
        assert!(
            !out.starts_with(&format!("OK {items} rows, 0 controls")),
            "{name}: {out}"
        );
        if name == "navy" || name == "joint" {
            // A wrong control (well formed, but not mapped from the rule's CCIs) and a
            // dropped one are caught and their cells named.
            let bad = w.path().join(format!("{name}-wrong-control.xlsx"));
            py(
                &python,
                WRONG_CONTROL,
                &[&a.join("03_POAM/poam.xlsx"), &bad, Path::new("D")],
            );
            let out = controls_check(&python, &a, Some(&bad)).unwrap_err();
            assert!(
                out.contains(&format!(
                    "{name}-wrong-control.xlsx!D8: 'PM-99' is not a control the CCI list maps from"
                )),
                "{name}: {out}"
            );
            assert!(
                out.contains(&format!("{name}-wrong-control.xlsx!D9: controls ["))
                    && out.contains("are missing"),
                "{name}: {out}"
            );
        }
        // The package's own pre-upload check passes and the profile is recorded.
        let o = sp(w.path())
            .arg("validate")
            .arg(&a)
            .arg("--json")
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            v["poamWorkbook"]["problems"],
            serde_json::json!([]),
            "{name}: {}",
            stdout(&o)
        );
        assert_eq!(v["poamWorkbook"]["template"], name);
        assert!(
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["passed"] == true),
            "{name}: {}",
            stdout(&o)
        );
        let manifest = fs::read_to_string(a.join("00_Manifest/manifest.json")).unwrap();
        assert!(manifest.contains(&format!("\"emassTemplate\": \"{name}\"")));
        assert!(a.join("03_POAM/profile/system_profile.json").is_file());
        // The recorded run, rerun on the package's own inputs (template and profile
        // included).
        let o = sp(w.path()).arg("reproduce").arg(&a).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("same            03_POAM/poam.xlsx"),
            "{name}: {}",
            stdout(&o)
        );
    }
}

/// Writes a copy of a workbook with a wrong control added to row 8 and row 9's controls
/// emptied (argv: workbook, copy, controls column).
const WRONG_CONTROL: &str = r#"
import sys, warnings
warnings.simplefilter("ignore")
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["POA&M"]
c = sys.argv[3]
ws[c + "8"] = (ws[c + "8"].value or "") + "; PM-99"
assert ws[c + "9"].value, "row 9 has controls"
ws[c + "9"] = None
wb.save(sys.argv[2])
"#;

/// Runs scripts/checkers/poam_workbook_controls.py on a package (and optionally another
/// workbook): Ok(stdout) when it passes, Err(stdout) when it reports problems.
fn controls_check(python: &Path, pkg: &Path, workbook: Option<&Path>) -> Result<String, String> {
    let list = samples()
        .parent()
        .unwrap()
        .join("reference/cci/U_CCI_List.xml");
    let mut c = Command::new(python);
    c.arg(repo().join("scripts/checkers/poam_workbook_controls.py"))
        .arg(pkg)
        .arg(&list);
    if let Some(wb) = workbook {
        c.arg(wb);
    }
    let o = c.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    match o.status.code() {
        Some(0) => Ok(out),
        Some(1) => Err(out),
        _ => panic!(
            "checker crashed: {out}{}",
            String::from_utf8_lossy(&o.stderr)
        ),
    }
}

fn json_of(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(p).unwrap()).unwrap()
}

/// Edits a workbook with openpyxl, then checks `validate --poam` names every broken cell.
const BREAK_WORKBOOK: &str = r#"
import sys, warnings
warnings.simplefilter("ignore")
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["POA&M"]
ws["F8"] = "Open"
ws["N9"] = "12/31/2099"
ws["D9"] = "CCI-000068"
ws["R9"] = None
ws["C10"] = "=1+1"
ws["G10"] = "2026-12-01"
wb.save(sys.argv[2])
"#;

#[test]
fn validate_names_each_cell_emass_would_reject() {
    let Some(python) = python() else { return };
    let w = tempfile::tempdir().unwrap();
    let results = hostile_results(w.path());
    let profile = w.path().join("profile.toml");
    fs::write(&profile, PROFILE).unwrap();
    let pkg = export(
        w.path(),
        &results,
        &w.path().join("out"),
        &["--system-profile", profile.to_str().unwrap()],
    );
    let good = pkg.join("03_POAM/poam.xlsx");
    let o = sp(w.path())
        .args(["validate", "--poam"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let bad = w.path().join("edited.xlsx");
    py(&python, BREAK_WORKBOOK, &[&good, &bad]);
    let o = sp(w.path())
        .args(["validate", "--poam"])
        .arg(&bad)
        .output()
        .unwrap();
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(4), "{text}");
    for cell in [
        "edited.xlsx!F8: POA&M Status \"Open\" is not one of N/A, Ongoing, Risk Accepted, Completed",
        "edited.xlsx!N9: Milestone Scheduled Completion Date 12/31/2099 is after",
        "edited.xlsx!D9: Controls / APs \"CCI-000068\" is not an 800-53 control",
        "edited.xlsx!R9: Office/Org is required for a POA&M Status of \"Ongoing\"",
        "edited.xlsx!C10: a formula",
        "edited.xlsx!G10: POA&M Scheduled Completion Date \"2026-12-01\" is not a date MM/DD/YYYY",
    ] {
        assert!(text.contains(cell), "missing {cell:?} in:\n{text}");
    }
    // Not a workbook at all: exit 3 naming the file.
    let junk = w.path().join("junk.xlsx");
    fs::write(&junk, b"PK\x03\x04 not really").unwrap();
    let o = sp(w.path())
        .args(["validate", "--poam"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("junk.xlsx"), "{}", stderr(&o));
}

#[test]
fn without_office_the_profile_keys_are_listed_and_the_cells_named_alone() {
    let w = tempfile::tempdir().unwrap();
    let results = hostile_results(w.path());
    let pkg = export(w.path(), &results, &w.path().join("out"), &[]);
    let o = sp(w.path()).arg("validate").arg(&pkg).output().unwrap();
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(4), "{text}");
    // eMASS's Instructions require Office/Org and Resources Required on every item
    // (its import rejects the item): NOT READY, naming the column and the profile key.
    // The metadata rows, which eMASS accepts empty, are only a warning.
    assert!(
        text.contains("poam.xlsx!R8: Office/Org is empty on ")
            && text.contains(
                "set office_org in the system profile (--system-profile FILE) or pass --office"
            ),
        "{text}"
    );
    assert!(
        text.contains("poam.xlsx!S8: Resources Required is empty on ")
            && text.contains("set resources_required in the system profile (--system-profile FILE) or pass --resources"),
        "{text}"
    );
    assert!(
        text.contains("warning (eMASS's import accepts these empty): metadata the template has and the system profile lacks (--system-profile): system_type"),
        "{text}"
    );
    let o = sp(w.path())
        .arg("validate")
        .arg(&pkg)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["poamWorkbook"]["problems"].as_array().unwrap().len(),
        2,
        "{v:#}"
    );
    assert!(!v["poamWorkbook"]["missingProfileFields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "office_org"));
    // Every attestation answered: the manifest's readiness flags are all true, yet the
    // workbook is what eMASS rejects, so import-attestations' readiness line says NOT
    // READY and why, and so does validate.
    let att = json_of(&pkg.join("05_Attestations/attestations.json"));
    let mut csv = String::from(
        "Host,Control ID,Attestor Name,Attestation Date,Compliance Status,Compliance Evidence\n",
    );
    for a in att["attestations"].as_array().unwrap() {
        csv.push_str(&format!(
            "{},{},Ann Lee,2026-11-23,Compliant,GPO report 42\n",
            a["host"].as_str().unwrap(),
            a["controlId"].as_str().unwrap()
        ));
    }
    let answers = w.path().join("answers.csv");
    fs::write(&answers, csv).unwrap();
    let o = sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&pkg)
        .arg("--file")
        .arg(&answers)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "readiness: NOT READY (see stigpack validate)\n  poam.xlsx!R8: Office/Org is empty on "
        ),
        "{text}"
    );
    // The manifest, the README and validate agree: NOT READY because of the workbook,
    // every other flag true.
    let m = json_of(&pkg.join("00_Manifest/manifest.json"));
    let r = &m["submissionReadiness"];
    assert_eq!(r["isReady"], false, "{m:#}");
    assert_eq!(r["poamWorkbook"], false, "{m:#}");
    for flag in [
        "allControlsCovered",
        "evidencePresent",
        "poamComplete",
        "attestationsComplete",
    ] {
        assert_eq!(r[flag], true, "{flag}: {m:#}");
    }
    let v = validate_agrees_with_manifest(w.path(), &pkg, 4);
    assert_eq!(r["blocking"]["poamWorkbook"], v["poamWorkbook"]["problems"]);
    let readme = fs::read_to_string(pkg.join("README_Submission.txt")).unwrap();
    assert!(readme.contains("Readiness: NOT READY"), "{readme}");
    assert!(
        readme.contains("eMASS workbook:         NO (2 rule(s) eMASS's import would refuse, first: poam.xlsx!R8: Office/Org is empty on "),
        "{readme}"
    );
    let o = sp(w.path()).arg("validate").arg(&pkg).output().unwrap();
    assert!(
        stdout(&o).contains("  poamWorkbook: false (2 rule(s) of the eMASS template broken"),
        "{}",
        stdout(&o)
    );
    // A manifest claiming the workbook passes is caught: validate re-derives it from the
    // xlsx bytes, not from the manifest.
    let mut lie = m.clone();
    let sr = lie["submissionReadiness"].as_object_mut().unwrap();
    sr.remove("poamWorkbook");
    sr.insert("isReady".into(), serde_json::Value::Bool(true));
    sr["blocking"]
        .as_object_mut()
        .unwrap()
        .remove("poamWorkbook");
    let manifest = pkg.join("00_Manifest/manifest.json");
    let honest = fs::read(&manifest).unwrap();
    fs::write(
        &manifest,
        serde_json::to_string_pretty(&lie).unwrap() + "\n",
    )
    .unwrap();
    let o = sp(w.path())
        .arg("validate")
        .arg(&pkg)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "INVALID", "{v:#}");
    let consistent = check_named(&v, "manifest-consistent");
    assert_eq!(consistent["passed"], false, "{v:#}");
    assert!(
        consistent["files"][0]
            .as_str()
            .unwrap()
            .contains("submissionReadiness"),
        "{v:#}"
    );
    fs::write(&manifest, honest).unwrap();
    validate_agrees_with_manifest(w.path(), &pkg, 4);
    // The other way: only office_org and resources_required given (no other metadata):
    // the workbook passes; the empty metadata rows stay a warning.
    let partial = w.path().join("partial.toml");
    fs::write(
        &partial,
        "office_org = \"NAVWAR 5.0, Ann Lee\"\nresources_required = \"Admin time\"\n",
    )
    .unwrap();
    let pkg2 = export(
        w.path(),
        &results,
        &w.path().join("out-partial"),
        &["--system-profile", partial.to_str().unwrap()],
    );
    let o = sp(w.path())
        .arg("validate")
        .arg(&pkg2)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["poamWorkbook"]["problems"],
        serde_json::json!([]),
        "{v:#}"
    );
    assert!(v["poamWorkbook"]["missingProfileFields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "system_type"));
    // With the profile fields set, readiness follows the other rules as before: not ready
    // while attestations are pending, ready once they are answered; no workbook reason.
    let m = json_of(&pkg2.join("00_Manifest/manifest.json"));
    let r = &m["submissionReadiness"];
    assert!(r.get("poamWorkbook").is_none(), "{m:#}");
    assert!(r["blocking"].get("poamWorkbook").is_none(), "{m:#}");
    assert_eq!(r["attestationsComplete"], false, "{m:#}");
    assert_eq!(r["isReady"], false, "{m:#}");
    validate_agrees_with_manifest(w.path(), &pkg2, 4);
    import_answers(w.path(), &pkg2, "answers2.csv", |_| "Compliant");
    let m = json_of(&pkg2.join("00_Manifest/manifest.json"));
    assert_eq!(m["submissionReadiness"]["isReady"], true, "{m:#}");
    assert!(
        m["submissionReadiness"].get("poamWorkbook").is_none(),
        "{m:#}"
    );
    let readme = fs::read_to_string(pkg2.join("README_Submission.txt")).unwrap();
    assert!(readme.contains("Readiness: READY"), "{readme}");
    assert!(!readme.contains("eMASS workbook"), "{readme}");
    validate_agrees_with_manifest(w.path(), &pkg2, 0);
    // The same workbook alone: each empty cell is named.
    let o = sp(w.path())
        .args(["validate", "--poam"])
        .arg(pkg.join("03_POAM/poam.xlsx"))
        .output()
        .unwrap();
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(4), "{text}");
    assert!(
        text.contains("poam.xlsx!R8: Office/Org is required for a POA&M Status of \"Ongoing\""),
        "{text}"
    );
    assert!(
        text.contains("poam.xlsx!S8: Resources Required is required"),
        "{text}"
    );
    // An unknown profile key is refused, naming it and the file.
    let bad = w.path().join("bad.toml");
    fs::write(&bad, "system_name = \"x\"\nsytem_type = \"typo\"\n").unwrap();
    let o = sp(w.path())
        .arg("export-emass")
        .arg("--results")
        .arg(&results)
        .arg("--system-profile")
        .arg(&bad)
        .arg("--out")
        .arg(w.path().join("out2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    assert!(e.contains("bad.toml") && e.contains("sytem_type"), "{e}");
    assert!(
        !w.path().join("out2").exists()
            || fs::read_dir(w.path().join("out2"))
                .unwrap()
                .next()
                .is_none()
    );
}

/// The workbook, poam.csv and poam.json of a package read side by side (openpyxl, csv,
/// json): the same items in the same order with the same status, ids, rules and hosts;
/// Risk Accepted rows without milestone or scheduled date and with comments, Ongoing rows
/// with both. Prints one `ACCEPTED <control> <hosts> <comments as JSON>` line per Risk
/// Accepted item, then `ok <rows> <accepted>`.
const SIDE_BY_SIDE: &str = r#"
import csv, datetime, json, os, sys, warnings
warnings.simplefilter("ignore")
import openpyxl
pkg, tjson = sys.argv[1], sys.argv[2]
t = json.load(open(tjson, encoding="utf-8"))
ws = openpyxl.load_workbook(os.path.join(pkg, "03_POAM", "poam.xlsx"))[t["poamSheet"]]
col = {c["field"]: openpyxl.utils.column_index_from_string(c["column"]) for c in t["columns"]}
rows = [r for r in range(t["firstDataRow"], ws.max_row + 1) if ws.cell(r, col["status"]).value]
poam = json.load(open(os.path.join(pkg, "03_POAM", "poam.json"), encoding="utf-8"))
with open(os.path.join(pkg, "03_POAM", "poam.csv"), newline="", encoding="utf-8") as fh:
    recs = list(csv.DictReader(fh))
assert len(rows) == len(recs) == len(poam["items"]), (len(rows), len(recs), len(poam["items"]))
accepted = 0
for r, rec, item in zip(rows, recs, poam["items"]):
    v = lambda f: ws.cell(r, col[f]).value
    status = v("status")
    assert status == rec["Status"] == item["status"], (r, status, rec["Status"], item["status"])
    assert v("itemId") == int(rec["POA&M Item ID"]) == item["itemId"]
    assert v("securityChecks") == rec["Security Checks"] == item["ruleId"]
    hosts = sorted(v("devicesAffected").split("\n"))
    assert hosts == sorted(h["host"] for h in item["hosts"]), (hosts, item["hosts"])
    milestone = [v(f) for f in ("milestoneId", "milestoneDescription", "milestoneStatus", "milestoneScheduledCompletion")]
    if status == "Risk Accepted":
        accepted += 1
        assert milestone == [None] * 4, (r, milestone)
        assert v("scheduledCompletion") is None, r
        assert rec["Scheduled Completion Date"] == "" and rec["Milestone with Completion Dates"] == "", rec
        assert item["scheduledCompletion"] == ""
        assert v("comments") == rec["Comments"] and v("comments").startswith("Risk Accepted by the AO ["), v("comments")
        print("ACCEPTED", item["controlId"], ",".join(hosts), json.dumps(v("comments")))
    else:
        assert status == "Ongoing", status
        assert all(x is not None for x in milestone), (r, milestone)
        due = datetime.datetime.strptime(v("scheduledCompletion"), "%m/%d/%Y")
        assert datetime.datetime.strptime(v("milestoneScheduledCompletion"), "%m/%d/%Y") <= due
print("ok", len(rows), accepted)
"#;

/// Risk acceptance end to end through the binary: two findings accepted in their
/// checklists (`Risk Accepted:` in a CKL's severity override justification and in a
/// CKLB's comments), one Not_Reviewed
/// control answered `RiskAccepted` by import-attestations. Both come out `Risk Accepted`
/// with their justification and no milestones in poam.json, poam.csv and poam.xlsx
/// alike; the imported package validates READY (its workbook passes the pre-upload
/// check), reproduces byte for byte and passes `sha256sum -c`.
#[test]
fn risk_accepted_findings_and_attestations_reach_csv_json_and_workbook() {
    let Some(python) = python() else { return };
    let w = tempfile::tempdir().unwrap();
    let results = hostile_results(w.path());
    let ckl = results.join("SRV01/SRV01_Combined.ckl");
    let text = fs::read_to_string(&ckl).unwrap();
    let marked = text.replacen(
        "<SEVERITY_JUSTIFICATION>Group changes",
        "<SEVERITY_JUSTIFICATION>Risk Accepted: AO Col. R. Diaz, 2026-10-01, memo 26-114.\nGroup changes",
        1,
    );
    assert_ne!(marked, text);
    fs::write(&ckl, marked).unwrap();
    // And a STIG Viewer 3 checklist's COMMENTS (WS02's CKLB).
    let cklb = results.join("WS02/WS02_Win11_V2R1_20261102-101500.cklb");
    let mut doc = json_of(&cklb);
    let rule = doc["stigs"][0]["rules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["group_id"] == "V-253264")
        .unwrap();
    assert_eq!(rule["status"], "open");
    rule["comments"] =
        "Legacy kiosk.\nRisk Accepted: AO Col. R. Diaz, 2026-10-05, memo 26-117".into();
    fs::write(&cklb, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let profile = w.path().join("profile.toml");
    fs::write(&profile, PROFILE).unwrap();
    let pkg = export(
        w.path(),
        &results,
        &w.path().join("out"),
        &["--system-profile", profile.to_str().unwrap()],
    );
    let navy = template_json("navy");
    let before = py(&python, SIDE_BY_SIDE, &[&pkg, &navy]);
    let accepted: Vec<&str> = before
        .lines()
        .filter(|l| l.starts_with("ACCEPTED "))
        .collect();
    assert_eq!(accepted.len(), 2, "{before}");
    assert!(
        accepted
            .iter()
            .any(|l| l.starts_with("ACCEPTED V-253264 WS02 ")
                && l.contains("recorded in the checklist's COMMENTS (below)")
                && l.contains("Risk Accepted: AO Col. R. Diaz, 2026-10-05, memo 26-117")),
        "{before}"
    );
    let accepted: Vec<&str> = accepted
        .into_iter()
        .filter(|l| !l.contains("V-253264"))
        .collect();
    assert!(
        accepted[0].starts_with("ACCEPTED V-254302 SRV01 ")
            && accepted[0].contains("severity override justification (below)")
            && accepted[0].contains("Risk Accepted: AO Col. R. Diaz, 2026-10-01, memo 26-114."),
        "{before}"
    );

    // Answer every attestation: the first RiskAccepted, the rest Compliant.
    let att = json_of(&pkg.join("05_Attestations/attestations.json"));
    let records = att["attestations"].as_array().unwrap();
    assert!(records.len() >= 2);
    let mut csv = String::from("Host,Control ID,Attestor Name,Attestor Role,Attestation Date,Compliance Status,Compliance Evidence,Known Limitations\n");
    for (i, a) in records.iter().enumerate() {
        let answer = if i == 0 { "RiskAccepted" } else { "Compliant" };
        csv.push_str(&format!(
            "{},{},Col. R. Diaz,AO,2026-11-23,{answer},AO memo 26-120,legacy controller needs it\n",
            a["host"].as_str().unwrap(),
            a["controlId"].as_str().unwrap()
        ));
    }
    let (host0, control0) = (
        records[0]["host"].as_str().unwrap().to_owned(),
        records[0]["controlId"].as_str().unwrap().to_owned(),
    );
    let answers = w.path().join("answers.csv");
    fs::write(&answers, csv).unwrap();
    let o = sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&pkg)
        .arg("--file")
        .arg(&answers)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));

    let after = py(&python, SIDE_BY_SIDE, &[&pkg, &navy]);
    let accepted: Vec<&str> = after
        .lines()
        .filter(|l| l.starts_with("ACCEPTED "))
        .collect();
    assert_eq!(accepted.len(), 3, "{after}");
    let attested = accepted
        .iter()
        .find(|l| l.starts_with(&format!("ACCEPTED {control0} {host0} ")))
        .unwrap_or_else(|| panic!("no Risk Accepted item for {host0}/{control0}: {after}"));
    assert!(
        attested.contains("recorded in the attestation (below)")
            && attested.contains(
                "RiskAccepted per attestation by Col. R. Diaz (AO) on 2026-11-23; evidence: AO memo 26-120; known limitations: legacy controller needs it"
            ),
        "{attested}"
    );
    // The workbook's controls are still the CCI list's.
    assert!(controls_check(&python, &pkg, None).is_ok());

    let o = sp(w.path())
        .arg("validate")
        .arg(&pkg)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    assert_eq!(v["verdict"], "READY");
    assert_eq!(
        v["poamWorkbook"]["problems"],
        serde_json::json!([]),
        "{v:#}"
    );
    assert_eq!(
        v["poamWorkbook"]["items"].as_u64().unwrap() as usize,
        after
            .lines()
            .last()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse::<usize>()
            .unwrap()
    );
    let summary = fs::read_to_string(pkg.join("03_POAM/poam_summary.txt")).unwrap();
    assert!(
        summary.contains("Risk Accepted by the AO (no scheduled date, no milestones): 3 items"),
        "{summary}"
    );
    assert!(summary.contains("due none (Risk Accepted)"), "{summary}");

    let o = sp(w.path()).arg("reproduce").arg(&pkg).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("same            03_POAM/poam.xlsx"),
        "{}",
        stdout(&o)
    );
    let o = Command::new("sha256sum")
        .args(["-c", "--strict", "00_Manifest/file_hashes.sha256"])
        .current_dir(&pkg)
        .output()
        .expect("sha256sum (coreutils) is required");
    assert!(
        o.status.success(),
        "sha256sum -c: {}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// The package's items as (control id, status, hosts), from poam.json.
fn items_of(pkg: &Path) -> Vec<(String, String, Vec<String>)> {
    json_of(&pkg.join("03_POAM/poam.json"))["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["controlId"].as_str().unwrap().to_owned(),
                i["status"].as_str().unwrap().to_owned(),
                i["hosts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h["host"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn import_answers(work: &Path, pkg: &Path, name: &str, answer: impl Fn(usize) -> &'static str) {
    let att = json_of(&pkg.join("05_Attestations/attestations.json"));
    let mut csv = String::from(
        "Host,Control ID,Attestor Name,Attestation Date,Compliance Status,Compliance Evidence\n",
    );
    for (i, a) in att["attestations"].as_array().unwrap().iter().enumerate() {
        csv.push_str(&format!(
            "{},{},Ann Lee,2026-11-23,{},GPO report 42\n",
            a["host"].as_str().unwrap(),
            a["controlId"].as_str().unwrap(),
            answer(i)
        ));
    }
    let f = work.join(name);
    fs::write(&f, csv).unwrap();
    let o = sp(work)
        .arg("import-attestations")
        .arg("--package")
        .arg(pkg)
        .arg("--file")
        .arg(&f)
        .output()
        .unwrap();
    assert!(o.status.success(), "{name}: {}", stderr(&o));
}

/// The check of `validate --json`'s report named `name`.
fn check_named<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {v:#}"))
}

/// validate exits `code` and its readiness, re-derived from the package (the workbook
/// read from its bytes), is the manifest's: the `manifest-consistent` check passes.
fn validate_agrees_with_manifest(work: &Path, pkg: &Path, code: i32) -> serde_json::Value {
    let o = sp(work)
        .arg("validate")
        .arg(pkg)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(code), "{v:#}");
    assert_eq!(
        check_named(&v, "manifest-consistent")["passed"],
        true,
        "{v:#}"
    );
    let m = json_of(&pkg.join("00_Manifest/manifest.json"));
    assert_eq!(v["readiness"], m["submissionReadiness"], "{v:#}");
    v
}

/// validate passes the package's workbook and the whole package is READY.
fn assert_ready(work: &Path, pkg: &Path) {
    let o = sp(work)
        .arg("validate")
        .arg(pkg)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    assert_eq!(
        v["poamWorkbook"]["problems"],
        serde_json::json!([]),
        "{v:#}"
    );
}

/// import-attestations rebuilds the workbook with the package: NonCompliant answers add
/// Ongoing items to poam.xlsx (with milestones), answering them Compliant later takes the
/// items out of it again (the controls are closed; eMASS's Completed is for remediated
/// items it already holds, which a fresh import does not have). At each step the workbook,
/// poam.csv and poam.json hold the same items, validate passes, reproduce reproduces the
/// workbook byte for byte and sha256sum -c passes.
#[test]
fn import_attestations_keeps_the_workbook_consistent_as_items_come_and_go() {
    let Some(python) = python() else { return };
    let w = tempfile::tempdir().unwrap();
    let results = hostile_results(w.path());
    let profile = w.path().join("profile.toml");
    fs::write(&profile, PROFILE).unwrap();
    let pkg = export(
        w.path(),
        &results,
        &w.path().join("out"),
        &["--system-profile", profile.to_str().unwrap()],
    );
    let navy = template_json("navy");
    let scanned = items_of(&pkg);
    let rows = |out: &str| -> usize {
        let last = out.lines().last().unwrap();
        assert!(last.starts_with("ok "), "{out}");
        last.split(' ').nth(1).unwrap().parse().unwrap()
    };
    assert_eq!(
        rows(&py(&python, SIDE_BY_SIDE, &[&pkg, &navy])),
        scanned.len()
    );

    let pending = json_of(&pkg.join("05_Attestations/attestations.json"))["attestations"]
        .as_array()
        .unwrap()
        .len();
    import_answers(w.path(), &pkg, "nc.csv", |_| "NonCompliant");
    let with_nc = items_of(&pkg);
    assert_eq!(
        rows(&py(&python, SIDE_BY_SIDE, &[&pkg, &navy])),
        with_nc.len()
    );
    let added: Vec<_> = with_nc.iter().filter(|i| !scanned.contains(i)).collect();
    assert!(
        !added.is_empty() && added.iter().all(|i| i.1 == "Ongoing"),
        "{with_nc:?}"
    );
    assert_eq!(
        added.iter().map(|i| i.2.len()).sum::<usize>(),
        pending,
        "{added:?}"
    );
    assert_ready(w.path(), &pkg);

    import_answers(w.path(), &pkg, "c.csv", |_| "Compliant");
    let closed = items_of(&pkg);
    assert_eq!(
        closed, scanned,
        "Compliant answers close the attested items again"
    );
    assert_eq!(
        rows(&py(&python, SIDE_BY_SIDE, &[&pkg, &navy])),
        closed.len()
    );
    assert_ready(w.path(), &pkg);

    let o = sp(w.path()).arg("reproduce").arg(&pkg).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("same            03_POAM/poam.xlsx"),
        "{}",
        stdout(&o)
    );
    let o = Command::new("sha256sum")
        .args(["-c", "--strict", "00_Manifest/file_hashes.sha256"])
        .current_dir(&pkg)
        .output()
        .expect("sha256sum (coreutils) is required");
    assert!(
        o.status.success(),
        "sha256sum -c: {}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// Every workbook row against the checklists of the hosts it lists (ElementTree over the
/// package's CKLs, openpyxl over poam.xlsx): the row's Security Checks is each host's
/// Rule ID for the row's Vuln ID and its Raw Severity each host's benchmark severity.
/// Prints `ok <rows> <Vuln IDs open on 2+ hosts> <Vuln IDs split over rule ids>`.
const MIXED_CHECK: &str = r#"
import glob, json, os, sys, warnings
import xml.etree.ElementTree as ET
warnings.simplefilter("ignore")
import openpyxl
pkg, tjson = sys.argv[1], sys.argv[2]
t = json.load(open(tjson, encoding="utf-8"))
truth = {}
for f in glob.glob(os.path.join(pkg, "02_Checklists", "*", "*.ckl")):
    host = os.path.basename(os.path.dirname(f))
    for v in ET.parse(f).getroot().iter("VULN"):
        d = {s.findtext("VULN_ATTRIBUTE"): s.findtext("ATTRIBUTE_DATA") for s in v.findall("STIG_DATA")}
        truth[(host, d["Vuln_Num"])] = (d["Rule_ID"], d["Severity"])
ws = openpyxl.load_workbook(os.path.join(pkg, "03_POAM", "poam.xlsx"))[t["poamSheet"]]
col = {c["field"]: openpyxl.utils.column_index_from_string(c["column"]) for c in t["columns"]}
level = {"high": "High", "medium": "Moderate", "low": "Low"}
rows = 0
rules_of, hosts_of = {}, {}
for r in range(t["firstDataRow"], ws.max_row + 1):
    if not ws.cell(r, col["status"]).value:
        continue
    rows += 1
    vuln = ws.cell(r, col["description"]).value.split(" ")[0]
    check = ws.cell(r, col["securityChecks"]).value
    raw = ws.cell(r, col["rawSeverity"]).value
    hosts = ws.cell(r, col["devicesAffected"]).value.split("\n")
    hosts_of.setdefault(vuln, set()).update(hosts)
    rules_of.setdefault(vuln, set()).add(check)
    for h in hosts:
        rule, sev = truth[(h, vuln)]
        assert check == rule, (r, h, vuln, check, rule)
        assert raw == level[sev], (r, h, vuln, raw, sev)
split = sum(len(v) > 1 for v in rules_of.values())
shared = sum(len(v) > 1 for v in hosts_of.values())
print("ok", rows, shared, split)
"#;

/// A fleet on two revisions of one STIG (the real Chrome V2R8 checklist, every rule made
/// Open, and Evaluate-STIG results on V2R9): no workbook row carries a rule id or severity
/// that one of its hosts does not have, read back with openpyxl.
#[test]
fn mixed_revisions_give_workbook_rows_true_of_every_host() {
    let Some(python) = python() else { return };
    let s = samples();
    let w = tempfile::tempdir().unwrap();
    let r = w.path().join("results");
    for (host, file) in [
        (
            "chrome-r8",
            "ckl/CA1294WK16078_Chrome_V2R8_20231211-125631.ckl",
        ),
        ("chrome-r9", "results/eval-stig-w-sm-resultEngine.xml"),
    ] {
        fs::create_dir_all(r.join(host)).unwrap();
        let mut bytes = fs::read(s.join(file)).unwrap();
        if host == "chrome-r8" {
            bytes = String::from_utf8(bytes)
                .unwrap()
                .replace("<STATUS>NotAFinding</STATUS>", "<STATUS>Open</STATUS>")
                .into_bytes();
        }
        fs::write(
            r.join(host).join(Path::new(file).file_name().unwrap()),
            bytes,
        )
        .unwrap();
    }
    let out = w.path().join("out");
    let o = sp(w.path())
        .arg("export-emass")
        .arg("--results")
        .arg(&r)
        .arg("--benchmark")
        .arg(s.join("xccdf/U_Google_Chrome_STIG_V2R9_Manual-xccdf.xml"))
        .arg("--exported-at")
        .arg(T1)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let pkg = fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();
    let o = py(&python, MIXED_CHECK, &[&pkg, &template_json("navy")]);
    let n: Vec<usize> = o
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(o.starts_with("ok ") && n[0] > 0, "{o}");
    // The case was met: Vuln IDs open on both revisions, some split into rows per
    // rule id where the rule changed between them.
    assert!(n[1] > 0 && n[2] > 0, "{o}");
}

/// A finding longer than Excel's cell limit: its workbook cell is cut to exactly 32,767
/// characters (UTF-16 units, as Excel counts) ending in the visible marker, `validate`
/// names the cut cell in its report and still passes the workbook, and poam.json keeps
/// the whole text.
#[test]
fn a_cell_over_excels_limit_is_cut_visibly_and_reported() {
    let Some(python) = python() else { return };
    let w = tempfile::tempdir().unwrap();
    let results = hostile_results(w.path());
    let ckl = results.join("SRV01/SRV01_Combined.ckl");
    let long = "Share C$ open to Everyone; ".repeat(2_000);
    let text = fs::read_to_string(&ckl).unwrap();
    let edited = text.replacen(
        "<FINDING_DETAILS>Security Group Management: No Auditing</FINDING_DETAILS>",
        &format!("<FINDING_DETAILS>{long}</FINDING_DETAILS>"),
        1,
    );
    assert_ne!(edited, text);
    fs::write(&ckl, edited).unwrap();
    let profile = w.path().join("profile.toml");
    fs::write(&profile, PROFILE).unwrap();
    let pkg = export(
        w.path(),
        &results,
        &w.path().join("out"),
        &["--system-profile", profile.to_str().unwrap()],
    );
    let out = py(
        &python,
        r#"
import os, sys, warnings
warnings.simplefilter("ignore")
import openpyxl
ws = openpyxl.load_workbook(os.path.join(sys.argv[1], "03_POAM", "poam.xlsx"))["POA&M"]
for row in ws.iter_rows(min_row=8):
    for c in row:
        if isinstance(c.value, str) and "[cut at the spreadsheet cell limit" in c.value:
            units = len(c.value.encode("utf-16-le")) // 2
            print(c.coordinate, units, c.value.endswith("the complete text is in poam.json]"))
"#,
        &[&pkg],
    );
    let cut: Vec<&str> = out.lines().collect();
    assert_eq!(cut.len(), 1, "{out}");
    let parts: Vec<&str> = cut[0].split(' ').collect();
    assert_eq!(parts[1..], ["32767", "True"], "{out}");
    let cell = parts[0];
    assert!(cell.starts_with('C'), "the description cell: {out}");
    let o = sp(w.path())
        .arg("validate")
        .arg(&pkg)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["poamWorkbook"]["problems"],
        serde_json::json!([]),
        "{v:#}"
    );
    assert_eq!(
        v["poamWorkbook"]["cutCells"],
        serde_json::json!([format!("poam.xlsx!{cell}")]),
        "{v:#}"
    );
    let o = sp(w.path()).arg("validate").arg(&pkg).output().unwrap();
    assert!(
        stdout(&o).contains(&format!(
            "poam.xlsx!{cell}: cut at Excel's 32,767-character cell limit (the complete text is in poam.json)"
        )),
        "{}",
        stdout(&o)
    );
    let poam = fs::read_to_string(pkg.join("03_POAM/poam.json")).unwrap();
    assert!(
        poam.contains(long.trim_end()),
        "poam.json keeps the whole text"
    );
}
