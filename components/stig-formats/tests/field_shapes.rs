//! Defect classes met with real checklists, each tested from the class (generated
//! variants of every shape a producer writes) and on the real samples:
//! - CKLB shapes: `group_tree` as one object or an array, numbers or strings, `null` or
//!   `""`, optional keys, tool objects; unknown keys carried in order at every level;
//!   type mismatches named by file, JSON pointer and expected type; duplicate keys refused;
//! - Evaluate-STIG records feeding the POA&M's source and scan date;
//! - field-level classification markings kept.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;
use stig_formats::control_view::view;
use stig_formats::model::{HostResults, Status};
use stig_formats::poam::{build, PoamOptions};
use stig_formats::{ckl, cklb, ErrorKind};

/// A minimal STIG Viewer 3 document; `rule` and `stig` are spliced in as members.
fn doc(top: &str, target: &str, stig: &str, rule: &str) -> String {
    format!(
        r#"{{{top}"title":"t","id":"i","stigs":[{{{stig}"stig_name":"S","display_name":"S","stig_id":"S_STIG","release_info":"Release: 8 Benchmark Date: 26 Jan 2023","uuid":"u","rules":[{{{rule}"uuid":"r","stig_uuid":"u","group_id":"V-1","rule_id_src":"SV-1r1_rule","severity":"medium","status":"open","finding_details":"d","comments":"c"}}]}}],"target_data":{{{target}"host_name":"H"}},"cklb_version":"1.0"}}"#
    )
}

