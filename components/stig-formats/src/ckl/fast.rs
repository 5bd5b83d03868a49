//! The fast CKL scanner: one forward pass over the layout that STIG Viewer, STIG Manager
//! and Evaluate-STIG write, with no event objects and no per-element bookkeeping.
//!
//! Why it exists: reading scans is most of an export's work (3.4 GB of CKL for 1,000 hosts
//! x 800 rules, about 90,000 elements per host), and the general reader spends two thirds
//! of its time on events this format never needs. The scanner is 3-4x faster natively and
//! in the sandbox.
//!
//! Why it is safe: it never decides anything on its own. It accepts only a strict subset
//! of XML (no DTD, no CDATA, no processing instructions after the declaration, no
//! attributes, no namespace prefixes, only the five predefined entities and character
//! references, known element names in their known places) and returns `None` the moment
//! it meets anything else, or anything wrong, so that [`super::read::read_full`], the
//! reference reader, reads the file and reports any error. For every file it accepts, it
//! must build exactly the model the reference reader builds: the field mappings are the
//! reference reader's own functions, and tests compare both readers on every sample and
//! on generated variants.

use std::borrow::Cow;

// Names compared here are a few bytes long; `memcmp` in the sandbox is a call per name.
use crate::bytes::same;

use crate::model::{
    Asset, BenchmarkInfo, Checklist, EvalStigRecord, Review, Rule, RuleResult, StigChecklist,
};
use crate::status;

use super::fields::{
    attribute_index, checklist, finish_vuln, info_slot, set_asset_field, set_attribute, ATTRIBUTES,
};

/// Reads `src` (already size-, encoding- and declaration-checked) if it is in the plain
/// layout; `None` hands it to the reference reader.
pub(super) fn read(src: &str, file: &str) -> Option<Checklist> {
    let mut x = Scan {
        s: src,
        pos: 0,
        record: None,
    };
    if src.starts_with("<?xml") {
        x.pos = find(x.b(), b"?>", 5)? + 2;
    }
    let mut head_comments = Vec::new();
    loop {
        x.ws();
        if !x.rest().starts_with(b"<!--") {
            break;
        }
        head_comments.push(x.comment()?);
    }
    if x.open(b"CHECKLIST")? {
        return None;
    }
    let mut asset = None;
    let mut stigs = Vec::new();
    let mut saw_stigs = false;
    while let Some((name, empty)) = x.child(b"CHECKLIST")? {
        match (name, empty) {
            (b"ASSET", false) => asset = Some(read_asset(&mut x)?),
            (b"STIGS", _) => {
                saw_stigs = true;
                if !empty {
                    read_stigs(&mut x, &mut stigs)?;
                }
            }
            _ => return None,
        }
    }
    x.misc()?;
    if x.pos != src.len() || !saw_stigs {
        return None;
    }
    Some(checklist(asset?, stigs, file, &head_comments))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|i| i + from)
}

/// A cursor over the document. Every method returns `None` for "not the plain layout".
struct Scan<'a> {
    s: &'a str,
    pos: usize,
    /// The first Evaluate-STIG record among the comments skipped since it was last taken
    /// (the reference reader's `child_noting`).
    record: Option<EvalStigRecord>,
}

impl<'a> Scan<'a> {
    fn b(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    fn rest(&self) -> &'a [u8] {
        self.b().get(self.pos..).unwrap_or_default()
    }

    /// Skips XML white space.
    fn ws(&mut self) {
        let b = self.b();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(self.pos) {
            self.pos += 1;
        }
    }

