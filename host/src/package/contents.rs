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
use stig_formats::poam::outline::PoamOutline;

use super::layout::{CHECKLISTS, EVIDENCE, UNREADABLE};
use stig_formats::import::Unreadable;

/// Counts and readiness as the manifest states them: the same derivation the `emass`
/// component runs, here applied to what the package's files say.
pub use stig_formats::package_facts::{Counts, PackageFacts as Derived};

/// The parsed artifacts of a package.
#[derive(Debug, Clone)]
pub struct Contents {
    pub fleet: FleetView,
    /// `poam.json` without its texts: what the checks and readiness need of it.
    pub poam: PoamOutline,
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

/// Reads the fleet from `02_Checklists/<host>/*.ckl|*.cklb`. Parsing is most of
/// `validate`'s CPU (13.7 GB of checklists at 4,000 hosts), so a wave of hosts is parsed
/// on every core, then folded into the view in host order: the view, and every error,
/// are those of reading one host after another, and memory holds one wave's parse.
fn load_fleet(pkg: &Path) -> anyhow::Result<(FleetView, Vec<String>)> {
    let root = pkg.join(CHECKLISTS);
    let mut hosts: Vec<String> = Vec::new();
    for e in fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))? {
        let e = e?;
        if e.file_type()?.is_dir() {
            hosts.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    hosts.sort();
    let jobs = crate::parallel::jobs();
    let mut builder = FleetBuilder::for_checking();
    let mut files_read = Vec::new();
    for wave in hosts.chunks(jobs * 4) {
        // Every host of the wave keeps its own outcome, so the error reported is the
        // one of the first host that fails to parse or to fold, as one by one.
        let read = crate::parallel::map(wave, jobs, |_, host| read_host(&root, host));
        for r in read {
            let (results, files) = r?;
            builder
                .add_host(&results)
                .with_context(|| format!("{CHECKLISTS}/{}", results.host))?;
            files_read.extend(files);
        }
    }
    Ok((builder.finish(), files_read))
}

/// One host's checklists, parsed, with the package paths read (in name order).
fn read_host(root: &Path, host: &str) -> anyhow::Result<(HostResults, Vec<String>)> {
    let dir = root.join(host);
    let mut files: Vec<String> = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut results = HostResults {
        host: host.to_owned(),
        checklists: Vec::new(),
    };
    let mut files_read = Vec::new();
    for f in files {
        let rel = format!("{CHECKLISTS}/{host}/{f}");
        type Reader = fn(&[u8], &str) -> stig_formats::Result<stig_formats::model::Checklist>;
        let read: Reader = if f.ends_with(".ckl") {
            stig_formats::ckl::read
        } else if f.ends_with(".cklb") {
            stig_formats::cklb::read
        } else {
            continue;
        };
        let bytes = fs::read(dir.join(&f)).with_context(|| format!("reading {rel}"))?;
        let mut c = read(&bytes, &rel)?;
        c.source.file = rel.clone();
        results.checklists.push(c);
        files_read.push(rel);
    }
    Ok((results, files_read))
}

/// Reads the package's artifacts. Errors name the file.
pub fn load(pkg: &Path) -> anyhow::Result<Contents> {
    let (fleet, checklist_files) = load_fleet(pkg)?;
    // Both files grow with the fleet (about 290 MB and 80 MB at 4,000 hosts): they are
    // parsed as they are read, never held as text beside their parse.
    let poam = PoamOutline::from_reader(open_buffered(pkg, paths::POAM_JSON)?)
        .with_context(|| format!("{}: not a stigpack POA&M", paths::POAM_JSON))?;
    let attestations = AttestationFile::from_reader(open_buffered(pkg, paths::ATTESTATIONS_JSON)?)
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

fn open_buffered(pkg: &Path, rel: &str) -> anyhow::Result<std::io::BufReader<fs::File>> {
    let f = fs::File::open(pkg.join(rel)).with_context(|| format!("reading {rel}"))?;
    Ok(std::io::BufReader::with_capacity(1 << 20, f))
}

impl Contents {
    /// Counts and readiness, derived; never ready when hosts were left out.
    pub fn derive(&self) -> Derived {
        let mut d = Derived::derive(&self.fleet, &self.poam, &self.attestations, &self.evidence);
        d.readiness = d.readiness.with_unreadable(&self.unreadable);
        d
    }
}
