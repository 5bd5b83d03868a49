//! The eMASS POA&M workbook (`03_POAM/poam.xlsx`) and its pre-upload check, proved with
//! an independent reader: Python's openpyxl (the venv's python, `STIGPACK_PYTHON`). In CI
//! (`CI=true`) a missing python or openpyxl fails these tests instead of skipping them.

#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

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

/// The venv python with openpyxl: `STIGPACK_PYTHON`, else `<repo>/.venv/bin/python`.
fn python() -> Option<PathBuf> {
    let p = std::env::var_os("STIGPACK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    let ok = Command::new(&p)
        .args(["-c", "import openpyxl"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "independent checker openpyxl is missing at {} (CI=true): run scripts/setup.sh",
            p.display()
        );
    }
    eprintln!("SKIP: openpyxl not available at {}", p.display());
    None
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
    c.arg("--cache-dir").arg(cache());
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
# Open host-findings, counted from the package's checklists.
expected = []
for f in glob.glob(os.path.join(pkg, "02_Checklists", "*", "*.ckl")):
    host = os.path.basename(os.path.dirname(f))
    for v in ET.parse(f).getroot().iter("VULN"):
        status = v.findtext("STATUS")
        num = [s.findtext("ATTRIBUTE_DATA") for s in v.findall("STIG_DATA") if s.findtext("VULN_ATTRIBUTE") == "Vuln_Num"][0]
        if status == "Open":
            expected.append((host, num))
if "devicesAffected" in by_field:
    got = []
    for r in rows:
        vuln = ws.cell(r, col("description")).value.split(" ")[0]
        for h in ws.cell(r, col("devicesAffected")).value.split("\n"):
            got.append((h, vuln))
    assert sorted(got) == sorted(expected), (sorted(got), sorted(expected))
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
            ],
        );
        assert!(out.starts_with("ok "), "{name}: {out}");
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
        if name == "navy" {
            // The recorded run, rerun on the package's own inputs (profile included).
            let o = sp(w.path()).arg("reproduce").arg(&a).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
            assert!(stdout(&o).contains("same            03_POAM/poam.xlsx"));
        }
    }
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
    // Office/Org and Resources Required, which only the profile (or --office /
    // --resources) supplies, are listed as profile keys to fill.
    assert!(
        text.contains("system profile lacks (--system-profile): system_type"),
        "{text}"
    );
    assert!(
        text.contains("office_org") && text.contains("resources_required"),
        "{text}"
    );
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
