//! CKL reader. Strings are kept exactly as the file holds them (after XML unescaping and
//! the line-end normalisation XML mandates), so write -> read gives the same model.

use std::borrow::Cow;

use quick_xml::events::BytesStart;

use crate::error::{ErrorKind, Result};
use crate::model::{
    Asset, BenchmarkInfo, Checklist, Review, Rule, RuleResult, ScanSource, Status, StigChecklist,
};
use crate::status;
use crate::xml::{local, Ev, XmlReader};

/// Parses one CKL file. `file` names the input in error messages and becomes
/// `ScanSource.file`; the first comment before the root (`DISA STIG Viewer :: 2.17`,
/// `STIG Manager 1.5.2`) becomes `ScanSource.tool`.
pub fn read(bytes: &[u8], file: &str) -> Result<Checklist> {
    let mut x = XmlReader::new(file, bytes)?;
    let mut tool: Option<String> = None;
    loop {
        match x.next()? {
            Ev::Comment(c) => {
                if tool.is_none() {
                    tool = Some(c.trim().to_owned());
                }
            }
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
    Ok(Checklist {
        asset,
        stigs,
        source: ScanSource {
            file: file.to_owned(),
            tool: tool.unwrap_or_default(),
            scanned_at: String::new(),
        },
        cklb: Default::default(),
    })
}

/// The next child element of the current element, `None` at its end tag.
fn child<'a>(x: &mut XmlReader<'a>) -> Result<Option<(BytesStart<'a>, bool)>> {
    loop {
        match x.next()? {
            Ev::Start(s) => return Ok(Some((s, false))),
            Ev::Empty(s) => return Ok(Some((s, true))),
            Ev::End => return Ok(None),
            Ev::Comment(_) => {}
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
        match local(&s) {
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
                    return Err(x.err(ErrorKind::InvalidValue {
                        field: "ASSET/WEB_OR_DATABASE".into(),
                        value: v,
                        reason: "expected true or false".into(),
                    }));
                }
            }
            b"WEB_DB_SITE" => a.web_db_site = v,
            b"WEB_DB_INSTANCE" => a.web_db_instance = v,
            other => a
                .extra
                .push((String::from_utf8_lossy(other).into_owned(), v)),
        }
    }
    Ok(a)
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
        while let Some((s, empty)) = child(x)? {
            if empty {
                continue;
            }
            match local(&s) {
                b"STIG_INFO" => read_info(x, &mut info)?,
                b"VULN" => rules.push(read_vuln(x, rules.len())?),
                _ => x.skip()?,
            }
        }
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
        let slot = match name.trim() {
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
            _ => continue,
        };
        *slot = data;
    }
    Ok(())
}

fn read_vuln(x: &mut XmlReader<'_>, index: usize) -> Result<RuleResult> {
    let file = x.file();
    let mut rule = Rule::default();
    let mut status: Option<Status> = None;
    let (mut details, mut comments, mut override_, mut justification) =
        (String::new(), String::new(), String::new(), String::new());
    let mut severity = String::new();
    // (Severity is copied: it is short and read once per rule.)
    while let Some((s, empty)) = child(x)? {
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
    let which = if rule.vuln_num.is_empty() {
        format!("VULN #{}", index + 1)
    } else {
        rule.vuln_num.clone()
    };
    rule.severity = status::severity_from_str(&severity, file, &format!("Severity of {which}"))?;
    let status = status.ok_or_else(|| {
        x.err(ErrorKind::MissingElement {
            element: format!("STATUS in {which}"),
        })
    })?;
    let severity_override =
        status::severity_from_str(&override_, file, &format!("SEVERITY_OVERRIDE of {which}"))?;
    Ok(RuleResult {
        rule,
        review: Review {
            status,
            finding_details: details,
            comments,
            severity_override,
            severity_justification: justification,
        },
    })
}

fn apply_attribute(rule: &mut Rule, severity: &mut String, name: &str, data: String) {
    let slot = match name {
        "Vuln_Num" => &mut rule.vuln_num,
        "Severity" => severity,
        "Group_Title" => &mut rule.group_title,
        "Rule_ID" => &mut rule.rule_id,
        "Rule_Ver" => &mut rule.rule_ver,
        "Rule_Title" => &mut rule.rule_title,
        "Vuln_Discuss" => &mut rule.vuln_discuss,
        "IA_Controls" => &mut rule.ia_controls,
        "Check_Content" => &mut rule.check_content,
        "Fix_Text" => &mut rule.fix_text,
        "False_Positives" => &mut rule.false_positives,
        "False_Negatives" => &mut rule.false_negatives,
        "Documentable" => &mut rule.documentable,
        "Mitigations" => &mut rule.mitigations,
        "Potential_Impact" => &mut rule.potential_impact,
        "Third_Party_Tools" => &mut rule.third_party_tools,
        "Mitigation_Control" => &mut rule.mitigation_control,
        "Responsibility" => &mut rule.responsibility,
        "Security_Override_Guidance" => &mut rule.security_override_guidance,
        "Check_Content_Ref" => &mut rule.check_content_ref,
        "Weight" => &mut rule.weight,
        "Class" => &mut rule.class,
        "STIGRef" => &mut rule.stig_ref,
        "TargetKey" => &mut rule.target_key,
        "STIG_UUID" => &mut rule.stig_uuid,
        "LEGACY_ID" => {
            rule.legacy_ids.push(data);
            return;
        }
        "CCI_REF" => {
            rule.ccis.push(data);
            return;
        }
        // Attributes STIG Viewer does not know carry nothing the model can hold.
        _ => return,
    };
    *slot = data;
}
