//! The `emass` component: the canonical model in, the derived eMASS package files out.
//!
//! Input: `/input/views/<batch>.view` (the `import` runs' folded views, merged in name
//! order),
//! `/input/evidence.txt` (optional: the package's `04_Evidence/` paths, one per line),
//! `/input/answers/*.csv` (optional: attestation answers, applied in name order),
//! `/input/layout/poam_layout.json` (optional: a POA&M layout document, used instead of
//! the `layout` option; the host checks it first and keeps it in the package),
//! `/input/cci/<file>` (optional: one DISA CCI list, used instead of the built-in one to
//! map CCIs to NIST SP 800-53 Rev 5 controls; the host checks it and keeps it).
//! `/input/unreadable.json` (optional: `[{host, file, reason}]`, hosts a `--keep-going`
//! export left out; the readiness, README and index then say NOT READY).
//! Output: `03_POAM/*`, `05_Attestations/*`, `06_Index/*`, `README_Submission.txt`
//! (see `stig_formats::package_artifacts::paths`), and `package-facts.json`: the counts
//! and readiness the host writes into the manifest (not itself a package file).
//! `/input/profile/system_profile.json` (optional: the normalised system profile, see
//! `stig_formats::poam::profile`), which fills the workbook's banner and rows 2-6.
//! Options: `system` (name shown in the files), `layout` (POA&M layout, default
//! `emass_joint`), `days` (`30,90,180`: days to completion for CAT I,II,III), `office`,
//! `resources` (POA&M Office/Org and Resources Required cells), `template` (the eMASS
//! workbook template of `03_POAM/poam.xlsx`, default `navy`), `outputs` (`package`, the
//! default, or `summary`: only `06_Index/fleet_summary.json|.csv|.txt` and
//! `06_Index/index.html`, as a package of the same views with no evidence, answers or
//! workbook would hold them; what `stigpack fleet-summary` asks for).
//!
//! The import runs fold their hosts into compact per-control views; this component only
//! merges them, so it never holds or decodes a full checklist.

use guest_kit::{walk_input, Options, Outputs, INPUT};
use stig_formats::cci::CciTable;
use stig_formats::control_view::FleetBuilder;
use stig_formats::evidence::Evidence;
use stig_formats::package_artifacts::{self, ArtifactOptions, CCI_INPUT_DIR, LAYOUT_INPUT};
use stig_formats::poam::layout::{Layout, DEFAULT_LAYOUT};
use stig_formats::poam::profile::{SystemProfile, PROFILE_INPUT};
use stig_formats::poam::template::{Template, DEFAULT_TEMPLATE};
use stig_formats::poam::workbook;
use stig_formats::poam::PoamOptions;

wit_bindgen::generate!({
    world: "transform",
    path: "../../../wit/since_v0.1.0",
});

use stigpack::component::types::InputProblem;

mod xlsx;

struct Emass;

fn invalid(file: &str, reason: impl ToString) -> RunError {
    RunError::InvalidInput(InputProblem {
        file: file.to_string(),
        reason: reason.to_string(),
    })
}

/// Seconds since the Unix epoch of an RFC 3339 UTC time as the host sends it
/// (`YYYY-MM-DDTHH:MM:SSZ`).
fn parse_exported_at(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[10] != b'T' || b[19] != b'Z' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = stig_formats::civil_date::Date::parse_iso(&s[..10])?;
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(date.to_days() * 86_400 + h * 3600 + m * 60 + sec)
}

/// The CCI list given as input, if any: exactly one file under `/input/cci/`.
fn cci_list() -> Result<Option<CciTable>, RunError> {
    let files = walk_input(CCI_INPUT_DIR)
        .map_err(|e| RunError::Internal(format!("listing /input/{CCI_INPUT_DIR}: {e}")))?;
    match files.as_slice() {
        [] => Ok(None),
        [f] => {
            let bytes =
                std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
            CciTable::from_xml(&f.rel, &bytes)
                .map(Some)
                .map_err(|e| invalid(&f.rel, e.kind))
        }
        _ => Err(RunError::Unsupported(format!(
            "{} files under /input/{CCI_INPUT_DIR}; give one CCI list",
            files.len()
        ))),
    }
}

