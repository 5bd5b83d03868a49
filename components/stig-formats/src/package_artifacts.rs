//! Everything the `emass` component writes into a package, computed in one pass.
//!
//! The POA&M, the attestations, the indexes and the README must agree with each other
//! (the validator checks that they do), so they are derived together from one
//! [`FleetView`], one attestation file and one evidence listing. Kept here, not in the
//! guest, so it is tested natively; the guest only reads `/input` and writes `/output`.

use crate::attest::{self, import::ImportError, AttestationFile};
use crate::civil_date::rfc3339_utc;
use crate::control_view::FleetView;
use crate::evidence::Evidence;
use crate::index::{self, html};
use crate::package_facts::PackageFacts;
use crate::poam::profile::SystemProfile;
use crate::poam::template::Template;
use crate::poam::workbook::{self, WorkbookPlan};
use crate::poam::{self, layout::Layout, PoamOptions};
use crate::readiness::{self, Readiness};

/// Package-relative paths of the generated files.
pub mod paths {
    pub const POAM_CSV: &str = "03_POAM/poam.csv";
    pub const POAM_JSON: &str = "03_POAM/poam.json";
    pub const POAM_SUMMARY: &str = "03_POAM/poam_summary.txt";
    pub const ATTESTATIONS_JSON: &str = "05_Attestations/attestations.json";
    pub const ATTESTATION_TEMPLATE: &str = "05_Attestations/attestation_template.csv";
    pub const ATTESTATION_INSTRUCTIONS: &str = "05_Attestations/INSTRUCTIONS.txt";
    pub const INDEX_EVIDENCE: &str = "06_Index/control_evidence_index.csv";
    pub const INDEX_SCAN_SOURCE: &str = "06_Index/control_to_scan_source.csv";
    pub const INDEX_NA: &str = "06_Index/na_scope_filter_report.csv";
    pub const INDEX_HTML: &str = "06_Index/index.html";
    pub const FLEET_JSON: &str = "06_Index/fleet_summary.json";
    pub const FLEET_CSV: &str = "06_Index/fleet_summary.csv";
    pub const FLEET_TXT: &str = "06_Index/fleet_summary.txt";
    pub const README: &str = "README_Submission.txt";
    /// Where answer CSVs live in a package; applied in name order.
    pub const ANSWERS_DIR: &str = "05_Attestations/answers";
    /// The `emass` component's statement of counts and readiness for the manifest: an
    /// output of the run (so provenance records it), not a file of the package.
    pub const FACTS: &str = "package-facts.json";
    /// Where a POA&M layout given as a file is kept, byte for byte, so the package can be
    /// rebuilt with it.
    pub const POAM_LAYOUT_DIR: &str = "03_POAM/layout";
    pub const POAM_LAYOUT_FILE: &str = "03_POAM/layout/poam_layout.json";
    /// Where a DISA CCI list given with `--cci-list` is kept, byte for byte, under its
    /// own (sanitised) file name, so reproduce maps controls with the same list.
    pub const POAM_CCI_DIR: &str = "03_POAM/cci";
}

/// The `emass` component's input folder holding at most one DISA CCI list (the file in
/// the package's [`paths::POAM_CCI_DIR`]); when present it replaces the built-in list.
pub const CCI_INPUT_DIR: &str = "cci";

/// The `emass` component's input holding a POA&M layout document (the package's
/// [`paths::POAM_LAYOUT_FILE`]); when present it replaces the `layout` option.
pub const LAYOUT_INPUT: &str = "layout/poam_layout.json";

/// What the artifacts depend on besides the fleet.
#[derive(Debug, Clone)]
pub struct ArtifactOptions {
    pub system: String,
    pub layout: Layout,
    pub poam: PoamOptions,
    /// Hosts the export left out (`--keep-going`): the package says so and is never ready.
    pub unreadable: Vec<crate::import::Unreadable>,
}

/// The eMASS workbook to plan with the other artifacts: its template and the system
/// profile that fills it (Office/Org and Resources Required fall back to the `office` and
/// `resources` of [`PoamOptions`]).
#[derive(Debug, Clone, Copy)]
pub struct WorkbookSpec<'a> {
    pub template: &'a Template,
    pub profile: &'a SystemProfile,
}

