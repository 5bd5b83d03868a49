//! Turning one host's directory of raw scan files into [`HostResults`].
//!
//! This is the `import` component's logic, kept here so it is unit-tested natively. The
//! rules an operator can rely on:
//! - a file is recognised by its extension and a look at its first bytes, never by
//!   guessing from its path; anything unrecognised is listed in the report, not dropped
//!   silently, and never fails the import;
//! - a recognised file that does not parse fails the import, naming the file;
//! - the same benchmark reported twice for one host (Evaluate-STIG writes a CKL *and* a
//!   CKLB) is kept once when both agree, and is an error naming both files when they
//!   disagree: the tool does not pick a winner between conflicting evidence;
//! - XCCDF results whose benchmark was not given are covered, not fatal, when the same
//!   host holds a checklist of that benchmark (Evaluate-STIG writes its checklists and
//!   a results-only XCCDF from one scan): they are set aside, naming the checklist;
//! - under `--keep-going`, a host whose files cannot be read is an [`Unreadable`] entry,
//!   not the end of the run (the caller decides; this module only names file and reason).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Checklist, HostResults, StigChecklist};
use crate::xml::{local, Ev, XmlReader};

/// The import component's list of hosts it could not read (option `keep-going`), and the
/// name of the package file that keeps the fleet-wide list.
pub const UNREADABLE_FILE: &str = "unreadable.json";

/// A host left out of an export because one of its files could not be read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unreadable {
    pub host: String,
    /// The file, relative to the results root (`<host>/...`).
    pub file: String,
    pub reason: String,
}

impl Unreadable {
    /// One line for an operator: `host: file: reason`.
    pub fn line(&self) -> String {
        format!("{}: {}: {}", self.host, self.file, self.reason)
    }
}

/// What a scan file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputKind {
    Ckl,
    Cklb,
    XccdfBenchmark,
    XccdfResults,
    EvaluateStigSummary,
    Other,
}

/// Recognise a file from its name and content.
pub fn classify(name: &str, bytes: &[u8]) -> InputKind {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".ckl") {
        return InputKind::Ckl;
    }
    if lower.ends_with(".cklb") {
        return InputKind::Cklb;
    }
    let head = &bytes[..bytes.len().min(8192)];
    let head_text = String::from_utf8_lossy(head);
    if lower.ends_with(".json") && head_text.contains("\"cklb_version\"") {
        return InputKind::Cklb;
    }
    if lower.ends_with(".xml") {
        match root_element(&head_text) {
            Some(root) if local_name(root) == "Benchmark" => {
                // A results file carries TestResult elements; look through the whole
                // document, since TestResult follows the rules.
                if memfind(bytes, b"TestResult") {
                    return InputKind::XccdfResults;
                }
                return InputKind::XccdfBenchmark;
            }
            Some(root) if local_name(root) == "TestResult" => return InputKind::XccdfResults,
            Some(root) if local_name(root) == "Summary" => return InputKind::EvaluateStigSummary,
            Some(root) if local_name(root) == "CHECKLIST" => return InputKind::Ckl,
            _ => {}
        }
    }
    InputKind::Other
}

fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn local_name(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

/// The first element name in a document head, skipping the prolog and comments.
fn root_element(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let start = rest.find('<')?;
        rest = &rest[start + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        return Some(&rest[..end]);
    }
}

/// A file the import looked at and set aside, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAside {
    pub file: String,
    pub kind: InputKind,
    pub reason: String,
}

/// Accumulates one host's checklists, file by file, so the caller can stream files in.
#[derive(Debug)]
pub struct HostImport {
    host: String,
    /// Keyed by benchmark id: the checklist holding it and the file it came from.
    by_benchmark: BTreeMap<String, (StigChecklist, Checklist)>,
    set_aside: Vec<SetAside>,
    /// XCCDF results no given benchmark matched: (file, benchmark id they name, the
    /// error), resolved in [`Self::finish`] against the host's checklists.
    uncovered: Vec<(String, String, Error)>,
}

