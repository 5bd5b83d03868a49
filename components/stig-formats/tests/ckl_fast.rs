//! The fast CKL scanner against the reference reader. `ckl::read` takes the scanner's
//! model when it accepts a file and the reference reader's otherwise, so the scanner is
//! only correct if, for every input it accepts, it builds exactly the reference model.
//! These tests hold the two against each other on the real samples, on hand-made variants
//! of every construct the scanner handles or hands back, and on thousands of seeded
//! random mutations; and they check the scanner really is what reads the common files
//! (a scanner that declined everything would be correct and useless).

#![allow(clippy::unwrap_used)]

mod common;

use stig_formats::ckl;
use stig_formats::synth::Rng;

/// `read` and the reference reader agree: the same model, or the same error.
fn agree(bytes: &[u8], what: &str) {
    let fast = ckl::read(bytes, "hosts/H/x.ckl").map_err(|e| e.to_string());
    let reference = ckl::read_reference(bytes, "hosts/H/x.ckl").map_err(|e| e.to_string());
    assert_eq!(fast, reference, "{what}: the two readers disagree");
    if let Some(m) = ckl::read_fast_only(bytes, "hosts/H/x.ckl") {
        assert_eq!(
            Ok(m),
            reference,
            "{what}: the scanner accepted it but built another model"
        );
    }
}

fn accepted(bytes: &[u8]) -> bool {
    ckl::read_fast_only(bytes, "x.ckl").is_some()
}

const GOOD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!--DISA STIG Viewer :: 2.17-->
<CHECKLIST>
	<ASSET>
		<ROLE>None</ROLE>
		<HOST_NAME>WS01</HOST_NAME>
		<HOST_GUID>abc</HOST_GUID>
		<WEB_OR_DATABASE>false</WEB_OR_DATABASE>
	</ASSET>
	<STIGS>
		<iSTIG>
			<STIG_INFO>
				<SI_DATA>
					<SID_NAME>version</SID_NAME>
					<SID_DATA>2</SID_DATA>
				</SI_DATA>
				<SI_DATA>
					<SID_NAME>stigid</SID_NAME>
					<SID_DATA>X_STIG</SID_DATA>
				</SI_DATA>
				<SI_DATA>
					<SID_NAME>customname</SID_NAME>
				</SI_DATA>
			</STIG_INFO>
			<VULN>
				<STIG_DATA>
					<VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE>
					<ATTRIBUTE_DATA>V-1</ATTRIBUTE_DATA>
				</STIG_DATA>
				<STIG_DATA>
					<VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE>
					<ATTRIBUTE_DATA>high</ATTRIBUTE_DATA>
				</STIG_DATA>
				<STIG_DATA>
					<VULN_ATTRIBUTE>Rule_Title</VULN_ATTRIBUTE>
					<ATTRIBUTE_DATA>Use &lt;strong&gt; "crypto" &amp; more</ATTRIBUTE_DATA>
				</STIG_DATA>
				<STIG_DATA>
					<VULN_ATTRIBUTE>CCI_REF</VULN_ATTRIBUTE>
					<ATTRIBUTE_DATA>CCI-000001</ATTRIBUTE_DATA>
				</STIG_DATA>
				<STIG_DATA>
					<VULN_ATTRIBUTE>CCI_REF</VULN_ATTRIBUTE>
					<ATTRIBUTE_DATA>CCI-000002</ATTRIBUTE_DATA>
				</STIG_DATA>
				<STATUS>Open</STATUS>
				<FINDING_DETAILS>a &amp; b &lt;c&gt; &#65;&#x42;
line two</FINDING_DETAILS>
				<COMMENTS></COMMENTS>
				<SEVERITY_OVERRIDE>low</SEVERITY_OVERRIDE>
				<SEVERITY_JUSTIFICATION>mitigated</SEVERITY_JUSTIFICATION>
			</VULN>
			<VULN>
				<STIG_DATA>
					<VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE>
					<ATTRIBUTE_DATA>V-2</ATTRIBUTE_DATA>
				</STIG_DATA>
				<STATUS>NotAFinding</STATUS>
				<FINDING_DETAILS/>
			</VULN>
		</iSTIG>
	</STIGS>
</CHECKLIST>
<!-- trailing comment -->
"#;

