//! The package indexes (`06_Index/`): where each control's answer came from.
//!
//! - `control_evidence_index.csv`: one row per control per host with the decided status
//!   (precedence rule of [`crate::control_view`], then any answered attestation),
//!   NA reason and origin, evidence paths, scan sources and last scan time. The first
//!   columns after `Host` are STIGForge's (`VulnId,RuleId,Title,Severity,Status,NaReason,
//!   NaOrigin,EvidencePaths,ScanSources,LastVerified`); `Benchmark`, `ScanStatus` and
//!   `Attestation` follow so every cross-check the validator makes is possible from the
//!   file alone.
//! - `control_to_scan_source.csv`: one row per control per host per scan file.
//! - `na_scope_filter_report.csv`: one row per Not_Applicable control per host, with the
//!   reason the scanner or reviewer gave.
//! - `index.html`: a self-contained summary ([`html`]).
//!
//! Multi-valued cells (paths) are separated by line breaks: package paths never contain
//! one (the hash list refuses them), so the split is unambiguous.

pub mod html;

use crate::attest::{effective_status, AttestationFile};
use crate::control_view::{
    ckl_status, severity_word, ControlResult, FleetView, HostView, RuleMeta,
};
use crate::evidence::Evidence;
use crate::model::Status;
use crate::tabular;

pub const EVIDENCE_INDEX_HEADER: [&str; 14] = [
    "Host",
    "VulnId",
    "RuleId",
    "Title",
    "Severity",
    "Status",
    "NaReason",
    "NaOrigin",
    "EvidencePaths",
    "ScanSources",
    "LastVerified",
    "Benchmark",
    "ScanStatus",
    "Attestation",
];

pub const SCAN_SOURCE_HEADER: [&str; 8] = [
    "Host",
    "VulnId",
    "RuleId",
    "Benchmark",
    "SourceFile",
    "Tool",
    "ScannedAt",
    "SourceStatus",
];

pub const NA_HEADER: [&str; 8] = [
    "Host",
    "VulnId",
    "RuleId",
    "Title",
    "Severity",
    "NaReason",
    "NaOrigin",
    "SourceFile",
];

/// Where scan files live in the package (the raw inputs, byte for byte).
pub const SCANS_DIR: &str = "01_Scans";
/// Where evidence lives in the package.
pub const EVIDENCE_DIR: &str = "04_Evidence";

fn vuln_id(meta: Option<&RuleMeta>) -> &str {
    meta.map(|m| m.vuln_id.as_str()).unwrap_or_default()
}

/// A cell of package paths, `dir/path` each, one per line, into `cell` (emptied
/// first): the index writes two a row, a million rows at 1,000 hosts.
fn paths_cell(cell: &mut String, dir: &str, paths: &[&str]) {
    cell.clear();
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            cell.push('\n');
        }
        cell.push_str(dir);
        cell.push('/');
        cell.push_str(p);
    }
}

fn deciding_source<'a>(
    host: &'a HostView,
    c: &ControlResult,
) -> Option<&'a crate::model::ScanSource> {
    c.sources
        .iter()
        .find(|h| h.status == c.status)
        .map(|h| &host.sources[h.source])
}

fn na_reason(c: &ControlResult) -> String {
    let text = if c.finding_details.trim().is_empty() {
        c.comments.trim()
    } else {
        c.finding_details.trim()
    };
    if text.is_empty() {
        "(no reason recorded by the source)".to_owned()
    } else {
        text.to_owned()
    }
}

fn na_origin(host: &HostView, c: &ControlResult) -> String {
    match deciding_source(host, c) {
        Some(s) if s.tool.is_empty() => format!("{SCANS_DIR}/{}", s.file),
        Some(s) => format!("{} ({SCANS_DIR}/{})", s.tool, s.file),
        None => String::new(),
    }
}

/// `control_evidence_index.csv`.
pub fn control_evidence_index(
    fleet: &FleetView,
    attestations: &AttestationFile,
    evidence: &Evidence,
) -> String {
    let mut all = String::new();
    control_evidence_index_parts(fleet, attestations, evidence, &mut |p| all.push_str(p));
    all
}

