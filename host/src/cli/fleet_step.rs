//! `stigpack fleet apply` and `stigpack fleet verify`: the hardening step and the scan,
//! each run on every host from a tool profile (data, not code: docs/winrm.md, "Tool
//! profiles"). Verify then collects each host's fresh results into `<out>/<host>/` the
//! way `collect` does. The remote exit code is always kept, printed and logged; a tool
//! that exits with a code its profile does not expect, or a scan that leaves no new
//! results, fails the host (exit 8), never passes silently.
//!
//! Which profile: `--profile NAME|FILE` for every host, else the one the inventory names
//! for the host (`verify_profile` / `apply_profile`, Ansible `stigpack_*_profile`), else
//! `evaluate-stig` for verify; apply without one is a usage error, since hardening is not
//! something to run by default.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde_json::json;
use stigpack_winrm::fleet::profile::{ProfileError, DEFAULT_VERIFY_PROFILE};
use stigpack_winrm::fleet::{
    for_each_host_reporting, run_step, CollectTo, HostOutcome, Inventory, ProfileRef, Step,
    StepReport, ToolProfile,
};

use super::fleet_common::{
    ctrl_c_flag, fleet_verdict, options, print_fleet_json, runtime, Common, FleetAudit,
    DEFAULT_HOST_TIMEOUT,
};
use super::Globals;
use crate::exit::{coded, Exit};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub common: Common,
    /// Tool profile: a built-in name (powerstig) or a profile file; overrides the
    /// inventory's apply_profile. Required unless the inventory names one for every host.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Print one JSON document (per-host outcomes, counts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: Common,
    /// Tool profile: a built-in name or a profile file; overrides the inventory's
    /// verify_profile [default: evaluate-stig].
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Directory receiving one folder per host (and verify-summary.json).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a host's folder if it already exists.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document (per-host outcomes, counts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Which profile each selected host runs, decided (and every profile loaded and checked)
/// before any host is contacted.
struct Plan {
    /// By host name.
    by_host: BTreeMap<String, Arc<ToolProfile>>,
    /// Each distinct profile once, with where it came from, in first-use order.
    used: Vec<(String, Arc<ToolProfile>)>,
}

impl Plan {
    fn longest_timeout(&self) -> u64 {
        self.used
            .iter()
            .map(|(_, p)| p.timeout_secs)
            .max()
            .unwrap_or(0)
    }

    fn audit_profiles(&self) -> serde_json::Value {
        json!(self
            .used
            .iter()
            .map(|(origin, p)| json!({"name": p.name, "origin": origin, "sha256": p.sha256()}))
            .collect::<Vec<_>>())
    }
}

fn plan(common: &Common, inv: &Inventory, cli: Option<&str>, step: Step) -> anyhow::Result<Plan> {
    let mut loaded: BTreeMap<ProfileRef, Arc<ToolProfile>> = BTreeMap::new();
    let mut used = Vec::new();
    let mut by_host = BTreeMap::new();
    let cli_ref = cli.map(|s| ProfileRef::parse(s, None));
    let mut missing = Vec::new();
    for h in &inv.hosts {
        let from_inventory = match step {
            Step::Verify => h.verify_profile.clone(),
            Step::Apply => h.apply_profile.clone(),
        };
        let (r, from_cli) = match (&cli_ref, from_inventory) {
            (Some(r), _) => (r.clone(), true),
            (None, Some(r)) => (r, false),
            (None, None) if step == Step::Verify => (
                ProfileRef::Builtin(DEFAULT_VERIFY_PROFILE.to_string()),
                true,
            ),
            (None, None) => {
                missing.push(h.name.clone());
                continue;
            }
        };
        let profile = match loaded.get(&r) {
            Some(p) => p.clone(),
            None => {
                // Said with where the operator named it, so the fix is obvious.
                let named = |e: ProfileError| {
                    if from_cli {
                        anyhow::Error::new(e)
                    } else {
                        anyhow::anyhow!(
                            "{e} (the inventory {} names it for host {})",
                            common.inventory.display(),
                            h.name
                        )
                    }
                };
                let p = ToolProfile::load(&r).map_err(|e| coded(Exit::BadInput, named(e)))?;
                let origin = match &r {
                    ProfileRef::Builtin(n) => n.clone(),
                    ProfileRef::File(f) => f.display().to_string(),
                };
                if let Err(e) = p.check_step(step, &origin) {
                    // On the command line it is the operator's slip; in the inventory, a
                    // wrong input file.
                    let code = if from_cli {
                        Exit::Usage
                    } else {
                        Exit::BadInput
                    };
                    return Err(coded(code, named(e)));
                }
                let p = Arc::new(p);
                loaded.insert(r.clone(), p.clone());
                used.push((origin, p.clone()));
                p
            }
        };
        by_host.insert(h.name.clone(), profile);
    }
    if !missing.is_empty() {
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!(
                "fleet apply needs a tool profile: give --profile NAME|FILE (built in: {}), \
                 or name one in the inventory (apply_profile, or stigpack_apply_profile in an \
                 Ansible inventory); no profile for: {}",
                stigpack_winrm::fleet::profile::builtin_names().join(", "),
                missing.join(", ")
            ),
        ));
    }
    Ok(Plan { by_host, used })
}

