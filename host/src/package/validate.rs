//! `stigpack validate`: every check the reference validator makes, and more, each with a
//! pass/fail and the files involved; then a READY / NOT READY verdict.
//!
//! Nothing the package says about itself is trusted: hashes are recomputed, counts and
//! readiness are re-derived from the checklists, POA&M, attestations and evidence, and the
//! artifacts are checked against each other and against the provenance record.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use stig_formats::attest::effective_status;
use stig_formats::control_view::{ckl_status, ControlResult, FleetView, HostView};
use stig_formats::model::Status;
use stig_formats::package_artifacts::paths;
use stig_formats::poam::profile;
use stig_formats::readiness::Readiness;

use super::contents::{self, Contents};
use super::hashlist::{self, ENVELOPE, HASH_LIST, MANIFEST};
use super::layout::*;
use super::manifest;
use super::signed;
use super::thirdparty::EXTRA;
use crate::hashing::DigestCache;
use stigpack_sign::keys::PublicKey;

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub message: String,
    pub files: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub package: String,
    pub valid: bool,
    pub ready: bool,
    pub verdict: String,
    pub checks: Vec<Check>,
    /// Findings that do not make the package invalid (an unsigned package).
    pub warnings: Vec<String>,
    pub readiness: Option<stig_formats::readiness::Readiness>,
    /// The pre-upload check of `03_POAM/poam.xlsx` (see [`poam_workbook`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poam_workbook: Option<stig_formats::poam::check::WorkbookReport>,
}

/// A package that cannot be validated at all (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub String);

/// Every check `validate` makes: its name (the `name` of a report entry, text and JSON)
/// and what it checks. The table under "## validate" in `docs/package.md` is rendered
/// from this list ([`docs_table`]) and a test holds the two equal, so the documented
/// checks are the checks made.
pub const CHECKS: &[(&str, &str)] = &[
    (
        "layout",
        "required folders and files present",
    ),
    (
        "hash-list-format",
        "sha256sum format, byte-sorted, canonical paths, no BOM",
    ),
    (
        "hashes",
        "every listed file present with the listed SHA-256",
    ),
    (
        "no-unlisted-files",
        "every file on disk listed (except the two outside the list)",
    ),
    (
        "package-hash",
        "packageHash and packageHashH1 = SHA-256 of the list",
    ),
    (
        "manifest-format",
        "sorted keys, 2-space indent, trailing newline",
    ),
    (
        "artifacts-readable",
        "checklists, poam.json, attestations.json parse",
    ),
    (
        "poam-workbook",
        "`03_POAM/poam.xlsx` can be read and checked against the eMASS template the export recorded (a workbook eMASS would refuse makes the package NOT READY with each broken rule listed, see \"The eMASS workbook\")",
    ),
    (
        "manifest-consistent",
        "fileCount, totalBytes, counts, POA&M and attestation totals and readiness recomputed from the contents equal the manifest's; `options.poamLayoutSha256` is the SHA-256 of the packaged layout file (absent when there is none)",
    ),
    (
        "index-vs-checklists",
        "one index row per control per host with the status the checklists and attestations give; NA report matches",
    ),
    (
        "attestations-vs-checklists",
        "one record per Not_Reviewed control, none for decided ones",
    ),
    (
        "poam-vs-checklists",
        "poam.csv rows = poam.json items, ids 1..n, no host in two items of one control, no item for a control that is not open",
    ),
    (
        "provenance",
        "every generated file is a recorded output and every raw input a recorded input, with matching SHA-256",
    ),
    (
        "unreadable-hosts",
        "(only when the package left hosts out) each listed host's file is kept under `01_Scans/<host>/` and the host has no checklists; the readiness re-derived from the contents is NOT READY with each host in `blocking.unreadableHosts`",
    ),
    (
        "signature",
        "with `--trusted-key`: the envelope exists and a signature verifies with one of the trusted keys (otherwise the key ids tried are named)",
    ),
    (
        "signed-subjects",
        "with `--trusted-key`: the signed subjects are exactly the files present outside the three unlisted ones, each with its SHA-256 (names files not signed, signed but missing, changed since signing)",
    ),
    (
        "audit-inclusion",
        "with `--trusted-key`: the embedded audit entry holds this package's hash, its inclusion proof leads to the embedded checkpoint's root, and the checkpoint is signed by the same trusted key",
    ),
];

/// The Markdown table of [`CHECKS`], as `docs/package.md` shows it.
pub fn docs_table() -> String {
    let mut s = String::from("| check | what |\n|---|---|\n");
    for (name, what) in CHECKS {
        s.push_str(&format!("| `{name}` | {what} |\n"));
    }
    s
}

const MAX_FILES: usize = 200;

struct Checks(Vec<Check>);

impl Checks {
    fn add(&mut self, name: &str, failing: Vec<String>, ok_msg: String, fail_msg: String) {
        self.add_problems(name, failing.into(), ok_msg, fail_msg);
    }