/// [`control_evidence_index`] handed to `part` in consecutive pieces of about
/// [`tabular::PART_BYTES`] (a row per host and control: never held whole).
pub fn control_evidence_index_parts(
    fleet: &FleetView,
    attestations: &AttestationFile,
    evidence: &Evidence,
    part: &mut dyn FnMut(&str),
) {
    let mut out = String::new();
    // The two path cells of a row, their buffers kept from row to row.
    let (mut ev_cell, mut scans_cell) = (String::new(), String::new());
    tabular::push_record(&mut out, &EVIDENCE_INDEX_HEADER);
    for host in &fleet.hosts {
        let mut host_att = attestations.host(&host.name).in_order();
        let mut rules = fleet.rules_in_order();
        for c in &host.controls {
            let att = host_att.get(&c.control_id);
            let status = effective_status(c.status, att);
            let meta = rules.get(&c.control_id);
            let (reason, origin) = if status == Status::NotApplicable {
                (na_reason(c), na_origin(host, c))
            } else {
                (String::new(), String::new())
            };
            let ev = evidence.for_control(&host.name, &c.control_id, &c.rule_id);
            paths_cell(&mut ev_cell, EVIDENCE_DIR, &ev);
            let mut scans: Vec<&str> = c
                .sources
                .iter()
                .map(|h| host.sources[h.source].file.as_str())
                .collect();
            scans.sort_unstable();
            scans.dedup();
            paths_cell(&mut scans_cell, SCANS_DIR, &scans);
            let last_verified = host.last_verified(c);
            let row: [&str; 14] = [
                &host.name,
                vuln_id(meta),
                &c.rule_id,
                meta.map(|m| m.title.as_str()).unwrap_or(""),
                c.effective_severity().map(severity_word).unwrap_or(""),
                ckl_status(status),
                &reason,
                &origin,
                &ev_cell,
                &scans_cell,
                last_verified,
                &c.benchmark_id,
                ckl_status(c.status),
                att.map(|a| a.status.as_str()).unwrap_or(""),
            ];
            tabular::push_record(&mut out, &row);
            tabular::flush_full(&mut out, part);
        }
    }
    part(&out);
}

/// `control_to_scan_source.csv`.
pub fn control_to_scan_source(fleet: &FleetView) -> String {
    let mut all = String::new();
    control_to_scan_source_parts(fleet, &mut |p| all.push_str(p));
    all
}

/// [`control_to_scan_source`] in consecutive pieces (see
/// [`control_evidence_index_parts`]).
pub fn control_to_scan_source_parts(fleet: &FleetView, part: &mut dyn FnMut(&str)) {
    let mut out = String::new();
    let mut file = String::new();
    tabular::push_record(&mut out, &SCAN_SOURCE_HEADER);
    for host in &fleet.hosts {
        let mut rules = fleet.rules_in_order();
        for c in &host.controls {
            let vid = vuln_id(rules.get(&c.control_id));
            for hit in &c.sources {
                let s = &host.sources[hit.source];
                paths_cell(&mut file, SCANS_DIR, &[s.file.as_str()]);
                tabular::push_record(
                    &mut out,
                    &[
                        host.name.as_str(),
                        vid,
                        &c.rule_id,
                        &c.benchmark_id,
                        &file,
                        &s.tool,
                        &s.scanned_at,
                        ckl_status(hit.status),
                    ],
                );
            }
            tabular::flush_full(&mut out, part);
        }
    }
    part(&out);
}

/// `na_scope_filter_report.csv`.
pub fn na_scope_filter_report(fleet: &FleetView) -> String {
    let mut all = String::new();
    na_scope_filter_report_parts(fleet, &mut |p| all.push_str(p));
    all
}

/// [`na_scope_filter_report`] in consecutive pieces (see
/// [`control_evidence_index_parts`]).
pub fn na_scope_filter_report_parts(fleet: &FleetView, part: &mut dyn FnMut(&str)) {
    let mut out = String::new();
    tabular::push_record(&mut out, &NA_HEADER);
    for host in &fleet.hosts {
        let mut rules = fleet.rules_in_order();
        for c in &host.controls {
            if c.status != Status::NotApplicable {
                continue;
            }
            let meta = rules.get(&c.control_id);
            let source = deciding_source(host, c)
                .map(|s| format!("{SCANS_DIR}/{}", s.file))
                .unwrap_or_default();
            tabular::push_record(
                &mut out,
                &[
                    host.name.as_str(),
                    vuln_id(meta),
                    &c.rule_id,
                    meta.map(|m| m.title.as_str()).unwrap_or(""),
                    c.effective_severity().map(severity_word).unwrap_or(""),
                    &na_reason(c),
                    &na_origin(host, c),
                    &source,
                ],
            );
            tabular::flush_full(&mut out, part);
        }
    }
    part(&out);
}

/// Status counts of one host after attestations: [NotAFinding, Open, NA, NotReviewed].
pub fn host_counts(host: &HostView, attestations: &AttestationFile) -> [usize; 4] {
    let mut n = [0usize; 4];
    let mut host_att = attestations.host(&host.name).in_order();
    for c in &host.controls {
        let s = effective_status(c.status, host_att.get(&c.control_id));
        n[match s {
            Status::NotAFinding => 0,
            Status::Open => 1,
            Status::NotApplicable => 2,
            Status::NotReviewed => 3,
        }] += 1;
    }
    n
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