/// Runs one step across the fleet and returns each host's outcome in inventory order.
fn run_fleet(
    common: &Common,
    inv: &Inventory,
    mut opts: stigpack_winrm::fleet::FleetOptions,
    plan: &Plan,
    collect: Option<CollectTo>,
    progress: Arc<dyn stigpack_winrm::fleet::Progress>,
) -> anyhow::Result<Vec<HostOutcome<StepReport>>> {
    if common.host_timeout.is_none() {
        // A one-hour scan must not be cut off by the 10-minute default meant for status.
        opts.host_timeout = Duration::from_secs(plan.longest_timeout() + DEFAULT_HOST_TIMEOUT);
    }
    let by_host = Arc::new(plan.by_host.clone());
    let collect = Arc::new(collect);
    let rt = runtime()?;
    Ok(rt.block_on(async {
        let cancel = ctrl_c_flag();
        let ok = |r: &StepReport| r.error.is_none();
        for_each_host_reporting(&inv.hosts, &opts, cancel, progress, ok, move |c, e| {
            let profile = by_host.get(&e.name).cloned();
            let collect = collect.clone();
            async move {
                Ok(match profile {
                    Some(p) => run_step(&c, &e, &p, collect.as_ref().as_ref()).await,
                    None => StepReport {
                        exit_code: None,
                        results_dir: None,
                        collected: None,
                        error: Some(format!("{}: no tool profile planned", e.name)),
                        stderr_head: String::new(),
                        elapsed: Duration::ZERO,
                    },
                })
            }
        })
        .await
    }))
}

/// What one host's line, JSON object and audit entry say.
struct HostView<'a> {
    host: &'a str,
    profile: Option<&'a ToolProfile>,
    report: Option<&'a StepReport>,
    error: Option<&'a str>,
}

impl<'a> HostView<'a> {
    fn of(o: &'a HostOutcome<StepReport>, plan: &'a Plan) -> Self {
        let (report, error) = match &o.result {
            Ok(r) => (Some(r), r.error.as_deref()),
            Err(e) => (None, Some(e.as_str())),
        };
        HostView {
            host: &o.host,
            profile: plan.by_host.get(&o.host).map(|p| p.as_ref()),
            report,
            error,
        }
    }

    fn ok(&self) -> bool {
        self.error.is_none()
    }

    fn exit_code(&self) -> Option<i32> {
        self.report.and_then(|r| r.exit_code)
    }

