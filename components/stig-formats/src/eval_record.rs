//! Evaluate-STIG's own records, in both checklist formats: the `<!--<Evaluate-STIG>...-->`
//! comments of a CKL and the `evaluate-stig` objects of a CKLB.
//!
//! Why it exists: STIG Manager builds each review's result engine (product, version, scan
//! time, module, answer-file overrides) from these records, and the POA&M names the tool
//! and scan date from them. Both formats hold the same tree (elements with text or child
//! elements; a JSON object of strings and objects), so one neutral model
//! ([`EvalStigRecord`]) is read from either and written to either, in the source's order.

use quick_xml::events::Event;
use serde_json::value::RawValue;

use crate::model::{EvalStigRecord, EvalStigValue, StigChecklist};
use crate::xml::escape_into;

/// The element every Evaluate-STIG comment holds.
const ROOT: &str = "Evaluate-STIG";

/// The record in a CKL comment's text, or `None` when the comment is not an
/// Evaluate-STIG record (another tool's comment) or is not well-formed XML (then it is
/// left alone as any other comment would be).
pub fn from_ckl_comment(comment: &str) -> Option<EvalStigRecord> {
    let text = comment.trim();
    if !text.starts_with("<Evaluate-STIG>") {
        return None;
    }
    let mut r = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut done: Option<EvalStigRecord> = None;
    loop {
        match r.read_event().ok()? {
            Event::Start(s) => {
                if done.is_some() {
                    return None;
                }
                let name = std::str::from_utf8(s.name().as_ref()).ok()?.to_owned();
                stack.push((name, Vec::new(), String::new()));
            }
            Event::Empty(s) => {
                let name = std::str::from_utf8(s.name().as_ref()).ok()?.to_owned();
                stack
                    .last_mut()?
                    .1
                    .push((name, EvalStigValue::Text(String::new())));
            }
            Event::Text(t) => {
                let s = t.xml10_content().ok()?;
                stack.last_mut()?.2.push_str(&s);
            }
            Event::GeneralRef(g) => {
                let c = match &*g {
                    b"lt" => '<',
                    b"gt" => '>',
                    b"amp" => '&',
                    b"apos" => '\'',
                    b"quot" => '"',
                    _ => g.resolve_char_ref().ok()??,
                };
                stack.last_mut()?.2.push(c);
            }
            Event::End(_) => {
                let (name, children, text) = stack.pop()?;
                let value = if children.is_empty() {
                    EvalStigValue::Text(text)
                } else if text.trim().is_empty() {
                    EvalStigValue::Record(EvalStigRecord(children))
                } else {
                    return None; // mixed content: not a record
                };
                match stack.last_mut() {
                    Some(parent) => parent.1.push((name, value)),
                    None if name == ROOT => match value {
                        EvalStigValue::Record(rec) => done = Some(rec),
                        _ => done = Some(EvalStigRecord::default()),
                    },
                    None => return None,
                }
            }
            Event::Eof => return done,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::CData(_) => return None,
            Event::Comment(_) => {}
        }
    }
}

/// An element being read: (name, children, text).
type Open = (String, Vec<(String, EvalStigValue)>, String);

/// The comment text (without `<!--`/`-->`) a CKL writer puts at the record's level.
pub fn to_ckl_comment(rec: &EvalStigRecord) -> String {
    let mut out = String::from("<Evaluate-STIG>");
    write_children(&mut out, rec);
    out.push_str("</Evaluate-STIG>");
    // Text is escaped, so `--` can only come from the values; keep the comment legal.
    crate::xml::comment_safe(&out)
}

fn write_children(out: &mut String, rec: &EvalStigRecord) {
    for (name, value) in &rec.0 {
        write_element(out, name, value);
    }
}

fn write_element(out: &mut String, name: &str, value: &EvalStigValue) {
    if let EvalStigValue::List(items) = value {
        for item in items {
            write_element(out, name, item);
        }
        return;
    }
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        EvalStigValue::Text(t) | EvalStigValue::Scalar(t) => escape_into(out, t),
        EvalStigValue::Record(r) => write_children(out, r),
        EvalStigValue::List(_) => {}
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The record in a CKLB `evaluate-stig` value. `Err` names the expected type when the
/// value is not a JSON object.
pub fn from_json(raw: &RawValue) -> Result<EvalStigRecord, &'static str> {
    match value_from_json(raw)? {
        EvalStigValue::Record(r) => Ok(r),
        _ => Err("an object"),
    }
}

fn value_from_json(raw: &RawValue) -> Result<EvalStigValue, &'static str> {
    let text = raw.get().trim_start();
    match text.as_bytes().first() {
        Some(b'{') => {
            let obj: crate::cklb::OrderedObject<'_> =
                serde_json::from_str(raw.get()).map_err(|_| "an object")?;
            let mut out = Vec::with_capacity(obj.0.len());
            for (k, v) in obj.0 {
                out.push((k, value_from_json(v)?));
            }
            Ok(EvalStigValue::Record(EvalStigRecord(out)))
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| "an array")?;
            items
                .into_iter()
                .map(value_from_json)
                .collect::<Result<Vec<_>, _>>()
                .map(EvalStigValue::List)
        }
        Some(b'"') => serde_json::from_str(raw.get())
            .map(EvalStigValue::Text)
            .map_err(|_| "a string"),
        _ => Ok(EvalStigValue::Scalar(text.trim_end().to_owned())),
    }
}

