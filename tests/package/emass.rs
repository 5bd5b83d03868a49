//! End-to-end tests of the proof-packaging commands, running the real `stigpack` binary:
//! export-emass, validate, reproduce, import-attestations.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;

const T1: &str = "2026-11-22T20:00:00Z";
const T2: &str = "2026-12-01T08:30:00Z";

/// A shared compiled-component cache so each test does not recompile the guests.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("emass-component-cache")
}

fn sp(work: &Path) -> std::process::Command {
    let mut c = stigpack(work);
    // The environment, not --cache-dir: every command accepts it, including those that
    // run no component and so do not take the sandbox options.
    c.env("STIGPACK_CACHE_DIR", cache());
    c
}

/// The project's fixture fleet (three hosts) as a results root.
fn fixture_results(work: &Path) -> PathBuf {
    let r = work.join("results");
    copy_dir(&repo().join("fixtures").join("scans"), &r);
    let _ = fs::remove_file(r.join("README.md"));
    r
}

fn benchmark_args() -> Vec<String> {
    vec![
        "--benchmark".into(),
        repo()
            .join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml")
            .display()
            .to_string(),
    ]
}

fn export(
    work: &Path,
    results: &Path,
    out: &Path,
    at: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut c = sp(work);
    c.arg("export-emass")
        .arg("--results")
        .arg(results)
        .arg("--system")
        .arg("Test System")
        .arg("--exported-at")
        .arg(at)
        .arg("--out")
        .arg(out)
        .args(benchmark_args())
        // eMASS rejects items without Office/Org and Resources Required (validate: NOT
        // READY); these tests are about the rest of the package.
        .args([
            "--office",
            "ISSO Office",
            "--resources",
            "Administrator time",
        ])
        .args(extra);
    run(&mut c)
}

fn package_in(out: &Path) -> PathBuf {
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
    assert_eq!(dirs.len(), 1, "exactly one package in {}", out.display());
    dirs.pop().unwrap()
}

fn ok_export(work: &Path, results: &Path, out: &Path, at: &str) -> PathBuf {
    let o = export(work, results, out, at, &[]);
    assert!(
        o.status.success(),
        "export failed: {}\n{}",
        stderr(&o),
        stdout(&o)
    );
    package_in(out)
}

