//! Hostile and broken input: each case must be a clear error naming the file and the
//! problem, never a panic, a partial model or an expanded entity.

#![allow(clippy::unwrap_used)]

mod common;

use stig_formats::{ckl, ErrorKind};

const GOOD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!--DISA STIG Viewer :: 2.17-->
<CHECKLIST>
	<ASSET>
		<ROLE>None</ROLE>
		<HOST_NAME>WS01</HOST_NAME>
		<WEB_OR_DATABASE>false</WEB_OR_DATABASE>
	</ASSET>
	<STIGS>
		<iSTIG>
			<STIG_INFO>
				<SI_DATA>
					<SID_NAME>stigid</SID_NAME>
					<SID_DATA>X_STIG</SID_DATA>
				</SI_DATA>
			</STIG_INFO>
			<VULN>
				<STIG_DATA>
					<VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE>
					<ATTRIBUTE_DATA>V-1</ATTRIBUTE_DATA>
				</STIG_DATA>
				<STATUS>Open</STATUS>
				<FINDING_DETAILS>a &amp; b &lt;c&gt; &#65;</FINDING_DETAILS>
			</VULN>
		</iSTIG>
	</STIGS>
</CHECKLIST>"#;

fn err(bytes: &[u8]) -> stig_formats::Error {
    ckl::read(bytes, "hosts/WS01/bad.ckl").unwrap_err()
}

fn assert_names_file(e: &stig_formats::Error) {
    assert!(
        e.to_string().starts_with("hosts/WS01/bad.ckl: "),
        "message must name the file: {e}"
    );
}

#[test]
fn good_document_parses() {
    let c = ckl::read(GOOD.as_bytes(), "good.ckl").unwrap();
    assert_eq!(c.stigs[0].rules[0].review.finding_details, "a & b <c> A");
    // A UTF-8 BOM is fine.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(GOOD.as_bytes());
    assert_eq!(ckl::read(&bom, "bom.ckl").unwrap(), {
        let mut c2 = c.clone();
        c2.source.file = "bom.ckl".into();
        c2
    });
}

#[test]
fn malformed_xml_reports_line() {
    let bad = GOOD.replace("</FINDING_DETAILS>", "</FINDING_DETAIL>");
    let e = err(bad.as_bytes());
    assert_names_file(&e);
    match &e.kind {
        ErrorKind::MalformedXml { line, .. } => assert_eq!(*line, 23, "{e}"),
        k => panic!("wrong kind {k:?}"),
    }
}

#[test]
fn billion_laughs_is_refused_not_expanded() {
    let doc = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<CHECKLIST><ASSET><HOST_NAME>&lol9;</HOST_NAME></ASSET><STIGS/></CHECKLIST>"#;
    let e = err(doc.as_bytes());
    assert_names_file(&e);
    assert!(matches!(e.kind, ErrorKind::DtdRefused { line: 2 }), "{e:?}");
    assert!(e.to_string().contains("refused"));
}

#[test]
fn entity_declarations_outside_a_doctype_are_refused() {
    for doc in [
        "<!ENTITY x \"y\"><CHECKLIST/>",
        "<CHECKLIST><!ENTITY x \"y\"></CHECKLIST>",
        "<CHECKLIST><ASSET/><!ELEMENT a ANY><STIGS/></CHECKLIST>",
    ] {
        let e = err(doc.as_bytes());
        assert_names_file(&e);
        assert!(
            matches!(e.kind, ErrorKind::DtdRefused { .. }),
            "{doc}: {e:?}"
        );
    }
    // Other bad `<!` markup mid-document is malformed, not truncated.
    let e = err(b"<CHECKLIST><!FOO bar><ASSET/><STIGS/></CHECKLIST>");
    assert!(matches!(e.kind, ErrorKind::MalformedXml { .. }), "{e:?}");
}

#[test]
fn external_entity_and_undeclared_entity_are_refused() {
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><CHECKLIST/>"#;
    assert!(matches!(
        err(xxe.as_bytes()).kind,
        ErrorKind::DtdRefused { .. }
    ));
    let undeclared = GOOD.replace("a &amp; b", "a &xxe; b");
    let e = err(undeclared.as_bytes());
    assert_names_file(&e);
    assert!(
        matches!(&e.kind, ErrorKind::UnknownEntity { name, .. } if name == "xxe"),
        "{e:?}"
    );
}

#[test]
fn utf16_and_invalid_utf8_are_encoding_errors() {
    // UTF-16LE with BOM, as Windows PowerShell's Out-File writes by default.
    let mut le = vec![0xFF, 0xFE];
    for u in GOOD.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
    }
    let e = err(&le);
    assert_names_file(&e);
    assert!(matches!(e.kind, ErrorKind::BadEncoding { .. }), "{e:?}");
    assert!(e.to_string().contains("UTF-16"));
    // UTF-16BE without BOM.
    let mut be = Vec::new();
    for u in GOOD.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    assert!(matches!(err(&be).kind, ErrorKind::BadEncoding { .. }));
    // Latin-1 bytes in a file that claims UTF-8.
    let latin1 = GOOD
        .replace("WS01", "WS\u{1}")
        .replace('\u{1}', "")
        .into_bytes();
    let mut latin1 = latin1;
    let at = GOOD.find("WS01").unwrap();
    latin1.insert(at, 0xE9);
    let e = err(&latin1);
    assert!(
        matches!(&e.kind, ErrorKind::BadEncoding { detail } if detail.contains("line 6")),
        "{e:?}"
    );
}

