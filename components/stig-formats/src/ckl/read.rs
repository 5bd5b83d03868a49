//! The reference CKL reader: every CKL the project accepts, and every error it reports.
//! Strings are kept exactly as the file holds them (after XML unescaping and the line-end
//! normalisation XML mandates), so write -> read gives the same model. Field names map to
//! model fields through [`super::fields`], the tables the fast scanner uses too.

use std::borrow::Cow;

use quick_xml::events::BytesStart;

use crate::error::{ErrorKind, Result};
use crate::eval_record;
use crate::model::{
    Asset, BenchmarkInfo, Checklist, EvalStigRecord, Review, ReviewExtras, Rule, RuleResult,
    Status, StigChecklist,
};
use crate::status;
use crate::xml::{local, Ev, XmlReader};

use super::fields::{
    apply_attribute, checklist, finish_vuln, info_slot, set_asset_field, vuln_name,
};

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