#[test]
fn every_producer_shape_is_read() {
    let shapes = [
        (
            "group_tree one object (SCC 5.x)",
            r#""group_tree":{"id":"V-1","title":"SRG-1","description":""},"#,
        ),
        (
            "group_tree array",
            r#""group_tree":[{"id":"V-1","title":"SRG-1","description":""}],"#,
        ),
        ("group_tree null", r#""group_tree":null,"#),
        ("weight number", r#""weight":10.0,"#),
        ("weight string", r#""weight":"10.0","#),
        ("null texts", r#""fix_text":null,"check_content":null,"#),
        ("ccis null", r#""ccis":null,"legacy_ids":[""],"#),
        (
            "evaluate-stig rule object",
            r#""evaluate-stig":{"AnswerFile":"a.xml","afmod":true},"#,
        ),
        (
            "stig_ref and target_key null strings",
            r#""stig_ref":"null","target_key":"null","#,
        ),
    ];
    for (what, rule) in shapes {
        let rule = if rule.contains("group_tree") {
            rule.to_owned()
        } else {
            format!(r#"{rule}"group_tree":[{{"id":"V-1","title":"SRG-1","description":""}}],"#)
        };
        let text = doc("", "", r#""version":2,"#, &rule);
        let c = cklb::read(text.as_bytes(), "shape.cklb").unwrap_or_else(|e| panic!("{what}: {e}"));
        let r = &c.stigs[0].rules[0];
        assert_eq!(r.review.status, Status::Open, "{what}");
        assert_eq!(c.stigs[0].info.version, "2", "{what}: a number version");
        if what.starts_with("group_tree o") || what == "group_tree array" {
            assert_eq!(r.rule.group_tree[0].title, "SRG-1", "{what}");
        }
        // Written back and read again: the same model (a null group tree is rebuilt
        // from the group, as STIG Viewer 3 needs one).
        let mut again = cklb::read(cklb::write_checklist(&c).as_bytes(), "again.cklb").unwrap();
        if what == "group_tree null" {
            assert!(r.rule.group_tree.is_empty());
            assert_eq!(again.stigs[0].rules[0].rule.group_tree[0].id, "V-1");
            again.stigs[0].rules[0].rule.group_tree.clear();
        }
        assert_eq!(again.stigs, c.stigs, "{what}");
    }
    // Optional document keys absent or typed loosely.
    for top in ["", r#""active":"true","mode":"2","has_path":null,"#] {
        let c = cklb::read(doc(top, "", "", "").as_bytes(), "t.cklb").unwrap();
        assert_eq!(
            c.stigs[0].info.version, "0",
            "no version reads as STIG Manager's 0"
        );
        if !top.is_empty() {
            assert_eq!(
                (c.cklb.active, c.cklb.mode, c.cklb.has_path),
                (Some(true), Some(2), None)
            );
        }
    }
}

#[test]
fn unknown_keys_are_carried_in_order_at_every_level() {
    let text = doc(
        r#""zeta":{"b":1,"a":[2]},"alpha":"x","#,
        r#""z_target":true,"#,
        r#""stig_extra":null,"another":"y","#,
        r#""createdAt":"2023-12-11T12:56:14-05:00","STIGUuid":"u","comments_classification":"CUI","finding_details_classification":"FOUO","group_tree":[{"id":"V-1","title":"G","description":""}],"#,
    );
    let c = cklb::read(text.as_bytes(), "k.cklb").unwrap();
    assert_eq!(
        c.stigs[0].rules[0]
            .review
            .keep
            .comments_classification
            .as_deref(),
        Some("CUI")
    );
    let out = cklb::write_checklist(&c);
    // Each level's unknown members appear unchanged and in their order.
    for piece in [
        r#""zeta":{"b":1,"a":[2]},"alpha":"x""#,
        r#""z_target":true"#,
        r#""stig_extra":null,"another":"y""#,
        r#""createdAt":"2023-12-11T12:56:14-05:00","STIGUuid":"u""#,
        r#""comments_classification":"CUI","finding_details_classification":"FOUO""#,
    ] {
        assert!(out.contains(piece), "{piece} missing from {out}");
    }
    let w: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (w["title"].as_str(), w["id"].as_str()),
        (Some("t"), Some("i"))
    );
    let back = cklb::read(out.as_bytes(), "k2.cklb").unwrap();
    assert_eq!(back.stigs, c.stigs);
    assert_eq!(back.cklb.unknown, c.cklb.unknown);
    assert_eq!(back.cklb.target_unknown, c.cklb.target_unknown);
}

#[test]
fn a_type_mismatch_names_file_pointer_and_expected_type() {
    let cases = [
        (
            doc("", "", "", r#""ccis":{"x":1},"#),
            "/stigs/0/rules/0/ccis",
            "an array of strings",
        ),
        (
            doc("", "", "", r#""group_tree":"V-1","#),
            "/stigs/0/rules/0/group_tree",
            "group",
        ),
        (
            doc("", "", r#""reference_identifier":["1"],"#, ""),
            "/stigs/0/reference_identifier",
            "a string",
        ),
        (
            doc("", r#""is_web_database":"maybe","#, "", ""),
            "/target_data/is_web_database",
            "a boolean",
        ),
        (doc(r#""mode":[1],"#, "", "", ""), "/mode", "an integer"),
        (
            doc(r#""evaluate-stig":"1.2","#, "", "", ""),
            "/evaluate-stig",
            "an object",
        ),
    ];
    for (text, pointer, expected) in cases {
        let e = cklb::read(text.as_bytes(), "bad.cklb").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("bad.cklb: "), "{msg}");
        assert!(!msg.contains("malformed JSON"), "{msg}");
        match e.kind {
            ErrorKind::WrongJsonType {
                pointer: p,
                expected: x,
                ..
            } => {
                assert_eq!(p, pointer, "{msg}");
                assert!(x.contains(expected), "{msg}");
            }
            other => panic!("{pointer}: {other:?}"),
        }
    }
    // Broken syntax is still "malformed JSON" with a position; a duplicate key is named.
    let e = cklb::read(b"{\"stigs\":[,]}", "syntax.cklb").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::MalformedJson { .. }), "{e}");
    let dup = doc(r#""title":"a","#, "", "", "");
    let e = cklb::read(dup.as_bytes(), "dup.cklb")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/title") && e.contains("more than once"), "{e}");
}

#[test]
fn evaluate_stig_records_name_the_tool_and_scan_date_in_the_poam() {
    let samples = common::samples_dir();
    let cases = [
        (
            "ckl/CA1294WK16078_Chrome_V2R8_20231211-125631.ckl",
            "Evaluate-STIG 1.2310.1",
            "2023-12-11T12:56:14.3576272-05:00",
        ),
        (
            "ckl/ResultEngineWithEvalStigModuleAndOverride.ckl",
            "Evaluate-STIG 1.2204.1",
            "2022-06-03T12:19:27.9454169-04:00",
        ),
        (
            "cklb/evalstig_XO1_XO_GPOS_Debian12_V3R2.cklb",
            "Evaluate-STIG 1.2507.6",
            "2026-03-15T05:58:37.3447144-04:00",
        ),
        (
            "cklb/TwoResultEngineModules.cklb",
            "Evaluate-STIG 1.2310.1",
            "2023-12-11T12:56:14.3576272-05:00",
        ),
    ];
    for (file, tool, at) in cases {
        let bytes = std::fs::read(samples.join(file)).unwrap();
        let mut c = if file.ends_with(".cklb") {
            cklb::read(&bytes, file).unwrap()
        } else {
            ckl::read(&bytes, file).unwrap()
        };
        assert_eq!(c.source.tool, tool, "{file}");
        assert_eq!(c.source.scanned_at, at, "{file}");
        // A finding, so the POA&M has an item (the Chrome scans found none).
        c.stigs[0].rules[0].review.status = Status::Open;
        let fleet = view(&[HostResults {
            host: "H1".into(),
            checklists: vec![c],
        }])
        .unwrap();
        let p = build(
            &fleet,
            None,
            &PoamOptions {
                exported_at: 1_736_944_496,
                ..Default::default()
            },
        );
        let src = p.items[0].source_text();
        // The scanner as its record names it and the scan's date (the day of its time).
        assert!(
            src.contains(&format!("{tool}, scanned {}", &at[..10])),
            "{file}: {src}"
        );
        assert!(
            !src.contains('<') && !src.contains("unstated"),
            "{file}: {src}"
        );
    }
}

#[test]
fn one_scan_as_ckl_and_cklb_is_one_review_and_real_conflicts_name_both_files() {
    use stig_formats::import::HostImport;
    let path = common::samples_dir().join("ckl/CA1294WK16078_Chrome_V2R8_20231211-125631.ckl");
    let a = ckl::read(&std::fs::read(path).unwrap(), "H/scan.ckl").unwrap();
    // The same scan as Evaluate-STIG's CKLB gives it: LF where the CKL has CR LF, and
    // no trailing white space.
    let mut b = cklb::read(cklb::write_checklist(&a).as_bytes(), "H/scan.cklb").unwrap();
    let mut changed = 0;
    for r in b.stigs.iter_mut().flat_map(|s| &mut s.rules) {
        let lf = r.review.finding_details.replace("\r\n", "\n");
        let lf = lf.trim_end().to_owned();
        changed += usize::from(lf != r.review.finding_details);
        r.review.finding_details = lf;
    }
    assert!(
        changed > 0,
        "the sample has CR LF or trailing line ends to differ in"
    );
    let mut imp = HostImport::new("H");
    imp.add_checklist(a.clone()).unwrap();
    imp.add_checklist(b.clone()).unwrap();
    // A real difference is still a conflict naming both files.
    b.stigs[0].rules[0]
        .review
        .finding_details
        .push_str(" (edited)");
    let mut imp = HostImport::new("H");
    imp.add_checklist(a).unwrap();
    let e = imp.add_checklist(b).unwrap_err().to_string();
    assert!(
        e.contains("H/scan.cklb") && e.contains("H/scan.ckl "),
        "{e}"
    );
}
