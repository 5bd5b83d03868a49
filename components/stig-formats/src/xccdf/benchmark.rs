//! DISA XCCDF 1.1 benchmark reader: one `Group`/`Rule` per check, producing the empty
//! checklist (every rule Not_Reviewed) that results are later applied to, with the
//! benchmark header mapped onto STIG Viewer's `STIG_INFO` fields.

use quick_xml::events::BytesStart;

use super::description;
use crate::error::{ErrorKind, Result};
use crate::ids::derived_uuid;
use crate::model::{BenchmarkInfo, GroupTreeNode, Review, Rule, RuleResult, Status, StigChecklist};
use crate::status;
use crate::xml::{local, Ev, XmlReader};

/// Reads a benchmark. `file` names the input in errors; its last path component becomes
/// `BenchmarkInfo.filename` (as STIG Viewer records the XCCDF file name).
pub fn read(bytes: &[u8], file: &str) -> Result<StigChecklist> {
    let mut x = XmlReader::new(file, bytes)?;
    loop {
        match x.next()? {
            Ev::Start(s) if local(&s) == b"Benchmark" => {
                let id = x.attr(&s, b"id")?.unwrap_or_default();
                let id = strip(id, "xccdf_mil.disa.stig_benchmark_");
                return read_benchmark(&mut x, bytes, file, id);
            }
            Ev::Comment(_) => {}
            Ev::Start(s) | Ev::Empty(s) => {
                return Err(x.err(ErrorKind::WrongDocument {
                    expected: "XCCDF benchmark",
                    detail: format!(
                        "the root element is <{}>, not <Benchmark>",
                        String::from_utf8_lossy(local(&s))
                    ),
                }))
            }
            Ev::End | Ev::Eof => {
                return Err(x.err(ErrorKind::MissingElement {
                    element: "Benchmark".into(),
                }))
            }
        }
    }
}

/// XCCDF 1.2 copies of DISA benchmarks (SCC output) prefix every id
/// (`xccdf_mil.disa.stig_rule_SV-..._rule`); the STIG ids are what CKLs and assessors use.
fn strip(id: String, prefix: &str) -> String {
    match id.strip_prefix(prefix) {
        Some(rest) => rest.to_owned(),
        None => id,
    }
}

/// The next child element of the current one, `None` at its end tag.
pub(crate) fn child<'a>(x: &mut XmlReader<'a>) -> Result<Option<(BytesStart<'a>, bool)>> {
    loop {
        match x.next()? {
            Ev::Start(s) => return Ok(Some((s, false))),
            Ev::Empty(s) => return Ok(Some((s, true))),
            Ev::End => return Ok(None),
            Ev::Comment(_) => {}
            Ev::Eof => {
                return Err(x.err(ErrorKind::Truncated {
                    detail: "the input ends inside an element".into(),
                }))
            }
        }
    }
}

pub(crate) fn leaf(x: &mut XmlReader<'_>, empty: bool) -> Result<String> {
    if empty {
        Ok(String::new())
    } else {
        x.text()
    }
}