    fn add_problems(&mut self, name: &str, failing: Problems, ok_msg: String, fail_msg: String) {
        debug_assert!(
            CHECKS.iter().any(|(n, _)| *n == name),
            "check {name:?} is not in CHECKS"
        );
        let passed = failing.is_empty();
        let Problems { mut shown, total } = failing;
        if total > shown.len() {
            shown.push(format!("... and {} more", total - shown.len()));
        }
        self.0.push(Check {
            name: name.to_owned(),
            passed,
            message: if passed { ok_msg } else { fail_msg },
            files: shown,
        });
    }
}

fn col(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

/// A check's problems: the first [`MAX_FILES`] kept for the report, the rest only
/// counted, so a package that disagrees on every row cannot make the validator hold a
/// message per row.
#[derive(Debug, Default)]
struct Problems {
    shown: Vec<String>,
    total: usize,
}

impl Problems {
    fn push(&mut self, p: String) {
        self.total += 1;
        if self.shown.len() < MAX_FILES {
            self.shown.push(p);
        }
    }

    fn append(&mut self, other: Problems) {
        let unshown = other.total - other.shown.len();
        for p in other.shown {
            self.push(p);
        }
        self.total += unshown;
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl From<Vec<String>> for Problems {
    fn from(mut shown: Vec<String>) -> Self {
        let total = shown.len();
        shown.truncate(MAX_FILES);
        Problems { shown, total }
    }
}

/// One CSV file of the package, read a record at a time (the indexes hold a row per
/// control per host: 800,000 rows for 1,000 hosts, never held whole).
struct CsvRows {
    rel: &'static str,
    reader: csv::Reader<fs::File>,
    header: Vec<String>,
    record: csv::StringRecord,
}

impl CsvRows {
    fn open(pkg: &Path, rel: &'static str) -> Result<CsvRows, String> {
        let file = fs::File::open(pkg.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
        let mut reader = csv::ReaderBuilder::new().from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| format!("{rel}: {e}"))?
            .iter()
            .map(str::to_owned)
            .collect();
        Ok(CsvRows {
            rel,
            reader,
            header,
            record: csv::StringRecord::new(),
        })
    }

    fn col(&self, name: &str) -> Option<usize> {
        col(&self.header, name)
    }

    /// The next record; `None` at the end. Every record has the header's length (the
    /// reader refuses others), so indexes from [`Self::col`] are in range.
    fn next(&mut self) -> Result<Option<&csv::StringRecord>, String> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => Ok(Some(&self.record)),
            Ok(false) => Ok(None),
            Err(e) => Err(format!("{}: {e}", self.rel)),
        }
    }
}

fn field(row: &csv::StringRecord, i: usize) -> &str {
    row.get(i).unwrap_or("")
}

/// The (host, control) key of an index row: the Vuln ID, or the Rule ID when a control
/// has none (as [`stig_formats::control_view::control_id`] names controls).
fn row_key(row: &csv::StringRecord, host: usize, vuln: usize, rule: usize) -> (&str, &str) {
    let v = field(row, vuln);
    (
        field(row, host),
        if v.is_empty() { field(row, rule) } else { v },
    )
}

/// The fleet's (host, control) pairs numbered in (host, control) order, so an index row
/// is ticked off with one bit instead of a copy of its key.
struct Pairs<'a> {
    fleet: &'a FleetView,
    /// Number of the first control of each host.
    start: Vec<usize>,
    len: usize,
}

impl<'a> Pairs<'a> {
    fn new(fleet: &'a FleetView) -> Self {
        let mut start = Vec::with_capacity(fleet.hosts.len());
        let mut len = 0;
        for h in &fleet.hosts {
            start.push(len);
            len += h.controls.len();
        }
        Pairs { fleet, start, len }
    }

    fn find(&self, host: &str, id: &str) -> Option<(usize, &'a ControlResult)> {
        let hi = self
            .fleet
            .hosts
            .binary_search_by(|h| h.name.as_str().cmp(host))
            .ok()?;
        let controls = &self.fleet.hosts[hi].controls;
        let ci = controls
            .binary_search_by(|c| c.control_id.as_str().cmp(id))
            .ok()?;
        Some((self.start[hi] + ci, &controls[ci]))
    }

    /// Every pair in order, with its number.
    fn iter(&self) -> impl Iterator<Item = (usize, &'a HostView, &'a ControlResult)> + '_ {
        self.fleet
            .hosts
            .iter()
            .zip(&self.start)
            .flat_map(|(h, &s)| {
                h.controls
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| (s + i, h, c))
            })
    }
}

/// One bit per (host, control) pair.
struct Seen(Vec<u64>);

impl Seen {
    fn new(n: usize) -> Self {
        Seen(vec![0; n.div_ceil(64)])
    }

    /// Marks `i`; true if it was already marked.
    fn mark(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, 1u64 << (i % 64));
        let was = self.0[w] & b != 0;
        self.0[w] |= b;
        was
    }

    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1u64 << (i % 64)) != 0
    }
}

/// How many distinct index rows naming controls no checklist has are remembered (to list
/// them sorted and spot their duplicates); beyond this a tampered index's extra rows are
/// only counted, so its size cannot drive the validator's memory.
const EXTRA_ROWS_KEPT: usize = 100_000;

/// Runs every check on `pkg`.
pub fn validate(pkg: &Path) -> Result<Report, Unusable> {
    validate_with(pkg, &[])
}

