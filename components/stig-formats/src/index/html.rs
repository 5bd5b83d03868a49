//! The HTML fleet report: the page a person opens first, as `06_Index/index.html` in a
//! package and as `fleet_report.html` from `stigpack fleet-summary` (same renderer, same
//! bytes for the same fleet).
//!
//! Self-contained by construction: inline CSS and one inline script, no external links,
//! images or fonts, and a Content-Security-Policy that forbids every fetch
//! (`default-src 'none'`, `connect-src 'none'`) and runs only the script whose SHA-256 it
//! names. Every text from a scan is HTML-escaped where it is markup, and JSON-escaped
//! (`<`, `>`, `&` as `\u003c`...) where it is data, so a host name or title can never
//! open a tag or end the data block. The script builds the matrix with `textContent`
//! and attributes only, never `innerHTML`.
//!
//! Order: readiness and what blocks it; the fleet figure and CAT I/II/III open counts;
//! the control x host matrix (failing controls first, filterable, rendered a visible
//! window at a time so 1,000 hosts x 800 controls stays fast); per-host bars with links
//! to each host's checklists; the POA&M items linking to their matrix row and hosts.
//! The matrix data is compact (one status letter per host per control), about 1 MB at
//! 1,000 x 800. The filter state lives in the URL fragment (`#status=Fail&host=web`), so
//! a filtered view can be linked, and a headless browser can be shown one.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::host_counts;
use crate::attest::{effective_status, AttestationFile};
use crate::control_view::{cat, FleetView};
use crate::fleet_summary::matrix;
use crate::model::{Severity, Status};
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

