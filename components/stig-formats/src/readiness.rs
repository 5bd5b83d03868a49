//! Submission readiness: four flags an assessor can check, each with the controls that
//! make it false. Computed from the package's contents (checklists, POA&M, attestations,
//! evidence listing) by the same function at export and at validation, so the manifest's
//! claim is re-derived, never trusted. Definitions (also in `docs/package.md`), for every
//! (host, control) pair after the status-precedence rule of [`crate::control_view`]:
//!
//! - `allControlsCovered`: the fleet has at least one host, every host has at least one
//!   control, and every control is decided: by a scanner (not `Not_Reviewed`) or by an
//!   answered attestation. Failing entries: `host/control` still undecided, or `host/`
//!   for a host without results.
//! - `evidencePresent`: every control decided by a person (an answered attestation) has
//!   evidence: a file under `04_Evidence/<host>/<VulnId or RuleId>/` or the attestation's
//!   Compliance Evidence text. Scanner-decided controls are evidenced by their raw scan in
//!   `01_Scans`.
//! - `poamComplete`: every open control (scan `Open`, or attested NonCompliant /
//!   PartiallyCompliant) is listed, with its host, in a POA&M item; and no POA&M item
//!   lists a host on which the control is not open.
//! - `attestationsComplete`: every `Not_Reviewed` control has an attestation record and
//!   every record is answered with an attestor and an ISO date.
//! - `allHostsRead` (present only when false): every host given to the export was read.
//!   An export with `--keep-going` that left hosts out lists each as `host: file: reason`
//!   in `blocking.unreadableHosts`; such a package is never ready.
//! - `poamWorkbook` (present only when false): the package's eMASS workbook
//!   (`03_POAM/poam.xlsx`) passes its template's pre-upload check
//!   ([`crate::poam::check::check_in_package`]). Each rule it breaks (e.g. Office/Org
//!   empty, naming the profile key to set) is listed in `blocking.poamWorkbook`; eMASS
//!   would refuse the import, so such a package is never ready. The `emass` component
//!   checks the plan it writes; `validate` checks the xlsx bytes and compares.
//! - `isReady`: all of them.

use serde::{Deserialize, Serialize};

use crate::attest::{effective_status, AttestationFile, AttestationStatus};
use crate::civil_date::Date;
use crate::control_view::FleetView;
use crate::evidence::Evidence;
use crate::model::Status;
use crate::poam::outline::ListedPairs;

/// The controls (as `host/control`) that make each flag false.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blocking {
    pub all_controls_covered: Vec<String>,
    pub evidence_present: Vec<String>,
    pub poam_complete: Vec<String>,
    pub attestations_complete: Vec<String>,
    /// Hosts left out because a file could not be read (`host: file: reason`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable_hosts: Vec<String>,
    /// The workbook's broken template rules, each naming its cell (`poam.xlsx!R8: ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poam_workbook: Vec<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The `submissionReadiness` block of the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    pub all_controls_covered: bool,
    pub evidence_present: bool,
    pub poam_complete: bool,
    pub attestations_complete: bool,
    /// False only when hosts were left out (absent when true, so packages without
    /// left-out hosts read as before).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub all_hosts_read: bool,
    /// False only when the eMASS workbook breaks its template's rules (absent when true,
    /// so packages whose workbook passes read as before).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub poam_workbook: bool,
    pub is_ready: bool,
    pub blocking: Blocking,
}

impl Readiness {
    /// This readiness for a package that left `unreadable` hosts out: never ready while
    /// any is listed, each named with its file and reason in the blocking list.
    pub fn with_unreadable(mut self, unreadable: &[crate::import::Unreadable]) -> Self {
        if unreadable.is_empty() {
            return self;
        }
        self.blocking.unreadable_hosts = unreadable.iter().map(|u| u.line()).collect();
        self.all_hosts_read = false;
        self.is_ready = false;
        self
    }

    /// This readiness for a package whose workbook breaks the template rules `problems`
    /// (the pre-upload check's, in its order): never ready while any is listed.
    pub fn with_workbook(mut self, problems: &[String]) -> Self {
        if problems.is_empty() {
            return self;
        }
        self.blocking.poam_workbook = problems.to_vec();
        self.poam_workbook = false;
        self.is_ready = false;
        self
    }
}

/// A (host index, control index) position in a [`FleetView`] as one sortable integer.
fn pair(host: usize, control: usize) -> u64 {
    ((host as u64) << 32) | control as u64
}

