//! `stigpack demo`: the whole job, end to end, against a simulated Windows fleet served on
//! loopback by this process, so a new user sees both halves of the tool (the WinRM fleet
//! and the packages) without Windows hosts.
//!
//! Every step is the real command an operator would type, run as a child process of this
//! binary in `DIR` with relative paths, so the demo exercises exactly what the CLI does
//! (audit entries included) and prints each command beside its one-line result. Nothing is
//! written outside `DIR`: the audit log (unless `--audit-log`), the compiled-component
//! cache (unless `--cache-dir`), the simulator's CA and the signing key all live there.
//! The simulator's clock is fixed to the export time, so every output but the audit log
//! (and the package manifest's audit checkpoint) is the same bytes on every run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use serde_json::Value;
use stigpack_winrm_sim::{AuthMode, Credentials, FleetSpec, SimHandle, Simulator};

use super::Globals;
use crate::exit::{coded, Exit};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory to create: inventory, results/, checklists/, emass/, the sealed bundle,
    /// keys/ and the demo's audit log.
    #[arg(long, value_name = "DIR", default_value = "stigpack-demo")]
    pub out: PathBuf,
    /// The export time (RFC 3339) [default: $SOURCE_DATE_EPOCH, else now]; the simulated
    /// hosts' clocks read this time too.
    #[arg(long, value_name = "TIME")]
    pub exported_at: Option<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
    /// Where the steps cache compiled components [default: DIR/cache, so nothing is
    /// written outside DIR]. The demo's own caps are the defaults, so the other sandbox
    /// options are not offered here.
    #[arg(long, value_name = "DIR", help_heading = "Sandbox")]
    pub cache_dir: Option<PathBuf>,
}

/// The system name the demo package is exported for.
const SYSTEM: &str = "Demo";
const INVENTORY: &str = "inventory.json";
const PASSWORD_FILE: &str = "winrm-password";

pub fn run(args: DemoArgs, g: &Globals) -> anyhow::Result<Exit> {
    let exported = crate::time_arg::export_time(args.exported_at.as_deref())?;
    let at = crate::time_arg::rfc3339(exported);
    let dir = prepare_dir(&args.out, args.force)?;
    let rt = super::fleet_common::runtime()?;
    let clock = UNIX_EPOCH + Duration::from_secs(exported.unix_timestamp().max(0) as u64);
    let (plain, tls) = rt.block_on(start_fleet(&dir, clock))?;
    write_inventory(&dir, &plain, &tls)?;
    let demo = Demo::new(&dir, g, args.cache_dir.clone());
    println!(
        "stigpack demo: {} simulated Windows hosts on 127.0.0.1 ({} NTLM over HTTP with message encryption, 1 NTLM over HTTPS with a generated CA), export time {at}",
        plain.hosts().len() + tls.hosts().len(),
        plain.hosts().len(),
    );
    let result = demo.steps(&at);
    rt.block_on(async {
        plain.shutdown().await;
        tls.shutdown().await;
    });
    let package = result?;
    println!();
    println!("Look at:");
    println!(
        "  {}  the fleet report (open it in a browser)",
        dir.join(&package).join("06_Index/index.html").display()
    );
    println!("  {}  the eMASS package", dir.join(&package).display());
    println!(
        "  {}  STIG Viewer checklists per host",
        dir.join("checklists").display()
    );
    println!(
        "  {}  what each host returned, with SHA256SUMS",
        dir.join("results").display()
    );
    println!(
        "  {}  the sealed, signed bundle to hand over",
        dir.join(bundle_name(&package)).display()
    );
    println!(
        "  {}  every step, tamper-evident (stigpack audit show)",
        demo.audit_log.display()
    );
    Ok(Exit::Success)
}

/// Creates `DIR` (replacing it with `--force`), refusing a path that is not a directory.
fn prepare_dir(out: &Path, force: bool) -> anyhow::Result<PathBuf> {
    crate::staging::prepare_parent(out, force)?;
    if out.exists() {
        let meta =
            std::fs::symlink_metadata(out).with_context(|| format!("reading {}", out.display()))?;
        if !meta.is_dir() {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!("{}: exists and is not a directory", out.display()),
            ));
        }
        std::fs::remove_dir_all(out).with_context(|| format!("removing {}", out.display()))?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // Children run in DIR; an absolute path keeps every message unambiguous.
    out.canonicalize()
        .with_context(|| format!("resolving {}", out.display()))
}

