//! Reading what a package says, for the manifest (at export) and for `validate` (later):
//! both derive counts and readiness from the same files with the same code, so the
//! validator re-derives the manifest's claims instead of trusting them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use stig_formats::attest::{effective_status, AttestationFile};
use stig_formats::control_view::{FleetBuilder, FleetView};
use stig_formats::evidence::Evidence;
use stig_formats::model::{HostResults, Status};
use stig_formats::package_artifacts::paths;
use stig_formats::poam::PoamFile;
use stig_formats::readiness::{self, Readiness};

use super::layout::{CHECKLISTS, EVIDENCE};

/// Status counts after attestations, as the manifest reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

/// Everything the manifest derives from the package's files.
#[derive(Debug, Clone)]
pub struct Derived {
    pub hosts: BTreeMap<String, Counts>,
    pub totals: Counts,
    pub poam_items: u64,
    pub attestations: u64,
    pub attestations_pending: u64,
    pub readiness: Readiness,
}

/// The parsed artifacts of a package.
#[derive(Debug, Clone)]
pub struct Contents {
    pub fleet: FleetView,
    pub poam: PoamFile,
    pub attestations: AttestationFile,
    pub evidence: Evidence,
    /// (host, checklist file) pairs read.
    pub checklist_files: Vec<String>,
}

/// The evidence files of a package, relative to `04_Evidence/`.
pub fn evidence_paths(pkg: &Path) -> anyhow::Result<Vec<String>> {
    let dir = pkg.join(EVIDENCE);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    super::hashlist::walk(&dir)
}

/// Reads the fleet from `02_Checklists/<host>/*.ckl|*.cklb`, host by host.
pub fn load_fleet(pkg: &Path) -> anyhow::Result<(FleetView, Vec<String>)> {
    let root = pkg.join(CHECKLISTS);
    let mut hosts: Vec<String> = Vec::new();
    for e in fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))? {
        let e = e?;
        if e.file_type()?.is_dir() {
            hosts.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    hosts.sort();
    let mut builder = FleetBuilder::new();
    let mut files_read = Vec::new();
    for host in hosts {
        let dir = root.join(&host);
        let mut files: Vec<String> = fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut results = HostResults {
            host: host.clone(),
            checklists: Vec::new(),
        };
        for f in files {
            let rel = format!("{CHECKLISTS}/{host}/{f}");
            let path = dir.join(&f);
            type Reader = fn(&[u8], &str) -> stig_formats::Result<stig_formats::model::Checklist>;
            let read: Reader = if f.ends_with(".ckl") {
                stig_formats::ckl::read
            } else if f.ends_with(".cklb") {
                stig_formats::cklb::read
            } else {
                continue;
            };
            let bytes = fs::read(&path).with_context(|| format!("reading {rel}"))?;
            let mut c = read(&bytes, &rel)?;
            c.source.file = rel.clone();
            results.checklists.push(c);
            files_read.push(rel);
        }
        builder
            .add_host(&results)
            .with_context(|| format!("{CHECKLISTS}/{host}"))?;
    }
    Ok((builder.finish(), files_read))
}

/// Reads the package's artifacts. Errors name the file.
pub fn load(pkg: &Path) -> anyhow::Result<Contents> {
    let (fleet, checklist_files) = load_fleet(pkg)?;
    let poam_path = pkg.join(paths::POAM_JSON);
    let poam = PoamFile::from_json(
        &fs::read(&poam_path).with_context(|| format!("reading {}", paths::POAM_JSON))?,
    )
    .with_context(|| format!("{}: not a stigpack POA&M", paths::POAM_JSON))?;
    let att_path = pkg.join(paths::ATTESTATIONS_JSON);
    let attestations = AttestationFile::from_json(
        &fs::read(&att_path).with_context(|| format!("reading {}", paths::ATTESTATIONS_JSON))?,
    )
    .with_context(|| {
        format!(
            "{}: not a stigpack attestation file",
            paths::ATTESTATIONS_JSON
        )
    })?;
    let evidence = Evidence::from_paths(&evidence_paths(pkg)?);
    Ok(Contents {
        fleet,
        poam,
        attestations,
        evidence,
        checklist_files,
    })
}

impl Contents {
    /// Counts and readiness, derived.
    pub fn derive(&self) -> Derived {
        let mut hosts = BTreeMap::new();
        let mut totals = Counts::default();
        for h in &self.fleet.hosts {
            let mut c = Counts::default();
            for ctl in &h.controls {
                let s =
                    effective_status(ctl.status, self.attestations.get(&h.name, &ctl.control_id));
                c.add(s);
                totals.add(s);
            }
            hosts.insert(h.name.clone(), c);
        }
        Derived {
            hosts,
            totals,
            poam_items: self.poam.items.len() as u64,
            attestations: self.attestations.attestations.len() as u64,
            attestations_pending: self
                .attestations
                .attestations
                .iter()
                .filter(|a| !a.is_complete())
                .count() as u64,
            readiness: readiness::compute(
                &self.fleet,
                &self.poam,
                &self.attestations,
                &self.evidence,
            ),
        }
    }
}
