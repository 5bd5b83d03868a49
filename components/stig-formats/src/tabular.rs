//! CSV output that is safe to open in a spreadsheet.
//!
//! Package CSVs (POA&M, indexes, attestation templates) carry text a scanned host controls:
//! finding details, comments, host names. An assessor opens them in Excel or LibreOffice,
//! where a cell beginning with `=`, `+`, `-`, `@`, TAB or CR is taken as a formula
//! (CSV/formula injection, OWASP). The rule applied to EVERY cell, headers included:
//!
//! > If a cell's text begins with `=`, `+`, `-`, `@`, U+0009 (TAB) or U+000D (CR), a single
//! > apostrophe `'` is put in front of it. Nothing else is changed: quotes, angle brackets,
//! > commas and newlines are kept exactly and handled by RFC 4180 quoting.
//!
//! The apostrophe is the spreadsheet convention for "this is text": Excel hides it and shows
//! the original characters. Records end with CRLF (RFC 4180); a field is quoted when it
//! contains `,`, `"`, CR or LF, with inner quotes doubled. No byte-order mark is written.

/// How many bytes a streamed file gathers before handing them on: the indexes hold a row
/// per host and control (hundreds of megabytes at 1,000 hosts), so they are written in
/// parts of about this size instead of being held whole.
pub const PART_BYTES: usize = 1 << 20;

/// Hands `out` to `part` and empties it once it holds [`PART_BYTES`] or more.
pub fn flush_full(out: &mut String, part: &mut dyn FnMut(&str)) {
    if out.len() >= PART_BYTES {
        part(out);
        out.clear();
    }
}

/// The characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Applies the formula-injection rule above to one cell.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if FORMULA_TRIGGERS.contains(&c) => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// Appends one neutralised, RFC 4180-quoted field (without separator) to `out`.
pub fn push_field(out: &mut String, cell: &str) {
    let cell = neutralise(cell);
    // Byte scans and whole-segment copies: this runs for every cell of million-row
    // indexes (the four bytes are ASCII, so byte positions are character boundaries).
    if needs_quotes(cell.as_bytes()) {
        out.reserve(cell.len() + 2);
        out.push('"');
        let mut segments = cell.split('"');
        if let Some(first) = segments.next() {
            out.push_str(first);
        }
        for s in segments {
            out.push_str("\"\"");
            out.push_str(s);
        }
        out.push('"');
    } else {
        out.push_str(&cell);
    }
}

/// Whether a cell holds a comma, a quote or a line break. Most index cells are a few
/// bytes (host names, ids, statuses, dates): one pass over them costs less than
/// setting up two vector searches, which longer cells still use. The pass is a table
/// load per byte with no branch: a `match` on the byte became a jump table in the
/// sandbox, an indirect jump per byte that was a quarter of this function's time.
fn needs_quotes(b: &[u8]) -> bool {
    if b.len() < 32 {
        b.iter().fold(false, |hit, &x| hit | QUOTES[x as usize])
    } else {
        memchr::memchr3(b',', b'"', b'\n', b).is_some() || memchr::memchr(b'\r', b).is_some()
    }
}

/// The bytes [`needs_quotes`] looks for, as a table.
static QUOTES: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// Appends one record (fields joined by `,`, terminated by CRLF).
pub fn push_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, f.as_ref());
    }
    out.push_str("\r\n");
}

/// A whole CSV document from a header and rows.
pub fn document<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) -> String {
    let mut out = String::new();
    push_record(&mut out, header);
    for row in rows {
        push_record(&mut out, row);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_trigger_is_neutralised_and_nothing_else_changes() {
        for hostile in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            let n = neutralise(hostile);
            assert!(n.starts_with('\''), "{hostile:?} -> {n:?}");
            assert_eq!(&n[1..], hostile);
        }
        for benign in ["<b>\"quoted\" & 'single'</b>", "V-1234", " =1", "a=b", ""] {
            assert_eq!(neutralise(benign), benign);
        }
    }

    #[test]
    fn quoting_keeps_quotes_commas_newlines_and_brackets() {
        let mut out = String::new();
        push_record(
            &mut out,
            &["a,b", "say \"hi\"", "line1\nline2", "<x>", "=1+1", "plain"],
        );
        assert_eq!(
            out,
            "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",<x>,'=1+1,plain\r\n"
        );
    }

    /// Short cells take the byte loop, long ones the searches: both find each of the
    /// four bytes anywhere, and nothing else.
    #[test]
    fn quoting_is_decided_alike_for_short_and_long_cells() {
        for len in 0..80 {
            assert!(!needs_quotes(&vec![b'x'; len]), "{len}");
            for special in [b',', b'"', b'\n', b'\r'] {
                for at in 0..len {
                    let mut cell = vec![b'x'; len];
                    cell[at] = special;
                    assert!(needs_quotes(&cell), "{len} {at} {special}");
                }
            }
        }
    }

    #[test]
    fn a_quoted_cr_trigger_is_neutralised_before_quoting() {
        let mut out = String::new();
        push_field(&mut out, "\r\n=cmd");
        assert_eq!(out, "\"'\r\n=cmd\"");
    }
}