fn parse_days(s: &str) -> Option<[i64; 3]> {
    let v: Vec<i64> = s
        .split(',')
        .map(|p| {
            p.trim()
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=3650).contains(d))
        })
        .collect::<Option<_>>()?;
    <[i64; 3]>::try_from(v).ok()
}

impl Guest for Emass {
    fn info() -> ComponentInfo {
        ComponentInfo {
            name: "emass".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "writes the eMASS package's POA&M, attestations, indexes and README from the canonical model".into(),
            produces: vec![
                "03_POAM".into(),
                "05_Attestations".into(),
                "06_Index".into(),
                "README_Submission.txt".into(),
            ],
        }
    }

    fn run(ctx: RunContext) -> Result<Vec<String>, RunError> {
        let opts = Options(ctx.options.clone());
        let exported_at = parse_exported_at(&ctx.exported_at).ok_or_else(|| {
            RunError::Unsupported(format!(
                "exported-at {:?} is not YYYY-MM-DDTHH:MM:SSZ",
                ctx.exported_at
            ))
        })?;
        let layout_file = std::path::Path::new(INPUT).join(LAYOUT_INPUT);
        let layout = if layout_file.exists() {
            if opts.get("layout").is_some() {
                return Err(RunError::Unsupported(format!(
                    "both a layout option and {LAYOUT_INPUT} were given; give one"
                )));
            }
            let bytes = std::fs::read(&layout_file)
                .map_err(|e| invalid(LAYOUT_INPUT, format!("cannot read: {e}")))?;
            Layout::from_json(&bytes).map_err(|e| invalid(LAYOUT_INPUT, e))?
        } else {
            Layout::builtin(opts.get("layout").unwrap_or(DEFAULT_LAYOUT))
                .map_err(|e| RunError::Unsupported(e.to_string()))?
        };
        let days = match opts.get("days") {
            None => [30, 90, 180],
            Some(d) => parse_days(d).ok_or_else(|| {
                RunError::Unsupported(format!(
                    "days {d:?}: expected three day counts like 30,90,180"
                ))
            })?,
        };
        let artifact_opts = ArtifactOptions {
            system: opts.get("system").unwrap_or("System").to_owned(),
            layout,
            poam: PoamOptions {
                exported_at,
                days,
                office: opts.get("office").unwrap_or("").to_owned(),
                resources_required: opts.get("resources").unwrap_or("").to_owned(),
                cci: cci_list()?,
            },
            unreadable: read_unreadable()?,
        };

        // The import runs folded their hosts already; merging the batch views (in name
        // order, which is host order) gives the view of the whole fleet.
        let mut fleet = FleetBuilder::new();
        let files = walk_input("views")
            .map_err(|e| RunError::Internal(format!("listing /input/views: {e}")))?;
        for f in files
            .iter()
            .filter(|f| f.rel.ends_with(stig_formats::model_file::VIEW_SUFFIX))
        {
            let bytes =
                std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
            let view = stig_formats::model_file::decode_view(&f.rel, &bytes)
                .map_err(|e| invalid(&f.rel, e.kind))?;
            drop(bytes);
            for h in &view.hosts {
                stig_formats::safe_host_component(&h.name).map_err(|e| invalid(&f.rel, e.kind))?;
            }
            fleet.add_view(view).map_err(|e| invalid(&f.rel, e))?;
        }
        let fleet = fleet.finish();

        match opts.get("outputs") {
            None | Some("package") => {}
            Some("summary") => {
                let mut sink = Streamed::new();
                package_artifacts::build_summary_into(&fleet, &artifact_opts, &mut sink);
                return sink.finish();
            }
            Some(other) => {
                return Err(RunError::Unsupported(format!(
                    "outputs {other:?}: expected package or summary"
                )))
            }
        }

        let evidence_path = std::path::Path::new(INPUT).join("evidence.txt");
        let evidence = if evidence_path.exists() {
            let text = std::fs::read_to_string(&evidence_path)
                .map_err(|e| invalid("evidence.txt", format!("cannot read: {e}")))?;
            let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
            Evidence::from_paths(&lines)
        } else {
            Evidence::default()
        };

        let mut answers = Vec::new();
        for f in walk_input("answers")
            .map_err(|e| RunError::Internal(format!("listing /input/answers: {e}")))?
        {
            let bytes =
                std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
            answers.push((f.rel.clone(), bytes));
        }

        let template = Template::builtin(opts.get("template").unwrap_or(DEFAULT_TEMPLATE))
            .map_err(|e| RunError::Unsupported(e.to_string()))?;
        let profile_file = std::path::Path::new(INPUT).join(PROFILE_INPUT);
        let profile = if profile_file.exists() {
            let bytes = std::fs::read(&profile_file)
                .map_err(|e| invalid(PROFILE_INPUT, format!("cannot read: {e}")))?;
            SystemProfile::from_json(&bytes).map_err(|e| invalid(PROFILE_INPUT, e))?
        } else {
            SystemProfile::default()
        };

        let mut sink = Streamed::new();
        // The workbook is planned from the items poam.json states, so the two cannot
        // differ, and checked against the template before the README and the facts are
        // written, so their readiness covers it.
        let built = package_artifacts::build_package(
            &fleet,
            &evidence,
            &answers,
            &artifact_opts,
            Some(package_artifacts::WorkbookSpec {
                template: &template,
                profile: &profile,
            }),
            &mut sink,
        )
        .map_err(|e| invalid(&e.file.clone(), e))?;
        let mut out = sink.into_outputs()?;
        let (facts, plan) = (built.facts, built.workbook);
        let plan = plan.ok_or_else(|| RunError::Internal("no workbook plan".into()))?;
        let bytes = xlsx::render(&plan)
            .map_err(|e| RunError::Internal(format!("writing {}: {e}", workbook::WORKBOOK_PATH)))?;
        out.write(workbook::WORKBOOK_PATH, &bytes)
            .map_err(|e| RunError::Internal(format!("writing {}: {e}", workbook::WORKBOOK_PATH)))?;
        out.write(package_artifacts::paths::FACTS, facts.to_json().as_bytes())
            .map_err(|e| {
                RunError::Internal(format!("writing {}: {e}", package_artifacts::paths::FACTS))
            })?;
        Ok(out.finish())
    }
}

