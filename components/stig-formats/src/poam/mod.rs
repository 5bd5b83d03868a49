//! POA&M generation: one item per open control across the hosts that share it.
//!
//! Items are computed once, layout-free, into [`PoamItem`]s (`poam.json` keeps them whole);
//! a [`layout::Layout`] (data, see `layouts/*.json`) then decides which columns a sheet
//! has and in which order. What an item says, and why:
//!
//! - Grouping: one item per (control, effective severity, revision of the rule). A control
//!   open on several hosts is one item listing them; a host whose SEVERITY_OVERRIDE changes
//!   the severity lands in the item of that severity, so an override is never ignored (SAF
//!   CLI's fault). Hosts on different STIG revisions share an item only where the rule
//!   agrees (rule id, STIG id, title, benchmark severity, CCIs, benchmark): every value of
//!   an item is true of every host it lists. An unchanged rule seen in two releases stays
//!   one item that names both releases (each host's release is in `poam.json`).
//! - Controls: the rule's CCIs mapped to NIST SP 800-53 Rev 5 controls with DISA's CCI
//!   list ([`crate::cci`]); CCIs with no Rev 5 mapping are listed per item and per file.
//! - Severity: SEVERITY_OVERRIDE wins over the benchmark; the override and its
//!   justification are written into the comments. Raw Severity stays the benchmark's CAT.
//! - Scheduled completion: export date + 30/90/180 days for CAT I/II/III (configurable);
//!   never the clock.
//! - Milestone and source text name the scanner(s) and scan date(s), per item.
//! - Description keeps the real finding details (grouped by identical text); comments keep
//!   the reviewers' comments. Nothing is rewritten (quotes, angle brackets stay).
//! - Order: (severity, Vuln ID numerically, first host); item ids 1..n in that order.
//! - Controls answered NonCompliant / PartiallyCompliant by an attestation are open too.
//! - Risk acceptance ([`risk`]): hosts whose finding an attestation (`RiskAccepted`) or the
//!   checklist review (`Risk Accepted:` in COMMENTS or the override justification) marks
//!   as risk-accepted form their own item, status `Risk Accepted`, with no scheduled date
//!   and no milestone; its comments say where the acceptance is recorded, then its text.

pub mod check;
pub mod layout;
pub mod outline;
pub mod profile;
pub mod risk;
pub mod summary;
pub mod template;
pub mod workbook;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attest::{AttestationFile, AttestationStatus};
use crate::bytes::{Text, Texts};
use crate::cci::CciTable;
use crate::civil_date::Date;
use crate::control_view::{cat, severity_word, FleetView};
use crate::model::{Severity, Status};
use crate::sym::Sym;

/// Knobs of POA&M generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoamOptions {
    /// Export time, Unix seconds UTC. The only source of dates.
    pub exported_at: i64,
    /// Days to scheduled completion for CAT I, II, III.
    pub days: [i64; 3],
    /// Office/Org cell.
    pub office: String,
    /// Resources Required cell.
    pub resources_required: String,
    /// The CCI list to map controls with; `None` is the compiled-in list.
    pub cci: Option<CciTable>,
}

impl Default for PoamOptions {
    fn default() -> Self {
        PoamOptions {
            exported_at: 0,
            days: [30, 90, 180],
            office: String::new(),
            resources_required: String::new(),
            cci: None,
        }
    }
}

/// Where a host's finding came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingSource {
    pub file: Sym,
    pub tool: Sym,
    pub scanned_at: Sym,
}

/// One host of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoamHost {
    pub host: Sym,
    /// `scan` or `attestation`.
    pub origin: Sym,
    pub rule_id: Sym,
    /// The benchmark release this host's result came from.
    #[serde(default)]
    pub benchmark_release: Sym,
    pub finding_details: Sym,
    pub comments: Sym,
    /// Set when SEVERITY_OVERRIDE changed this host's severity.
    pub severity_override: String,
    pub severity_justification: Sym,
    pub sources: Vec<FindingSource>,
    /// For attestation-origin hosts: the attestation's answer, attestor, date.
    pub attestation: String,
    /// Where this host's finding is recorded as risk-accepted (see [`risk`]); empty when
    /// it is not. Left out of `poam.json` when empty, so older packages read the same.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub risk_accepted: String,
}

