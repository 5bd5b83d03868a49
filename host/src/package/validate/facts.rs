//! What `validate` reads from a package, read once before any check runs: the manifest,
//! the hash list and the SHA-256 of every listed file (on every core), the files on disk,
//! the parsed artifacts, the workbook, and the counts and readiness re-derived from them.
//! The checks are then functions of these facts; what cannot be read is kept as the
//! message a check reports.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;

use serde_json::Value;
use stig_formats::poam::check::WorkbookReport;
use stig_formats::readiness::Readiness;
use stigpack_sign::keys::PublicKey;

use super::super::contents::{self, Contents, Derived};
use super::super::hashlist::{self, Entry, HASH_LIST, MANIFEST};
use super::super::signed::Finding;
use super::workbook::{self, WorkbookRead};
use crate::hashing::DigestCache;

/// A package that cannot be validated at all (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub String);

/// The package as `validate` found it.
#[derive(Debug)]
pub struct Facts<'a> {
    pub pkg: &'a Path,
    /// The keys `--trusted-key` pinned; none: the signature is not checked.
    pub trusted: &'a [PublicKey],
    pub manifest_text: String,
    pub manifest: Value,
    /// `00_Manifest/sha256sums.txt` as text (empty when unreadable).
    pub list_text: String,
    /// Its entries; empty when it is malformed.
    pub listed: Vec<Entry>,
    /// Why the hash list is malformed.
    pub list_error: Option<String>,
    /// Each listed file's SHA-256 and size as on disk, in the order of `listed`.
    pub hashed: Vec<io::Result<(String, u64)>>,
    /// Every regular file of the package, package-relative, byte-sorted.
    pub on_disk: BTreeSet<String>,
    /// Every file hashed so far; later checks ask it again instead of rereading.
    pub digests: DigestCache,
    /// The parsed artifacts, or why they cannot be read.
    pub contents: Result<Contents, String>,
    /// `03_POAM/poam.xlsx` checked against its template; `None` when there is none.
    pub workbook: Option<WorkbookRead>,
    /// Counts and readiness re-derived from the contents (with the workbook's verdict).
    pub derived: Option<Derived>,
    /// The signature checks' findings, made once for the three checks that report them.
    pub signed: OnceCell<Vec<Finding>>,
}

impl<'a> Facts<'a> {
    /// Reads `pkg`; `Unusable` when it is not a directory or has no JSON manifest.
    pub fn read(pkg: &'a Path, trusted: &'a [PublicKey]) -> Result<Facts<'a>, Unusable> {
        if !pkg.is_dir() {
            return Err(Unusable(format!("{}: not a directory", pkg.display())));
        }
        let manifest_text = fs::read_to_string(pkg.join(MANIFEST))
            .map_err(|e| Unusable(format!("{}: cannot read {MANIFEST}: {e}", pkg.display())))?;
        let manifest: Value = serde_json::from_str(&manifest_text)
            .map_err(|e| Unusable(format!("{}/{MANIFEST}: not JSON: {e}", pkg.display())))?;
        let list_text = fs::read(pkg.join(HASH_LIST))
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let (listed, list_error) = match hashlist::parse(&list_text) {
            Ok(l) => (l, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let digests = DigestCache::new();
        // Hashing is mostly waiting for the disk, reading the contents mostly parsing:
        // the two run side by side.
        let (hashed, (contents, workbook)) = std::thread::scope(|s| {
            let hashing = s.spawn(|| hash_listed(pkg, &listed, &digests));
            let read = (
                contents::load(pkg).map_err(|e| format!("{e:#}")),
                workbook::read(pkg),
            );
            let hashed = hashing
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (hashed, read)
        });
        let on_disk = hashlist::walk(pkg)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let derived = contents.as_ref().ok().map(|c| derive(c, &workbook));
        Ok(Facts {
            pkg,
            trusted,
            manifest_text,
            manifest,
            list_text,
            listed,
            list_error,
            hashed,
            on_disk,
            digests,
            contents,
            workbook,
            derived,
            signed: OnceCell::new(),
        })
    }

    /// The bytes of the listed files found on disk.
    pub fn listed_bytes(&self) -> u64 {
        self.hashed.iter().flatten().map(|(_, n)| n).sum()
    }

    /// The package hash: SHA-256 of the hash list.
    pub fn package_hash(&self) -> String {
        hashlist::package_hash(&self.list_text)
    }

    /// The contents with what was derived from them; `None` when they cannot be read.
    pub fn contents(&self) -> Option<(&Contents, &Derived)> {
        Some((self.contents.as_ref().ok()?, self.derived.as_ref()?))
    }

    /// What the report keeps once the checks ran: the re-derived readiness and the
    /// workbook's check.
    pub fn into_outcome(self) -> (Option<Readiness>, Option<WorkbookReport>) {
        (
            self.derived.map(|d| d.readiness),
            self.workbook.and_then(|w| w.result.ok()),
        )
    }
}

/// Every listed file hashed once, on every core; later checks ask the same cache again
/// instead of reading the package a second time.
fn hash_listed(
    pkg: &Path,
    listed: &[Entry],
    digests: &DigestCache,
) -> Vec<io::Result<(String, u64)>> {
    crate::parallel::map(listed, crate::parallel::jobs(), |_, e| {
        digests.sha256_file(&pkg.join(&e.path))
    })
}

/// Counts and readiness from the contents; the workbook's broken rules (read from its
/// bytes) are part of the readiness, so it must name the same ones as the manifest.
fn derive(c: &Contents, workbook: &Option<WorkbookRead>) -> Derived {
    let mut derived = c.derive();
    if let Some(WorkbookRead { result: Ok(w), .. }) = workbook {
        derived.readiness = derived.readiness.with_workbook(&w.problems);
    }
    derived
}
