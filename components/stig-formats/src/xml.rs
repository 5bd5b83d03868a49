//! The one XML reader setup every parser in the crate goes through, and the escaper every
//! writer uses.
//!
//! Scan files come from hosts we are assessing, so they are hostile input: a DTD or entity
//! declaration is refused outright (never expanded, so no billion-laughs and no external
//! entity fetches), only UTF-8 is accepted, input size is capped by [`MAX_INPUT_BYTES`],
//! and a document that ends inside an open element is reported as truncated instead of
//! yielding a silently shortened checklist.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, ErrorKind, Result};

/// The largest input file any reader accepts: 256 MiB. The biggest real checklists seen
/// in the field are a few MB (STIG Manager's ~225 KB average, combined CKLs of 8 STIGs
/// ~10 MB); 256 MiB leaves headroom while keeping a hostile 500 MB file from exhausting
/// memory. Callers that read from disk should compare the file's size with this before
/// reading it.
pub const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Refuses oversized input. Shared by the XML and JSON readers.
pub(crate) fn check_size(file: &str, len: usize) -> Result<()> {
    let size = len as u64;
    if size > MAX_INPUT_BYTES {
        return Err(Error::new(
            file,
            ErrorKind::TooLarge {
                size,
                limit: MAX_INPUT_BYTES,
            },
        ));
    }
    Ok(())
}

/// Checks size and encoding and returns the text without a UTF-8 BOM.
/// UTF-16/32 (by BOM or by the zero-byte pattern of `<?`) and invalid UTF-8 are errors.
pub(crate) fn decode_utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str> {
    check_size(file, bytes.len())?;
    let bad = |detail: String| Error::new(file, ErrorKind::BadEncoding { detail });
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(bad("the file starts with a UTF-16 byte order mark".into()));
    }
    if bytes.len() >= 4 && (bytes[0] == 0 || bytes[1] == 0) && bytes[..4].contains(&b'<') {
        return Err(bad(
            "the file looks like UTF-16 or UTF-32 (zero bytes between characters)".into(),
        ));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s),
        Err(e) => {
            let at = e.valid_up_to();
            let line = body[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(bad(format!(
                "invalid UTF-8 byte sequence at line {line} (byte {at})"
            )))
        }
    }
}

/// A declaration naming another encoding (`ISO-8859-1`, `windows-1252`, `UTF-16`) on
/// bytes that are valid UTF-8 is only harmless when the text is pure ASCII; otherwise the
/// same bytes mean different characters to us and to the tool that wrote them.
fn check_declared_encoding(file: &str, src: &str) -> Result<()> {
    // The declaration must end within the first 256 bytes. Searched as bytes: cutting
    // the text at byte 256 could split a multi-byte character (a host name, a marking)
    // and panic; `?>` is ASCII, so where it is found is a character boundary.
    let window = &src.as_bytes()[..src.len().min(256)];
    let Some(after) = window.strip_prefix(b"<?xml") else {
        return Ok(());
    };
    let mut end = 5 + memchr::memmem::find(after, b"?>").unwrap_or(after.len());
    while !src.is_char_boundary(end) {
        end -= 1;
    }
    let decl = &src[5..end];
    let Some(at) = decl.find("encoding") else {
        return Ok(());
    };
    let value: String = decl[at + 8..]
        .trim_start_matches([' ', '=', '"', '\''])
        .chars()
        .take_while(|c| !matches!(c, '"' | '\'' | ' ' | '?'))
        .collect();
    let v = value.to_ascii_lowercase();
    if v == "utf-8" || v == "utf8" || ((v == "us-ascii" || v == "ascii") && src.is_ascii()) {
        return Ok(());
    }
    if src.is_ascii() && !v.starts_with("utf-16") && !v.starts_with("utf-32") {
        return Ok(());
    }
    Err(Error::new(
        file,
        ErrorKind::BadEncoding {
            detail: format!("the XML declaration says encoding=\"{value}\""),
        },
    ))
}

