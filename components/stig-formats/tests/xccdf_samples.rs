//! XCCDF benchmark and results readers against DISA's real benchmark files.

#![allow(clippy::unwrap_used)]

mod common;

use stig_formats::model::{Severity, Status, StigChecklist};
use stig_formats::{ckl, cklb, xccdf, ErrorKind};

fn load(name: &str) -> (String, StigChecklist) {
    let path = common::samples_dir().join("xccdf").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let b = xccdf::benchmark::read(text.as_bytes(), name).unwrap();
    (text, b)
}

/// Clears what a CKL cannot carry, for comparing a model with its CKL round trip.
fn ckl_view(mut s: StigChecklist) -> StigChecklist {
    for r in &mut s.rules {
        r.rule.uuid.clear();
        r.rule.group_tree.clear();
        r.rule.check_content_href.clear();
        r.rule.reference_identifier.clear();
    }
    s.info.display_name.clear();
    s.info.reference_identifier.clear();
    s
}

#[test]
fn sample_benchmarks_rule_counts_and_round_trips() {
    // Every DISA benchmark in the samples, with its rule count from a plain string scan
    // (the reader's count is compared with it below); at least the original two.
    let names: Vec<String> = common::sample_files("xccdf", "xml")
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    for (known, rules) in [
        ("U_MS_Windows_10_STIG_V2R2_Manual-xccdf.xml", 285),
        ("U_MS_Windows_Server_2019_STIG_V2R2_Manual-xccdf.xml", 304),
    ] {
        assert!(names.iter().any(|n| n == known), "{known} missing");
        assert_eq!(load(known).1.rules.len(), rules, "{known}");
    }
    for name in &names {
        let name = name.as_str();
        let count = common::count_occurrences(
            &std::fs::read_to_string(common::samples_dir().join("xccdf").join(name)).unwrap(),
            "<Rule ",
        );
        assert!(count > 30, "{name}: {count} rules");
        let (text, b) = load(name);
        // Independent counts by plain string scanning.
        assert_eq!(b.rules.len(), count, "{name}");
        assert_eq!(b.rules.len(), common::count_occurrences(&text, "<Rule "));
        for (sev, word) in [
            (Severity::High, "high"),
            (Severity::Medium, "medium"),
            (Severity::Low, "low"),
        ] {
            let n = b
                .rules
                .iter()
                .filter(|r| r.rule.severity == Some(sev))
                .count();
            assert_eq!(
                n,
                common::count_occurrences(&text, &format!("severity=\"{word}\"")),
                "{name} {word}"
            );
        }
        let ccis: usize = b.rules.iter().map(|r| r.rule.ccis.len()).sum();
        assert_eq!(
            ccis,
            common::count_occurrences(&text, "system=\"http://cyber.mil/cci\"")
        );
        let legacy: usize = b.rules.iter().map(|r| r.rule.legacy_ids.len()).sum();
        assert_eq!(
            legacy,
            common::count_occurrences(&text, "system=\"http://cyber.mil/legacy\"")
        );
        assert!(b
            .rules
            .iter()
            .all(|r| r.review.status == Status::NotReviewed));
        assert!(b.rules.iter().all(|r| !r.rule.vuln_discuss.is_empty()
            && !r.rule.check_content.is_empty()
            && !r.rule.fix_text.is_empty()
            && r.rule.rule_id.ends_with("_rule")
            && r.rule.vuln_num.starts_with("V-")));

        // XCCDF -> CKL -> model keeps everything a CKL holds.
        let out = ckl::write(&Default::default(), std::slice::from_ref(&b), "stigpack");
        let back = ckl::read(out.as_bytes(), "b.ckl").unwrap();
        assert_eq!(back.stigs[0], ckl_view(b.clone()), "{name} via CKL");
        // XCCDF -> CKLB -> model keeps the ids, group tree and references as well.
        let j = cklb::write(
            &Default::default(),
            std::slice::from_ref(&b),
            &Default::default(),
        );
        let back = cklb::read(j.as_bytes(), "b.cklb").unwrap();
        for (x, y) in b.rules.iter().zip(&back.stigs[0].rules) {
            let mut x = x.rule.clone();
            x.stig_ref.clear();
            x.target_key.clear();
            // The benchmark has no rule uuid; the CKLB writer derived one.
            let mut y = y.rule.clone();
            assert_eq!(y.uuid.len(), 36);
            y.uuid.clear();
            assert_eq!(x, y);
        }
        assert_eq!(b.info.uuid, back.stigs[0].info.uuid);
    }
}