/// Where [`build_package`] puts the files it makes. Each file is announced by `start`
/// and its bytes follow in one or more `part`s (together valid UTF-8), up to the next
/// `start` or the end of the build. The largest files hold a row per host and control
/// (the evidence index alone is about 200 MB at 1,000 hosts x 800 rules); in parts they
/// are written as they are made instead of being held whole, with their growth copies,
/// in the `emass` component's memory.
pub trait Sink {
    fn start(&mut self, path: &str);
    fn part(&mut self, bytes: &[u8]);
}

/// A [`Sink`] that hands whole files to a closure (tests, benches, the collecting forms).
pub struct WholeFiles<'a> {
    emit: &'a mut dyn FnMut(&str, String),
    current: Option<(String, Vec<u8>)>,
}

impl std::fmt::Debug for WholeFiles<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WholeFiles")
            .field("current", &self.current.as_ref().map(|c| &c.0))
            .finish_non_exhaustive()
    }
}

impl<'a> WholeFiles<'a> {
    pub fn new(emit: &'a mut dyn FnMut(&str, String)) -> Self {
        WholeFiles {
            emit,
            current: None,
        }
    }

    /// Hands on the file being gathered, if any.
    pub fn finish(&mut self) {
        if let Some((path, bytes)) = self.current.take() {
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            (self.emit)(&path, text);
        }
    }
}

impl Sink for WholeFiles<'_> {
    fn start(&mut self, path: &str) {
        self.finish();
        self.current = Some((path.to_owned(), Vec::new()));
    }
    fn part(&mut self, bytes: &[u8]) {
        if let Some((_, buf)) = &mut self.current {
            buf.extend_from_slice(bytes);
        }
    }
}

/// One whole file into a [`Sink`].
fn emit(sink: &mut dyn Sink, path: &str, text: String) {
    sink.start(path);
    sink.part(text.as_bytes());
}

/// `value` as pretty JSON with a trailing newline (the bytes of the types' `to_json`),
/// written into `sink` in parts.
fn emit_json<T: serde::Serialize>(sink: &mut dyn Sink, path: &str, value: &T) {
    struct Parts<'s> {
        sink: &'s mut dyn Sink,
        buf: Vec<u8>,
    }
    impl std::io::Write for Parts<'_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.buf.extend_from_slice(bytes);
            if self.buf.len() >= crate::tabular::PART_BYTES {
                self.flush()?;
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.sink.part(&self.buf);
            self.buf.clear();
            Ok(())
        }
    }
    sink.start(path);
    let mut w = Parts {
        sink,
        buf: Vec::new(),
    };
    // Serialising these types cannot fail and the writer never does (as in `to_json`).
    let _ = serde_json::to_writer_pretty(&mut w, value);
    w.buf.push(b'\n');
    let _ = std::io::Write::flush(&mut w);
}

/// A file made by a `*_parts` generator, streamed into `sink`.
fn emit_parts(sink: &mut dyn Sink, path: &str, make: impl FnOnce(&mut dyn FnMut(&str))) {
    sink.start(path);
    make(&mut |p: &str| sink.part(p.as_bytes()));
}

/// What [`build_package`] returns besides the files it emitted.
#[derive(Debug, Clone)]
pub struct Built {
    /// The counts and readiness for the manifest.
    pub facts: PackageFacts,
    pub attestations: AttestationFile,
    /// The workbook's plan (to render as `03_POAM/poam.xlsx`), when one was asked for.
    pub workbook: Option<WorkbookPlan>,
}

/// The generated files (path, bytes) in path order, and the facts they imply.
#[derive(Debug, Clone)]
pub struct Artifacts {
    pub files: Vec<(String, String)>,
    pub readiness: Readiness,
    pub attestations: AttestationFile,
    pub facts: PackageFacts,
}

/// Builds every artifact, collecting them (see [`build_each`] for the streaming form).
pub fn build(
    fleet: &FleetView,
    evidence: &Evidence,
    answers: &[(String, Vec<u8>)],
    opts: &ArtifactOptions,
) -> Result<Artifacts, ImportError> {
    build_with(fleet, evidence, answers, opts, None).map(|(a, _)| a)
}

