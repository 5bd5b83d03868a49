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
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use stigpack_winrm::fleet::{collect_host, for_each_host_reporting, FleetOptions, Inventory};
use stigpack_winrm::{CertCheck, ClientConfig, TransportConfig};

use super::Globals;
use crate::exit::{coded, Exit};

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
pub struct Common {
    /// Inventory file: stigpack JSON, the JSON lines `stigpack simulate` prints (mode
    /// 0600), or an Ansible inventory (INI or YAML; docs/winrm.md).
    #[arg(long, short = 'i', value_name = "FILE")]
    pub inventory: PathBuf,
    /// Only these hosts (repeatable; inventory order is kept).
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// Only the hosts an Ansible host pattern selects: a group or host, `a:b` (union),
    /// `a:&b` (intersection), `a:!b` (exclusion), globs (`ws*`), or comma-separated.
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Hosts worked on at once.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub concurrency: usize,
    /// Budget per host for the whole operation, in seconds [default: 600; for apply and
    /// verify: the longest profile timeout + 600].
    #[arg(long, value_name = "SECS")]
    pub host_timeout: Option<u64>,
    /// TCP/TLS connect timeout, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub connect_timeout: u64,
    /// WS-Management OperationTimeout, in seconds (HTTP read timeout is this + 10).
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub operation_timeout: u64,
    /// LAB ONLY: accept any TLS certificate (anyone on the path can read the traffic).
    #[arg(long)]
    pub dangerous_accept_any_certificate: bool,
    /// Pull files as plain chunks instead of gzip-compressed by the host (for content
    /// that deflates past the 1000:1 cap, or to compare).
    #[arg(long)]
    pub no_compress: bool,
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

/// `--host-timeout` when not given (apply and verify add it to the profile's timeout).
pub(super) const DEFAULT_HOST_TIMEOUT: u64 = 600;

pub(super) fn options(c: &Common) -> anyhow::Result<(Inventory, FleetOptions)> {
    let mut inv = Inventory::load(&c.inventory).map_err(|e| coded(Exit::BadInput, e))?;
    inv.select(&c.hosts)
        .map_err(|e| coded(Exit::Usage, anyhow::anyhow!(e)))?;
    if let Some(pattern) = &c.limit {
        inv.limit(pattern)
            .map_err(|e| coded(Exit::Usage, anyhow::anyhow!(e)))?;
    }
    if c.concurrency == 0 {
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!("--concurrency must be at least 1"),
        ));
    }
    let cert_check = if c.dangerous_accept_any_certificate {
        eprintln!(
            "WARNING: --dangerous-accept-any-certificate: TLS certificates are NOT verified; \
             anyone on the network path can impersonate these hosts and read credentials. Labs only."
        );
        CertCheck::DangerousAcceptAnyCertificate
    } else {
        CertCheck::Verify
    };
    // Hosts the inventory describes in ways stigpack cannot honour fail the run only
    // when they are selected (e.g. Linux hosts of the same Ansible inventory).
    inv.check_usable(&c.inventory, cert_check)
        .map_err(|e| coded(Exit::BadInput, e))?;
    let op = Duration::from_secs(c.operation_timeout.max(1));
    Ok((
        inv,
        FleetOptions {
            concurrency: c.concurrency,
            host_timeout: Duration::from_secs(
                c.host_timeout.unwrap_or(DEFAULT_HOST_TIMEOUT).max(1),
            ),
            client: ClientConfig {
                operation_timeout: op,
                compress_pulls: !c.no_compress,
                ..ClientConfig::default()
            },
            transport: TransportConfig {
                connect_timeout: Duration::from_secs(c.connect_timeout.max(1)),
                read_timeout: op + Duration::from_secs(10),
                ..TransportConfig::default()
            },
            cert_check,
            ..FleetOptions::default()
        },
    ))
}

/// A runtime, and a cancel flag flipped by Ctrl-C.
pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub(super) fn ctrl_c_flag() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: stopping hosts and deleting their remote shells...");
            let _ = tx.send(true);
        }
    });
    rx
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