fn read_benchmark(
    x: &mut XmlReader<'_>,
    bytes: &[u8],
    file: &str,
    id: String,
) -> Result<StigChecklist> {
    let mut info = BenchmarkInfo {
        stigid: id,
        filename: file.rsplit(['/', '\\']).next().unwrap_or(file).to_owned(),
        ..Default::default()
    };
    // DISA marks unclassified benchmarks only through their stylesheet; STIG Viewer
    // records them as UNCLASSIFIED / class "Unclass".
    let head = &bytes[..bytes.len().min(1024)];
    let unclass = head.windows(16).any(|w| w == b"STIG_unclass.xsl");
    if unclass {
        info.classification = "UNCLASSIFIED".into();
    }
    let mut rules = Vec::new();
    let mut saw_version = false;
    while let Some((s, empty)) = child(x)? {
        match local(&s) {
            b"title" => info.title = leaf(x, empty)?,
            b"description" => info.description = leaf(x, empty)?,
            b"version" => {
                saw_version = true;
                info.version = leaf(x, empty)?
            }
            b"notice" => {
                info.notice = x.attr(&s, b"id")?.unwrap_or_default();
                if !empty {
                    x.skip()?;
                }
            }
            b"plain-text" => {
                let pid = x.attr(&s, b"id")?;
                let v = leaf(x, empty)?;
                if pid.as_deref() == Some("release-info") {
                    info.releaseinfo = v;
                }
            }
            b"reference" if !empty => {
                let r = read_reference(x)?;
                if info.source.is_empty() {
                    info.source = r.source;
                }
            }
            b"Group" if !empty => {
                let mut nesting = Nesting::new(bytes.len());
                read_group(x, file, &s, unclass, &mut rules, &mut nesting)?
            }
            _ if !empty => x.skip()?,
            _ => {}
        }
    }
    if info.title.is_empty() {
        return Err(x.err(ErrorKind::MissingElement {
            element: "Benchmark/title".into(),
        }));
    }
    if !saw_version {
        return Err(x.err(ErrorKind::MissingElement {
            element: "Benchmark/version".into(),
        }));
    }
    if rules.is_empty() {
        return Err(x.err(ErrorKind::MissingElement {
            element: "Benchmark/Group/Rule (the benchmark holds no rules)".into(),
        }));
    }
    // The benchmark-level DPMS target id is the one the rules carry.
    info.reference_identifier = rules
        .first()
        .map(|r: &RuleResult| r.rule.reference_identifier.clone())
        .unwrap_or_default();
    let mut stig = StigChecklist { info, rules };
    stamp(&mut stig);
    Ok(stig)
}

/// Derives from STIG_INFO what XCCDF does not carry: a stable id for this benchmark
/// release (STIG Viewer would use a random one) and each rule's STIGRef. Rerun whenever
/// STIG_INFO is restated.
pub(crate) fn stamp(stig: &mut StigChecklist) {
    let info = &mut stig.info;
    info.uuid = derived_uuid(&["benchmark", &info.stigid, &info.version, &info.releaseinfo]);
    let reference = crate::ckl::stig_ref(info);
    for r in &mut stig.rules {
        r.rule.stig_ref.clone_from(&reference);
        r.rule.stig_uuid.clone_from(&info.uuid);
    }
}

#[derive(Default)]
struct Reference {
    source: String,
    identifier: String,
}

fn read_reference(x: &mut XmlReader<'_>) -> Result<Reference> {
    let mut r = Reference::default();
    while let Some((s, empty)) = child(x)? {
        let v = leaf(x, empty)?;
        match local(&s) {
            b"source" => r.source = v,
            b"identifier" => r.identifier = v,
            _ => {}
        }
    }
    Ok(r)
}

/// Deepest `Group` nesting accepted. DISA benchmarks nest one Group per rule; SCAP
/// content a few. The limit keeps the recursion of [`read_group`] shallow on hostile input.
pub const MAX_GROUP_DEPTH: usize = 32;

/// The chain of groups above the rule being read, and what copying it into every rule's
/// `group_tree` has cost so far. Each rule owns its chain (the model is plain data), so a
/// hostile file with deep groups and many rules could make that copying quadratic: the
/// total is capped at a multiple of the input's size instead.
struct Nesting {
    parents: Vec<GroupTreeNode>,
    /// Bytes of text in `parents`.
    chain_bytes: usize,
    /// Bytes of group text copied into rules so far, and the cap.
    copied: usize,
    budget: usize,
}

impl Nesting {
    fn new(input_len: usize) -> Self {
        Self {
            parents: Vec::new(),
            chain_bytes: 0,
            copied: 0,
            budget: input_len.saturating_mul(2).max(16 << 20),
        }
    }

    fn node_bytes(n: &GroupTreeNode) -> usize {
        n.id.len() + n.title.len() + n.description.len()
    }
}

