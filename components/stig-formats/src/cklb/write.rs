//! CKLB writer: STIG Viewer 3's field names and order (as in the Evaluate-STIG sample and
//! `shared/reference/formats.md`), compact JSON, deterministic ids.
//!
//! Ids: an id the model already holds (read from a CKLB) is written unchanged; a missing
//! one is derived with [`crate::ids::derived_uuid`] from host name, benchmark id and rule
//! id, so the same results always give the same file.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::EMPTY_GROUP_DESCRIPTION;
use crate::ids::derived_uuid;
use crate::model::{
    Asset, Checklist, CklbMeta, EvalStigRecord, EvalStigValue, RuleResult, StigChecklist,
};
use crate::status;

/// Members kept from the input as raw JSON text, written back unchanged and in order.
struct Kept<'a>(&'a [(String, String)]);

impl Serialize for Kept<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            // Read from JSON, so it parses; a model from elsewhere with bad text keeps it
            // as a string rather than writing invalid JSON.
            match serde_json::from_str::<&RawValue>(v) {
                Ok(raw) => m.serialize_entry(k, raw)?,
                Err(_) => m.serialize_entry(k, v)?,
            }
        }
        m.end()
    }
}

/// An Evaluate-STIG record as its JSON object.
fn record(r: Option<&crate::model::EvalStigRecord>) -> Option<Box<RawValue>> {
    r.and_then(|r| RawValue::from_string(crate::eval_record::to_json(r)).ok())
}

#[derive(Serialize)]
struct Doc<'a> {
    #[serde(rename = "evaluate-stig", skip_serializing_if = "Option::is_none")]
    evaluate_stig: Option<Box<RawValue>>,
    title: &'a str,
    id: &'a str,
    stigs: Vec<Stig<'a>>,
    active: bool,
    mode: i64,
    has_path: bool,
    target_data: TargetData<'a>,
    cklb_version: &'a str,
    #[serde(flatten)]
    kept: Kept<'a>,
}

#[derive(Serialize)]
struct TargetData<'a> {
    target_type: &'a str,
    host_name: &'a str,
    ip_address: &'a str,
    mac_address: &'a str,
    fqdn: &'a str,
    comments: &'a str,
    role: &'a str,
    is_web_database: bool,
    technology_area: &'a str,
    web_db_site: &'a str,
    web_db_instance: &'a str,
    classification: &'a str,
    #[serde(flatten)]
    kept: Kept<'a>,
}

#[derive(Serialize)]
struct Stig<'a> {
    #[serde(rename = "evaluate-stig", skip_serializing_if = "Option::is_none")]
    evaluate_stig: Option<Box<RawValue>>,
    stig_name: &'a str,
    display_name: &'a str,
    stig_id: &'a str,
    release_info: &'a str,
    version: &'a str,
    uuid: String,
    reference_identifier: &'a str,
    size: usize,
    rules: Vec<JRule<'a>>,
    #[serde(flatten)]
    kept: Kept<'a>,
}

#[derive(Serialize)]
struct JGroup<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct CheckRef<'a> {
    href: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct SeverityOverride<'a> {
    severity: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Overrides<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<SeverityOverride<'a>>,
}

#[derive(Serialize)]
struct JRule<'a> {
    #[serde(rename = "evaluate-stig", skip_serializing_if = "Option::is_none")]
    evaluate_stig: Option<Box<RawValue>>,
    group_id_src: &'a str,
    group_tree: Vec<JGroup<'a>>,
    group_id: &'a str,
    severity: &'a str,
    group_title: &'a str,
    rule_id_src: &'a str,
    rule_id: &'a str,
    rule_version: &'a str,
    rule_title: &'a str,
    fix_text: &'a str,
    weight: &'a str,
    check_content: &'a str,
    check_content_ref: CheckRef<'a>,
    classification: &'a str,
    discussion: &'a str,
    false_positives: &'a str,
    false_negatives: &'a str,
    documentable: &'a str,
    security_override_guidance: &'a str,
    potential_impacts: &'a str,
    third_party_tools: &'a str,
    ia_controls: &'a str,
    responsibility: &'a str,
    mitigations: &'a str,
    mitigation_control: &'a str,
    legacy_ids: Vec<&'a str>,
    ccis: Vec<&'a str>,
    reference_identifier: &'a str,
    uuid: String,
    stig_uuid: String,
    status: &'static str,
    overrides: Overrides<'a>,
    comments: &'a str,
    finding_details: &'a str,
    /// Written when the source had them (STIG Viewer 3's field-level markings), never
    /// invented. (A CKLB's own `stig_ref`/`target_key` travel with the unknown keys.)
    #[serde(skip_serializing_if = "Option::is_none")]
    comments_classification: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finding_details_classification: Option<&'a str>,
    #[serde(flatten)]
    kept: Kept<'a>,
}