/// [`validate`], and with `trusted` keys also the signed provenance: a valid signature by
/// one of them over exactly the files present (see [`super::signed`]).
pub fn validate_with(pkg: &Path, trusted: &[PublicKey]) -> Result<Report, Unusable> {
    if !pkg.is_dir() {
        return Err(Unusable(format!("{}: not a directory", pkg.display())));
    }
    let manifest_text = fs::read_to_string(pkg.join(MANIFEST))
        .map_err(|e| Unusable(format!("{}: cannot read {MANIFEST}: {e}", pkg.display())))?;
    let manifest: Value = serde_json::from_str(&manifest_text)
        .map_err(|e| Unusable(format!("{}/{MANIFEST}: not JSON: {e}", pkg.display())))?;
    let mut checks = Checks(Vec::new());

    // Layout.
    let mut missing = Vec::new();
    for d in REQUIRED_DIRS {
        if !pkg.join(d).is_dir() {
            missing.push(format!("{d}/"));
        }
    }
    for f in [
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
    ] {
        if !pkg.join(f).is_file() {
            missing.push(f.to_owned());
        }
    }
    checks.add(
        "layout",
        missing,
        "every required folder and file is present".into(),
        "required folders or files are missing".into(),
    );

    // Hash list.
    let list_bytes = fs::read(pkg.join(HASH_LIST)).unwrap_or_default();
    let list_text = String::from_utf8(list_bytes.clone()).unwrap_or_default();
    let listed = match hashlist::parse(&list_text) {
        Ok(l) => {
            checks.add(
                "hash-list-format",
                vec![],
                "sha256sum format, / separators, byte-sorted, no BOM".into(),
                String::new(),
            );
            l
        }
        Err(e) => {
            checks.add(
                "hash-list-format",
                vec![HASH_LIST.to_owned()],
                String::new(),
                format!("malformed: {e}"),
            );
            Vec::new()
        }
    };
    // Every listed file is hashed once, on every core; the provenance check below asks
    // the same cache again instead of reading the package a second time.
    let digests = DigestCache::new();
    let hashed = crate::parallel::try_map(&listed, crate::parallel::jobs(), |_, e| {
        Ok::<_, std::convert::Infallible>(digests.sha256_file(&pkg.join(&e.path)))
    })
    .unwrap_or_else(|never| match never {});
    let mut bad_hash = Vec::new();
    let mut listed_bytes = 0u64;
    for (e, hashed) in listed.iter().zip(hashed) {
        match hashed {
            Ok((h, n)) => {
                listed_bytes += n;
                if h != e.sha256 {
                    bad_hash.push(format!("{} (listed {}, actual {h})", e.path, e.sha256));
                }
            }
            Err(_) => bad_hash.push(format!("{} (listed but missing)", e.path)),
        }
    }
    checks.add(
        "hashes",
        bad_hash,
        format!(
            "all {} listed files present with the listed SHA-256",
            listed.len()
        ),
        "listed files are missing or have a different SHA-256".into(),
    );
    let on_disk: BTreeSet<String> = hashlist::walk(pkg)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let listed_set: BTreeSet<String> = listed.iter().map(|e| e.path.clone()).collect();
    let unlisted: Vec<String> = on_disk
        .iter()
        .filter(|p| !listed_set.contains(*p) && !hashlist::OUTSIDE.contains(&p.as_str()))
        .cloned()
        .collect();
    checks.add(
        "no-unlisted-files",
        unlisted,
        "every file on disk is in the hash list".into(),
        "files on disk are not in the hash list".into(),
    );

    // Manifest.
    let computed_hash = hashlist::package_hash(&list_text);
    let mut hash_problems = Vec::new();
    if manifest["packageHash"].as_str() != Some(computed_hash.as_str()) {
        hash_problems.push(format!(
            "{MANIFEST}: packageHash {} but SHA-256 of {HASH_LIST} is {computed_hash}",
            manifest["packageHash"]
        ));
    }
    if manifest["packageHashH1"].as_str() != Some(hashlist::h1(&list_text).as_str()) {
        hash_problems.push(format!("{MANIFEST}: packageHashH1 does not match"));
    }
    checks.add(
        "package-hash",
        hash_problems,
        format!("packageHash {computed_hash} matches"),
        "package hash mismatch".into(),
    );
    let canonical = manifest::to_text(manifest.clone());
    checks.add(
        "manifest-format",
        if canonical == manifest_text {
            vec![]
        } else {
            vec![MANIFEST.to_owned()]
        },
        "sorted keys, 2-space indent, trailing newline".into(),
        "manifest.json is not in canonical form (sorted keys, 2-space indent, trailing newline)"
            .into(),
    );

    let contents = match contents::load(pkg) {
        Ok(c) => Some(c),
        Err(e) => {
            checks.add(
                "artifacts-readable",
                vec![format!("{e:#}")],
                String::new(),
                "package artifacts cannot be read".into(),
            );
            None
        }
    };
    // The workbook read from its bytes (calamine), independently of the component's
    // plan: the readiness re-derived here must name the same broken rules as the manifest.
    let poam_workbook = poam_workbook(pkg, &mut checks);
    let mut readiness = None;
    if let Some(c) = &contents {
        let mut derived = c.derive();
        if let Some(w) = &poam_workbook {
            derived.readiness = derived.readiness.with_workbook(&w.problems);
        }
        let mut wrong = Vec::new();
        let mut expect = |field: &str, actual: Value| {
            if manifest[field] != actual {
                wrong.push(format!(
                    "{MANIFEST}: {field} is {} but the package has {}",
                    manifest[field], actual
                ));
            }
        };
        expect("fileCount", Value::from(listed.len()));
        expect("totalBytes", Value::from(listed_bytes));
        expect("hostCount", Value::from(derived.hosts.len()));
        expect("totalControls", Value::from(derived.totals.controls));
        expect(
            "statusTotals",
            serde_json::to_value(&derived.totals).unwrap_or_default(),
        );
        expect(
            "hosts",
            serde_json::to_value(&derived.hosts).unwrap_or_default(),
        );
        expect("poamItems", Value::from(derived.poam_items));
        expect(
            "unreadableHosts",
            if c.unreadable.is_empty() {
                Value::Null
            } else {
                serde_json::to_value(&c.unreadable).unwrap_or_default()
            },
        );
        expect(
            "attestations",
            serde_json::json!({"total": derived.attestations, "pending": derived.attestations_pending}),
        );
        expect(
            "submissionReadiness",
            serde_json::to_value(&derived.readiness).unwrap_or_default(),
        );
        // A layout file in the package is what options.poamLayoutSha256 names.
        let layout_sha = digests
            .sha256_file(&pkg.join(paths::POAM_LAYOUT_FILE))
            .ok()
            .map(|(h, _)| h);
        if manifest["options"]["poamLayoutSha256"].as_str() != layout_sha.as_deref() {
            wrong.push(format!(
                "{MANIFEST}: options.poamLayoutSha256 is {} but {} {}",
                manifest["options"]["poamLayoutSha256"],
                paths::POAM_LAYOUT_FILE,
                match &layout_sha {
                    Some(h) => format!("has SHA-256 {h}"),
                    None => "is not in the package".to_owned(),
                }
            ));
        }
        checks.add(
            "manifest-consistent",
            wrong,
            "counts and readiness in manifest.json match the package's contents".into(),
            "manifest.json disagrees with the package's contents".into(),
        );
        if !c.unreadable.is_empty() {
            check_unreadable(pkg, c, &mut checks);
        }
        cross_checks(pkg, c, &derived.readiness, &mut checks);
        provenance_checks(pkg, &digests, &mut checks);
        readiness = Some(derived.readiness);
    }

    let warnings = signature_checks(
        pkg,
        trusted,
        &on_disk,
        &digests,
        &computed_hash,
        &mut checks,
    );

    let valid = checks.0.iter().all(|c| c.passed);
    let ready = valid
        && readiness.as_ref().is_some_and(|r| r.is_ready)
        && poam_workbook.as_ref().is_none_or(|w| w.passed());
    Ok(Report {
        package: pkg.display().to_string(),
        valid,
        ready,
        verdict: if !valid {
            "INVALID"
        } else if ready {
            "READY"
        } else {
            "NOT READY"
        }
        .to_owned(),
        checks: checks.0,
        warnings,
        readiness,
        poam_workbook,
    })
}

