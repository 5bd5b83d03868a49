//! The per-host, per-control view every package artifact is computed from.
//!
//! A host can report the same control from several sources (a CKL and an XCCDF result, two
//! scanners, a re-scan). The package needs one answer per control per host, decided by one
//! documented precedence rule shared by the POA&M, the indexes, the attestations and the
//! readiness flags, so that they can never disagree with each other:
//!
//! > `Open` (any source failed) beats `Not_Reviewed` (any source could not decide) beats
//! > `Not_Applicable` beats `NotAFinding`.
//!
//! (STIGForge's words for the same rule: any fail/error -> Fail, else any not-reviewed ->
//! Open, else any NA -> NA, else Pass. Errors are already `Not_Reviewed` after the one
//! status normaliser.) The view keeps only what the artifacts need, one host at a time, so
//! a 1,000-host fleet never has to be held as full checklists in memory.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bytes::{Text, Texts};
use crate::model::{HostResults, Rule, ScanSource, Severity, Status};
use crate::sym::{Interner, Sym};

/// Why a fleet cannot be viewed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error("host {0:?} appears twice in the results")]
    DuplicateHost(String),
    #[error("host names {0:?} and {1:?} differ only in letter case; they would collide on case-insensitive file systems (rename one directory)")]
    CaseCollision(String, String),
    #[error("{file}: a rule of benchmark {benchmark:?} on host {host:?} has neither a Vuln_Num nor a Rule_ID")]
    RuleWithoutId {
        host: String,
        file: String,
        benchmark: String,
    },
}

/// Precedence rank: higher wins.
pub fn precedence(status: Status) -> u8 {
    match status {
        Status::Open => 3,
        Status::NotReviewed => 2,
        Status::NotApplicable => 1,
        Status::NotAFinding => 0,
    }
}

/// CKL spelling of a status: the one spelling table lives in [`crate::status`].
pub fn ckl_status(status: Status) -> &'static str {
    crate::status::to_ckl(status)
}

/// The id a control is known by in the package: the Vuln ID (`V-xxxxx`), or the Rule ID
/// when a source has no Vuln ID.
pub fn control_id(rule: &Rule) -> &str {
    if rule.vuln_num.is_empty() {
        &rule.rule_id
    } else {
        &rule.vuln_num
    }
}

/// `high|medium|low` as CAT I/II/III.
pub fn cat(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "I",
        Severity::Medium => "II",
        Severity::Low => "III",
    }
}

pub fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// What the benchmark says about a control, kept once for the whole fleet (and once per
/// revision in [`FleetView::revisions`]). Ordered field by field, so that a choice among
/// revisions never depends on the order hosts were read in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RuleMeta {
    pub vuln_id: String,
    pub rule_id: String,
    pub rule_ver: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub benchmark_id: String,
    pub benchmark_title: String,
    pub benchmark_release: String,
    pub benchmark_version: String,
    pub ccis: Vec<String>,
    pub ia_controls: String,
    pub mitigations: String,
    pub potential_impact: String,
    pub fix_text: String,
}

/// Field by field in declaration order, as a derived order would be, but comparing texts
/// with [`crate::bytes`]: merging batch views compares each control's revisions whole
/// (their fix texts run to kilobytes), and `str`'s comparison is a byte-at-a-time
/// `memcmp` in the sandbox.
impl Ord for RuleMeta {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        let text = |a: &String, b: &String| Text(a).cmp(&Text(b));
        text(&self.vuln_id, &o.vuln_id)
            .then_with(|| text(&self.rule_id, &o.rule_id))
            .then_with(|| text(&self.rule_ver, &o.rule_ver))
            .then_with(|| text(&self.title, &o.title))
            .then_with(|| self.severity.cmp(&o.severity))
            .then_with(|| text(&self.benchmark_id, &o.benchmark_id))
            .then_with(|| text(&self.benchmark_title, &o.benchmark_title))
            .then_with(|| text(&self.benchmark_release, &o.benchmark_release))
            .then_with(|| text(&self.benchmark_version, &o.benchmark_version))
            .then_with(|| Texts(&self.ccis).cmp(&Texts(&o.ccis)))
            .then_with(|| text(&self.ia_controls, &o.ia_controls))
            .then_with(|| text(&self.mitigations, &o.mitigations))
            .then_with(|| text(&self.potential_impact, &o.potential_impact))
            .then_with(|| text(&self.fix_text, &o.fix_text))
    }
}