#[test]
fn the_plain_layout_is_read_by_the_scanner_and_matches_the_reference() {
    assert!(accepted(GOOD.as_bytes()));
    agree(GOOD.as_bytes(), "GOOD");
    let c = ckl::read(GOOD.as_bytes(), "x.ckl").unwrap();
    let r = &c.stigs[0].rules[0];
    assert_eq!(r.review.finding_details, "a & b <c> AB\nline two");
    assert_eq!(r.rule.rule_title, "Use <strong> \"crypto\" & more");
    assert_eq!(r.rule.ccis, ["CCI-000001", "CCI-000002"]);
    assert_eq!(c.source.tool, "DISA STIG Viewer :: 2.17");
    assert_eq!(c.asset.extra, [("HOST_GUID".to_owned(), "abc".to_owned())]);
}

#[test]
fn every_real_checklist_is_read_by_the_scanner_as_the_reference_reads_it() {
    let mut files = common::sample_files("ckl", "ckl");
    for host in std::fs::read_dir(common::fixtures_dir().join("scans")).unwrap() {
        let host = host.unwrap().path();
        if host.is_dir() {
            for f in std::fs::read_dir(host).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "ckl") {
                    files.push(f);
                }
            }
        }
    }
    assert!(files.len() >= 4, "{files:?}");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(accepted(&bytes), "{}: the scanner declined it", f.display());
        agree(&bytes, &f.display().to_string());
    }
}

#[test]
fn written_checklists_round_trip_through_the_scanner() {
    // Synthetic hosts carry `<admin>`, `&`, quotes, line breaks and many rules.
    for seed in 0..3 {
        let host = stig_formats::synth::synthetic_host("HOST0001", 120, seed);
        for c in &host.checklists {
            let text = ckl::write_checklist(c, "stigpack :: test");
            assert!(accepted(text.as_bytes()));
            agree(text.as_bytes(), "written");
            let back = ckl::read(text.as_bytes(), "x.ckl").unwrap();
            assert_eq!(back.stigs, c.stigs);
        }
    }
}

const ES_DOC: &str = "<Evaluate-STIG><version>1.2310.1</version></Evaluate-STIG>";
const ES_STIG: &str = "<Evaluate-STIG><time>2023-12-11T12:56:14-05:00</time><module><name>Scan-X</name><version>1.2</version></module></Evaluate-STIG>";
const ES_RULE: &str =
    "<Evaluate-STIG><AnswerFile>a &amp; b.xml</AnswerFile><afmod>True</afmod></Evaluate-STIG>";

#[test]
fn evaluate_stig_records_are_read_at_their_level_by_both_readers() {
    let text = GOOD
        .replace("<CHECKLIST>", &format!("<!--{ES_DOC}--><CHECKLIST>"))
        .replace("<iSTIG>", &format!("<iSTIG><!--{ES_STIG}-->"))
        .replace("</VULN>", &format!("<!--{ES_RULE}--></VULN>"))
        .replace(
            "<STIG_DATA>",
            "<STIG_DATA><!--<Evaluate-STIG><x>no</x></Evaluate-STIG>-->",
        );
    for c in [
        ckl::read(text.as_bytes(), "es.ckl").unwrap(),
        ckl::read_reference(text.as_bytes(), "es.ckl").unwrap(),
    ] {
        let rec = |r: &Option<stig_formats::model::EvalStigRecord>| {
            stig_formats::eval_record::to_ckl_comment(r.as_ref().unwrap())
        };
        assert_eq!(rec(&c.cklb.evaluate_stig), ES_DOC);
        assert_eq!(rec(&c.stigs[0].info.evaluate_stig), ES_STIG);
        for r in &c.stigs[0].rules {
            assert_eq!(rec(&r.review.keep.evaluate_stig), ES_RULE);
        }
        // The tool comment still names the writer; the scan time is Evaluate-STIG's.
        assert_eq!(c.source.tool, "DISA STIG Viewer :: 2.17");
        assert_eq!(c.source.scanned_at, "2023-12-11T12:56:14-05:00");
    }
}

