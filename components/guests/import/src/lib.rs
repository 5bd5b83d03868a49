//! The `import` component: raw scan files in, the canonical model out.
//!
//! Input layout: `/input/scans/<host>/**` (whatever the scanners wrote) and optionally
//! `/input/benchmarks/*.xml` (DISA XCCDF benchmarks, for XCCDF results that do not carry
//! their rules). Output: `/output/hosts/<host>.model` per host (the canonical model, see
//! `stig_formats::model_file`) and
//! `/output/import-report.json` listing every file set aside and why. With option
//! `view=true`, also `/output/fleet.view`: these hosts folded into the per-control view
//! (`stig_formats::control_view`), which the `emass` component merges across batches.
//! With option `checklists` = `ckl` | `cklb` | `both` (default `none`), also
//! `/output/checklists/<host>/<benchmark-id>.ckl|.cklb`: the `checklist` component's files,
//! written from the model just read, byte for byte what that component writes from the
//! `.model` file. Option `model=false` leaves the `.model` files out (`export-emass` runs
//! with `view=true checklists=ckl model=false`: nothing between two runs is encoded,
//! written, hashed, read back and decoded).
//!
//! Option `keep-going=true`: a host whose files cannot be read is left out (no model, no
//! checklists, not in the view) and listed in `/output/unreadable.json` as
//! `[{host, file, reason}]` in host order, instead of failing the run; the other hosts'
//! outputs are byte for byte what they are without the option. A parser that panics
//! prints the file it was reading to stderr first, so the host can name it.
//!
//! Option `left-out` (with `keep-going=true`): a JSON list `[{host, file, reason}]` of
//! hosts the host program found to stop this component (a trap, or a memory or fuel
//! limit) when it ran them; they are listed in `unreadable.json` as given, in host order,
//! without being read, so the batch's other hosts are exported by a rerun.

use std::collections::BTreeMap;

use guest_kit::{subdirs, walk_input, Outputs};
use stig_formats::control_view::FleetBuilder;
use stig_formats::import::{classify, HostImport, InputKind, SetAside, Unreadable};
use stig_formats::model::{HostResults, StigChecklist};
use stig_formats::output::{checklist_files, Formats, CHECKLISTS_DIR, CHECKLIST_TOOL};

wit_bindgen::generate!({
    world: "transform",
    path: "../../../wit/since_v0.1.0",
});

use stigpack::component::types::InputProblem;

struct Import;

fn invalid(file: &str, reason: impl ToString) -> RunError {
    RunError::InvalidInput(InputProblem {
        file: file.to_string(),
        reason: reason.to_string(),
    })
}

fn format_error(e: stig_formats::Error) -> RunError {
    let file = e.file.clone();
    invalid(&file, e.kind)
}

impl Guest for Import {
    fn info() -> ComponentInfo {
        ComponentInfo {
            name: "import".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "reads CKL, CKLB and XCCDF scan results per host into the canonical model"
                .into(),
            produces: vec![
                "hosts/<host>.model".into(),
                "fleet.view".into(),
                "checklists/<host>/<benchmark>.ckl".into(),
                "import-report.json".into(),
            ],
        }
    }