#[test]
fn truncated_documents_are_reported_as_truncated() {
    // Cut at many points: inside text, inside a tag, between elements.
    for cut in [
        GOOD.len() - 20,
        GOOD.len() / 2,
        GOOD.find("<STATUS>").unwrap() + 3,
        200,
    ] {
        let e = err(&GOOD.as_bytes()[..cut]);
        assert_names_file(&e);
        assert!(
            matches!(e.kind, ErrorKind::Truncated { .. }),
            "cut at {cut}: {e:?}"
        );
    }
    assert!(matches!(err(b"").kind, ErrorKind::Truncated { .. }));
}

#[test]
fn unknown_status_is_an_error_naming_the_value() {
    let bad = GOOD.replace("<STATUS>Open</STATUS>", "<STATUS>Passed</STATUS>");
    let e = err(bad.as_bytes());
    assert_names_file(&e);
    assert!(e.to_string().contains("\"Passed\""), "{e}");
    assert!(matches!(e.kind, ErrorKind::UnknownStatus { .. }));
}

#[test]
fn missing_status_and_wrong_root_are_errors() {
    let bad = GOOD.replace("<STATUS>Open</STATUS>", "");
    let e = err(bad.as_bytes());
    assert!(
        matches!(&e.kind, ErrorKind::MissingElement { element } if element.contains("V-1")),
        "{e:?}"
    );
    let e = err(b"<?xml version=\"1.0\"?><Benchmark/>");
    assert!(matches!(e.kind, ErrorKind::WrongDocument { .. }), "{e:?}");
    let e = err(format!("{GOOD}<CHECKLIST/>").as_bytes());
    assert!(matches!(e.kind, ErrorKind::MalformedXml { .. }), "{e:?}");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    // Zeroed pages are never touched: the size check runs before any byte is read.
    let big = vec![0u8; stig_formats::MAX_INPUT_BYTES as usize + 1];
    let e = err(&big);
    assert_names_file(&e);
    assert!(matches!(e.kind, ErrorKind::TooLarge { .. }), "{e:?}");
    for e in [
        stig_formats::cklb::read(&big, "big.cklb").unwrap_err(),
        stig_formats::xccdf::benchmark::read(&big, "big.xml").unwrap_err(),
        stig_formats::xccdf::results::read(&big, "big.xml", None).unwrap_err(),
        stig_formats::evaluate_stig::read_summary(&big, "big.xml").unwrap_err(),
    ] {
        assert!(matches!(e.kind, ErrorKind::TooLarge { .. }), "{e:?}");
        assert!(e.to_string().contains("268435456"), "{e}");
    }
}

#[test]
fn hostile_host_names_are_rejected() {
    for n in [
        "../../etc",
        "..",
        "a/b",
        "a\\b",
        "x\0",
        "CON",
        "aux.txt",
        "",
        "\t",
    ] {
        let e = stig_formats::safe_host_component(n).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::UnsafeHostName { .. }));
        assert!(e.to_string().contains("unsafe host name"));
    }
}

#[test]
fn hostile_text_is_escaped_on_write() {
    let mut c = ckl::read(GOOD.as_bytes(), "good.ckl").unwrap();
    let nasty = "</FINDING_DETAILS><STATUS>NotAFinding</STATUS>]]>\r\n<!--x-->&lol;\u{7}";
    c.stigs[0].rules[0].review.finding_details = nasty.into();
    let out = ckl::write_checklist(&c, "stigpack -- evil -->");
    let back = ckl::read(out.as_bytes(), "out.ckl").unwrap();
    assert_eq!(
        back.stigs[0].rules[0].review.status,
        c.stigs[0].rules[0].review.status
    );
    // Everything survives except the BEL, which XML 1.0 cannot represent.
    assert_eq!(
        back.stigs[0].rules[0].review.finding_details,
        nasty.replace('\u{7}', "\u{FFFD}")
    );
    assert_eq!(out.matches("<STATUS>").count(), 1);
}

#[test]
fn declared_non_utf8_encoding_is_refused_unless_ascii() {
    let latin = GOOD
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")
        .replace("WS01", "WS\u{e9}1");
    let e = err(latin.as_bytes());
    assert_names_file(&e);
    assert!(
        matches!(&e.kind, ErrorKind::BadEncoding { detail } if detail.contains("ISO-8859-1")),
        "{e:?}"
    );
    // Pure ASCII under a Latin-1 label means the same either way.
    let ascii = GOOD.replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    assert!(ckl::read(ascii.as_bytes(), "a.ckl").is_ok());
    // A UTF-16 label on UTF-8 bytes is refused.
    let mislabelled = GOOD.replace("encoding=\"UTF-8\"", "encoding='UTF-16'");
    assert!(matches!(
        err(mislabelled.as_bytes()).kind,
        ErrorKind::BadEncoding { .. }
    ));
}
