//! Risk acceptance: which open findings become `Risk Accepted` POA&M items, and why.
//!
//! eMASS's Instructions sheets: "Risk Accepted should only be selected once the AO has
//! accepted the risk"; such an item takes no milestones and requires Comments. No
//! checklist format has a field for it, so stigpack reads it from what operators already
//! fill in, with no format change:
//!
//! - an attestation answered `RiskAccepted` (a control no scanner decided; see
//!   [`crate::attest::AttestationStatus::RiskAccepted`]): its attestor, role, date,
//!   evidence and known limitations are the comment;
//! - an Open finding whose review says so: a line of the checklist's COMMENTS, or of the
//!   severity override's justification (CKL `SEVERITY_JUSTIFICATION`, CKLB
//!   `overrides.severity.reason`), that starts with `Risk Accepted:` (any case, leading
//!   white space ignored). Evaluate-STIG answer files write their comment into COMMENTS,
//!   so an answer-file override marks a finding the same way. The text from the marker on
//!   (who accepted, when, why) is the comment.

use crate::control_view::ControlResult;

/// The marker, lower case; matched case-insensitively at the start of a line.
pub const MARKER: &str = "risk accepted:";

/// The text from the first line starting with the marker to the end, trimmed.
pub fn marked(text: &str) -> Option<&str> {
    let mut start = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        let lead = line.len() - line.trim_start().len();
        let body = &line.as_bytes()[lead..];
        if body.len() >= MARKER.len()
            && body[..MARKER.len()].eq_ignore_ascii_case(MARKER.as_bytes())
        {
            return Some(text[start + lead..].trim_end());
        }
        start += line.len();
    }
    None
}

/// Where an Open finding's review accepts its risk, as the item's comments name it, when
/// it does: the COMMENTS (which the comments repeat below), else the severity override's
/// justification (quoted here unless the comments repeat it as an override's).
pub fn of_review(c: &ControlResult) -> Option<String> {
    if marked(&c.comments).is_some() {
        return Some("the checklist's COMMENTS (below)".to_owned());
    }
    let text = marked(&c.severity_justification)?;
    let overridden = c.severity_override.is_some() && c.severity_override != c.raw_severity;
    Some(if overridden {
        "the checklist's severity override justification (below)".to_owned()
    } else {
        format!("the checklist's severity justification: {text}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_found_at_a_line_start_in_any_case() {
        assert_eq!(
            marked("Risk Accepted: AO J. Smith, 2026-10-01, memo 12"),
            Some("Risk Accepted: AO J. Smith, 2026-10-01, memo 12")
        );
        assert_eq!(
            marked("Reviewed.\r\n  RISK ACCEPTED: by the AO\n"),
            Some("RISK ACCEPTED: by the AO")
        );
        for no in [
            "",
            "The AO has not risk accepted: this",
            "Risk Accepted without a colon",
            "risk acc",
        ] {
            assert_eq!(marked(no), None, "{no:?}");
        }
    }
}
