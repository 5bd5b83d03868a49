//! CKLB reader/writer against the real Evaluate-STIG file, and the cross-format round
//! trip CKLB -> CKL -> CKLB.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use serde_json::Value;
use stig_formats::model::Checklist;
use stig_formats::{ckl, cklb, status};

/// Status counts walked out of the JSON with serde_json, not with the crate's reader.
fn json_statuses(v: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in v["stigs"].as_array().unwrap() {
        for r in s["rules"].as_array().unwrap() {
            *m.entry(r["status"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    m
}

fn model_statuses(c: &Checklist) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in &c.stigs {
        for r in &s.rules {
            *m.entry(status::to_cklb(r.review.status).to_string())
                .or_insert(0) += 1;
        }
    }
    m
}

/// (vuln, status, details, comments, override, justification) per rule, for comparing
/// what an assessor cares about across formats.
fn reviews(c: &Checklist) -> Vec<(String, String, String, String, String, String)> {
    c.stigs
        .iter()
        .flat_map(|s| &s.rules)
        .map(|r| {
            (
                r.rule.vuln_num.clone(),
                status::to_ckl(r.review.status).to_string(),
                r.review.finding_details.clone(),
                r.review.comments.clone(),
                status::severity_to_str(r.review.severity_override).to_string(),
                r.review.severity_justification.clone(),
            )
        })
        .collect()
}

#[test]
fn every_sample_cklb_round_trips_and_counts_match_the_file() {
    for path in common::sample_files("cklb", "cklb") {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let a = cklb::read(&bytes, &name).unwrap();
        let rules: usize = v["stigs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["rules"].as_array().unwrap().len())
            .sum();
        assert_eq!(a.stigs.iter().map(|s| s.rules.len()).sum::<usize>(), rules);
        assert_eq!(model_statuses(&a), json_statuses(&v), "{name}");

        let out = cklb::write_checklist(&a);
        let b = cklb::read(out.as_bytes(), "rewritten.cklb").unwrap();
        assert_eq!(a.asset, b.asset, "{name}");
        assert_eq!(a.stigs, b.stigs, "{name}");
        assert_eq!(a.cklb, b.cklb, "{name}: document id/title kept");
        assert_eq!(out, cklb::write_checklist(&a), "deterministic");

        // Every field STIG Viewer 3 needs is present, with the original ids.
        let w: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(w["id"], v["id"]);
        assert_eq!(w["cklb_version"], "1.0");
        let (r0, w0) = (&v["stigs"][0]["rules"][0], &w["stigs"][0]["rules"][0]);
        for key in r0.as_object().unwrap().keys() {
            assert_eq!(r0[key], w0[key], "{name}: rule field {key}");
        }
        let s0 = v["stigs"][0].as_object().unwrap();
        for key in s0
            .keys()
            .filter(|k| *k != "rules" && *k != "size" && *k != "evaluate-stig")
        {
            assert_eq!(v["stigs"][0][key], w["stigs"][0][key], "stig field {key}");
        }
        // Every target key kept with its value; a key an early STIG Viewer 3 file lacks
        // (`classification`) is added empty, never with invented content.
        let (vt, wt) = (
            v["target_data"].as_object().unwrap(),
            w["target_data"].as_object().unwrap(),
        );
        for (key, value) in vt {
            assert_eq!(Some(value), wt.get(key), "{name}: target_data.{key}");
        }
        for (key, value) in wt.iter().filter(|(k, _)| !vt.contains_key(*k)) {
            assert_eq!(key, "classification", "{name}: target_data.{key} added");
            assert_eq!(value, "", "{name}");
        }
    }
}

#[test]
fn evaluate_stig_sample_details_and_tool_key_ignored() {
    let path = common::samples_dir().join("cklb/evalstig_XO1_XO_GPOS_Debian12_V3R2.cklb");
    let c = cklb::read(&std::fs::read(path).unwrap(), "x.cklb").unwrap();
    assert_eq!(c.asset.host_name, "XO1");
    assert_eq!(c.asset.host_ip, "10.0.10.27");
    assert_eq!(c.source.tool, "Evaluate-STIG 1.2507.6");
    assert_eq!(c.source.scanned_at, "2026-03-15T05:58:37.3447144-04:00");
    let s = &c.stigs[0];
    assert_eq!(s.info.stigid, "General_Purpose_Operating_System");
    // `size` says 12; the file holds 198 rules and we trust the rules.
    assert_eq!(s.rules.len(), 198);
    assert_eq!(s.rules[0].rule.rule_id, "SV-203591r958362_rule");
    assert!(s.rules[0].review.comments.contains("\r\n"));
}

#[test]
fn cklb_to_ckl_to_cklb_keeps_every_status_detail_and_comment() {
    let mut with_crlf = 0;
    for path in common::sample_files("cklb", "cklb") {
        let bytes = std::fs::read(&path).unwrap();
        let a = cklb::read(&bytes, "in.cklb").unwrap();
        let ckl_text = ckl::write_checklist(&a, "stigpack :: test");
        let via_ckl = ckl::read(ckl_text.as_bytes(), "mid.ckl").unwrap();
        assert_eq!(reviews(&a), reviews(&via_ckl));
        let back_text = cklb::write_checklist(&via_ckl);
        let back = cklb::read(back_text.as_bytes(), "out.cklb").unwrap();
        assert_eq!(reviews(&a), reviews(&back));
        // And the CR LF pairs in Evaluate-STIG comments survived the XML detour.
        let crlf = |c: &Checklist| {
            c.stigs
                .iter()
                .flat_map(|s| &s.rules)
                .filter(|r| r.review.comments.contains("\r\n"))
                .count()
        };
        with_crlf += crlf(&a);
        assert_eq!(crlf(&a), crlf(&back), "{}", path.display());
    }
    // At least the Evaluate-STIG sample has CR LF comments, so the check above bites.
    assert!(with_crlf > 0);
}

#[test]
fn severity_override_survives_both_formats() {
    let path = common::samples_dir().join("ckl/saf_small_ckl_overrides.ckl");
    let a = ckl::read(&std::fs::read(path).unwrap(), "saf.ckl").unwrap();
    let j = cklb::write_checklist(&a);
    let v: Value = serde_json::from_str(&j).unwrap();
    assert_eq!(
        v["stigs"][0]["rules"][0]["overrides"],
        serde_json::json!({"severity": {"severity": "medium", "reason": "Testing both N/A and overidden"}})
    );
    let b = cklb::read(j.as_bytes(), "o.cklb").unwrap();
    assert_eq!(reviews(&a), reviews(&b));
    // Derived ids are stable and distinct per rule.
    let ids: std::collections::BTreeSet<&str> = v["stigs"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), a.stigs[0].rules.len());
    assert_eq!(j, cklb::write_checklist(&a));
}

#[test]
fn cklb_bad_input() {
    use stig_formats::ErrorKind;
    let good = r#"{"id":"x","stigs":[{"stig_id":"S","rules":[{"group_id_src":"V-1","status":"open"}]}],"target_data":{"host_name":"H"}}"#;
    assert!(cklb::read(good.as_bytes(), "g.cklb").is_ok());
    let e = cklb::read(good.replace("\"open\"", "\"passed\"").as_bytes(), "g.cklb").unwrap_err();
    assert!(
        e.to_string().starts_with("g.cklb: ") && e.to_string().contains("\"passed\""),
        "{e}"
    );
    let e = cklb::read(&good.as_bytes()[..good.len() - 10], "g.cklb").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Truncated { .. }), "{e:?}");
    let e = cklb::read(
        good.replace(",\"status\":\"open\"", "").as_bytes(),
        "g.cklb",
    )
    .unwrap_err();
    assert!(matches!(e.kind, ErrorKind::MissingElement { .. }), "{e:?}");
    let e = cklb::read(b"{\"stigs\": [}", "g.cklb").unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::MalformedJson { line: 1, .. }),
        "{e:?}"
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in good.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let e = cklb::read(&utf16, "g.cklb").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::BadEncoding { .. }), "{e:?}");
}