/// A streaming view of one XML document with the safety rules applied.
pub(crate) struct XmlReader<'a> {
    reader: Reader<&'a [u8]>,
    src: &'a str,
    file: &'a str,
    depth: usize,
    seen_root: bool,
}

/// The events parsers care about. Whitespace and text between elements, processing
/// instructions and the declaration are skipped by [`XmlReader::next`].
pub(crate) enum Ev<'a> {
    Start(BytesStart<'a>),
    Empty(BytesStart<'a>),
    End,
    Comment(String),
    Eof,
}

/// The checks every XML input passes before any parser sees it (size, UTF-8, the declared
/// encoding), returning the text without a BOM.
pub(crate) fn checked_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str> {
    let src = decode_utf8(file, bytes)?;
    check_declared_encoding(file, src)?;
    Ok(src)
}

impl<'a> XmlReader<'a> {
    pub(crate) fn new(file: &'a str, bytes: &'a [u8]) -> Result<Self> {
        Ok(Self::from_checked(file, checked_text(file, bytes)?))
    }

    /// A reader over text that has passed [`checked_text`].
    pub(crate) fn from_checked(file: &'a str, src: &'a str) -> Self {
        let mut reader = Reader::from_str(src);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        XmlReader {
            reader,
            src,
            file,
            depth: 0,
            seen_root: false,
        }
    }

    pub(crate) fn file(&self) -> &'a str {
        self.file
    }

    fn line_at(&self, pos: u64) -> u64 {
        let end = (pos as usize).min(self.src.len());
        self.src.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1
    }

    pub(crate) fn err(&self, kind: ErrorKind) -> Error {
        Error::new(self.file, kind)
    }

    /// A "malformed" error at the current position.
    pub(crate) fn malformed(&self, message: impl Into<String>) -> Error {
        let byte = self.reader.buffer_position();
        self.err(ErrorKind::MalformedXml {
            line: self.line_at(byte),
            byte,
            message: message.into(),
        })
    }

    fn map_qx(&self, e: quick_xml::Error) -> Error {
        use quick_xml::errors::SyntaxError;
        let byte = self.reader.error_position();
        match &e {
            // `<!ENTITY`/`<!ELEMENT`... outside a DOCTYPE: a declaration all the same.
            quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup)
                if self.declaration_near(byte) =>
            {
                self.err(ErrorKind::DtdRefused {
                    line: self.line_at(byte),
                })
            }
            quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup)
                if (self.src.len() as u64).saturating_sub(byte) > 16 =>
            {
                self.err(ErrorKind::MalformedXml {
                    line: self.line_at(byte),
                    byte,
                    message: e.to_string(),
                })
            }
            // Every "unclosed" syntax error means the input ended before the markup did.
            quick_xml::Error::Syntax(
                SyntaxError::UnclosedTag
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedPIOrXmlDecl
                | SyntaxError::InvalidBangMarkup,
            ) => self.err(ErrorKind::Truncated {
                detail: format!(
                    "the input ends inside markup started at line {} ({e})",
                    self.line_at(byte)
                ),
            }),
            quick_xml::Error::Syntax(SyntaxError::UnclosedDoctype) => {
                self.err(ErrorKind::DtdRefused {
                    line: self.line_at(byte),
                })
            }
            _ => self.err(ErrorKind::MalformedXml {
                line: self.line_at(byte),
                byte,
                message: e.to_string(),
            }),
        }
    }

    /// Whether a `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST` or `<!NOTATION` starts near `pos`.
    fn declaration_near(&self, pos: u64) -> bool {
        let b = self.src.as_bytes();
        let start = (pos as usize).saturating_sub(16).min(b.len());
        let end = (pos as usize + 16).min(b.len());
        let window = &b[start..end];
        [&b"<!ENTITY"[..], b"<!ELEMENT", b"<!ATTLIST", b"<!NOTATION"]
            .iter()
            .any(|k| window.windows(k.len()).any(|w| w == *k))
    }

    fn raw(&mut self) -> Result<Event<'a>> {
        let start = self.reader.buffer_position();
        match self.reader.read_event() {
            Ok(Event::DocType(_)) => Err(self.err(ErrorKind::DtdRefused {
                line: self.line_at(start),
            })),
            Ok(Event::Start(s)) => {
                if self.depth == 0 && self.seen_root {
                    return Err(self.malformed("more than one root element"));
                }
                self.seen_root = true;
                self.depth += 1;
                Ok(Event::Start(s))
            }
            Ok(Event::Empty(s)) => {
                if self.depth == 0 && self.seen_root {
                    return Err(self.malformed("more than one root element"));
                }
                self.seen_root = true;
                Ok(Event::Empty(s))
            }
            Ok(Event::End(e)) => {
                self.depth = self.depth.saturating_sub(1);
                Ok(Event::End(e))
            }
            Ok(Event::Eof) => {
                if self.depth > 0 {
                    return Err(self.err(ErrorKind::Truncated {
                        detail: format!("the input ends with {} element(s) still open", self.depth),
                    }));
                }
                if !self.seen_root {
                    return Err(self.err(ErrorKind::Truncated {
                        detail: "the input holds no root element".into(),
                    }));
                }
                Ok(Event::Eof)
            }
            Ok(other) => Ok(other),
            Err(e) => Err(self.map_qx(e)),
        }
    }

    /// The next structural event; character data between elements is skipped (it is
    /// pretty-printing in every format we read).
    pub(crate) fn next(&mut self) -> Result<Ev<'a>> {
        loop {
            match self.raw()? {
                Event::Start(s) => return Ok(Ev::Start(s)),
                Event::Empty(s) => return Ok(Ev::Empty(s)),
                Event::End(_) => return Ok(Ev::End),
                Event::Eof => return Ok(Ev::Eof),
                Event::Comment(c) => {
                    let text = c.decode().map_err(|e| self.malformed(e.to_string()))?;
                    return Ok(Ev::Comment(text.into_owned()));
                }
                Event::GeneralRef(r) => {
                    // Outside a text element: still must be a known entity.
                    self.resolve_ref(&r)?;
                }
                _ => {}
            }
        }
    }

    fn resolve_ref(&self, r: &quick_xml::events::BytesRef<'_>) -> Result<Cow<'static, str>> {
        if r.is_char_ref() {
            return match r.resolve_char_ref() {
                Ok(Some(c)) => Ok(Cow::Owned(c.to_string())),
                _ => Err(self.malformed(format!(
                    "invalid character reference &{};",
                    String::from_utf8_lossy(r)
                ))),
            };
        }
        let s: &'static str = match &**r {
            b"lt" => "<",
            b"gt" => ">",
            b"amp" => "&",
            b"apos" => "'",
            b"quot" => "\"",
            other => {
                let pos = self.reader.buffer_position();
                return Err(self.err(ErrorKind::UnknownEntity {
                    name: String::from_utf8_lossy(other).into_owned(),
                    line: self.line_at(pos),
                }));
            }
        };
        Ok(Cow::Borrowed(s))
    }

    /// After a `Start`, the element's text content up to its end tag (entity and character
    /// references resolved, line ends normalised as XML requires). Text of nested
    /// elements is concatenated, so mixed content degrades to its text.
    pub(crate) fn text(&mut self) -> Result<String> {
        self.text_cow().map(Cow::into_owned)
    }

    /// As [`Self::text`], borrowing from the input when the text holds no references or
    /// CRs (most element names and short values): no allocation.
    pub(crate) fn text_cow(&mut self) -> Result<Cow<'a, str>> {
        let mut out: Cow<'a, str> = Cow::Borrowed("");
        let mut nested = 0usize;
        loop {
            match self.raw()? {
                Event::Text(t) => {
                    let s = t
                        .xml10_content()
                        .map_err(|e| self.malformed(e.to_string()))?;
                    if out.is_empty() {
                        out = s;
                    } else {
                        out.to_mut().push_str(&s);
                    }
                }
                Event::CData(c) => {
                    let s = c
                        .xml10_content()
                        .map_err(|e| self.malformed(e.to_string()))?;
                    out.to_mut().push_str(&s);
                }
                Event::GeneralRef(r) => {
                    let s = self.resolve_ref(&r)?;
                    out.to_mut().push_str(&s);
                }
                Event::Start(_) => nested += 1,
                Event::End(_) => {
                    if nested == 0 {
                        return Ok(out);
                    }
                    nested -= 1;
                }
                Event::Eof => {
                    return Err(self.err(ErrorKind::Truncated {
                        detail: "the input ends inside an element".into(),
                    }))
                }
                _ => {}
            }
        }
    }

    /// After a `Start`, skips the element's whole subtree.
    pub(crate) fn skip(&mut self) -> Result<()> {
        let mut nested = 0usize;
        loop {
            match self.raw()? {
                Event::Start(_) => nested += 1,
                Event::End(_) => {
                    if nested == 0 {
                        return Ok(());
                    }
                    nested -= 1;
                }
                Event::GeneralRef(r) => {
                    self.resolve_ref(&r)?;
                }
                Event::Eof => {
                    return Err(self.err(ErrorKind::Truncated {
                        detail: "the input ends inside an element".into(),
                    }))
                }
                _ => {}
            }
        }
    }

    /// An attribute's value (unescaped, entity rules as for text), by local name.
    pub(crate) fn attr(&self, start: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>> {
        for a in start.attributes() {
            let a = a.map_err(|e| self.malformed(e.to_string()))?;
            if a.key.local_name().as_ref() == name {
                let v = a.unescape_value().map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, n),
                    ) => self.err(ErrorKind::UnknownEntity {
                        name: n,
                        line: self.line_at(self.reader.buffer_position()),
                    }),
                    other => self.malformed(other.to_string()),
                })?;
                return Ok(Some(v.into_owned()));
            }
        }
        Ok(None)
    }
}