/// A host the package says it left out kept its raw scans (the file named among them)
/// and has no checklists: the list cannot hide a host that was in fact exported.
fn check_unreadable(pkg: &Path, c: &Contents, checks: &mut Checks) {
    let mut problems = Vec::new();
    for u in &c.unreadable {
        let host_ok = stig_formats::safe_host_component(&u.host).is_ok();
        let file_in_host = u
            .file
            .strip_prefix(&format!("{}/", u.host))
            .is_some_and(|rest| {
                !rest
                    .split('/')
                    .any(|p| p.is_empty() || p == ".." || p == ".")
            });
        if !host_ok || !file_in_host || !pkg.join(SCANS).join(&u.file).is_file() {
            problems.push(format!(
                "{UNREADABLE}: {} is not a file under {SCANS}/{}",
                u.file, u.host
            ));
        }
        if host_ok && pkg.join(CHECKLISTS).join(&u.host).exists() {
            problems.push(format!(
                "{UNREADABLE}: host {} is listed as left out but has checklists in {CHECKLISTS}/{}",
                u.host, u.host
            ));
        }
    }
    checks.add(
        "unreadable-hosts",
        problems,
        format!(
            "{} host(s) left out, each with its raw scans kept and no checklists",
            c.unreadable.len()
        ),
        "the list of hosts left out disagrees with the package".into(),
    );
}

