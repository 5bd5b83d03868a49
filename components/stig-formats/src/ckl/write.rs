//! CKL writer. Layout copies what STIG Viewer 2.17 writes (see the shared sample
//! `saf_small_ckl_overrides.ckl`): tab indentation, LF line ends, an XML declaration, one
//! tool comment line, every ASSET child / SI_DATA / VULN attribute in STIG Viewer's order,
//! empty elements written as `<X></X>`, `SID_DATA` omitted when empty, and no newline
//! after `</CHECKLIST>`. Output is a pure function of the input: byte-identical for the
//! same model.
//!
//! Speed matters (1,000 hosts x 800 rules): everything is appended to one pre-sized
//! `String` through a slice-copying escaper; nothing is allocated per field.

use crate::eval_record::to_ckl_comment;
use crate::model::{Asset, BenchmarkInfo, Checklist, EvalStigRecord, RuleResult, StigChecklist};
use crate::status;
use crate::xml::{comment_safe, escape_into};

/// `STIGRef` as STIG Viewer builds it: `<title> :: Version N, Release: R Benchmark Date: D`.
/// Used only for rules that carry no reference of their own (from XCCDF, or a CKLB that
/// says `null`): a reference the source wrote is kept as written, because STIG Manager and
/// hand-edited checklists write their own and a reader must see the same text.
pub fn stig_ref(info: &BenchmarkInfo) -> String {
    let mut s = String::with_capacity(info.title.len() + info.releaseinfo.len() + 16);
    s.push_str(&info.title);
    if !info.version.is_empty() || !info.releaseinfo.is_empty() {
        s.push_str(" :: ");
        if !info.version.is_empty() {
            s.push_str("Version ");
            s.push_str(&info.version);
            if !info.releaseinfo.is_empty() {
                s.push_str(", ");
            }
        }
        s.push_str(&info.releaseinfo);
    }
    s
}

/// Writes a whole checklist (every benchmark it holds) as one combined CKL.
pub fn write_checklist(checklist: &Checklist, tool_comment: &str) -> String {
    write_with_record(
        &checklist.asset,
        &checklist.stigs,
        tool_comment,
        checklist.cklb.evaluate_stig.as_ref(),
    )
}

/// As [`write`], with the document's Evaluate-STIG record (if any) written as the
/// `<!--<Evaluate-STIG>...-->` comment before `<CHECKLIST>`, where Evaluate-STIG and
/// STIG Manager look for it. (Benchmark and rule records travel in the model.)
pub fn write_with_record(
    asset: &Asset,
    stigs: &[StigChecklist],
    tool_comment: &str,
    record: Option<&EvalStigRecord>,
) -> String {
    let mut out = String::with_capacity(estimate(stigs));
    write_head(&mut out, tool_comment, record);
    write_body(&mut out, asset, stigs);
    out
}

/// Writes one CKL holding `stigs` for `asset`. For STIG Viewer's one-file-per-benchmark
/// layout pass one benchmark (`std::slice::from_ref(&stig)`); for a combined CKL pass
/// them all. `tool_comment` becomes the `<!--...-->` line (e.g. `stigpack :: 0.1.0`).
pub fn write(asset: &Asset, stigs: &[StigChecklist], tool_comment: &str) -> String {
    let mut out = String::with_capacity(estimate(stigs));
    write_into(&mut out, asset, stigs, tool_comment);
    out
}

fn estimate(stigs: &[StigChecklist]) -> usize {
    // ~2.3 KB of fixed markup per VULN plus its text; a slight overestimate avoids
    // a reallocation of a multi-megabyte buffer.
    let mut n = 4096;
    for s in stigs {
        n += 2048;
        for r in &s.rules {
            n += 2600 + text_len(r);
        }
    }
    n
}

fn text_len(r: &RuleResult) -> usize {
    let u = &r.rule;
    let v = &r.review;
    u.vuln_discuss.len()
        + u.check_content.len()
        + u.fix_text.len()
        + u.rule_title.len()
        + u.group_title.len()
        + u.ccis.iter().map(|c| c.len() + 110).sum::<usize>()
        + u.legacy_ids.iter().map(|c| c.len() + 110).sum::<usize>()
        + v.finding_details.len()
        + v.comments.len()
        + v.severity_justification.len()
        + 400
}

/// As [`write`], appending to `out` (lets a caller reuse one buffer across hosts).
pub fn write_into(out: &mut String, asset: &Asset, stigs: &[StigChecklist], tool_comment: &str) {
    write_head(out, tool_comment, None);
    write_body(out, asset, stigs);
}