    fn run(ctx: RunContext) -> Result<Vec<String>, RunError> {
        let opts = guest_kit::Options(ctx.options.clone());
        let mut view = opts
            .flag("view", false)
            .map_err(RunError::Unsupported)?
            .then(FleetBuilder::new);
        let formats = match opts.get("checklists").unwrap_or("none") {
            "none" => None,
            name => Some(Formats::named(name).ok_or_else(|| {
                RunError::Unsupported(format!("checklists {name:?}: use none, ckl, cklb or both"))
            })?),
        };
        let write_model = opts.flag("model", true).map_err(RunError::Unsupported)?;
        let keep_going = opts
            .flag("keep-going", false)
            .map_err(RunError::Unsupported)?;
        let mut unreadable: Vec<Unreadable> = Vec::new();
        let left_out: Vec<Unreadable> = match opts.get("left-out") {
            None => Vec::new(),
            Some(_) if !keep_going => {
                return Err(RunError::Unsupported(
                    "left-out needs keep-going=true".into(),
                ))
            }
            Some(json) => serde_json::from_str(json)
                .map_err(|e| RunError::Unsupported(format!("left-out: {e}")))?,
        };
        std::panic::set_hook(Box::new(|info| {
            let file = READING.with(|r| r.borrow().clone());
            eprintln!("{TRAPPED_MARK}{file}\n{info}");
        }));
        let mut out = Outputs::new();
        let benchmarks = read_benchmarks()?;
        let hosts = subdirs("scans")
            .map_err(|e| RunError::Internal(format!("listing /input/scans: {e}")))?;
        let mut seen_folded: BTreeMap<String, String> = BTreeMap::new();
        let mut report: BTreeMap<String, Vec<SetAside>> = BTreeMap::new();
        for host in &hosts {
            let dir = format!("scans/{host}");
            stig_formats::safe_host_component(host).map_err(|e| invalid(&dir, e.kind))?;
            if let Some(other) = seen_folded.insert(host.to_lowercase(), host.clone()) {
                return Err(invalid(
                    &dir,
                    format!("host name differs from scans/{other} only in letter case; on Windows they are the same host"),
                ));
            }
            if let Some(u) = left_out.iter().find(|u| &u.host == host) {
                unreadable.push(u.clone());
                continue;
            }
            let (results, aside) = match read_host(host, &dir, &benchmarks) {
                Ok(read) => read,
                Err(RunError::InvalidInput(p)) if keep_going => {
                    unreadable.push(Unreadable {
                        host: host.clone(),
                        file: p.file.strip_prefix("scans/").unwrap_or(&p.file).to_owned(),
                        reason: p.reason,
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            // The same writer, layout and tool comment as the `checklist` component: the
            // bytes are those it would write from this host's model. Written only once the
            // whole host is known to be exportable.
            let written = match formats
                .map(|f| checklist_files(&results, f, false, CHECKLIST_TOOL))
                .transpose()
            {
                Ok(written) => written.unwrap_or_default(),
                Err(e) => {
                    let file = if e.file.is_empty() {
                        dir.clone()
                    } else {
                        e.file.clone()
                    };
                    if !keep_going {
                        return Err(invalid(&file, e.kind));
                    }
                    unreadable.push(Unreadable {
                        host: host.clone(),
                        file: file.strip_prefix("scans/").unwrap_or(&file).to_owned(),
                        reason: e.kind.to_string(),
                    });
                    continue;
                }
            };
            if write_model {
                let model = stig_formats::model_file::encode(&results)
                    .map_err(|e| RunError::Internal(e.to_string()))?;
                let path = format!("hosts/{host}{}", stig_formats::model_file::SUFFIX);
                out.write(&path, &model)
                    .map_err(|e| RunError::Internal(format!("writing {path}: {e}")))?;
            }
            for file in written {
                let path = format!("{CHECKLISTS_DIR}/{}", file.path);
                out.write(&path, &file.bytes)
                    .map_err(|e| RunError::Internal(format!("writing {path}: {e}")))?;
            }
            if let Some(view) = view.as_mut() {
                // Sources are named as the package keeps them: under 01_Scans/, without
                // this component's `scans/` prefix.
                let mut results = results;
                for c in &mut results.checklists {
                    if let Some(rest) = c.source.file.strip_prefix("scans/") {
                        c.source.file = rest.to_owned();
                    }
                }
                view.add_host(&results).map_err(|e| invalid(&dir, e))?;
            }
            report.insert(host.clone(), aside);
        }
        if let Some(view) = view {
            let bytes = stig_formats::model_file::encode_view(&view.finish())
                .map_err(|e| RunError::Internal(e.to_string()))?;
            out.write(stig_formats::model_file::VIEW_FILE, &bytes)
                .map_err(|e| {
                    RunError::Internal(format!(
                        "writing {}: {e}",
                        stig_formats::model_file::VIEW_FILE
                    ))
                })?;
        }
        if keep_going {
            let mut json = serde_json::to_vec_pretty(&unreadable)
                .map_err(|e| RunError::Internal(e.to_string()))?;
            json.push(b'\n');
            out.write(stig_formats::import::UNREADABLE_FILE, &json)
                .map_err(|e| RunError::Internal(format!("writing unreadable.json: {e}")))?;
        }
        let mut report_json =
            serde_json::to_vec_pretty(&report).map_err(|e| RunError::Internal(e.to_string()))?;
        report_json.push(b'\n');
        out.write("import-report.json", &report_json)
            .map_err(|e| RunError::Internal(format!("writing import-report.json: {e}")))?;
        Ok(out.finish())
    }
}

/// The file being parsed, for the panic hook: a trap must name the file, not the sandbox.
const TRAPPED_MARK: &str = "stigpack-import: trapped while reading ";

std::thread_local! {
    static READING: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Reads one host's files into its results; an unreadable file is `InvalidInput` naming it.
///
/// A DISA benchmark found among the host's files is offered to its XCCDF results, as a
/// `--benchmark` is. Files are read in order; when such a benchmark comes after results
/// it could have served, the host is read once more with it known from the start, so
/// the outcome does not depend on file names.
fn read_host(
    host: &str,
    dir: &str,
    benchmarks: &[StigChecklist],
) -> Result<(HostResults, Vec<SetAside>), RunError> {
    let mut local = Vec::new();
    match read_host_with(host, dir, benchmarks, &mut local) {
        Ok((read, false)) => return Ok(read),
        Ok((_, true)) => {}
        // A benchmark after the file that failed may be the one it lacked.
        Err(e) => {
            host_benchmarks(dir, benchmarks, &mut local)?;
            if local.is_empty() {
                return Err(e);
            }
        }
    }
    Ok(read_host_with(host, dir, benchmarks, &mut local)?.0)
}

/// Adds to `local` every DISA benchmark among the host's files that neither `given` nor
/// `local` holds.
fn host_benchmarks(
    dir: &str,
    given: &[StigChecklist],
    local: &mut Vec<StigChecklist>,
) -> Result<(), RunError> {
    let files =
        walk_input(dir).map_err(|e| RunError::Internal(format!("listing /input/{dir}: {e}")))?;
    for f in files {
        let bytes =
            std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
        if classify(&f.rel, &bytes) != InputKind::XccdfBenchmark {
            continue;
        }
        READING.with(|r| f.rel.clone_into(&mut r.borrow_mut()));
        if let Ok(b) = read_benchmark(&bytes, &f.rel) {
            if !given
                .iter()
                .chain(local.iter())
                .any(|k| same_release(k, &b))
            {
                local.push(b);
            }
        }
    }
    Ok(())
}

/// Two benchmarks of one STIG release (the file they came from aside).
fn same_release(a: &StigChecklist, b: &StigChecklist) -> bool {
    (&a.info.stigid, &a.info.version, &a.info.releaseinfo)
        == (&b.info.stigid, &b.info.version, &b.info.releaseinfo)
}

/// One pass over a host's files with the given `benchmarks` and the host's own
/// (`local`, added to as they are found); also whether one was found after results
/// were read.
fn read_host_with(
    host: &str,
    dir: &str,
    benchmarks: &[StigChecklist],
    local: &mut Vec<StigChecklist>,
) -> Result<((HostResults, Vec<SetAside>), bool), RunError> {
    let mut read_results = false;
    let mut found_late = false;
    let mut imp = HostImport::new(host);
    let files =
        walk_input(dir).map_err(|e| RunError::Internal(format!("listing /input/{dir}: {e}")))?;
    for f in files {
        let bytes =
            std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
        let name = f.rel.as_str();
        READING.with(|r| name.clone_into(&mut r.borrow_mut()));
        match classify(name, &bytes) {
            InputKind::Ckl => {
                let mut c = stig_formats::ckl::read(&bytes, name).map_err(format_error)?;
                c.source.file = name.to_string();
                imp.add_checklist(c).map_err(format_error)?;
            }
            InputKind::XccdfResults => {
                read_results = true;
                // The given benchmarks, borrowed; copied only when the host has its own.
                let offered: std::borrow::Cow<'_, [StigChecklist]> = if local.is_empty() {
                    std::borrow::Cow::Borrowed(benchmarks)
                } else {
                    std::borrow::Cow::Owned(
                        benchmarks.iter().chain(local.iter()).cloned().collect(),
                    )
                };
                let benchmarks = &offered[..];
                match stig_formats::xccdf::results::read_matching_noted(&bytes, name, benchmarks) {
                    Ok((mut c, not_used)) => {
                        c.source.file = name.to_string();
                        imp.add_checklist(c).map_err(format_error)?;
                        // A benchmark of another release: said in the report.
                        for n in not_used {
                            imp.set_aside(
                                &n.benchmark,
                                InputKind::XccdfBenchmark,
                                &format!("not used for {name}: {}", n.reason),
                            );
                        }
                    }
                    // No benchmark of theirs given (none of their id, or only other
                    // releases of it): a checklist of the one they name may cover them
                    // (Evaluate-STIG writes both from one scan).
                    Err(e) if matches!(e.kind, stig_formats::ErrorKind::MissingElement { .. }) => {
                        let stated = stig_formats::xccdf::results::stated_release(&bytes, name);
                        let theirs = |b: &StigChecklist| {
                            stated.as_ref().is_none_or(|d| {
                                stig_formats::xccdf::release::parse(&b.info.releaseinfo)
                                    .is_some_and(|r| r.same_date(d))
                            })
                        };
                        match stig_formats::import::results_benchmark(&bytes, name).filter(|id| {
                            !benchmarks.iter().any(|b| &b.info.stigid == id && theirs(b))
                        }) {
                            Some(id) => imp.defer_results(name, &id, e),
                            None => return Err(format_error(e)),
                        }
                    }
                    Err(e) => return Err(format_error(e)),
                }
            }
            kind @ InputKind::Cklb => {
                if let Some(mut c) = read_other(kind, &bytes, name, benchmarks)? {
                    c.source.file = name.to_string();
                    imp.add_checklist(c).map_err(format_error)?;
                }
            }
            InputKind::XccdfBenchmark => match read_benchmark(&bytes, name) {
                Ok(b) => {
                    if !benchmarks
                        .iter()
                        .chain(local.iter())
                        .any(|k| same_release(k, &b))
                    {
                        found_late |= read_results;
                        local.push(b);
                    }
                    imp.set_aside(
                        name,
                        InputKind::XccdfBenchmark,
                        "a benchmark definition, not results: offered to this host's XCCDF results",
                    )
                }
                Err(_) => imp.set_aside(
                    name,
                    InputKind::XccdfBenchmark,
                    "a benchmark definition that does not read as a DISA benchmark, not results",
                ),
            },
            InputKind::EvaluateStigSummary => imp.set_aside(
                name,
                InputKind::EvaluateStigSummary,
                "an Evaluate-STIG summary: kept as a raw scan, not a checklist source",
            ),
            InputKind::Other => {
                imp.set_aside(name, InputKind::Other, "not a recognised scan format")
            }
        }
    }
    imp.finish().map_err(format_error).map(|r| (r, found_late))
}

fn read_benchmarks() -> Result<Vec<StigChecklist>, RunError> {
    let files = walk_input("benchmarks")
        .map_err(|e| RunError::Internal(format!("listing /input/benchmarks: {e}")))?;
    let mut out = Vec::new();
    for f in files {
        let bytes =
            std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
        out.push(read_benchmark(&bytes, &given_name(&f.rel))?);
    }
    Ok(out)
}

/// The name the operator gave a `--benchmark` file: the host stages each one as
/// `benchmarks/<position>-<name>` (position: 3+ digits, so two files of one name cannot
/// collide), and that staging prefix must not reach a checklist's STIG_INFO `filename`
/// nor a message. Only the first `<digits>-` is the host's; the rest is the operator's.
fn given_name(rel: &str) -> String {
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    let name = match file.split_once('-') {
        Some((pos, rest))
            if pos.len() >= 3 && !rest.is_empty() && pos.bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        _ => file,
    };
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

include!("formats_glue.rs");

export!(Import);
