//! `package-hash`: the manifest names the hash list by its SHA-256 (and by the
//! reference validator's H1), so the list and the manifest are one record.

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::hashlist::{self, HASH_LIST, MANIFEST};

pub const PACKAGE_HASH: CheckSpec = CheckSpec {
    name: "package-hash",
    what: "packageHash and packageHashH1 = SHA-256 of the list",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let computed = f.package_hash();
    let mut problems = Vec::new();
    if f.manifest["packageHash"].as_str() != Some(computed.as_str()) {
        problems.push(format!(
            "{MANIFEST}: packageHash {} but SHA-256 of {HASH_LIST} is {computed}",
            f.manifest["packageHash"]
        ));
    }
    if f.manifest["packageHashH1"].as_str() != Some(hashlist::h1(&f.list_text).as_str()) {
        problems.push(format!("{MANIFEST}: packageHashH1 does not match"));
    }
    Some(Verdict::from_problems(
        problems,
        format!("packageHash {computed} matches"),
        "package hash mismatch".into(),
    ))
}
