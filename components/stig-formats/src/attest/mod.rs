//! Attestations: the human answer for every control no scanner could decide.
//!
//! Every control whose scan status is `Not_Reviewed` on a host gets one attestation record
//! (host, control) that starts `Pending`. An operator fills in the template CSV and imports
//! it; the records then say Compliant / NonCompliant / PartiallyCompliant with who, when
//! and on what evidence. The file format (`attestations.json`) is this module's
//! [`AttestationFile`]; the template and instructions are in [`template`], the strict
//! importer in [`import`].

pub mod import;
pub mod template;

use serde::{Deserialize, Serialize};

use crate::control_view::{severity_word, FleetView};
use crate::model::Status;
use crate::sym::{Interner, Sym};

/// Schema tag of `attestations.json`.
pub const SCHEMA: &str = "stigpack.attestations/1";

/// The answer an attestation gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AttestationStatus {
    Pending,
    Compliant,
    NonCompliant,
    PartiallyCompliant,
    /// Not compliant, and the Authorizing Official has accepted the risk: the control
    /// stays open and its POA&M item is `Risk Accepted` (no milestones; the attestation
    /// is its comment). Added after `stigpack.attestations/1` first shipped; older files
    /// simply never hold it.
    RiskAccepted,
}

impl AttestationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationStatus::Pending => "Pending",
            AttestationStatus::Compliant => "Compliant",
            AttestationStatus::NonCompliant => "NonCompliant",
            AttestationStatus::PartiallyCompliant => "PartiallyCompliant",
            AttestationStatus::RiskAccepted => "RiskAccepted",
        }
    }

    /// The four answers an import accepts (exact spelling).
    pub fn parse_answer(s: &str) -> Option<AttestationStatus> {
        match s {
            "Compliant" => Some(AttestationStatus::Compliant),
            "NonCompliant" => Some(AttestationStatus::NonCompliant),
            "PartiallyCompliant" => Some(AttestationStatus::PartiallyCompliant),
            "RiskAccepted" => Some(AttestationStatus::RiskAccepted),
            _ => None,
        }
    }

    /// The checklist status an answered attestation stands for: Compliant closes the
    /// control, anything less than full compliance is a finding that needs a POA&M item
    /// (a risk-accepted one included: accepting a risk does not remove it).
    pub fn effective_status(self) -> Status {
        match self {
            AttestationStatus::Pending => Status::NotReviewed,
            AttestationStatus::Compliant => Status::NotAFinding,
            AttestationStatus::NonCompliant
            | AttestationStatus::PartiallyCompliant
            | AttestationStatus::RiskAccepted => Status::Open,
        }
    }
}

/// One host's answer for one control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attestation {
    pub host: Sym,
    pub control_id: Sym,
    pub rule_id: Sym,
    pub benchmark_id: Sym,
    pub title: Sym,
    pub severity: Sym,
    pub status: AttestationStatus,
    pub attestor_name: String,
    pub attestor_role: String,
    /// ISO `YYYY-MM-DD`, empty while pending.
    pub attestation_date: String,
    pub compliance_evidence: String,
    pub known_limitations: String,
    pub next_review_date: String,
}

impl Attestation {
    /// A record awaiting its answer: the control's identity, every answer field empty.
    pub fn pending(
        host: Sym,
        control_id: Sym,
        rule_id: Sym,
        benchmark_id: Sym,
        title: Sym,
        severity: Sym,
    ) -> Self {
        Attestation {
            host,
            control_id,
            rule_id,
            benchmark_id,
            title,
            severity,
            status: AttestationStatus::Pending,
            attestor_name: String::new(),
            attestor_role: String::new(),
            attestation_date: String::new(),
            compliance_evidence: String::new(),
            known_limitations: String::new(),
            next_review_date: String::new(),
        }
    }

    /// Answered, with the fields an assessor needs to rely on it.
    pub fn is_complete(&self) -> bool {
        self.status != AttestationStatus::Pending
            && !self.attestor_name.trim().is_empty()
            && !self.attestation_date.is_empty()
    }
}

/// `attestations.json`: records sorted by (host, control id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationFile {
    pub schema: String,
    pub attestations: Vec<Attestation>,
}

/// The attestations of one host, sorted by control id (see [`AttestationFile::host`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct HostAttestations<'a>(&'a [Attestation]);

impl<'a> HostAttestations<'a> {
    pub fn get(&self, control_id: &str) -> Option<&'a Attestation> {
        self.0
            .binary_search_by(|a| crate::bytes::order(&a.control_id, control_id))
            .ok()
            .map(|i| &self.0[i])
    }

    /// Lookups for a walk over the host's controls in id order, as the fleet view holds
    /// them (see [`InOrder`]).
    pub fn in_order(self) -> InOrder<'a> {
        InOrder { all: self.0, at: 0 }
    }
}

