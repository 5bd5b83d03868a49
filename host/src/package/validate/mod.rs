//! `stigpack validate`: every check the reference validator makes, and more, each with a
//! pass/fail and the files involved; then a READY / NOT READY verdict.
//!
//! Nothing the package says about itself is trusted: hashes are recomputed, counts and
//! readiness are re-derived from the checklists, POA&M, attestations and evidence, and the
//! artifacts are checked against each other and against the provenance record.
//!
//! How it is laid out: `facts` reads the package once (manifest, hash list, hashes,
//! contents, workbook, readiness); each check is a module under `check` with its name,
//! what it checks and how it turns the facts into its report entry; [`CHECKS`] lists them
//! in report order, and the text report, the JSON report and the docs table are all made
//! from that one list.

mod check;
mod facts;
mod pairs;
mod report;
mod rows;
mod spec;
mod workbook;

use std::path::Path;

use stigpack_sign::keys::PublicKey;

pub use facts::Unusable;
pub use report::{render_text, render_workbook, Check, Report};
pub(crate) use workbook::recorded_template;

use facts::Facts;
use spec::CheckSpec;

/// Every check `validate` makes, in the order the report shows them. Each entry carries
/// the check's name (the `name` of a report entry, text and JSON), what it checks (the
/// table under "## validate" in `docs/package.md` is rendered from this list by
/// [`docs_table`], and a test holds the two equal) and the function that makes its entry.
pub const CHECKS: &[CheckSpec] = &[
    check::layout::LAYOUT,
    check::hash_list::FORMAT,
    check::hash_list::HASHES,
    check::hash_list::NO_UNLISTED_FILES,
    check::package_hash::PACKAGE_HASH,
    check::manifest_format::MANIFEST_FORMAT,
    check::artifacts::ARTIFACTS_READABLE,
    check::poam_workbook::POAM_WORKBOOK,
    check::manifest_consistent::MANIFEST_CONSISTENT,
    check::unreadable_hosts::UNREADABLE_HOSTS,
    check::index::INDEX_VS_CHECKLISTS,
    check::attestations::ATTESTATIONS_VS_CHECKLISTS,
    check::poam::POAM_VS_CHECKLISTS,
    check::provenance::PROVENANCE,
    check::signature::SIGNATURE,
    check::signature::SIGNED_SUBJECTS,
    check::signature::AUDIT_INCLUSION,
];

/// The Markdown table of [`CHECKS`], as `docs/package.md` shows it.
pub fn docs_table() -> String {
    let mut s = String::from("| check | what |\n|---|---|\n");
    for c in CHECKS {
        s.push_str(&format!("| `{}` | {} |\n", c.name, c.what));
    }
    s
}

/// Runs every check on `pkg`.
pub fn validate(pkg: &Path) -> Result<Report, Unusable> {
    validate_with(pkg, &[])
}

/// [`validate`], and with `trusted` keys also the signed provenance: a valid signature by
/// one of them over exactly the files present (see [`super::signed`]).
pub fn validate_with(pkg: &Path, trusted: &[PublicKey]) -> Result<Report, Unusable> {
    let facts = Facts::read(pkg, trusted)?;
    let checks: Vec<Check> = CHECKS
        .iter()
        .filter_map(|c| Some(Check::new(c.name, (c.run)(&facts)?)))
        .collect();
    let warnings = check::signature::warnings(&facts);
    let (readiness, workbook) = facts.into_outcome();
    Ok(Report::new(pkg, checks, warnings, readiness, workbook))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_checks_are_the_checks_made() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/package.md"))
                .unwrap();
        let section = doc.split("\n## validate\n").nth(1).unwrap();
        let start = section.find("| check | what |").unwrap();
        let table: String = section[start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            table,
            docs_table(),
            "docs/package.md's validate table differs from CHECKS; it should read:\n{}",
            docs_table()
        );
    }

    #[test]
    fn each_check_is_listed_once() {
        let mut names: Vec<&str> = CHECKS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CHECKS.len());
    }
}