/// One POA&M item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoamItem {
    pub item_id: u32,
    pub control_id: String,
    pub vuln_id: String,
    pub rule_id: String,
    pub rule_ver: String,
    pub title: String,
    pub benchmark_id: String,
    pub benchmark_title: String,
    pub benchmark_release: String,
    /// The benchmark's severity (`high|medium|low`, empty if the source gives none).
    pub raw_severity: String,
    /// After SEVERITY_OVERRIDE.
    pub severity: String,
    /// `I|II|III` of [`Self::severity`].
    pub cat: String,
    pub status: String,
    /// ISO date.
    pub scheduled_completion: String,
    /// The rule's CCIs.
    pub security_controls: Vec<String>,
    /// NIST SP 800-53 Rev 5 controls the CCIs map to (`AC-2`, `AC-2 (1)`), sorted.
    #[serde(default)]
    pub controls: Vec<String>,
    /// CCIs of the rule with no Rev 5 mapping in the CCI list used.
    #[serde(default)]
    pub unmapped_ccis: Vec<String>,
    pub ia_controls: String,
    pub mitigations: String,
    pub impact_description: String,
    pub recommendations: String,
    pub office: String,
    pub resources_required: String,
    pub hosts: Vec<PoamHost>,
}

/// `poam.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoamFile {
    pub schema: String,
    pub exported_at: String,
    pub days_to_completion: [i64; 3],
    /// Version of the DISA CCI list the controls were mapped with.
    #[serde(default)]
    pub cci_list_version: String,
    /// Every CCI of an item that maps to no Rev 5 control, with the items citing it.
    #[serde(default)]
    pub unmapped_ccis: Vec<UnmappedCci>,
    pub items: Vec<PoamItem>,
}

/// A CCI the CCI list maps to no NIST SP 800-53 Rev 5 control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnmappedCci {
    pub cci: String,
    /// Vuln IDs (control ids) of the items citing it, in item order.
    pub vuln_ids: Vec<String>,
}

pub const SCHEMA: &str = "stigpack.poam/1";

/// eMASS's POA&M status for an item whose risk the AO accepted.
pub const RISK_ACCEPTED: &str = "Risk Accepted";

impl PoamFile {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn from_json(bytes: &[u8]) -> Result<PoamFile, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

fn severity_rank(s: Option<Severity>) -> u8 {
    match s {
        Some(Severity::High) => 0,
        Some(Severity::Medium) => 1,
        Some(Severity::Low) => 2,
        None => 3,
    }
}

/// [`natural_key`] borrowed from `id` (same order, no allocation).
pub fn natural_key_ref(id: &str) -> (&str, u64, &str) {
    let digits_at = id
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i)
        .unwrap_or(id.len());
    let number = id[digits_at..].parse::<u64>().unwrap_or(0);
    (&id[..digits_at], number, id)
}

/// Sort key that orders `V-9` before `V-10`.
pub fn natural_key(id: &str) -> (String, u64, String) {
    let (prefix, number, whole) = natural_key_ref(id);
    (prefix.to_owned(), number, whole.to_owned())
}

/// What hosts must agree on to share an item, besides control and severity: the rule as
/// their benchmark revision states it.
///
/// Its texts compare as [`Text`]s: the POA&M's groups are searched once per open
/// (host, control), and equal keys are compared to their end.
type RevisionKey<'a> = (
    Text<'a>,         // rule id
    Text<'a>,         // STIG id
    Text<'a>,         // title
    Option<Severity>, // benchmark severity on the host
    Texts<'a>,        // CCIs
    Text<'a>,         // benchmark id
    Text<'a>,         // benchmark title
);