/// One host's attestations looked up by ascending control ids. Six artifacts look up
/// every (host, control) of the fleet; a binary search is six probes into records
/// scattered over the heap, most of them for controls with no attestation. Here each
/// lookup starts where the last one ended: two comparisons with records already in
/// cache. A lookup that is not ahead of the last one searches afresh, so the answers
/// are [`HostAttestations::get`]'s in any order, only slower out of order.
#[derive(Debug, Clone)]
pub struct InOrder<'a> {
    all: &'a [Attestation],
    /// Every record before `at` has an id no greater than the last lookup's.
    at: usize,
}

impl<'a> InOrder<'a> {
    pub fn get(&mut self, control_id: &str) -> Option<&'a Attestation> {
        use crate::bytes::order;
        use std::cmp::Ordering::Less;
        let ahead = self
            .at
            .checked_sub(1)
            .is_none_or(|i| order(&self.all[i].control_id, control_id) == Less);
        let from = if ahead { self.at } else { 0 };
        let rest = &self.all[from..];
        self.at = from
            + match rest.first() {
                Some(a) if order(&a.control_id, control_id) == Less => {
                    rest.partition_point(|a| order(&a.control_id, control_id) == Less)
                }
                _ => 0,
            };
        let found = self
            .all
            .get(self.at)
            .filter(|a| crate::bytes::same_text(&a.control_id, control_id))?;
        self.at += 1;
        Some(found)
    }
}

impl Default for AttestationFile {
    fn default() -> Self {
        AttestationFile {
            schema: SCHEMA.to_owned(),
            attestations: Vec::new(),
        }
    }
}

impl AttestationFile {
    pub fn get(&self, host: &str, control_id: &str) -> Option<&Attestation> {
        self.host(host).get(control_id)
    }

    /// One host's attestations. Artifacts walk the fleet host by host, control by
    /// control; finding the host once and then searching its few records keeps a
    /// million-control fleet from paying a fleet-wide search (about 20 string
    /// comparisons, most of them on equal host-name prefixes) per control.
    pub fn host(&self, host: &str) -> HostAttestations<'_> {
        let start = self
            .attestations
            .partition_point(|a| a.host.as_str() < host);
        let len = self.attestations[start..].partition_point(|a| a.host == host);
        HostAttestations(&self.attestations[start..start + len])
    }

    /// Pretty JSON (2-space indent, trailing newline), stable for hashing.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn from_json(bytes: &[u8]) -> Result<AttestationFile, serde_json::Error> {
        Ok(Self::sorted(serde_json::from_slice(bytes)?))
    }

    /// [`Self::from_json`] from a reader (buffer it), for a file too large to hold
    /// beside its parse.
    pub fn from_reader(r: impl std::io::Read) -> Result<AttestationFile, serde_json::Error> {
        Ok(Self::sorted(serde_json::from_reader(r)?))
    }

    fn sorted(mut f: AttestationFile) -> AttestationFile {
        f.attestations.sort_by(|a, b| {
            (a.host.as_str(), a.control_id.as_str()).cmp(&(b.host.as_str(), b.control_id.as_str()))
        });
        f
    }
}

/// The status of a control after its attestation (if any) is applied.
pub fn effective_status(scan: Status, attestation: Option<&Attestation>) -> Status {
    match (scan, attestation) {
        (Status::NotReviewed, Some(a)) => a.status.effective_status(),
        (s, _) => s,
    }
}

