//! CKL reader. Strings are kept exactly as the file holds them (after XML unescaping and
//! the line-end normalisation XML mandates), so write -> read gives the same model.

use std::borrow::Cow;

use quick_xml::events::BytesStart;

use crate::error::{ErrorKind, Result};
use crate::eval_record;
use crate::model::{
    Asset, BenchmarkInfo, Checklist, EvalStigRecord, Review, ReviewExtras, Rule, RuleResult,
    ScanSource, Status, StigChecklist,
};
use crate::status;
use crate::xml::{local, Ev, XmlReader};

/// Parses one CKL file. `file` names the input in error messages and becomes
/// `ScanSource.file`; the first comment before the root (`DISA STIG Viewer :: 2.17`,
/// `STIG Manager 1.5.2`) becomes `ScanSource.tool`.
///
/// Files in the plain layout every checklist tool writes go through the fast scanner in
/// [`super::fast`]; anything it does not recognise (and every error) is read by the full
/// XML reader below, which is the reference: both give the same model for every file the
/// scanner accepts (tested on every sample and on generated variants).
pub fn read(bytes: &[u8], file: &str) -> Result<Checklist> {
    let src = crate::xml::checked_text(file, bytes)?;
    if let Some(c) = super::fast::read(src, file) {
        return Ok(c);
    }
    read_full(src, file)
}

/// The reference reader: every CKL the project accepts, and every error it reports.
pub(crate) fn read_full(src: &str, file: &str) -> Result<Checklist> {
    let mut x = XmlReader::from_checked(file, src);
    let mut head_comments: Vec<String> = Vec::new();
    loop {
        match x.next()? {
            Ev::Comment(c) => head_comments.push(c),
            Ev::Start(s) if local(&s) == b"CHECKLIST" => break,
            Ev::Start(s) | Ev::Empty(s) => {
                return Err(x.err(ErrorKind::WrongDocument {
                    expected: "CKL checklist",
                    detail: format!(
                        "the root element is <{}>, not <CHECKLIST>",
                        String::from_utf8_lossy(local(&s))
                    ),
                }))
            }
            Ev::End | Ev::Eof => {
                return Err(x.err(ErrorKind::MissingElement {
                    element: "CHECKLIST".into(),
                }))
            }
        }
    }
    let mut asset = None;
    let mut stigs = Vec::new();
    let mut saw_stigs = false;
    while let Some((s, empty)) = child(&mut x)? {
        match local(&s) {
            b"ASSET" if !empty => asset = Some(read_asset(&mut x)?),
            b"STIGS" => {
                saw_stigs = true;
                if !empty {
                    read_stigs(&mut x, &mut stigs)?;
                }
            }
            _ if !empty => x.skip()?,
            _ => {}
        }
    }
    // Anything after the root except comments is an error (raw() checks a second root).
    loop {
        match x.next()? {
            Ev::Eof => break,
            Ev::Comment(_) => {}
            _ => return Err(x.malformed("content after </CHECKLIST>")),
        }
    }
    let asset = asset.ok_or_else(|| {
        x.err(ErrorKind::MissingElement {
            element: "CHECKLIST/ASSET".into(),
        })
    })?;
    if !saw_stigs {
        return Err(x.err(ErrorKind::MissingElement {
            element: "CHECKLIST/STIGS".into(),
        }));
    }
    Ok(checklist(asset, stigs, file, &head_comments))
}

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

/// Keeps the first Evaluate-STIG record among the comments of one element.
fn note(slot: &mut Option<EvalStigRecord>, comment: &str) {
    if slot.is_none() {
        *slot = eval_record::from_ckl_comment(comment);
    }
}

/// The next child element of the current element, `None` at its end tag.
fn child<'a>(x: &mut XmlReader<'a>) -> Result<Option<(BytesStart<'a>, bool)>> {
    child_noting(x, &mut None)
}

/// As [`child`], keeping an Evaluate-STIG record met among the comments in `record`.
fn child_noting<'a>(
    x: &mut XmlReader<'a>,
    record: &mut Option<EvalStigRecord>,
) -> Result<Option<(BytesStart<'a>, bool)>> {
    loop {
        match x.next()? {
            Ev::Start(s) => return Ok(Some((s, false))),
            Ev::Empty(s) => return Ok(Some((s, true))),
            Ev::End => return Ok(None),
            Ev::Comment(c) => note(record, &c),
            Ev::Eof => {
                return Err(x.err(ErrorKind::Truncated {
                    detail: "the input ends inside <CHECKLIST>".into(),
                }))
            }
        }
    }
}