fn read_group(
    x: &mut XmlReader<'_>,
    file: &str,
    start: &BytesStart<'_>,
    unclass: bool,
    rules: &mut Vec<RuleResult>,
    nesting: &mut Nesting,
) -> Result<()> {
    if nesting.parents.len() >= MAX_GROUP_DEPTH {
        return Err(x.err(ErrorKind::InvalidValue {
            field: "Group nesting".into(),
            value: format!("deeper than {MAX_GROUP_DEPTH}"),
            reason: format!(
                "Groups nest more than {MAX_GROUP_DEPTH} deep (the limit); DISA benchmarks nest one"
            ),
        }));
    }
    let mut node = GroupTreeNode {
        id: strip(
            x.attr(start, b"id")?.unwrap_or_default(),
            "xccdf_mil.disa.stig_group_",
        ),
        ..Default::default()
    };
    let mut pushed = false;
    while let Some((s, empty)) = child(x)? {
        match local(&s) {
            b"title" => node.title = leaf(x, empty)?,
            b"description" => node.description = leaf(x, empty)?,
            b"Rule" | b"Group" if !empty => {
                if !pushed {
                    nesting.chain_bytes += Nesting::node_bytes(&node);
                    nesting.parents.push(node.clone());
                    pushed = true;
                }
                if local(&s) == b"Group" {
                    read_group(x, file, &s, unclass, rules, nesting)?;
                } else {
                    nesting.copied = nesting.copied.saturating_add(nesting.chain_bytes);
                    if nesting.copied > nesting.budget {
                        return Err(x.err(ErrorKind::TooLarge {
                            size: nesting.copied as u64,
                            limit: nesting.budget as u64,
                        }));
                    }
                    rules.push(read_rule(x, file, &s, unclass, &nesting.parents)?);
                }
            }
            _ if !empty => x.skip()?,
            _ => {}
        }
    }
    if pushed {
        if let Some(n) = nesting.parents.pop() {
            nesting.chain_bytes -= Nesting::node_bytes(&n);
        }
    }
    Ok(())
}

fn read_rule(
    x: &mut XmlReader<'_>,
    file: &str,
    start: &BytesStart<'_>,
    unclass: bool,
    parents: &[GroupTreeNode],
) -> Result<RuleResult> {
    let group = parents.last().cloned().unwrap_or_default();
    let mut rule = Rule {
        vuln_num: group.id.clone(),
        group_title: group.title.clone(),
        rule_id: strip(
            x.attr(start, b"id")?.unwrap_or_default(),
            "xccdf_mil.disa.stig_rule_",
        ),
        weight: x.attr(start, b"weight")?.unwrap_or_default(),
        group_tree: parents.to_vec(),
        ..Default::default()
    };
    if unclass {
        rule.class = "Unclass".into();
    }
    let sev = x.attr(start, b"severity")?.unwrap_or_default();
    rule.severity =
        status::severity_from_str(&sev, file, &format!("severity of Rule {}", rule.rule_id))?;
    while let Some((s, empty)) = child(x)? {
        match local(&s) {
            b"version" => rule.rule_ver = leaf(x, empty)?,
            b"title" => rule.rule_title = leaf(x, empty)?,
            b"description" => {
                let blob = leaf(x, empty)?;
                description::apply(&mut rule, &blob);
            }
            b"reference" if !empty => {
                let r = read_reference(x)?;
                rule.reference_identifier.clone_from(&r.identifier);
                rule.target_key = r.identifier;
            }
            b"ident" => {
                let system = x.attr(&s, b"system")?.unwrap_or_default();
                let v = leaf(x, empty)?;
                if system.ends_with("/cci") || v.starts_with("CCI-") {
                    rule.ccis.push(v);
                } else {
                    rule.legacy_ids.push(v);
                }
            }
            b"fixtext" => rule.fix_text = leaf(x, empty)?,
            b"check" if !empty => {
                while let Some((c, cempty)) = child(x)? {
                    match local(&c) {
                        b"check-content-ref" => {
                            if rule.check_content_ref.is_empty() {
                                rule.check_content_ref = x.attr(&c, b"name")?.unwrap_or_default();
                                rule.check_content_href = x.attr(&c, b"href")?.unwrap_or_default();
                            }
                            if !cempty {
                                x.skip()?;
                            }
                        }
                        b"check-content" => {
                            let v = leaf(x, cempty)?;
                            if rule.check_content.is_empty() {
                                rule.check_content = v;
                            }
                        }
                        _ if !cempty => x.skip()?,
                        _ => {}
                    }
                }
            }
            _ if !empty => x.skip()?,
            _ => {}
        }
    }
    if rule.rule_id.is_empty() {
        return Err(x.err(ErrorKind::MissingElement {
            element: format!("Rule/@id in Group {}", rule.vuln_num),
        }));
    }
    Ok(RuleResult {
        rule,
        review: Review {
            status: Status::NotReviewed,
            finding_details: String::new(),
            comments: String::new(),
            severity_override: None,
            severity_justification: String::new(),
            keep: Default::default(),
        },
    })
}
