//! `stigpack fleet-summary` through the real binary: the four files from a results tree,
//! the same summary bytes a package of the same results holds, a host that cannot be read
//! listed everywhere (exit 9), `--json`, determinism, and the refusals.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use crate::common::*;

const AT: &str = "2026-11-22T20:00:00Z";

fn ckl(statuses: &[(&str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CHECKLIST><ASSET><ROLE>None</ROLE><ASSET_TYPE>Computing</ASSET_TYPE><HOST_NAME>h</HOST_NAME></ASSET><STIGS><iSTIG><STIG_INFO><SI_DATA><SID_NAME>version</SID_NAME><SID_DATA>1</SID_DATA></SI_DATA><SI_DATA><SID_NAME>stigid</SID_NAME><SID_DATA>Synthetic_STIG</SID_DATA></SI_DATA><SI_DATA><SID_NAME>releaseinfo</SID_NAME><SID_DATA>Release: 1 Benchmark Date: 01 Jan 2025</SID_DATA></SI_DATA><SI_DATA><SID_NAME>title</SID_NAME><SID_DATA>Synthetic STIG</SID_DATA></SI_DATA></STIG_INFO>\n");
    for (vuln, status) in statuses {
        s.push_str(&format!("<VULN><STIG_DATA><VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE><ATTRIBUTE_DATA>{vuln}</ATTRIBUTE_DATA></STIG_DATA><STIG_DATA><VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE><ATTRIBUTE_DATA>high</ATTRIBUTE_DATA></STIG_DATA><STIG_DATA><VULN_ATTRIBUTE>Rule_ID</VULN_ATTRIBUTE><ATTRIBUTE_DATA>SV-{vuln}r1_rule</ATTRIBUTE_DATA></STIG_DATA><STIG_DATA><VULN_ATTRIBUTE>Rule_Title</VULN_ATTRIBUTE><ATTRIBUTE_DATA>Title of {vuln}</ATTRIBUTE_DATA></STIG_DATA><STATUS>{status}</STATUS><FINDING_DETAILS>seen</FINDING_DETAILS><COMMENTS></COMMENTS><SEVERITY_OVERRIDE></SEVERITY_OVERRIDE><SEVERITY_JUSTIFICATION></SEVERITY_JUSTIFICATION></VULN>\n"));
    }
    s.push_str("</iSTIG></STIGS></CHECKLIST>\n");
    s
}

/// Two readable hosts (50% and 100% compliant) and one whose checklist is truncated.
fn results(root: &Path) {
    let write = |host: &str, text: &str| {
        std::fs::create_dir_all(root.join(host)).unwrap();
        std::fs::write(root.join(host).join("scan.ckl"), text).unwrap();
    };
    write(
        "web01",
        &ckl(&[
            ("V-1", "Open"),
            ("V-2", "NotAFinding"),
            ("V-3", "Not_Applicable"),
        ]),
    );
    write(
        "web02",
        &ckl(&[("V-1", "NotAFinding"), ("V-2", "NotAFinding")]),
    );
    let broken = ckl(&[("V-1", "Open")]);
    write("web03", &broken[..broken.len() / 2]);
}

fn summary(work: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    run(stigpack(work)
        .args(["fleet-summary", "--results", "results", "--out", out])
        .args(["--exported-at", AT, "--system", "Demo"])
        .args(extra))
}

#[test]
fn writes_the_summary_lists_unreadable_hosts_and_is_deterministic() {
    let w = tempfile::tempdir().unwrap();
    results(&w.path().join("results"));

    let o = summary(w.path(), "s1", &[]);
    assert_eq!(o.status.code(), Some(9), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("INCOMPLETE: 1 host(s)") && out.contains("web03"),
        "{out}"
    );
    assert!(stderr(&o).contains("left out host web03"), "{}", stderr(&o));
    let s1 = w.path().join("s1");
    let names: Vec<String> = tree(&s1).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        names,
        [
            "fleet_report.html",
            "fleet_summary.csv",
            "fleet_summary.json",
            "fleet_summary.txt"
        ]
    );

    // The figures: web01 1 pass of 2 decided, web02 2 of 2, pooled 3 of 4.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s1.join("fleet_summary.json")).unwrap()).unwrap();
    assert_eq!(json["hosts"].as_array().unwrap().len(), 2);
    assert_eq!(json["hosts"][0]["host"], "web01");
    assert_eq!(json["hosts"][0]["compliancePercent"], 50.0);
    assert_eq!(json["fleet"]["compliancePercent"], 75.0);
    assert_eq!(json["failingControls"][0]["controlId"], "V-1");
    // The unreadable host is listed, with its file, not dropped silently.
    assert_eq!(json["unreadableHosts"][0]["host"], "web03");
    assert_eq!(json["unreadableHosts"][0]["file"], "web03/scan.ckl");
    let txt = std::fs::read_to_string(s1.join("fleet_summary.txt")).unwrap();
    assert!(
        txt.contains("Hosts left out") && txt.contains("web03: web03/scan.ckl"),
        "{txt}"
    );
    let csv = std::fs::read_to_string(s1.join("fleet_summary.csv")).unwrap();
    assert_eq!(csv.lines().next(), Some("Control,web01,web02"));
    assert!(
        csv.contains("V-1,Fail,Pass") && csv.contains("V-3,NA,"),
        "{csv}"
    );
    let html = std::fs::read_to_string(s1.join("fleet_report.html")).unwrap();
    assert!(html.contains("NOT READY") && html.contains("web03: web03/scan.ckl"));

    // Same inputs, same bytes.
    let o = summary(w.path(), "s2", &[]);
    assert_eq!(o.status.code(), Some(9));
    assert_eq!(tree(&s1), tree(&w.path().join("s2")));

    // --json: one document on stdout, with the exit status it returns.
    let o = summary(w.path(), "s3", &["--json"]);
    assert_eq!(o.status.code(), Some(9));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["schema"], "stigpack.fleet-summary/1");
    assert_eq!(doc["exitCode"], 9);
    assert_eq!(doc["files"].as_array().unwrap().len(), 4);
    assert_eq!(doc["fleet"]["compliancePercent"], 75.0);
    assert_eq!(doc["unreadableHosts"][0]["host"], "web03");

    // The output exists: refused without --force (usage), replaced whole with it.
    let o = summary(w.path(), "s1", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    std::fs::remove_dir_all(w.path().join("results/web03")).unwrap();
    let o = summary(w.path(), "s1", &["--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s1.join("fleet_summary.json")).unwrap()).unwrap();
    assert!(json.get("unreadableHosts").is_none());

    // The audit log has the run.
    let log = std::fs::read_to_string(w.path().join("audit.jsonl")).unwrap();
    assert!(log.contains("\"fleet-summary\""), "{log}");
}

#[test]
fn the_summary_is_the_one_a_package_holds() {
    let w = tempfile::tempdir().unwrap();
    results(&w.path().join("results"));
    let o = summary(w.path(), "s", &[]);
    assert_eq!(o.status.code(), Some(9), "{}", stderr(&o));
    let o = run(stigpack(w.path()).args([
        "export-emass",
        "--results",
        "results",
        "--out",
        "pkg",
        "--system",
        "Demo",
        "--exported-at",
        AT,
        "--keep-going",
    ]));
    assert_eq!(o.status.code(), Some(9), "{}", stderr(&o));
    let pkg = std::fs::read_dir(w.path().join("pkg"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for f in [
        "fleet_summary.json",
        "fleet_summary.csv",
        "fleet_summary.txt",
    ] {
        assert_eq!(
            std::fs::read(w.path().join("s").join(f)).unwrap(),
            std::fs::read(pkg.join("06_Index").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn no_readable_host_writes_nothing() {
    let w = tempfile::tempdir().unwrap();
    let root = w.path().join("results/bad");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("scan.ckl"), "<CHECKLIST><ASSET>").unwrap();
    let o = summary(w.path(), "s", &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad/scan.ckl"), "{}", stderr(&o));
    assert!(!w.path().join("s").exists());
}
