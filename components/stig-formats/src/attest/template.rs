//! The attestation template CSV and its instructions.
//!
//! The header keeps STIGForge's column names (so an operator's existing sheets and muscle
//! memory work) and adds the identifying columns in front. Values a host controls (host
//! name, titles) go through the spreadsheet-safe writer.

use super::AttestationFile;
use crate::tabular;

pub const COL_HOST: &str = "Host";
pub const COL_CONTROL: &str = "Control ID";
pub const COL_RULE: &str = "Rule ID";
pub const COL_BENCHMARK: &str = "Benchmark";
pub const COL_TITLE: &str = "Title";
pub const COL_NAME: &str = "Attestor Name";
pub const COL_ROLE: &str = "Attestor Role";
pub const COL_DATE: &str = "Attestation Date (YYYY-MM-DD)";
pub const COL_STATUS: &str =
    "Compliance Status (Compliant/NonCompliant/PartiallyCompliant/RiskAccepted)";
pub const COL_EVIDENCE: &str = "Compliance Evidence";
pub const COL_LIMITS: &str = "Known Limitations";
pub const COL_NEXT: &str = "Next Review Date (YYYY-MM-DD)";

pub const HEADER: [&str; 12] = [
    COL_HOST,
    COL_CONTROL,
    COL_RULE,
    COL_BENCHMARK,
    COL_TITLE,
    COL_NAME,
    COL_ROLE,
    COL_DATE,
    COL_STATUS,
    COL_EVIDENCE,
    COL_LIMITS,
    COL_NEXT,
];

/// `attestation_template.csv`: one row per record, answers pre-filled where known.
pub fn template_csv(file: &AttestationFile) -> String {
    let rows: Vec<Vec<&str>> = file
        .attestations
        .iter()
        .map(|a| {
            let status = match a.status {
                super::AttestationStatus::Pending => "",
                s => s.as_str(),
            };
            vec![
                a.host.as_str(),
                &a.control_id,
                &a.rule_id,
                &a.benchmark_id,
                &a.title,
                &a.attestor_name,
                &a.attestor_role,
                &a.attestation_date,
                status,
                &a.compliance_evidence,
                &a.known_limitations,
                &a.next_review_date,
            ]
        })
        .collect();
    tabular::document(&HEADER, &rows)
}

/// `INSTRUCTIONS.txt`.
pub fn instructions(file: &AttestationFile) -> String {
    let pending = file
        .attestations
        .iter()
        .filter(|a| !a.is_complete())
        .count();
    format!(
        "ATTESTATIONS: controls no scanner could decide\n\
         ===============================================\n\
         \n\
         {total} control(s) on the hosts of this package were reported Not_Reviewed by every\n\
         scanner. Each needs a human attestation before the package is ready. {pending} are\n\
         still pending.\n\
         \n\
         1. Open attestation_template.csv in a spreadsheet or text editor.\n\
         2. For every row fill in:\n\
            - {name}: who attests (required).\n\
            - {role}: the attestor's role (e.g. ISSO, system administrator).\n\
            - {date}: ISO date, e.g. 2025-01-31 (required; no other date form is accepted).\n\
            - {status}: exactly one of Compliant, NonCompliant, PartiallyCompliant,\n\
              RiskAccepted. NonCompliant and PartiallyCompliant controls get an Ongoing\n\
              POA&M item; RiskAccepted (only once the AO has accepted the risk) gets a\n\
              Risk Accepted item with no milestones, whose comment is this row's attestor,\n\
              role, date, evidence and known limitations: say there who accepted the risk\n\
              and why (e.g. the AO's memo).\n\
            - {evidence}: what shows the answer is true (file names under 04_Evidence or text).\n\
            - {limits}: anything the attestation does not cover.\n\
            - {next}: ISO date of the next review (optional).\n\
            Rows left blank (no status) or marked Pending stay pending.\n\
            The Host column may be left empty to answer a control for every host that has it.\n\
         3. Import it:  stigpack import-attestations --package <this package> --file <csv>\n\
            The import checks every row (statuses, dates, unknown control ids or hosts are\n\
            errors naming the row) and writes a NEW, fully re-hashed package; this one is left\n\
            untouched.\n\
         \n\
         Columns are found by the start of their header, so the header suffixes in\n\
         parentheses may be dropped. UTF-8 with or without BOM, LF or CRLF line ends, and quoted\n\
         cells with commas or line breaks are all accepted.\n",
        total = file.attestations.len(),
        name = COL_NAME,
        role = COL_ROLE,
        date = COL_DATE,
        status = COL_STATUS,
        evidence = COL_EVIDENCE,
        limits = COL_LIMITS,
        next = COL_NEXT,
    )
}
