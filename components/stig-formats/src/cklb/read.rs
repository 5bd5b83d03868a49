//! CKLB reader. Each JSON object is read as its members in file order (raw JSON text per
//! member), then every known member is converted on its own, so that:
//! - every shape a real producer writes is accepted (strings or numbers for `version` and
//!   `weight`, `null` or `""`, `group_tree` as one object or an array, optional keys);
//! - a value of the wrong type is reported with its JSON pointer and the expected type;
//! - members this crate does not model are kept, in order, as raw JSON, and the CKLB
//!   writer puts them back unchanged;
//! - `evaluate-stig` objects (document, STIG, rule) become [`EvalStigRecord`]s.
//!
//! Only `status` is required per rule.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::lenient::{LBool, LList, LStr, LI64};
use super::OrderedObject;
use crate::error::{Error, ErrorKind, Result};
use crate::eval_record;
use crate::model::{
    Asset, BenchmarkInfo, Checklist, CklbMeta, EvalStigRecord, GroupTreeNode, Review, ReviewExtras,
    Rule, RuleResult, ScanSource, StigChecklist,
};
use crate::status;
use crate::xml::decode_utf8;

#[derive(Deserialize, Default)]
#[serde(default)]
struct JGroup {
    #[serde(deserialize_with = "super::lenient::string")]
    id: String,
    #[serde(deserialize_with = "super::lenient::string")]
    title: String,
    #[serde(deserialize_with = "super::lenient::string")]
    description: String,
}

/// `group_tree`: STIG Viewer 3 writes an array, SCC 5.x one object.
#[derive(Deserialize)]
#[serde(untagged)]
enum GroupTree {
    Many(Vec<JGroup>),
    One(JGroup),
    Null(()),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CheckRef {
    #[serde(deserialize_with = "super::lenient::string")]
    href: String,
    #[serde(deserialize_with = "super::lenient::string")]
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SeverityOverride {
    #[serde(deserialize_with = "super::lenient::string")]
    severity: String,
    #[serde(deserialize_with = "super::lenient::string")]
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Overrides {
    severity: Option<SeverityOverride>,
}

/// Where in the document a value is, and the file, for error messages.
struct At<'f> {
    file: &'f str,
    pointer: String,
}

impl At<'_> {
    fn child(&self, key: &str) -> At<'_> {
        // RFC 6901 escaping of the key.
        let key = key.replace('~', "~0").replace('/', "~1");
        At {
            file: self.file,
            pointer: format!("{}/{key}", self.pointer),
        }
    }

    fn wrong(&self, expected: &'static str, raw: &RawValue) -> Error {
        let found: String = raw.get().chars().take(60).collect();
        Error::new(
            self.file,
            ErrorKind::WrongJsonType {
                pointer: self.pointer.clone(),
                expected,
                found,
            },
        )
    }

    /// Converts one member with a lenient type, naming the pointer on failure.
    fn get<T: DeserializeOwned>(&self, raw: &RawValue, expected: &'static str) -> Result<T> {
        serde_json::from_str(raw.get()).map_err(|_| self.wrong(expected, raw))
    }

    fn string(&self, raw: &RawValue) -> Result<String> {
        self.get::<LStr>(raw, "a string, number, boolean or null")
            .map(|s| s.0)
    }

    /// An object's members; a key written twice is refused (which value is meant is
    /// ambiguous), naming the key.
    fn object<'a>(&self, raw: &'a RawValue) -> Result<OrderedObject<'a>> {
        let o: OrderedObject<'a> =
            serde_json::from_str(raw.get()).map_err(|_| self.wrong("an object", raw))?;
        unique(self, &o)?;
        Ok(o)
    }

    fn array<'a>(&self, raw: &'a RawValue) -> Result<Vec<&'a RawValue>> {
        match serde_json::from_str::<Option<Vec<&RawValue>>>(raw.get()) {
            Ok(v) => Ok(v.unwrap_or_default()),
            Err(_) => Err(self.wrong("an array", raw)),
        }
    }

    fn record(&self, raw: &RawValue) -> Result<Option<EvalStigRecord>> {
        if raw.get().trim() == "null" {
            return Ok(None);
        }
        eval_record::from_json(raw)
            .map(Some)
            .map_err(|e| self.wrong(e, raw))
    }
}