/// Builds the POA&M of a fleet.
pub fn build(
    fleet: &FleetView,
    attestations: Option<&AttestationFile>,
    opts: &PoamOptions,
) -> PoamFile {
    let empty = crate::control_view::RuleMeta::default();
    // (severity rank, natural control id, effective severity, risk accepted, revision)
    // -> hosts. Risk-accepted hosts get their own item: its status must be true of all.
    type Key<'a> = (
        u8,
        (Text<'a>, u64, Text<'a>),
        Option<Severity>,
        bool,
        RevisionKey<'a>,
    );
    let mut groups: BTreeMap<Key, Vec<(PoamHost, &crate::control_view::RuleMeta)>> =
        BTreeMap::new();
    // Texts every open control of a host repeats, made once: the host's name, its scan
    // sources, the two origins.
    let (scan, attested) = (Sym::new("scan"), Sym::new("attestation"));
    for host in &fleet.hosts {
        let mut host_att = attestations
            .map(|f| f.host(&host.name))
            .unwrap_or_default()
            .in_order();
        let name = Sym::new(&host.name);
        let scanned: Vec<FindingSource> = host
            .sources
            .iter()
            .map(|s| FindingSource {
                file: Sym::new(&s.file),
                tool: Sym::new(&s.tool),
                scanned_at: Sym::new(&s.scanned_at),
            })
            .collect();
        for c in &host.controls {
            let Some((origin, att_text, accepted)) = open_origin(c, host_att.get(&c.control_id))
            else {
                continue;
            };
            let meta = fleet.revision(c).unwrap_or(&empty);
            let eff = c.effective_severity();
            let overridden = c.severity_override.is_some() && c.severity_override != c.raw_severity;
            let revision = (
                Text(&c.rule_id),
                Text(&meta.rule_ver),
                Text(&meta.title),
                c.raw_severity,
                Texts(&meta.ccis),
                Text(&c.benchmark_id),
                Text(&meta.benchmark_title),
            );
            let (prefix, number, whole) = natural_key_ref(&c.control_id);
            let key = (
                severity_rank(eff),
                (Text(prefix), number, Text(whole)),
                eff,
                !accepted.is_empty(),
                revision,
            );
            let entry = PoamHost {
                host: name.clone(),
                origin: if origin == "scan" {
                    scan.clone()
                } else {
                    attested.clone()
                },
                rule_id: c.rule_id.clone(),
                benchmark_release: c.benchmark_release.clone(),
                finding_details: c.finding_details.clone(),
                comments: c.comments.clone(),
                severity_override: if overridden {
                    eff.map(severity_word).unwrap_or("").to_owned()
                } else {
                    String::new()
                },
                severity_justification: if overridden {
                    c.severity_justification.clone()
                } else {
                    Sym::EMPTY
                },
                sources: c
                    .sources
                    .iter()
                    .filter(|h| h.status == c.status)
                    .map(|h| scanned[h.source].clone())
                    .collect(),
                attestation: att_text,
                risk_accepted: accepted,
            };
            groups.entry(key).or_default().push((entry, meta));
        }
    }

    let cci = opts.cci.as_ref().unwrap_or_else(|| CciTable::builtin());
    let export_date = Date::from_unix_seconds(opts.exported_at);
    let mut items = Vec::with_capacity(groups.len());
    let mut unmapped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((_, (_, _, Text(control_id)), eff, accepted, (Text(rule_id), _, _, raw, ..)), members) in
        groups
    {
        // The greatest revision among the hosts supplies the texts the key does not
        // cover (fix text, mitigations); the key guarantees the rest agree.
        // Hosts of one revision share one record: no need to compare it with itself
        // field by field (its texts are long). The same answer as `max()`.
        let meta = members
            .iter()
            .map(|(_, m)| *m)
            .max_by(|a, b| {
                if std::ptr::eq(*a, *b) {
                    std::cmp::Ordering::Equal
                } else {
                    a.cmp(b)
                }
            })
            .unwrap_or(&empty);
        let releases: std::collections::BTreeSet<Sym> = members
            .iter()
            .map(|(h, _)| h.benchmark_release.clone())
            .filter(|r| !r.is_empty())
            .collect();
        let mut hosts: Vec<PoamHost> = members.into_iter().map(|(h, _)| h).collect();
        hosts.sort_by(|a, b| a.host.cmp(&b.host));
        let days = match eff {
            Some(Severity::High) => opts.days[0],
            Some(Severity::Low) => opts.days[2],
            _ => opts.days[1],
        };
        let mapped = cci.map(&meta.ccis);
        for u in &mapped.unmapped {
            let ids = unmapped.entry(u.clone()).or_default();
            if ids.last().map(String::as_str) != Some(control_id) {
                ids.push(control_id.to_owned());
            }
        }
        items.push(PoamItem {
            item_id: items.len() as u32 + 1,
            control_id: control_id.to_owned(),
            vuln_id: meta.vuln_id.clone(),
            rule_id: rule_id.to_owned(),
            rule_ver: meta.rule_ver.clone(),
            title: meta.title.clone(),
            benchmark_id: meta.benchmark_id.clone(),
            benchmark_title: meta.benchmark_title.clone(),
            benchmark_release: releases
                .iter()
                .map(Sym::as_str)
                .collect::<Vec<_>>()
                .join("; "),
            raw_severity: raw.map(severity_word).unwrap_or("").to_owned(),
            severity: eff.map(severity_word).unwrap_or("").to_owned(),
            cat: eff.map(cat).unwrap_or("").to_owned(),
            status: if accepted { RISK_ACCEPTED } else { "Ongoing" }.to_owned(),
            // A Risk Accepted item is not scheduled for remediation (no date, no milestone).
            scheduled_completion: if accepted {
                String::new()
            } else {
                export_date.add_days(days).to_string()
            },
            security_controls: meta.ccis.clone(),
            controls: mapped.controls,
            unmapped_ccis: mapped.unmapped,
            ia_controls: meta.ia_controls.clone(),
            mitigations: meta.mitigations.clone(),
            impact_description: meta.potential_impact.clone(),
            recommendations: meta.fix_text.clone(),
            office: opts.office.clone(),
            resources_required: opts.resources_required.clone(),
            hosts,
        });
    }
    PoamFile {
        schema: SCHEMA.to_owned(),
        exported_at: crate::civil_date::rfc3339_utc(opts.exported_at),
        days_to_completion: opts.days,
        cci_list_version: cci.version.clone(),
        unmapped_ccis: unmapped
            .into_iter()
            .map(|(cci, vuln_ids)| UnmappedCci { cci, vuln_ids })
            .collect(),
        items,
    }
}

