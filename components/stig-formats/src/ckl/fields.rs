//! The CKL field tables both readers share: which element or attribute name fills which
//! model field, and how the parts of a read checklist are joined. They live apart from
//! both readers so that the fast scanner ([`super::fast`]) and the reference reader
//! ([`super::read`]) map every field with the same code, and neither imports the other.

use crate::error::{ErrorKind, Result};
use crate::eval_record;
use crate::model::{
    Asset, BenchmarkInfo, Checklist, Review, Rule, RuleResult, ScanSource, StigChecklist,
};
use crate::status;

/// Joins the parts of a read checklist. Of the comments before `<CHECKLIST>`, the first
/// Evaluate-STIG record is the document's record; the first other comment names the tool
/// (`DISA STIG Viewer :: 2.17`), else the record does (`Evaluate-STIG 1.2310.1`). The
/// scan time is the record's, else the first benchmark record's.
pub(super) fn checklist<S: AsRef<str>>(
    asset: Asset,
    stigs: Vec<StigChecklist>,
    file: &str,
    head_comments: &[S],
) -> Checklist {
    let mut record = None;
    let mut tool = None;
    for c in head_comments {
        match eval_record::from_ckl_comment(c.as_ref()) {
            Some(r) if record.is_none() => record = Some(r),
            Some(_) => {}
            None if tool.is_none() => tool = Some(c.as_ref().trim().to_owned()),
            None => {}
        }
    }
    let tool = tool
        .or_else(|| record.as_ref().and_then(eval_record::tool_name))
        .unwrap_or_default();
    let scanned_at = eval_record::scan_time_of(record.as_ref(), &stigs);
    Checklist {
        asset,
        stigs,
        source: ScanSource {
            file: file.to_owned(),
            tool,
            scanned_at,
        },
        cklb: crate::model::CklbMeta {
            evaluate_stig: record,
            ..Default::default()
        },
    }
}

/// Stores one `ASSET` child by its element name; unknown names are kept in `extra`.
pub(super) fn set_asset_field(
    a: &mut Asset,
    name: &[u8],
    v: String,
) -> std::result::Result<(), ErrorKind> {
    match name {
        b"ROLE" => a.role = v,
        b"ASSET_TYPE" => a.asset_type = v,
        b"MARKING" => a.marking = v,
        b"HOST_NAME" => a.host_name = v,
        b"HOST_IP" => a.host_ip = v,
        b"HOST_MAC" => a.host_mac = v,
        b"HOST_FQDN" => a.host_fqdn = v,
        b"TARGET_COMMENT" => a.target_comment = v,
        b"TECH_AREA" => a.tech_area = v,
        b"TARGET_KEY" => a.target_key = v,
        b"WEB_OR_DATABASE" => {
            let t = v.trim();
            a.web_or_database = if t.eq_ignore_ascii_case("true") {
                true
            } else if t.is_empty() || t.eq_ignore_ascii_case("false") {
                false
            } else {
                return Err(ErrorKind::InvalidValue {
                    field: "ASSET/WEB_OR_DATABASE".into(),
                    value: v,
                    reason: "expected true or false".into(),
                });
            }
        }
        b"WEB_DB_SITE" => a.web_db_site = v,
        b"WEB_DB_INSTANCE" => a.web_db_instance = v,
        other => a
            .extra
            .push((String::from_utf8_lossy(other).into_owned(), v)),
    }
    Ok(())
}

/// The `STIG_INFO` field a `SID_NAME` names; `None` for names STIG Viewer does not know.
pub(super) fn info_slot<'i>(info: &'i mut BenchmarkInfo, sid_name: &str) -> Option<&'i mut String> {
    Some(match sid_name.trim() {
        "version" => &mut info.version,
        "classification" => &mut info.classification,
        "customname" => &mut info.customname,
        "stigid" => &mut info.stigid,
        "description" => &mut info.description,
        "filename" => &mut info.filename,
        "releaseinfo" => &mut info.releaseinfo,
        "title" => &mut info.title,
        "uuid" => &mut info.uuid,
        "notice" => &mut info.notice,
        "source" => &mut info.source,
        _ => return None,
    })
}