    /// After `<!--`: the comment's text, or `None` for one XML forbids (`--` inside)
    /// or one holding a CR (its line ends would need normalising).
    fn comment(&mut self) -> Option<&'a str> {
        let start = self.pos + 4;
        let end = find(self.b(), b"-->", start)?;
        let text = self.s.get(start..end)?;
        if text.contains("--") || text.ends_with('-') || text.contains('\r') {
            return None;
        }
        self.pos = end + 3;
        Some(text)
    }

    /// Skips white space and comments between elements.
    fn misc(&mut self) -> Option<()> {
        loop {
            self.ws();
            if !self.rest().starts_with(b"<!--") {
                return Some(());
            }
            let c = self.comment()?;
            if self.record.is_none() {
                self.record = crate::eval_record::from_ckl_comment(c);
            }
        }
    }

    /// Consumes `<name>` (`Some(false)`) or `<name/>` (`Some(true)`).
    fn open(&mut self, name: &[u8]) -> Option<bool> {
        let (found, empty) = self.start_tag()?;
        same(found, name).then_some(empty)
    }

    /// Consumes a start tag with a plain name and no attributes.
    fn start_tag(&mut self) -> Option<(&'a [u8], bool)> {
        let b = self.b();
        if b.get(self.pos) != Some(&b'<') {
            return None;
        }
        let start = self.pos + 1;
        if !b.get(start).is_some_and(|&c| NAME_START[c as usize]) {
            return None;
        }
        let mut i = start + 1;
        while b.get(i).is_some_and(|&c| NAME_CHAR[c as usize]) {
            i += 1;
        }
        let name = &b[start..i];
        // `<MARKING />`: Evaluate-STIG (and .NET's XmlWriter) put a space before `/>`.
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
            i += 1;
        }
        match b.get(i..i + 2) {
            Some([b'>', _]) => {
                self.pos = i + 1;
                Some((name, false))
            }
            Some(b"/>") => {
                self.pos = i + 2;
                Some((name, true))
            }
            _ => None,
        }
    }

    /// Consumes `</name>`.
    fn close(&mut self, name: &[u8]) -> Option<()> {
        let r = self.rest();
        let n = name.len();
        if r.len() >= n + 3
            && r[0] == b'<'
            && r[1] == b'/'
            && same(&r[2..2 + n], name)
            && r[2 + n] == b'>'
        {
            self.pos += n + 3;
            Some(())
        } else {
            None
        }
    }

    /// Consumes `tag` (a whole start or end tag) if the input is at it.
    fn take(&mut self, tag: &[u8]) -> bool {
        let hit = self.rest().get(..tag.len()).is_some_and(|r| same(r, tag));
        if hit {
            self.pos += tag.len();
        }
        hit
    }

    /// The next child element of `parent`, `None` inside the `Some` at `</parent>`.
    fn child(&mut self, parent: &[u8]) -> Option<Option<(&'a [u8], bool)>> {
        self.misc()?;
        if self.rest().starts_with(b"</") {
            self.close(parent)?;
            return Some(None);
        }
        self.start_tag().map(Some)
    }

    /// After `<name>` (or `<name/>` when `empty`): the element's text up to `</name>`,
    /// with references resolved and line ends normalised as XML 1.0 requires. Borrowed
    /// unless it held a reference or a CR.
    fn text(&mut self, name: &[u8], empty: bool) -> Option<Cow<'a, str>> {
        if empty {
            return Some(Cow::Borrowed(""));
        }
        let b = self.b();
        let mut owned: Option<String> = None;
        let mut seg = self.pos;
        loop {
            let at = self.pos + memchr::memchr3(b'<', b'&', b'\r', self.rest())?;
            let piece = self.s.get(seg..at)?;
            match b[at] {
                b'<' => {
                    self.pos = at;
                    self.close(name)?;
                    return Some(match owned {
                        None => Cow::Borrowed(piece),
                        Some(mut o) => {
                            o.push_str(piece);
                            Cow::Owned(o)
                        }
                    });
                }
                b'\r' => {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(piece);
                    o.push('\n');
                    self.pos = at + if b.get(at + 1) == Some(&b'\n') { 2 } else { 1 };
                }
                _ => {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(piece);
                    let (c, len) = reference(b.get(at + 1..)?)?;
                    o.push(c);
                    self.pos = at + 1 + len;
                }
            }
            seg = self.pos;
        }
    }

    fn text_owned(&mut self, name: &[u8], empty: bool) -> Option<String> {
        self.text(name, empty).map(Cow::into_owned)
    }
}

/// Bytes that may start an element name here (ASCII letters and `_`; no prefixes) and that
/// may follow (also digits, `-`, `.`). Anything else is the reference reader's to judge.
static NAME_START: [bool; 256] = name_table(false);
static NAME_CHAR: [bool; 256] = name_table(true);

const fn name_table(rest: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphabetic()
            || b == b'_'
            || (rest && (b.is_ascii_digit() || b == b'-' || b == b'.'));
        c += 1;
    }
    t
}