/// [`build`] with the eMASS workbook planned too (its plan returned beside the files).
pub fn build_with(
    fleet: &FleetView,
    evidence: &Evidence,
    answers: &[(String, Vec<u8>)],
    opts: &ArtifactOptions,
    workbook: Option<WorkbookSpec>,
) -> Result<(Artifacts, Option<WorkbookPlan>), ImportError> {
    let mut files = Vec::new();
    let mut collect = |p: &str, t: String| files.push((p.to_owned(), t));
    let mut sink = WholeFiles::new(&mut collect);
    let built = build_package(fleet, evidence, answers, opts, workbook, &mut sink)?;
    sink.finish();
    files.sort();
    Ok((
        Artifacts {
            files,
            readiness: built.facts.readiness.clone(),
            attestations: built.attestations,
            facts: built.facts,
        },
        built.workbook,
    ))
}

/// Builds every artifact and hands each (path, text) to `emit` as soon as it exists, so
/// only one large file is in memory at a time. `answers` are (name, CSV bytes) applied in
/// the order given; a bad answer file fails the whole build with every problem named.
/// Returns the facts the manifest states (see [`crate::package_facts`]).
pub fn build_each(
    fleet: &FleetView,
    evidence: &Evidence,
    answers: &[(String, Vec<u8>)],
    opts: &ArtifactOptions,
    emit: &mut dyn FnMut(&str, String),
) -> Result<(PackageFacts, AttestationFile), ImportError> {
    let mut sink = WholeFiles::new(emit);
    let built = build_package(fleet, evidence, answers, opts, None, &mut sink);
    sink.finish();
    built.map(|b| (b.facts, b.attestations))
}

/// [`build_each`], planning the eMASS workbook from the same POA&M items when `workbook`
/// is given. The plan goes through the template's pre-upload check
/// ([`poam::check::check_in_package`]) before anything is emitted, so the readiness the
/// README, index.html and the manifest state covers the workbook: one eMASS would refuse
/// (e.g. Office/Org empty) is never called ready (`poamWorkbook`, its rules listed).
pub fn build_package(
    fleet: &FleetView,
    evidence: &Evidence,
    answers: &[(String, Vec<u8>)],
    opts: &ArtifactOptions,
    workbook: Option<WorkbookSpec>,
    sink: &mut dyn Sink,
) -> Result<Built, ImportError> {
    let mut attestations = attest::generate(fleet, None);
    for (name, bytes) in answers {
        attestations = attest::import::import(name, bytes, &attestations)?.0;
    }
    let poam = poam::build(fleet, Some(&attestations), &opts.poam);
    let plan = workbook.map(|w| plan_workbook(&poam, w, &opts.poam));
    let workbook_problems = match (&plan, workbook) {
        (Some(p), Some(w)) => {
            let grid = poam::check::Grid::of_plan(p, w.template);
            poam::check::check_in_package(w.template, workbook::FILE, &grid).problems
        }
        _ => Vec::new(),
    };
    let readiness = readiness::compute(fleet, &poam, &attestations, evidence)
        .with_unreadable(&opts.unreadable)
        .with_workbook(&workbook_problems);
    let exported_at = rfc3339_utc(opts.poam.exported_at);
    emit(sink, paths::POAM_CSV, opts.layout.render_csv(&poam.items));
    emit_json(sink, paths::POAM_JSON, &poam);
    emit(
        sink,
        paths::POAM_SUMMARY,
        poam::summary::render(&poam, &opts.layout.name),
    );
    emit_json(sink, paths::ATTESTATIONS_JSON, &attestations);
    emit(
        sink,
        paths::ATTESTATION_TEMPLATE,
        attest::template::template_csv(&attestations),
    );
    emit(
        sink,
        paths::ATTESTATION_INSTRUCTIONS,
        attest::template::instructions(&attestations),
    );
    emit_parts(sink, paths::INDEX_EVIDENCE, |part| {
        index::control_evidence_index_parts(fleet, &attestations, evidence, part)
    });
    emit_parts(sink, paths::INDEX_SCAN_SOURCE, |part| {
        index::control_to_scan_source_parts(fleet, part)
    });
    emit_parts(sink, paths::INDEX_NA, |part| {
        index::na_scope_filter_report_parts(fleet, part)
    });
    emit_summary(
        fleet,
        &poam,
        &attestations,
        &readiness,
        opts,
        &exported_at,
        sink,
    );
    emit(
        sink,
        paths::README,
        readme(fleet, &poam, &attestations, &readiness, opts, &exported_at),
    );
    let facts = PackageFacts::with_readiness(fleet, &poam, &attestations, readiness);
    Ok(Built {
        facts,
        attestations,
        workbook: plan,
    })
}