    fn files(&self) -> Vec<serde_json::Value> {
        self.report
            .and_then(|r| r.collected.as_ref())
            .map(|c| {
                c.files
                    .iter()
                    .map(|f| json!({"path": f.relative, "size": f.size, "sha256": f.sha256}))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn line(&self) -> String {
        let exit = match self.exit_code() {
            Some(c) => format!("exit {c:<4}"),
            None => "exit -   ".to_string(),
        };
        let took = self
            .report
            .map(|r| format!(" ({:.1}s)", r.elapsed.as_secs_f64()))
            .unwrap_or_default();
        match (self.error, self.report.and_then(|r| r.collected.as_ref())) {
            (Some(e), _) => format!("{:<24} FAILED  {exit} {e}{took}", self.host),
            (None, Some(c)) => format!(
                "{:<24} ok      {exit} {} file(s) -> {} ({}){took}",
                self.host,
                c.files.len(),
                c.dir.display(),
                c.transfer().describe()
            ),
            (None, None) => format!("{:<24} ok      {exit}{took}", self.host),
        }
    }

    fn json(&self) -> serde_json::Value {
        let mut v = json!({
            "host": self.host,
            "ok": self.ok(),
            "profile": self.profile.map(|p| &p.name),
            "exitCode": self.exit_code(),
        });
        if let Some(r) = self.report {
            v["elapsedMs"] = json!(r.elapsed.as_millis() as u64);
            if let Some(d) = &r.results_dir {
                v["resultsDir"] = json!(d);
            }
            if let Some(c) = &r.collected {
                v["dir"] = json!(c.dir.display().to_string());
                v["files"] = json!(c.files.len());
                v["transfer"] = super::fleet_common::transfer_json(&c.transfer());
            }
        }
        if let Some(e) = self.error {
            v["error"] = json!(e);
        }
        v
    }

    /// The audit entry's details: what ran (arguments only as a digest: they may carry a
    /// secret), the remote exit code, and for verify every file with its SHA-256.
    fn audit(&self) -> serde_json::Value {
        let mut d = serde_json::Map::new();
        if let Some(p) = self.profile {
            d.insert("profile".into(), json!(p.name));
            d.insert("profileSha256".into(), json!(p.sha256()));
            d.insert("program".into(), json!(p.program));
            d.insert("argsSha256".into(), json!(p.args_sha256()));
            d.insert("cwd".into(), json!(p.cwd));
        }
        if let Some(c) = self.exit_code() {
            d.insert("exitCode".into(), json!(c));
        }
        if let Some(r) = self.report {
            d.insert("elapsedMs".into(), json!(r.elapsed.as_millis() as u64));
            if let Some(dir) = &r.results_dir {
                d.insert("resultsDir".into(), json!(dir));
            }
            if let Some(c) = &r.collected {
                d.insert("dir".into(), json!(c.dir.display().to_string()));
                d.insert("files".into(), json!(self.files()));
                d.insert(
                    "transfer".into(),
                    super::fleet_common::transfer_json(&c.transfer()),
                );
            }
        }
        if let Some(e) = self.error {
            d.insert("error".into(), json!(e));
        }
        serde_json::Value::Object(d)
    }
}

/// The table, or nothing under `--json` (the document comes once the verdict is known).
fn print_rows(views: &[HostView<'_>], json: bool) {
    if json {
        return;
    }
    for v in views {
        println!("{}", v.line());
    }
}

fn announce(step: Step, plan: &Plan, hosts: usize) {
    let names = plan
        .used
        .iter()
        .map(|(origin, p)| {
            if *origin == p.name {
                p.name.clone()
            } else {
                format!("{} ({origin})", p.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!("fleet {step}: {hosts} host(s), profile {names}");
}

pub fn apply(args: ApplyArgs, g: &Globals) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let (inv, opts) = options(&args.common)?;
    let plan = plan(&args.common, &inv, args.profile.as_deref(), Step::Apply)?;
    let audit = FleetAudit::open(g, "fleet.apply", &args.common, &inv)?;
    announce(Step::Apply, &plan, inv.hosts.len());
    let progress = super::progress::fleet("apply", inv.hosts.len(), args.json, g.quiet);
    let outcomes = run_fleet(&args.common, &inv, opts, &plan, None, progress)?;
    let views: Vec<HostView<'_>> = outcomes.iter().map(|o| HostView::of(o, &plan)).collect();
    print_rows(&views, args.json);
    let failed = views.iter().filter(|v| !v.ok()).count();
    let recorded = views
        .iter()
        .map(|v| (v.host.to_string(), v.ok(), v.audit()))
        .collect();
    audit.finish(recorded, json!({"profiles": plan.audit_profiles()}))?;
    let exit = fleet_verdict(views.len(), failed);
    if args.json {
        let rows = views.iter().map(HostView::json).collect();
        print_fleet_json("apply", exit, rows, failed, started, json!({}))?;
    }
    Ok(exit)
}

pub fn verify(args: VerifyArgs, g: &Globals) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let (inv, opts) = options(&args.common)?;
    let plan = plan(&args.common, &inv, args.profile.as_deref(), Step::Verify)?;
    let audit = FleetAudit::open(g, "fleet.verify", &args.common, &inv)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    announce(Step::Verify, &plan, inv.hosts.len());
    let collect = CollectTo {
        out: args.out.clone(),
        force: args.force,
    };
    let progress = super::progress::fleet("verify", inv.hosts.len(), args.json, g.quiet);
    let outcomes = run_fleet(&args.common, &inv, opts, &plan, Some(collect), progress)?;
    let views: Vec<HostView<'_>> = outcomes.iter().map(|o| HostView::of(o, &plan)).collect();
    print_rows(&views, args.json);
    let failed = views.iter().filter(|v| !v.ok()).count();
    // Deterministic: inventory order, sorted files, no timestamps or durations.
    let hosts: Vec<serde_json::Value> = views
        .iter()
        .map(|v| {
            let mut h = json!({
                "host": v.host,
                "ok": v.ok(),
                "profile": v.profile.map(|p| &p.name),
                "exitCode": v.exit_code(),
                "files": v.files(),
            });
            if let Some(e) = v.error {
                h["error"] = json!(e);
            }
            h
        })
        .collect();
    let summary = serde_json::to_string_pretty(&json!({"hosts": hosts}))? + "\n";
    let path = args.out.join("verify-summary.json");
    let mut tmp = tempfile::NamedTempFile::new_in(&args.out)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut tmp, summary.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    let recorded = views
        .iter()
        .map(|v| (v.host.to_string(), v.ok(), v.audit()))
        .collect();
    audit.finish(
        recorded,
        json!({"profiles": plan.audit_profiles(),
               "out": args.out.display().to_string(),
               "summarySha256": crate::hashing::sha256_hex(summary.as_bytes())}),
    )?;
    eprintln!("summary in {}", path.display());
    let exit = fleet_verdict(views.len(), failed);
    if args.json {
        let rows = views.iter().map(HostView::json).collect();
        let extra =
            json!({"out": args.out.display().to_string(), "summary": path.display().to_string()});
        print_fleet_json("verify", exit, rows, failed, started, extra)?;
    }
    Ok(exit)
}