fn validate(work: &Path, pkg: &Path) -> (i32, serde_json::Value) {
    let o = run(sp(work).arg("validate").arg(pkg).arg("--json"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("validate --json: {e}\n{}\n{}", stdout(&o), stderr(&o)));
    (o.status.code().unwrap(), v)
}

fn failed_checks(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn package_layout_and_byte_identical_across_directories() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ra = fixture_results(a.path());
    let rb = fixture_results(b.path());
    let pa = ok_export(a.path(), &ra, &a.path().join("out"), T1);
    let pb = ok_export(b.path(), &rb, &b.path().join("deeper/out"), T1);
    assert_eq!(pa.file_name().unwrap(), "EMASS_Test_System_20261122-2000");
    let ta = tree(&pa);
    assert_eq!(
        ta,
        tree(&pb),
        "same inputs, different directories: packages differ"
    );
    let names: Vec<&str> = ta.iter().map(|(p, _)| p.as_str()).collect();
    for want in [
        "00_Manifest/manifest.json",
        "00_Manifest/file_hashes.sha256",
        "00_Manifest/provenance.json",
        "01_Scans/WS01/WS01_MS_Windows_11_STIG_V2R1.ckl",
        "01_Scans/_benchmarks/000-U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml",
        "03_POAM/poam.csv",
        "03_POAM/poam.json",
        "03_POAM/poam_summary.txt",
        "05_Attestations/attestations.json",
        "05_Attestations/attestation_template.csv",
        "05_Attestations/INSTRUCTIONS.txt",
        "06_Index/control_evidence_index.csv",
        "06_Index/control_to_scan_source.csv",
        "06_Index/na_scope_filter_report.csv",
        "06_Index/index.html",
        "README_Submission.txt",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(names
        .iter()
        .any(|n| n.starts_with("02_Checklists/WS01/") && n.ends_with(".ckl")));
    // Raw inputs byte for byte.
    let raw =
        fs::read(repo().join("fixtures/scans/WS02/WS02_Win11_V2R1_20261102-101500.cklb")).unwrap();
    assert_eq!(
        fs::read(pa.join("01_Scans/WS02/WS02_Win11_V2R1_20261102-101500.cklb")).unwrap(),
        raw
    );
    // Manifest: sorted keys, 2-space indent, trailing newline, no BOM; packageHash printed.
    let m = fs::read_to_string(pa.join("00_Manifest/manifest.json")).unwrap();
    assert!(
        m.ends_with("}\n") && m.starts_with("{\n  \"attestations\""),
        "{}",
        &m[..60]
    );
    let v: serde_json::Value = serde_json::from_str(&m).unwrap();
    let list = fs::read(pa.join("00_Manifest/file_hashes.sha256")).unwrap();
    assert!(!list.starts_with(b"\xEF\xBB\xBF"));
    use sha2::Digest;
    assert_eq!(v["packageHash"], hex::encode(sha2::Sha256::digest(&list)));
    assert!(v["packageHashH1"].as_str().unwrap().starts_with("h1:"));
    assert_eq!(v["hostCount"], 3);
    // Fixture README: WS01 9/4/1/2, WS02 5/2/1/2, SRV01 8/3/2/1.
    assert_eq!(v["hosts"]["WS01"]["Open"], 4);
    assert_eq!(v["hosts"]["WS02"]["Not_Reviewed"], 2);
    assert_eq!(v["hosts"]["SRV01"]["Not_Applicable"], 2);
    assert_eq!(v["statusTotals"]["controls"], 40);
    assert_eq!(v["fileCount"].as_u64().unwrap() as usize, ta.len() - 2);
    // Sorted by bytes, `/` separated, two spaces.
    let text = String::from_utf8(list).unwrap();
    let paths: Vec<&str> = text.lines().map(|l| &l[66..]).collect();
    let mut sorted = paths.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(paths, sorted);
    assert!(!paths.contains(&"00_Manifest/manifest.json"));
    assert!(!paths.contains(&"00_Manifest/file_hashes.sha256"));
}

#[test]
fn exported_at_changes_only_time_dependent_files() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let p1 = ok_export(w.path(), &r, &w.path().join("o1"), T1);
    let p2 = ok_export(w.path(), &r, &w.path().join("o2"), T2);
    assert_eq!(p2.file_name().unwrap(), "EMASS_Test_System_20261201-0830");
    let (t1, t2) = (tree(&p1), tree(&p2));
    assert_eq!(
        t1.iter().map(|f| &f.0).collect::<Vec<_>>(),
        t2.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let changed: Vec<&str> = t1
        .iter()
        .zip(&t2)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.as_str())
        .collect();
    let time_dependent = [
        "00_Manifest/manifest.json",
        "00_Manifest/file_hashes.sha256",
        "00_Manifest/provenance.json",
        "03_POAM/poam.csv",
        "03_POAM/poam.json",
        "03_POAM/poam_summary.txt",
        "03_POAM/poam.xlsx",
        "06_Index/index.html",
        "README_Submission.txt",
    ];
    for c in &changed {
        assert!(
            time_dependent.contains(c),
            "{c} changed with --exported-at but does not depend on time"
        );
    }
    assert!(
        changed.contains(&"03_POAM/poam.csv"),
        "POA&M dates must follow the export time"
    );
    let csv = String::from_utf8(
        t2.iter()
            .find(|f| f.0 == "03_POAM/poam.csv")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    // CAT I due 30 days after 2026-12-01.
    assert!(csv.contains("12/31/2026"), "{csv}");
}

#[test]
fn sha256sum_accepts_the_hash_list_and_validate_detects_tampering() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let p = ok_export(w.path(), &r, &w.path().join("out"), T1);
    if have_tool("sha256sum") {
        let o = std::process::Command::new("sha256sum")
            .args(["-c", "--strict", "00_Manifest/file_hashes.sha256"])
            .current_dir(&p)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "sha256sum -c: {}\n{}",
            stdout(&o),
            stderr(&o)
        );
    }
    let (code, v) = validate(w.path(), &p);
    assert_eq!(v["valid"], true, "{v:#}");
    assert_eq!(code, 4, "fixtures have Not_Reviewed controls: NOT READY");
    assert_eq!(v["verdict"], "NOT READY");
    assert_eq!(v["readiness"]["allControlsCovered"], false);
    let blocking = v["readiness"]["blocking"]["attestationsComplete"]
        .as_array()
        .unwrap();
    assert_eq!(
        blocking.len(),
        5,
        "2+2+1 Not_Reviewed controls: {blocking:?}"
    );

    // Text report: READY/NOT READY verdict line.
    let o = run(sp(w.path()).arg("validate").arg(&p));
    assert!(stdout(&o).contains("Verdict: NOT READY"), "{}", stdout(&o));

    // An edited file, an extra file: INVALID (exit 5), naming the files.
    let copy = w.path().join("tampered");
    copy_dir(&p, &copy);
    let ckl = fs::read_dir(copy.join("02_Checklists/WS01"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = fs::read_to_string(&ckl).unwrap().replacen(
        "<STATUS>Open</STATUS>",
        "<STATUS>NotAFinding</STATUS>",
        1,
    );
    fs::write(&ckl, text).unwrap();
    fs::write(copy.join("03_POAM/extra.txt"), "x").unwrap();
    let (code, v) = validate(w.path(), &copy);
    assert_eq!(code, 5);
    assert_eq!(v["verdict"], "INVALID");
    let failed = failed_checks(&v);
    assert!(failed.contains(&"hashes".to_owned()), "{failed:?}");
    assert!(
        failed.contains(&"no-unlisted-files".to_owned()),
        "{failed:?}"
    );
    let all = v.to_string();
    assert!(
        all.contains("03_POAM/extra.txt") && all.contains("02_Checklists/WS01/"),
        "{all}"
    );
    // The edited checklist no longer matches the index either.
    assert!(
        failed.contains(&"index-vs-checklists".to_owned()),
        "{failed:?}"
    );

    // Unusable input: exit 3.
    let code = run(sp(w.path()).arg("validate").arg(w.path().join("nope")))
        .status
        .code();
    assert_eq!(code, Some(3));
}

/// Reads a package CSV as (header, rows).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_path(path)
        .unwrap();
    w.write_record(header).unwrap();
    for row in rows {
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
}

/// The messages of one check of a `validate --json` report.
fn check_files(v: &serde_json::Value, name: &str) -> Vec<String> {
    let check = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {v:#}"));
    check["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

/// The indexes and poam.csv are streamed row by row against the checklists; every kind of
/// disagreement must still be found and named with its host and control.
#[test]
fn validate_names_each_index_row_that_disagrees() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let p = ok_export(w.path(), &r, &w.path().join("out"), T1);
    let copy = w.path().join("edited");
    copy_dir(&p, &copy);

    let index = copy.join("06_Index/control_evidence_index.csv");
    let (header, mut rows) = read_csv(&index);
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (host, vuln, rule, status, scan) = (
        col("Host"),
        col("VulnId"),
        col("RuleId"),
        col("Status"),
        col("ScanStatus"),
    );
    let key = |row: &Vec<String>| {
        let id = if row[vuln].is_empty() {
            &row[rule]
        } else {
            &row[vuln]
        };
        format!("{}/{id}", row[host])
    };
    // Row 0: a changed status. Row 1: deleted. Row 2: twice. And a row for no control.
    let was = rows[0][status].clone();
    let now = if was == "Open" { "NotAFinding" } else { "Open" };
    rows[0][status] = now.to_owned();
    let changed = format!(
        "06_Index/control_evidence_index.csv: {} says {now}/{} but the checklists and attestations say {was}/{}",
        key(&rows[0]),
        rows[0][scan],
        rows[0][scan]
    );
    let deleted = rows.remove(1);
    let dup = rows[1].clone();
    rows.push(dup.clone());
    let mut bogus = dup;
    bogus[vuln] = "V-999999".into();
    rows.push(bogus.clone());
    write_csv(&index, &header, &rows);

    let na = copy.join("06_Index/na_scope_filter_report.csv");
    let (na_header, mut na_rows) = read_csv(&na);
    assert!(
        !na_rows.is_empty(),
        "the fixtures have Not_Applicable controls"
    );
    na_rows.pop();
    write_csv(&na, &na_header, &na_rows);

    let poam = copy.join("03_POAM/poam.csv");
    let (poam_header, mut poam_rows) = read_csv(&poam);
    let id = poam_header
        .iter()
        .position(|h| h == "POA&M Item ID")
        .unwrap();
    poam_rows[0][id] = "7".into();
    write_csv(&poam, &poam_header, &poam_rows);

    let (code, v) = validate(w.path(), &copy);
    assert_eq!(code, 5, "{v:#}");
    let files = check_files(&v, "index-vs-checklists");
    for want in [
        "06_Index/control_evidence_index.csv: duplicate (host, control) rows".to_owned(),
        changed,
        format!(
            "06_Index/control_evidence_index.csv: no row for {}",
            key(&deleted)
        ),
        format!(
            "06_Index/control_evidence_index.csv: row for {} which no checklist has",
            key(&bogus)
        ),
        "06_Index/na_scope_filter_report.csv: Not_Applicable rows do not match the checklists"
            .to_owned(),
    ] {
        assert!(files.contains(&want), "missing {want:?} in {files:#?}");
    }
    assert_eq!(files.len(), 5, "{files:#?}");
    assert_eq!(
        check_files(&v, "poam-vs-checklists"),
        vec!["03_POAM/poam.csv: row 1 has item id \"7\"".to_owned()]
    );
    assert!(
        !failed_checks(&v).contains(&"attestations-vs-checklists".to_owned()),
        "{v:#}"
    );
}

#[test]
fn reproduce_passes_untouched_and_names_each_edited_file() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let p = ok_export(w.path(), &r, &w.path().join("out"), T1);
    let o = run(sp(w.path()).arg("reproduce").arg(&p));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("REPRODUCED"));

    // (label, edit the package and return the path that must be named)
    type Edit = fn(&Path) -> String;
    let cases: [(&str, Edit); 3] = [
        ("ckl", |p: &Path| {
            let f = fs::read_dir(p.join("02_Checklists/SRV01"))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            let t = fs::read_to_string(&f).unwrap().replacen(
                "<STATUS>Open</STATUS>",
                "<STATUS>NotAFinding</STATUS>",
                1,
            );
            fs::write(&f, t).unwrap();
            f.strip_prefix(p).unwrap().to_string_lossy().into_owned()
        }),
        ("poam row", |p: &Path| {
            let f = p.join("03_POAM/poam.csv");
            let t = fs::read_to_string(&f)
                .unwrap()
                .replacen("Ongoing", "Completed", 1);
            fs::write(&f, t).unwrap();
            "03_POAM/poam.csv".into()
        }),
        ("manifest field", |p: &Path| {
            let f = p.join("00_Manifest/manifest.json");
            let t =
                fs::read_to_string(&f)
                    .unwrap()
                    .replacen("\"Test System\"", "\"Other System\"", 1);
            fs::write(&f, t).unwrap();
            "00_Manifest/manifest.json".into()
        }),
    ];
    for (what, edit) in cases {
        let copy = w.path().join(format!("edited-{}", what.replace(' ', "-")));
        copy_dir(&p, &copy);
        let file = edit(&copy);
        let o = run(sp(w.path()).arg("reproduce").arg(&copy).arg("--json"));
        assert_eq!(o.status.code(), Some(5), "{what}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let differing: Vec<&str> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["verdict"] != "same")
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(differing, vec![file.as_str()], "{what}");
        let entry = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == file.as_str())
            .unwrap();
        assert!(
            entry["firstDifferenceAt"].as_u64().is_some(),
            "{what}: {entry}"
        );
        // The text report names the file and the byte.
        let o = run(sp(w.path()).arg("reproduce").arg(&copy));
        assert!(
            stdout(&o).contains(&format!("DIFFERS         {file} (first difference at byte")),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn hostile_finding_details_are_neutralised_in_the_poam() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let f = r.join("SRV01/SRV01_Combined.ckl");
    let text = fs::read_to_string(&f).unwrap();
    // Put formula payloads at the start of every Open finding's details.
    let mut out = String::new();
    let mut rest = text.as_str();
    let mut n = 0;
    while let Some(i) = rest.find("<STATUS>Open</STATUS>") {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let j = tail.find("<FINDING_DETAILS>").unwrap() + "<FINDING_DETAILS>".len();
        out.push_str(&tail[..j]);
        out.push_str("=cmd|&apos; /C calc&apos;!A0 &lt;b&gt;&quot;x&quot;");
        rest = &tail[j..];
        n += 1;
    }
    out.push_str(rest);
    assert!(n > 0);
    fs::write(&f, out).unwrap();
    for layout in ["emass_joint", "navy_stigman"] {
        let o = export(
            w.path(),
            &r,
            &w.path().join(layout),
            T1,
            &["--poam-layout", layout],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let p = package_in(&w.path().join(layout));
        let csv = fs::read(p.join("03_POAM/poam.csv")).unwrap();
        let mut rdr = csv::ReaderBuilder::new().from_reader(csv.as_slice());
        let mut saw = false;
        for rec in rdr.records() {
            for cell in rec.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{layout}: live formula {cell:?}"
                );
                saw |= cell.contains("=cmd|' /C calc'!A0 <b>\"x\"");
            }
        }
        assert!(
            saw,
            "{layout}: the finding details (quotes and brackets intact) must be kept"
        );
        let json = fs::read_to_string(p.join("03_POAM/poam.json")).unwrap();
        assert!(
            json.contains("=cmd|' /C calc'!A0 <b>\\\"x\\\""),
            "raw text kept in poam.json"
        );
    }
}

#[test]
fn hostile_host_names_are_refused_with_nothing_written() {
    let w = tempfile::tempdir().unwrap();
    for (i, bad) in ["back\\slash".to_owned(), "x".repeat(250), "..a".to_owned()]
        .iter()
        .enumerate()
    {
        let r = w.path().join(format!("r{i}"));
        fs::create_dir_all(r.join(bad)).unwrap();
        fs::copy(
            repo().join("fixtures/scans/WS02/WS02_Win11_V2R1_20261102-101500.cklb"),
            r.join(bad).join("x.cklb"),
        )
        .unwrap();
        let out = w.path().join(format!("o{i}"));
        let o = export(w.path(), &r, &out, T1, &[]);
        if o.status.success() {
            // A long but legal name must still give a valid package.
            assert!(bad.len() > 200, "{bad:?} accepted");
            let (code, v) = validate(w.path(), &package_in(&out));
            assert_ne!(code, 5, "{v:#}");
        } else {
            assert_eq!(o.status.code(), Some(3), "{bad:?}: {}", stderr(&o));
            assert!(
                !out.exists() || fs::read_dir(&out).unwrap().next().is_none(),
                "partial output for {bad:?}"
            );
        }
    }
    // Two hosts differing only in case.
    let r = w.path().join("case");
    for h in ["WEB01", "web01"] {
        fs::create_dir_all(r.join(h)).unwrap();
        fs::copy(
            repo().join("fixtures/scans/WS02/WS02_Win11_V2R1_20261102-101500.cklb"),
            r.join(h).join("x.cklb"),
        )
        .unwrap();
    }
    let out = w.path().join("case-out");
    let o = export(w.path(), &r, &out, T1, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("case"), "{}", stderr(&o));
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
}

#[test]
fn existing_target_needs_force_which_replaces_it_whole() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let out = w.path().join("out");
    let p = ok_export(w.path(), &r, &out, T1);
    let o = export(w.path(), &r, &out, T1, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    fs::write(p.join("06_Index/stale.txt"), "stale").unwrap();
    let o = export(w.path(), &r, &out, T1, &["--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !p.join("06_Index/stale.txt").exists(),
        "--force must replace the package whole"
    );
    assert_eq!(validate(w.path(), &p).1["valid"], true);
}

fn answer_all(pkg: &Path, status: &str) -> String {
    let att: serde_json::Value =
        serde_json::from_slice(&fs::read(pkg.join("05_Attestations/attestations.json")).unwrap())
            .unwrap();
    let mut csv = String::from("\u{feff}Host,Control ID,Attestor Name,Attestor Role,Attestation Date (YYYY-MM-DD),Compliance Status,Compliance Evidence\r\n");
    for a in att["attestations"].as_array().unwrap() {
        csv.push_str(&format!(
            "{},{},\"Doe, Jane\",ISSO,2026-11-23,{status},\"GPO report reviewed,\r\nsee ticket 42\"\r\n",
            a["host"].as_str().unwrap(),
            a["controlId"].as_str().unwrap()
        ));
    }
    csv
}

#[test]
fn import_attestations_makes_a_new_consistent_ready_package() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let p = ok_export(w.path(), &r, &w.path().join("out"), T1);
    let before = tree(&p);

    // Bad files: refused, naming the row; the package untouched.
    let bad = [
        ("wrong-columns.csv", "Control,Who\nV-1,x\n".to_owned(), "missing column"),
        ("bad-date.csv", answer_all(&p, "Compliant").replace("2026-11-23", "11/23/2026"), "not an ISO date"),
        ("bad-status.csv", answer_all(&p, "Yes"), "is not one of Compliant, NonCompliant, PartiallyCompliant"),
        ("unknown.csv", "Control ID,Attestor Name,Attestation Date,Compliance Status\nV-999999,A,2026-11-23,Compliant\n".to_owned(), "unknown control id \"V-999999\""),
    ];
    for (name, text, want) in bad {
        let f = w.path().join(name);
        fs::write(&f, text).unwrap();
        let o = run(sp(w.path())
            .arg("import-attestations")
            .arg("--package")
            .arg(&p)
            .arg("--file")
            .arg(&f));
        assert_eq!(o.status.code(), Some(3), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{name}: {}", stderr(&o));
        assert!(
            name == "wrong-columns.csv" || stderr(&o).contains("line 2"),
            "{name}: the row must be named: {}",
            stderr(&o)
        );
        assert_eq!(
            tree(&p),
            before,
            "{name}: package changed by a refused import"
        );
    }

    // A good file (BOM, CRLF, quoted comma and newline): new package, READY.
    let f = w.path().join("answers.csv");
    fs::write(&f, answer_all(&p, "Compliant")).unwrap();
    let o = run(sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&p)
        .arg("--file")
        .arg(&f));
    assert!(o.status.success(), "{}", stderr(&o));
    let (code, v) = validate(w.path(), &p);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "READY");
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(p.join("00_Manifest/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["submissionReadiness"]["isReady"], true);
    assert_eq!(m["attestations"]["pending"], 0);
    let att = fs::read_to_string(p.join("05_Attestations/attestations.json")).unwrap();
    assert!(
        att.contains("GPO report reviewed,\\r\\nsee ticket 42"),
        "{att}"
    );
    // The new package reproduces too, answers included.
    let o = run(sp(w.path()).arg("reproduce").arg(&p));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // NonCompliant answers turn into POA&M items and the package stays consistent.
    let q = ok_export(w.path(), &r, &w.path().join("out2"), T1);
    let f = w.path().join("nc.csv");
    fs::write(&f, answer_all(&q, "NonCompliant")).unwrap();
    let items_before = m_items(&q);
    let o = run(sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&q)
        .arg("--file")
        .arg(&f));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(m_items(&q) > items_before);
    let (code, v) = validate(w.path(), &q);
    assert_eq!(code, 0, "{v:#}");
}

fn m_items(p: &Path) -> u64 {
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(p.join("00_Manifest/manifest.json")).unwrap()).unwrap();
    m["poamItems"].as_u64().unwrap()
}

#[test]
fn real_samples_plus_fixtures_validate_for_the_right_reasons() {
    let s = samples();
    if !s.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: ../shared/samples is required"
        );
        eprintln!("SKIP: ../shared/samples not found");
        return;
    }
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    for (host, file) in [
        ("saf-overrides", "ckl/saf_small_ckl_overrides.ckl"),
        ("stigman", "ckl/stigman_STIG-Manager-OSS.ckl"),
        (
            "evalstig-debian",
            "cklb/evalstig_XO1_XO_GPOS_Debian12_V3R2.cklb",
        ),
    ] {
        fs::create_dir_all(r.join(host)).unwrap();
        fs::copy(
            s.join(file),
            r.join(host).join(Path::new(file).file_name().unwrap()),
        )
        .unwrap();
    }
    let o = export(
        w.path(),
        &r,
        &w.path().join("out"),
        T1,
        &["--poam-layout", "navy_stigman"],
    );
    assert!(o.status.success(), "{}\n{}", stderr(&o), stdout(&o));
    let p = package_in(&w.path().join("out"));
    let (code, v) = validate(w.path(), &p);
    assert_eq!(v["valid"], true, "{v:#}");
    // Not ready exactly because of undecided controls; POA&M and evidence are complete.
    assert_eq!(code, 4);
    assert_eq!(v["readiness"]["allControlsCovered"], false);
    assert_eq!(v["readiness"]["attestationsComplete"], false);
    assert_eq!(v["readiness"]["poamComplete"], true);
    assert_eq!(v["readiness"]["evidencePresent"], true);
    // The SAF sample's severity overrides reach the POA&M.
    let poam: serde_json::Value =
        serde_json::from_slice(&fs::read(p.join("03_POAM/poam.json")).unwrap()).unwrap();
    let overridden = poam["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["rawSeverity"] != i["severity"])
        .count();
    assert!(overridden > 0, "no severity override honoured");
    // Answering every attestation makes it READY.
    let f = w.path().join("answers.csv");
    fs::write(&f, answer_all(&p, "Compliant")).unwrap();
    let o = run(sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&p)
        .arg("--file")
        .arg(&f));
    assert!(o.status.success(), "{}", stderr(&o));
    let (code, v) = validate(w.path(), &p);
    assert_eq!(code, 0, "{v:#}");
}

