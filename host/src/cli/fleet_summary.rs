//! `stigpack fleet-summary`: how compliant each host and the fleet is, straight from a
//! results tree, without building a package (the summary files and the HTML report that
//! a package holds in `06_Index/`, by the same component code).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{Globals, SandboxOpts};
use crate::exit::Exit;
use crate::package::summary;
use crate::pipeline;
use crate::staging::Staged;
use stig_formats::fleet_summary::FleetSummary;

const AFTER_HELP: &str = "\
Examples:
  stigpack fleet-summary --results fleet_results --out summary
  stigpack fleet-summary --results fleet_results --out summary --system \"Payroll Enclave\" \\
      --exported-at 2026-11-22T20:00:00Z --json

Writes <out>/fleet_summary.json, fleet_summary.csv (the control x host matrix),
fleet_summary.txt and fleet_report.html (open it in a browser), whole or not at all.
Hosts whose files cannot be read are left out of the figures and listed (stdout, stderr,
fleet_summary.json unreadableHosts, the report's readiness); the exit code is then 9.";

/// The `--json` document's shape; bump on any incompatible change.
pub const JSON_SCHEMA: &str = "stigpack.fleet-summary/1";

#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct FleetSummaryArgs {
    /// Results root: one directory per host holding its scan files.
    #[arg(long, value_name = "DIR")]
    pub results: PathBuf,
    /// DISA XCCDF benchmark(s) for XCCDF results that do not carry their rules.
    #[arg(long, value_name = "XCCDF")]
    pub benchmark: Vec<PathBuf>,
    /// Output directory; written whole or not at all.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// System name, shown in the report.
    #[arg(long, default_value = "System")]
    pub system: String,
    /// The time the report states (RFC 3339) [default: $SOURCE_DATE_EPOCH, else now].
    #[arg(long, value_name = "TIME")]
    pub exported_at: Option<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document (files, per-host figures, left-out hosts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

pub fn run(args: FleetSummaryArgs, g: &Globals) -> anyhow::Result<Exit> {
    let target = args.out.display().to_string();
    let result = write(&args);
    let recorded = g.record("fleet-summary", &target, &result, |(s, _)| {
        serde_json::json!({
            "results": args.results.display().to_string(),
            "files": s.written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "unreadableHosts": s.unreadable,
            "components": s.runs.iter().map(|r| serde_json::json!({
                "name": r.component, "version": r.version, "sha256": r.wasm_sha256,
            })).collect::<Vec<_>>(),
        })
    });
    let (s, fleet) = match (result, recorded) {
        (Err(e), Err(r)) => {
            eprintln!("stigpack: warning: the failure could not be recorded: {r:#}");
            return Err(e);
        }
        (Err(e), Ok(())) => return Err(e),
        (Ok(_), Err(r)) => return Err(r),
        (Ok(v), Ok(())) => v,
    };
    pipeline::report_unreadable(&args.results, &s.unreadable);
    let exit = if s.unreadable.is_empty() {
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
                "files": s.written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "hosts": fleet.hosts,
                "fleet": fleet.fleet,
                "failingControls": fleet.failing_controls.len(),
                "unreadableHosts": s.unreadable,
            }),
        )?;
        return Ok(exit);
    }
    let p = |v: Option<f64>| {
        v.map(|x| format!("{x:.2}%"))
            .unwrap_or_else(|| "n/a".into())
    };
    println!(
        "wrote {} ({} host(s); fleet compliance {}, {} failing control(s))",
        args.out.display(),
        fleet.hosts.len(),
        p(fleet.fleet.compliance_percent),
        fleet.failing_controls.len()
    );
    for f in &s.written {
        println!("  {}", f.display());
    }
    if !s.unreadable.is_empty() {
        println!(
            "INCOMPLETE: {} host(s) could not be read and were left out (fleet_summary.json unreadableHosts):",
            s.unreadable.len()
        );
        for u in &s.unreadable {
            println!("  {}", u.line());
        }
    }
    Ok(exit)
}

fn write(args: &FleetSummaryArgs) -> anyhow::Result<(summary::Summary, FleetSummary)> {
    let exported_at = crate::time_arg::export_time(args.exported_at.as_deref())?;
    let hosts = pipeline::host_dirs(&args.results)?;
    let staged = Staged::new(&args.out, args.force)?;
    let bench = tempfile::tempdir().context("creating a scratch directory")?;
    super::export_ckl::stage_benchmarks(&args.benchmark, bench.path())?;
    let sandbox = args.sandbox.sandbox()?;
    let s = summary::summarise(
        &sandbox,
        &args.sandbox.limits(),
        &hosts,
        (!args.benchmark.is_empty()).then_some(bench.path()),
        &args.system,
        exported_at,
        staged.path(),
    )?;
    let json_path = staged.path().join(summary::FILES[0].1);
    let fleet: FleetSummary = serde_json::from_slice(
        &std::fs::read(&json_path).with_context(|| format!("reading {}", json_path.display()))?,
    )
    .context("component emass wrote a malformed fleet_summary.json")?;
    let out = staged.commit()?;
    let written = s
        .written
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| out.join(n))
        .collect();
    Ok((summary::Summary { written, ..s }, fleet))
}