/// The record as a compact JSON object, members in the record's order.
pub fn to_json(rec: &EvalStigRecord) -> String {
    let mut out = String::new();
    record_json(&mut out, rec);
    out
}

fn record_json(out: &mut String, rec: &EvalStigRecord) {
    out.push('{');
    for (i, (k, v)) in rec.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, k);
        out.push(':');
        value_json(out, v);
    }
    out.push('}');
}

fn value_json(out: &mut String, v: &EvalStigValue) {
    match v {
        EvalStigValue::Text(t) => push_json_string(out, t),
        // Read from JSON as a number/boolean/null token; anything else is quoted.
        EvalStigValue::Scalar(s) if serde_json::from_str::<serde_json::Value>(s).is_ok() => {
            out.push_str(s)
        }
        EvalStigValue::Scalar(s) => push_json_string(out, s),
        EvalStigValue::Record(r) => record_json(out, r),
        EvalStigValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value_json(out, item);
            }
            out.push(']');
        }
    }
}

fn push_json_string(out: &mut String, s: &str) {
    // Serialising a &str to JSON cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// A text member by path (`["global", "version"]`), for the tool name and scan time.
pub fn text_at<'a>(rec: &'a EvalStigRecord, path: &[&str]) -> Option<&'a str> {
    let (first, rest) = path.split_first()?;
    let v = rec.0.iter().find(|(k, _)| k == first).map(|(_, v)| v)?;
    match (v, rest.is_empty()) {
        (EvalStigValue::Text(t) | EvalStigValue::Scalar(t), true) => Some(t),
        (EvalStigValue::Record(r), false) => text_at(r, rest),
        _ => None,
    }
}

/// `Evaluate-STIG <version>` from a document record (current releases write
/// `<version>`; 1.22xx wrote `<global><version>`).
pub fn tool_name(rec: &EvalStigRecord) -> Option<String> {
    text_at(rec, &["version"])
        .or_else(|| text_at(rec, &["global", "version"]))
        .map(|v| format!("Evaluate-STIG {v}"))
}

/// The scan time a record states (`time` in a STIG record, `global/time` in an old
/// document record).
pub fn scan_time(rec: &EvalStigRecord) -> Option<&str> {
    text_at(rec, &["time"]).or_else(|| text_at(rec, &["global", "time"]))
}

/// When a checklist was scanned, as its Evaluate-STIG records say: the document record's
/// time, else the first STIG record that states one, else empty. CKL and CKLB keep these
/// records in different places but must give the POA&M the same scan date for one scan.
pub fn scan_time_of(document: Option<&EvalStigRecord>, stigs: &[StigChecklist]) -> String {
    document
        .and_then(scan_time)
        .or_else(|| {
            stigs
                .iter()
                .find_map(|s| s.info.evaluate_stig.as_ref().and_then(scan_time))
        })
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ckl_comment_and_json_object_are_the_same_record() {
        let c = "<Evaluate-STIG><time>T&amp;1</time><module><name>Scan-X</name><version>1.2</version></module></Evaluate-STIG>";
        let rec = from_ckl_comment(c).unwrap();
        assert_eq!(text_at(&rec, &["module", "name"]), Some("Scan-X"));
        assert_eq!(scan_time(&rec), Some("T&1"));
        assert_eq!(to_ckl_comment(&rec), c);
        let j = to_json(&rec);
        assert_eq!(
            j,
            r#"{"time":"T&1","module":{"name":"Scan-X","version":"1.2"}}"#
        );
        let raw: Box<RawValue> = serde_json::from_str(&j).unwrap();
        assert_eq!(from_json(&raw).unwrap(), rec);
    }

    #[test]
    fn json_scalars_and_lists_survive_and_other_comments_are_not_records() {
        let raw: Box<RawValue> =
            serde_json::from_str(r#"{"afmod":true,"n":1.50,"x":null,"l":["a","b"]}"#).unwrap();
        let rec = from_json(&raw).unwrap();
        assert_eq!(
            to_json(&rec),
            r#"{"afmod":true,"n":1.50,"x":null,"l":["a","b"]}"#
        );
        assert_eq!(
            to_ckl_comment(&rec),
            "<Evaluate-STIG><afmod>true</afmod><n>1.50</n><x>null</x><l>a</l><l>b</l></Evaluate-STIG>"
        );
        assert!(from_ckl_comment("DISA STIG Viewer :: 2.17").is_none());
        assert!(from_ckl_comment("<Evaluate-STIG><a>x</b></Evaluate-STIG>").is_none());
        let raw: Box<RawValue> = serde_json::from_str("\"v\"").unwrap();
        assert_eq!(from_json(&raw), Err("an object"));
    }
}