/// Writes each file under `/output` as its parts arrive; the first write error is kept
/// and reported when the build is done (a [`package_artifacts::Sink`] cannot fail).
struct Streamed {
    out: Outputs,
    file: Option<(String, guest_kit::OutputFile)>,
    error: Option<RunError>,
}

impl Streamed {
    fn new() -> Self {
        Streamed {
            out: Outputs::new(),
            file: None,
            error: None,
        }
    }

    fn into_outputs(mut self) -> Result<Outputs, RunError> {
        self.file = None;
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }

    fn finish(self) -> Result<Vec<String>, RunError> {
        self.into_outputs().map(Outputs::finish)
    }
}

impl package_artifacts::Sink for Streamed {
    fn start(&mut self, path: &str) {
        self.file = None;
        if self.error.is_some() {
            return;
        }
        match self.out.create(path) {
            Ok(f) => self.file = Some((path.to_owned(), f)),
            Err(e) => self.error = Some(RunError::Internal(format!("writing {path}: {e}"))),
        }
    }

    fn part(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        if let Some((path, f)) = &mut self.file {
            if let Err(e) = f.append(bytes) {
                self.error = Some(RunError::Internal(format!("writing {path}: {e}")));
                self.file = None;
            }
        }
    }
}

/// The hosts the export left out, if the host passed any.
fn read_unreadable() -> Result<Vec<stig_formats::import::Unreadable>, RunError> {
    let name = stig_formats::import::UNREADABLE_FILE;
    let path = std::path::Path::new(INPUT).join(name);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let bytes = std::fs::read(&path).map_err(|e| invalid(name, format!("cannot read: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| invalid(name, format!("not a list of {{host, file, reason}}: {e}")))
}

export!(Emass);
