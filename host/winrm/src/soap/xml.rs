//! A small element tree over quick-xml, keyed by local names. WinRM responses are bounded
//! by MaxEnvelopeSize, so a tree is cheap, and navigating it keeps the parsers readable.
//! Prefixes are ignored on purpose: Windows, pywinrm and the simulator use different
//! ones for the same namespaces. Document type declarations are refused (never expanded).
//!
//! Responses come from hosts we do not trust, so nesting is capped at [`MAX_DEPTH`]
//! while parsing and every walk of the tree is iterative: a hostile host cannot overflow
//! a worker's stack (and abort the whole fleet run) with deeply nested elements.
//!
//! This is the project's one WS-Management XML reader: the simulator
//! (`stigpack-winrm-sim`) reads the requests it serves with it too, so both ends refuse
//! the same documents for the same reasons ([`parse_with`] says what the simulator adds).

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One element, by local name, with its attributes (namespace declarations left out),
/// its own text and its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == local)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == local)
    }

    pub fn children_named<'a>(&'a self, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == local)
    }

    /// First descendant (depth first, document order, self excluded) with this local
    /// name. Iterative: the walk's depth never touches the call stack.
    pub fn find(&self, local: &str) -> Option<&Element> {
        let mut todo: Vec<&Element> = self.children.iter().rev().collect();
        while let Some(e) = todo.pop() {
            if e.name == local {
                return Some(e);
            }
            todo.extend(e.children.iter().rev());
        }
        None
    }

    /// Follows a path of local names through children.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    /// All text of this element and its descendants, concatenated in document order
    /// (each element's own text before its children's). Iterative, like [`Self::find`].
    pub fn deep_text(&self) -> String {
        let mut s = String::new();
        let mut todo: Vec<&Element> = vec![self];
        while let Some(e) = todo.pop() {
            s.push_str(&e.text);
            todo.extend(e.children.iter().rev());
        }
        s
    }
}

/// Deepest element nesting accepted. Real WS-Management responses nest about ten deep
/// (Envelope, Body, ReceiveResponse, Stream); 256 leaves room for any real provider fault
/// detail while bounding the tree's recursive drop to a few kilobytes of stack.
pub const MAX_DEPTH: usize = 256;

/// Why a document was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("XML document type declarations are not accepted")]
    Dtd,
    #[error("malformed XML: {0}")]
    Malformed(String),
    #[error("XML document has no root element")]
    Empty,
    #[error("XML nests deeper than {limit} elements (at byte {at})")]
    TooDeep { limit: usize, at: u64 },
    #[error("content after the root element")]
    AfterRoot,
}

/// What to do with an element that starts after the root element has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRoot {
    /// The last top-level element becomes the root (the client reading a response).
    KeepLast,
    /// [`XmlError::AfterRoot`] (the simulator reading a request: any client may send one).
    Refuse,
}

fn local(name: &[u8]) -> String {
    let n = match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    String::from_utf8_lossy(n).into_owned()
}

fn start(e: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| XmlError::Malformed(err.to_string()))?;
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let v = a
            .unescape_value()
            .map_err(|err| XmlError::Malformed(err.to_string()))?;
        attrs.push((local(key), v.into_owned()));
    }
    Ok(Element {
        name: local(e.name().as_ref()),
        attrs,
        ..Default::default()
    })
}

fn resolve_ref(name: &str) -> Result<String, XmlError> {
    let s = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => {
            let code = if let Some(h) = name.strip_prefix("#x") {
                u32::from_str_radix(h, 16).ok()
            } else if let Some(d) = name.strip_prefix('#') {
                d.parse().ok()
            } else {
                None
            };
            return code
                .and_then(char::from_u32)
                .map(|c| c.to_string())
                .ok_or_else(|| XmlError::Malformed(format!("unknown entity &{name};")));
        }
    };
    Ok(s.to_string())
}

/// Parses a response into its root element (see [`parse_with`]).
pub fn parse(xml: &[u8]) -> Result<Element, XmlError> {
    parse_with(xml, AfterRoot::KeepLast)
}

/// Parses a document into its root element: DTDs refused, nesting capped at
/// [`MAX_DEPTH`], only the predefined entities and character references resolved, and an
/// element after the root handled as `after_root` says.
pub fn parse_with(xml: &[u8], after_root: AfterRoot) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut buf = Vec::new();
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match ev {
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Start(_) | Event::Empty(_)
                if root.is_some() && stack.is_empty() && after_root == AfterRoot::Refuse =>
            {
                return Err(XmlError::AfterRoot)
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep {
                        limit: MAX_DEPTH,
                        at: reader.buffer_position(),
                    });
                }
                stack.push(start(&e)?)
            }
            Event::Empty(e) => {
                let el = start(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    let raw = t.decode().map_err(|e| XmlError::Malformed(e.to_string()))?;
                    el.text.push_str(&raw);
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(el) = stack.last_mut() {
                    let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                    el.text.push_str(&resolve_ref(&name)?);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "document ends inside an element".into(),
        ));
    }
    root.ok_or(XmlError::Empty)
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_entities_and_prefixes() {
        let e =
            parse(br#"<a:R xmlns:a="x"><b:C k="v&amp;w">1 &lt; 2 &#x41;</b:C><D/></a:R>"#).unwrap();
        assert_eq!(e.name, "R");
        let c = e.child("C").unwrap();
        assert_eq!(c.attr("k"), Some("v&w"));
        assert_eq!(c.text, "1 < 2 A");
        assert!(e.child("D").is_some());
    }

    #[test]
    fn deep_nesting_is_refused_on_a_small_stack() {
        // 10^5 nested elements (700 KB, far under the response cap) on a 2 MiB stack,
        // the size of a tokio worker's: refused with the limit, no overflow.
        let n = 100_000;
        let doc = format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        let out = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || parse(doc.as_bytes()))
            .unwrap()
            .join()
            .unwrap();
        assert!(
            matches!(
                out,
                Err(XmlError::TooDeep {
                    limit: MAX_DEPTH,
                    ..
                })
            ),
            "{out:?}"
        );
    }

    #[test]
    fn nesting_at_the_limit_is_read_and_walked_in_order() {
        let doc = format!(
            "<r>{}x<t>y</t>{}<t>z</t></r>",
            "<a>".repeat(MAX_DEPTH - 2),
            "</a>".repeat(MAX_DEPTH - 2)
        );
        let e = parse(doc.as_bytes()).unwrap();
        assert_eq!(e.deep_text(), "xyz");
        assert_eq!(e.find("t").map(|t| t.text.as_str()), Some("y"));
        let over = format!(
            "<r>{}{}</r>",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert!(matches!(
            parse(over.as_bytes()),
            Err(XmlError::TooDeep { .. })
        ));
    }

    #[test]
    fn an_element_after_the_root_is_kept_or_refused() {
        let two = b"<a/><b>x</b>";
        assert_eq!(parse(two).unwrap().name, "b");
        assert_eq!(parse_with(two, AfterRoot::Refuse), Err(XmlError::AfterRoot));
        assert!(parse_with(b"<a><b/></a>", AfterRoot::Refuse).is_ok());
    }

    #[test]
    fn refuses_dtd() {
        let x = br#"<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>"#;
        assert_eq!(parse(x), Err(XmlError::Dtd));
    }

    #[test]
    fn rejects_unknown_entity_and_truncation() {
        assert!(parse(b"<r>&e;</r>").is_err());
        assert!(parse(b"<r><a></a>").is_err());
        assert!(parse(b"").is_err());
    }
}