/// Escapes text for a URL fragment value (what the page's script decodes).
fn frag(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// How many blocking controls are shown per flag (the manifest lists all).
const SHOW_BLOCKING: usize = 50;
/// Longer lists than this are folded in a `<details>` element.
const FOLD_BLOCKING: usize = 5;
/// How many hosts a POA&M item links by name; the rest are one link to its matrix row.
const SHOW_ITEM_HOSTS: usize = 12;

/// The page's stylesheet and script, kept as files so they read as CSS and JS.
const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Where the package keeps each host's checklists, relative to `06_Index/`.
const CHECKLISTS_FROM_INDEX: &str = "../02_Checklists";

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

/// Width of a compliance bar, in tenths of a percent, computed in integers.
fn bar_permille(pass: usize, fail: usize) -> usize {
    (pass * 1000 + (pass + fail) / 2)
        .checked_div(pass + fail)
        .unwrap_or(0)
}

fn cat_index(s: Option<Severity>) -> Option<usize> {
    s.map(|s| match s {
        Severity::High => 0,
        Severity::Medium => 1,
        Severity::Low => 2,
    })
}

/// JSON text safe inside a `<script>` element: no `<`, `>` or `&` (escaped as `\u00XX`,
/// which JSON allows only inside strings, where they are).
fn script_json(v: &serde_json::Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned());
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The matrix data the script renders from: hosts, controls `[id, title, CAT, benchmark
/// index]`, benchmarks, and per control one letter per host (`P` Pass, `F` Fail, `A` NA,
/// `R` NR, `-` not on that host).
fn matrix_data(i: &HtmlInput<'_>) -> (String, Vec<String>) {
    let m = matrix(i.fleet, i.attestations);
    let mut benchmarks: Vec<&str> = i
        .fleet
        .rules
        .values()
        .map(|r| r.benchmark_id.as_str())
        .collect();
    benchmarks.sort_unstable();
    benchmarks.dedup();
    let controls: Vec<serde_json::Value> = m
        .controls
        .iter()
        .map(|id| {
            let r = i.fleet.rule(id);
            let bench = r
                .and_then(|r| benchmarks.binary_search(&r.benchmark_id.as_str()).ok())
                .unwrap_or(0);
            serde_json::json!([
                id,
                r.map(|r| r.title.as_str()).unwrap_or(""),
                r.and_then(|r| r.severity).map(cat).unwrap_or(""),
                bench
            ])
        })
        .collect();
    let cells: Vec<String> = (0..m.controls.len())
        .map(|row| {
            m.row(row)
                .iter()
                .map(|s| match s {
                    Some(Status::NotAFinding) => 'P',
                    Some(Status::Open) => 'F',
                    Some(Status::NotApplicable) => 'A',
                    Some(Status::NotReviewed) => 'R',
                    None => '-',
                })
                .collect()
        })
        .collect();
    let hosts: Vec<&str> = i.fleet.hosts.iter().map(|h| h.name.as_str()).collect();
    let data = serde_json::json!({
        "hosts": hosts,
        "controls": controls,
        "benchmarks": benchmarks,
        "cells": cells,
    });
    (
        script_json(&data),
        benchmarks.into_iter().map(str::to_owned).collect(),
    )
}

pub fn render(i: &HtmlInput<'_>) -> String {
    let r = i.readiness;
    let (data, benchmarks) = matrix_data(i);
    let script_hash = {
        use base64_lite::encode;
        encode(&Sha256::digest(JS.as_bytes()))
    };
    let mut h = String::with_capacity(data.len() + 64 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        h,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; connect-src 'none'; img-src 'none'; font-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; worker-src 'none'; form-action 'none'; base-uri 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'\">"
    );
    h.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        h,
        "<title>STIG fleet report: {} ({})</title>",
        esc(i.system),
        esc(i.exported_at)
    );
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(
        h,
        "<header><h1>STIG fleet report: {}</h1>\n<p>Exported at {} from {} host(s), {} control result(s).</p></header>",
        esc(i.system),
        esc(i.exported_at),
        i.fleet.hosts.len(),
        i.fleet.control_count()
    );
    readiness_section(&mut h, r);

    // Per-host counts once, for the fleet figure and the host table.
    let mut total = [0usize; 4];
    let mut cat_open_total = [0usize; 3];
    let mut per_host = Vec::with_capacity(i.fleet.hosts.len());
    for host in &i.fleet.hosts {
        let n = host_counts(host, i.attestations);
        let mut att = i.attestations.host(&host.name).in_order();
        let mut cats = [0usize; 3];
        for c in &host.controls {
            if effective_status(c.status, att.get(&c.control_id)) == Status::Open {
                if let Some(k) = cat_index(c.effective_severity()) {
                    cats[k] += 1;
                }
            }
        }
        for k in 0..4 {
            total[k] += n[k];
        }
        for k in 0..3 {
            cat_open_total[k] += cats[k];
        }
        per_host.push((n, cats));
    }
    let _ = writeln!(
        h,
        "<section id=\"fleet\"><h2>Fleet</h2>\n<div class=\"figures\">\
<div class=\"fig\"><b id=\"fleet-compliance\">{}</b><span>compliance (pooled)</span></div>\
<div class=\"fig cat1\"><b id=\"open-cat1\">{}</b><span>CAT I open</span></div>\
<div class=\"fig cat2\"><b id=\"open-cat2\">{}</b><span>CAT II open</span></div>\
<div class=\"fig cat3\"><b id=\"open-cat3\">{}</b><span>CAT III open</span></div>\
<div class=\"fig\"><b>{}</b><span>Pass</span></div><div class=\"fig\"><b>{}</b><span>Fail</span></div>\
<div class=\"fig\"><b>{}</b><span>NA</span></div><div class=\"fig\"><b>{}</b><span>NR</span></div></div>\n\
<p class=\"note\">Compliance = Pass / (Pass + Fail); NA and NR count in neither. The fleet figure pools every control of every host (not an average of host figures). Statuses are after the precedence rule and answered attestations.</p></section>",
        pct(total[0], total[1]),
        cat_open_total[0],
        cat_open_total[1],
        cat_open_total[2],
        total[0],
        total[1],
        total[2],
        total[3],
    );

    matrix_section(&mut h, &benchmarks);
    h.push_str("<script id=\"matrix-data\" type=\"application/json\">");
    h.push_str(&data);
    h.push_str("</script>\n");

    let _ = writeln!(
        h,
        "<section id=\"hosts\"><h2>Hosts ({})</h2>\n<table class=\"hosts\">\n<thead><tr><th>Host</th><th>Compliance</th><th class=\"n\">Controls</th><th class=\"n\">Pass</th><th class=\"n\">Fail</th><th class=\"n\">NA</th><th class=\"n\">NR</th><th class=\"n\">CAT I open</th><th class=\"n\">CAT II open</th><th class=\"n\">CAT III open</th><th>Checklists</th></tr></thead>\n<tbody>",
        i.fleet.hosts.len()
    );
    for (k, (host, (n, cats))) in i.fleet.hosts.iter().zip(&per_host).enumerate() {
        let permille = bar_permille(n[0], n[1]);
        let _ = writeln!(
            h,
            "<tr id=\"host-{k}\"><td><a href=\"#host={}\" title=\"Show this host in the matrix\">{}</a></td><td><span class=\"bar\"><span style=\"width:{}.{}%\"></span></span> {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><a href=\"{CHECKLISTS_FROM_INDEX}/{}/\">02_Checklists/{}/</a></td></tr>",
            frag(&host.name),
            esc(&host.name),
            permille / 10,
            permille % 10,
            pct(n[0], n[1]),
            host.controls.len(),
            n[0],
            n[1],
            n[2],
            n[3],
            cats[0],
            cats[1],
            cats[2],
            frag(&host.name),
            esc(&host.name),
        );
    }
    let _ = writeln!(
        h,
        "</tbody>\n<tfoot><tr><th>Fleet (pooled)</th><th><span class=\"bar\"><span style=\"width:{}.{}%\"></span></span> {}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th></th></tr></tfoot>\n</table></section>",
        bar_permille(total[0], total[1]) / 10,
        bar_permille(total[0], total[1]) % 10,
        pct(total[0], total[1]),
        total.iter().sum::<usize>(),
        total[0],
        total[1],
        total[2],
        total[3],
        cat_open_total[0],
        cat_open_total[1],
        cat_open_total[2],
    );

    poam_section(&mut h, i);
    h.push_str("<footer><p>Files: control_evidence_index.csv (every control on every host), fleet_summary.csv (this matrix), control_to_scan_source.csv, na_scope_filter_report.csv; POA&amp;M in ../03_POAM; attestations in ../05_Attestations. This page makes no network request: its policy forbids every fetch.</p></footer>\n");
    let _ = writeln!(h, "<script>{JS}</script>\n</body>\n</html>");
    h
}

fn readiness_section(h: &mut String, r: &Readiness) {
    let verdict = if r.is_ready {
        ("ok", "READY")
    } else {
        ("no", "NOT READY")
    };
    let _ = writeln!(
        h,
        "<section id=\"readiness\"><h2>Submission readiness: <span id=\"verdict\" class=\"{}\">{}</span></h2>\n<table>\n<tr><th>Check</th><th>Result</th><th>What makes it fail</th></tr>",
        verdict.0, verdict.1
    );
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
    // Rows for hosts left out and the eMASS workbook only when they fail (as in the
    // manifest, where they are absent when true).
    let unread = (!r.all_hosts_read).then_some((
        "Every host read (hosts left out)",
        false,
        &r.blocking.unreadable_hosts,
    ));
    let workbook = (!r.poam_workbook).then_some((
        "eMASS workbook (poam.xlsx) passes its template's rules",
        false,
        &r.blocking.poam_workbook,
    ));
    for (name, ok, list) in flags.into_iter().chain(unread).chain(workbook) {
        let mut shown: Vec<String> = list.iter().take(SHOW_BLOCKING).map(|s| esc(s)).collect();
        if list.len() > SHOW_BLOCKING {
            shown.push(format!(
                "... and {} more (see manifest.json)",
                list.len() - SHOW_BLOCKING
            ));
        }
        // A long list folds away, so the matrix stays in view; its summary names the count.
        let what = if list.len() > FOLD_BLOCKING {
            format!(
                "<details><summary>{} item(s): {}, ...</summary>{}</details>",
                list.len(),
                shown[..FOLD_BLOCKING.min(3)].join(", "),
                shown.join("<br>")
            )
        } else {
            shown.join("<br>")
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(name),
            if ok { "ok" } else { "no" },
            if ok { "pass" } else { "FAIL" },
            what
        );
    }
    h.push_str("</table></section>\n");
}

fn matrix_section(h: &mut String, benchmarks: &[String]) {
    h.push_str("<section id=\"matrix\"><h2>Control x host matrix</h2>\n<form id=\"mx-filters\" class=\"filters\" autocomplete=\"off\">\
<label>Host <input id=\"f-host\" name=\"host\" type=\"search\" placeholder=\"name contains\"></label>\
<label>CAT <select id=\"f-cat\" name=\"cat\"><option value=\"\">all</option><option>I</option><option>II</option><option>III</option></select></label>\
<label>Status <select id=\"f-status\" name=\"status\"><option value=\"\">any</option><option>Fail</option><option>NR</option><option>NA</option><option>Pass</option></select></label>\
<label>Benchmark <select id=\"f-bench\" name=\"bench\"><option value=\"\">all</option>");
    for b in benchmarks {
        let _ = write!(h, "<option>{}</option>", esc(b));
    }
    h.push_str("</select></label>\
<label>Search <input id=\"f-q\" name=\"q\" type=\"search\" placeholder=\"control id or title\"></label>\
<label>Controls <select id=\"f-sort\" name=\"sort\"><option value=\"fail\">failing first</option><option value=\"id\">by id</option><option value=\"cat\">by CAT</option></select></label>\
<label>Hosts <select id=\"f-hsort\" name=\"hsort\"><option value=\"name\">by name</option><option value=\"fail\">most failing first</option></select></label>\
<a href=\"#all\" id=\"f-reset\">reset</a></form>\n\
<p class=\"legend\"><span class=\"c F\">F</span> Fail (Open) <span class=\"c R\">NR</span> Not reviewed <span class=\"c A\">NA</span> Not applicable <span class=\"c P\">P</span> Pass <span class=\"c X\"></span> not on that host. A row's status filter keeps controls with that status on at least one shown host.</p>\n\
<p id=\"mx-status\" aria-live=\"polite\">The matrix needs JavaScript; fleet_summary.csv holds the same cells.</p>\n\
<div id=\"mx\"><div id=\"mx-corner\"></div><div id=\"mx-colh\"><div id=\"mx-colh-in\"></div></div><div id=\"mx-rowh\"><div id=\"mx-rowh-in\"></div></div><div id=\"mx-body\" tabindex=\"0\"><div id=\"mx-spacer\"><table id=\"mx-cells\"><tbody></tbody></table></div></div></div>\n</section>\n");
}

fn poam_section(h: &mut String, i: &HtmlInput<'_>) {
    let host_index = |name: &str| {
        i.fleet
            .hosts
            .binary_search_by(|x| x.name.as_str().cmp(name))
            .ok()
    };
    let _ = writeln!(
        h,
        "<section id=\"poam\"><h2>POA&amp;M items ({})</h2>\n<table>\n<tr><th class=\"n\">Item</th><th>CAT</th><th>Vuln ID</th><th>Title</th><th>Hosts</th><th>Due</th></tr>",
        i.poam.items.len()
    );
    for item in &i.poam.items {
        let names = item.host_names();
        let mut links: Vec<String> = names
            .iter()
            .take(SHOW_ITEM_HOSTS)
            .map(|n| match host_index(n) {
                Some(k) => format!("<a href=\"#host-{k}\">{}</a>", esc(n)),
                None => esc(n),
            })
            .collect();
        let row = format!("#c={}&amp;status=Fail", frag(&item.control_id));
        if names.len() > SHOW_ITEM_HOSTS {
            links.push(format!(
                "<a href=\"{row}\">... and {} more (matrix row)</a>",
                names.len() - SHOW_ITEM_HOSTS
            ));
        }
        let _ = writeln!(
            h,
            "<tr id=\"poam-{}\"><td class=\"n\">{}</td><td>{}</td><td><a href=\"{row}\" title=\"Show in the matrix\">{}</a></td><td>{}</td><td>{} host(s): {}</td><td>{}</td></tr>",
            item.item_id,
            item.item_id,
            esc(&item.cat),
            esc(&item.vuln_id),
            esc(&item.title),
            names.len(),
            links.join(", "),
            esc(&item.scheduled_completion)
        );
    }
    h.push_str("</table></section>\n");
}

/// Standard base64 for the CSP hash (the crate has no base64 dependency; 40 lines are
/// cheaper than one in a guest).
mod base64_lite {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[cfg(test)]
    #[test]
    fn known_vectors() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"f"), "Zg==");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(encode(b"foo"), "Zm9v");
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
    }
}