/// After `&`: the character a predefined entity or a character reference stands for, and
/// how many bytes it takes including the `;`. Only characters XML 1.0 allows (a control
/// character other than tab, LF and CR is the reference reader's to judge).
fn reference(r: &[u8]) -> Option<(char, usize)> {
    let semi = memchr::memchr(b';', r.get(..r.len().min(12))?)?;
    let c = match &r[..semi] {
        b"lt" => '<',
        b"gt" => '>',
        b"amp" => '&',
        b"quot" => '"',
        b"apos" => '\'',
        [b'#', b'x', hex @ ..] if !hex.is_empty() => char_ref(hex, 16)?,
        [b'#', dec @ ..] if !dec.is_empty() => char_ref(dec, 10)?,
        _ => return None,
    };
    Some((c, semi + 1))
}

fn char_ref(digits: &[u8], radix: u32) -> Option<char> {
    let mut v: u32 = 0;
    for &d in digits {
        v = v
            .checked_mul(radix)?
            .checked_add((d as char).to_digit(radix)?)?;
    }
    let c = char::from_u32(v)?;
    let allowed = matches!(c, '\t' | '\n' | '\r') || (v >= 0x20 && v != 0xFFFE && v != 0xFFFF);
    allowed.then_some(c)
}

fn read_asset(x: &mut Scan<'_>) -> Option<Asset> {
    let mut a = Asset::default();
    while let Some((name, empty)) = x.child(b"ASSET")? {
        let v = x.text_owned(name, empty)?;
        set_asset_field(&mut a, name, v).ok()?;
    }
    Some(a)
}

fn read_stigs(x: &mut Scan<'_>, out: &mut Vec<StigChecklist>) -> Option<()> {
    while let Some((name, empty)) = x.child(b"STIGS")? {
        match (name, empty) {
            (b"iSTIG", false) => {}
            (_, true) => continue,
            _ => return None,
        }
        let mut info = BenchmarkInfo::default();
        let mut rules = Vec::new();
        x.record = None;
        let mut record = None;
        while let Some((name, empty)) = x.child(b"iSTIG")? {
            if record.is_none() {
                record = x.record.take();
            }
            match (name, empty) {
                (_, true) => {}
                (b"STIG_INFO", false) => read_info(x, &mut info)?,
                (b"VULN", false) => rules.push(read_vuln(x, rules.len())?),
                _ => return None,
            }
            // Comments nested deeper belong to no record (as in the reference reader).
            x.record = None;
        }
        if record.is_none() {
            record = x.record.take();
        }
        info.evaluate_stig = record;
        out.push(StigChecklist { info, rules });
    }
    Some(())
}

fn read_info(x: &mut Scan<'_>, info: &mut BenchmarkInfo) -> Option<()> {
    while let Some((name, empty)) = x.child(b"STIG_INFO")? {
        match (name, empty) {
            (_, true) => continue,
            (b"SI_DATA", false) => {}
            _ => return None,
        }
        let (sid_name, data) = name_and_data(x, b"SI_DATA", b"SID_NAME", b"SID_DATA")?;
        if let Some(slot) = info_slot(info, &sid_name) {
            *slot = data;
        }
    }
    Some(())
}

fn read_vuln(x: &mut Scan<'_>, index: usize) -> Option<RuleResult> {
    let mut rule = Rule::default();
    let mut severity = String::new();
    let mut status = None;
    let mut override_ = Cow::Borrowed("");
    let mut review = Review {
        status: crate::model::Status::NotReviewed,
        finding_details: String::new(),
        comments: String::new(),
        severity_override: None,
        severity_justification: String::new(),
        keep: Default::default(),
    };
    // Where the next attribute is expected in STIG Viewer's order.
    let mut next = 0;
    // Only comments directly inside the VULN can be its Evaluate-STIG record.
    x.record = None;
    let mut record = None;
    loop {
        x.misc()?;
        if record.is_none() {
            record = x.record.take();
        }
        if x.take(b"<STIG_DATA>") {
            if let Some((i, data)) = stig_data_in_order(x, next) {
                set_attribute(&mut rule, &mut severity, i, data);
                next = i + 1;
            } else {
                read_stig_data(x, &mut rule, &mut severity)?;
            }
            x.record = None;
            continue;
        }
        let next_child = x.child(b"VULN")?;
        if record.is_none() {
            record = x.record.take();
        }
        let Some((name, empty)) = next_child else {
            break;
        };
        match name {
            b"STIG_DATA" if !empty => {
                read_stig_data(x, &mut rule, &mut severity)?;
                x.record = None;
            }
            b"STATUS" => status = Some(status::from_ckl(&x.text(name, empty)?, "").ok()?),
            b"FINDING_DETAILS" => review.finding_details = x.text_owned(name, empty)?,
            b"COMMENTS" => review.comments = x.text_owned(name, empty)?,
            b"SEVERITY_OVERRIDE" => override_ = x.text(name, empty)?,
            b"SEVERITY_JUSTIFICATION" => {
                review.severity_justification = x.text_owned(name, empty)?
            }
            _ if empty => {}
            _ => return None,
        }
    }
    review.status = status?;
    review.keep.evaluate_stig = record;
    finish_vuln(rule, &severity, &override_, review, "", index).ok()
}