/// The local (namespace-free) name of an element.
pub(crate) fn local<'b>(s: &'b BytesStart<'_>) -> &'b [u8] {
    let n = s.name().into_inner();
    match n.iter().rposition(|&b| b == b':') {
        Some(i) => &n[i + 1..],
        None => n,
    }
}

/// Appends `text` escaped for XML character data (quotes are left alone, as STIG Viewer
/// writes them; never use this for attribute values). `\r` is written as `&#13;` so it survives the reader's line-end
/// normalisation; characters XML 1.0 forbids (C0 controls other than tab/LF/CR) cannot be
/// represented at all and are replaced with U+FFFD.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    // Fast path: most fields need no escaping at all.
    let Some(first) = first_to_escape(bytes) else {
        out.push_str(text);
        return;
    };
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        let rep: &str = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\r' => "&#13;",
            _ => "\u{FFFD}",
        };
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

/// The first byte [`escape_into`] must replace. Tested 16 bytes at a time without a
/// table or an early exit inside a block, so that it compiles to SIMD compares (SSE/AVX
/// natively, simd128 in the sandbox) instead of a byte loop: this scans every byte of
/// every checklist written.
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    let needs = needs_escape;
    let mut blocks = bytes.chunks_exact(16);
    for (i, block) in blocks.by_ref().enumerate() {
        if block.iter().fold(false, |hit, &b| hit | needs(b)) {
            let at = block.iter().position(|&b| needs(b)).unwrap_or(0);
            return Some(i * 16 + at);
        }
    }
    let tail = blocks.remainder();
    let base = bytes.len() - tail.len();
    tail.iter().position(|&b| needs(b)).map(|at| base + at)
}