/// The audit trail of one fleet command: the log, opened before any host is contacted,
/// and what the operation entry says about its inputs.
pub(super) struct FleetAudit {
    log: stigpack_audit::AuditLog,
    action: &'static str,
    operation: serde_json::Map<String, serde_json::Value>,
}

impl FleetAudit {
    /// Opens the log and describes the operation: which inventory (by path and SHA-256,
    /// never its contents, which may hold passwords), which selection, which hosts.
    pub(super) fn open(
        g: &Globals,
        action: &'static str,
        c: &Common,
        inv: &Inventory,
    ) -> anyhow::Result<Self> {
        let log = g.open_audit_log()?;
        let inventory_sha256 = crate::hashing::sha256_file(&c.inventory)
            .map(|(hex, _)| hex)
            .with_context(|| format!("hashing {}", c.inventory.display()))?;
        let mut operation = serde_json::Map::new();
        operation.insert("inventory".into(), json!(c.inventory.display().to_string()));
        operation.insert("inventorySha256".into(), json!(inventory_sha256));
        operation.insert("hostArgs".into(), json!(c.hosts));
        operation.insert("limit".into(), json!(c.limit));
        operation.insert(
            "hosts".into(),
            json!(inv.hosts.iter().map(|h| &h.name).collect::<Vec<_>>()),
        );
        Ok(FleetAudit {
            log,
            action,
            operation,
        })
    }

    /// One entry per host, in inventory order, then the operation's own entry with the
    /// tally (Partial when some hosts failed).
    pub(super) fn finish(
        mut self,
        hosts: Vec<(String, bool, serde_json::Value)>,
        extra: serde_json::Value,
    ) -> anyhow::Result<()> {
        use stigpack_audit::{EntryDraft, Outcome};
        let failed = hosts.iter().filter(|(_, ok, _)| !ok).count();
        let mut drafts: Vec<EntryDraft> = hosts
            .iter()
            .map(|(host, ok, details)| {
                let outcome = if *ok {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                EntryDraft::new(self.action, host, outcome).with_details(details.clone())
            })
            .collect();
        self.operation
            .insert("ok".into(), json!(hosts.len() - failed));
        self.operation.insert("failed".into(), json!(failed));
        if let serde_json::Value::Object(m) = extra {
            self.operation.extend(m);
        }
        let outcome = match (failed, hosts.len()) {
            (0, _) => Outcome::Success,
            (f, n) if f == n => Outcome::Failure,
            _ => Outcome::Partial,
        };
        drafts.push(
            EntryDraft::new(self.action, "fleet", outcome)
                .with_details(serde_json::Value::Object(self.operation)),
        );
        // One write and one fsync for the whole run, not one per host.
        self.log
            .append_all(drafts)
            .context("recording in the audit log")?;
        Ok(())
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

/// How a host's files travelled, for `--json` and the audit entry.
pub(super) fn transfer_json(t: &stigpack_winrm::fleet::TransferSummary) -> serde_json::Value {
    json!({"mode": t.mode_name(), "bytes": t.bytes, "wireBytes": t.wire_bytes})
}

/// The one `--json` document of a fleet command: `stigpack.fleet-<command>/1` with the
/// per-host outcomes in inventory order, the tally, the wall time and `extra`'s fields.
pub(super) fn print_fleet_json(
    command: &str,
    exit: Exit,
    hosts: Vec<serde_json::Value>,
    failed: usize,
    started: std::time::Instant,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let mut doc = json!({
        "ok": hosts.len() - failed,
        "failed": failed,
        "durationMs": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    if let (Some(d), serde_json::Value::Object(m)) = (doc.as_object_mut(), extra) {
        d.extend(m);
    }
    doc["hosts"] = json!(hosts);
    super::print_json(&format!("stigpack.fleet-{command}/1"), exit, doc)
}

/// Print the fleet tally and pick the exit code: any failed host makes it `Exit::Fleet`.
pub(super) fn fleet_verdict(hosts: usize, failed: usize) -> Exit {
    eprintln!("{hosts} host(s), {} ok, {failed} failed", hosts - failed);
    if failed > 0 {
        Exit::Fleet
    } else {
        Exit::Success
    }
}
