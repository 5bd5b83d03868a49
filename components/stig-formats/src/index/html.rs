//! `index.html`: the package summary a person opens first.
//!
//! Self-contained by construction: inline CSS, no scripts, no external links, images or
//! fonts; every text from a scan is HTML-escaped. It summarises (readiness, per-host
//! counts, POA&M items) rather than listing every control, so it stays readable and small
//! for a 1,000-host fleet; the CSV indexes hold the full detail.

use super::host_counts;
use crate::attest::AttestationFile;
use crate::control_view::FleetView;
use crate::poam::PoamFile;
use crate::readiness::Readiness;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// How many blocking controls are shown per flag (the manifest lists all).
const SHOW_BLOCKING: usize = 50;

#[derive(Debug)]
pub struct HtmlInput<'a> {
    pub system: &'a str,
    pub exported_at: &'a str,
    pub fleet: &'a FleetView,
    pub poam: &'a PoamFile,
    pub attestations: &'a AttestationFile,
    pub readiness: &'a Readiness,
}

fn pct(pass: usize, fail: usize) -> String {
    if pass + fail == 0 {
        "n/a".to_owned()
    } else {
        format!("{:.1}%", pass as f64 * 100.0 / (pass + fail) as f64)
    }
}

pub fn render(i: &HtmlInput<'_>) -> String {
    let r = i.readiness;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(&format!(
        "<title>eMASS package {} ({})</title>\n",
        esc(i.system),
        esc(i.exported_at)
    ));
    h.push_str(
        "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}\
         td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}\
         th{background:#eee}.ok{color:#185c18;font-weight:bold}.no{color:#a01010;font-weight:bold}\
         .n{text-align:right}</style>\n</head>\n<body>\n",
    );
    h.push_str(&format!(
        "<h1>eMASS package: {}</h1>\n<p>Exported at {} from {} host(s), {} control result(s).</p>\n",
        esc(i.system),
        esc(i.exported_at),
        i.fleet.hosts.len(),
        i.fleet.control_count()
    ));
    let verdict = if r.is_ready {
        ("ok", "READY")
    } else {
        ("no", "NOT READY")
    };
    h.push_str(&format!(
        "<h2>Submission readiness: <span class=\"{}\">{}</span></h2>\n<table>\n<tr><th>Check</th><th>Result</th><th>Controls that make it fail</th></tr>\n",
        verdict.0, verdict.1
    ));
    let flags = [
        (
            "All controls covered",
            r.all_controls_covered,
            &r.blocking.all_controls_covered,
        ),
        (
            "Evidence present",
            r.evidence_present,
            &r.blocking.evidence_present,
        ),
        ("POA&M complete", r.poam_complete, &r.blocking.poam_complete),
        (
            "Attestations complete",
            r.attestations_complete,
            &r.blocking.attestations_complete,
        ),
    ];
    // The workbook's row only when eMASS would refuse it (as `poamWorkbook` in the manifest).
    let workbook = (!r.poam_workbook).then_some((
        "eMASS workbook (poam.xlsx) passes its template's rules",
        false,
        &r.blocking.poam_workbook,
    ));
    for (name, ok, list) in flags.into_iter().chain(workbook) {
        let mut shown: Vec<String> = list.iter().take(SHOW_BLOCKING).map(|s| esc(s)).collect();
        if list.len() > SHOW_BLOCKING {
            shown.push(format!(
                "... and {} more (see manifest.json)",
                list.len() - SHOW_BLOCKING
            ));
        }
        h.push_str(&format!(
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
            esc(name),
            if ok { "ok" } else { "no" },
            if ok { "pass" } else { "FAIL" },
            shown.join("<br>")
        ));
    }
    h.push_str("</table>\n");

    h.push_str("<h2>Hosts</h2>\n<table>\n<tr><th>Host</th><th>Controls</th><th>NotAFinding</th><th>Open</th><th>Not_Applicable</th><th>Not_Reviewed</th><th>Compliance</th></tr>\n");
    let mut total = [0usize; 4];
    for host in &i.fleet.hosts {
        let n = host_counts(host, i.attestations);
        for k in 0..4 {
            total[k] += n[k];
        }
        h.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            esc(&host.name),
            host.controls.len(),
            n[0], n[1], n[2], n[3],
            pct(n[0], n[1])
        ));
    }
    h.push_str(&format!(
        "<tr><th>Fleet</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr>\n</table>\n",
        total.iter().sum::<usize>(),
        total[0], total[1], total[2], total[3],
        pct(total[0], total[1])
    ));
    h.push_str("<p>Compliance = NotAFinding / (NotAFinding + Open); Not_Applicable and Not_Reviewed count in neither. The fleet figure pools all controls.</p>\n");

    h.push_str(&format!(
        "<h2>POA&amp;M items ({})</h2>\n<table>\n<tr><th>Item</th><th>CAT</th><th>Vuln ID</th><th>Title</th><th>Hosts</th><th>Due</th></tr>\n",
        i.poam.items.len()
    ));
    for item in &i.poam.items {
        h.push_str(&format!(
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            item.item_id,
            esc(&item.cat),
            esc(&item.vuln_id),
            esc(&item.title),
            esc(&item.host_names().join(", ")),
            esc(&item.scheduled_completion)
        ));
    }
    h.push_str("</table>\n<p>Files: control_evidence_index.csv (every control on every host), control_to_scan_source.csv, na_scope_filter_report.csv; POA&amp;M in ../03_POAM; attestations in ../05_Attestations.</p>\n</body>\n</html>\n");
    h
}
