//! CKLB reader: typed serde structs with every field defaulted, so unknown keys are
//! ignored and missing optional ones are empty; only `status` is required per rule.

use serde::Deserialize;

use super::lenient;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Asset, BenchmarkInfo, Checklist, CklbMeta, GroupTreeNode, Review, Rule, RuleResult, ScanSource,
    StigChecklist,
};
use crate::status;
use crate::xml::decode_utf8;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Doc {
    #[serde(deserialize_with = "lenient::string")]
    title: String,
    #[serde(deserialize_with = "lenient::string")]
    id: String,
    stigs: Option<Vec<Stig>>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    active: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    mode: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    has_path: Option<bool>,
    target_data: TargetData,
    #[serde(rename = "evaluate-stig")]
    evaluate_stig: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TargetData {
    #[serde(deserialize_with = "lenient::string")]
    target_type: String,
    #[serde(deserialize_with = "lenient::string")]
    host_name: String,
    #[serde(deserialize_with = "lenient::string")]
    ip_address: String,
    #[serde(deserialize_with = "lenient::string")]
    mac_address: String,
    #[serde(deserialize_with = "lenient::string")]
    fqdn: String,
    #[serde(deserialize_with = "lenient::string")]
    comments: String,
    #[serde(deserialize_with = "lenient::string")]
    role: String,
    #[serde(deserialize_with = "lenient::opt_bool")]
    is_web_database: Option<bool>,
    #[serde(deserialize_with = "lenient::string")]
    technology_area: String,
    #[serde(deserialize_with = "lenient::string")]
    web_db_site: String,
    #[serde(deserialize_with = "lenient::string")]
    web_db_instance: String,
    #[serde(deserialize_with = "lenient::string")]
    classification: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Stig {
    #[serde(deserialize_with = "lenient::string")]
    stig_name: String,
    #[serde(deserialize_with = "lenient::string")]
    display_name: String,
    #[serde(deserialize_with = "lenient::string")]
    stig_id: String,
    #[serde(deserialize_with = "lenient::string")]
    release_info: String,
    #[serde(deserialize_with = "lenient::string")]
    version: String,
    #[serde(deserialize_with = "lenient::string")]
    uuid: String,
    #[serde(deserialize_with = "lenient::string")]
    reference_identifier: String,
    rules: Option<Vec<JRule>>,
    #[serde(rename = "evaluate-stig")]
    evaluate_stig: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JGroup {
    #[serde(deserialize_with = "lenient::string")]
    id: String,
    #[serde(deserialize_with = "lenient::string")]
    title: String,
    #[serde(deserialize_with = "lenient::string")]
    description: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CheckRef {
    #[serde(deserialize_with = "lenient::string")]
    href: String,
    #[serde(deserialize_with = "lenient::string")]
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SeverityOverride {
    #[serde(deserialize_with = "lenient::string")]
    severity: String,
    #[serde(deserialize_with = "lenient::string")]
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Overrides {
    severity: Option<SeverityOverride>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JRule {
    #[serde(deserialize_with = "lenient::string")]
    group_id_src: String,
    group_tree: Option<Vec<JGroup>>,
    #[serde(deserialize_with = "lenient::string")]
    group_id: String,
    #[serde(deserialize_with = "lenient::string")]
    severity: String,
    #[serde(deserialize_with = "lenient::string")]
    group_title: String,
    #[serde(deserialize_with = "lenient::string")]
    rule_id_src: String,
    #[serde(deserialize_with = "lenient::string")]
    rule_id: String,
    #[serde(deserialize_with = "lenient::string")]
    rule_version: String,
    #[serde(deserialize_with = "lenient::string")]
    rule_title: String,
    #[serde(deserialize_with = "lenient::string")]
    fix_text: String,
    #[serde(deserialize_with = "lenient::string")]
    weight: String,
    #[serde(deserialize_with = "lenient::string")]
    check_content: String,
    check_content_ref: Option<CheckRef>,
    #[serde(deserialize_with = "lenient::string")]
    classification: String,
    #[serde(deserialize_with = "lenient::string")]
    discussion: String,
    #[serde(deserialize_with = "lenient::string")]
    false_positives: String,
    #[serde(deserialize_with = "lenient::string")]
    false_negatives: String,
    #[serde(deserialize_with = "lenient::string")]
    documentable: String,
    #[serde(deserialize_with = "lenient::string")]
    security_override_guidance: String,
    #[serde(deserialize_with = "lenient::string")]
    potential_impacts: String,
    #[serde(deserialize_with = "lenient::string")]
    third_party_tools: String,
    #[serde(deserialize_with = "lenient::string")]
    ia_controls: String,
    #[serde(deserialize_with = "lenient::string")]
    responsibility: String,
    #[serde(deserialize_with = "lenient::string")]
    mitigations: String,
    #[serde(deserialize_with = "lenient::string")]
    mitigation_control: String,
    #[serde(deserialize_with = "lenient::string_list")]
    legacy_ids: Vec<String>,
    #[serde(deserialize_with = "lenient::string_list")]
    ccis: Vec<String>,
    #[serde(deserialize_with = "lenient::string")]
    reference_identifier: String,
    #[serde(deserialize_with = "lenient::string")]
    uuid: String,
    #[serde(deserialize_with = "lenient::string")]
    stig_uuid: String,
    status: Option<String>,
    overrides: Option<Overrides>,
    #[serde(deserialize_with = "lenient::string")]
    comments: String,
    #[serde(deserialize_with = "lenient::string")]
    finding_details: String,
}

fn json_error(file: &str, e: serde_json::Error) -> Error {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Eof => ErrorKind::Truncated {
            detail: format!(
                "the JSON ends early (line {}, column {})",
                e.line(),
                e.column()
            ),
        },
        _ => ErrorKind::MalformedJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        },
    };
    Error::new(file, kind)
}

/// Parses one CKLB file. `file` names the input in errors and becomes `ScanSource.file`.
pub fn read(bytes: &[u8], file: &str) -> Result<Checklist> {
    let text = decode_utf8(file, bytes)?;
    if !text.trim_start().starts_with('{') {
        return Err(Error::new(
            file,
            ErrorKind::WrongDocument {
                expected: "CKLB checklist (JSON object)",
                detail: "the file does not start with `{`".into(),
            },
        ));
    }
    let doc: Doc = serde_json::from_str(text).map_err(|e| json_error(file, e))?;
    let stigs_in = doc.stigs.ok_or_else(|| {
        Error::new(
            file,
            ErrorKind::MissingElement {
                element: "stigs".into(),
            },
        )
    })?;
    let t = doc.target_data;
    let asset = Asset {
        role: t.role,
        asset_type: t.target_type,
        marking: t.classification,
        host_name: t.host_name,
        host_ip: t.ip_address,
        host_mac: t.mac_address,
        host_fqdn: t.fqdn,
        target_comment: t.comments,
        tech_area: t.technology_area,
        target_key: String::new(),
        web_or_database: t.is_web_database.unwrap_or(false),
        web_db_site: t.web_db_site,
        web_db_instance: t.web_db_instance,
        extra: Vec::new(),
    };
    let mut scanned_at = String::new();
    let mut stigs = Vec::with_capacity(stigs_in.len());
    for (si, s) in stigs_in.into_iter().enumerate() {
        if scanned_at.is_empty() {
            if let Some(v) = s.evaluate_stig.as_ref().and_then(|v| v.get("time")) {
                scanned_at = v.as_str().unwrap_or_default().to_owned();
            }
        }
        let info = BenchmarkInfo {
            version: s.version,
            stigid: s.stig_id,
            releaseinfo: s.release_info,
            title: s.stig_name,
            uuid: s.uuid,
            display_name: s.display_name,
            reference_identifier: s.reference_identifier,
            ..Default::default()
        };
        let rules_in = s.rules.unwrap_or_default();
        let mut rules = Vec::with_capacity(rules_in.len());
        for (ri, r) in rules_in.into_iter().enumerate() {
            rules.push(convert_rule(file, si, ri, r)?);
        }
        stigs.push(StigChecklist { info, rules });
    }
    let tool = doc
        .evaluate_stig
        .as_ref()
        .and_then(|v| v.get("version"))
        .and_then(|v| v.as_str())
        .map(|v| format!("Evaluate-STIG {v}"))
        .unwrap_or_default();
    Ok(Checklist {
        asset,
        stigs,
        source: ScanSource {
            file: file.to_owned(),
            tool,
            scanned_at,
        },
        cklb: CklbMeta {
            id: doc.id,
            title: doc.title,
            active: doc.active,
            mode: doc.mode,
            has_path: doc.has_path,
        },
    })
}

fn convert_rule(file: &str, si: usize, ri: usize, r: JRule) -> Result<RuleResult> {
    let vuln_num = if r.group_id_src.is_empty() {
        r.group_id
    } else {
        r.group_id_src
    };
    let which = if vuln_num.is_empty() {
        format!("stigs[{si}].rules[{ri}]")
    } else {
        format!("{vuln_num} (stigs[{si}].rules[{ri}])")
    };
    let status_text = r.status.ok_or_else(|| {
        Error::new(
            file,
            ErrorKind::MissingElement {
                element: format!("status of {which}"),
            },
        )
    })?;
    let status = status::from_cklb(&status_text, file)?;
    let severity = status::severity_from_str(&r.severity, file, &format!("severity of {which}"))?;
    let (severity_override, severity_justification) = match r.overrides.and_then(|o| o.severity) {
        Some(o) => (
            status::severity_from_str(
                &o.severity,
                file,
                &format!("overrides.severity of {which}"),
            )?,
            o.reason,
        ),
        None => (None, String::new()),
    };
    let check_ref = r.check_content_ref.unwrap_or_default();
    let rule_id = if r.rule_id_src.is_empty() {
        r.rule_id
    } else {
        r.rule_id_src
    };
    Ok(RuleResult {
        rule: Rule {
            vuln_num,
            severity,
            group_title: r.group_title,
            rule_id,
            rule_ver: r.rule_version,
            rule_title: r.rule_title,
            vuln_discuss: r.discussion,
            ia_controls: r.ia_controls,
            check_content: r.check_content,
            fix_text: r.fix_text,
            false_positives: r.false_positives,
            false_negatives: r.false_negatives,
            documentable: r.documentable,
            mitigations: r.mitigations,
            potential_impact: r.potential_impacts,
            third_party_tools: r.third_party_tools,
            mitigation_control: r.mitigation_control,
            responsibility: r.responsibility,
            security_override_guidance: r.security_override_guidance,
            check_content_ref: check_ref.name,
            weight: r.weight,
            class: r.classification,
            stig_ref: String::new(),
            target_key: String::new(),
            stig_uuid: r.stig_uuid,
            legacy_ids: r.legacy_ids,
            ccis: r.ccis,
            uuid: r.uuid,
            group_tree: r
                .group_tree
                .unwrap_or_default()
                .into_iter()
                .map(|g| GroupTreeNode {
                    id: g.id,
                    title: g.title,
                    description: g.description,
                })
                .collect(),
            check_content_href: check_ref.href,
            reference_identifier: r.reference_identifier,
        },
        review: Review {
            status,
            finding_details: r.finding_details,
            comments: r.comments,
            severity_override,
            severity_justification,
        },
    })
}