/// Whether a host's control belongs in the POA&M, and how: `scan` when a scan found it
/// Open, `attestation` (with the answer in words) when it was not reviewed and an
/// attestation says NonCompliant, PartiallyCompliant or RiskAccepted; last, where its
/// risk acceptance is recorded (empty when it is not risk-accepted).
fn open_origin(
    c: &crate::control_view::ControlResult,
    attestation: Option<&crate::attest::Attestation>,
) -> Option<(&'static str, String, String)> {
    match (c.status, attestation) {
        (Status::Open, _) => Some((
            "scan",
            String::new(),
            risk::of_review(c).unwrap_or_default(),
        )),
        (Status::NotReviewed, Some(a))
            if matches!(
                a.status,
                AttestationStatus::NonCompliant
                    | AttestationStatus::PartiallyCompliant
                    | AttestationStatus::RiskAccepted
            ) =>
        {
            let mut t = format!(
                "{} per attestation by {}",
                a.status.as_str(),
                a.attestor_name
            );
            if !a.attestor_role.is_empty() {
                t.push_str(&format!(" ({})", a.attestor_role));
            }
            t.push_str(&format!(" on {}", a.attestation_date));
            if !a.compliance_evidence.is_empty() {
                t.push_str(&format!("; evidence: {}", a.compliance_evidence));
            }
            if !a.known_limitations.is_empty() {
                t.push_str(&format!("; known limitations: {}", a.known_limitations));
            }
            let accepted = if a.status == AttestationStatus::RiskAccepted {
                "the attestation (below)".to_owned()
            } else {
                String::new()
            };
            Some(("attestation", t, accepted))
        }
        _ => None,
    }
}

