//! The hash list against the files: `hash-list-format` (it parses), `hashes` (every
//! listed file is there with its SHA-256) and `no-unlisted-files` (every file is listed).
//! One family: together they say the list and the disk are the same set of bytes.

use std::collections::BTreeSet;

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::hashlist::{HASH_LIST, OUTSIDE};

pub const FORMAT: CheckSpec = CheckSpec {
    name: "hash-list-format",
    what: "sha256sum format, byte-sorted, canonical paths, no BOM",
    run: format,
};

pub const HASHES: CheckSpec = CheckSpec {
    name: "hashes",
    what: "every listed file present with the listed SHA-256",
    run: hashes,
};

pub const NO_UNLISTED_FILES: CheckSpec = CheckSpec {
    name: "no-unlisted-files",
    what: "every file on disk listed (except the two outside the list)",
    run: no_unlisted_files,
};

fn format(f: &Facts) -> Option<Verdict> {
    Some(match &f.list_error {
        None => Verdict::from_problems(
            Vec::new(),
            "sha256sum format, / separators, byte-sorted, no BOM".into(),
            String::new(),
        ),
        Some(e) => Verdict::from_problems(
            vec![HASH_LIST.to_owned()],
            String::new(),
            format!("malformed: {e}"),
        ),
    })
}

fn hashes(f: &Facts) -> Option<Verdict> {
    let mut bad = Vec::new();
    for (e, hashed) in f.listed.iter().zip(&f.hashed) {
        match hashed {
            Ok((h, _)) if *h != e.sha256 => {
                bad.push(format!("{} (listed {}, actual {h})", e.path, e.sha256))
            }
            Ok(_) => {}
            Err(_) => bad.push(format!("{} (listed but missing)", e.path)),
        }
    }
    Some(Verdict::from_problems(
        bad,
        format!(
            "all {} listed files present with the listed SHA-256",
            f.listed.len()
        ),
        "listed files are missing or have a different SHA-256".into(),
    ))
}

fn no_unlisted_files(f: &Facts) -> Option<Verdict> {
    let listed: BTreeSet<&str> = f.listed.iter().map(|e| e.path.as_str()).collect();
    let unlisted: Vec<String> = f
        .on_disk
        .iter()
        .filter(|p| !listed.contains(p.as_str()) && !OUTSIDE.contains(&p.as_str()))
        .cloned()
        .collect();
    Some(Verdict::from_problems(
        unlisted,
        "every file on disk is in the hash list".into(),
        "files on disk are not in the hash list".into(),
    ))
}
