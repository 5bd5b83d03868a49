//! Every real XCCDF results file in shared/samples/results (SCC's, Evaluate-STIG's), read
//! with every DISA manual benchmark in shared/samples/xccdf given, as an export gives
//! them:
//! - the checklist names the STIG's real version and release, those of the manual
//!   benchmark the samples' README names for that results file (matched by benchmark id
//!   and date, not by version number: SCC numbers its content 6.3.3 or 002.007.016);
//! - no check, fix or discussion text is empty where that manual has one, and no text
//!   the results carried is replaced;
//! - DISA's schema (`xmllint --schema`) and STIG Manager's own CKL parser accept the
//!   CKL written from it, with the manual's benchmark id and revision;
//! - the same file with its namespace prefix removed, renamed or added, and with CRLF
//!   and LF line ends swapped (rewritten in memory), reads to the same checklist.
//!
//! SCC content of other STIGs (Windows 11 "002.007.016", Server 2022 "1.3.6") is built in
//! the test by editing the real SCC file, and maps to V2R6 and V1R4.
//!
//! With `CI=true` a missing node, module or xmllint fails the test.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use stig_formats::model::{Checklist, HostResults, Rule, StigChecklist};
use stig_formats::output::{checklist_files, Formats};
use stig_formats::xccdf::{benchmark, results};

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn missing(what: &str) {
    assert!(!ci(), "{what} is missing and CI=true");
    eprintln!("SKIP: {what} not found; that independent check did not run");
}

fn tool_runs(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every DISA manual benchmark in the samples, in file name order.
fn manuals() -> Vec<StigChecklist> {
    common::sample_files("xccdf", "xml")
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            benchmark::read(&std::fs::read(p).unwrap(), name).unwrap()
        })
        .collect()
}

/// The manual benchmark file the samples' README names for a results file
/// (`| results/NAME | ... | ...; benchmark: xccdf/FILE.xml |`).
fn readme_benchmark(results_name: &str) -> String {
    let readme = std::fs::read_to_string(common::samples_dir().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with(&format!("| results/{results_name} |")))
        .unwrap_or_else(|| panic!("README names no benchmark for {results_name}"));
    let at = line.find("benchmark: xccdf/").unwrap() + "benchmark: xccdf/".len();
    let rest = &line[at..];
    rest[..rest.find(".xml").unwrap() + 4].to_owned()
}

/// `V6R5` from a DISA file name (`U_MOZ_Firefox_STIG_V6R5_Manual-xccdf.xml`).
fn name_version_release(file: &str) -> String {
    file.split('_')
        .find(|p| {
            p.starts_with('V')
                && p[1..].contains('R')
                && p[1..].chars().all(|c| c.is_ascii_digit() || c == 'R')
        })
        .unwrap()
        .to_owned()
}