/// Texts derived from an item, shared by the CSV layouts and the summary.
impl PoamItem {
    pub fn host_names(&self) -> Vec<&str> {
        self.hosts.iter().map(|h| h.host.as_str()).collect()
    }

    /// eMASS risk level of the effective severity (`High|Moderate|Low`).
    pub fn risk_level(&self) -> &'static str {
        match self.severity.as_str() {
            "high" => "High",
            "medium" => "Moderate",
            "low" => "Low",
            _ => "",
        }
    }

    /// "Evaluate-STIG 1.2310.1, scanned 2023-12-11 (3 hosts); ..." over all hosts: the
    /// scanner and scan date each checklist's ScanSource states.
    pub fn scan_summary(&self) -> String {
        // Borrowed keys: this runs for every host of every item, twice per item.
        let mut scans: BTreeMap<(Cow<str>, &str), usize> = BTreeMap::new();
        let mut attested = 0usize;
        let mut seen = std::collections::BTreeSet::new();
        for h in &self.hosts {
            if h.origin == "attestation" {
                attested += 1;
                continue;
            }
            seen.clear();
            for s in &h.sources {
                let key = (tool_name(&s.tool), scan_date(&s.scanned_at));
                if seen.insert(key.clone()) {
                    *scans.entry(key).or_default() += 1;
                }
            }
        }
        let mut parts: Vec<String> = scans
            .into_iter()
            .map(|((tool, at), n)| {
                let when = if at.is_empty() {
                    "scan date not stated in the file".to_owned()
                } else {
                    format!("scanned {at}")
                };
                format!("{tool}, {when} ({})", plural(n, "host"))
            })
            .collect();
        if attested > 0 {
            parts.push(format!("manual attestation ({})", plural(attested, "host")));
        }
        parts.join("; ")
    }

    /// Source Identifying Vulnerability.
    pub fn source_text(&self) -> String {
        format!(
            "{} {} ({}), {} / {}: reported by {}",
            self.benchmark_title,
            self.benchmark_release,
            self.benchmark_id,
            self.vuln_id,
            self.rule_id,
            self.scan_summary()
        )
    }

    /// Whether the item is `Risk Accepted` (no milestone, no scheduled date).
    pub fn is_risk_accepted(&self) -> bool {
        self.status == RISK_ACCEPTED
    }

    /// Milestone with Completion Dates, dates in the layout's format; none (empty) for a
    /// Risk Accepted item, which eMASS forbids milestones on.
    pub fn milestone_text(&self, date: &str) -> String {
        if self.is_risk_accepted() {
            return String::new();
        }
        format!(
            "Remediate {} ({}) on {} per the STIG fix text and verify with a new scan; found by {}. Completion: {}",
            self.vuln_id,
            self.rule_ver,
            plural(self.hosts.len(), "host"),
            self.scan_summary(),
            date
        )
    }

    /// Control Vulnerability Description: the rule title and the real finding details,
    /// identical texts grouped under the hosts that reported them. Hosts whose scanner
    /// recorded no details are named too, so every host of the item appears even in a
    /// layout without a Devices Affected column.
    pub fn description(&self) -> String {
        let mut out = format!("{} ({}): {}", self.vuln_id, self.rule_ver, self.title);
        let details = group_texts(
            self.hosts
                .iter()
                .map(|h| (h.host.as_str(), h.finding_details.as_str())),
        );
        out.push_str("\n\nFinding details:");
        for (hosts, text) in details {
            out.push_str(&format!("\n[{}]: {}", hosts.join(", "), text));
        }
        let silent: Vec<&str> = self
            .hosts
            .iter()
            .filter(|h| h.finding_details.trim().is_empty())
            .map(|h| h.host.as_str())
            .collect();
        if !silent.is_empty() {
            out.push_str(&format!(
                "\n[{}]: none recorded by the scanner",
                silent.join(", ")
            ));
        }
        out
    }

    /// Controls / APs: the 800-53 Rev 5 controls, `; ` separated.
    pub fn controls_text(&self) -> String {
        self.controls.join("; ")
    }

    /// Comments: the risk acceptance (where it is recorded), reviewers' comments,
    /// severity overrides with their justification, attestation answers.
    pub fn comments_text(&self) -> String {
        let mut lines = Vec::new();
        let acceptance: Vec<(&Sym, String)> = self
            .hosts
            .iter()
            .filter(|h| !h.risk_accepted.is_empty())
            .map(|h| (&h.host, h.risk_accepted.clone()))
            .collect();
        for (hosts, text) in group_texts(acceptance.iter().map(|(h, t)| (h.as_str(), t.as_str()))) {
            lines.push(format!(
                "Risk Accepted by the AO [{}]: recorded in {text}; no milestones.",
                hosts.join(", ")
            ));
        }
        let overrides = group_texts(
            self.hosts
                .iter()
                .filter(|h| !h.severity_override.is_empty())
                .map(|h| (h.host.as_str(), h.severity_justification.as_str())),
        );
        let overridden: Vec<&str> = self
            .hosts
            .iter()
            .filter(|h| !h.severity_override.is_empty())
            .map(|h| h.host.as_str())
            .collect();
        if !overridden.is_empty() {
            lines.push(format!(
                "Severity overridden from {} to {} (CAT {}) by SEVERITY_OVERRIDE on [{}].",
                self.raw_severity,
                self.severity,
                self.cat,
                overridden.join(", ")
            ));
            for (hosts, text) in overrides {
                lines.push(format!("Justification [{}]: {}", hosts.join(", "), text));
            }
        }
        if self.severity.is_empty() {
            lines.push(
                "The source gives no severity for this rule; scheduled as CAT II.".to_owned(),
            );
        }
        for (hosts, text) in group_texts(
            self.hosts
                .iter()
                .map(|h| (h.host.as_str(), h.attestation.as_str())),
        ) {
            lines.push(format!("[{}]: {}", hosts.join(", "), text));
        }
        for (hosts, text) in group_texts(
            self.hosts
                .iter()
                .map(|h| (h.host.as_str(), h.comments.as_str())),
        ) {
            lines.push(format!("[{}]: {}", hosts.join(", "), text));
        }
        lines.join("\n")
    }
}