fn write_head(out: &mut String, tool_comment: &str, record: Option<&EvalStigRecord>) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--");
    out.push_str(&comment_safe(tool_comment));
    out.push_str("-->\n");
    if let Some(r) = record {
        out.push_str("<!--");
        out.push_str(&to_ckl_comment(r));
        out.push_str("-->\n");
    }
}

fn write_body(out: &mut String, asset: &Asset, stigs: &[StigChecklist]) {
    out.push_str("<CHECKLIST>\n\t<ASSET>\n");
    // STIG Viewer rejects a file without a ROLE / ASSET_TYPE value, so empty ones get its
    // defaults.
    elem(out, 2, "ROLE", schema_value(&asset.role, ROLES, "None"));
    elem(
        out,
        2,
        "ASSET_TYPE",
        schema_value(&asset.asset_type, ASSET_TYPES, "Computing"),
    );
    elem(out, 2, "MARKING", &asset.marking);
    elem(out, 2, "HOST_NAME", &asset.host_name);
    elem(out, 2, "HOST_IP", &asset.host_ip);
    elem(out, 2, "HOST_MAC", &asset.host_mac);
    // Older STIG Viewers and STIG Manager put HOST_GUID here; keep it in that place.
    for (k, v) in &asset.extra {
        if k == "HOST_GUID" {
            elem(out, 2, "HOST_GUID", v);
        }
    }
    // An absolute FQDN's trailing dot (`host.example.mil.`) is refused by other readers;
    // the name is the same without it.
    let fqdn = asset
        .host_fqdn
        .strip_suffix('.')
        .unwrap_or(&asset.host_fqdn);
    elem(out, 2, "HOST_FQDN", fqdn);
    elem(out, 2, "TARGET_COMMENT", &asset.target_comment);
    elem(
        out,
        2,
        "TECH_AREA",
        schema_value(&asset.tech_area, TECH_AREAS, ""),
    );
    elem(out, 2, "TARGET_KEY", &asset.target_key);
    elem(
        out,
        2,
        "WEB_OR_DATABASE",
        if asset.web_or_database {
            "true"
        } else {
            "false"
        },
    );
    elem(out, 2, "WEB_DB_SITE", &asset.web_db_site);
    elem(out, 2, "WEB_DB_INSTANCE", &asset.web_db_instance);
    for (k, v) in &asset.extra {
        if k != "HOST_GUID" && is_xml_name(k) {
            elem(out, 2, k, v);
        }
    }
    out.push_str("\t</ASSET>\n\t<STIGS>\n");
    for stig in stigs {
        write_stig(out, stig);
    }
    out.push_str("\t</STIGS>\n</CHECKLIST>");
}

fn write_stig(out: &mut String, stig: &StigChecklist) {
    let i = &stig.info;
    out.push_str("\t\t<iSTIG>\n");
    if let Some(r) = &i.evaluate_stig {
        out.push_str("\t\t\t<!--");
        out.push_str(&to_ckl_comment(r));
        out.push_str("-->\n");
    }
    out.push_str("\t\t\t<STIG_INFO>\n");
    for (name, value) in [
        ("version", &i.version),
        ("classification", &i.classification),
        ("customname", &i.customname),
        ("stigid", &i.stigid),
        ("description", &i.description),
        ("filename", &i.filename),
        ("releaseinfo", &i.releaseinfo),
        ("title", &i.title),
        ("uuid", &i.uuid),
        ("notice", &i.notice),
        ("source", &i.source),
    ] {
        out.push_str("\t\t\t\t<SI_DATA>\n\t\t\t\t\t<SID_NAME>");
        out.push_str(name);
        out.push_str("</SID_NAME>\n");
        if !value.is_empty() {
            out.push_str("\t\t\t\t\t<SID_DATA>");
            escape_into(out, value);
            out.push_str("</SID_DATA>\n");
        }
        out.push_str("\t\t\t\t</SI_DATA>\n");
    }
    out.push_str("\t\t\t</STIG_INFO>\n");
    let reference = stig_ref(i);
    for r in &stig.rules {
        write_vuln(out, r, &reference);
    }
    out.push_str("\t\t</iSTIG>\n");
}