/// A layout an agency might bring: its own headers, a constant column, ISO dates.
const AGENCY_LAYOUT: &str = r#"{ "name": "agency_min", "title": "Agency minimal POA&M",
  "dateFormat": "YYYY-MM-DD",
  "columns": [ { "header": "Item", "field": "itemId" },
               { "header": "Weakness", "field": "controlId" },
               { "header": "Hosts", "field": "devicesAffected" },
               { "header": "Due", "field": "scheduledCompletion" },
               { "header": "Owner", "value": "ISSO" } ] }
"#;

fn reproduce_json(work: &Path, pkg: &Path) -> (i32, Vec<String>) {
    let o = run(sp(work).arg("reproduce").arg(pkg).arg("--json"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("reproduce --json: {e}\n{}", stderr(&o)));
    let differing = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] != "same")
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    (o.status.code().unwrap(), differing)
}

#[test]
fn poam_layout_file_is_used_packaged_pinned_and_rerun_from_the_package() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let layout = w.path().join("agency layout.json");
    fs::write(&layout, AGENCY_LAYOUT).unwrap();
    let o = export(
        w.path(),
        &r,
        &w.path().join("out"),
        T1,
        &["--poam-layout-file", layout.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let p = package_in(&w.path().join("out"));

    // poam.csv has the layout's header and its constant column.
    let (header, rows) = read_csv(&p.join("03_POAM/poam.csv"));
    assert_eq!(header, ["Item", "Weakness", "Hosts", "Due", "Owner"]);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[4] == "ISSO"), "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r[3].len() == 10 && r[3].as_bytes()[4] == b'-'),
        "YYYY-MM-DD dates: {rows:?}"
    );

    // Kept byte for byte, pinned by SHA-256 in the manifest and in provenance.
    let kept = p.join("03_POAM/layout/poam_layout.json");
    assert_eq!(fs::read(&kept).unwrap(), AGENCY_LAYOUT.as_bytes());
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(AGENCY_LAYOUT.as_bytes()));
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(p.join("00_Manifest/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["options"]["poamLayoutSha256"], sha.as_str());
    assert_eq!(
        m["options"]["poamLayout"],
        "03_POAM/layout/poam_layout.json"
    );
    let prov: serde_json::Value =
        serde_json::from_slice(&fs::read(p.join("00_Manifest/provenance.json")).unwrap()).unwrap();
    let emass = prov["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "emass")
        .unwrap();
    assert!(
        emass["run"]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"] == "layout/poam_layout.json" && i["sha256"] == sha.as_str()),
        "{emass:#}"
    );
    assert!(emass["run"]["options"].get("layout").is_none(), "{emass:#}");

    let (code, v) = validate(w.path(), &p);
    assert_eq!(code, 4, "{v:#}");
    assert_eq!(reproduce_json(w.path(), &p), (0, vec![]));

    // import-attestations rebuilds with the package's copy: the original is gone.
    fs::remove_file(&layout).unwrap();
    let q = w.path().join("answered");
    copy_dir(&p, &q);
    let f = w.path().join("answers.csv");
    fs::write(&f, answer_all(&q, "NonCompliant")).unwrap();
    let o = run(sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&q)
        .arg("--file")
        .arg(&f));
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, answered_rows) = read_csv(&q.join("03_POAM/poam.csv"));
    assert_eq!(header[4], "Owner");
    assert!(answered_rows.len() > rows.len(), "NonCompliant adds items");
    assert_eq!(
        fs::read(q.join("03_POAM/layout/poam_layout.json")).unwrap(),
        AGENCY_LAYOUT.as_bytes()
    );
    assert_eq!(validate(w.path(), &q).0, 0);
    assert_eq!(reproduce_json(w.path(), &q), (0, vec![]));

    // An edited layout in the package: validate and reproduce both fail, naming it.
    let e = w.path().join("edited");
    copy_dir(&p, &e);
    let edited = AGENCY_LAYOUT.replace("\"Owner\"", "\"Responsible\"");
    fs::write(e.join("03_POAM/layout/poam_layout.json"), edited).unwrap();
    let (code, v) = validate(w.path(), &e);
    assert_eq!(code, 5, "{v:#}");
    let failed = failed_checks(&v);
    for check in ["hashes", "manifest-consistent", "provenance"] {
        assert!(failed.contains(&check.to_owned()), "{check}: {failed:?}");
        assert!(
            check_files(&v, check)
                .iter()
                .any(|f| f.contains("03_POAM/layout/poam_layout.json")),
            "{check} must name the layout: {v:#}"
        );
    }
    let (code, differing) = reproduce_json(w.path(), &e);
    assert_eq!(code, 5);
    assert_eq!(
        differing,
        [
            "00_Manifest/file_hashes.sha256",
            "00_Manifest/manifest.json",
            "00_Manifest/provenance.json",
            "03_POAM/poam.csv"
        ]
    );
}