/// The scanner as a person names it: whitespace collapsed; a value that is markup (an
/// unparsed XML fragment) or empty is "an unnamed scanner" rather than noise.
fn tool_name(tool: &str) -> Cow<'_, str> {
    let t = tool.trim();
    if t.is_empty() || t.contains('<') {
        Cow::Borrowed("an unnamed scanner")
    } else if t.split_whitespace().map(str::len).sum::<usize>() + t.split_whitespace().count() - 1
        == t.len()
        && !t.contains(['\t', '\n', '\r'])
    {
        Cow::Borrowed(t)
    } else {
        Cow::Owned(t.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// The scan date of an RFC 3339 / ISO time (`2023-12-11T10:02:03Z` -> `2023-12-11`);
/// other spellings as the file gives them.
fn scan_date(at: &str) -> &str {
    let at = at.trim();
    match at.get(..10) {
        Some(d)
            if Date::parse_iso(d).is_some()
                && matches!(at.as_bytes().get(10), None | Some(b'T' | b' ')) =>
        {
            d
        }
        _ => at,
    }
}

/// Groups non-empty texts by identical content, each with its hosts, ordered by first host.
fn group_texts<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<(Vec<&'a str>, &'a str)> {
    let mut groups: Vec<(Vec<&str>, &str)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (host, text) in pairs {
        if text.trim().is_empty() {
            continue;
        }
        match index.get(text) {
            Some(&i) => groups[i].0.push(host),
            None => {
                index.insert(text, groups.len());
                groups.push((vec![host], text));
            }
        }
    }
    groups
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