/// Writes a whole checklist (all its benchmarks) as one CKLB.
pub fn write_checklist(checklist: &Checklist) -> String {
    write(&checklist.asset, &checklist.stigs, &checklist.cklb)
}

/// Writes one CKLB holding `stigs` for `asset`. For one file per benchmark pass one
/// benchmark and `&CklbMeta::default()` (an input document id must not be reused by
/// several output files; an empty id is derived from host and benchmark ids).
pub fn write(asset: &Asset, stigs: &[StigChecklist], meta: &CklbMeta) -> String {
    let host = asset.host_name.as_str();
    let stig_ids: Vec<&str> = stigs.iter().map(|s| s.info.stigid.as_str()).collect();
    let derived_title;
    let title = if meta.title.is_empty() {
        derived_title = match (host.is_empty(), stig_ids.as_slice()) {
            (false, [one]) => format!("{host}_{one}"),
            (false, _) => host.to_owned(),
            (true, _) => stig_ids.join("_"),
        };
        derived_title.as_str()
    } else {
        meta.title.as_str()
    };
    let derived_id;
    let id = if meta.id.is_empty() {
        let mut parts = vec!["checklist", host];
        parts.extend(stig_ids.iter().copied());
        derived_id = derived_uuid(&parts);
        derived_id.as_str()
    } else {
        meta.id.as_str()
    };
    let (doc_record, stig_fallback) = current_layout(meta.evaluate_stig.as_ref());
    let doc = Doc {
        evaluate_stig: record(doc_record.as_ref()),
        title,
        id,
        stigs: stigs
            .iter()
            .map(|s| stig(host, s, stig_fallback.as_ref()))
            .collect(),
        active: meta.active.unwrap_or(false),
        mode: meta.mode.unwrap_or(1),
        has_path: meta.has_path.unwrap_or(true),
        target_data: TargetData {
            target_type: &asset.asset_type,
            host_name: &asset.host_name,
            ip_address: &asset.host_ip,
            mac_address: &asset.host_mac,
            fqdn: &asset.host_fqdn,
            comments: &asset.target_comment,
            role: &asset.role,
            is_web_database: asset.web_or_database,
            technology_area: &asset.tech_area,
            web_db_site: &asset.web_db_site,
            web_db_instance: &asset.web_db_instance,
            classification: &asset.marking,
            kept: Kept(&meta.target_unknown),
        },
        cklb_version: "1.0",
        kept: Kept(&meta.unknown),
    };
    // Serialising plain structs of strings cannot fail; an empty document would be
    // caught by every reader, so there is no silent half-output either way.
    serde_json::to_string(&doc).unwrap_or_default()
}

/// Evaluate-STIG 1.22xx wrote one document comment holding `<global>` (version, time) and
/// `<module>`; its CKLB layout (and STIG Manager's CKLB reader) has the version at the top
/// and time and module per STIG. An old record is written in the CKLB layout: the top
/// object with `global`'s members lifted, and a STIG object for benchmarks without one.
fn current_layout(
    rec: Option<&EvalStigRecord>,
) -> (Option<EvalStigRecord>, Option<EvalStigRecord>) {
    let Some(rec) = rec else {
        return (None, None);
    };
    let global = rec.0.iter().find_map(|(k, v)| match v {
        EvalStigValue::Record(g) if k == "global" => Some(g),
        _ => None,
    });
    let Some(global) = global else {
        return (Some(rec.clone()), None);
    };
    let mut top = global.0.clone();
    top.extend(rec.0.iter().filter(|(k, _)| k != "global").cloned());
    let stig: Vec<(String, EvalStigValue)> = top
        .iter()
        .filter(|(k, _)| k == "time" || k == "module")
        .cloned()
        .collect();
    (
        Some(EvalStigRecord(top)),
        (!stig.is_empty()).then_some(EvalStigRecord(stig)),
    )
}

