//! Reading what a package says, for `validate`: counts and readiness are derived again,
//! natively, from the package's own checklists, POA&M, attestations and evidence, with
//! the same function the `emass` component used for the manifest
//! ([`stig_formats::package_facts`]), so the manifest's claims are re-derived from what
//! the files say instead of trusted.

use std::fs;
use std::path::Path;

use anyhow::Context;
use stig_formats::attest::AttestationFile;
use stig_formats::control_view::{FleetBuilder, FleetView};
use stig_formats::evidence::Evidence;
use stig_formats::model::HostResults;
use stig_formats::package_artifacts::paths;
use stig_formats::poam::PoamFile;

use super::layout::{CHECKLISTS, EVIDENCE, UNREADABLE};
use stig_formats::import::Unreadable;

/// Counts and readiness as the manifest states them: the same derivation the `emass`
/// component runs, here applied to what the package's files say.
pub use stig_formats::package_facts::{Counts, PackageFacts as Derived};

/// The parsed artifacts of a package.
#[derive(Debug, Clone)]
pub struct Contents {
    pub fleet: FleetView,
    pub poam: PoamFile,
    pub attestations: AttestationFile,
    pub evidence: Evidence,
    /// (host, checklist file) pairs read.
    pub checklist_files: Vec<String>,
    /// Hosts a `--keep-going` export left out (`00_Manifest/unreadable_hosts.json`).
    pub unreadable: Vec<Unreadable>,
}

/// The hosts the package says it left out; none when it has no such file.
pub fn load_unreadable(pkg: &Path) -> anyhow::Result<Vec<Unreadable>> {
    let bytes = match fs::read(pkg.join(UNREADABLE)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {UNREADABLE}")),
    };
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{UNREADABLE}: not a list of {{host, file, reason}}"))
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
        unreadable: load_unreadable(pkg)?,
    })
}

impl Contents {
    /// Counts and readiness, derived; never ready when hosts were left out.
    pub fn derive(&self) -> Derived {
        let mut d = Derived::derive(&self.fleet, &self.poam, &self.attestations, &self.evidence);
        d.readiness = d.readiness.with_unreadable(&self.unreadable);
        d
    }
}
