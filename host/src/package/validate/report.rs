//! The report `validate` hands back: one entry per check that applied (in the order of
//! [`super::CHECKS`]), the readiness re-derived from the contents, the verdict; and its
//! text form. The JSON form is this type serialised.

use std::path::Path;

use serde::Serialize;
use stig_formats::poam::check::WorkbookReport;
use stig_formats::readiness::Readiness;

use super::spec::{Verdict, MAX_FILES};

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub message: String,
    pub files: Vec<String>,
}

impl Check {
    /// The report entry of check `name`.
    pub fn new(name: &str, v: Verdict) -> Check {
        Check {
            name: name.to_owned(),
            passed: v.passed,
            message: v.message,
            files: v.files,
        }
    }
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
    /// Findings that do not make the package invalid (an unsigned package).
    pub warnings: Vec<String>,
    pub readiness: Option<Readiness>,
    /// The pre-upload check of `03_POAM/poam.xlsx` (see the `poam-workbook` check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poam_workbook: Option<WorkbookReport>,
}

impl Report {
    /// The verdict: INVALID when a check failed, READY when the re-derived readiness is
    /// ready and the workbook (if any) passes its template, NOT READY otherwise.
    pub fn new(
        pkg: &Path,
        checks: Vec<Check>,
        warnings: Vec<String>,
        readiness: Option<Readiness>,
        poam_workbook: Option<WorkbookReport>,
    ) -> Report {
        let valid = checks.iter().all(|c| c.passed);
        let ready = valid
            && readiness.as_ref().is_some_and(|r| r.is_ready)
            && poam_workbook.as_ref().is_none_or(|w| w.passed());
        Report {
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
            checks,
            warnings,
            readiness,
            poam_workbook,
        }
    }
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
        if !rd.all_hosts_read {
            s.push_str(&format!(
                "  allHostsRead: false ({} host(s) left out: {})\n",
                rd.blocking.unreadable_hosts.len(),
                rd.blocking.unreadable_hosts.join("; ")
            ));
        }
        if !rd.poam_workbook {
            s.push_str(&format!(
                "  poamWorkbook: false ({} rule(s) of the eMASS template broken, listed below)\n",
                rd.blocking.poam_workbook.len()
            ));
        }
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
    for w in &r.warnings {
        s.push_str(&format!("\nWARNING: {w}"));
    }
    if !r.warnings.is_empty() {
        s.push('\n');
    }
    if let Some(w) = &r.poam_workbook {
        s.push_str(&render_workbook(w));
    }
    s.push_str(&format!("\nVerdict: {}\n", r.verdict));
    s
}

/// The pre-upload check's part of the text report.
pub fn render_workbook(w: &WorkbookReport) -> String {
    let mut s = format!(
        "\nPOA&M workbook (eMASS template {}): {} item(s), {}\n",
        w.template,
        w.items,
        if w.passed() {
            "passes the template's rules".to_owned()
        } else {
            format!("{} problem(s) eMASS would reject", w.problems.len())
        }
    );
    for p in w.problems.iter().take(MAX_FILES) {
        s.push_str(&format!("  {p}\n"));
    }
    if w.problems.len() > MAX_FILES {
        s.push_str(&format!(
            "  ... and {} more\n",
            w.problems.len() - MAX_FILES
        ));
    }
    if !w.missing_profile_fields.is_empty() {
        s.push_str(&format!(
            "  warning (eMASS's import accepts these empty): metadata the template has and the system profile lacks (--system-profile): {}\n",
            w.missing_profile_fields.join(", ")
        ));
    }
    for c in &w.cut_cells {
        s.push_str(&format!(
            "  {c}: cut at Excel's 32,767-character cell limit (the complete text is in poam.json)\n"
        ));
    }
    s
}
