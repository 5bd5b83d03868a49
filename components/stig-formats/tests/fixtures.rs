//! The project's own fixture fleet (`fixtures/scans`, `fixtures/benchmarks`): every file
//! reads, round-trips, and holds the statuses `fixtures/scans/README.md` promises,
//! counted here independently of the parsers.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use stig_formats::model::{Checklist, Severity, Status, StigChecklist};
use stig_formats::{ckl, cklb, status, xccdf};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn benchmark(name: &str) -> StigChecklist {
    let p = common::fixtures_dir().join("benchmarks").join(name);
    xccdf::benchmark::read(&read(&p), name).unwrap()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Reads one scan file the way the import will, by extension.
fn load(p: &Path) -> Checklist {
    let name = p.file_name().unwrap().to_str().unwrap();
    let bytes = read(p);
    match p.extension().unwrap().to_str().unwrap() {
        "ckl" => ckl::read(&bytes, name).unwrap(),
        "cklb" => cklb::read(&bytes, name).unwrap(),
        "xml" => {
            let b = benchmark("U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml");
            xccdf::results::read(&bytes, name, Some(&b)).unwrap()
        }
        other => panic!("unexpected fixture {other}"),
    }
}

/// Status counts straight from the file text: `<STATUS>` in CKL, `"status"` values in
/// CKLB, `<result>` values mapped with the formats.md table in XCCDF.
fn independent_counts(p: &Path, into: &mut BTreeMap<&'static str, usize>) {
    let text = String::from_utf8(read(p)).unwrap();
    let mut add = |k: &'static str| *into.entry(k).or_insert(0) += 1;
    match p.extension().unwrap().to_str().unwrap() {
        "ckl" => {
            for (k, n) in common::count_ckl_statuses(&text) {
                let k: &'static str = match k.as_str() {
                    "NotAFinding" => "NotAFinding",
                    "Open" => "Open",
                    "Not_Applicable" => "Not_Applicable",
                    "Not_Reviewed" => "Not_Reviewed",
                    other => panic!("{other}"),
                };
                for _ in 0..n {
                    add(k);
                }
            }
        }
        "cklb" => {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for s in v["stigs"].as_array().unwrap() {
                for r in s["rules"].as_array().unwrap() {
                    add(match r["status"].as_str().unwrap() {
                        "not_a_finding" => "NotAFinding",
                        "open" => "Open",
                        "not_applicable" => "Not_Applicable",
                        "not_reviewed" => "Not_Reviewed",
                        other => panic!("{other}"),
                    });
                }
            }
        }
        _ => {
            let rules = common::count_occurrences(&text, "<rule-result ");
            let mut rest = text.as_str();
            let mut seen = 0;
            while let Some(i) = rest.find("<result>") {
                rest = &rest[i + 8..];
                let j = rest.find("</result>").unwrap();
                seen += 1;
                add(match &rest[..j] {
                    "pass" | "fixed" => "NotAFinding",
                    "fail" => "Open",
                    "notapplicable" => "Not_Applicable",
                    _ => "Not_Reviewed",
                });
            }
            assert_eq!(seen, rules);
        }
    }
}

fn model_counts(c: &Checklist, into: &mut BTreeMap<&'static str, usize>) {
    for s in &c.stigs {
        for r in &s.rules {
            *into.entry(status::to_ckl(r.review.status)).or_insert(0) += 1;
        }
    }
}

#[test]
fn benchmarks_read_with_expected_rule_counts() {
    for (name, n) in [
        ("U_MS_Windows_11_STIG_V2R1_Manual-xccdf.xml", 10),
        ("U_MS_Windows_Server_2022_STIG_V2R1_Manual-xccdf.xml", 8),
        ("U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml", 6),
    ] {
        let b = benchmark(name);
        assert_eq!(b.rules.len(), n, "{name}");
        assert!(b.rules.iter().all(|r| !r.rule.vuln_discuss.is_empty()
            && !r.rule.ccis.is_empty()
            && r.rule.severity.is_some()));
    }
}