fn unique(at: &At<'_>, o: &OrderedObject<'_>) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in &o.0 {
        if !seen.insert(k.as_str()) {
            return Err(Error::new(
                at.file,
                ErrorKind::InvalidValue {
                    field: at.child(k).pointer,
                    value: String::new(),
                    reason: "the key appears more than once, so which value is meant is ambiguous"
                        .into(),
                },
            ));
        }
    }
    Ok(())
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

fn raw_text(raw: &RawValue) -> String {
    raw.get().to_owned()
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
    // Syntax first, so malformed JSON is reported as such (with line and column), and
    // only type mismatches in valid JSON as typed errors below.
    let doc: OrderedObject<'_> = serde_json::from_str(text).map_err(|e| json_error(file, e))?;
    let at = At {
        file,
        pointer: String::new(),
    };
    unique(&at, &doc)?;
    let mut meta = CklbMeta::default();
    let mut asset = Asset::default();
    let mut stigs_raw = None;
    for (key, raw) in &doc.0 {
        let here = at.child(key);
        match key.as_str() {
            "title" => meta.title = here.string(raw)?,
            "id" => meta.id = here.string(raw)?,
            "active" => meta.active = here.get::<LBool>(raw, "a boolean")?.0,
            "mode" => meta.mode = here.get::<LI64>(raw, "an integer")?.0,
            "has_path" => meta.has_path = here.get::<LBool>(raw, "a boolean")?.0,
            "stigs" => stigs_raw = Some((here.array(raw)?, here.pointer.clone())),
            "target_data" => read_target(&here, raw, &mut asset, &mut meta)?,
            "evaluate-stig" => meta.evaluate_stig = here.record(raw)?,
            // Always written as "1.0" (the only version STIG Viewer 3 knows).
            "cklb_version" => {}
            _ => meta.unknown.push((key.clone(), raw_text(raw))),
        }
    }
    let (stigs_in, stigs_pointer) = stigs_raw.ok_or_else(|| {
        Error::new(
            file,
            ErrorKind::MissingElement {
                element: "stigs".into(),
            },
        )
    })?;
    let mut stigs = Vec::with_capacity(stigs_in.len());
    for (si, raw) in stigs_in.into_iter().enumerate() {
        let here = At {
            file,
            pointer: format!("{stigs_pointer}/{si}"),
        };
        stigs.push(read_stig(&here, raw, si)?);
    }
    let tool = meta
        .evaluate_stig
        .as_ref()
        .and_then(eval_record::tool_name)
        .unwrap_or_default();
    let scanned_at = eval_record::scan_time_of(meta.evaluate_stig.as_ref(), &stigs);
    Ok(Checklist {
        asset,
        stigs,
        source: ScanSource {
            file: file.to_owned(),
            tool,
            scanned_at,
        },
        cklb: meta,
    })
}

fn read_target(at: &At<'_>, raw: &RawValue, a: &mut Asset, meta: &mut CklbMeta) -> Result<()> {
    if raw.get().trim() == "null" {
        return Ok(());
    }
    for (key, raw) in at.object(raw)?.0 {
        let here = at.child(&key);
        let slot = match key.as_str() {
            "target_type" => &mut a.asset_type,
            "host_name" => &mut a.host_name,
            "ip_address" => &mut a.host_ip,
            "mac_address" => &mut a.host_mac,
            "fqdn" => &mut a.host_fqdn,
            "comments" => &mut a.target_comment,
            "role" => &mut a.role,
            "technology_area" => &mut a.tech_area,
            "web_db_site" => &mut a.web_db_site,
            "web_db_instance" => &mut a.web_db_instance,
            "classification" => &mut a.marking,
            "is_web_database" => {
                a.web_or_database = here.get::<LBool>(raw, "a boolean")?.0.unwrap_or(false);
                continue;
            }
            _ => {
                meta.target_unknown.push((key, raw_text(raw)));
                continue;
            }
        };
        *slot = here.string(raw)?;
    }
    Ok(())
}