impl PartialOrd for RuleMeta {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RuleMeta {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for RuleMeta {}

/// One source's answer for a control on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHit {
    /// Index into [`HostView::sources`].
    pub source: usize,
    pub status: Status,
}

/// The sources behind one control on one host. Almost every control has one, kept inline:
/// a vector was a heap allocation per (host, control), 3.2 million of them in a
/// 4,000-host view (32 bytes each natively, with the allocator's header). Serialized as
/// a sequence, so views are byte for byte what a `Vec` wrote.
pub type Hits = smallvec::SmallVec<[SourceHit; 1]>;

/// One control on one host after the precedence rule. Its ids are interned by
/// [`FleetBuilder`] (one allocation per distinct text in the whole fleet) and its texts
/// are [`Sym`]s, so the artifacts built from it share them instead of copying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    pub control_id: Sym,
    pub rule_id: Sym,
    pub benchmark_id: Sym,
    /// The benchmark release of the deciding source: with `rule_id` and `benchmark_id`
    /// it names this host's revision of the rule ([`FleetView::revision`]).
    pub benchmark_release: Sym,
    pub status: Status,
    /// The benchmark's severity for this rule on this host.
    pub raw_severity: Option<Severity>,
    /// SEVERITY_OVERRIDE of the deciding source, with its justification.
    pub severity_override: Option<Severity>,
    pub severity_justification: Sym,
    /// Finding details and comments of the deciding source (the first source, in file
    /// order, whose status equals the decided status). Kept only where an artifact uses
    /// them (Open and Not_Applicable); empty otherwise.
    pub finding_details: Sym,
    pub comments: Sym,
    pub sources: Hits,
}

impl ControlResult {
    /// Severity after SEVERITY_OVERRIDE.
    pub fn effective_severity(&self) -> Option<Severity> {
        self.severity_override.or(self.raw_severity)
    }
}

/// The fleet's rules looked up by ascending control ids. The indexes look up the rule
/// of every (host, control) of the fleet, and a search of the map is ten string
/// comparisons (the ids share their first bytes) per lookup; walking the map beside the
/// host's controls, which are in the same order, is one. A lookup behind the last one,
/// or far ahead of it, searches afresh, so the answers are [`FleetView::rule`]'s in any
/// order and never much slower.
#[derive(Debug, Clone)]
pub struct RulesInOrder<'a> {
    rules: &'a BTreeMap<String, RuleMeta>,
    /// The first entry not known to be before the last lookup's id, then the rest.
    ahead: Option<(&'a String, &'a RuleMeta)>,
    next: std::collections::btree_map::Range<'a, String, RuleMeta>,
    /// The last lookup's id: every entry before `ahead` is smaller.
    last: Option<&'a str>,
}

impl<'a> RulesInOrder<'a> {
    /// How far a lookup steps before it searches instead.
    const STEPS: usize = 8;

    pub fn get(&mut self, control_id: &'a str) -> Option<&'a RuleMeta> {
        use crate::bytes::order;
        use std::cmp::Ordering::Less;
        if self.last.is_some_and(|l| order(l, control_id) != Less) {
            self.seek(control_id);
        } else {
            let mut steps = 0;
            while self
                .ahead
                .is_some_and(|(k, _)| order(k, control_id) == Less)
            {
                if steps == Self::STEPS {
                    self.seek(control_id);
                    break;
                }
                self.ahead = self.next.next();
                steps += 1;
            }
        }
        self.last = Some(control_id);
        self.ahead
            .filter(|(k, _)| crate::bytes::same_text(k, control_id))
            .map(|(_, m)| m)
    }

    /// Restarts the walk at the first entry not before `control_id`.
    fn seek(&mut self, control_id: &str) {
        use std::ops::Bound::{Included, Unbounded};
        self.next = self
            .rules
            .range::<str, _>((Included(control_id), Unbounded));
        self.ahead = self.next.next();
    }
}

/// One host: its controls sorted by id, and the scan files they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostView {
    pub name: String,
    pub sources: Vec<ScanSource>,
    pub controls: Vec<ControlResult>,
}

impl HostView {
    pub fn control(&self, id: &str) -> Option<&ControlResult> {
        self.control_index(id).map(|i| &self.controls[i])
    }

    /// Where the control `id` is in [`Self::controls`] (which are sorted by id): for
    /// callers that keep positions instead of references (readiness pairs hosts and
    /// controls as integers).
    pub fn control_index(&self, id: &str) -> Option<usize> {
        self.controls
            .binary_search_by(|c| crate::bytes::order(&c.control_id, id))
            .ok()
    }

    /// The latest scan time among a control's sources (as the files state it).
    pub fn last_verified(&self, control: &ControlResult) -> &str {
        control
            .sources
            .iter()
            .map(|h| self.sources[h.source].scanned_at.as_str())
            .max()
            .unwrap_or("")
    }
}

/// The whole fleet, hosts sorted by name (byte order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetView {
    pub hosts: Vec<HostView>,
    /// One revision per control (the greatest, see `revision_key`): for artifacts that
    /// show a control once for the whole fleet.
    pub rules: BTreeMap<String, RuleMeta>,
    /// Every revision of every control seen, sorted, one per (rule id, benchmark,
    /// release): for artifacts that must say what is true of a given host (the POA&M).
    pub revisions: BTreeMap<String, Vec<RuleMeta>>,
}