/// How errors name a VULN: its Vuln_Num, or its position when it has none.
pub(super) fn vuln_name(rule: &Rule, index: usize) -> String {
    if rule.vuln_num.is_empty() {
        format!("VULN #{}", index + 1)
    } else {
        rule.vuln_num.clone()
    }
}

/// Checks the `Severity` attribute and `SEVERITY_OVERRIDE` spellings and joins the rule
/// with its review. (The context naming the VULN is only built for an error.)
pub(super) fn finish_vuln(
    mut rule: Rule,
    severity: &str,
    severity_override: &str,
    mut review: Review,
    file: &str,
    index: usize,
) -> Result<RuleResult> {
    let parse = |value: &str, what: &str, rule: &Rule| {
        status::severity_from_str(value, file, "").or_else(|_| {
            status::severity_from_str(
                value,
                file,
                &format!("{what} of {}", vuln_name(rule, index)),
            )
        })
    };
    rule.severity = parse(severity, "Severity", &rule)?;
    review.severity_override = parse(severity_override, "SEVERITY_OVERRIDE", &rule)?;
    Ok(RuleResult { rule, review })
}

/// The `VULN_ATTRIBUTE` names the model holds, in the order STIG Viewer writes them (and
/// [`super::write`] does): a reader that expects the next one in this order finds it with
/// one comparison.
pub(super) const ATTRIBUTES: [&str; 27] = [
    "Vuln_Num",
    "Severity",
    "Group_Title",
    "Rule_ID",
    "Rule_Ver",
    "Rule_Title",
    "Vuln_Discuss",
    "IA_Controls",
    "Check_Content",
    "Fix_Text",
    "False_Positives",
    "False_Negatives",
    "Documentable",
    "Mitigations",
    "Potential_Impact",
    "Third_Party_Tools",
    "Mitigation_Control",
    "Responsibility",
    "Security_Override_Guidance",
    "Check_Content_Ref",
    "Weight",
    "Class",
    "STIGRef",
    "TargetKey",
    "STIG_UUID",
    "LEGACY_ID",
    "CCI_REF",
];

/// The position of `name` in [`ATTRIBUTES`]; `None` for attributes STIG Viewer does not
/// know, which carry nothing the model can hold.
pub(super) fn attribute_index(name: &str) -> Option<usize> {
    ATTRIBUTES.iter().position(|a| *a == name)
}

pub(super) fn apply_attribute(rule: &mut Rule, severity: &mut String, name: &str, data: String) {
    if let Some(i) = attribute_index(name) {
        set_attribute(rule, severity, i, data);
    }
}

/// Stores the attribute at position `index` of [`ATTRIBUTES`].
pub(super) fn set_attribute(rule: &mut Rule, severity: &mut String, index: usize, data: String) {
    let slot = match index {
        0 => &mut rule.vuln_num,
        1 => severity,
        2 => &mut rule.group_title,
        3 => &mut rule.rule_id,
        4 => &mut rule.rule_ver,
        5 => &mut rule.rule_title,
        6 => &mut rule.vuln_discuss,
        7 => &mut rule.ia_controls,
        8 => &mut rule.check_content,
        9 => &mut rule.fix_text,
        10 => &mut rule.false_positives,
        11 => &mut rule.false_negatives,
        12 => &mut rule.documentable,
        13 => &mut rule.mitigations,
        14 => &mut rule.potential_impact,
        15 => &mut rule.third_party_tools,
        16 => &mut rule.mitigation_control,
        17 => &mut rule.responsibility,
        18 => &mut rule.security_override_guidance,
        19 => &mut rule.check_content_ref,
        20 => &mut rule.weight,
        21 => &mut rule.class,
        22 => &mut rule.stig_ref,
        23 => &mut rule.target_key,
        24 => &mut rule.stig_uuid,
        25 => {
            rule.legacy_ids.push(data);
            return;
        }
        26 => {
            rule.ccis.push(data);
            return;
        }
        _ => return,
    };
    *slot = data;
}