/// The fleet summary files and the HTML report: one function for a package and for
/// [`build_summary`], so `fleet-summary` writes what a package holds.
fn emit_summary(
    fleet: &FleetView,
    poam: &poam::PoamFile,
    attestations: &AttestationFile,
    readiness: &Readiness,
    opts: &ArtifactOptions,
    exported_at: &str,
    sink: &mut dyn Sink,
) {
    emit(
        sink,
        paths::INDEX_HTML,
        html::render(&html::HtmlInput {
            system: &opts.system,
            exported_at,
            fleet,
            poam,
            attestations,
            readiness,
        }),
    );
    let fleet_summary =
        crate::fleet_summary::summarise(fleet, attestations).with_unreadable(&opts.unreadable);
    emit(sink, paths::FLEET_JSON, fleet_summary.to_json());
    emit(sink, paths::FLEET_TXT, fleet_summary.to_text());
    drop(fleet_summary);
    emit(
        sink,
        paths::FLEET_CSV,
        crate::fleet_summary::matrix_csv(fleet, attestations),
    );
}

/// Only the summary files and the report ([`paths::FLEET_JSON`], [`paths::FLEET_CSV`],
/// [`paths::FLEET_TXT`], [`paths::INDEX_HTML`]), computed exactly as [`build_package`]
/// computes them for a package of the same fleet with no evidence, answers or workbook
/// (`stigpack fleet-summary`; the `emass` component's `outputs=summary` option).
pub fn build_summary(
    fleet: &FleetView,
    opts: &ArtifactOptions,
    emit: &mut dyn FnMut(&str, String),
) -> Readiness {
    let mut sink = WholeFiles::new(emit);
    let r = build_summary_into(fleet, opts, &mut sink);
    sink.finish();
    r
}

/// [`build_summary`] into a [`Sink`].
pub fn build_summary_into(
    fleet: &FleetView,
    opts: &ArtifactOptions,
    sink: &mut dyn Sink,
) -> Readiness {
    let attestations = attest::generate(fleet, None);
    let poam = poam::build(fleet, Some(&attestations), &opts.poam);
    let readiness = readiness::compute(fleet, &poam, &attestations, &Evidence::default())
        .with_unreadable(&opts.unreadable);
    let exported_at = rfc3339_utc(opts.poam.exported_at);
    emit_summary(
        fleet,
        &poam,
        &attestations,
        &readiness,
        opts,
        &exported_at,
        sink,
    );
    readiness
}

/// The workbook of `poam`'s items (the ones poam.json states, so the two cannot differ).
fn plan_workbook(poam: &poam::PoamFile, w: WorkbookSpec, o: &PoamOptions) -> WorkbookPlan {
    workbook::plan(
        &poam.items,
        &workbook::WorkbookInput {
            template: w.template,
            profile: w.profile,
            exported_at: o.exported_at,
            office: &o.office,
            resources: &o.resources_required,
        },
    )
}