/// Three hosts over HTTP (NTLM, message encryption: what a STIG-compliant host accepts)
/// and one over HTTPS with a CA generated into `DIR/ca`, sharing one credential.
async fn start_fleet(
    dir: &Path,
    clock: std::time::SystemTime,
) -> anyhow::Result<(SimHandle, SimHandle)> {
    let plain = Simulator::start(FleetSpec {
        hosts: 3,
        auth: AuthMode::Ntlm,
        name_prefix: "ws".into(),
        clock: Some(clock),
        ..FleetSpec::default()
    })
    .await
    .context("starting the simulated fleet")?;
    let first = &plain.hosts()[0];
    let ca_dir = dir.join("ca");
    std::fs::create_dir_all(&ca_dir).with_context(|| format!("creating {}", ca_dir.display()))?;
    let tls = Simulator::start(FleetSpec {
        hosts: 1,
        auth: AuthMode::Ntlm,
        tls: true,
        ca_dir: Some(ca_dir),
        name_prefix: "srv".into(),
        clock: Some(clock),
        credentials: Some(Credentials {
            username: first.username.clone(),
            password: first.password.clone(),
        }),
        ..FleetSpec::default()
    })
    .await
    .context("starting the simulated HTTPS host")?;
    Ok((plain, tls))
}