#[test]
fn bad_poam_layout_file_is_refused_up_front_naming_it() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let out = w.path().join("out");
    let cases = [
        (
            "truncated.json",
            &AGENCY_LAYOUT[..40],
            "not valid JSON for a layout",
        ),
        (
            "unknown-field.json",
            &*AGENCY_LAYOUT.replace("\"controlId\"", "\"colour\""),
            "names unknown field \"colour\"",
        ),
        ("missing.json", "", "No such file"),
    ];
    for (name, text, want) in cases {
        let f = w.path().join(name);
        if name != "missing.json" {
            fs::write(&f, text).unwrap();
        }
        let o = export(
            w.path(),
            &r,
            &out,
            T1,
            &["--poam-layout-file", f.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(3), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(f.to_str().unwrap()) && err.contains(want),
            "{name}: {err}"
        );
        assert!(!out.exists(), "{name}: nothing may be written");
    }
    // A layout name and a layout file at once is a usage error.
    let f = w.path().join("ok.json");
    fs::write(&f, AGENCY_LAYOUT).unwrap();
    let o = export(
        w.path(),
        &r,
        &out,
        T1,
        &[
            "--poam-layout",
            "navy_stigman",
            "--poam-layout-file",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A fleet larger than one run's batch, exported on one worker and on three: the same
/// bytes, provenance with one import and one checklist run per batch of hosts, and the
/// package validates and reproduces (reproduce reruns every batch).
#[test]
fn batched_parallel_export_is_the_same_on_any_number_of_cores() {
    let w = tempfile::tempdir().unwrap();
    let results = w.path().join("fleet");
    let st = run(sp(w.path())
        .args(["dev-gen-fleet", "--hosts", "19", "--rules", "25", "--out"])
        .arg(&results));
    assert!(st.status.success(), "{}", stderr(&st));
    let mut packages = Vec::new();
    for jobs in ["1", "3"] {
        // Each in its own work directory: its own audit log, whose checkpoint the
        // manifest carries.
        let work = w.path().join(format!("jobs{jobs}"));
        fs::create_dir_all(&work).unwrap();
        let out = work.join("out");
        let o = run(sp(&work)
            .env("STIGPACK_JOBS", jobs)
            .args(["export-emass", "--exported-at", T1, "--results"])
            .arg(&results)
            .arg("--out")
            .arg(&out));
        assert!(o.status.success(), "jobs {jobs}: {}", stderr(&o));
        packages.push(package_in(&out));
    }
    let (a, b) = (tree(&packages[0]), tree(&packages[1]));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    let differing: Vec<&String> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| &x.0)
        .collect();
    assert!(
        differing.is_empty(),
        "differ with the number of workers: {differing:?}"
    );

    let prov: serde_json::Value =
        serde_json::from_slice(&fs::read(packages[0].join("00_Manifest/provenance.json")).unwrap())
            .unwrap();
    let steps = prov["steps"].as_array().unwrap();
    let of = |name: &str| -> Vec<Vec<String>> {
        steps
            .iter()
            .filter(|s| s["step"] == name)
            .map(|s| {
                s["hosts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    };
    let per_run = prov["hostsPerRun"].as_u64().unwrap() as usize;
    let imports = of("import");
    assert_eq!(imports.len(), 19usize.div_ceil(per_run));
    // Checklists come from the import runs: no separate checklist step, no model files.
    assert!(of("checklist").is_empty());
    let all: Vec<String> = imports.concat();
    assert_eq!(all.len(), 19);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "batches in host order");
    assert_eq!(of("emass"), vec![all]);
    // Each import run wrote exactly its own hosts' checklists, and every package
    // checklist came from one of them.
    let mut written = Vec::new();
    for s in steps.iter().filter(|s| s["step"] == "import") {
        let hosts: Vec<&str> = s["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        for f in s["run"]["outputs"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap();
            assert!(
                !path.ends_with(".model"),
                "{path}: a model file was written"
            );
            if let Some(rest) = path.strip_prefix("checklists/") {
                let host = rest.split('/').next().unwrap();
                assert!(hosts.contains(&host), "{host} outside its batch {hosts:?}");
                written.push(format!("02_Checklists/{rest}"));
            }
        }
    }
    written.sort();
    let mut in_package: Vec<String> = tree(&packages[0].join("02_Checklists"))
        .into_iter()
        .map(|(p, _)| format!("02_Checklists/{p}"))
        .collect();
    in_package.sort();
    assert!(!written.is_empty());
    assert_eq!(written, in_package);
    // The bytes are those of the `checklist` component (which export-ckl runs on the
    // model): one writer, whichever component calls it.
    let ckl = w.path().join("ckl");
    let o = run(sp(w.path())
        .args(["export-ckl", "--exported-at", T1, "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&ckl));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(tree(&ckl), tree(&packages[0].join("02_Checklists")));

    let (code, _) = validate(w.path(), &packages[0]);
    assert_eq!(code, 4, "valid, not ready (Not_Reviewed controls)");
    let (code, bad) = reproduce_json(w.path(), &packages[1]);
    assert_eq!(code, 0, "{bad:?}");
}

/// The Python that runs the independent checkers: `STIGPACK_PYTHON`, else the repo's
/// venv, else `python3` (the controls check needs only the standard library). In CI its
/// absence fails the test.
fn checker_python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("STIGPACK_PYTHON").map(PathBuf::from),
        Some(repo().join(".venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    for p in candidates.into_iter().flatten() {
        if std::process::Command::new(&p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(p);
        }
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: no Python for scripts/checkers/poam_controls.py"
    );
    eprintln!("SKIP: no Python for the independent controls check");
    None
}

/// Runs scripts/checkers/poam_controls.py (ElementTree over the CCI list and the
/// package's checklists; none of stigpack's code) on a package.
fn check_controls_independently(pkg: &Path, cci_list: &Path) {
    let Some(py) = checker_python() else { return };
    let o = run(std::process::Command::new(py)
        .arg(repo().join("scripts/checkers/poam_controls.py"))
        .arg(pkg)
        .arg(cci_list));
    assert!(
        o.status.success(),
        "independent controls check failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stdout(&o).starts_with("OK "), "{}", stdout(&o));
}

fn json_of(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(p).unwrap()).unwrap()
}

#[test]
fn poam_controls_come_from_the_cci_list_which_cci_list_replaces_and_reproduce_reuses() {
    let shared_list = samples()
        .parent()
        .unwrap()
        .join("reference/cci/U_CCI_List.xml");
    assert!(shared_list.is_file(), "{}", shared_list.display());
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());

    // The built-in table: every item's controls are what DISA's list maps its CCIs to.
    let p = ok_export(w.path(), &r, &w.path().join("out"), T1);
    check_controls_independently(&p, &shared_list);
    let poam = json_of(&p.join("03_POAM/poam.json"));
    assert_eq!(poam["cciListVersion"], "2025-01-23");
    assert!(poam["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["controls"].as_array().is_some_and(|c| !c.is_empty())));
    let m = json_of(&p.join("00_Manifest/manifest.json"));
    assert_eq!(m["options"]["cciListVersion"], "2025-01-23");
    let prov = json_of(&p.join("00_Manifest/provenance.json"));
    assert_eq!(prov["cciList"]["version"], "2025-01-23");
    assert!(!p.join("03_POAM/cci").exists());

    // A newer list: CCI-000366 (cited by the fixtures) loses its Rev 5 mapping.
    let xml = fs::read_to_string(&shared_list).unwrap();
    let newer = xml
        .replacen("<version>2025-01-23</version>", "<version>2026-06-30</version>", 1)
        .replace(
            r#"title="NIST SP 800-53 Revision 5" version="5" location="http://csrc.nist.gov/publications/PubsSPs.html" index="CM-6 b"/>"#,
            r#"title="NIST SP 800-53 Revision 4" version="4" location="http://csrc.nist.gov/publications/PubsSPs.html" index="CM-6 b"/>"#,
        );
    assert_ne!(newer, xml);
    let list = w.path().join("newer list.xml");
    fs::write(&list, &newer).unwrap();
    let out2 = w.path().join("out2");
    let o = export(
        w.path(),
        &r,
        &out2,
        T1,
        &["--cci-list", list.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let q = package_in(&out2);
    check_controls_independently(&q, &list);
    let kept = q.join("03_POAM/cci/newer_list.xml");
    assert_eq!(fs::read_to_string(&kept).unwrap(), newer);
    let poam = json_of(&q.join("03_POAM/poam.json"));
    assert_eq!(poam["cciListVersion"], "2026-06-30");
    assert!(
        poam["unmappedCcis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["cci"] == "CCI-000366"),
        "{:#}",
        poam["unmappedCcis"]
    );
    let summary = fs::read_to_string(q.join("03_POAM/poam_summary.txt")).unwrap();
    assert!(summary.contains("CCI-000366"), "{summary}");
    assert!(summary.contains("2026-06-30"), "{summary}");
    let m = json_of(&q.join("00_Manifest/manifest.json"));
    assert_eq!(m["options"]["cciListVersion"], "2026-06-30");
    assert_eq!(m["options"]["cciList"], "03_POAM/cci/newer_list.xml");
    let prov = json_of(&q.join("00_Manifest/provenance.json"));
    assert_eq!(prov["cciList"]["version"], "2026-06-30");
    let emass = prov["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "emass")
        .unwrap();
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(newer.as_bytes()));
    assert!(
        emass["run"]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"] == "cci/newer_list.xml" && i["sha256"] == sha.as_str()),
        "{emass:#}"
    );
    // Valid as the package without the list is (only readiness differs from READY).
    assert_eq!(validate(w.path(), &q).0, validate(w.path(), &p).0);
    // reproduce uses the kept list: the operator's file is gone.
    fs::remove_file(&list).unwrap();
    assert_eq!(reproduce_json(w.path(), &q), (0, vec![]));
    // Swapping the kept list for the built-in mapping's source changes the POA&M.
    let e = w.path().join("edited");
    copy_dir(&q, &e);
    fs::write(e.join("03_POAM/cci/newer_list.xml"), &xml).unwrap();
    let (code, differing) = reproduce_json(w.path(), &e);
    assert_eq!(code, 5);
    assert!(
        differing.contains(&"03_POAM/poam.json".to_owned()),
        "{differing:?}"
    );
}

#[test]
fn bad_cci_list_is_refused_up_front_naming_it() {
    let w = tempfile::tempdir().unwrap();
    let r = fixture_results(w.path());
    let out = w.path().join("out");
    let not_a_list =
        repo().join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml");
    let old = w.path().join("rev4-only.xml");
    fs::write(
        &old,
        r#"<cci_list xmlns="http://iase.disa.mil/cci"><metadata><version>2013-01-01</version></metadata><cci_items><cci_item id="CCI-000001"><references><reference title="NIST SP 800-53 Revision 4" index="AC-1 a"/></references></cci_item></cci_items></cci_list>"#,
    )
    .unwrap();
    for (file, why) in [
        (not_a_list.as_path(), "not a DISA CCI list"),
        (old.as_path(), "Revision 5"),
        (w.path().join("missing.xml").as_path(), "missing.xml"),
    ] {
        let o = export(
            w.path(),
            &r,
            &out,
            T1,
            &["--cci-list", file.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains(why), "{err}");
        assert!(
            !out.exists() || fs::read_dir(&out).unwrap().next().is_none(),
            "nothing written"
        );
    }
}

#[test]
fn real_fleet_on_two_chrome_revisions_gives_items_true_of_every_host() {
    let s = samples();
    let w = tempfile::tempdir().unwrap();
    let r = w.path().join("results");
    // V2R8 by an Evaluate-STIG checklist, V2R9 by Evaluate-STIG results + the benchmark.
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
            // Every rule of the real V2R8 checklist passed; mark them Open so that both
            // revisions report findings on the same Vuln IDs.
            let text = String::from_utf8(bytes).unwrap();
            bytes = text
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
    let mut c = sp(w.path());
    c.arg("export-emass")
        .arg("--results")
        .arg(&r)
        .arg("--benchmark")
        .arg(s.join("xccdf/U_Google_Chrome_STIG_V2R9_Manual-xccdf.xml"))
        .arg("--exported-at")
        .arg(T1)
        .arg("--out")
        .arg(&out);
    let o = run(&mut c);
    assert!(o.status.success(), "{}", stderr(&o));
    let p = package_in(&out);
    // What each host has, from its own checklist in the package.
    let mut truth = std::collections::BTreeMap::new();
    for host in ["chrome-r8", "chrome-r9"] {
        for e in fs::read_dir(p.join("02_Checklists").join(host)).unwrap() {
            let path = e.unwrap().path();
            let bytes = fs::read(&path).unwrap();
            let cl = stig_formats::ckl::read_reference(&bytes, "x.ckl").unwrap();
            for stig in &cl.stigs {
                for rr in &stig.rules {
                    truth.insert(
                        (host.to_owned(), rr.rule.vuln_num.clone()),
                        (
                            rr.rule.rule_id.clone(),
                            rr.rule.severity,
                            stig.info.releaseinfo.clone(),
                        ),
                    );
                }
            }
        }
    }
    let poam = json_of(&p.join("03_POAM/poam.json"));
    let items = poam["items"].as_array().unwrap();
    let mut hosts_seen = std::collections::BTreeSet::new();
    let mut hosts_of_vuln: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for item in items {
        for h in item["hosts"].as_array().unwrap() {
            let host = h["host"].as_str().unwrap().to_owned();
            let (rule_id, sev, release) =
                &truth[&(host.clone(), item["vulnId"].as_str().unwrap().to_owned())];
            assert_eq!(item["ruleId"], rule_id.as_str(), "{host}: {item:#}");
            let sev = match sev {
                Some(stig_formats::model::Severity::High) => "high",
                Some(stig_formats::model::Severity::Medium) => "medium",
                Some(stig_formats::model::Severity::Low) => "low",
                None => "",
            };
            assert_eq!(item["rawSeverity"], sev, "{host}: {item:#}");
            assert!(
                item["benchmarkRelease"]
                    .as_str()
                    .unwrap()
                    .contains(release.as_str()),
                "{host}: {item:#}"
            );
            hosts_of_vuln
                .entry(item["vulnId"].as_str().unwrap().to_owned())
                .or_default()
                .push(host.clone());
            hosts_seen.insert(host);
        }
    }
    let (_, v) = validate(w.path(), &p);
    assert_eq!(v["valid"], true, "{v:#}");
    assert_eq!(v["readiness"]["poamComplete"], true, "{v:#}");
    // Some Vuln ID is open on both revisions, so the grouping was put to the test.
    assert!(
        hosts_of_vuln.values().any(|h| h.len() == 2),
        "{hosts_of_vuln:?}"
    );
    // Both revisions have open findings, so both were checked.
    assert_eq!(hosts_seen.len(), 2, "{hosts_seen:?}");
    check_controls_independently(
        &p,
        &s.parent().unwrap().join("reference/cci/U_CCI_List.xml"),
    );
}
