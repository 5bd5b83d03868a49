//! `stigpack fleet status|collect|run-tool|apply|verify`: WinRM operations across an inventory of Windows hosts
//! (the `stigpack-winrm` crate; inventory format in docs/winrm.md). Best effort: every
//! host is tried, results print in inventory order, and the exit code is 8 (Fleet) when
//! any host failed. Ctrl-C stops running hosts and deletes their remote shells first.
//!
//! Every command leaves one audit entry per host (target = the host's name, so `audit
//! show --target host17` answers "what happened to host17") and then one for the whole
//! operation (target `fleet`). The log is opened before any host is contacted: an
//! operation that could not be recorded is not started.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use stigpack_winrm::fleet::{collect_host, for_each_host_reporting};

use super::fleet_common::{
    ctrl_c_flag, fleet_verdict, options, print_fleet_json, runtime, transfer_json, Common,
    FleetAudit,
};
use super::Globals;
use crate::exit::Exit;

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Ask every host who it is (hostname, OS and PowerShell versions, clock).
    Status(StatusArgs),
    /// Pull every host's results folder into <OUT>/<host>/, each file verified by SHA-256.
    Collect(CollectArgs),
    /// Run a tool (e.g. Evaluate-STIG) on every host; a non-zero exit is a failure.
    RunTool(RunToolArgs),
    /// Run the hardening step a tool profile describes (e.g. powerstig) on every host.
    Apply(super::fleet_step::ApplyArgs),
    /// Scan every host with a tool profile (default evaluate-stig) and collect each
    /// host's fresh results into <OUT>/<host>/, verified by SHA-256.
    Verify(super::fleet_step::VerifyArgs),
}

#[derive(Debug, Args)]
pub struct RunToolArgs {
    #[command(flatten)]
    pub common: Common,
    /// Remote path of the program or script, e.g. C:\STIG\Evaluate-STIG\Evaluate-STIG.ps1.
    #[arg(long, value_name = "PATH")]
    pub path: String,
    /// Argument passed to the tool (repeatable, in order).
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Remote working directory.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// Print one JSON document (per-host outcomes, counts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub common: Common,
    /// Print one JSON document (per-host outcomes, counts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub common: Common,
    /// Directory receiving one folder per host (and collect-summary.json).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a host's folder if it already exists.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document (per-host outcomes, counts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: FleetCommand, g: &Globals) -> anyhow::Result<Exit> {
    match cmd {
        FleetCommand::Status(a) => status(a, g),
        FleetCommand::Collect(a) => collect(a, g),
        FleetCommand::RunTool(a) => run_tool(a, g),
        FleetCommand::Apply(a) => super::fleet_step::apply(a, g),
        FleetCommand::Verify(a) => super::fleet_step::verify(a, g),
    }
}

fn run_tool(args: RunToolArgs, g: &Globals) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let (inv, opts) = options(&args.common)?;
    let audit = FleetAudit::open(g, "fleet.run-tool", &args.common, &inv)?;
    // The arguments may carry secrets (a tool's -Password): the log keeps their digest,
    // which confirms a given command line without holding it.
    let invocation = json!({
        "program": args.path,
        "argsSha256": crate::hashing::sha256_hex(serde_json::to_string(&args.args)?.as_bytes()),
        "cwd": args.cwd,
    });
    let rt = runtime()?;
    let (path, targs, cwd) = (args.path.clone(), args.args.clone(), args.cwd.clone());
    let outcomes = rt.block_on(async {
        let cancel = ctrl_c_flag();
        let progress = super::progress::fleet("run-tool", inv.hosts.len(), args.json, g.quiet);
        let ok = |o: &stigpack_winrm::CommandOutput| o.exit_code == 0;
        for_each_host_reporting(&inv.hosts, &opts, cancel, progress, ok, move |c, _| {
            let (path, targs, cwd) = (path.clone(), targs.clone(), cwd.clone());
            async move {
                c.with_shell(async |s: &stigpack_winrm::Shell| {
                    s.run_tool(&path, &targs, cwd.as_deref()).await
                })
                .await
            }
        })
        .await
    });
    let mut failed = 0;
    let mut recorded = Vec::new();
    let mut rows = Vec::new();
    for o in &outcomes {
        let mut details = invocation.clone();
        let line = match &o.result {
            Ok(out) if out.exit_code == 0 => format!("{:<24} ok      exit 0", o.host),
            Ok(out) => {
                failed += 1;
                let err = out.stderr.lines().next().unwrap_or("").trim();
                format!("{:<24} FAILED  exit {}: {err}", o.host, out.exit_code)
            }
            Err(e) => {
                failed += 1;
                details["error"] = json!(e);
                format!("{:<24} FAILED  {e}", o.host)
            }
        };
        if !args.json {
            println!("{line}");
        }
        if let Ok(out) = &o.result {
            details["exitCode"] = json!(out.exit_code);
        }
        let ok = matches!(&o.result, Ok(out) if out.exit_code == 0);
        let mut row = json!({"host": o.host, "ok": ok});
        match &o.result {
            Ok(out) => row["remoteExitCode"] = json!(out.exit_code),
            Err(e) => row["error"] = json!(e),
        }
        rows.push(row);
        recorded.push((o.host.clone(), ok, details));
    }
    audit.finish(recorded, invocation)?;
    let exit = fleet_verdict(outcomes.len(), failed);
    if args.json {
        print_fleet_json("run-tool", exit, rows, failed, started, json!({}))?;
    }
    Ok(exit)
}