impl HostImport {
    pub fn new(host: &str) -> Self {
        HostImport {
            host: host.to_string(),
            by_benchmark: BTreeMap::new(),
            set_aside: Vec::new(),
            uncovered: Vec::new(),
        }
    }

    /// Hold XCCDF results that no given benchmark matched (`error` says so) until every
    /// file of the host is read: a checklist of the benchmark they name covers them.
    pub fn defer_results(&mut self, file: &str, benchmark: &str, error: Error) {
        self.uncovered
            .push((file.to_string(), benchmark.to_string(), error));
    }

    /// Add a checklist read from `file`. Each benchmark in it is checked against what the
    /// host already has. The benchmarks are moved, not copied: a host's rules are its
    /// largest data, and the import guest reads every host of a fleet.
    pub fn add_checklist(&mut self, mut checklist: Checklist) -> Result<()> {
        let stigs = std::mem::take(&mut checklist.stigs);
        for stig in stigs {
            let id = benchmark_key(&stig);
            match self.by_benchmark.get(&id) {
                None => {
                    // The holder is the checklist without its benchmarks: asset, source
                    // and CKLB fields, small beside the rules.
                    self.by_benchmark.insert(id, (stig, checklist.clone()));
                }
                Some((existing, holder)) => {
                    if let Some(diff) = first_difference(existing, &stig) {
                        return Err(Error::new(
                            &checklist.source.file,
                            ErrorKind::InvalidValue {
                                field: format!("benchmark {id}"),
                                value: diff,
                                reason: format!(
                                    "disagrees with {} for the same host; resolve the conflict before exporting",
                                    holder.source.file
                                ),
                            },
                        ));
                    }
                    self.set_aside.push(SetAside {
                        file: checklist.source.file.clone(),
                        kind: InputKind::Ckl,
                        reason: format!(
                            "benchmark {id} duplicates {} with identical results",
                            holder.source.file
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Record a file that is not a checklist source.
    pub fn set_aside(&mut self, file: &str, kind: InputKind, reason: &str) {
        self.set_aside.push(SetAside {
            file: file.to_string(),
            kind,
            reason: reason.to_string(),
        });
    }

    /// The host's results, one checklist per source file, benchmarks in id order. Fails
    /// with the reader's own error for deferred XCCDF results no checklist covers.
    pub fn finish(mut self) -> Result<(HostResults, Vec<SetAside>)> {
        for (file, benchmark, error) in std::mem::take(&mut self.uncovered) {
            let Some((_, holder)) = self.by_benchmark.get(&benchmark) else {
                return Err(error);
            };
            self.set_aside.push(SetAside {
                file,
                kind: InputKind::XccdfResults,
                reason: format!(
                    "results without their benchmark (none given), covered by the checklist {} of benchmark {benchmark} from the same host",
                    holder.source.file
                ),
            });
        }
        // Regroup benchmarks under the file they came from, keeping file order stable.
        let mut by_file: BTreeMap<String, Checklist> = BTreeMap::new();
        for (_, (stig, holder)) in self.by_benchmark {
            by_file
                .entry(holder.source.file.clone())
                .or_insert(holder)
                .stigs
                .push(stig);
        }
        let checklists = by_file.into_values().collect();
        Ok((
            HostResults {
                host: self.host,
                checklists,
            },
            self.set_aside,
        ))
    }
}

/// The key that names a benchmark within a host: its STIG id, else its title.
pub fn benchmark_key(stig: &StigChecklist) -> String {
    if !stig.info.stigid.is_empty() {
        stig.info.stigid.clone()
    } else {
        stig.info.title.clone()
    }
}

/// The STIG id an XCCDF results file names: its `TestResult`'s `benchmark/@id`, else the
/// root `Benchmark/@id` (Evaluate-STIG's results-only files name it only there), without
/// DISA's `xccdf_mil.disa.stig_benchmark_` prefix. `None` when it names none or does not
/// parse (the reader reports that).
pub fn results_benchmark(bytes: &[u8], file: &str) -> Option<String> {
    let mut x = XmlReader::new(file, bytes).ok()?;
    let mut root_id = None;
    let mut in_test_result = false;
    loop {
        match x.next().ok()? {
            Ev::Start(s) | Ev::Empty(s) => match local(&s) {
                b"Benchmark" if root_id.is_none() => {
                    root_id = Some(x.attr(&s, b"id").ok()?.unwrap_or_default())
                }
                b"TestResult" => in_test_result = true,
                b"benchmark" if in_test_result => {
                    if let Some(id) = x.attr(&s, b"id").ok()?.filter(|i| !i.is_empty()) {
                        root_id = Some(id);
                        break;
                    }
                }
                _ => {}
            },
            Ev::Eof => break,
            _ => {}
        }
    }
    let id = root_id.filter(|i| !i.is_empty())?;
    Some(
        id.strip_prefix("xccdf_mil.disa.stig_benchmark_")
            .unwrap_or(&id)
            .to_owned(),
    )
}

/// The first rule whose review differs between two copies of one benchmark.
fn first_difference(a: &StigChecklist, b: &StigChecklist) -> Option<String> {
    if a.rules.len() != b.rules.len() {
        return Some(format!("{} rules vs {}", b.rules.len(), a.rules.len()));
    }
    for (x, y) in a.rules.iter().zip(&b.rules) {
        if x.rule.vuln_num != y.rule.vuln_num {
            return Some(format!("rule {} vs {}", y.rule.vuln_num, x.rule.vuln_num));
        }
        if !x.review.same_review(&y.review) {
            return Some(format!("review of {}", x.rule.vuln_num));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn stig(id: &str, status: Status) -> StigChecklist {
        StigChecklist {
            info: BenchmarkInfo {
                stigid: id.into(),
                ..Default::default()
            },
            rules: vec![RuleResult {
                rule: Rule {
                    vuln_num: "V-1".into(),
                    ..Default::default()
                },
                review: Review {
                    status,
                    finding_details: String::new(),
                    comments: String::new(),
                    severity_override: None,
                    severity_justification: String::new(),
                    keep: Default::default(),
                },
            }],
        }
    }

    fn checklist(file: &str, stigs: Vec<StigChecklist>) -> Checklist {
        Checklist {
            asset: Asset::default(),
            stigs,
            source: ScanSource {
                file: file.into(),
                ..Default::default()
            },
            cklb: Default::default(),
        }
    }

    #[test]
    fn classifies_by_extension_and_root_element() {
        assert_eq!(classify("a.CKL", b""), InputKind::Ckl);
        assert_eq!(classify("a.cklb", b"{}"), InputKind::Cklb);
        assert_eq!(
            classify("x.xml", b"<?xml version='1.0'?><!-- c --><cdf:Benchmark xmlns:cdf='x'><cdf:TestResult/></cdf:Benchmark>"),
            InputKind::XccdfResults
        );
        assert_eq!(
            classify("x.xml", b"<Benchmark><Group/></Benchmark>"),
            InputKind::XccdfBenchmark
        );
        assert_eq!(
            classify("s.xml", b"<Summary/>"),
            InputKind::EvaluateStigSummary
        );
        assert_eq!(classify("notes.txt", b"hello"), InputKind::Other);
    }

    #[test]
    fn identical_duplicates_are_kept_once_and_reported() {
        let mut imp = HostImport::new("h");
        imp.add_checklist(checklist("a.ckl", vec![stig("S1", Status::Open)]))
            .unwrap();
        imp.add_checklist(checklist("a.cklb", vec![stig("S1", Status::Open)]))
            .unwrap();
        let (res, aside) = imp.finish().unwrap();
        assert_eq!(res.checklists.len(), 1);
        assert_eq!(res.checklists[0].stigs.len(), 1);
        assert_eq!(aside.len(), 1);
        assert!(aside[0].reason.contains("a.ckl"));
    }

    #[test]
    fn conflicting_duplicates_name_both_files() {
        let mut imp = HostImport::new("h");
        imp.add_checklist(checklist("a.ckl", vec![stig("S1", Status::Open)]))
            .unwrap();
        let err = imp
            .add_checklist(checklist("b.cklb", vec![stig("S1", Status::NotAFinding)]))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("b.cklb") && msg.contains("a.ckl"), "{msg}");
    }

    #[test]
    fn a_file_of_several_benchmarks_comes_back_whole_with_its_asset_and_in_id_order() {
        let mut a = checklist(
            "h/multi.ckl",
            vec![stig("S2", Status::Open), stig("S1", Status::NotAFinding)],
        );
        a.asset.host_name = "H".into();
        let mut b = checklist("h/other.ckl", vec![stig("S3", Status::Open)]);
        b.asset.host_name = "H-other".into();
        let mut imp = HostImport::new("h");
        imp.add_checklist(a.clone()).unwrap();
        imp.add_checklist(b.clone()).unwrap();
        let (res, aside) = imp.finish().unwrap();
        assert!(aside.is_empty());
        // Grouped back under their files (file order), benchmarks in id order, each
        // file with its own asset and source: the benchmarks were moved, not lost.
        let mut expected_a = a;
        expected_a
            .stigs
            .sort_by(|x, y| x.info.stigid.cmp(&y.info.stigid));
        assert_eq!(res.checklists, vec![expected_a, b]);
    }

    fn no_benchmark(file: &str) -> Error {
        Error::new(
            file,
            ErrorKind::MissingElement {
                element: "benchmark \"S1\" for these results (benchmarks given: none)".into(),
            },
        )
    }

    #[test]
    fn results_without_benchmark_are_covered_by_a_checklist_of_the_same_benchmark() {
        let mut imp = HostImport::new("h");
        imp.defer_results("h/XCCDF/r.xml", "S1", no_benchmark("h/XCCDF/r.xml"));
        imp.add_checklist(checklist("h/a.ckl", vec![stig("S1", Status::Open)]))
            .unwrap();
        let (res, aside) = imp.finish().unwrap();
        assert_eq!(res.checklists.len(), 1);
        let covered = aside.iter().find(|a| a.file == "h/XCCDF/r.xml").unwrap();
        assert_eq!(covered.kind, InputKind::XccdfResults);
        assert!(covered.reason.contains("h/a.ckl"), "{}", covered.reason);
    }

    #[test]
    fn results_without_benchmark_or_covering_checklist_keep_their_error() {
        let mut imp = HostImport::new("h");
        imp.defer_results("h/r.xml", "S2", no_benchmark("h/r.xml"));
        imp.add_checklist(checklist("h/a.ckl", vec![stig("S1", Status::Open)]))
            .unwrap();
        let err = imp.finish().unwrap_err();
        assert_eq!(err.file, "h/r.xml");
        assert!(err.to_string().contains("benchmark"), "{err}");
    }

    #[test]
    fn results_name_their_benchmark_in_the_test_result_or_the_root() {
        let wrapped = br#"<?xml version="1.0"?><cdf:Benchmark xmlns:cdf="x" id="xccdf_mil.disa.stig_benchmark_Root_ID"><cdf:TestResult id="t"><cdf:rule-result idref="r"><cdf:result>pass</cdf:result></cdf:rule-result></cdf:TestResult></cdf:Benchmark>"#;
        assert_eq!(
            results_benchmark(wrapped, "a.xml").as_deref(),
            Some("Root_ID")
        );
        let named = br#"<Benchmark id="xccdf_mil.disa.stig_benchmark_Root"><TestResult id="t"><benchmark href="b.xml" id="xccdf_mil.disa.stig_benchmark_Named"/></TestResult></Benchmark>"#;
        assert_eq!(results_benchmark(named, "b.xml").as_deref(), Some("Named"));
        let bare = br#"<TestResult id="t"><rule-result idref="r"/></TestResult>"#;
        assert_eq!(results_benchmark(bare, "c.xml"), None);
    }
}