#[test]
fn fleet_statuses_match_the_readme_and_the_files() {
    let expected: [(&str, [usize; 4]); 3] = [
        ("WS01", [9, 4, 1, 2]),
        ("WS02", [5, 2, 1, 2]),
        ("SRV01", [8, 3, 2, 1]),
    ];
    let mut fleet_total = BTreeMap::new();
    for (host, [naf, open, na, nr]) in expected {
        let dir = common::fixtures_dir().join("scans").join(host);
        let (mut ours, mut theirs) = (BTreeMap::new(), BTreeMap::new());
        for p in files(&dir) {
            let c = load(&p);
            assert_eq!(c.asset.host_name, host, "{}", p.display());
            stig_formats::safe_host_component(&c.asset.host_name).unwrap();
            model_counts(&c, &mut ours);
            independent_counts(&p, &mut theirs);
            // Every fixture survives a CKL and a CKLB round trip.
            let back = ckl::read(ckl::write_checklist(&c, "t").as_bytes(), "x").unwrap();
            assert_eq!(back.asset.host_name, c.asset.host_name);
            let reviews = |c: &Checklist| {
                c.stigs
                    .iter()
                    .flat_map(|s| s.rules.iter().map(|r| r.review.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(reviews(&back), reviews(&c));
            let back = cklb::read(cklb::write_checklist(&c).as_bytes(), "x").unwrap();
            assert_eq!(reviews(&back), reviews(&c));
        }
        let want = BTreeMap::from([
            ("NotAFinding", naf),
            ("Open", open),
            ("Not_Applicable", na),
            ("Not_Reviewed", nr),
        ]);
        assert_eq!(ours, want, "{host} (parsed)");
        assert_eq!(theirs, want, "{host} (counted in the files)");
        for (k, v) in ours {
            *fleet_total.entry(k).or_insert(0) += v;
        }
    }
    assert_eq!(fleet_total.len(), 4, "the fleet covers all four statuses");
}

#[test]
fn fixture_features_are_present() {
    let scans = common::fixtures_dir().join("scans");
    let ws01 = load(&scans.join("WS01/WS01_MS_Windows_11_STIG_V2R1.ckl"));
    let o = &ws01.stigs[0].rules[1];
    assert_eq!(o.rule.severity, Some(Severity::High));
    assert_eq!(o.review.severity_override, Some(Severity::Medium));
    assert!(o.review.severity_justification.contains("ISSM"));
    assert!(ws01.stigs[0].rules[9]
        .review
        .comments
        .contains("<REQ-77> &"));
    let srv = load(&scans.join("SRV01/SRV01_Combined.ckl"));
    assert_eq!(srv.stigs.len(), 2, "combined CKL with two benchmarks");
    assert_eq!(srv.asset.role, "Member Server");
    assert_eq!(srv.stigs[1].info.stigid, "MS_Defender_Antivirus");
    let ws02 = load(&scans.join("WS02/WS02_Win11_V2R1_20261102-101500.cklb"));
    assert_eq!(ws02.source.tool, "Evaluate-STIG 1.2507.6");
    assert_eq!(ws02.stigs[0].rules[6].review.status, Status::NotReviewed);
    assert!(ws02.stigs[0].rules[0]
        .review
        .finding_details
        .contains("\r\n"));
    let xr = load(&scans.join("WS01/WS01_MS_Defender_Antivirus_XCCDF-Results.xml"));
    assert_eq!(xr.source.scanned_at, "2026-11-02T09:16:41");
    assert_eq!(xr.stigs[0].rules[2].review.status, Status::Open);
}

#[test]
fn fixtures_stay_small() {
    fn size(p: &Path) -> u64 {
        if p.is_dir() {
            files(p).iter().map(|f| size(f)).sum()
        } else {
            std::fs::metadata(p).unwrap().len()
        }
    }
    let root = common::fixtures_dir();
    let total = size(&root.join("scans")) + size(&root.join("benchmarks"));
    assert!(total < 300 * 1024, "fixtures are {total} bytes");
}

#[allow(dead_code)]
#[path = "../examples/make_fixtures.rs"]
mod generator;

#[test]
fn committed_fixtures_are_exactly_what_the_generator_makes() {
    let root = common::fixtures_dir();
    let built = generator::build();
    assert_eq!(built.len(), 7);
    for (rel, data) in &built {
        let on_disk = std::fs::read_to_string(root.join(rel)).unwrap();
        assert!(
            on_disk == *data,
            "{rel} differs from the generator's output: rerun make_fixtures"
        );
    }
    // And the generator is deterministic.
    assert_eq!(built, generator::build());
}