fn texts(r: &Rule) -> [(&'static str, &str); 3] {
    [
        ("check", r.check_content.as_str()),
        ("fix", r.fix_text.as_str()),
        ("discussion", r.vuln_discuss.as_str()),
    ]
}

fn xmllint_accepts(ckl: &Path) {
    if !tool_runs("xmllint", "--version") {
        return missing("xmllint");
    }
    let xsd = common::samples_dir().join("schemas/U_Checklist_Schema_V2.xsd");
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(ckl)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: fails DISA's schema: {}",
        ckl.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What STIG Manager imports from a CKL, or `None` (said why) when its parsers are absent.
fn stigman_reads(ckl: &Path) -> Option<Value> {
    let script = repo().join("scripts/checkers/stigman-reviews.mjs");
    let module =
        repo().join("scripts/checkers/node_modules/@nuwcdivnpt/stig-manager-client-modules");
    if !tool_runs("node", "--version") {
        missing("node");
        return None;
    }
    if !module.is_dir() {
        missing("STIG Manager's parsers (run scripts/setup.sh)");
        return None;
    }
    let out = Command::new("node").arg(script).arg(ckl).output().unwrap();
    assert!(
        out.status.success(),
        "STIG Manager's parser refused {}: {}",
        ckl.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn every_results_sample_names_its_manual_benchmarks_release_and_fills_its_texts() {
    let manuals = manuals();
    let dir = std::env::temp_dir().join(format!("stigpack-results-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let samples = common::sample_files("results", "xml");
    for path in &samples {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let manual_file = readme_benchmark(name);
        let manual = manuals
            .iter()
            .find(|m| m.info.filename == manual_file)
            .unwrap_or_else(|| panic!("{manual_file} is not in samples/xccdf"));
        // Every manual is given, other releases of the same STIG (Chrome V2R8) included.
        let (c, not_used) = results::read_matching_noted(&bytes, name, &manuals).unwrap();
        let stig = &c.stigs[0];
        assert_eq!(stig.info.stigid, manual.info.stigid, "{name}");
        assert_eq!(stig.info.version, manual.info.version, "{name}");
        assert_eq!(stig.info.releaseinfo, manual.info.releaseinfo, "{name}");
        assert!(not_used.is_empty(), "{name}: {not_used:?}");

        // The same statuses as without any manual, and no text the results carried is
        // replaced (SCC content reads alone; bare results need their benchmark).
        if let Ok(alone) = results::read_matching(&bytes, name, &[]) {
            let alone = &alone.stigs[0];
            assert_eq!(alone.rules.len(), stig.rules.len(), "{name}");
            for (a, b) in alone.rules.iter().zip(&stig.rules) {
                assert_eq!(a.review, b.review, "{name} {}", a.rule.rule_id);
                for ((what, before), (_, after)) in texts(&a.rule).into_iter().zip(texts(&b.rule)) {
                    if !before.is_empty() {
                        assert_eq!(before, after, "{name} {} {what}", a.rule.rule_id);
                    }
                }
            }
            // SCAP rules checked by OVAL alone carry no check text: the same content
            // without any, rewritten in memory, gets the manual's.
            let text = String::from_utf8_lossy(&bytes);
            let tag =
                prefix(&text).map_or("check-content".to_owned(), |p| format!("{p}:check-content"));
            let stripped = strip_elements(&text, &tag);
            assert_ne!(stripped, text, "{name}: no {tag} to strip");
            let (c, _) = results::read_matching_noted(stripped.as_bytes(), name, &manuals).unwrap();
            let mut filled = 0;
            for r in &c.stigs[0].rules {
                if let Some(m) = manual
                    .rules
                    .iter()
                    .find(|m| m.rule.rule_id == r.rule.rule_id)
                {
                    assert_eq!(r.rule.check_content, m.rule.check_content, "{name}");
                    filled += usize::from(!r.rule.check_content.is_empty());
                }
            }
            assert!(filled > 0, "{name}: no check text filled");
        }
        // No text empty where the manual has one.
        let mut matched = 0;
        for m in &manual.rules {
            let Some(r) = stig.rules.iter().find(|r| r.rule.rule_id == m.rule.rule_id) else {
                continue;
            };
            matched += 1;
            for ((what, want), (_, got)) in texts(&m.rule).into_iter().zip(texts(&r.rule)) {
                assert!(
                    want.is_empty() || !got.is_empty(),
                    "{name} {}: {what} text empty",
                    m.rule.rule_id
                );
            }
        }
        assert!(matched > 0, "{name}: no rule of {manual_file}");

        // The CKL as an export writes it: named with the release the manual's file name
        // states, valid for DISA's schema, read by STIG Manager as that revision.
        let files = checklist_files(
            &HostResults {
                host: "H1".into(),
                checklists: vec![c.clone()],
            },
            Formats::named("ckl").unwrap(),
            false,
            "stigpack :: results test",
        )
        .unwrap();
        assert_eq!(files.len(), 1, "{name}");
        let vr = name_version_release(&manual_file);
        assert!(
            files[0].path.ends_with(&format!("_{vr}.ckl")),
            "{name}: {} does not name {vr}",
            files[0].path
        );
        let ckl = dir.join(format!("{name}.ckl"));
        std::fs::write(&ckl, &files[0].bytes).unwrap();
        xmllint_accepts(&ckl);
        if let Some(read) = stigman_reads(&ckl) {
            let list = &read["checklists"][0];
            assert_eq!(list["benchmarkId"], manual.info.stigid.as_str(), "{name}");
            assert_eq!(list["revisionStr"], vr.as_str(), "{name}");
            let text = String::from_utf8_lossy(&bytes);
            let reported = common::count_occurrences(&text, "rule-result ");
            let reviewed = list["reviews"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["result"] != "notchecked")
                .count();
            assert!(reviewed > 0 && reviewed <= reported, "{name}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The Evaluate-STIG results state "Release: 9 Benchmark Date: 24 Jan 2024": given only
/// the V2R8 manual of the same id, they are not applied to it, and the error says why.
#[test]
fn bare_results_refuse_another_release_of_their_benchmark() {
    let path = common::samples_dir().join("results/eval-stig-w-sm-resultEngine.xml");
    let r8 = manuals()
        .into_iter()
        .filter(|m| m.info.filename.contains("Chrome_STIG_V2R8"))
        .collect::<Vec<_>>();
    assert_eq!(r8.len(), 1);
    let e = results::read_matching(&std::fs::read(&path).unwrap(), "es.xml", &r8).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("24 Jan 2024")
            && msg.contains("26 Jan 2023")
            && msg.contains("another release"),
        "{msg}"
    );
}

/// The real SCC file, edited into SCC content of another STIG: its own number as the
/// version, the release text with the manual's benchmark date, the manual's benchmark
/// id, and no rear-matter (so the numbers alone must be read right).
fn scc_content_of(manual: &StigChecklist, version: &str, date: &str) -> String {
    let path = common::samples_dir().join("results/scc_scan-xccdf.xml");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("<cdf:rear-matter>").unwrap();
    let end = text.find("</cdf:rear-matter>").unwrap() + "</cdf:rear-matter>".len();
    let major = version.split('.').next().unwrap().trim_start_matches('0');
    let text = format!("{}{}", &text[..start], &text[end..])
        .replace(">6.3.3</cdf:version>", &format!(">{version}</cdf:version>"))
        .replace(
            "Enhanced Content 6.3.3 Date: 2023-08-04, based on Release: 6.3 Benchmark Date: 27 Oct 2022",
            &format!("Enhanced Content {version} Date: 2026-01-20, based on Release: {major}.9 Benchmark Date: {date}"),
        )
        .replace("stig_benchmark_MOZ_Firefox_Linux", &format!("stig_benchmark_{}", manual.info.stigid));
    assert!(text.contains(version) && text.contains(&manual.info.stigid));
    text
}

#[test]
fn scc_content_numbers_map_to_the_stig_version_and_release() {
    let manuals = manuals();
    for (version, file, want) in [
        (
            "002.007.016",
            "U_MS_Windows_11_STIG_V2R6_Manual-xccdf.xml",
            "V2R6",
        ),
        (
            "1.3.6",
            "U_MS_Windows_Server_2022_STIG_V1R4_Manual-xccdf.xml",
            "V1R4",
        ),
    ] {
        let manual = manuals.iter().find(|m| m.info.filename == file).unwrap();
        let date = manual
            .info
            .releaseinfo
            .split("Benchmark Date: ")
            .nth(1)
            .unwrap()
            .to_owned();
        let doc = scc_content_of(manual, version, &date);
        let (c, not_used) =
            results::read_matching_noted(doc.as_bytes(), "scc.xml", &manuals).unwrap();
        let info = &c.stigs[0].info;
        assert_eq!(
            format!(
                "V{}R{}",
                info.version,
                info.releaseinfo.split_whitespace().nth(1).unwrap()
            ),
            want,
            "{version}"
        );
        assert_eq!(info.releaseinfo, manual.info.releaseinfo);
        assert!(not_used.is_empty());
        // Every rule's STIGRef names the STIG, not the content.
        assert!(c.stigs[0].rules[0]
            .rule
            .stig_ref
            .contains(&manual.info.releaseinfo));

        // Without the manual: the STIG's version without SCC's zeros, never V002.
        let (alone, _) = results::read_matching_noted(doc.as_bytes(), "scc.xml", &[]).unwrap();
        let major = version.split('.').next().unwrap().trim_start_matches('0');
        assert_eq!(alone.stigs[0].info.version, major, "{version}");
        assert_eq!(
            alone.stigs[0].info.releaseinfo,
            format!("Release: 9 Benchmark Date: {date}")
        );

        // A manual of the same id but another date is not used, and says why.
        let mut other = manual.clone();
        other.info.releaseinfo = "Release: 1 Benchmark Date: 01 Jan 2020".into();
        let (c, not_used) =
            results::read_matching_noted(doc.as_bytes(), "scc.xml", &[other]).unwrap();
        assert_eq!(c.stigs[0].info.version, major);
        assert_eq!(not_used.len(), 1, "{version}");
        assert_eq!(not_used[0].benchmark, file);
        assert!(
            not_used[0].reason.contains("01 Jan 2020") && not_used[0].reason.contains(&date),
            "{}",
            not_used[0].reason
        );
    }
}

/// The namespace prefix a document's elements carry (`cdf` in `<cdf:Benchmark`).
fn prefix(text: &str) -> Option<String> {
    ["Benchmark", "TestResult"].iter().find_map(|root| {
        let i = text.find(&format!(":{root} "))?;
        let start = text[..i].rfind('<')? + 1;
        Some(text[start..i].to_owned())
    })
}

/// The document with its element prefix `from` (None: the default namespace) as `to`:
/// every element name in that namespace, and its namespace declaration, rewritten.
fn reprefix(text: &str, from: Option<&str>, to: Option<&str>) -> String {
    let decl = |p: Option<&str>| p.map_or("xmlns=".to_owned(), |p| format!("xmlns:{p}="));
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('/') {
            out.push('/');
            rest = r;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.starts_with(char::is_alphabetic) {
            continue; // a comment, declaration or processing instruction
        }
        let local = match from {
            Some(p) => name.strip_prefix(p).and_then(|n| n.strip_prefix(':')),
            None => (!name.contains(':')).then_some(name),
        };
        if let Some(local) = local {
            if let Some(t) = to {
                out.push_str(t);
                out.push(':');
            }
            out.push_str(local);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out.replacen(&decl(from), &decl(to), 1)
}

/// The document without any `<tag>...</tag>` element.
fn strip_elements(text: &str, tag: &str) -> String {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        out.push_str(&rest[..i]);
        let j = rest[i..].find(&close).unwrap() + i + close.len();
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

/// What a reader must give the same from every shape of one file.
fn content(c: &Checklist) -> String {
    format!("{:?}|{:?}|{:?}", c.asset, c.source.scanned_at, c.stigs)
}

#[test]
fn every_results_sample_reads_the_same_in_every_shape() {
    let manuals = manuals();
    for path in common::sample_files("results", "xml") {
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let want = results::read_matching(text.as_bytes(), name, &manuals).unwrap();
        assert!(!want.source.scanned_at.is_empty(), "{name}: no scan time");
        let had = prefix(&text);
        let crlf = text.contains("\r\n");
        let lf = text.replace("\r\n", "\n");
        let flipped = if crlf {
            lf.clone()
        } else {
            lf.replace('\n', "\r\n")
        };
        let mut shapes = vec![(
            format!("line ends {}", if crlf { "LF" } else { "CRLF" }),
            flipped,
        )];
        for to in [None, Some("xccdf"), Some("x12")] {
            if to == had.as_deref() {
                continue;
            }
            let shaped = reprefix(&text, had.as_deref(), to);
            assert_eq!(prefix(&shaped).as_deref(), to, "{name}: rewrite failed");
            shapes.push((format!("prefix {to:?}"), shaped.clone()));
            shapes.push((
                format!("prefix {to:?}, other line ends"),
                if crlf {
                    shaped.replace("\r\n", "\n")
                } else {
                    shaped.replace('\n', "\r\n")
                },
            ));
        }
        assert!(shapes.len() >= 5, "{name}");
        for (shape, doc) in shapes {
            let got = results::read_matching(doc.as_bytes(), name, &manuals)
                .unwrap_or_else(|e| panic!("{name} ({shape}): {e}"));
            assert_eq!(content(&got), content(&want), "{name} ({shape})");
        }
    }
}
