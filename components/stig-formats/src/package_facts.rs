//! The counts and readiness a package's manifest states, derived by one function from the
//! per-control view, the POA&M, the attestations and the evidence listing.
//!
//! The `emass` component derives them from the canonical model while it writes the
//! package files and hands them to the host for the manifest; `stigpack validate`
//! derives them again, natively, from the package's own checklists and compares. Same
//! code, two independent inputs: a component that lied, or a checklist that no longer
//! says what the model said, shows up as a disagreement.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attest::{effective_status, AttestationFile};
use crate::control_view::FleetView;
use crate::evidence::Evidence;
use crate::model::Status;
use crate::poam::outline::ListedPairs;
use crate::readiness::{self, Readiness};

/// Status counts after attestations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub controls: u64,
    #[serde(rename = "NotAFinding")]
    pub not_a_finding: u64,
    #[serde(rename = "Open")]
    pub open: u64,
    #[serde(rename = "Not_Applicable")]
    pub not_applicable: u64,
    #[serde(rename = "Not_Reviewed")]
    pub not_reviewed: u64,
}

impl Counts {
    fn add(&mut self, s: Status) {
        self.controls += 1;
        match s {
            Status::NotAFinding => self.not_a_finding += 1,
            Status::Open => self.open += 1,
            Status::NotApplicable => self.not_applicable += 1,
            Status::NotReviewed => self.not_reviewed += 1,
        }
    }
}

/// Everything the manifest states about a package's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackageFacts {
    pub hosts: BTreeMap<String, Counts>,
    pub totals: Counts,
    pub poam_items: u64,
    pub attestations: u64,
    pub attestations_pending: u64,
    pub readiness: Readiness,
}

impl PackageFacts {
    pub fn derive(
        fleet: &FleetView,
        poam: &impl ListedPairs,
        attestations: &AttestationFile,
        evidence: &Evidence,
    ) -> Self {
        let readiness = readiness::compute(fleet, poam, attestations, evidence);
        Self::with_readiness(fleet, poam, attestations, readiness)
    }

    /// [`Self::derive`] for a caller that already computed the readiness.
    pub fn with_readiness(
        fleet: &FleetView,
        poam: &impl ListedPairs,
        attestations: &AttestationFile,
        readiness: Readiness,
    ) -> Self {
        let mut hosts = BTreeMap::new();
        let mut totals = Counts::default();
        for h in &fleet.hosts {
            let mut c = Counts::default();
            let mut host_att = attestations.host(&h.name).in_order();
            for ctl in &h.controls {
                let s = effective_status(ctl.status, host_att.get(&ctl.control_id));
                c.add(s);
                totals.add(s);
            }
            hosts.insert(h.name.clone(), c);
        }
        PackageFacts {
            hosts,
            totals,
            poam_items: poam.item_count() as u64,
            attestations: attestations.attestations.len() as u64,
            attestations_pending: attestations
                .attestations
                .iter()
                .filter(|a| !a.is_complete())
                .count() as u64,
            readiness,
        }
    }

    /// Compact JSON: an intermediate between the `emass` component and the host, not a
    /// package file.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
