//! XCCDF results reader: a scanner's `TestResult` (SCC, OpenSCAP; XCCDF 1.1 or 1.2)
//! applied onto a benchmark. Each `rule-result/result` goes through the one status
//! normaliser; the raw result value is kept at the top of the finding details because
//! several XCCDF values (error, unknown, notchecked...) collapse into Not_Reviewed.
//!
//! Nothing is guessed: results for another benchmark, a rule the benchmark does not
//! hold, a rule reported twice, or two `TestResult`s in one file are errors naming the
//! file and the rule.

use std::collections::HashMap;

use quick_xml::events::BytesStart;

use super::benchmark::{child, leaf};
use crate::error::{ErrorKind, Result};
use crate::model::{Asset, Checklist, ScanSource, StigChecklist};
use crate::status;
use crate::xml::{local, Ev, XmlReader};

const RULE_PREFIX: &str = "xccdf_mil.disa.stig_rule_";
const BENCHMARK_PREFIX: &str = "xccdf_mil.disa.stig_benchmark_";

#[derive(Default)]
struct TestResult {
    start_time: String,
    end_time: String,
    test_system: String,
    benchmark_id: String,
    target: String,
    addresses: Vec<String>,
    fqdn: String,
    mac: String,
    results: Vec<(String, String, Vec<String>)>,
}

/// Reads a results file and applies it to `benchmark`. With `None`, the benchmark is
/// read from the same document (SCC writes results inside a copy of the `Benchmark`).
pub fn read(bytes: &[u8], file: &str, benchmark: Option<&StigChecklist>) -> Result<Checklist> {
    let (x, root_is_benchmark, _, tr) = scan(bytes, file)?;
    match benchmark {
        Some(b) => apply(&x, tr, b, file),
        None => {
            if !root_is_benchmark {
                return Err(x.err(ErrorKind::WrongDocument {
                    expected: "XCCDF results with an embedded benchmark",
                    detail:
                        "the file holds a bare TestResult; pass the benchmark it was run against"
                            .into(),
                }));
            }
            let embedded = super::benchmark::read(bytes, file)?;
            apply(&x, tr, &embedded, file)
        }
    }
}

/// As [`read`], choosing the benchmark: the one embedded in the document if it holds
/// one, else the one in `benchmarks` whose id the `TestResult` names, else (no id) the
/// one holding the first reported rule. No match is an error naming the file and the
/// benchmark id, never a guess. A `Benchmark` root without any `Group` or `Rule` (a
/// results file wrapped in an empty benchmark, as Evaluate-STIG writes them) counts as
/// bare results.
pub fn read_matching(bytes: &[u8], file: &str, benchmarks: &[StigChecklist]) -> Result<Checklist> {
    let (x, root_is_benchmark, carries_rules, tr) = scan(bytes, file)?;
    if root_is_benchmark && carries_rules {
        let embedded = super::benchmark::read(bytes, file)?;
        return apply(&x, tr, &embedded, file);
    }
    let id = tr
        .benchmark_id
        .strip_prefix(BENCHMARK_PREFIX)
        .unwrap_or(&tr.benchmark_id);
    let chosen = if id.is_empty() {
        tr.results.first().and_then(|(idref, ..)| {
            let key = idref.strip_prefix(RULE_PREFIX).unwrap_or(idref);
            benchmarks
                .iter()
                .find(|b| b.rules.iter().any(|r| r.rule.rule_id == key))
        })
    } else {
        benchmarks.iter().find(|b| b.info.stigid == id)
    };
    let Some(bench) = chosen else {
        let mut known: Vec<&str> = benchmarks.iter().map(|b| b.info.stigid.as_str()).collect();
        known.sort_unstable();
        return Err(x.err(ErrorKind::MissingElement {
            element: format!(
                "benchmark {:?} for these results (benchmarks given: {})",
                if id.is_empty() { "(not named)" } else { id },
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        }));
    };
    apply(&x, tr, bench, file)
}

/// One pass over the document: whether its root is a `Benchmark`, whether it carries
/// rules (any `Group` or `Rule`), and its one `TestResult`.
fn scan<'a>(bytes: &'a [u8], file: &'a str) -> Result<(XmlReader<'a>, bool, bool, TestResult)> {
    let mut x = XmlReader::new(file, bytes)?;
    let mut found: Option<TestResult> = None;
    let mut root: Option<bool> = None;
    let mut carries_rules = false;
    loop {
        match x.next()? {
            Ev::Start(s) if local(&s) == b"TestResult" => {
                root.get_or_insert(false);
                let tr = read_test_result(&mut x, &s)?;
                if found.is_some() {
                    return Err(x.err(ErrorKind::InvalidValue {
                        field: "TestResult".into(),
                        value: tr.target,
                        reason: "the file holds more than one TestResult; split it into one file per scan".into(),
                    }));
                }
                found = Some(tr);
            }
            // Benchmark content is read by the benchmark reader; skip it here.
            Ev::Start(s) if matches!(local(&s), b"Group" | b"Profile" | b"Value") => {
                carries_rules |= local(&s) == b"Group";
                x.skip()?
            }
            Ev::Start(s) | Ev::Empty(s) => {
                carries_rules |= local(&s) == b"Rule";
                root.get_or_insert(local(&s) == b"Benchmark");
            }
            Ev::Eof => break,
            _ => {}
        }
    }
    let tr = found.ok_or_else(|| {
        x.err(ErrorKind::MissingElement {
            element: "TestResult".into(),
        })
    })?;
    Ok((x, root.unwrap_or(false), carries_rules, tr))
}