fn read_stig(at: &At<'_>, raw: &RawValue, si: usize) -> Result<StigChecklist> {
    let mut info = BenchmarkInfo::default();
    let mut rules_raw = Vec::new();
    let mut rules_at = None;
    let mut saw_version = false;
    for (key, raw) in at.object(raw)?.0 {
        let here = at.child(&key);
        let slot = match key.as_str() {
            "stig_name" => &mut info.title,
            "display_name" => &mut info.display_name,
            "stig_id" => &mut info.stigid,
            "release_info" => &mut info.releaseinfo,
            "version" if raw.get().trim() == "null" => continue,
            "version" => {
                saw_version = true;
                &mut info.version
            }
            "uuid" => &mut info.uuid,
            "reference_identifier" => &mut info.reference_identifier,
            "rules" => {
                rules_raw = here.array(raw)?;
                rules_at = Some(here.pointer);
                continue;
            }
            "evaluate-stig" => {
                info.evaluate_stig = here.record(raw)?;
                continue;
            }
            // Recomputed from the rules on write; never trusted (Evaluate-STIG writes 12).
            "size" => continue,
            _ => {
                info.cklb_unknown.push((key, raw_text(raw)));
                continue;
            }
        };
        *slot = here.string(raw)?;
    }
    // Early STIG Viewer 3 files (Evaluate-STIG 1.2310's) have no `version`; STIG Viewer
    // and STIG Manager read that as version 0 (`V0R8`), so the model says so and both
    // writers keep it (an empty version would read as `VR8`, or as no revision at all).
    if !saw_version {
        info.version = "0".to_owned();
    }
    let rules_at = rules_at.unwrap_or_else(|| format!("{}/rules", at.pointer));
    let mut rules = Vec::with_capacity(rules_raw.len());
    for (ri, raw) in rules_raw.into_iter().enumerate() {
        let here = At {
            file: at.file,
            pointer: format!("{rules_at}/{ri}"),
        };
        let mut r = read_rule(&here, raw, si, ri)?;
        // A rule without its own DPMS target id has its benchmark's (the writer writes it
        // per rule, as STIG Viewer 3 does), so a round trip reads the same model.
        if r.rule.reference_identifier.is_empty() {
            r.rule
                .reference_identifier
                .clone_from(&info.reference_identifier);
        }
        rules.push(r);
    }
    Ok(StigChecklist { info, rules })
}

/// A rule's members, converted; the review's status and severities are checked after.
#[derive(Default)]
struct Parts {
    rule: Rule,
    group_id: String,
    rule_id_short: String,
    severity: String,
    status: Option<String>,
    overrides: Option<Overrides>,
    review: ReviewFields,
}

#[derive(Default)]
struct ReviewFields {
    comments: String,
    finding_details: String,
    keep: ReviewExtras,
}