/// The signed provenance: checked against `trusted` keys when given; otherwise its
/// absence (or presence) is reported as a warning, since only a pinned key says who
/// signed.
fn signature_checks(
    pkg: &Path,
    trusted: &[PublicKey],
    on_disk: &BTreeSet<String>,
    digests: &DigestCache,
    package_hash: &str,
    checks: &mut Checks,
) -> Vec<String> {
    let signed = pkg.join(ENVELOPE).is_file();
    if trusted.is_empty() {
        return vec![if signed {
            format!(
                "signed ({ENVELOPE}), but the signature was not checked: pass --trusted-key PUB"
            )
        } else {
            format!(
                "unsigned: the package has no {ENVELOPE} (export with --sign-key KEY to sign it)"
            )
        }];
    }
    let mut present = BTreeMap::new();
    for p in on_disk
        .iter()
        .filter(|p| !hashlist::OUTSIDE.contains(&p.as_str()))
    {
        let digest = digests
            .sha256_file(&pkg.join(p))
            .map(|(h, _)| h)
            .unwrap_or_else(|e| format!("(unreadable: {e})"));
        present.insert(p.clone(), digest);
    }
    for f in signed::verify(pkg, trusted, &present, package_hash) {
        debug_assert!(
            CHECKS.iter().any(|(n, _)| *n == f.check),
            "check {:?} is not in CHECKS",
            f.check
        );
        let files = if f.passed {
            vec![]
        } else {
            vec![ENVELOPE.to_owned()]
        };
        checks.0.push(Check {
            name: f.check.to_owned(),
            passed: f.passed,
            message: f.message,
            files,
        });
    }
    Vec::new()
}

