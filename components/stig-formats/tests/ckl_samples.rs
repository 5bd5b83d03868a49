//! CKL reader/writer against the real files other tools wrote (shared/samples/ckl).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use stig_formats::model::{Severity, Status};
use stig_formats::{ckl, status};

fn model_statuses(c: &stig_formats::model::Checklist) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in &c.stigs {
        for r in &s.rules {
            *m.entry(status::to_ckl(r.review.status).to_string())
                .or_insert(0) += 1;
        }
    }
    m
}

#[test]
fn every_sample_ckl_round_trips_and_counts_match_the_file() {
    for path in common::sample_files("ckl", "ckl") {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let a = ckl::read(&bytes, &name).unwrap();

        // Independent counts: VULN elements, iSTIG elements, STATUS values, CCI_REFs.
        let rules: usize = a.stigs.iter().map(|s| s.rules.len()).sum();
        assert_eq!(rules, common::count_occurrences(&text, "<VULN>"), "{name}");
        assert_eq!(
            a.stigs.len(),
            common::count_occurrences(&text, "<iSTIG>"),
            "{name}"
        );
        assert_eq!(
            model_statuses(&a),
            common::count_ckl_statuses(&text),
            "{name}"
        );
        let ccis: usize = a
            .stigs
            .iter()
            .flat_map(|s| &s.rules)
            .map(|r| r.rule.ccis.len())
            .sum();
        assert_eq!(
            ccis,
            common::count_occurrences(&text, "<VULN_ATTRIBUTE>CCI_REF<"),
            "{name}"
        );

        let out = ckl::write_checklist(&a, "stigpack :: test");
        let b = ckl::read(out.as_bytes(), "rewritten.ckl").unwrap();
        assert_eq!(a.asset, b.asset, "{name}");
        assert_eq!(a.stigs, b.stigs, "{name}: stigs differ after write -> read");
        assert_eq!(b.source.tool, "stigpack :: test");
        // Deterministic bytes.
        assert_eq!(out, ckl::write_checklist(&a, "stigpack :: test"));
    }
}

#[test]
fn stig_viewer_sample_details() {
    let path = common::samples_dir().join("ckl/saf_small_ckl_overrides.ckl");
    let bytes = std::fs::read(path).unwrap();
    let c = ckl::read(&bytes, "saf.ckl").unwrap();
    assert_eq!(c.source.tool, "DISA STIG Viewer :: 2.17");
    assert_eq!(c.asset.role, "None");
    assert_eq!(c.asset.marking, "CUI");
    assert_eq!(c.asset.target_key, "5551");
    let s = &c.stigs[0];
    assert_eq!(s.info.stigid, "RHEL_9_STIG");
    assert_eq!(s.info.releaseinfo, "Release: 3 Benchmark Date: 24 Apr 2024");
    assert_eq!(s.info.customname, "");
    // The STIGRef the writer builds equals the one STIG Viewer wrote.
    assert_eq!(ckl::stig_ref(&s.info), s.rules[0].rule.stig_ref);
    let first = &s.rules[0];
    assert_eq!(first.rule.vuln_num, "V-257777");
    assert_eq!(first.rule.severity, Some(Severity::High));
    assert_eq!(first.review.status, Status::NotApplicable);
    assert_eq!(first.review.severity_override, Some(Severity::Medium));
    assert_eq!(
        first.review.severity_justification,
        "Testing both N/A and overidden"
    );
    // Overrides survive the writer byte for byte.
    let out = ckl::write_checklist(&c, "stigpack");
    assert!(out.contains(
        "<SEVERITY_OVERRIDE>medium</SEVERITY_OVERRIDE>\n\t\t\t\t<SEVERITY_JUSTIFICATION>Testing both N/A and overidden</SEVERITY_JUSTIFICATION>"
    ));
    let overrides = s
        .rules
        .iter()
        .filter(|r| r.review.severity_override.is_some())
        .count();
    assert_eq!(overrides, 3);
}

#[test]
fn writer_reproduces_stig_viewer_layout_exactly() {
    // STIG Viewer's own file, re-written with its own tool comment, is byte-identical:
    // the strongest evidence that order, indentation and escaping match STIG Viewer.
    let path = common::samples_dir().join("ckl/saf_small_ckl_overrides.ckl");
    let original = std::fs::read_to_string(path).unwrap();
    let c = ckl::read(original.as_bytes(), "saf.ckl").unwrap();
    let out = ckl::write_checklist(&c, "DISA STIG Viewer :: 2.17");
    if out != original {
        let pos = out
            .bytes()
            .zip(original.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(out.len().min(original.len()));
        panic!(
            "first difference at byte {pos}:\nours: {:?}\ntheirs: {:?}",
            &out[pos.saturating_sub(80)..(pos + 80).min(out.len())],
            &original[pos.saturating_sub(80)..(pos + 80).min(original.len())]
        );
    }
}

#[test]
fn stig_manager_variant_keeps_host_guid_and_tool() {
    let path = common::samples_dir().join("ckl/stigman_STIG-Manager-OSS.ckl");
    let bytes = std::fs::read(path).unwrap();
    let c = ckl::read(&bytes, "stigman.ckl").unwrap();
    assert_eq!(c.source.tool, "STIG Manager 1.5.2");
    assert_eq!(c.asset.host_name, "STIG-Manager-OSS");
    assert_eq!(c.asset.asset_type, "Non-Computing");
    assert_eq!(
        c.asset.extra,
        vec![("HOST_GUID".to_string(), String::new())]
    );
    let out = ckl::write_checklist(&c, "stigpack");
    assert!(out.contains("<HOST_MAC></HOST_MAC>\n\t\t<HOST_GUID></HOST_GUID>\n\t\t<HOST_FQDN>"));
    // Entity-escaped text (quotes, apostrophes, angle brackets) is read as text.
    let any_lt = c
        .stigs
        .iter()
        .flat_map(|s| &s.rules)
        .any(|r| r.rule.check_content.contains('<') || r.rule.vuln_discuss.contains('<'));
    assert!(any_lt);
}