fn read_test_result(x: &mut XmlReader<'_>, start: &BytesStart<'_>) -> Result<TestResult> {
    let mut tr = TestResult {
        start_time: x.attr(start, b"start-time")?.unwrap_or_default(),
        end_time: x.attr(start, b"end-time")?.unwrap_or_default(),
        test_system: x.attr(start, b"test-system")?.unwrap_or_default(),
        ..Default::default()
    };
    while let Some((s, empty)) = child(x)? {
        match local(&s) {
            b"benchmark" => {
                tr.benchmark_id = x.attr(&s, b"id")?.unwrap_or_default();
                if !empty {
                    x.skip()?;
                }
            }
            b"target" => tr.target = leaf(x, empty)?,
            b"target-address" => tr.addresses.push(leaf(x, empty)?),
            b"target-facts" if !empty => {
                while let Some((f, fempty)) = child(x)? {
                    let name = x.attr(&f, b"name")?.unwrap_or_default();
                    let v = leaf(x, fempty)?;
                    match name.as_str() {
                        "urn:xccdf:fact:asset:identifier:fqdn" => tr.fqdn = v,
                        "urn:xccdf:fact:asset:identifier:mac" if tr.mac.is_empty() => tr.mac = v,
                        _ => {}
                    }
                }
            }
            b"rule-result" => {
                let idref = x.attr(&s, b"idref")?.unwrap_or_default();
                let (mut result, mut messages) = (None, Vec::new());
                if !empty {
                    while let Some((c, cempty)) = child(x)? {
                        match local(&c) {
                            b"result" => result = Some(leaf(x, cempty)?),
                            b"message" => messages.push(leaf(x, cempty)?),
                            _ if !cempty => x.skip()?,
                            _ => {}
                        }
                    }
                }
                let result = result.ok_or_else(|| {
                    x.err(ErrorKind::MissingElement {
                        element: format!("result in rule-result {idref}"),
                    })
                })?;
                tr.results.push((idref, result, messages));
            }
            _ if !empty => x.skip()?,
            _ => {}
        }
    }
    Ok(tr)
}

fn apply(
    x: &XmlReader<'_>,
    tr: TestResult,
    bench: &StigChecklist,
    file: &str,
) -> Result<Checklist> {
    let bench_id = tr
        .benchmark_id
        .strip_prefix(BENCHMARK_PREFIX)
        .unwrap_or(&tr.benchmark_id);
    if !bench_id.is_empty() && bench_id != bench.info.stigid {
        return Err(x.err(ErrorKind::InvalidValue {
            field: "TestResult/benchmark/@id".into(),
            value: tr.benchmark_id.clone(),
            reason: format!(
                "these results are for another benchmark than {}",
                bench.info.stigid
            ),
        }));
    }
    let mut stig = bench.clone();
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(bench.rules.len() * 2);
    for (i, r) in bench.rules.iter().enumerate() {
        index.insert(r.rule.rule_id.as_str(), i);
        index.entry(r.rule.vuln_num.as_str()).or_insert(i);
    }
    let mut seen = vec![false; bench.rules.len()];
    for (idref, result, messages) in &tr.results {
        let key = idref.strip_prefix(RULE_PREFIX).unwrap_or(idref);
        let i = *index.get(key).ok_or_else(|| {
            x.err(ErrorKind::InvalidValue {
                field: "rule-result/@idref".into(),
                value: idref.clone(),
                reason: format!(
                    "no such rule in benchmark {} {} (results from another release?)",
                    bench.info.stigid, bench.info.releaseinfo
                ),
            })
        })?;
        if seen[i] {
            return Err(x.err(ErrorKind::InvalidValue {
                field: "rule-result/@idref".into(),
                value: idref.clone(),
                reason: "the rule is reported more than once".into(),
            }));
        }
        seen[i] = true;
        let review = &mut stig.rules[i].review;
        review.status = status::from_xccdf(result, file)?;
        let mut details = format!("XCCDF rule-result: {}", result.trim());
        for m in messages {
            details.push('\n');
            details.push_str(m);
        }
        review.finding_details = details;
    }
    let asset = Asset {
        role: "None".into(),
        asset_type: "Computing".into(),
        host_name: tr.target,
        host_ip: tr.addresses.into_iter().next().unwrap_or_default(),
        host_mac: tr.mac,
        host_fqdn: tr.fqdn,
        target_key: bench.info.reference_identifier.clone(),
        ..Default::default()
    };
    Ok(Checklist {
        asset,
        stigs: vec![stig],
        source: ScanSource {
            file: file.to_owned(),
            tool: tr.test_system,
            scanned_at: if tr.end_time.is_empty() {
                tr.start_time
            } else {
                tr.end_time
            },
        },
        cklb: Default::default(),
    })
}