/// The eMASS template a package's workbook was written for: the emass step's recorded
/// `template` option (provenance), `navy` when the step recorded none.
pub(crate) fn recorded_template(pkg: &Path) -> String {
    let prov: Value = fs::read(pkg.join(PROVENANCE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    prov["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == "emass"))
        .and_then(|s| s["run"]["options"]["template"].as_str())
        .unwrap_or(stig_formats::poam::template::DEFAULT_TEMPLATE)
        .to_owned()
}

/// The pre-upload check of the package's POA&M workbook: a workbook eMASS would refuse
/// makes the package NOT READY (its cells are listed); one that cannot be read at all,
/// or an unknown template, fails the `poam-workbook` check.
fn poam_workbook(
    pkg: &Path,
    checks: &mut Checks,
) -> Option<stig_formats::poam::check::WorkbookReport> {
    let rel = stig_formats::poam::workbook::WORKBOOK_PATH;
    let path = pkg.join(rel);
    if !path.exists() {
        return None;
    }
    let name = recorded_template(pkg);
    let result = stig_formats::poam::template::Template::builtin(&name)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            super::workbook_check::check_package_file(&path, &t).map_err(|e| e.to_string())
        });
    match result {
        Ok(r) => {
            checks.add(
                "poam-workbook",
                vec![],
                format!("{rel} is a readable {name} workbook"),
                String::new(),
            );
            Some(r)
        }
        Err(e) => {
            checks.add(
                "poam-workbook",
                vec![e],
                String::new(),
                format!("{rel} cannot be checked against the {name} template"),
            );
            None
        }
    }
}

/// The pre-upload check's part of the text report.
pub fn render_workbook(w: &stig_formats::poam::check::WorkbookReport) -> String {
    let mut s = format!(
        "\nPOA&M workbook (eMASS template {}): {} item(s), {}\n",
        w.template,
        w.items,
        if w.passed() {
            "passes the template's rules".to_owned()
        } else {
            format!("{} problem(s) eMASS would reject", w.problems.len())
        }
    );
    for p in w.problems.iter().take(MAX_FILES) {
        s.push_str(&format!("  {p}\n"));
    }
    if w.problems.len() > MAX_FILES {
        s.push_str(&format!(
            "  ... and {} more\n",
            w.problems.len() - MAX_FILES
        ));
    }
    if !w.missing_profile_fields.is_empty() {
        s.push_str(&format!(
            "  warning (eMASS's import accepts these empty): metadata the template has and the system profile lacks (--system-profile): {}\n",
            w.missing_profile_fields.join(", ")
        ));
    }
    for c in &w.cut_cells {
        s.push_str(&format!(
            "  {c}: cut at Excel's 32,767-character cell limit (the complete text is in poam.json)\n"
        ));
    }
    s
}

/// The artifacts against each other. The indexes and poam.csv are streamed: each row is
/// looked up in the fleet view and ticked off in a bitset (see [`Pairs`]), so memory is
/// the fleet view's, whatever the size of the files.
fn cross_checks(pkg: &Path, c: &Contents, readiness: &Readiness, checks: &mut Checks) {
    let pairs = Pairs::new(&c.fleet);

    let mut problems = Problems::default();
    let mut found = Problems::default();
    match check_evidence_index(pkg, c, &pairs, &mut found) {
        Ok(()) => problems.append(found),
        Err(e) => problems.push(e),
    }
    if let Err(e) = check_na_report(pkg, &pairs, &mut problems) {
        problems.push(e);
    }
    checks.add_problems(
        "index-vs-checklists",
        problems,
        "the indexes agree with the checklists and attestations".into(),
        "the indexes disagree with the checklists".into(),
    );

    // Attestations vs checklists: a record for every Not_Reviewed control, none for others.
    let mut problems = Problems::default();
    for (_, h, ctl) in pairs.iter() {
        if ctl.status == Status::NotReviewed
            && c.attestations.get(&h.name, &ctl.control_id).is_none()
        {
            problems.push(format!(
                "{}: no attestation record for Not_Reviewed {}/{}",
                paths::ATTESTATIONS_JSON,
                h.name,
                ctl.control_id
            ));
        }
    }
    let decided: BTreeSet<(&str, &str)> = c
        .attestations
        .attestations
        .iter()
        .filter(|a| {
            pairs
                .find(&a.host, &a.control_id)
                .is_none_or(|(_, ctl)| ctl.status != Status::NotReviewed)
        })
        .map(|a| (a.host.as_str(), a.control_id.as_str()))
        .collect();
    for (h, ctl) in decided {
        problems.push(format!(
            "{}: attestation for {h}/{ctl}, which a scanner decided",
            paths::ATTESTATIONS_JSON
        ));
    }
    checks.add_problems(
        "attestations-vs-checklists",
        problems,
        "one attestation record per Not_Reviewed control per host".into(),
        "attestation records do not match the Not_Reviewed controls".into(),
    );

    // POA&M: csv vs json, json vs open controls.
    let mut problems = Problems::default();
    let mut ids = Problems::default();
    match check_poam_csv_ids(pkg, &mut ids) {
        Err(e) => problems.push(e),
        Ok(rows) => {
            if rows != c.poam.items.len() {
                problems.push(format!(
                    "{}: {} rows but poam.json has {} items",
                    paths::POAM_CSV,
                    rows,
                    c.poam.items.len()
                ));
            }
            problems.append(ids);
        }
    }
    // A control may have several items (one per severity and rule revision), but a host
    // is in at most one of them.
    let mut keys = BTreeSet::new();
    for item in &c.poam.items {
        for h in &item.hosts {
            if !keys.insert((item.control_id.as_str(), h.host.as_str())) {
                problems.push(format!(
                    "{}: duplicate item for {} on {} (item {})",
                    paths::POAM_JSON,
                    item.control_id,
                    h.host,
                    item.item_id
                ));
            }
        }
    }
    for s in readiness
        .blocking
        .poam_complete
        .iter()
        .filter(|s| s.contains("listed in the POA&M but not open"))
    {
        problems.push(format!("{}: {s}", paths::POAM_JSON));
    }
    checks.add_problems(
        "poam-vs-checklists",
        problems,
        "POA&M rows match poam.json; every item is an open control".into(),
        "the POA&M disagrees with the checklists".into(),
    );
}

/// `control_evidence_index.csv`: one row per (host, control) of the fleet, with the
/// status the checklists and attestations give. `Err` when the file cannot be read (then
/// no row problem is reported, as nothing else can be said about it).
fn check_evidence_index(
    pkg: &Path,
    c: &Contents,
    pairs: &Pairs,
    problems: &mut Problems,
) -> Result<(), String> {
    let rel = paths::INDEX_EVIDENCE;
    let mut rows = CsvRows::open(pkg, rel)?;
    let (Some(h), Some(v), Some(r), Some(s), Some(ss)) = (
        rows.col("Host"),
        rows.col("VulnId"),
        rows.col("RuleId"),
        rows.col("Status"),
        rows.col("ScanStatus"),
    ) else {
        problems.push(format!("{rel}: missing columns"));
        return Ok(());
    };
    let mut seen = Seen::new(pairs.len);
    let mut duplicate = false;
    let mut extra: BTreeSet<(String, String)> = BTreeSet::new();
    let mut extra_unkept = 0usize;
    let mut wrong = Problems::default();
    while let Some(row) = rows.next()? {
        let (host, id) = row_key(row, h, v, r);
        let Some((i, ctl)) = pairs.find(host, id) else {
            if extra.len() < EXTRA_ROWS_KEPT {
                duplicate |= !extra.insert((host.to_owned(), id.to_owned()));
            } else if !extra.contains(&(host.to_owned(), id.to_owned())) {
                extra_unkept += 1;
            }
            continue;
        };
        duplicate |= seen.mark(i);
        let att = if ctl.status == Status::NotReviewed {
            c.attestations.get(host, id)
        } else {
            None
        };
        let want = (
            ckl_status(effective_status(ctl.status, att)),
            ckl_status(ctl.status),
        );
        let got = (field(row, s), field(row, ss));
        if got != want {
            wrong.push(format!(
                "{rel}: {host}/{id} says {}/{} but the checklists and attestations say {}/{}",
                got.0, got.1, want.0, want.1
            ));
        }
    }
    if duplicate {
        problems.push(format!("{rel}: duplicate (host, control) rows"));
    }
    problems.append(wrong);
    for (i, host, ctl) in pairs.iter() {
        if !seen.get(i) {
            problems.push(format!(
                "{rel}: no row for {}/{}",
                host.name, ctl.control_id
            ));
        }
    }
    for (host, id) in &extra {
        problems.push(format!("{rel}: row for {host}/{id} which no checklist has"));
    }
    problems.total += extra_unkept;
    Ok(())
}

/// `na_scope_filter_report.csv`: exactly the Not_Applicable controls, each once.
fn check_na_report(pkg: &Path, pairs: &Pairs, problems: &mut Problems) -> Result<(), String> {
    let mut rows = CsvRows::open(pkg, paths::INDEX_NA)?;
    let (Some(h), Some(v), Some(r)) = (rows.col("Host"), rows.col("VulnId"), rows.col("RuleId"))
    else {
        return Ok(());
    };
    let mut seen = Seen::new(pairs.len);
    let mut rows_read = 0usize;
    let mut agree = true;
    while let Some(row) = rows.next()? {
        rows_read += 1;
        let (host, id) = row_key(row, h, v, r);
        match pairs.find(host, id) {
            Some((i, ctl)) if ctl.status == Status::NotApplicable => agree &= !seen.mark(i),
            _ => agree = false,
        }
    }
    let na = pairs
        .iter()
        .filter(|(_, _, ctl)| ctl.status == Status::NotApplicable)
        .count();
    if !agree || rows_read != na {
        problems.push(format!(
            "{}: Not_Applicable rows do not match the checklists",
            paths::INDEX_NA
        ));
    }
    Ok(())
}

/// Counts poam.csv's rows, noting each whose item id is not its position (1..n).
fn check_poam_csv_ids(pkg: &Path, problems: &mut Problems) -> Result<usize, String> {
    let mut rows = CsvRows::open(pkg, paths::POAM_CSV)?;
    let id = rows.col("POA&M Item ID");
    let mut n = 0usize;
    while let Some(row) = rows.next()? {
        n += 1;
        if let Some(i) = id {
            if field(row, i) != n.to_string() {
                problems.push(format!(
                    "{}: row {n} has item id {:?}",
                    paths::POAM_CSV,
                    field(row, i)
                ));
            }
        }
    }
    Ok(n)
}

fn provenance_checks(pkg: &Path, digests: &DigestCache, checks: &mut Checks) {
    let mut problems = Vec::new();
    let prov: Value = match fs::read(pkg.join(PROVENANCE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(v) => v,
        None => {
            checks.add(
                "provenance",
                vec![format!("{PROVENANCE}: missing or not JSON")],
                String::new(),
                "no usable provenance".into(),
            );
            return;
        }
    };
    // package path -> sha256 as recorded
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    let empty = Vec::new();
    for step in prov["steps"].as_array().unwrap_or(&empty) {
        let name = step["step"].as_str().unwrap_or("");
        let run = &step["run"];
        for f in run["outputs"].as_array().unwrap_or(&empty) {
            let p = f["path"].as_str().unwrap_or("");
            let sha = f["sha256"].as_str().unwrap_or("").to_owned();
            match name {
                "import" => {
                    let dir = format!("{}/", stig_formats::output::CHECKLISTS_DIR);
                    if let Some(rest) = p.strip_prefix(&dir) {
                        outputs.insert(format!("{CHECKLISTS}/{rest}"), sha);
                    }
                }
                "emass" if p != paths::FACTS => {
                    outputs.insert(p.to_owned(), sha);
                }
                "extra" => {
                    let folder = step["name"].as_str().unwrap_or("");
                    outputs.insert(format!("{EXTRA}/{folder}/{p}"), sha);
                }
                _ => {}
            }
        }
        for f in run["inputs"].as_array().unwrap_or(&empty) {
            let p = f["path"].as_str().unwrap_or("");
            let sha = f["sha256"].as_str().unwrap_or("").to_owned();
            match (name, p.split_once('/')) {
                ("import", Some(("scans", rest))) => {
                    inputs.insert(format!("{SCANS}/{rest}"), sha);
                }
                ("import", Some(("benchmarks", rest))) => {
                    inputs.insert(format!("{BENCHMARKS}/{rest}"), sha);
                }
                ("emass", Some(("answers", rest))) => {
                    inputs.insert(format!("{}/{rest}", paths::ANSWERS_DIR), sha);
                }
                ("emass", Some(("layout", rest))) => {
                    inputs.insert(format!("{}/{rest}", paths::POAM_LAYOUT_DIR), sha);
                }
                ("emass", Some((stig_formats::package_artifacts::CCI_INPUT_DIR, rest))) => {
                    inputs.insert(format!("{}/{rest}", paths::POAM_CCI_DIR), sha);
                }
                ("emass", Some(("profile", rest))) => {
                    inputs.insert(format!("{}/{rest}", profile::PROFILE_DIR), sha);
                }
                _ => {}
            }
        }
    }
    // The third-party components a package keeps are named by their digest: the name
    // is the check (the provenance records which ran).
    for c in prov["components"].as_array().unwrap_or(&empty) {
        if c["source"] == "third-party" {
            let sha = c["sha256"].as_str().unwrap_or("").to_owned();
            let review = c["admittedBy"]["reviewFile"].as_str().unwrap_or("");
            let kept = fs::read(pkg.join(review))
                .map_err(|e| e.to_string())
                .and_then(|b| super::thirdparty::read_review(&b));
            match kept {
                Ok((subject, _, statement))
                    if subject == sha
                        && c["admittedBy"]["reviewStatementSha256"] == statement.as_str() => {}
                Ok(_) => problems.push(format!(
                    "{review}: not the review {PROVENANCE} records for component {sha}"
                )),
                Err(e) => problems.push(format!("{review:?}: {e}")),
            }
            inputs.insert(super::thirdparty::wasm_path(&sha), sha);
        }
    }
    let files = hashlist::walk(pkg).unwrap_or_default();
    let answers = format!("{}/", paths::ANSWERS_DIR);
    let layout = format!("{}/", paths::POAM_LAYOUT_DIR);
    let cci = format!("{}/", paths::POAM_CCI_DIR);
    let profile_dir = format!("{}/", profile::PROFILE_DIR);
    for f in &files {
        let raw = f.starts_with(&format!("{SCANS}/"))
            || f.starts_with(&answers)
            || f.starts_with(&layout)
            || f.starts_with(&cci)
            || f.starts_with(&profile_dir)
            || (f.starts_with(&format!("{}/sha256/", super::thirdparty::COMPONENTS_DIR))
                && f.ends_with(".wasm"));
        let generated = !raw
            && (f.starts_with(&format!("{CHECKLISTS}/"))
                || f.starts_with(&format!("{POAM}/"))
                || f.starts_with(&format!("{INDEX}/"))
                || f.starts_with(&format!("{ATTESTATIONS}/"))
                || f.starts_with(&format!("{EXTRA}/"))
                || f == paths::README);
        let recorded = if generated {
            outputs.get(f)
        } else if raw {
            inputs.get(f)
        } else {
            continue;
        };
        let actual = digests
            .sha256_file(&pkg.join(f))
            .map(|x| x.0)
            .unwrap_or_default();
        match recorded {
            None => problems.push(format!("{f}: not recorded in {PROVENANCE}")),
            Some(sha) if *sha != actual => problems.push(format!(
                "{f}: SHA-256 differs from the one {PROVENANCE} recorded"
            )),
            _ => {}
        }
    }
    let on_disk: BTreeSet<&String> = files.iter().collect();
    for p in outputs.keys().chain(inputs.keys()) {
        if !on_disk.contains(&p) {
            problems.push(format!(
                "{p}: recorded in {PROVENANCE} but not in the package"
            ));
        }
    }
    checks.add(
        "provenance",
        problems,
        "provenance.json records every generated file and raw input with its SHA-256".into(),
        "provenance.json does not match the package".into(),
    );
}

/// The text report.
pub fn render_text(r: &Report) -> String {
    let mut s = format!("Package: {}\n\n", r.package);
    for c in &r.checks {
        s.push_str(&format!(
            "[{}] {}: {}\n",
            if c.passed { "PASS" } else { "FAIL" },
            c.name,
            c.message
        ));
        for f in &c.files {
            s.push_str(&format!("       {f}\n"));
        }
    }
    if let Some(rd) = &r.readiness {
        s.push_str("\nReadiness (re-derived from the package's contents):\n");
        let flags = [
            (
                "allControlsCovered",
                rd.all_controls_covered,
                &rd.blocking.all_controls_covered,
            ),
            (
                "evidencePresent",
                rd.evidence_present,
                &rd.blocking.evidence_present,
            ),
            ("poamComplete", rd.poam_complete, &rd.blocking.poam_complete),
            (
                "attestationsComplete",
                rd.attestations_complete,
                &rd.blocking.attestations_complete,
            ),
        ];
        if !rd.all_hosts_read {
            s.push_str(&format!(
                "  allHostsRead: false ({} host(s) left out: {})\n",
                rd.blocking.unreadable_hosts.len(),
                rd.blocking.unreadable_hosts.join("; ")
            ));
        }
        if !rd.poam_workbook {
            s.push_str(&format!(
                "  poamWorkbook: false ({} rule(s) of the eMASS template broken, listed below)\n",
                rd.blocking.poam_workbook.len()
            ));
        }
        for (name, ok, list) in flags {
            s.push_str(&format!("  {name}: {}", if ok { "true" } else { "false" }));
            if !ok {
                let shown: Vec<&str> = list.iter().take(10).map(String::as_str).collect();
                s.push_str(&format!(
                    " ({} control(s): {}{})",
                    list.len(),
                    shown.join(", "),
                    if list.len() > 10 { ", ..." } else { "" }
                ));
            }
            s.push('\n');
        }
    }
    for w in &r.warnings {
        s.push_str(&format!("\nWARNING: {w}"));
    }
    if !r.warnings.is_empty() {
        s.push('\n');
    }
    if let Some(w) = &r.poam_workbook {
        s.push_str(&render_workbook(w));
    }
    s.push_str(&format!("\nVerdict: {}\n", r.verdict));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_keep_what_the_report_shows_and_count_the_rest() {
        let mut a = Problems::default();
        for i in 0..150 {
            a.push(format!("a{i}"));
        }
        let mut b = Problems::default();
        for i in 0..(MAX_FILES + 30) {
            b.push(format!("b{i}"));
        }
        a.append(b);
        assert_eq!(a.total, 150 + MAX_FILES + 30);
        assert_eq!(a.shown.len(), MAX_FILES);
        assert_eq!(a.shown[150], "b0");
        let mut checks = Checks(Vec::new());
        checks.add_problems("hashes", a, String::new(), "bad".into());
        let c = &checks.0[0];
        assert!(!c.passed);
        assert_eq!(c.files.len(), MAX_FILES + 1);
        assert_eq!(c.files[MAX_FILES], format!("... and {} more", 150 + 30));
    }

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
    fn seen_marks_each_pair_once() {
        let mut s = Seen::new(130);
        assert!(!s.mark(129));
        assert!(s.mark(129));
        assert!(s.get(129) && !s.get(128) && !s.get(0));
    }
}