/// Bytes [`escape_into`] must replace: `& < >`, CR, and C0 controls except tab and LF.
/// Branch-free (no table, no short-circuit) so that [`first_to_escape`] vectorises.
#[inline(always)]
const fn needs_escape(b: u8) -> bool {
    (b < 0x20) & (b != b'\t') & (b != b'\n') | (b == b'&') | (b == b'<') | (b == b'>')
}

/// [`needs_escape`] as a table, for the byte-at-a-time loop once escaping has begun,
/// where one load beats the six compares (1.6x faster writing of escape-heavy text).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = needs_escape(i as u8);
        i += 1;
    }
    t
};

/// Comment text safe inside `<!-- -->` (no `--`, no trailing `-`).
pub(crate) fn comment_safe(text: &str) -> String {
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "- -");
    }
    if s.ends_with('-') {
        s.push(' ');
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_multibyte_character_at_any_offset_near_byte_256_is_not_a_panic() {
        // Regression: the declaration check cut the text at byte 256 without looking for
        // a character boundary. Put a 2-, 3- and 4-byte character at every offset from
        // 250 to 260, inside and after a long declaration.
        for ch in ["ü", "€", "𝄞"] {
            for at in 250..=260 {
                let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
                let pad = at - decl.len() - "<r>".len();
                let doc = format!("{decl}<r>{}{ch}</r>", "a".repeat(pad));
                assert!(
                    check_declared_encoding("f.ckl", &doc).is_ok(),
                    "{ch} at {at}"
                );
                let long = format!("<?xml version=\"1.0\"{}{ch} ?><r/>", " ".repeat(at - 19));
                let _ = check_declared_encoding("f.ckl", &long);
            }
        }
        let utf16 = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><r>é</r>";
        assert!(check_declared_encoding("f.ckl", utf16).is_err());
    }

    #[test]
    fn escaper_escapes_markup_and_keeps_cr() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&\"c\r\n\td\u{1}é");
        assert_eq!(s, "a&lt;b&gt;&amp;\"c&#13;\n\td\u{FFFD}é");
    }

    /// Escape-dense texts (DISA's `A >> B` menu paths, runs of markup, escapes across
    /// the 16-byte blocks) come out as a character-by-character escaper writes them.
    #[test]
    fn dense_escapes_match_a_character_by_character_escaper() {
        let reference = |t: &str| -> String {
            t.chars()
                .map(|c| match c {
                    '&' => "&amp;".to_owned(),
                    '<' => "&lt;".to_owned(),
                    '>' => "&gt;".to_owned(),
                    '\r' => "&#13;".to_owned(),
                    c if (c as u32) < 0x20 && c != '\t' && c != '\n' => "\u{FFFD}".to_owned(),
                    c => c.to_string(),
                })
                .collect()
        };
        let specials = ['&', '<', '>', '\r', '\u{1}', '\t', '\n', 'é'];
        for len in 0..48 {
            for every in 1..20 {
                for (k, sp) in specials.iter().enumerate() {
                    let text: String = (0..len)
                        .map(|i| if i % every == k % every { *sp } else { 'x' })
                        .collect();
                    let mut out = String::new();
                    escape_into(&mut out, &text);
                    assert_eq!(out, reference(&text), "{text:?}");
                }
            }
        }
        let menu = "Computer Configuration >> Administrative Templates >> System >> Logon";
        let mut out = String::new();
        escape_into(&mut out, menu);
        assert_eq!(out, reference(menu));
    }

    #[test]
    fn the_block_scan_finds_the_first_byte_to_escape_anywhere() {
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 100] {
            for at in 0..len {
                for special in [b'&', b'<', b'>', b'\r', 0x01, 0x1F] {
                    let mut v = vec![b'a'; len];
                    v[at] = special;
                    assert_eq!(first_to_escape(&v), Some(at), "len {len} at {at}");
                    if at + 1 < len {
                        v[at + 1] = b'<';
                        assert_eq!(first_to_escape(&v), Some(at));
                    }
                }
                let mut v = vec![b'a'; len];
                v[at] = if at % 2 == 0 { b'\t' } else { b'\n' };
                assert_eq!(first_to_escape(&v), None, "tab and LF stay");
            }
        }
        assert_eq!(first_to_escape("é ✓ \"q\"".as_bytes()), None);
    }

    #[test]
    fn comment_never_closes_early() {
        assert_eq!(comment_safe("a--b-"), "a- -b- ");
        assert!(!comment_safe("x---->y").contains("--"));
    }
}