/// Variants the scanner reads itself (`true`) or hands to the reference (`false`); either
/// way the result must be the reference's.
#[test]
fn variants_of_each_construct_agree() {
    let cases: &[(&str, String, bool)] = &[
        ("CRLF line ends", GOOD.replace('\n', "\r\n"), true),
        ("lone CRs", GOOD.replace('\n', "\r"), true),
        ("CR reference", GOOD.replace("line two", "x&#13;y\r\nz"), true),
        ("no declaration", GOOD.replacen(r#"<?xml version="1.0" encoding="UTF-8"?>"#, "", 1), true),
        ("comments between elements", GOOD.replace("<STATUS>", "<!-- c --><STATUS>"), true),
        ("empty elements", GOOD.replace("<COMMENTS></COMMENTS>", "<COMMENTS/>"), true),
        ("attributes out of order", GOOD.replace("Vuln_Num", "Weight"), true),
        (
            "STIG_DATA children reversed",
            GOOD.replace(
                "<VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE>\n\t\t\t\t\t<ATTRIBUTE_DATA>high</ATTRIBUTE_DATA>",
                "<ATTRIBUTE_DATA>high</ATTRIBUTE_DATA><VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE>",
            ),
            true,
        ),
        ("unknown attribute", GOOD.replace("Rule_Title", "Not_A_Known_One"), true),
        ("padded attribute name", GOOD.replace(">Severity<", "> Severity\n<"), true),
        ("empty STIG_DATA", GOOD.replace("<STATUS>Open", "<STIG_DATA/><STATUS>Open"), true),
        ("unknown empty child", GOOD.replace("<STATUS>Open", "<EXTRA/><STATUS>Open"), true),
        ("control character", GOOD.replace("line two", "bell\u{7}"), true),
        ("non-ASCII text", GOOD.replace("line two", "Zürich — ✓"), true),
        ("empty iSTIG", GOOD.replace("<STIGS>", "<STIGS><iSTIG/>"), true),
        ("unknown SID_NAME", GOOD.replace(">customname<", ">whatever<"), true),
        // Evaluate-STIG writes `<MARKING />` and its records as comments at three levels.
        ("space in a tag", GOOD.replace("<STATUS>", "<STATUS >"), true),
        ("space before />", GOOD.replace("<COMMENTS></COMMENTS>", "<COMMENTS />"), true),
        (
            "Evaluate-STIG records at three levels",
            GOOD.replace("<CHECKLIST>", &format!("<!--{ES_DOC}--><CHECKLIST>"))
                .replace("<iSTIG>", &format!("<iSTIG><!--{ES_STIG}-->"))
                .replace("</VULN>", &format!("<!--{ES_RULE}--></VULN>")),
            true,
        ),
        (
            "Evaluate-STIG comments where no record belongs",
            GOOD.replace("<STIG_INFO>", &format!("<STIG_INFO><!--{ES_STIG}-->"))
                .replace("<STIG_DATA>", &format!("<STIG_DATA><!--{ES_RULE}-->"))
                .replace("<ASSET>", &format!("<ASSET><!--{ES_DOC}-->")),
            true,
        ),
        // Handed to the reference reader:
        ("unknown element with content", GOOD.replace("<STATUS>Open", "<EXTRA>x</EXTRA><STATUS>Open"), false),
        ("CDATA", GOOD.replace("line two", "<![CDATA[<raw> & stuff]]>"), false),
        ("comment inside text", GOOD.replace("line two", "a<!-- c -->b"), false),
        ("processing instruction", GOOD.replace("<STIGS>", "<?pi x?><STIGS>"), false),
        ("attribute on an element", GOOD.replace("<VULN>", "<VULN id=\"1\">"), false),
        ("namespace prefix", GOOD.replace("<STATUS>Open</STATUS>", "<x:STATUS>Open</x:STATUS>"), false),
        ("unknown entity", GOOD.replace("line two", "&nbsp;"), false),
        ("bare ampersand", GOOD.replace("line two", "a & b"), false),
        ("control reference", GOOD.replace("line two", "&#1;"), false),
        ("character reference 0", GOOD.replace("line two", "&#0;"), false),
        ("DOCTYPE", GOOD.replace("<CHECKLIST>", "<!DOCTYPE x [<!ENTITY a \"b\">]><CHECKLIST>"), false),
        ("mismatched end tag", GOOD.replace("</STATUS>", "</STATU>"), false),
        ("truncated", GOOD[..GOOD.len() / 2].to_owned(), false),
        ("trailing text", format!("{GOOD}junk"), false),
        ("second root", format!("{GOOD}<CHECKLIST/>"), false),
        ("bad status", GOOD.replace(">Open<", ">open<"), false),
        ("bad severity", GOOD.replace(">high<", ">critical<"), false),
        ("bad override", GOOD.replace(">low<", ">none<"), false),
        ("missing STATUS", GOOD.replace("<STATUS>NotAFinding</STATUS>", ""), false),
        ("bad WEB_OR_DATABASE", GOOD.replace(">false<", ">maybe<"), false),
        ("missing ASSET", GOOD.replace("<ASSET>", "<ASSETX>").replace("</ASSET>", "</ASSETX>"), false),
        ("other root", GOOD.replace("CHECKLIST>", "CHECKLISTX>"), false),
        ("mixed content", GOOD.replace("<STIGS>", "stray<STIGS>"), false),
    ];
    for (what, text, scanner) in cases {
        agree(text.as_bytes(), what);
        assert_eq!(
            accepted(text.as_bytes()),
            *scanner,
            "{what}: expected the scanner to {}",
            if *scanner { "read it" } else { "hand it on" }
        );
    }
}

/// A number below `n` from the crate's seeded generator: the same mutations every run.
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

#[test]
fn seeded_random_mutations_never_make_the_readers_disagree() {
    let good = GOOD.as_bytes();
    let pieces: [&[u8]; 16] = [
        b"<",
        b">",
        b"/",
        b"&",
        b";",
        b"\r",
        b" ",
        b"\n",
        b"a",
        b"#",
        b"&amp;",
        b"<!--",
        b"-->",
        b"</STATUS>",
        b"<X/>",
        b"&#x41;",
    ];
    let mut rng = Rng::new(0x5717_9ACC);
    let (mut scanned, mut total) = (0, 0);
    for _ in 0..4000 {
        let mut doc = good.to_vec();
        for _ in 0..1 + below(&mut rng, 3) {
            let at = below(&mut rng, doc.len());
            match below(&mut rng, 4) {
                0 => {
                    doc.remove(at);
                }
                1 => {
                    let p = pieces[below(&mut rng, pieces.len())];
                    doc.splice(at..at, p.iter().copied());
                }
                2 => {
                    let end = (at + 1 + below(&mut rng, 40)).min(doc.len());
                    doc.drain(at..end);
                }
                _ => {
                    let end = (at + 1 + below(&mut rng, 60)).min(doc.len());
                    let copy = doc[at..end].to_vec();
                    let to = below(&mut rng, doc.len());
                    doc.splice(to..to, copy);
                }
            }
        }
        total += 1;
        scanned += usize::from(accepted(&doc));
        agree(
            &doc,
            &format!("mutation {total}: {}", String::from_utf8_lossy(&doc)),
        );
    }
    // Text-safe edits inside words: mostly still checklists, so the scanner reads them.
    let text_pieces: [&[u8]; 10] = [
        b"&amp;",
        b"&#x41;",
        b"&#233;",
        b"\r",
        b"\r\n",
        b" ",
        b"q",
        "\u{e9}".as_bytes(),
        b"&lt;",
        b"\t",
    ];
    // Positions inside the words of element text (after a `>`, before the next `<`).
    let mut in_text = vec![false; good.len()];
    let mut text = false;
    for (i, &b) in good.iter().enumerate() {
        match b {
            b'>' => text = true,
            b'<' => text = false,
            _ => in_text[i] = text,
        }
    }
    let inside_word: Vec<usize> = (1..good.len())
        .filter(|&i| {
            in_text[i] && good[i - 1].is_ascii_alphanumeric() && good[i].is_ascii_alphanumeric()
        })
        .collect();
    for _ in 0..2000 {
        let mut doc = good.to_vec();
        for _ in 0..1 + below(&mut rng, 3) {
            let at = inside_word[below(&mut rng, inside_word.len())].min(doc.len());
            let p = text_pieces[below(&mut rng, text_pieces.len())];
            doc.splice(at..at, p.iter().copied());
        }
        total += 1;
        scanned += usize::from(accepted(&doc));
        agree(
            &doc,
            &format!("text edit {total}: {}", String::from_utf8_lossy(&doc)),
        );
    }
    // The mutations must exercise the scanner, not only the fallback.
    assert!(
        scanned > total / 5,
        "the scanner accepted only {scanned} of {total}"
    );
}