impl FleetView {
    pub fn rule(&self, control_id: &str) -> Option<&RuleMeta> {
        self.rules.get(control_id)
    }

    /// [`Self::rule`] for a walk over a host's controls in id order (see [`RulesInOrder`]).
    pub fn rules_in_order(&self) -> RulesInOrder<'_> {
        let mut next = self.rules.range::<str, _>(..);
        RulesInOrder {
            rules: &self.rules,
            ahead: next.next(),
            next,
            last: None,
        }
    }

    /// The revision of a control a host's result came from; falls back to
    /// [`Self::rule`] for a view that carries no revisions.
    pub fn revision(&self, c: &ControlResult) -> Option<&RuleMeta> {
        self.revisions
            .get(c.control_id.as_str())
            .and_then(|revs| {
                revs.iter().find(|m| {
                    use crate::bytes::same_text;
                    same_text(&m.rule_id, &c.rule_id)
                        && same_text(&m.benchmark_id, &c.benchmark_id)
                        && same_text(&m.benchmark_release, &c.benchmark_release)
                })
            })
            .or_else(|| self.rule(&c.control_id))
    }

    pub fn host(&self, name: &str) -> Option<&HostView> {
        self.hosts
            .binary_search_by(|h| h.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.hosts[i])
    }

    /// Total number of (host, control) pairs.
    pub fn control_count(&self) -> usize {
        self.hosts.iter().map(|h| h.controls.len()).sum()
    }
}

/// The order in which revisions of one rule are preferred (greatest wins): the four
/// texts in turn, each in [`Text`]'s order (every rule of every host is compared so).
fn revision_key(m: &RuleMeta) -> [Text<'_>; 4] {
    [
        Text(&m.rule_id),
        Text(&m.benchmark_id),
        Text(&m.benchmark_release),
        Text(&m.title),
    ]
}

/// The builder's rule tables, keyed by control id: looked up for every rule of every
/// host (a search of a sorted map was ten `memcmp` calls each), sorted once by
/// [`FleetBuilder::finish`].
type RuleTable<V> = crate::sym::FixedMap<String, V>;

/// Builds a [`FleetView`] one host at a time; the result does not depend on the order in
/// which hosts or their checklists are added.
#[derive(Debug, Default)]
pub struct FleetBuilder {
    hosts: BTreeMap<String, HostView>,
    folded: BTreeMap<String, String>,
    rules: RuleTable<RuleMeta>,
    revisions: RuleTable<Vec<RuleMeta>>,
    /// The ids every host repeats (control, rule, benchmark, release), held once.
    interner: Interner,
    /// Leave out the texts (finding details, comments, severity justification): see
    /// [`FleetBuilder::for_checking`].
    without_texts: bool,
}

/// Adds a revision to a control's sorted list; of two entries for the same (rule id,
/// benchmark, release) the greater is kept, so the result is order-independent.
fn note_revision(revs: &mut Vec<RuleMeta>, meta: RuleMeta) {
    let same = |m: &RuleMeta| {
        (&m.rule_id, &m.benchmark_id, &m.benchmark_release)
            == (&meta.rule_id, &meta.benchmark_id, &meta.benchmark_release)
    };
    match revs.iter().position(same) {
        Some(i) if revs[i] >= meta => {}
        Some(i) => revs[i] = meta,
        None => revs.push(meta),
    }
    revs.sort();
}

/// Whether `m` is exactly what [`FleetBuilder::note_rule`] would record for this rule.
fn same_meta(m: &RuleMeta, rule: &Rule, stig: &crate::model::StigChecklist) -> bool {
    use crate::bytes::{same_text, same_texts};
    // Short ids first, so a different revision is told apart before the long texts.
    same_text(&m.rule_id, &rule.rule_id)
        && same_text(&m.benchmark_id, &stig.info.stigid)
        && same_text(&m.benchmark_release, &stig.info.releaseinfo)
        && same_text(&m.vuln_id, &rule.vuln_num)
        && same_text(&m.rule_ver, &rule.rule_ver)
        && m.severity == rule.severity
        && same_text(&m.title, &rule.rule_title)
        && same_text(&m.benchmark_title, &stig.info.title)
        && same_text(&m.benchmark_version, &stig.info.version)
        && same_texts(&m.ccis, &rule.ccis)
        && same_text(&m.ia_controls, &rule.ia_controls)
        && same_text(&m.mitigations, &rule.mitigations)
        && same_text(&m.potential_impact, &rule.potential_impact)
        && same_text(&m.fix_text, &rule.fix_text)
}

