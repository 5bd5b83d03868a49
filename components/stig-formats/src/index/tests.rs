//! Index tests: one row per control per host, the precedence rule, NA reasons, evidence
//! and scan-source paths, and a self-contained, escaped HTML summary.

use super::html::{render, HtmlInput};
use super::*;
use crate::attest::{generate, AttestationStatus};
use crate::control_view::testkit::*;
use crate::control_view::view;
use crate::model::Severity::*;
use crate::model::Status::*;
use crate::poam::{build, PoamOptions};
use crate::readiness::compute;

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn fleet() -> FleetView {
    let mut na = rr("V-3", Low, NotApplicable, "");
    na.review.comments = "Not a domain controller".into();
    view(&[host(
        "web<01>",
        vec![
            checklist(
                "web<01>/a.ckl",
                "Evaluate-STIG 1.2507",
                "2025-01-10",
                vec![
                    rr("V-1", High, NotAFinding, ""),
                    rr("V-2", Medium, NotReviewed, ""),
                    na,
                ],
            ),
            checklist(
                "web<01>/b.xml",
                "SCC 5.10",
                "2025-01-12",
                vec![rr("V-1", High, Open, "=1+1 failed")],
            ),
        ],
    )])
    .unwrap()
}

#[test]
fn evidence_index_has_one_row_per_control_with_precedence_and_paths() {
    let f = fleet();
    let mut att = generate(&f, None);
    att.attestations[0].status = AttestationStatus::Compliant;
    let ev = Evidence::from_paths(&["web<01>/V-2/proof.txt"]);
    let csv = control_evidence_index(&f, &att, &ev);
    assert!(csv.starts_with(
        "Host,VulnId,RuleId,Title,Severity,Status,NaReason,NaOrigin,EvidencePaths,ScanSources,LastVerified,"
    ));
    let r = rows(&csv);
    assert_eq!(r.len(), 3);
    // V-1: Open beats NotAFinding; both scans listed; latest scan time.
    assert_eq!(r[0][1], "V-1");
    assert_eq!(r[0][5], "Open");
    assert_eq!(r[0][9], "01_Scans/web<01>/a.ckl\n01_Scans/web<01>/b.xml");
    assert_eq!(r[0][10], "2025-01-12");
    // V-2: scan Not_Reviewed, attested Compliant.
    assert_eq!(r[1][5], "NotAFinding");
    assert_eq!(r[1][12], "Not_Reviewed");
    assert_eq!(r[1][13], "Compliant");
    assert_eq!(r[1][8], "04_Evidence/web<01>/V-2/proof.txt");
    // V-3: NA with the reviewer's reason and origin.
    assert_eq!(r[2][5], "Not_Applicable");
    assert_eq!(r[2][6], "Not a domain controller");
    assert_eq!(r[2][7], "Evaluate-STIG 1.2507 (01_Scans/web<01>/a.ckl)");
}

#[test]
fn scan_source_and_na_reports() {
    let f = fleet();
    let r = rows(&control_to_scan_source(&f));
    assert_eq!(r.len(), 4);
    assert_eq!(
        r[0],
        vec![
            "web<01>",
            "V-1",
            "SV-1r1_rule",
            "MS_Windows_Server_2019_STIG",
            "01_Scans/web<01>/a.ckl",
            "Evaluate-STIG 1.2507",
            "2025-01-10",
            "NotAFinding"
        ]
    );
    assert_eq!(r[1][7], "Open");
    let na = rows(&na_scope_filter_report(&f));
    assert_eq!(na.len(), 1);
    assert_eq!(na[0][1], "V-3");
    assert_eq!(na[0][5], "Not a domain controller");
}

#[test]
fn html_is_self_contained_and_escaped() {
    let f = fleet();
    let att = generate(&f, None);
    let poam = build(&f, Some(&att), &PoamOptions::default());
    let readiness = compute(&f, &poam, &att, &Evidence::default());
    let html = render(&HtmlInput {
        system: "Sys<script>alert(1)</script>",
        exported_at: "2025-01-15T12:34:56Z",
        fleet: &f,
        poam: &poam,
        attestations: &att,
        readiness: &readiness,
    });
    assert!(!html.contains("<script"), "unescaped input in html");
    assert!(html.contains("Sys&lt;script&gt;"));
    assert!(html.contains("web&lt;01&gt;"));
    assert!(html.contains("NOT READY"));
    for external in ["http://", "https://", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "external reference {external}");
    }
    // Host counts: V-1 Open, V-2 Not_Reviewed, V-3 NA -> 0% compliance shown as 0.0%.
    assert!(html.contains("<td class=\"n\">0.0%</td>"), "{html}");
}
