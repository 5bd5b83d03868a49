//! DISA puts most of a rule's prose in one `<description>` whose text is itself escaped
//! pseudo-XML: `<VulnDiscussion>..</VulnDiscussion><FalsePositives>..`. It is not
//! well-formed XML (discussions contain bare `<` and `&`), so it is split by plain string
//! search for each known tag, never parsed as markup.

use crate::model::Rule;

/// Finds `<tag>...</tag>` in `blob` and returns the inner text.
fn field<'a>(blob: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = blob.find(&open)? + open.len();
    let len = blob[start..].find(&close)?;
    Some(&blob[start..start + len])
}

/// Fills the rule's description-derived fields from the blob.
pub(crate) fn apply(rule: &mut Rule, blob: &str) {
    let set = |slot: &mut String, tag: &str| {
        if let Some(v) = field(blob, tag) {
            *slot = v.to_owned();
        }
    };
    set(&mut rule.vuln_discuss, "VulnDiscussion");
    set(&mut rule.false_positives, "FalsePositives");
    set(&mut rule.false_negatives, "FalseNegatives");
    set(&mut rule.documentable, "Documentable");
    set(&mut rule.mitigations, "Mitigations");
    set(
        &mut rule.security_override_guidance,
        "SeverityOverrideGuidance",
    );
    set(&mut rule.potential_impact, "PotentialImpacts");
    set(&mut rule.third_party_tools, "ThirdPartyTools");
    set(&mut rule.mitigation_control, "MitigationControl");
    set(&mut rule.responsibility, "Responsibility");
    set(&mut rule.ia_controls, "IAControls");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fields_and_keeps_bare_markup_in_text() {
        let blob = "<VulnDiscussion>If a < b & <On> is set\n\nmore</VulnDiscussion>\
                    <FalsePositives></FalsePositives><Documentable>false</Documentable>\
                    <SeverityOverrideGuidance>x</SeverityOverrideGuidance><IAControls>ECSC-1</IAControls>";
        let mut r = Rule::default();
        apply(&mut r, blob);
        assert_eq!(r.vuln_discuss, "If a < b & <On> is set\n\nmore");
        assert_eq!(r.documentable, "false");
        assert_eq!(r.security_override_guidance, "x");
        assert_eq!(r.ia_controls, "ECSC-1");
        assert_eq!(r.mitigations, "");
    }
}