fn read_rule(at: &At<'_>, raw: &RawValue, si: usize, ri: usize) -> Result<RuleResult> {
    let mut p = Parts::default();
    for (key, raw) in at.object(raw)?.0 {
        let here = at.child(&key);
        let r = &mut p.rule;
        let slot = match key.as_str() {
            "group_id_src" => &mut r.vuln_num,
            "group_id" => &mut p.group_id,
            "severity" => &mut p.severity,
            "group_title" => &mut r.group_title,
            "rule_id_src" => &mut r.rule_id,
            "rule_id" => &mut p.rule_id_short,
            "rule_version" => &mut r.rule_ver,
            "rule_title" => &mut r.rule_title,
            "fix_text" => &mut r.fix_text,
            "weight" => &mut r.weight,
            "check_content" => &mut r.check_content,
            "classification" => &mut r.class,
            "discussion" => &mut r.vuln_discuss,
            "false_positives" => &mut r.false_positives,
            "false_negatives" => &mut r.false_negatives,
            "documentable" => &mut r.documentable,
            "security_override_guidance" => &mut r.security_override_guidance,
            "potential_impacts" => &mut r.potential_impact,
            "third_party_tools" => &mut r.third_party_tools,
            "ia_controls" => &mut r.ia_controls,
            "responsibility" => &mut r.responsibility,
            "mitigations" => &mut r.mitigations,
            "mitigation_control" => &mut r.mitigation_control,
            "reference_identifier" => &mut r.reference_identifier,
            "uuid" => &mut r.uuid,
            "stig_uuid" => &mut r.stig_uuid,
            "comments" => &mut p.review.comments,
            "finding_details" => &mut p.review.finding_details,
            "legacy_ids" | "ccis" => {
                let v = here.get::<LList>(raw, "an array of strings")?.0;
                *if key == "ccis" {
                    &mut r.ccis
                } else {
                    &mut r.legacy_ids
                } = v;
                continue;
            }
            "group_tree" => {
                r.group_tree = match here.get::<GroupTree>(raw, "an array of groups or a group")? {
                    GroupTree::Many(v) => v.into_iter().map(group).collect(),
                    GroupTree::One(g) => vec![group(g)],
                    GroupTree::Null(()) => Vec::new(),
                };
                continue;
            }
            "check_content_ref" => {
                let c: Option<CheckRef> = here.get(raw, "an object with href and name")?;
                let c = c.unwrap_or_default();
                r.check_content_href = c.href;
                r.check_content_ref = c.name;
                continue;
            }
            "status" => {
                p.status = here.get::<Option<LStr>>(raw, "a string")?.map(|s| s.0);
                continue;
            }
            "overrides" => {
                p.overrides = here.get(raw, "an object")?;
                continue;
            }
            "comments_classification" => {
                p.review.keep.comments_classification = Some(here.string(raw)?);
                continue;
            }
            "finding_details_classification" => {
                p.review.keep.finding_details_classification = Some(here.string(raw)?);
                continue;
            }
            "evaluate-stig" => {
                p.review.keep.evaluate_stig = here.record(raw)?;
                continue;
            }
            _ => {
                p.review.keep.cklb_unknown.push((key, raw_text(raw)));
                continue;
            }
        };
        *slot = here.string(raw)?;
    }
    finish_rule(at.file, si, ri, p)
}

fn group(g: JGroup) -> GroupTreeNode {
    GroupTreeNode {
        id: g.id,
        title: g.title,
        description: g.description,
    }
}

fn finish_rule(file: &str, si: usize, ri: usize, mut p: Parts) -> Result<RuleResult> {
    if p.rule.vuln_num.is_empty() {
        p.rule.vuln_num = p.group_id;
    }
    if p.rule.rule_id.is_empty() {
        p.rule.rule_id = p.rule_id_short;
    }
    let vuln_num = &p.rule.vuln_num;
    let which = if vuln_num.is_empty() {
        format!("stigs[{si}].rules[{ri}]")
    } else {
        format!("{vuln_num} (stigs[{si}].rules[{ri}])")
    };
    let status_text = p.status.ok_or_else(|| {
        Error::new(
            file,
            ErrorKind::MissingElement {
                element: format!("status of {which}"),
            },
        )
    })?;
    let status = status::from_cklb(&status_text, file)?;
    p.rule.severity =
        status::severity_from_str(&p.severity, file, &format!("severity of {which}"))?;
    let (severity_override, severity_justification) = match p.overrides.and_then(|o| o.severity) {
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
    Ok(RuleResult {
        rule: p.rule,
        review: Review {
            status,
            finding_details: p.review.finding_details,
            comments: p.review.comments,
            severity_override,
            severity_justification,
            keep: p.review.keep,
        },
    })
}