/// `DIR/inventory.json`, the password in a private file beside it (never in the inventory,
/// the audit log or a package).
fn write_inventory(dir: &Path, plain: &SimHandle, tls: &SimHandle) -> anyhow::Result<()> {
    let first = &plain.hosts()[0];
    write_private(&dir.join(PASSWORD_FILE), first.password.as_bytes())?;
    let mut hosts = Vec::new();
    for h in plain.hosts().iter().chain(tls.hosts()) {
        let mut entry = serde_json::json!({ "name": h.name, "endpoint": h.endpoint });
        if h.ca_file.is_some() {
            entry["ca_file"] = Value::from("ca/stigpack-sim-ca.pem");
        }
        hosts.push(entry);
    }
    let inventory = serde_json::json!({
        "defaults": { "auth": "ntlm", "username": first.username, "password_file": PASSWORD_FILE },
        "hosts": hosts,
    });
    let path = dir.join(INVENTORY);
    std::fs::write(&path, serde_json::to_vec_pretty(&inventory)?)
        .with_context(|| format!("writing {}", path.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

fn bundle_name(package: &str) -> String {
    let leaf = package.rsplit('/').next().unwrap_or(package);
    format!("{leaf}.tar.gz")
}

/// The child processes: this binary, in `DIR`, with the demo's audit log and cache.
struct Demo {
    dir: PathBuf,
    exe: PathBuf,
    audit_log: PathBuf,
    cache_dir: PathBuf,
    step: std::cell::Cell<usize>,
}

impl Demo {
    fn new(dir: &Path, g: &Globals, cache_dir: Option<PathBuf>) -> Demo {
        Demo {
            dir: dir.to_path_buf(),
            exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("stigpack")),
            audit_log: g
                .audit_log
                .clone()
                .unwrap_or_else(|| dir.join("audit.jsonl")),
            cache_dir: cache_dir.unwrap_or_else(|| dir.join("cache")),
            step: std::cell::Cell::new(0),
        }
    }

    /// Runs `stigpack <args>`; `ok` lists the exit codes that let the demo go on.
    fn run(&self, args: &[&str], ok: &[u8]) -> anyhow::Result<Output> {
        let out = Command::new(&self.exe)
            .args(args)
            .current_dir(&self.dir)
            .env("STIGPACK_AUDIT_LOG", &self.audit_log)
            .env("STIGPACK_CACHE_DIR", &self.cache_dir)
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .with_context(|| format!("running {}", self.exe.display()))?;
        let code = out.status.code().unwrap_or(-1);
        if !ok.iter().any(|c| i32::from(*c) == code) {
            eprintln!("{}", String::from_utf8_lossy(&out.stdout));
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            let exit = match code {
                2 => Exit::Usage,
                3 => Exit::BadInput,
                5 => Exit::Invalid,
                7 => Exit::Sandbox,
                8 => Exit::Fleet,
                _ => Exit::Internal,
            };
            return Err(coded(
                exit,
                anyhow::anyhow!("demo step `stigpack {}` exited {code}", args.join(" ")),
            ));
        }
        Ok(out)
    }

    /// Prints one line: the step number, what happened, and the command that did it.
    fn say(&self, args: &[&str], what: String) {
        let n = self.step.get() + 1;
        self.step.set(n);
        println!("{n:>2}. {what:<58}  $ stigpack {}", args.join(" "));
    }

    fn steps(&self, at: &str) -> anyhow::Result<String> {
        let args = ["fleet", "status", "-i", INVENTORY, "--json"];
        let out = self.run(&args, &[0])?;
        let rows = fleet_hosts(&out)?;
        self.say(
            &args,
            format!("fleet status: {} host(s) answered", count_ok(&rows)),
        );

        let open_before = self.verify(false)?;
        let args = [
            "fleet",
            "apply",
            "-i",
            INVENTORY,
            "--profile",
            "powerstig",
            "--json",
        ];
        let out = self.run(&args, &[0])?;
        self.say(
            &args,
            format!(
                "fleet apply: PowerSTIG applied on {} host(s)",
                count_ok(&fleet_hosts(&out)?)
            ),
        );
        let open_after = self.verify(true)?;
        println!(
            "    compliance improved: {open_before} Open finding(s) before the apply, {open_after} after"
        );

        let args = [
            "export-ckl",
            "--results",
            "results",
            "--out",
            "checklists",
            "--format",
            "both",
            "--exported-at",
            at,
        ];
        self.run(&args, &[0])?;
        let written = count_files(&self.dir.join("checklists"))?;
        self.say(&args, format!("export-ckl: {written} checklist file(s)"));

        let args = [
            "export-emass",
            "--results",
            "results",
            "--system",
            SYSTEM,
            "--out",
            "emass",
            "--exported-at",
            at,
        ];
        self.run(&args, &[0])?;
        let package = only_dir(&self.dir.join("emass"))?;
        let package = format!("emass/{package}");
        self.say(&args, format!("export-emass: package {package}"));

        // The simulated hosts leave rules no scanner decides, so NOT READY (exit 4) is the
        // honest verdict; only an invalid package stops the demo.
        let args = ["validate", &package, "--json"];
        let out = self.run(&args, &[0, 4])?;
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let verdict = v["verdict"]
            .as_str()
            .unwrap_or(if out.status.code() == Some(0) {
                "READY"
            } else {
                "NOT READY"
            });
        self.say(&args, format!("validate: {verdict}"));

        let args = ["reproduce", &package, "--json"];
        self.run(&args, &[0])?;
        self.say(
            &args,
            "reproduce: every output rebuilt byte for byte".into(),
        );

        let args = ["audit", "verify", "--json"];
        let out = self.run(&args, &[0])?;
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let entries = v["entries"]
            .as_u64()
            .map(|n| format!("{n} entries, "))
            .unwrap_or_default();
        self.say(
            &args,
            format!("audit verify: {entries}hash chain and Merkle tree intact"),
        );

        let keys = self.dir.join("keys");
        std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
        let args = ["key", "generate", "--out", "keys/demo-signer"];
        self.run(&args, &[0])?;
        self.say(&args, "key generate: Ed25519 signing key".into());

        let bundle = bundle_name(&package);
        let args = [
            "seal",
            &package,
            "--sign-key",
            "keys/demo-signer",
            "--out",
            &bundle,
        ];
        self.run(&args, &[0])?;
        self.say(&args, format!("seal: signed bundle {bundle}"));

        let args = [
            "verify",
            &bundle,
            "--trusted-key",
            "keys/demo-signer.pub",
            "--json",
        ];
        self.run(&args, &[0])?;
        self.say(
            &args,
            "verify: bundle checked offline against the public key".into(),
        );
        Ok(package)
    }

    /// `fleet verify` (scan and collect); returns the Open findings in what was collected.
    fn verify(&self, again: bool) -> anyhow::Result<usize> {
        let mut args = vec![
            "fleet", "verify", "-i", INVENTORY, "--out", "results", "--json",
        ];
        if again {
            args.push("--force");
        }
        let out = self.run(&args, &[0])?;
        let rows = fleet_hosts(&out)?;
        let files: u64 = rows.iter().filter_map(|r| r["files"].as_u64()).sum();
        let open = count_open(&self.dir.join("results"))?;
        self.say(
            &args,
            format!(
                "fleet verify: {} host(s) scanned, {files} file(s) collected, {open} Open",
                count_ok(&rows)
            ),
        );
        Ok(open)
    }
}

/// The per-host rows of a fleet command's `--json` document.
fn fleet_hosts(out: &Output) -> anyhow::Result<Vec<Value>> {
    let doc: Value =
        serde_json::from_slice(&out.stdout).context("reading a fleet command's JSON output")?;
    match doc.get("hosts") {
        Some(Value::Array(rows)) => Ok(rows.clone()),
        _ => anyhow::bail!("a fleet command's JSON output has no hosts array"),
    }
}

fn count_ok(rows: &[Value]) -> usize {
    rows.iter()
        .filter(|r| r["ok"].as_bool().unwrap_or(true))
        .count()
}

/// Open findings in every collected CKL (STIG Viewer's status text, counted as written).
fn count_open(results: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for path in walk(results)? {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ckl"))
        {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            n += text.matches("<STATUS>Open</STATUS>").count();
        }
    }
    Ok(n)
}

fn count_files(dir: &Path) -> anyhow::Result<usize> {
    Ok(walk(dir)?.len())
}

fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn only_dir(dir: &Path) -> anyhow::Result<String> {
    std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .ok_or_else(|| anyhow::anyhow!("export-emass wrote no package folder"))
}