fn stig<'a>(host: &'a str, s: &'a StigChecklist, fallback: Option<&EvalStigRecord>) -> Stig<'a> {
    let i = &s.info;
    let uuid = if i.uuid.is_empty() {
        derived_uuid(&["stig", host, &i.stigid, &i.version, &i.releaseinfo])
    } else {
        i.uuid.clone()
    };
    let rules = s
        .rules
        .iter()
        .map(|r| rule(host, s, &uuid, r))
        .collect::<Vec<_>>();
    Stig {
        evaluate_stig: record(i.evaluate_stig.as_ref().or(fallback)),
        stig_name: &i.title,
        display_name: if i.display_name.is_empty() {
            &i.title
        } else {
            &i.display_name
        },
        stig_id: &i.stigid,
        release_info: &i.releaseinfo,
        version: &i.version,
        uuid,
        reference_identifier: &i.reference_identifier,
        size: s.rules.len(),
        rules,
        kept: Kept(&i.cklb_unknown),
    }
}

fn rule<'a>(host: &'a str, s: &'a StigChecklist, stig_uuid: &str, r: &'a RuleResult) -> JRule<'a> {
    let u = &r.rule;
    let v = &r.review;
    let group_tree = if u.group_tree.is_empty() {
        vec![JGroup {
            id: &u.vuln_num,
            title: &u.group_title,
            description: EMPTY_GROUP_DESCRIPTION,
        }]
    } else {
        u.group_tree
            .iter()
            .map(|g| JGroup {
                id: &g.id,
                title: &g.title,
                description: &g.description,
            })
            .collect()
    };
    let uuid = if u.uuid.is_empty() {
        derived_uuid(&["rule", host, &s.info.stigid, &u.rule_id, &u.vuln_num])
    } else {
        u.uuid.clone()
    };
    JRule {
        evaluate_stig: record(v.keep.evaluate_stig.as_ref()),
        group_id_src: &u.vuln_num,
        group_tree,
        group_id: &u.vuln_num,
        severity: status::severity_to_str(u.severity),
        group_title: &u.group_title,
        rule_id_src: &u.rule_id,
        rule_id: u.rule_id.strip_suffix("_rule").unwrap_or(&u.rule_id),
        rule_version: &u.rule_ver,
        rule_title: &u.rule_title,
        fix_text: &u.fix_text,
        weight: &u.weight,
        check_content: &u.check_content,
        check_content_ref: CheckRef {
            href: &u.check_content_href,
            name: &u.check_content_ref,
        },
        classification: &u.class,
        discussion: &u.vuln_discuss,
        false_positives: &u.false_positives,
        false_negatives: &u.false_negatives,
        documentable: &u.documentable,
        security_override_guidance: &u.security_override_guidance,
        potential_impacts: &u.potential_impact,
        third_party_tools: &u.third_party_tools,
        ia_controls: &u.ia_controls,
        responsibility: &u.responsibility,
        mitigations: &u.mitigations,
        mitigation_control: &u.mitigation_control,
        // As read: Evaluate-STIG writes `[""]` for "none", and a round trip keeps it.
        legacy_ids: u.legacy_ids.iter().map(String::as_str).collect(),
        ccis: u.ccis.iter().map(String::as_str).collect(),
        reference_identifier: if u.reference_identifier.is_empty() {
            &s.info.reference_identifier
        } else {
            &u.reference_identifier
        },
        uuid,
        // STIG Viewer 3 links each rule to its benchmark entry by this value.
        stig_uuid: if u.stig_uuid.is_empty() {
            stig_uuid.to_owned()
        } else {
            u.stig_uuid.clone()
        },
        status: status::to_cklb(v.status),
        overrides: Overrides {
            severity: v.severity_override.map(|sev| SeverityOverride {
                severity: status::severity_to_str(Some(sev)),
                reason: &v.severity_justification,
            }),
        },
        comments: &v.comments,
        finding_details: &v.finding_details,
        comments_classification: v.keep.comments_classification.as_deref(),
        finding_details_classification: v.keep.finding_details_classification.as_deref(),
        kept: Kept(&v.keep.cklb_unknown),
    }
}
