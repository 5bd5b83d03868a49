//! `signature`, `signed-subjects` and `audit-inclusion`: with `--trusted-key`, the
//! signed provenance (see `package/signed.rs`) is checked once and each of its three
//! findings is a report entry. Without a key nothing is checked, and the report carries
//! a warning instead, since only a pinned key says who signed.

use std::collections::BTreeMap;

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::hashlist::{ENVELOPE, OUTSIDE};
use crate::package::signed::{self, Finding};

pub const SIGNATURE: CheckSpec = CheckSpec {
    name: "signature",
    what: "with `--trusted-key`: the envelope exists and a signature verifies with one of the trusted keys (otherwise the key ids tried are named)",
    run: |f| finding(f, "signature"),
};

pub const SIGNED_SUBJECTS: CheckSpec = CheckSpec {
    name: "signed-subjects",
    what: "with `--trusted-key`: the signed subjects are exactly the files present outside the three unlisted ones, each with its SHA-256 (names files not signed, signed but missing, changed since signing)",
    run: |f| finding(f, "signed-subjects"),
};

pub const AUDIT_INCLUSION: CheckSpec = CheckSpec {
    name: "audit-inclusion",
    what: "with `--trusted-key`: the embedded audit entry holds this package's hash, its inclusion proof leads to the embedded checkpoint's root, and the checkpoint is signed by the same trusted key",
    run: |f| finding(f, "audit-inclusion"),
};

/// The report's warnings: without trusted keys, that the signature (or its absence) was
/// not checked.
pub fn warnings(f: &Facts) -> Vec<String> {
    if !f.trusted.is_empty() {
        return Vec::new();
    }
    vec![if f.pkg.join(ENVELOPE).is_file() {
        format!("signed ({ENVELOPE}), but the signature was not checked: pass --trusted-key PUB")
    } else {
        format!("unsigned: the package has no {ENVELOPE} (export with --sign-key KEY to sign it)")
    }]
}

/// Check `name`'s finding; `None` without trusted keys, or when verification stopped
/// before it (no signature verifies: nothing signed can be compared).
fn finding(f: &Facts, name: &str) -> Option<Verdict> {
    if f.trusted.is_empty() {
        return None;
    }
    let found = f.signed.get_or_init(|| verify(f));
    debug_assert!(
        found
            .iter()
            .all(|x| [SIGNATURE, SIGNED_SUBJECTS, AUDIT_INCLUSION]
                .iter()
                .any(|c| c.name == x.check)),
        "a finding of signed::verify has no row in CHECKS"
    );
    found.iter().find(|x| x.check == name).map(|x| Verdict {
        passed: x.passed,
        message: x.message.clone(),
        files: if x.passed {
            vec![]
        } else {
            vec![ENVELOPE.to_owned()]
        },
    })
}

/// The envelope against the trusted keys and against every file present outside the
/// hash list's three (their SHA-256 from the cache, as hashed for the other checks).
fn verify(f: &Facts) -> Vec<Finding> {
    let mut present = BTreeMap::new();
    for p in f.on_disk.iter().filter(|p| !OUTSIDE.contains(&p.as_str())) {
        let digest = f
            .digests
            .sha256_file(&f.pkg.join(p))
            .map(|(h, _)| h)
            .unwrap_or_else(|e| format!("(unreadable: {e})"));
        present.insert(p.clone(), digest);
    }
    signed::verify(f.pkg, f.trusted, &present, &f.package_hash())
}