fn readme(
    fleet: &FleetView,
    poam: &poam::PoamFile,
    attestations: &AttestationFile,
    r: &Readiness,
    opts: &ArtifactOptions,
    exported_at: &str,
) -> String {
    let flag = |ok: bool| if ok { "yes" } else { "NO" };
    let pending = attestations
        .attestations
        .iter()
        .filter(|a| !a.is_complete())
        .count();
    format!(
        "eMASS SUBMISSION PACKAGE\n\
         ========================\n\
         \n\
         System:        {system}\n\
         Exported at:   {exported_at}\n\
         Hosts:         {hosts}\n\
         Controls:      {controls} (host x control results)\n\
         POA&M items:   {items} (layout {layout})\n\
         Attestations:  {att} ({pending} pending)\n\
         \n\
         Readiness: {verdict}\n\
           all controls covered:   {c}\n\
           evidence present:       {e}\n\
           POA&M complete:         {p}\n\
           attestations complete:  {a}\n\
         {workbook}\
         (the controls behind each NO are listed in 00_Manifest/manifest.json and 06_Index/index.html)\n\
         \n\
         Layout\n\
           00_Manifest/    manifest.json, file_hashes.sha256 (sha256sum -c), provenance.json,\n\
                           provenance.intoto.dsse.json (signed provenance, when signed)\n\
           01_Scans/       the raw scan results, byte for byte, per host\n\
           02_Checklists/  STIG Viewer checklists per host and benchmark\n\
           03_POAM/        poam.xlsx (the eMASS import workbook), poam.csv (same items),\n\
                           poam.json (complete data), poam_summary.txt\n\
           04_Evidence/    evidence per host and control\n\
           05_Attestations/ attestations.json, attestation_template.csv, INSTRUCTIONS.txt\n\
           06_Index/       control_evidence_index.csv, control_to_scan_source.csv,\n\
                           na_scope_filter_report.csv, index.html (open this first),\n\
                           fleet_summary.json/.csv/.txt (compliance per host and fleet)\n\
         \n\
         Checking this package\n\
           cd <package> && sha256sum -c 00_Manifest/file_hashes.sha256\n\
           stigpack validate <package>       (every consistency check; READY / NOT READY)\n\
           stigpack reproduce <package>      (re-runs every recorded component, byte compare)\n\
           stigpack verify <package> --trusted-key KEY.pub   (the signature, offline)\n\
         manifest.json and file_hashes.sha256 are outside the hash list (one holds the\n\
         other's hash: packageHash = SHA-256 of file_hashes.sha256).\n\
         \n\
         POA&M CSV cells beginning with = + - @ TAB or CR are prefixed with ' so a spreadsheet\n\
         shows them as text (formula-injection guard); poam.json holds the raw text; every\n\
         text cell of poam.xlsx is a string cell, never a formula.\n",
        system = opts.system,
        hosts = fleet.hosts.len(),
        controls = fleet.control_count(),
        items = poam.items.len(),
        layout = opts.layout.name,
        att = attestations.attestations.len(),
        verdict = if r.is_ready { "READY" } else { "NOT READY" },
        c = flag(r.all_controls_covered),
        e = flag(r.evidence_present),
        p = flag(r.poam_complete),
        a = flag(r.attestations_complete),
        workbook = workbook_line(r),
    )
}

