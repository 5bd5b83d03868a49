//! THE status normaliser of the project: every string that claims to be a review status,
//! whatever tool wrote it, becomes a [`Status`] here or an error naming the file and the
//! value. There is deliberately no fallback: a silently defaulted status would turn an
//! unknown scanner value into a compliance claim.
//!
//! Mapping of XCCDF rule-result values follows STIG Manager (see
//! `shared/reference/formats.md`): pass/fixed -> NotAFinding, fail -> Open,
//! notapplicable -> Not_Applicable, notchecked/unknown/error/notselected/informational ->
//! Not_Reviewed.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Severity, Status};

const CKL_EXPECTED: &str = "NotAFinding, Open, Not_Applicable, Not_Reviewed";
const CKLB_EXPECTED: &str = "not_a_finding, open, not_applicable, not_reviewed";
const XCCDF_EXPECTED: &str =
    "pass, fixed, fail, notapplicable, notchecked, unknown, error, notselected, informational";

fn unknown(file: &str, format: &'static str, value: &str, expected: &'static str) -> Error {
    Error::new(
        file,
        ErrorKind::UnknownStatus {
            format,
            value: value.to_owned(),
            expected,
        },
    )
}

/// A CKL `<STATUS>` value. Exactly STIG Viewer's four spellings (surrounding whitespace
/// from pretty-printers is tolerated); STIG Viewer 2.7.1+ rejects anything else.
pub fn from_ckl(value: &str, file: &str) -> Result<Status> {
    match value.trim() {
        "NotAFinding" => Ok(Status::NotAFinding),
        "Open" => Ok(Status::Open),
        "Not_Applicable" => Ok(Status::NotApplicable),
        "Not_Reviewed" => Ok(Status::NotReviewed),
        _ => Err(unknown(file, "CKL", value, CKL_EXPECTED)),
    }
}

/// A CKLB rule `status` value.
pub fn from_cklb(value: &str, file: &str) -> Result<Status> {
    match value.trim() {
        "not_a_finding" => Ok(Status::NotAFinding),
        "open" => Ok(Status::Open),
        "not_applicable" => Ok(Status::NotApplicable),
        "not_reviewed" => Ok(Status::NotReviewed),
        _ => Err(unknown(file, "CKLB", value, CKLB_EXPECTED)),
    }
}

/// An XCCDF `rule-result/result` value (XCCDF 1.1 and 1.2 share the vocabulary).
pub fn from_xccdf(value: &str, file: &str) -> Result<Status> {
    match value.trim() {
        "pass" | "fixed" => Ok(Status::NotAFinding),
        "fail" => Ok(Status::Open),
        "notapplicable" => Ok(Status::NotApplicable),
        "notchecked" | "unknown" | "error" | "notselected" | "informational" => {
            Ok(Status::NotReviewed)
        }
        _ => Err(unknown(file, "XCCDF rule-result", value, XCCDF_EXPECTED)),
    }
}

/// An Evaluate-STIG `SummaryReport.xml` `Vuln/@Status` value. Evaluate-STIG writes the
/// CKL spellings; its summary also has empty `PreAFStatus` values, which are not statuses
/// and must not be passed here.
pub fn from_evaluate_stig(value: &str, file: &str) -> Result<Status> {
    match value.trim() {
        "NotAFinding" => Ok(Status::NotAFinding),
        "Open" => Ok(Status::Open),
        "Not_Applicable" => Ok(Status::NotApplicable),
        "Not_Reviewed" => Ok(Status::NotReviewed),
        _ => Err(unknown(file, "Evaluate-STIG", value, CKL_EXPECTED)),
    }
}

/// The CKL spelling of a status.
pub fn to_ckl(status: Status) -> &'static str {
    match status {
        Status::NotAFinding => "NotAFinding",
        Status::Open => "Open",
        Status::NotApplicable => "Not_Applicable",
        Status::NotReviewed => "Not_Reviewed",
    }
}

/// The CKLB spelling of a status.
pub fn to_cklb(status: Status) -> &'static str {
    match status {
        Status::NotAFinding => "not_a_finding",
        Status::Open => "open",
        Status::NotApplicable => "not_applicable",
        Status::NotReviewed => "not_reviewed",
    }
}

/// A severity as the files write it (`high|medium|low`). Case is tolerated because some
/// tools capitalise it; an empty value is `None` (no severity / no override).
pub fn severity_from_str(value: &str, file: &str, context: &str) -> Result<Option<Severity>> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.eq_ignore_ascii_case("high") {
        Ok(Some(Severity::High))
    } else if v.eq_ignore_ascii_case("medium") {
        Ok(Some(Severity::Medium))
    } else if v.eq_ignore_ascii_case("low") {
        Ok(Some(Severity::Low))
    } else {
        Err(Error::new(
            file,
            ErrorKind::UnknownSeverity {
                value: value.to_owned(),
                context: context.to_owned(),
            },
        ))
    }
}

/// The file spelling of a severity.
pub fn severity_to_str(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::High) => "high",
        Some(Severity::Medium) => "medium",
        Some(Severity::Low) => "low",
        None => "",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_format_maps_all_four_statuses_and_round_trips() {
        for s in [
            Status::NotAFinding,
            Status::Open,
            Status::NotApplicable,
            Status::NotReviewed,
        ] {
            assert_eq!(from_ckl(to_ckl(s), "f").unwrap(), s);
            assert_eq!(from_cklb(to_cklb(s), "f").unwrap(), s);
            assert_eq!(from_evaluate_stig(to_ckl(s), "f").unwrap(), s);
        }
    }

    #[test]
    fn xccdf_table_matches_formats_md() {
        let table = [
            ("pass", Status::NotAFinding),
            ("fixed", Status::NotAFinding),
            ("fail", Status::Open),
            ("notapplicable", Status::NotApplicable),
            ("notchecked", Status::NotReviewed),
            ("unknown", Status::NotReviewed),
            ("error", Status::NotReviewed),
            ("notselected", Status::NotReviewed),
            ("informational", Status::NotReviewed),
        ];
        for (v, s) in table {
            assert_eq!(from_xccdf(v, "r.xml").unwrap(), s, "{v}");
        }
    }

    #[test]
    fn unknown_values_are_errors_naming_file_and_value() {
        for (r, v) in [
            (from_ckl("Passed", "a.ckl"), "Passed"),
            (from_ckl("open", "a.ckl"), "open"),
            (from_ckl("", "a.ckl"), ""),
            (from_cklb("NotAFinding", "a.ckl"), "NotAFinding"),
            (from_xccdf("PASS", "a.ckl"), "PASS"),
            (from_evaluate_stig("Compliant", "a.ckl"), "Compliant"),
        ] {
            let e = r.unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("a.ckl: "), "{msg}");
            assert!(msg.contains(&format!("{v:?}")), "{msg}");
        }
    }

    #[test]
    fn severity_strict() {
        assert_eq!(
            severity_from_str("High", "f", "x").unwrap(),
            Some(Severity::High)
        );
        assert_eq!(severity_from_str("", "f", "x").unwrap(), None);
        assert!(severity_from_str("critical", "f", "x")
            .unwrap_err()
            .to_string()
            .contains("critical"));
    }
}