impl FleetBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder for a view that is checked, not written out: `validate` compares
    /// statuses and ids, never the texts, which are a tenth of a 4,000-host view.
    pub fn for_checking() -> Self {
        FleetBuilder {
            without_texts: true,
            ..Self::default()
        }
    }

    /// Folds one host's results into the view. Rejects a second host of the same name or
    /// of a name that differs only in letter case.
    pub fn add_host(&mut self, host: &HostResults) -> Result<(), ViewError> {
        let folded = self.admit(&host.host)?;

        // Sources in file order so "first deciding source" is independent of input order.
        let mut order: Vec<usize> = (0..host.checklists.len()).collect();
        order.sort_by(|&a, &b| {
            host.checklists[a]
                .source
                .file
                .cmp(&host.checklists[b].source.file)
        });
        let mut sources: Vec<ScanSource> = Vec::new();
        // Keyed by the id the host's rule holds: the map lives only while the host is
        // folded in, so it borrows instead of copying 800 ids a host.
        let mut controls: BTreeMap<Text, ControlResult> = BTreeMap::new();
        for &ci in &order {
            let checklist = &host.checklists[ci];
            let src_index = match sources.iter().position(|s| s == &checklist.source) {
                Some(i) => i,
                None => {
                    sources.push(checklist.source.clone());
                    sources.len() - 1
                }
            };
            for stig in &checklist.stigs {
                for rr in &stig.rules {
                    let id = control_id(&rr.rule);
                    if id.is_empty() {
                        return Err(ViewError::RuleWithoutId {
                            host: host.host.clone(),
                            file: checklist.source.file.clone(),
                            benchmark: stig.info.stigid.clone(),
                        });
                    }
                    self.note_rule(id, &rr.rule, stig);
                    let hit = SourceHit {
                        source: src_index,
                        status: rr.review.status,
                    };
                    let interner = &mut self.interner;
                    let entry = controls.entry(Text(id));
                    let c = entry.or_insert_with(|| ControlResult {
                        control_id: interner.intern(id),
                        rule_id: interner.intern(&rr.rule.rule_id),
                        benchmark_id: interner.intern(&stig.info.stigid),
                        benchmark_release: interner.intern(&stig.info.releaseinfo),
                        status: rr.review.status,
                        raw_severity: rr.rule.severity,
                        severity_override: rr.review.severity_override,
                        severity_justification: Sym::new(&rr.review.severity_justification),
                        finding_details: Sym::new(&rr.review.finding_details),
                        comments: Sym::new(&rr.review.comments),
                        sources: Hits::new(),
                    });
                    // The same file listing a rule twice adds nothing.
                    if !c.sources.contains(&hit) {
                        if precedence(hit.status) > precedence(c.status) {
                            c.status = rr.review.status;
                            c.rule_id = interner.intern(&rr.rule.rule_id);
                            c.benchmark_id = interner.intern(&stig.info.stigid);
                            c.benchmark_release = interner.intern(&stig.info.releaseinfo);
                            c.raw_severity = rr.rule.severity;
                            c.severity_override = rr.review.severity_override;
                            c.severity_justification = Sym::new(&rr.review.severity_justification);
                            c.finding_details = Sym::new(&rr.review.finding_details);
                            c.comments = Sym::new(&rr.review.comments);
                        }
                        c.sources.push(hit);
                    }
                }
            }
        }
        let without_texts = self.without_texts;
        let controls = controls
            .into_values()
            .map(|mut c| {
                if without_texts || !matches!(c.status, Status::Open | Status::NotApplicable) {
                    c.finding_details = Sym::EMPTY;
                }
                if without_texts {
                    c.comments = Sym::EMPTY;
                    c.severity_justification = Sym::EMPTY;
                }
                // One source stays inline; several get no spare capacity (a growing
                // vector reserves four).
                c.sources.shrink_to_fit();
                c
            })
            .collect();
        self.folded.insert(folded, host.host.clone());
        self.hosts.insert(
            host.host.clone(),
            HostView {
                name: host.host.clone(),
                sources,
                controls,
            },
        );
        Ok(())
    }

    /// Checks that `name` is new, also ignoring letter case; returns its folded form.
    fn admit(&self, name: &str) -> Result<String, ViewError> {
        if self.hosts.contains_key(name) {
            return Err(ViewError::DuplicateHost(name.to_owned()));
        }
        let folded = name.to_lowercase();
        if let Some(other) = self.folded.get(&folded) {
            let (a, b) = if other.as_str() < name {
                (other.clone(), name.to_owned())
            } else {
                (name.to_owned(), other.clone())
            };
            return Err(ViewError::CaseCollision(a, b));
        }
        Ok(folded)
    }

    /// Folds in a view built elsewhere: the `import` component folds each batch of hosts
    /// and `emass` merges the batches, so the fleet-wide run starts from compact views
    /// instead of every full checklist. Merging batch views in host order gives the
    /// same view as folding every host here: the same duplicate and letter-case checks,
    /// and each rule keeps the greatest (rule id, benchmark, release, title), the first
    /// seen on a tie.
    pub fn add_view(&mut self, view: FleetView) -> Result<(), ViewError> {
        for mut h in view.hosts {
            let folded = self.admit(&h.name)?;
            for c in &mut h.controls {
                self.interner.share(&mut c.control_id);
                self.interner.share(&mut c.rule_id);
                self.interner.share(&mut c.benchmark_id);
                self.interner.share(&mut c.benchmark_release);
                c.sources.shrink_to_fit();
            }
            h.controls.shrink_to_fit();
            self.folded.insert(folded, h.name.clone());
            self.hosts.insert(h.name.clone(), h);
        }
        for (id, meta) in view.rules {
            let replace = match self.rules.get(&id) {
                None => true,
                Some(existing) => revision_key(&meta) > revision_key(existing),
            };
            if replace {
                self.rules.insert(id, meta);
            }
        }
        for (id, revs) in view.revisions {
            let mine = self.revisions.entry(id).or_default();
            for meta in revs {
                note_revision(mine, meta);
            }
        }
        Ok(())
    }

    fn note_rule(&mut self, id: &str, rule: &Rule, stig: &crate::model::StigChecklist) {
        let candidate = || RuleMeta {
            vuln_id: rule.vuln_num.clone(),
            rule_id: rule.rule_id.clone(),
            rule_ver: rule.rule_ver.clone(),
            title: rule.rule_title.clone(),
            severity: rule.severity,
            benchmark_id: stig.info.stigid.clone(),
            benchmark_title: stig.info.title.clone(),
            benchmark_release: stig.info.releaseinfo.clone(),
            benchmark_version: stig.info.version.clone(),
            ccis: rule.ccis.clone(),
            ia_controls: rule.ia_controls.clone(),
            mitigations: rule.mitigations.clone(),
            potential_impact: rule.potential_impact.clone(),
            fix_text: rule.fix_text.clone(),
        };
        // Every host of a revision usually says the same: compare before cloning, and
        // look the id up before allocating a key for it.
        let known = self
            .revisions
            .get(id)
            .is_some_and(|revs| revs.iter().any(|m| same_meta(m, rule, stig)));
        if !known {
            note_revision(
                self.revisions.entry(id.to_owned()).or_default(),
                candidate(),
            );
        }
        match self.rules.get(id) {
            None => {
                self.rules.insert(id.to_owned(), candidate());
            }
            Some(existing) => {
                // Hosts may carry different revisions of a rule: keep the greatest
                // (rule id, benchmark, release, title) so the choice is order-independent.
                let existing_key = revision_key(existing);
                let new_key = [
                    Text(&rule.rule_id),
                    Text(&stig.info.stigid),
                    Text(&stig.info.releaseinfo),
                    Text(&rule.rule_title),
                ];
                if new_key > existing_key {
                    self.rules.insert(id.to_owned(), candidate());
                }
            }
        }
    }

    pub fn finish(self) -> FleetView {
        FleetView {
            hosts: self.hosts.into_values().collect(),
            rules: self.rules.into_iter().collect(),
            revisions: self.revisions.into_iter().collect(),
        }
    }
}