fn status(args: StatusArgs, g: &Globals) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let (inv, opts) = options(&args.common)?;
    let audit = FleetAudit::open(g, "fleet.status", &args.common, &inv)?;
    let rt = runtime()?;
    let outcomes = rt.block_on(async {
        let cancel = ctrl_c_flag();
        let progress = super::progress::fleet("status", inv.hosts.len(), args.json, g.quiet);
        for_each_host_reporting(
            &inv.hosts,
            &opts,
            cancel,
            progress,
            |_| true,
            |c, _| async move { c.status().await },
        )
        .await
    });
    let mut failed = 0;
    let mut rows = Vec::new();
    for o in &outcomes {
        match (&o.result, args.json) {
            (Ok(s), true) => rows.push(
                json!({"host": o.host, "ok": true, "hostname": s.hostname, "os_version": s.os_version,
                       "ps_version": s.ps_version, "time_utc": s.time_utc}),
            ),
            (Err(e), true) => rows.push(json!({"host": o.host, "ok": false, "error": e})),
            (Ok(s), false) => println!(
                "{:<24} ok      {} (OS {}, PowerShell {})",
                o.host, s.hostname, s.os_version, s.ps_version
            ),
            (Err(e), false) => println!("{:<24} FAILED  {e}", o.host),
        }
        failed += usize::from(o.result.is_err());
    }
    let recorded = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(s) => (
                o.host.clone(),
                true,
                json!({"hostname": s.hostname, "osVersion": s.os_version,
                       "psVersion": s.ps_version, "timeUtc": s.time_utc}),
            ),
            Err(e) => (o.host.clone(), false, json!({ "error": e })),
        })
        .collect();
    audit.finish(recorded, json!({}))?;
    let exit = fleet_verdict(outcomes.len(), failed);
    if args.json {
        print_fleet_json("status", exit, rows, failed, started, json!({}))?;
    }
    Ok(exit)
}

fn collect(args: CollectArgs, g: &Globals) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let (inv, opts) = options(&args.common)?;
    let audit = FleetAudit::open(g, "fleet.collect", &args.common, &inv)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let rt = runtime()?;
    let (out, force) = (args.out.clone(), args.force);
    let outcomes = rt.block_on(async {
        let cancel = ctrl_c_flag();
        let progress = super::progress::fleet("collect", inv.hosts.len(), args.json, g.quiet);
        for_each_host_reporting(
            &inv.hosts,
            &opts,
            cancel,
            progress,
            |_| true,
            move |c, e| {
                let out = out.clone();
                async move { collect_host(&c, &e, &out, force).await }
            },
        )
        .await
    });
    let mut failed = 0;
    let (mut hosts, mut summary_hosts) = (Vec::new(), Vec::new());
    let mut recorded = Vec::new();
    for o in &outcomes {
        match &o.result {
            Ok(h) => {
                let transfer = h.transfer();
                if !args.json {
                    println!(
                        "{:<24} ok      {} file(s) -> {} ({})",
                        o.host,
                        h.files.len(),
                        h.dir.display(),
                        transfer.describe()
                    );
                }
                let files = h
                    .files
                    .iter()
                    .map(|f| json!({"path": f.relative, "size": f.size, "sha256": f.sha256}))
                    .collect::<Vec<_>>();
                let travel = transfer_json(&transfer);
                recorded.push((
                    o.host.clone(),
                    true,
                    json!({"dir": h.dir.display().to_string(), "files": files, "transfer": travel}),
                ));
                // collect-summary.json holds what was collected, not how it travelled.
                summary_hosts.push(json!({"host": o.host, "ok": true, "files": files}));
                hosts.push(json!({"host": o.host, "ok": true, "files": files, "transfer": travel}));
            }
            Err(e) => {
                failed += 1;
                if !args.json {
                    println!("{:<24} FAILED  {e}", o.host);
                }
                recorded.push((o.host.clone(), false, json!({ "error": e })));
                let row = json!({"host": o.host, "ok": false, "error": e});
                summary_hosts.push(row.clone());
                hosts.push(row);
            }
        }
    }
    // Deterministic: inventory order, sorted files, no timestamps.
    let summary = serde_json::to_string_pretty(&json!({"hosts": summary_hosts}))? + "\n";
    let path = args.out.join("collect-summary.json");
    let mut tmp = tempfile::NamedTempFile::new_in(&args.out)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut tmp, summary.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    audit.finish(
        recorded,
        json!({"out": args.out.display().to_string(),
               "summarySha256": crate::hashing::sha256_hex(summary.as_bytes())}),
    )?;
    eprintln!(
        "{} host(s), {} collected, {failed} failed; summary in {}",
        outcomes.len(),
        outcomes.len() - failed,
        path.display()
    );
    let exit = if failed > 0 {
        Exit::Fleet
    } else {
        Exit::Success
    };
    if args.json {
        let extra =
            json!({"out": args.out.display().to_string(), "summary": path.display().to_string()});
        print_fleet_json("collect", exit, hosts, failed, started, extra)?;
    }
    Ok(exit)
}
