//! `layout`: the folders and files every package has are there.

use stig_formats::package_artifacts::paths;

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::hashlist::{HASH_LIST, MANIFEST};
use crate::package::layout::{PROVENANCE, REQUIRED_DIRS};

pub const LAYOUT: CheckSpec = CheckSpec {
    name: "layout",
    what: "required folders and files present",
    run,
};

/// The files every package has, beside [`REQUIRED_DIRS`].
const REQUIRED_FILES: &[&str] = &[
    HASH_LIST,
    MANIFEST,
    PROVENANCE,
    paths::README,
    paths::POAM_CSV,
    paths::POAM_JSON,
    paths::POAM_SUMMARY,
    paths::ATTESTATIONS_JSON,
    paths::ATTESTATION_TEMPLATE,
    paths::ATTESTATION_INSTRUCTIONS,
    paths::INDEX_EVIDENCE,
    paths::INDEX_SCAN_SOURCE,
    paths::INDEX_NA,
    paths::INDEX_HTML,
];

fn run(f: &Facts) -> Option<Verdict> {
    let dirs = REQUIRED_DIRS
        .iter()
        .filter(|d| !f.pkg.join(d).is_dir())
        .map(|d| format!("{d}/"));
    let files = REQUIRED_FILES
        .iter()
        .filter(|p| !f.pkg.join(p).is_file())
        .map(|p| (*p).to_owned());
    Some(Verdict::from_problems(
        dirs.chain(files).collect::<Vec<_>>(),
        "every required folder and file is present".into(),
        "required folders or files are missing".into(),
    ))
}