/// Convenience: the view of a whole slice of hosts.
pub fn view(hosts: &[HostResults]) -> Result<FleetView, ViewError> {
    let mut b = FleetBuilder::new();
    for h in hosts {
        b.add_host(h)?;
    }
    Ok(b.finish())
}

/// The distinct `(tool, scan date)` pairs behind a set of controls, sorted.
pub fn scanners<'a>(
    host: &'a HostView,
    control: &'a ControlResult,
) -> BTreeSet<(&'a str, &'a str)> {
    control
        .sources
        .iter()
        .map(|h| {
            let s = &host.sources[h.source];
            (s.tool.as_str(), s.scanned_at.as_str())
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod testkit {
    //! Small model builders shared by the package modules' tests.
    use crate::model::*;

    pub fn rule(vuln: &str, sev: Severity, title: &str) -> Rule {
        Rule {
            vuln_num: vuln.into(),
            severity: Some(sev),
            rule_id: format!("SV-{}r1_rule", vuln.trim_start_matches("V-")),
            rule_ver: format!("WN19-00-{}", vuln.trim_start_matches("V-")),
            rule_title: title.into(),
            ccis: vec!["CCI-000366".into()],
            fix_text: format!("Fix {vuln}"),
            ..Default::default()
        }
    }

    pub fn rr(vuln: &str, sev: Severity, status: Status, details: &str) -> RuleResult {
        RuleResult {
            rule: rule(vuln, sev, &format!("Title of {vuln}")),
            review: Review {
                status,
                finding_details: details.into(),
                comments: String::new(),
                severity_override: None,
                severity_justification: String::new(),
                keep: Default::default(),
            },
        }
    }

    pub fn checklist(file: &str, tool: &str, at: &str, rules: Vec<RuleResult>) -> Checklist {
        Checklist {
            asset: Asset::default(),
            stigs: vec![StigChecklist {
                info: BenchmarkInfo {
                    stigid: "MS_Windows_Server_2019_STIG".into(),
                    title: "Microsoft Windows Server 2019 STIG".into(),
                    releaseinfo: "Release: 2 Benchmark Date: 24 Apr 2024".into(),
                    version: "2".into(),
                    ..Default::default()
                },
                rules,
            }],
            source: ScanSource {
                file: file.into(),
                tool: tool.into(),
                scanned_at: at.into(),
            },
            ..Default::default()
        }
    }

    pub fn host(name: &str, checklists: Vec<Checklist>) -> HostResults {
        HostResults {
            host: name.into(),
            checklists,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::model::Severity::*;
    use crate::model::Status::*;

    #[test]
    fn merging_batch_views_equals_folding_every_host() {
        // Rule V-1 appears in three revisions across hosts in different batches, two of
        // them tied on the revision key but different otherwise (the first must win).
        let mut hosts = Vec::new();
        for i in 0..7 {
            let mut r = rr(
                "V-1",
                High,
                if i % 2 == 0 { Open } else { NotAFinding },
                "d",
            );
            r.rule.rule_title = match i {
                0 | 1 => "Old title".into(),
                _ => "Title of V-1".into(),
            };
            r.rule.fix_text = format!("fix as seen on h{i}");
            let mut other = rr(&format!("V-{}", 10 + i), Low, NotReviewed, "");
            other.rule.ccis = vec![format!("CCI-{i}")];
            hosts.push(host(
                &format!("h{i}"),
                vec![checklist(
                    &format!("h{i}/a.ckl"),
                    "t",
                    "2025-01-01",
                    vec![r, other],
                )],
            ));
        }
        let whole = view(&hosts).unwrap();
        let mut merged = FleetBuilder::new();
        for batch in hosts.chunks(3) {
            merged.add_view(view(batch).unwrap()).unwrap();
        }
        let merged = merged.finish();
        assert_eq!(merged, whole);
        // Ids repeated across batches are held once in the merged view.
        let (a, b) = (&merged.hosts[0].controls[0], &merged.hosts[6].controls[0]);
        assert_eq!(a.control_id, "V-1");
        assert!(a.control_id.shares(&b.control_id) && a.rule_id.shares(&b.rule_id));
        assert!(a.benchmark_release.shares(&b.benchmark_release));
        assert_eq!(whole.rule("V-1").unwrap().fix_text, "fix as seen on h2");

        // A view for checking is the same view without its texts.
        let mut checking = FleetBuilder::for_checking();
        for h in &hosts {
            checking.add_host(h).unwrap();
        }
        let mut texts_emptied = whole.clone();
        for c in texts_emptied.hosts.iter_mut().flat_map(|h| &mut h.controls) {
            (c.finding_details, c.comments) = (Sym::EMPTY, Sym::EMPTY);
            c.severity_justification = Sym::EMPTY;
        }
        assert!(whole.hosts[0].controls[0].finding_details == "d");
        assert_eq!(checking.finish(), texts_emptied);

        // A host repeated across batches, or differing only in case, is refused.
        let mut b = FleetBuilder::new();
        b.add_view(view(&hosts[..2]).unwrap()).unwrap();
        assert_eq!(
            b.add_view(view(&hosts[1..3]).unwrap()).unwrap_err(),
            ViewError::DuplicateHost("h1".into())
        );
        let mut upper = hosts[0].clone();
        upper.host = "H0".into();
        let mut b = FleetBuilder::new();
        b.add_view(view(&hosts[..1]).unwrap()).unwrap();
        assert!(matches!(
            b.add_view(view(&[upper]).unwrap()).unwrap_err(),
            ViewError::CaseCollision(..)
        ));
    }

    #[test]
    fn precedence_open_beats_not_reviewed_beats_na_beats_pass() {
        let cases = [
            (vec![NotAFinding, Open], Open),
            (vec![NotApplicable, NotReviewed], NotReviewed),
            (vec![NotAFinding, NotApplicable], NotApplicable),
            (vec![NotAFinding, NotAFinding], NotAFinding),
            (vec![NotReviewed, Open, NotApplicable], Open),
        ];
        for (statuses, want) in cases {
            let cls = statuses
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    checklist(
                        &format!("h/{i}.ckl"),
                        "tool",
                        "",
                        vec![rr("V-1", High, *s, "d")],
                    )
                })
                .collect();
            let v = view(&[host("h", cls)]).unwrap();
            let c = &v.hosts[0].controls[0];
            assert_eq!(c.status, want, "{statuses:?}");
            assert_eq!(c.sources.len(), statuses.len());
        }
    }

    /// A control's sources: one inline, several on the heap; either way postcard writes
    /// what a `Vec` wrote (views from earlier runs read the same), and the record is no
    /// larger than with a `Vec`.
    #[test]
    fn sources_are_inline_and_serialize_as_a_vec() {
        let one = view(&[host(
            "h",
            vec![checklist(
                "h/a.ckl",
                "t",
                "",
                vec![rr("V-1", High, Open, "d")],
            )],
        )])
        .unwrap();
        let two = view(&[host(
            "h",
            (0..2)
                .map(|i| {
                    checklist(
                        &format!("h/{i}.ckl"),
                        "t",
                        "",
                        vec![rr("V-1", High, Open, "d")],
                    )
                })
                .collect(),
        )])
        .unwrap();
        for (v, n) in [(&one, 1), (&two, 2)] {
            let c = &v.hosts[0].controls[0];
            assert_eq!(c.sources.len(), n);
            assert_eq!(c.sources.spilled(), n > 1, "one source is held inline");
            let as_vec: Vec<SourceHit> = c.sources.to_vec();
            assert_eq!(
                postcard::to_allocvec(&c.sources).unwrap(),
                postcard::to_allocvec(&as_vec).unwrap()
            );
            let bytes = crate::model_file::encode_view(v).unwrap();
            assert_eq!(&crate::model_file::decode_view("v", &bytes).unwrap(), v);
        }
        assert!(std::mem::size_of::<Hits>() <= std::mem::size_of::<Vec<SourceHit>>());
    }

    #[test]
    fn result_does_not_depend_on_input_order() {
        let a = checklist(
            "h/a.ckl",
            "A",
            "2025-01-01",
            vec![rr("V-1", High, Open, "from a")],
        );
        let b = checklist(
            "h/b.ckl",
            "B",
            "2025-02-01",
            vec![rr("V-1", High, Open, "from b")],
        );
        let v1 = view(&[host("x", vec![a.clone(), b.clone()]), host("w", vec![])]).unwrap();
        let v2 = view(&[host("w", vec![]), host("x", vec![b, a])]).unwrap();
        assert_eq!(v1, v2);
        assert_eq!(v1.hosts[0].name, "w");
        let x = v1.host("x").unwrap();
        assert_eq!(x.controls[0].finding_details, "from a");
        assert_eq!(x.last_verified(&x.controls[0]), "2025-02-01");
    }

    #[test]
    fn duplicate_and_case_colliding_hosts_are_refused() {
        let err = view(&[host("WEB01", vec![]), host("web01", vec![])]).unwrap_err();
        assert_eq!(
            err,
            ViewError::CaseCollision("WEB01".into(), "web01".into())
        );
        assert!(err.to_string().contains("differ only in letter case"));
        let err = view(&[host("a", vec![]), host("a", vec![])]).unwrap_err();
        assert_eq!(err, ViewError::DuplicateHost("a".into()));
    }

    #[test]
    fn rule_without_any_id_is_an_error_naming_the_file() {
        let mut r = rr("V-1", High, Open, "");
        r.rule.vuln_num.clear();
        r.rule.rule_id.clear();
        let err = view(&[host("h", vec![checklist("h/x.ckl", "t", "", vec![r])])]).unwrap_err();
        assert!(err.to_string().contains("h/x.ckl"), "{err}");
    }

    #[test]
    fn override_comes_from_the_deciding_source() {
        let mut over = rr("V-1", High, Open, "d");
        over.review.severity_override = Some(Medium);
        over.review.severity_justification = "Mitigated by firewall".into();
        let v = view(&[host(
            "h",
            vec![
                checklist("h/a.ckl", "t", "", vec![rr("V-1", High, NotAFinding, "")]),
                checklist("h/b.ckl", "t", "", vec![over]),
            ],
        )])
        .unwrap();
        let c = &v.hosts[0].controls[0];
        assert_eq!(c.effective_severity(), Some(Medium));
        assert_eq!(c.raw_severity, Some(High));
        assert_eq!(c.severity_justification, "Mitigated by firewall");
    }

    /// The revision order the builder keeps is the tuple order of the four texts, and
    /// the host map's id order is `str`'s.
    #[test]
    fn builder_orders_are_the_text_orders() {
        let texts = [
            "",
            "a",
            "ab",
            "b",
            "V-1",
            "V-10",
            "V-9",
            "SV-1r1_rule",
            "SV-1r2_rule",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(Text(a).cmp(&Text(b)), a.cmp(b), "{a:?} {b:?}");
                for (x, y) in [
                    ([a, "k", "r", "t"], ["k", b, "r", "t"]),
                    ([a, b, a, b], [b, a, b, a]),
                ] {
                    assert_eq!(x.map(Text) > y.map(Text), x > y, "{x:?} {y:?}");
                }
            }
        }
    }

    /// A host's controls found by id where a linear search finds them; absent ids
    /// (before, between and after the held ones) are not found.
    #[test]
    fn control_lookup_agrees_with_a_linear_search() {
        let ids = ["V-1", "V-10", "V-100", "V-2", "V-20", "V-9"];
        let rules = ids.iter().map(|id| rr(id, Low, Open, "")).collect();
        let fleet = view(&[host(
            "h",
            vec![checklist("h/a.ckl", "t", "2025-01-01", rules)],
        )])
        .unwrap();
        let h = &fleet.hosts[0];
        assert_eq!(h.controls.len(), ids.len());
        for id in ids
            .iter()
            .copied()
            .chain(["", "V-0", "V-11", "V-3", "V-99", "W"])
        {
            let linear = h.controls.iter().position(|c| c.control_id == id);
            assert_eq!(h.control_index(id), linear, "{id}");
            assert_eq!(
                h.control(id).map(|c| c.control_id.as_str()),
                linear.map(|_| id)
            );
        }
    }

    /// `RuleMeta`'s order is the derived field-by-field order: a pair of records
    /// differing in any one field (or two) orders as the tuple of its fields does.
    #[test]
    fn rule_meta_orders_as_its_fields_in_turn() {
        #[allow(clippy::type_complexity)]
        fn fields(
            m: &RuleMeta,
        ) -> (
            (&str, &str, &str, &str, Option<Severity>, &str, &str),
            (&str, &str, &[String], &str, &str, &str, &str),
        ) {
            (
                (
                    &m.vuln_id,
                    &m.rule_id,
                    &m.rule_ver,
                    &m.title,
                    m.severity,
                    &m.benchmark_id,
                    &m.benchmark_title,
                ),
                (
                    &m.benchmark_release,
                    &m.benchmark_version,
                    &m.ccis,
                    &m.ia_controls,
                    &m.mitigations,
                    &m.potential_impact,
                    &m.fix_text,
                ),
            )
        }
        let base = RuleMeta {
            vuln_id: "V-10".into(),
            rule_id: "SV-10r2_rule".into(),
            rule_ver: "WN-00-1".into(),
            title: "t".into(),
            severity: Some(Severity::Medium),
            benchmark_id: "WIN".into(),
            benchmark_title: "Windows".into(),
            benchmark_release: "Release: 2".into(),
            benchmark_version: "2".into(),
            ccis: vec!["CCI-1".into(), "CCI-2".into()],
            ia_controls: String::new(),
            mitigations: "m".into(),
            potential_impact: "p".into(),
            fix_text: "f".repeat(100),
        };
        type Edit = fn(&mut RuleMeta);
        let edits: [Edit; 16] = [
            |m| m.vuln_id = "V-9".into(),
            |m| m.rule_id.push('x'),
            |m| m.rule_ver.clear(),
            |m| m.title = "T".into(),
            |m| m.severity = Some(Severity::High),
            |m| m.severity = None,
            |m| m.benchmark_id = "WIN_".into(),
            |m| m.benchmark_title = "Win".into(),
            |m| m.benchmark_release = "Release: 10".into(),
            |m| m.benchmark_version.push('0'),
            |m| {
                m.ccis.pop();
            },
            |m| m.ccis.push("CCI-0".into()),
            |m| m.ia_controls = "x".into(),
            |m| m.mitigations.clear(),
            |m| m.potential_impact = "q".into(),
            |m| m.fix_text.insert(99, 'e'),
        ];
        let mut metas = vec![base.clone()];
        for (i, e) in edits.iter().enumerate() {
            let mut m = base.clone();
            e(&mut m);
            metas.push(m.clone());
            for later in &edits[i + 1..] {
                let mut two = m.clone();
                later(&mut two);
                metas.push(two);
            }
        }
        for a in &metas {
            for b in &metas {
                assert_eq!(a.cmp(b), fields(a).cmp(&fields(b)), "{a:?} {b:?}");
                assert_eq!(a == b, fields(a) == fields(b));
            }
        }
    }

    /// The in-order walk answers as the map does: ids in order (the fast path), with gaps
    /// longer than its steps, repeated, backwards, shuffled, present or not.
    #[test]
    fn rules_in_order_answer_as_the_map_does_in_any_order() {
        let mut fleet = FleetView::default();
        for n in (100..160).step_by(3) {
            let meta = RuleMeta {
                vuln_id: format!("V-{n}"),
                ..Default::default()
            };
            fleet.rules.insert(format!("V-{n}"), meta);
        }
        let ids: Vec<String> = (95..165).map(|n| format!("V-{n}")).collect();
        let sparse: Vec<String> = ids.iter().step_by(29).cloned().collect();
        let backwards: Vec<String> = ids.iter().rev().cloned().collect();
        let repeated: Vec<String> = ids.iter().flat_map(|i| [i.clone(), i.clone()]).collect();
        let mut shuffled = ids.clone();
        let mut x = 11u32;
        for i in (1..shuffled.len()).rev() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            shuffled.swap(i, (x >> 8) as usize % (i + 1));
        }
        for order in [&ids, &sparse, &backwards, &repeated, &shuffled] {
            let mut walk = fleet.rules_in_order();
            for id in order {
                let got = walk.get(id);
                assert_eq!(
                    got.map(|m| m as *const _),
                    fleet.rule(id).map(|m| m as *const _)
                );
                let n: u32 = id[2..].parse().unwrap();
                assert_eq!(
                    got.is_some(),
                    (100..160).contains(&n) && (n - 100).is_multiple_of(3),
                    "{id}"
                );
            }
        }
        assert!(FleetView::default().rules_in_order().get("V-1").is_none());
    }
}