pub fn compute(
    fleet: &FleetView,
    poam: &impl ListedPairs,
    attestations: &AttestationFile,
    evidence: &Evidence,
) -> Readiness {
    let mut b = Blocking::default();
    let label = |h: &str, c: &str| format!("{h}/{c}");

    if fleet.hosts.is_empty() {
        b.all_controls_covered.push("(no hosts)".to_owned());
    }
    // The POA&M's (host, control) pairs as positions in the fleet (host index, control
    // index): integer lookups instead of string-pair comparisons, which were a third of
    // the `emass` run at 800,000 controls. Pairs the fleet does not hold cannot be open.
    // Hosts by name in a table (an item lists its hosts, so consecutive pairs are on
    // different hosts), and a control looked for first where it was on the previous
    // host: the hosts of a fleet mostly hold the same controls.
    let host_index: crate::sym::FixedMap<&str, usize> = fleet
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i))
        .collect();
    let mut guess = 0;
    let mut listed: Vec<u64> = Vec::new();
    let mut stray: Vec<(&str, &str)> = Vec::new();
    for (host, control) in poam.pairs() {
        let pos = host_index.get(host).and_then(|&hi| {
            let view = &fleet.hosts[hi];
            let at_guess = view
                .controls
                .get(guess)
                .is_some_and(|c| crate::bytes::same_text(&c.control_id, control));
            let ci = if at_guess {
                guess
            } else {
                view.control_index(control)?
            };
            guess = ci;
            Some(pair(hi, ci))
        });
        match pos {
            Some(p) => listed.push(p),
            None => stray.push((host, control)),
        }
    }
    listed.sort_unstable();
    listed.dedup();
    let mut open_listed = vec![false; listed.len()];
    for (hi, host) in fleet.hosts.iter().enumerate() {
        if host.controls.is_empty() {
            b.all_controls_covered.push(format!("{}/", host.name));
        }
        let mut host_att = attestations.host(&host.name).in_order();
        for (ci, c) in host.controls.iter().enumerate() {
            let att = host_att.get(&c.control_id);
            let eff = effective_status(c.status, att);
            if eff == Status::NotReviewed {
                b.all_controls_covered
                    .push(label(&host.name, &c.control_id));
            }
            if c.status == Status::NotReviewed {
                match att {
                    None => b
                        .attestations_complete
                        .push(label(&host.name, &c.control_id)),
                    Some(a) => {
                        let answered = a.status != AttestationStatus::Pending;
                        let well_formed =
                            a.is_complete() && Date::parse_iso(&a.attestation_date).is_some();
                        if !well_formed {
                            b.attestations_complete
                                .push(label(&host.name, &c.control_id));
                        }
                        if answered
                            && a.compliance_evidence.trim().is_empty()
                            && evidence
                                .for_control(&host.name, &c.control_id, &c.rule_id)
                                .is_empty()
                        {
                            b.evidence_present.push(label(&host.name, &c.control_id));
                        }
                    }
                }
            }
            if eff == Status::Open {
                match listed.binary_search(&pair(hi, ci)) {
                    Ok(i) => open_listed[i] = true,
                    Err(_) => b.poam_complete.push(label(&host.name, &c.control_id)),
                }
            }
        }
    }
    let not_open = listed
        .iter()
        .zip(&open_listed)
        .filter(|(_, open)| !**open)
        .map(|(&p, _)| {
            let host = &fleet.hosts[(p >> 32) as usize];
            (
                host.name.as_str(),
                host.controls[(p & 0xffff_ffff) as usize]
                    .control_id
                    .as_str(),
            )
        });
    let mut not_open: Vec<(&str, &str)> = not_open.chain(stray).collect();
    not_open.sort_unstable();
    not_open.dedup();
    for (h, c) in not_open {
        b.poam_complete
            .push(format!("{h}/{c} (listed in the POA&M but not open)"));
    }
    // Records for controls that no longer need one do not block; they are reported by
    // the validator's consistency checks.
    b.poam_complete.sort();
    let r = Readiness {
        all_controls_covered: b.all_controls_covered.is_empty(),
        evidence_present: b.evidence_present.is_empty(),
        poam_complete: b.poam_complete.is_empty(),
        attestations_complete: b.attestations_complete.is_empty(),
        all_hosts_read: true,
        poam_workbook: true,
        is_ready: false,
        blocking: b,
    };
    Readiness {
        is_ready: r.all_controls_covered
            && r.evidence_present
            && r.poam_complete
            && r.attestations_complete,
        ..r
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::attest::generate;
    use crate::control_view::testkit::*;
    use crate::control_view::view;
    use crate::model::Severity::*;
    use crate::model::Status::*;
    use crate::poam::{build, PoamOptions};

    fn fleet() -> FleetView {
        view(&[
            host(
                "web01",
                vec![checklist(
                    "web01/a.ckl",
                    "t",
                    "",
                    vec![
                        rr("V-1", High, Open, "bad"),
                        rr("V-2", Low, NotReviewed, ""),
                        rr("V-3", Low, NotAFinding, ""),
                    ],
                )],
            ),
            host("empty", vec![]),
        ])
        .unwrap()
    }

    #[test]
    fn each_flag_lists_the_controls_that_make_it_false() {
        let f = fleet();
        let att = generate(&f, None);
        let poam = build(&f, Some(&att), &PoamOptions::default());
        let r = compute(&f, &poam, &att, &Evidence::default());
        assert!(!r.is_ready);
        assert_eq!(r.blocking.all_controls_covered, vec!["empty/", "web01/V-2"]);
        assert_eq!(r.blocking.attestations_complete, vec!["web01/V-2"]);
        assert!(r.poam_complete, "{:?}", r.blocking.poam_complete);
        assert!(r.evidence_present);

        // A POA&M missing its item, and one listing a closed control.
        let mut broken = poam.clone();
        broken.items[0].control_id = "V-3".into();
        let r = compute(&f, &broken, &att, &Evidence::default());
        assert_eq!(
            r.blocking.poam_complete,
            vec![
                "web01/V-1".to_owned(),
                "web01/V-3 (listed in the POA&M but not open)".to_owned()
            ]
        );
    }

    #[test]
    fn answered_attestations_make_a_package_ready_when_evidenced() {
        let f = view(&[host(
            "web01",
            vec![checklist(
                "web01/a.ckl",
                "t",
                "",
                vec![
                    rr("V-1", High, Open, "bad"),
                    rr("V-2", Low, NotReviewed, ""),
                ],
            )],
        )])
        .unwrap();
        let mut att = generate(&f, None);
        att.attestations[0].status = AttestationStatus::Compliant;
        att.attestations[0].attestor_name = "Ann".into();
        att.attestations[0].attestation_date = "2025-01-01".into();
        let poam = build(&f, Some(&att), &PoamOptions::default());
        let r = compute(&f, &poam, &att, &Evidence::default());
        assert!(r.all_controls_covered && r.attestations_complete && r.poam_complete);
        assert_eq!(r.blocking.evidence_present, vec!["web01/V-2"]);
        assert!(!r.is_ready);
        let ev = Evidence::from_paths(&["web01/V-2/screenshot.png"]);
        assert!(compute(&f, &poam, &att, &ev).is_ready);
        // A NonCompliant answer turns the control into a POA&M obligation.
        att.attestations[0].status = AttestationStatus::NonCompliant;
        let r = compute(&f, &poam, &att, &ev);
        assert_eq!(r.blocking.poam_complete, vec!["web01/V-2"]);
        let poam = build(&f, Some(&att), &PoamOptions::default());
        assert!(compute(&f, &poam, &att, &ev).is_ready);
        // A malformed date in the file is not an answer.
        att.attestations[0].attestation_date = "1/1/2025".into();
        assert_eq!(
            compute(&f, &poam, &att, &ev).blocking.attestations_complete,
            vec!["web01/V-2"]
        );
    }

    #[test]
    fn a_package_that_left_hosts_out_is_never_ready_and_names_them() {
        let f = view(&[host(
            "web01",
            vec![checklist(
                "web01/a.ckl",
                "t",
                "",
                vec![rr("V-3", Low, NotAFinding, "")],
            )],
        )])
        .unwrap();
        let att = generate(&f, None);
        let poam = build(&f, Some(&att), &PoamOptions::default());
        let ready = compute(&f, &poam, &att, &Evidence::default());
        assert!(ready.is_ready);
        let json = serde_json::to_value(&ready).unwrap();
        assert!(json.get("allHostsRead").is_none(), "{json}");
        let left_out = ready.with_unreadable(&[crate::import::Unreadable {
            host: "db02".into(),
            file: "db02/a.ckl".into(),
            reason: "truncated".into(),
        }]);
        assert!(!left_out.is_ready && !left_out.all_hosts_read);
        assert_eq!(
            left_out.blocking.unreadable_hosts,
            vec!["db02: db02/a.ckl: truncated"]
        );
        let json = serde_json::to_value(&left_out).unwrap();
        assert_eq!(json["allHostsRead"], false);
        let back: Readiness = serde_json::from_value(json).unwrap();
        assert_eq!(back, left_out);
    }

    #[test]
    fn a_workbook_emass_would_refuse_makes_a_package_not_ready_and_names_the_cells() {
        let f = view(&[host(
            "web01",
            vec![checklist(
                "web01/a.ckl",
                "t",
                "",
                vec![rr("V-3", Low, NotAFinding, "")],
            )],
        )])
        .unwrap();
        let att = generate(&f, None);
        let poam = build(&f, Some(&att), &PoamOptions::default());
        let ready = compute(&f, &poam, &att, &Evidence::default());
        assert!(ready.is_ready);
        assert_eq!(ready.clone().with_workbook(&[]), ready);
        let json = serde_json::to_value(&ready).unwrap();
        assert!(json.get("poamWorkbook").is_none(), "{json}");
        assert!(json["blocking"].get("poamWorkbook").is_none(), "{json}");
        let problem = "poam.xlsx!R8: Office/Org is empty on 1 item".to_owned();
        let refused = ready.with_workbook(std::slice::from_ref(&problem));
        assert!(!refused.is_ready && !refused.poam_workbook);
        assert_eq!(refused.blocking.poam_workbook, vec![problem]);
        let json = serde_json::to_value(&refused).unwrap();
        assert_eq!(json["poamWorkbook"], false);
        assert_eq!(json["isReady"], false);
        let back: Readiness = serde_json::from_value(json).unwrap();
        assert_eq!(back, refused);
    }
}