fn write_vuln(out: &mut String, r: &RuleResult, reference: &str) {
    let u = &r.rule;
    out.push_str("\t\t\t<VULN>\n");
    attr(out, "Vuln_Num", &u.vuln_num);
    attr(out, "Severity", status::severity_to_str(u.severity));
    attr(out, "Group_Title", &u.group_title);
    attr(out, "Rule_ID", &u.rule_id);
    attr(out, "Rule_Ver", &u.rule_ver);
    attr(out, "Rule_Title", &u.rule_title);
    attr(out, "Vuln_Discuss", &u.vuln_discuss);
    attr(out, "IA_Controls", &u.ia_controls);
    attr(out, "Check_Content", &u.check_content);
    attr(out, "Fix_Text", &u.fix_text);
    attr(out, "False_Positives", &u.false_positives);
    attr(out, "False_Negatives", &u.false_negatives);
    attr(out, "Documentable", &u.documentable);
    attr(out, "Mitigations", &u.mitigations);
    attr(out, "Potential_Impact", &u.potential_impact);
    attr(out, "Third_Party_Tools", &u.third_party_tools);
    attr(out, "Mitigation_Control", &u.mitigation_control);
    attr(out, "Responsibility", &u.responsibility);
    attr(
        out,
        "Security_Override_Guidance",
        &u.security_override_guidance,
    );
    attr(out, "Check_Content_Ref", &u.check_content_ref);
    attr(out, "Weight", &u.weight);
    attr(out, "Class", &u.class);
    attr(
        out,
        "STIGRef",
        // Evaluate-STIG's CKLB writes the string "null" for "no reference".
        if u.stig_ref.is_empty() || u.stig_ref == "null" {
            reference
        } else {
            &u.stig_ref
        },
    );
    attr(out, "TargetKey", &u.target_key);
    attr(out, "STIG_UUID", &u.stig_uuid);
    for l in &u.legacy_ids {
        attr(out, "LEGACY_ID", l);
    }
    for c in &u.ccis {
        attr(out, "CCI_REF", c);
    }
    let v = &r.review;
    elem(out, 4, "STATUS", status::to_ckl(v.status));
    elem(out, 4, "FINDING_DETAILS", &v.finding_details);
    elem(out, 4, "COMMENTS", &v.comments);
    elem(
        out,
        4,
        "SEVERITY_OVERRIDE",
        status::severity_to_str(v.severity_override),
    );
    elem(out, 4, "SEVERITY_JUSTIFICATION", &v.severity_justification);
    if let Some(r) = &v.keep.evaluate_stig {
        out.push_str("\t\t\t\t<!--");
        out.push_str(&to_ckl_comment(r));
        out.push_str("-->\n");
    }
    out.push_str("\t\t\t</VULN>\n");
}

#[inline]
fn attr(out: &mut String, name: &str, value: &str) {
    out.push_str("\t\t\t\t<STIG_DATA>\n\t\t\t\t\t<VULN_ATTRIBUTE>");
    out.push_str(name);
    out.push_str("</VULN_ATTRIBUTE>\n\t\t\t\t\t<ATTRIBUTE_DATA>");
    escape_into(out, value);
    out.push_str("</ATTRIBUTE_DATA>\n\t\t\t\t</STIG_DATA>\n");
}

#[inline]
fn elem(out: &mut String, indent: usize, name: &str, value: &str) {
    const TABS: &str = "\t\t\t\t\t\t";
    out.push_str(&TABS[..indent.min(TABS.len())]);
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(out, value);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// DISA's checklist schema (U_Checklist_Schema_V2.xsd) enumerations for ASSET values.
const ROLES: &[&str] = &["None", "Workstation", "Member Server", "Domain Controller"];
const ASSET_TYPES: &[&str] = &["Computing", "Non-Computing"];
const TECH_AREAS: &[&str] = &[
    "",
    "Application Review",
    "Boundary Security",
    "CDS Admin Review",
    "CDS Technical Review",
    "Database Review",
    "Domain Name System (DNS)",
    "Exchange Server",
    "Host Based System Security (HBSS)",
    "Internal Network",
    "Mobility",
    "Releasable Networks (REL)",
    "Releaseable Networks (REL)",
    "Traditional Security",
    "UNIX OS",
    "VVOIP Review",
    "Web Review",
    "Windows OS",
    "Other Review",
];

/// A value the schema's enumeration allows: the value itself, its allowed spelling (case
/// aside), or `fallback` (STIG Viewer 3 and Evaluate-STIG write TECH_AREA `None`, which
/// STIG Viewer 2 and the schema refuse). The model, and so the CKLB, keep the original.
fn schema_value<'a>(value: &'a str, allowed: &[&'a str], fallback: &'a str) -> &'a str {
    let v = value.trim();
    allowed
        .iter()
        .copied()
        .find(|a| a.eq_ignore_ascii_case(v))
        .unwrap_or(fallback)
}

/// Extra ASSET element names come from input files; only plain XML names are written.
fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !s.to_ascii_lowercase().starts_with("xml")
}