/// One record per `Not_Reviewed` control per host. Answers already given in `previous`
/// for the same (host, control) are kept, so a re-export never loses an attestation.
pub fn generate(fleet: &FleetView, previous: Option<&AttestationFile>) -> AttestationFile {
    let mut out = Vec::new();
    // Titles and severity words repeat on every host: one shared copy of each.
    let mut texts = Interner::new();
    for host in &fleet.hosts {
        let name = Sym::new(&host.name);
        for c in &host.controls {
            if c.status != Status::NotReviewed {
                continue;
            }
            let meta = fleet.rule(&c.control_id);
            let mut a = Attestation::pending(
                name.clone(),
                c.control_id.clone(),
                c.rule_id.clone(),
                c.benchmark_id.clone(),
                texts.intern(meta.map(|m| m.title.as_str()).unwrap_or("")),
                texts.intern(c.effective_severity().map(severity_word).unwrap_or("")),
            );
            if let Some(prev) = previous.and_then(|p| p.get(&host.name, &c.control_id)) {
                a.status = prev.status;
                a.attestor_name = prev.attestor_name.clone();
                a.attestor_role = prev.attestor_role.clone();
                a.attestation_date = prev.attestation_date.clone();
                a.compliance_evidence = prev.compliance_evidence.clone();
                a.known_limitations = prev.known_limitations.clone();
                a.next_review_date = prev.next_review_date.clone();
            }
            out.push(a);
        }
    }
    // Hosts and controls are already sorted; keep the invariant explicit.
    out.sort_by(|a, b| {
        (a.host.as_str(), a.control_id.as_str()).cmp(&(b.host.as_str(), b.control_id.as_str()))
    });
    AttestationFile {
        schema: SCHEMA.to_owned(),
        attestations: out,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::control_view::testkit::*;
    use crate::control_view::view;
    use crate::model::Severity::*;
    use crate::model::Status::*;

    #[test]
    fn one_pending_record_per_not_reviewed_control_per_host() {
        let fleet = view(&[
            host(
                "b",
                vec![checklist(
                    "b/x.ckl",
                    "t",
                    "",
                    vec![rr("V-2", Low, NotReviewed, ""), rr("V-1", High, Open, "")],
                )],
            ),
            host(
                "a",
                vec![checklist(
                    "a/x.ckl",
                    "t",
                    "",
                    vec![rr("V-2", Low, NotReviewed, "")],
                )],
            ),
        ])
        .unwrap();
        let f = generate(&fleet, None);
        let keys: Vec<_> = f
            .attestations
            .iter()
            .map(|a| (a.host.as_str(), a.control_id.as_str(), a.status))
            .collect();
        assert_eq!(
            keys,
            [
                ("a", "V-2", AttestationStatus::Pending),
                ("b", "V-2", AttestationStatus::Pending)
            ]
        );
        assert_eq!(f.attestations[0].title, "Title of V-2");
        assert_eq!(f.attestations[0].severity, "low");
    }

    #[test]
    fn previous_answers_survive_regeneration_and_json_round_trips() {
        let fleet = view(&[host(
            "a",
            vec![checklist(
                "a/x.ckl",
                "t",
                "",
                vec![rr("V-2", Low, NotReviewed, "")],
            )],
        )])
        .unwrap();
        let mut prev = generate(&fleet, None);
        prev.attestations[0].status = AttestationStatus::Compliant;
        prev.attestations[0].attestor_name = "J. Smith".into();
        prev.attestations[0].attestation_date = "2025-01-02".into();
        let again = generate(&fleet, Some(&prev));
        assert_eq!(again, prev);
        assert!(again.attestations[0].is_complete());
        let parsed = AttestationFile::from_json(again.to_json().as_bytes()).unwrap();
        assert_eq!(parsed, again);
        let streamed = AttestationFile::from_reader(again.to_json().as_bytes()).unwrap();
        assert_eq!(streamed, again);
        assert!(AttestationFile::from_reader(&b"{\"schema\": 1}"[..]).is_err());
        assert_eq!(
            effective_status(NotReviewed, parsed.get("a", "V-2")),
            NotAFinding
        );
    }
    /// The in-order lookups answer as the binary search does, for ids in order (the
    /// fast path), repeated, backwards and shuffled, present or not.
    #[test]
    fn in_order_lookups_answer_as_the_search_does_in_any_order() {
        let record = |host: &str, id: String| {
            let empty = Sym::EMPTY;
            Attestation::pending(
                host.into(),
                id.into(),
                empty.clone(),
                empty.clone(),
                empty.clone(),
                empty,
            )
        };
        let mut attestations: Vec<Attestation> = (10..30)
            .step_by(2)
            .map(|n| record("h", format!("V-{n}")))
            .collect();
        attestations.insert(0, record("a", "V-11".into()));
        attestations.push(record("z", "V-11".into()));
        let file = AttestationFile {
            schema: SCHEMA.to_owned(),
            attestations,
        };
        let ids: Vec<String> = (8..32).map(|n| format!("V-{n}")).collect();
        let mut shuffled = ids.clone();
        let mut x = 7u32;
        for i in (1..shuffled.len()).rev() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            shuffled.swap(i, (x >> 8) as usize % (i + 1));
        }
        let backwards: Vec<String> = ids.iter().rev().cloned().collect();
        let repeated: Vec<String> = ids.iter().flat_map(|i| [i.clone(), i.clone()]).collect();
        for host in ["h", "a", "none"] {
            let all = file.host(host);
            for order in [&ids, &shuffled, &backwards, &repeated] {
                let mut walk = all.in_order();
                for id in order {
                    let (got, want) = (walk.get(id), all.get(id));
                    assert_eq!(got.map(|a| a as *const _), want.map(|a| a as *const _));
                    if host == "h" {
                        let n: u32 = id[2..].parse().unwrap();
                        assert_eq!(
                            got.is_some(),
                            (10..30).contains(&n) && n.is_multiple_of(2),
                            "{id}"
                        );
                    }
                }
            }
        }
    }
}