#[test]
fn server_2019_first_rule_fields() {
    let (_, b) = load("U_MS_Windows_Server_2019_STIG_V2R2_Manual-xccdf.xml");
    let i = &b.info;
    assert_eq!(i.stigid, "Windows_Server_2019_STIG");
    assert_eq!(i.version, "2");
    assert_eq!(i.releaseinfo, "Release: 2 Benchmark Date: 04 May 2021");
    assert_eq!(
        i.title,
        "Microsoft Windows Server 2019 Security Technical Implementation Guide"
    );
    assert_eq!(
        i.filename,
        "U_MS_Windows_Server_2019_STIG_V2R2_Manual-xccdf.xml"
    );
    assert_eq!(i.notice, "terms-of-use");
    assert_eq!(i.source, "STIG.DOD.MIL");
    assert_eq!(i.classification, "UNCLASSIFIED");
    assert_eq!(i.reference_identifier, "2907");
    let r = &b.rules[0].rule;
    assert_eq!(r.vuln_num, "V-205624");
    assert_eq!(r.group_title, "SRG-OS-000002-GPOS-00002");
    assert_eq!(r.rule_id, "SV-205624r569188_rule");
    assert_eq!(r.rule_ver, "WN19-00-000300");
    assert_eq!(r.severity, Some(Severity::Medium));
    assert_eq!(r.weight, "10.0");
    assert!(r
        .vuln_discuss
        .starts_with("If temporary user accounts remain active"));
    assert!(r
        .vuln_discuss
        .ends_with("exceed access control policy requirements."));
    assert_eq!(r.documentable, "false");
    assert_eq!(r.false_positives, "");
    assert_eq!(r.legacy_ids, ["SV-103063", "V-92975"]);
    assert_eq!(r.ccis, ["CCI-000016"]);
    assert_eq!(r.check_content_ref, "M");
    assert_eq!(r.check_content_href, "MS_Windows_Server_2019_STIG.xml");
    assert!(r
        .check_content
        .starts_with("Review temporary user accounts"));
    assert!(r.fix_text.starts_with("Configure temporary user accounts"));
    assert_eq!(r.target_key, "2907");
    assert_eq!(r.class, "Unclass");
    assert_eq!(
        r.stig_ref,
        "Microsoft Windows Server 2019 Security Technical Implementation Guide :: Version 2, Release: 2 Benchmark Date: 04 May 2021"
    );
    assert_eq!(
        r.group_tree[0].description,
        "<GroupDescription></GroupDescription>"
    );
}

/// A results document in the shape SCC writes (XCCDF 1.2 ids), built from the benchmark.
fn results_doc(b: &StigChecklist, values: &[&str]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TestResult xmlns=\"http://checklists.nist.gov/xccdf/1.2\" id=\"xccdf_mil.disa.stig_testresult_x\" start-time=\"2026-11-01T10:00:00Z\" end-time=\"2026-11-01T10:05:00Z\" test-system=\"cpe:/a:spawar:scc:5.10\">\n",
    );
    s.push_str(&format!(
        "<benchmark href=\"x.xml\" id=\"xccdf_mil.disa.stig_benchmark_{}\"/>\n<target>WS01</target>\n<target-address>10.0.0.5</target-address>\n<target-facts><fact name=\"urn:xccdf:fact:asset:identifier:fqdn\" type=\"string\">ws01.corp.mil</fact></target-facts>\n",
        b.info.stigid
    ));
    for (r, v) in b.rules.iter().zip(values) {
        s.push_str(&format!(
            "<rule-result idref=\"xccdf_mil.disa.stig_rule_{}\" time=\"2026-11-01T10:01:00Z\"><result>{v}</result><message severity=\"info\">checked &amp; {v}</message></rule-result>\n",
            r.rule.rule_id
        ));
    }
    s.push_str("</TestResult>");
    s
}