fn leaf(x: &mut XmlReader<'_>, empty: bool) -> Result<String> {
    if empty {
        Ok(String::new())
    } else {
        x.text()
    }
}

/// A leaf's text without copying it when possible (for names that are only compared).
fn leaf_cow<'a>(x: &mut XmlReader<'a>, empty: bool) -> Result<Cow<'a, str>> {
    if empty {
        Ok(Cow::Borrowed(""))
    } else {
        x.text_cow()
    }
}

fn read_asset(x: &mut XmlReader<'_>) -> Result<Asset> {
    let mut a = Asset::default();
    while let Some((s, empty)) = child(x)? {
        let v = leaf(x, empty)?;
        set_asset_field(&mut a, local(&s), v).map_err(|k| x.err(k))?;
    }
    Ok(a)
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

fn read_stigs(x: &mut XmlReader<'_>, out: &mut Vec<StigChecklist>) -> Result<()> {
    while let Some((s, empty)) = child(x)? {
        if empty {
            continue;
        }
        if local(&s) != b"iSTIG" {
            x.skip()?;
            continue;
        }
        let mut info = BenchmarkInfo::default();
        let mut rules = Vec::new();
        let mut record = None;
        while let Some((s, empty)) = child_noting(x, &mut record)? {
            if empty {
                continue;
            }
            match local(&s) {
                b"STIG_INFO" => read_info(x, &mut info)?,
                b"VULN" => rules.push(read_vuln(x, rules.len())?),
                _ => x.skip()?,
            }
        }
        info.evaluate_stig = record;
        out.push(StigChecklist { info, rules });
    }
    Ok(())
}

fn read_info(x: &mut XmlReader<'_>, info: &mut BenchmarkInfo) -> Result<()> {
    while let Some((s, empty)) = child(x)? {
        if empty {
            continue;
        }
        if local(&s) != b"SI_DATA" {
            x.skip()?;
            continue;
        }
        let (mut name, mut data) = (Cow::Borrowed(""), String::new());
        while let Some((s, empty)) = child(x)? {
            match local(&s) {
                b"SID_NAME" => name = leaf_cow(x, empty)?,
                b"SID_DATA" => data = leaf(x, empty)?,
                _ if !empty => x.skip()?,
                _ => {}
            }
        }
        if let Some(slot) = info_slot(info, &name) {
            *slot = data;
        }
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

fn read_vuln(x: &mut XmlReader<'_>, index: usize) -> Result<RuleResult> {
    let file = x.file();
    let mut rule = Rule::default();
    let mut status: Option<Status> = None;
    let (mut details, mut comments, mut override_, mut justification) =
        (String::new(), String::new(), String::new(), String::new());
    let mut severity = String::new();
    let mut record = None;
    // (Severity is copied: it is short and read once per rule.)
    while let Some((s, empty)) = child_noting(x, &mut record)? {
        match local(&s) {
            b"STIG_DATA" if !empty => {
                let (mut name, mut data) = (Cow::Borrowed(""), String::new());
                while let Some((s, empty)) = child(x)? {
                    match local(&s) {
                        b"VULN_ATTRIBUTE" => name = leaf_cow(x, empty)?,
                        b"ATTRIBUTE_DATA" => data = leaf(x, empty)?,
                        _ if !empty => x.skip()?,
                        _ => {}
                    }
                }
                apply_attribute(&mut rule, &mut severity, name.trim(), data);
            }
            b"STATUS" => {
                let v = leaf_cow(x, empty)?;
                status = Some(status::from_ckl(&v, file)?);
            }
            b"FINDING_DETAILS" => details = leaf(x, empty)?,
            b"COMMENTS" => comments = leaf(x, empty)?,
            b"SEVERITY_OVERRIDE" => override_ = leaf(x, empty)?,
            b"SEVERITY_JUSTIFICATION" => justification = leaf(x, empty)?,
            _ if !empty => x.skip()?,
            _ => {}
        }
    }
    let Some(status) = status else {
        return Err(x.err(ErrorKind::MissingElement {
            element: format!("STATUS in {}", vuln_name(&rule, index)),
        }));
    };
    let review = Review {
        status,
        finding_details: details,
        comments,
        severity_override: None,
        severity_justification: justification,
        keep: ReviewExtras {
            evaluate_stig: record,
            ..Default::default()
        },
    };
    finish_vuln(rule, &severity, &override_, review, file, index)
}

/// How errors name a VULN: its Vuln_Num, or its position when it has none.
fn vuln_name(rule: &Rule, index: usize) -> String {
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