/// After `<STIG_DATA>`: the common shape, `<VULN_ATTRIBUTE>` naming the attribute
/// expected at `next` (or any known one) then `<ATTRIBUTE_DATA>`, then `</STIG_DATA>`.
/// `None` (with the cursor where it was) for any other shape.
fn stig_data_in_order(x: &mut Scan<'_>, next: usize) -> Option<(usize, String)> {
    let start = x.pos;
    let found = (|| {
        x.ws();
        if !x.take(b"<VULN_ATTRIBUTE>") {
            return None;
        }
        let attribute = x.text(b"VULN_ATTRIBUTE", false)?;
        let name = attribute.trim();
        let i = match ATTRIBUTES.get(next) {
            Some(expected) if same(expected.as_bytes(), name.as_bytes()) => next,
            _ => attribute_index(name)?,
        };
        x.ws();
        if !x.take(b"<ATTRIBUTE_DATA>") {
            return None;
        }
        let data = x.text_owned(b"ATTRIBUTE_DATA", false)?;
        x.ws();
        x.take(b"</STIG_DATA>").then_some((i, data))
    })();
    if found.is_none() {
        x.pos = start;
    }
    found
}

/// After `<STIG_DATA>`, any order of its children (the reference reader's rules).
fn read_stig_data(x: &mut Scan<'_>, rule: &mut Rule, severity: &mut String) -> Option<()> {
    let (attribute, data) = name_and_data(x, b"STIG_DATA", b"VULN_ATTRIBUTE", b"ATTRIBUTE_DATA")?;
    if let Some(i) = attribute_index(attribute.trim()) {
        set_attribute(rule, severity, i, data);
    }
    Some(())
}

/// The children of a `<parent>` naming pair (`SI_DATA`, `STIG_DATA`), in any order, up to
/// `</parent>`: the last `key` and `value` texts (empty when absent), other empty elements
/// ignored as the reference reader ignores them.
fn name_and_data<'a>(
    x: &mut Scan<'a>,
    parent: &[u8],
    key: &[u8],
    value: &[u8],
) -> Option<(Cow<'a, str>, String)> {
    let (mut name, mut data) = (Cow::Borrowed(""), String::new());
    while let Some((tag, empty)) = x.child(parent)? {
        if same(tag, key) {
            name = x.text(tag, empty)?;
        } else if same(tag, value) {
            data = x.text_owned(tag, empty)?;
        } else if !empty {
            return None;
        }
    }
    Some((name, data))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_like_xml_and_refuse_the_rest() {
        assert_eq!(reference(b"amp;x"), Some(('&', 4)));
        assert_eq!(reference(b"#x41;"), Some(('A', 5)));
        assert_eq!(reference(b"#13;"), Some(('\r', 4)));
        assert_eq!(reference(b"#1;"), None, "a control character");
        assert_eq!(reference(b"#0;"), None);
        assert_eq!(reference(b"#xD800;"), None, "a surrogate");
        assert_eq!(reference(b"#X41;"), None, "XML spells it lower case");
        assert_eq!(reference(b"nbsp;"), None, "not predefined");
        assert_eq!(reference(b"#99999999999;"), None);
        assert_eq!(reference(b"amp"), None, "unterminated");
    }
}