#[test]
fn results_apply_every_xccdf_value_through_the_normaliser() {
    let (_, b) = load("U_MS_Windows_10_STIG_V2R2_Manual-xccdf.xml");
    let values = [
        "pass",
        "fixed",
        "fail",
        "notapplicable",
        "notchecked",
        "unknown",
        "error",
        "notselected",
        "informational",
    ];
    let doc = results_doc(&b, &values);
    let c = xccdf::results::read(doc.as_bytes(), "WS01/scc.xml", Some(&b)).unwrap();
    assert_eq!(c.asset.host_name, "WS01");
    assert_eq!(c.asset.host_ip, "10.0.0.5");
    assert_eq!(c.asset.host_fqdn, "ws01.corp.mil");
    assert_eq!(c.source.scanned_at, "2026-11-01T10:05:00Z");
    assert_eq!(c.source.tool, "cpe:/a:spawar:scc:5.10");
    let got: Vec<Status> = c.stigs[0]
        .rules
        .iter()
        .take(10)
        .map(|r| r.review.status)
        .collect();
    use Status::*;
    assert_eq!(
        got,
        [
            NotAFinding,
            NotAFinding,
            Open,
            NotApplicable,
            NotReviewed,
            NotReviewed,
            NotReviewed,
            NotReviewed,
            NotReviewed,
            NotReviewed
        ]
    );
    assert_eq!(
        c.stigs[0].rules[6].review.finding_details,
        "XCCDF rule-result: error\nchecked & error"
    );
    // Rules without a result stay Not_Reviewed with no details.
    assert_eq!(c.stigs[0].rules[200].review.finding_details, "");
    assert_eq!(c.stigs[0].rules.len(), 285);
}

#[test]
fn results_bad_input_is_named() {
    let (_, b) = load("U_MS_Windows_10_STIG_V2R2_Manual-xccdf.xml");
    let doc = results_doc(&b, &["pass", "passed"]);
    let e = xccdf::results::read(doc.as_bytes(), "r.xml", Some(&b)).unwrap_err();
    assert!(
        e.to_string().starts_with("r.xml: ") && e.to_string().contains("\"passed\""),
        "{e}"
    );
    let doc = results_doc(&b, &["pass"]).replace(&b.rules[0].rule.rule_id, "SV-1_rule");
    let e = xccdf::results::read(doc.as_bytes(), "r.xml", Some(&b)).unwrap_err();
    assert!(e.to_string().contains("SV-1_rule"), "{e}");
    let doc = results_doc(&b, &["pass"]).replace("Windows_10_STIG", "Windows_11_STIG");
    let e = xccdf::results::read(doc.as_bytes(), "r.xml", Some(&b)).unwrap_err();
    assert!(e.to_string().contains("another benchmark"), "{e}");
    // Without a benchmark, a bare TestResult cannot be interpreted.
    let doc = results_doc(&b, &["pass"]);
    let e = xccdf::results::read(doc.as_bytes(), "r.xml", None).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::WrongDocument { .. }), "{e:?}");
    // DTDs are refused here too.
    let e = xccdf::benchmark::read(
        b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Benchmark/>",
        "b.xml",
    )
    .unwrap_err();
    assert!(matches!(e.kind, ErrorKind::DtdRefused { .. }));
}

#[test]
fn evaluate_stig_summary_sample() {
    use stig_formats::evaluate_stig;
    let path = common::samples_dir().join("evaluate-stig/VMH01_SummaryReport.xml");
    let text = std::fs::read_to_string(&path).unwrap();
    // The sample starts with a UTF-8 BOM.
    assert!(text.starts_with('\u{feff}'));
    let s = evaluate_stig::read_summary(text.as_bytes(), "VMH01_SummaryReport.xml").unwrap();
    assert_eq!(s.computer.name, "WGSDAC-SV-VMH01");
    assert_eq!(s.computer.eval_stig_version, "1.2507.6");
    assert_eq!(
        s.results.len(),
        common::count_occurrences(&text, "<Result ")
    );
    assert_eq!(s.results[1].stig, "RHEL_7_STIG");
    assert_eq!(s.results[0].start_time, "2026-03-14T16:56:31.1433301-04:00");
    let vulns: Vec<_> = s.results.iter().flat_map(|r| &r.vulns).collect();
    assert_eq!(vulns.len(), common::count_occurrences(&text, "<Vuln "));
    for (st, word) in [
        (Status::NotAFinding, "NotAFinding"),
        (Status::Open, "Open"),
        (Status::NotApplicable, "Not_Applicable"),
        (Status::NotReviewed, "Not_Reviewed"),
    ] {
        assert_eq!(
            vulns.iter().filter(|v| v.status == st).count(),
            common::count_occurrences(&text, &format!(" Status=\"{word}\"")),
            "{word}"
        );
    }
}