/// The README's line for the eMASS workbook: present only when eMASS would refuse it
/// (like `poamWorkbook`), naming the first broken rule.
fn workbook_line(r: &Readiness) -> String {
    match r.blocking.poam_workbook.first() {
        Some(first) if !r.poam_workbook => format!(
            "  eMASS workbook:         NO ({} rule(s) eMASS's import would refuse, first: {first})\n",
            r.blocking.poam_workbook.len()
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::control_view::testkit::*;
    use crate::control_view::view;
    use crate::model::Severity::*;
    use crate::model::Status::*;

    fn opts() -> ArtifactOptions {
        ArtifactOptions {
            system: "Demo".into(),
            layout: Layout::builtin("emass_joint").unwrap(),
            poam: PoamOptions {
                exported_at: 1_736_944_496,
                ..Default::default()
            },
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn answers_flow_into_every_artifact() {
        let fleet = view(&[host(
            "h1",
            vec![checklist(
                "h1/a.ckl",
                "t",
                "2025-01-01",
                vec![rr("V-1", High, Open, "x"), rr("V-2", Low, NotReviewed, "")],
            )],
        )])
        .unwrap();
        let before = build(&fleet, &Evidence::default(), &[], &opts()).unwrap();
        assert!(!before.readiness.is_ready);
        let answers = vec![(
            "answers/001.csv".to_owned(),
            b"Control ID,Attestor Name,Attestation Date,Compliance Status,Compliance Evidence\nV-2,Ann,2025-01-02,Compliant,GPO export attached\n".to_vec(),
        )];
        let after = build(&fleet, &Evidence::default(), &answers, &opts()).unwrap();
        assert!(after.readiness.is_ready, "{:?}", after.readiness.blocking);
        let get = |a: &Artifacts, p: &str| a.files.iter().find(|f| f.0 == p).unwrap().1.clone();
        assert!(get(&after, paths::README).contains("Readiness: READY"));
        assert!(get(&after, paths::INDEX_EVIDENCE).contains("NotAFinding,,,,01_Scans/h1/a.ckl"));
        assert_ne!(
            get(&before, paths::ATTESTATIONS_JSON),
            get(&after, paths::ATTESTATIONS_JSON)
        );
        // Same inputs, same bytes.
        let again = build(&fleet, &Evidence::default(), &answers, &opts()).unwrap();
        assert_eq!(again.files, after.files);
        // The same package with a host left out is never ready, in every file that says.
        let left_out = ArtifactOptions {
            unreadable: vec![crate::import::Unreadable {
                host: "h2".into(),
                file: "h2/a.ckl".into(),
                reason: "truncated document".into(),
            }],
            ..opts()
        };
        let partial = build(&fleet, &Evidence::default(), &answers, &left_out).unwrap();
        assert!(!partial.readiness.is_ready && !partial.facts.readiness.is_ready);
        assert_eq!(
            partial.readiness.blocking.unreadable_hosts,
            vec!["h2: h2/a.ckl: truncated document"]
        );
        assert!(get(&partial, paths::README).contains("Readiness: NOT READY"));
        // A bad answer file is refused whole.
        let bad = vec![("answers/002.csv".to_owned(), b"Control ID,Attestor Name,Attestation Date,Compliance Status\nV-2,Ann,2/1/2025,Compliant\n".to_vec())];
        let err = build(&fleet, &Evidence::default(), &bad, &opts()).unwrap_err();
        assert!(err.to_string().contains("answers/002.csv"), "{err}");
    }

    #[test]
    fn a_workbook_without_office_org_is_not_ready_in_the_readme_index_and_facts() {
        let fleet = view(&[host(
            "h1",
            vec![checklist(
                "h1/a.ckl",
                "t",
                "2025-01-01",
                vec![rr("V-1", High, Open, "x")],
            )],
        )])
        .unwrap();
        let template = Template::builtin("navy").unwrap();
        let profile = SystemProfile::default();
        let spec = WorkbookSpec {
            template: &template,
            profile: &profile,
        };
        let get = |a: &Artifacts, p: &str| a.files.iter().find(|f| f.0 == p).unwrap().1.clone();

        // Without the workbook the package is ready, as before.
        let plain = build(&fleet, &Evidence::default(), &[], &opts()).unwrap();
        assert!(plain.readiness.is_ready, "{:?}", plain.readiness.blocking);

        // With it and no Office/Org or Resources Required: eMASS would refuse it.
        let (bare, plan) =
            build_with(&fleet, &Evidence::default(), &[], &opts(), Some(spec)).unwrap();
        assert!(plan.is_some());
        let r = &bare.facts.readiness;
        assert!(!r.is_ready && !r.poam_workbook);
        assert!(r.all_controls_covered && r.poam_complete && r.attestations_complete);
        assert_eq!(
            r.blocking.poam_workbook.len(),
            2,
            "{:?}",
            r.blocking.poam_workbook
        );
        assert!(
            r.blocking.poam_workbook[0].starts_with("poam.xlsx!R8: Office/Org is empty on 1 item")
        );
        assert!(r.blocking.poam_workbook[0].contains("set office_org in the system profile"));
        assert!(r.blocking.poam_workbook[1].starts_with("poam.xlsx!S8: Resources Required"));
        let readme = get(&bare, paths::README);
        assert!(readme.contains("Readiness: NOT READY"), "{readme}");
        assert!(
            readme.contains("eMASS workbook:         NO (2 rule(s)"),
            "{readme}"
        );
        let html = get(&bare, paths::INDEX_HTML);
        assert!(
            html.contains("NOT READY") && html.contains("poam.xlsx!R8: Office/Org"),
            "{html}"
        );

        // With the options set, readiness follows the other rules as before.
        let mut filled = opts();
        filled.poam.office = "Org, Ann Lee, 555-0100".into();
        filled.poam.resources_required = "Admin time".into();
        let (full, _) = build_with(&fleet, &Evidence::default(), &[], &filled, Some(spec)).unwrap();
        assert!(
            full.facts.readiness.is_ready,
            "{:?}",
            full.facts.readiness.blocking
        );
        assert!(full.facts.readiness.blocking.poam_workbook.is_empty());
        assert!(get(&full, paths::README).contains("Readiness: READY"));
        assert!(!get(&full, paths::README).contains("eMASS workbook"));
        // ... and a package failing another rule still says so.
        let two = view(&[host(
            "h1",
            vec![checklist(
                "h1/a.ckl",
                "t",
                "2025-01-01",
                vec![rr("V-1", High, Open, "x"), rr("V-2", Low, NotReviewed, "")],
            )],
        )])
        .unwrap();
        let (pending, _) =
            build_with(&two, &Evidence::default(), &[], &filled, Some(spec)).unwrap();
        let r = &pending.facts.readiness;
        assert!(!r.is_ready && r.poam_workbook && !r.attestations_complete);
    }
}
