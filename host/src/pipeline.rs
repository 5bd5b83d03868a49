//! The scan-to-checklist pipeline shared by `export-ckl`, `export-emass` and `reproduce`:
//! stage the raw inputs, run `import`, run `checklist`, and keep the provenance of both.
//!
//! Data flows one way: raw scans (copied here, never modified) -> components -> files ->
//! the host hashes and records them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::exit::{coded, Exit};
use crate::sandbox::{ComponentSource, Limits, LoadedComponent, RunRecord, RunRequest, Sandbox};
use stig_formats::import::{Unreadable, UNREADABLE_FILE};

/// Load a built-in component by name.
pub fn builtin(sandbox: &Sandbox, name: &str) -> anyhow::Result<LoadedComponent> {
    let source = ComponentSource::builtin(name)
        .ok_or_else(|| anyhow::anyhow!("no built-in component named {name:?}"))?;
    Ok(sandbox.load(&source)?)
}

/// One host directory found under a results root.
#[derive(Debug, Clone)]
pub struct HostDir {
    pub name: String,
    pub path: PathBuf,
}

/// The host directories under `results`, validated and sorted. Host names come from
/// directory names an operator (or a scanned host) chose, so each must be a safe single
/// path component, and two names that differ only in case are refused (they collide on
/// Windows and on case-insensitive file systems).
pub fn host_dirs(results: &Path) -> anyhow::Result<Vec<HostDir>> {
    let rd = fs::read_dir(results).map_err(|e| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!(
                "{}: cannot read the results directory: {e}",
                results.display()
            ),
        )
    })?;
    let mut hosts = Vec::new();
    let mut folded: BTreeMap<String, String> = BTreeMap::new();
    for entry in rd {
        let entry = entry.with_context(|| format!("reading {}", results.display()))?;
        let path = entry.path();
        let ft = entry
            .file_type()
            .with_context(|| format!("{}", path.display()))?;
        if ft.is_symlink() {
            return Err(coded(
                Exit::BadInput,
                anyhow::anyhow!(
                    "{}: is a symbolic link; stigpack reads only real directories and files",
                    path.display()
                ),
            ));
        }
        if !ft.is_dir() {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            return Err(coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: host directory name is not valid UTF-8", path.display()),
            ));
        };
        stig_formats::safe_host_component(&name).map_err(|e| {
            coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: {}", path.display(), e.kind),
            )
        })?;
        if let Some(other) = folded.insert(name.to_lowercase(), name.clone()) {
            return Err(coded(
                Exit::BadInput,
                anyhow::anyhow!(
                    "{}: host name differs from {other:?} only in letter case; they would collide",
                    path.display()
                ),
            ));
        }
        hosts.push(HostDir { name, path });
    }
    hosts.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    if hosts.is_empty() {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!(
                "{}: no host directories (expected <results>/<host>/...)",
                results.display()
            ),
        ));
    }
    Ok(hosts)
}

/// Options for writing checklists.
#[derive(Debug, Clone)]
pub struct ChecklistOptions {
    pub format: String,
    pub combined: bool,
    /// Leave unreadable hosts out (listed in [`PipelineRuns::unreadable`]) instead of
    /// failing the run.
    pub keep_going: bool,
}

/// The outcome of running the pipeline: provenance of each run, in order.
#[derive(Debug, Clone)]
pub struct PipelineRuns {
    pub import: RunRecord,
    pub checklist: RunRecord,
    /// Hosts left out under `keep_going`, in host order.
    pub unreadable: Vec<Unreadable>,
}

/// The options that make the `import` component leave unreadable hosts out.
pub fn keep_going_option(options: &mut BTreeMap<String, String>) {
    options.insert("keep-going".to_owned(), "true".to_owned());
}

/// The hosts an `import` run with the keep-going option left out, from its output
/// directory (none when it ran without the option).
pub fn unreadable_hosts(import_out: &Path) -> anyhow::Result<Vec<Unreadable>> {
    let path = import_out.join(UNREADABLE_FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    serde_json::from_slice(&bytes)
        .with_context(|| format!("component import wrote a malformed {UNREADABLE_FILE}"))
}

/// Tells the operator, on stderr, which hosts were left out and why (`results`: where
/// the host directories are, so each file is named as the operator knows it).
pub fn report_unreadable(results: &Path, unreadable: &[Unreadable]) {
    for u in unreadable {
        eprintln!(
            "stigpack: left out host {}: {}: {}",
            u.host,
            results.join(&u.file).display(),
            u.reason
        );
    }
}

/// Under `--keep-going`, an export that could read no host at all is a plain failure
/// (exit 3, nothing written), naming every host's file and reason.
pub fn refuse_if_none_read(hosts: usize, unreadable: &[Unreadable]) -> anyhow::Result<()> {
    if hosts > 0 && unreadable.len() == hosts {
        let lines: Vec<String> = unreadable.iter().map(Unreadable::line).collect();
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!(
                "no host could be read; nothing exported:\n  {}",
                lines.join("\n  ")
            ),
        ));
    }
    Ok(())
}

/// Run `import` over `scan_input` (laid out as `scans/<host>/...`, `benchmarks/...`) into
/// `model_dir`, then `checklist` over `model_dir` into `out_dir`.
#[allow(clippy::too_many_arguments)]
pub fn scans_to_checklists(
    sandbox: &Sandbox,
    scan_input: &Path,
    model_dir: &Path,
    out_dir: &Path,
    exported_at: time::OffsetDateTime,
    opts: &ChecklistOptions,
    limits: &Limits,
) -> anyhow::Result<PipelineRuns> {
    let import = builtin(sandbox, "import")?;
    let checklist = builtin(sandbox, "checklist")?;
    fs::create_dir_all(model_dir).with_context(|| format!("creating {}", model_dir.display()))?;
    let mut import_options = BTreeMap::new();
    if opts.keep_going {
        keep_going_option(&mut import_options);
    }
    // Under keep-going, a run the sandbox stops is rerun without the host that stops it.
    let run_import = |input: &Path, output: &Path, options: &BTreeMap<String, String>| {
        sandbox
            .run(
                &import,
                &RunRequest {
                    input_dir: input,
                    output_dir: output,
                    exported_at,
                    options: options.clone(),
                    limits: limits.clone(),
                },
            )
            .map_err(anyhow::Error::new)
    };
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let import_run = crate::package::isolate::run_leaving_out(
        &run_import,
        scan_input,
        model_dir,
        &import_options,
        opts.keep_going,
        scratch.path(),
    )?;
    let unreadable = unreadable_hosts(model_dir)?;
    let hosts = fs::read_dir(scan_input.join("scans"))
        .map(|d| {
            d.filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
                .count()
        })
        .unwrap_or(0);
    refuse_if_none_read(hosts, &unreadable)?;
    fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let mut options = BTreeMap::new();
    options.insert("format".to_string(), opts.format.clone());
    options.insert("combined".to_string(), opts.combined.to_string());
    let checklist_run = sandbox.run(
        &checklist,
        &RunRequest {
            input_dir: model_dir,
            output_dir: out_dir,
            exported_at,
            options,
            limits: limits.clone(),
        },
    )?;
    Ok(PipelineRuns {
        import: import_run,
        checklist: checklist_run,
        unreadable,
    })
}