#[test]
fn xccdf_1_2_copy_with_embedded_results_reads_with_stig_ids() {
    // SCC writes an XCCDF 1.2 copy of the benchmark with prefixed ids and the
    // TestResult inside it; build one from the real 1.1 benchmark.
    let path = common::samples_dir().join("xccdf/U_MS_Windows_10_STIG_V2R2_Manual-xccdf.xml");
    let text = std::fs::read_to_string(path).unwrap();
    let b11 = xccdf::benchmark::read(text.as_bytes(), "w10.xml").unwrap();
    let v12 = text
        .replace(
            "http://checklists.nist.gov/xccdf/1.1",
            "http://checklists.nist.gov/xccdf/1.2",
        )
        .replace(
            "id=\"Windows_10_STIG\"",
            "id=\"xccdf_mil.disa.stig_benchmark_Windows_10_STIG\"",
        )
        .replace("<Group id=\"V-", "<Group id=\"xccdf_mil.disa.stig_group_V-")
        .replace("<Rule id=\"SV-", "<Rule id=\"xccdf_mil.disa.stig_rule_SV-");
    let tr = format!(
        "<TestResult id=\"t\" end-time=\"2026-11-01T10:05:00Z\"><target>WS09</target><rule-result idref=\"xccdf_mil.disa.stig_rule_{}\"><result>fail</result></rule-result></TestResult></Benchmark>",
        b11.rules[3].rule.rule_id
    );
    let doc = v12.replacen("</Benchmark>", &tr, 1);
    let c = xccdf::results::read(doc.as_bytes(), "scc.xml", None).unwrap();
    let s = &c.stigs[0];
    assert_eq!(s.info.stigid, "Windows_10_STIG");
    assert_eq!(s.rules.len(), 285);
    assert_eq!(s.rules[3].rule.rule_id, b11.rules[3].rule.rule_id);
    assert_eq!(s.rules[3].rule.vuln_num, b11.rules[3].rule.vuln_num);
    assert_eq!(s.rules[3].review.status, Status::Open);
    assert_eq!(c.asset.host_name, "WS09");
}

#[test]
fn results_pick_the_matching_benchmark() {
    let (_, w10) = load("U_MS_Windows_10_STIG_V2R2_Manual-xccdf.xml");
    let (_, s19) = load("U_MS_Windows_Server_2019_STIG_V2R2_Manual-xccdf.xml");
    let both = [s19.clone(), w10.clone()];
    let doc = results_doc(&w10, &["fail"]);
    let c = xccdf::results::read_matching(doc.as_bytes(), "r.xml", &both).unwrap();
    assert_eq!(c.stigs[0].info.stigid, "Windows_10_STIG");
    assert_eq!(c.stigs[0].rules[0].review.status, Status::Open);
    // Without a benchmark id, the first reported rule decides.
    let doc = results_doc(&s19, &["pass"]);
    let start = doc.find("<benchmark ").unwrap();
    let end = start + doc[start..].find("/>").unwrap() + 2;
    let unnamed = format!("{}{}", &doc[..start], &doc[end..]);
    let c = xccdf::results::read_matching(unnamed.as_bytes(), "r.xml", &both).unwrap();
    assert_eq!(c.stigs[0].info.stigid, "Windows_Server_2019_STIG");
    // No match: an error naming what was wanted and what was given.
    let e = xccdf::results::read_matching(doc.as_bytes(), "r.xml", &both[1..]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("Windows_Server_2019_STIG") && msg.contains("Windows_10_STIG"),
        "{msg}"
    );
}

/// Evaluate-STIG style: the TestResult wrapped in a `Benchmark` that carries no rules.
/// It is bare results: matched with a given benchmark by id, and without one the error
/// names the benchmark to pass, instead of "the benchmark holds no rules".
#[test]
fn results_in_an_empty_benchmark_wrapper_match_a_given_benchmark() {
    let (_, b) = load("U_MS_Windows_10_STIG_V2R2_Manual-xccdf.xml");
    let bare = results_doc(&b, &["pass", "fail"]);
    let wrapped = bare.replacen(
        "<TestResult ",
        &format!(
            "<Benchmark xmlns=\"http://checklists.nist.gov/xccdf/1.2\" id=\"xccdf_mil.disa.stig_benchmark_{}\"><status>accepted</status><title>t</title><version>2</version>\n<TestResult ",
            b.info.stigid
        ),
        1,
    ) + "</Benchmark>";
    let c =
        xccdf::results::read_matching(wrapped.as_bytes(), "WS01/es.xml", std::slice::from_ref(&b))
            .unwrap();
    assert_eq!(c.stigs[0].rules.len(), b.rules.len());
    assert_eq!(c.stigs[0].rules[1].review.status, Status::Open);
    let e = xccdf::results::read_matching(wrapped.as_bytes(), "WS01/es.xml", &[]).unwrap_err();
    assert!(
        e.to_string().starts_with("WS01/es.xml: ") && e.to_string().contains(&b.info.stigid),
        "{e}"
    );
}
