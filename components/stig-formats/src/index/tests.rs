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
    let mut f = fleet();
    // A hostile rule title and benchmark id, as a scan file could carry them.
    let hostile = "<script>alert('x')</script></script><img src=x onerror=alert(1)>";
    for meta in f.rules.values_mut() {
        meta.title = hostile.into();
    }
    for meta in f.revisions.values_mut().flatten() {
        meta.title = hostile.into();
    }
    let att = generate(&f, None);
    let poam = build(&f, Some(&att), &PoamOptions::default());
    let readiness = compute(&f, &poam, &att, &Evidence::default());
    let input = HtmlInput {
        system: "Sys<script>alert(1)</script>",
        exported_at: "2025-01-15T12:34:56Z",
        fleet: &f,
        poam: &poam,
        attestations: &att,
        readiness: &readiness,
    };
    let html = render(&input);
    // Exactly two script elements: the JSON data block and the page's own script; the
    // hostile text never opens or closes one.
    assert_eq!(html.matches("<script").count(), 2, "{html}");
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(!html.contains("<img"), "unescaped markup from a scan");
    assert!(html.contains("Sys&lt;script&gt;"));
    assert!(html.contains("web&lt;01&gt;"));
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)"),
        "title escaped in the POA&M table"
    );
    assert!(
        html.contains("\\u003cscript\\u003ealert('x')\\u003c/script\\u003e"),
        "title escaped in the data"
    );
    assert!(html.contains("NOT READY"));
    let data_start = html.find("<script id=\"matrix-data\"").unwrap();
    let data_end = data_start + html[data_start..].find("</script>").unwrap();
    let outside_data = format!("{}{}", &html[..data_start], &html[data_end..]);
    for external in ["http://", "https://", "src=\"", "src='", "@import", "url("] {
        assert!(
            !outside_data.contains(external),
            "external reference {external}"
        );
    }
    // Links stay in the page or the package.
    for (at, _) in html.match_indices("href=\"") {
        let target = &html[at + 6..];
        assert!(
            target.starts_with('#') || target.starts_with("../02_Checklists/web%3C01%3E/"),
            "{}",
            &target[..40.min(target.len())]
        );
    }
    // The policy forbids every fetch and runs only the page's script, by hash.
    let script = &html[html.rfind("<script>").unwrap() + 8..html.rfind("</script>").unwrap()];
    let hash = base64_of_sha256(script.as_bytes());
    assert!(html.contains("default-src 'none'; connect-src 'none'; img-src 'none'"));
    assert!(
        html.contains(&format!("script-src 'sha256-{hash}'\"")),
        "script hash"
    );
    assert!(!html.contains("unsafe-eval") && !html.contains("script-src 'unsafe-inline'"));
    // Host counts: V-1 Open, V-2 Not_Reviewed, V-3 NA -> 0% compliance.
    assert!(html.contains("</span></span> 0.0%</td>"), "{html}");
    // The matrix data: one letter per host per control, V-1 Fail, V-2 NR, V-3 NA.
    assert!(html.contains("\"cells\":[\"F\",\"R\",\"A\"]"), "{html}");
    // Deterministic.
    assert_eq!(render(&input), html);
}

fn base64_of_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    // An independent encoder from the one under test: via the bit string.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bits: String = d.iter().map(|b| format!("{b:08b}")).collect();
    let mut out: String = bits
        .as_bytes()
        .chunks(6)
        .map(|c| {
            let mut s = String::from_utf8(c.to_vec()).unwrap();
            while s.len() < 6 {
                s.push('0');
            }
            alphabet[usize::from_str_radix(&s, 2).unwrap()] as char
        })
        .collect();
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

#[test]
fn matrix_data_is_compact_at_fleet_scale() {
    // 1,000 hosts x 800 controls: the whole page stays well under 10 MB.
    let rules: Vec<_> = (1..=800)
        .map(|v| {
            let status = match v % 7 {
                0 => Open,
                1 => NotApplicable,
                2 => NotReviewed,
                _ => NotAFinding,
            };
            rr(&format!("V-{v}"), [High, Medium, Low][v % 3], status, "")
        })
        .collect();
    let hosts: Vec<_> = (0..1000)
        .map(|i| {
            host(
                &format!("host{i:04}"),
                vec![checklist(
                    &format!("host{i:04}/a.ckl"),
                    "t",
                    "2025-01-01",
                    rules.clone(),
                )],
            )
        })
        .collect();
    let f = view(&hosts).unwrap();
    let att = generate(&f, None);
    let poam = build(&f, Some(&att), &PoamOptions::default());
    let readiness = compute(&f, &poam, &att, &Evidence::default());
    let html = render(&HtmlInput {
        system: "Big",
        exported_at: "2025-01-15T12:34:56Z",
        fleet: &f,
        poam: &poam,
        attestations: &att,
        readiness: &readiness,
    });
    assert!(html.len() < 5 << 20, "{} bytes", html.len());
    assert!(html.contains("<b id=\"open-cat1\">"));
}

/// The large indexes are handed on in parts of about `PART_BYTES`, each ending on a row,
/// and the parts together are the file (what the `emass` component writes as they come).
#[test]
fn large_indexes_come_in_whole_row_parts_that_make_the_file() {
    let hosts: Vec<_> = (0..3)
        .map(|h| {
            let rules = (0..1500)
                .map(|i| {
                    rr(
                        &format!("V-{i}"),
                        Medium,
                        NotApplicable,
                        &"n/a ".repeat(150),
                    )
                })
                .collect();
            host(
                &format!("h{h}"),
                vec![checklist(&format!("h{h}/a.ckl"), "t", "2025-01-01", rules)],
            )
        })
        .collect();
    let fleet = view(&hosts).unwrap();
    let att = generate(&fleet, None);
    let ev = Evidence::default();
    type Make<'a> = &'a dyn Fn(&mut dyn FnMut(&str));
    let check = |whole: String, make: Make| {
        let mut parts = Vec::new();
        make(&mut |p| parts.push(p.to_owned()));
        assert!(parts.len() > 1, "{} bytes in one part", whole.len());
        for p in &parts[..parts.len() - 1] {
            assert!(p.len() >= tabular::PART_BYTES && p.ends_with("\r\n"));
        }
        assert_eq!(parts.concat(), whole);
    };
    check(control_evidence_index(&fleet, &att, &ev), &|part| {
        control_evidence_index_parts(&fleet, &att, &ev, part)
    });
    check(na_scope_filter_report(&fleet), &|part| {
        na_scope_filter_report_parts(&fleet, part)
    });
    assert_eq!(
        rows(&na_scope_filter_report(&fleet)).len(),
        3 * 1500,
        "one row per NA control per host"
    );
}
