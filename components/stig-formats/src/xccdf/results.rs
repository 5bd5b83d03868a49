//! XCCDF results reader: a scanner's `TestResult` (SCC, OpenSCAP; XCCDF 1.1 or 1.2)
//! applied onto a benchmark. Each `rule-result/result` goes through the one status
//! normaliser; the raw result value is kept at the top of the finding details because
//! several XCCDF values (error, unknown, notchecked...) collapse into Not_Reviewed.
//!
//! Nothing is guessed: results for another benchmark, a rule the benchmark does not
//! hold, a rule reported twice, or two `TestResult`s in one file are errors naming the
//! file and the rule.
//!
//! STIG_INFO names the STIG, not the SCAP content: SCC content is restated as SCC's own
//! checklists state it, and a DISA manual benchmark of the same id and benchmark date
//! gives the real version, release and the rule texts the content leaves empty
//! (see [`super::release`]).

use std::collections::HashMap;

use quick_xml::events::BytesStart;

use super::benchmark::{child, leaf};
use super::release::{self, Header, NotUsed};
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
    let (x, root_is_benchmark, _, tr, header) = scan(bytes, file)?;
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
            let mut c = apply(&x, tr, &embedded, file)?;
            restate(&mut c, &header, &[], &mut Vec::new());
            Ok(c)
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
    read_matching_noted(bytes, file, benchmarks).map(|(c, _)| c)
}

/// As [`read_matching`], also returning the given benchmarks of the results' id that
/// were not used because they are another release (another benchmark date), with why.
///
/// Content embedded in the results (SCC) is restated: STIG_INFO as SCC's checklists
/// state it, then, from a given manual benchmark of the same id and date, the STIG's
/// version, release and every rule text the content left empty. Bare results take the
/// given benchmark of their id and, when they state one, their benchmark date.
pub fn read_matching_noted(
    bytes: &[u8],
    file: &str,
    benchmarks: &[StigChecklist],
) -> Result<(Checklist, Vec<NotUsed>)> {
    let (x, root_is_benchmark, carries_rules, tr, header) = scan(bytes, file)?;
    let mut not_used = Vec::new();
    if root_is_benchmark && carries_rules {
        let embedded = super::benchmark::read(bytes, file)?;
        let mut c = apply(&x, tr, &embedded, file)?;
        restate(&mut c, &header, benchmarks, &mut not_used);
        return Ok((c, not_used));
    }
    // Evaluate-STIG names the benchmark only on the root `Benchmark`.
    let named = if tr.benchmark_id.is_empty() {
        &header.id
    } else {
        &tr.benchmark_id
    };
    let id = named.strip_prefix(BENCHMARK_PREFIX).unwrap_or(named);
    let chosen = if id.is_empty() {
        tr.results.first().and_then(|(idref, ..)| {
            let key = idref.strip_prefix(RULE_PREFIX).unwrap_or(idref);
            benchmarks
                .iter()
                .find(|b| b.rules.iter().any(|r| r.rule.rule_id == key))
        })
    } else {
        let stated = release::parse(&header.release_info).filter(|r| !r.date.is_empty());
        let mut same_id = benchmarks.iter().filter(|b| b.info.stigid == id);
        match &stated {
            None => same_id.next(),
            Some(d) => same_id
                .find(|b| release::parse(&b.info.releaseinfo).is_some_and(|r| r.same_date(d))),
        }
    };
    let Some(bench) = chosen else {
        if let Some(d) = release::parse(&header.release_info) {
            let other: Vec<&str> = benchmarks
                .iter()
                .filter(|b| b.info.stigid == id)
                .map(|b| b.info.releaseinfo.as_str())
                .collect();
            if !other.is_empty() {
                return Err(x.err(ErrorKind::MissingElement {
                    element: format!(
                        "benchmark {id:?} of benchmark date {} for these results (given: {}, another release)",
                        d.date,
                        other.join("; ")
                    ),
                }));
            }
        }
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
    apply(&x, tr, bench, file).map(|c| (c, not_used))
}

/// The benchmark release a results file states for itself (Evaluate-STIG's root
/// release-info), when it states a benchmark date: what a benchmark of its id must match.
pub fn stated_release(bytes: &[u8], file: &str) -> Option<release::ReleaseInfo> {
    let (.., header) = scan(bytes, file).ok()?;
    release::parse(&header.release_info).filter(|r| !r.date.is_empty())
}

/// Restates the STIG_INFO of content read from the results document itself (see
/// [`release`]) and re-derives what STIG_INFO feeds: the benchmark uuid and each
/// rule's STIGRef.
fn restate(
    c: &mut Checklist,
    header: &Header,
    manuals: &[StigChecklist],
    not_used: &mut Vec<NotUsed>,
) {
    let Some(stig) = c.stigs.first_mut() else {
        return;
    };
    let content_id = stig.info.stigid.clone();
    let content_release = release::parse(&stig.info.releaseinfo);
    release::scc_info(&mut stig.info, header);
    let stated_id = stig.info.stigid.clone();
    let dates: Vec<release::ReleaseInfo> = release::parse(&stig.info.releaseinfo)
        .into_iter()
        .chain(content_release)
        .filter(|r| !r.date.is_empty())
        .collect();
    release::enrich(stig, &[&content_id, &stated_id], &dates, manuals, not_used);
    super::benchmark::stamp(stig);
}

/// One pass over the document: whether its root is a `Benchmark`, whether it carries
/// rules (any `Group` or `Rule`), its one `TestResult`, and the benchmark header
/// (version, release-info, rear-matter; they precede all content in XCCDF).
type Scanned<'a> = (XmlReader<'a>, bool, bool, TestResult, Header);

fn scan<'a>(bytes: &'a [u8], file: &'a str) -> Result<Scanned<'a>> {
    let mut x = XmlReader::new(file, bytes)?;
    let mut found: Option<TestResult> = None;
    let mut root: Option<bool> = None;
    let mut carries_rules = false;
    let mut header = Header::default();
    let mut in_content = false;
    loop {
        match x.next()? {
            Ev::Start(s)
                if root == Some(true)
                    && !in_content
                    && matches!(local(&s), b"version" | b"plain-text" | b"rear-matter") =>
            {
                let is_release = x.attr(&s, b"id")?.as_deref() == Some("release-info");
                let text = x.text()?;
                match local(&s) {
                    b"version" => header.version = text,
                    b"rear-matter" => header.rear_matter = text,
                    _ if is_release => header.release_info = text,
                    _ => {}
                }
            }
            Ev::Start(s) if local(&s) == b"TestResult" => {
                root.get_or_insert(false);
                in_content = true;
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
                in_content = true;
                carries_rules |= local(&s) == b"Group";
                x.skip()?
            }
            Ev::Start(s) | Ev::Empty(s) => {
                if root.is_none() && local(&s) == b"Benchmark" {
                    header.id = x.attr(&s, b"id")?.unwrap_or_default();
                }
                carries_rules |= local(&s) == b"Rule";
                in_content |= matches!(local(&s), b"Rule" | b"Group" | b"Profile" | b"Value");
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
    Ok((x, root.unwrap_or(false), carries_rules, tr, header))
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
                    // SCC writes `urn:xccdf:fact:...`, Evaluate-STIG `fact:...` and
                    // `macaddress`.
                    match name.strip_prefix("urn:xccdf:").unwrap_or(&name) {
                        "fact:asset:identifier:fqdn" => tr.fqdn = v,
                        "fact:asset:identifier:mac" | "fact:asset:identifier:macaddress"
                            if tr.mac.is_empty() =>
                        {
                            tr.mac = v
                        }
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
