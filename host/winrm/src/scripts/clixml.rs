//! `#< CLIXML` stderr: PowerShell serialises error records written to a redirected stderr
//! as CLIXML. Operators need the text, not the XML, so the client decodes it; the
//! simulator encodes with [`encode_clixml_error`] to produce what Windows sends.

use quick_xml::events::Event;
use quick_xml::Reader;

const HEADER: &str = "#< CLIXML";

/// Whether a stderr text is CLIXML.
pub fn is_clixml(stderr: &str) -> bool {
    stderr.trim_start().starts_with(HEADER)
}

/// Readable text of a CLIXML stderr (the `S="Error"` strings, `_xHHHH_` escapes decoded),
/// or the input unchanged when it is not CLIXML or cannot be parsed. DTDs are refused:
/// a document type declaration makes the input count as unparseable.
pub fn decode_clixml(stderr: &str) -> String {
    if !is_clixml(stderr) {
        return stderr.to_string();
    }
    let body = stderr.trim_start()[HEADER.len()..].trim_start();
    match decode_objs(body) {
        Some(text) => text,
        None => stderr.to_string(),
    }
}

fn decode_objs(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_error = false;
    loop {
        match reader.read_event().ok()? {
            Event::DocType(_) => return None,
            Event::Start(e) => {
                depth += 1;
                // Only direct children of <Objs> carry the stream records.
                if depth == 2 && e.local_name().as_ref() == b"S" {
                    in_error = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == b"S" && a.value.as_ref() == b"Error");
                }
            }
            Event::End(_) => {
                if depth == 2 {
                    in_error = false;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if in_error => {
                let raw = std::str::from_utf8(t.as_ref()).ok()?;
                let text = quick_xml::escape::unescape(raw).ok()?;
                out.push_str(&unescape_ps(&text));
            }
            Event::GeneralRef(r) if in_error => {
                let name = std::str::from_utf8(r.as_ref()).ok()?;
                let c = match name {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    _ => {
                        let code = name
                            .strip_prefix("#x")
                            .map(|h| u32::from_str_radix(h, 16))
                            .or_else(|| name.strip_prefix('#').map(|d| d.parse::<u32>()))?
                            .ok()?;
                        char::from_u32(code)?.to_string()
                    }
                };
                out.push_str(&c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(out.trim_end().to_string())
}

/// Decodes PowerShell's `_xHHHH_` escapes (used for CR, LF and other characters that
/// XML cannot carry verbatim).
fn unescape_ps(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let cand = &rest[i..];
        let decoded = cand
            .get(2..6)
            .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
            .filter(|_| cand.as_bytes().get(6) == Some(&b'_'))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &cand[7..];
            }
            None => {
                out.push_str("_x");
                rest = &cand[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// CLIXML for an error message, one `S="Error"` record per line, as Windows PowerShell
/// writes `Write-Error` output to a redirected stderr.
pub fn encode_clixml_error(text: &str) -> String {
    let mut out = String::from(
        "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
    );
    for line in text.lines() {
        out.push_str("<S S=\"Error\">");
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '_' if chars.peek() == Some(&'x') => out.push_str("_x005F_"),
                c if (c as u32) < 0x20 => out.push_str(&format!("_x{:04X}_", c as u32)),
                c => out.push(c),
            }
        }
        out.push_str("_x000D__x000A_</S>");
    }
    out.push_str("</Objs>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// stderr of pywinrm's recorded `get_ps_output_response.xml` (two stream chunks,
    /// concatenated), from a real Windows host running `Write-Error "Error"`.
    fn recorded() -> String {
        use base64::Engine as _;
        let xml = std::fs::read_to_string(
            crate::shared_dir().join("samples/winrm/pywinrm/get_ps_output_response.xml"),
        )
        .unwrap();
        let mut s = String::new();
        for piece in xml.split("<rsp:Stream ").skip(1) {
            let (attrs, rest) = piece.split_once('>').unwrap();
            if !attrs.contains("Name=\"stderr\"") || attrs.ends_with('/') {
                continue;
            }
            let b64 = &rest[..rest.find('<').unwrap()];
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            s.push_str(&String::from_utf8(bytes).unwrap());
        }
        s
    }

    #[test]
    fn decodes_recorded_windows_clixml() {
        let raw = recorded();
        assert!(is_clixml(&raw));
        let text = decode_clixml(&raw);
        assert!(
            text.starts_with("Write-Error \"Error\" : Error\r\n"),
            "{text:?}"
        );
        assert!(text.contains(
            "+ CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorExcep"
        ));
        assert!(!text.contains("_x000D_"));
        assert!(!text.contains("<S"));
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(decode_clixml("plain error\n"), "plain error\n");
    }

    #[test]
    fn encode_decode_roundtrip() {
        let msg = "bad <thing> & _x0041_ here\nsecond line";
        let enc = encode_clixml_error(msg);
        assert!(is_clixml(&enc));
        assert_eq!(
            decode_clixml(&enc),
            "bad <thing> & _x0041_ here\r\nsecond line"
        );
    }

    #[test]
    fn dtd_is_refused_not_expanded() {
        let evil =
            "#< CLIXML\r\n<!DOCTYPE x [<!ENTITY e \"boom\">]><Objs><S S=\"Error\">&e;</S></Objs>";
        assert_eq!(decode_clixml(evil), evil);
    }

    #[test]
    fn non_error_records_ignored() {
        let x = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj S=\"progress\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N=\"SourceId\">1</I64><PR N=\"Record\"><AV>Preparing modules for first use.</AV></PR></MS></Obj><S S=\"Error\">oops_x000D__x000A_</S></Objs>";
        assert_eq!(decode_clixml(x), "oops");
    }
}
