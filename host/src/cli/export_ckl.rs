//! `stigpack export-ckl`: scan results in, one checklist per host and benchmark out.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{Globals, SandboxOpts};
use crate::exit::Exit;
use crate::pipeline::{self, ChecklistOptions};
use crate::staging::Staged;

const AFTER_HELP: &str = "\
Examples:
  stigpack export-ckl --results fleet_results --out checklists
  stigpack export-ckl --results fleet_results --benchmark U_MS_Windows_Server_2019_STIG_V2R2_Manual-xccdf.xml \\
      --out checklists --format both --exported-at 2026-11-22T20:00:00Z

Layout: <out>/<host>/<benchmark-id>.ckl (and .cklb); with --combined, <out>/<host>/<host>.ckl.
With --keep-going, hosts that cannot be read are left out, listed on stderr and in
<out>/unreadable-hosts.json, and the exit code is 9.";

#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ExportCklArgs {
    /// Results root: one directory per host holding its scan files (CKL, CKLB, XCCDF results).
    #[arg(long, value_name = "DIR")]
    pub results: PathBuf,
    /// DISA XCCDF benchmark(s) for XCCDF results that do not carry their rules.
    #[arg(long, value_name = "XCCDF")]
    pub benchmark: Vec<PathBuf>,
    /// Output directory; written whole or not at all.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Checklist format.
    #[arg(long, value_parser = ["ckl", "cklb", "both"], default_value = "ckl")]
    pub format: String,
    /// One checklist per host holding every benchmark, instead of one per benchmark.
    #[arg(long)]
    pub combined: bool,
    /// The export time (RFC 3339) [default: $SOURCE_DATE_EPOCH, else now].
    #[arg(long, value_name = "TIME")]
    pub exported_at: Option<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
    /// Export every host that can be read; leave out (and list) the others, exit 9.
    #[arg(long)]
    pub keep_going: bool,
    /// Print one JSON document (files written, hosts, left-out hosts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

/// The `--json` document's shape; bump on any incompatible change.
pub const JSON_SCHEMA: &str = "stigpack.export-ckl/1";

/// Beside the checklists of a `--keep-going` export that left hosts out: which, and why.
pub const UNREADABLE_SUMMARY: &str = "unreadable-hosts.json";

pub fn run(args: ExportCklArgs, g: &Globals) -> anyhow::Result<Exit> {
    let target = args.out.display().to_string();
    let result = export(&args);
    let recorded = g.record("export-ckl", &target, &result, |runs| {
        serde_json::json!({
            "exportedAt": runs.checklist.exported_at,
            "hosts": runs.import.outputs.iter().filter(|f| f.path.starts_with("hosts/")).count(),
            "files": runs.checklist.outputs,
            "unreadableHosts": runs.unreadable,
            "components": [
                {"name": runs.import.component, "version": runs.import.version, "sha256": runs.import.wasm_sha256},
                {"name": runs.checklist.component, "version": runs.checklist.version, "sha256": runs.checklist.wasm_sha256},
            ],
        })
    });
    match (result, recorded) {
        (Err(e), Err(r)) => {
            eprintln!("stigpack: warning: the failure could not be recorded: {r:#}");
            Err(e)
        }
        (Err(e), Ok(())) => Err(e),
        (Ok(_), Err(r)) => Err(r),
        (Ok(runs), Ok(())) => {
            let exit = if runs.unreadable.is_empty() {
                Exit::Success
            } else {
                Exit::Partial
            };
            if args.json {
                super::print_json(
                    JSON_SCHEMA,
                    exit,
                    serde_json::json!({
                        "out": args.out.display().to_string(),
                        "exportedAt": runs.checklist.exported_at,
                        "hosts": runs.import.outputs.iter().filter(|f| f.path.starts_with("hosts/")).count(),
                        "files": runs.checklist.outputs,
                        "unreadableHosts": runs.unreadable,
                    }),
                )?;
            }
            Ok(exit)
        }
    }
}

fn export(args: &ExportCklArgs) -> anyhow::Result<pipeline::PipelineRuns> {
    let exported_at = crate::time_arg::export_time(args.exported_at.as_deref())?;
    let hosts = pipeline::host_dirs(&args.results)?;
    let staged = Staged::new(&args.out, args.force)?;
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let input = scratch.path().join("input");
    for h in &hosts {
        crate::input_files::copy_tree(&h.path, &input.join("scans").join(&h.name))?;
    }
    stage_benchmarks(&args.benchmark, &input.join("benchmarks"))?;
    let sandbox = args.sandbox.sandbox()?;
    let runs = pipeline::scans_to_checklists(
        &sandbox,
        &input,
        &scratch.path().join("model"),
        staged.path(),
        exported_at,
        &ChecklistOptions {
            format: args.format.clone(),
            combined: args.combined,
            keep_going: args.keep_going,
        },
        &args.sandbox.limits(),
    )?;
    let written = runs.checklist.outputs.len();
    if !runs.unreadable.is_empty() {
        let mut json = serde_json::to_vec_pretty(&runs.unreadable)
            .context("serialising the unreadable hosts")?;
        json.push(b'\n');
        std::fs::write(staged.path().join(UNREADABLE_SUMMARY), json)
            .with_context(|| format!("writing {UNREADABLE_SUMMARY}"))?;
    }
    let out = staged.commit()?;
    pipeline::report_unreadable(&args.results, &runs.unreadable);
    if args.json {
        return Ok(runs);
    }
    println!(
        "wrote {written} checklist file(s) for {} host(s) to {}",
        hosts.len() - runs.unreadable.len(),
        out.display()
    );
    if !runs.unreadable.is_empty() {
        println!(
            "INCOMPLETE: {} of {} host(s) could not be read and were left out (see {}):",
            runs.unreadable.len(),
            hosts.len(),
            out.join(UNREADABLE_SUMMARY).display()
        );
        for u in &runs.unreadable {
            println!("  {}", u.line());
        }
    }
    Ok(runs)
}

/// Copy benchmark files into the component input, named by position so two benchmarks
/// with the same file name cannot overwrite each other.
pub fn stage_benchmarks(files: &[PathBuf], dst: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    for (i, f) in files.iter().enumerate() {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "benchmark.xml".into());
        let meta = std::fs::symlink_metadata(f).map_err(|e| {
            crate::exit::coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", f.display()))
        })?;
        if !meta.is_file() {
            return Err(crate::exit::coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: not a regular file", f.display()),
            ));
        }
        std::fs::copy(f, dst.join(format!("{i:03}-{name}")))
            .with_context(|| format!("copying {}", f.display()))?;
    }
    Ok(())
}
