//! The command line: one module per command (or family), each with its clap `Args` and a
//! `run` function. Global options live in [`Globals`] and reach every command; the
//! sandbox options ([`SandboxOpts`]) only the commands that run components; [`print_json`]
//! prints every command's one `--json` document.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exit::Exit;
use crate::sandbox::{Limits, Sandbox};

pub mod audit;
mod component;
mod demo;
mod docs_gen;
mod emass;
mod export_ckl;
pub mod fleet;
mod fleet_common;
mod fleet_step;
mod fleet_summary;
mod key;
mod progress;
mod seal;
pub mod simulate;

const AFTER_HELP: &str = "\
Examples:
  stigpack demo --out demo-out
  stigpack export-ckl --results fleet_results --out checklists --format both
  stigpack component list
  stigpack audit verify

Exit codes are listed in docs/cli.md.";

/// Turn STIG scan results from a Windows fleet into defensible compliance packages.
#[derive(Debug, Parser)]
#[command(name = "stigpack", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Clone, Args)]
pub struct Globals {
    /// The audit log to record into [default: $STIGPACK_AUDIT_LOG, else the user's state directory].
    #[arg(long, global = true, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
    /// No progress display on stderr (it is shown only when stderr is a terminal).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

impl Globals {
    /// The audit log this command records into (`--audit-log`, `$STIGPACK_AUDIT_LOG`, or
    /// the user's state directory), opened for appending.
    pub fn open_audit_log(&self) -> anyhow::Result<stigpack_audit::AuditLog> {
        use anyhow::Context;
        let path = stigpack_audit::resolve_log_path(self.audit_log.as_deref())
            .context("locating the audit log")?;
        stigpack_audit::AuditLog::open(&path)
            .with_context(|| format!("opening the audit log {}", path.display()))
    }

    /// Record a finished command in the audit log: success with `details`, or failure with
    /// the error. A command's own failure stays the error reported; a failure to record
    /// is reported too, since an unrecorded change is a finding for an auditor.
    pub fn record<T>(
        &self,
        action: &str,
        target: &str,
        result: &anyhow::Result<T>,
        details: impl FnOnce(&T) -> serde_json::Value,
    ) -> anyhow::Result<()> {
        use anyhow::Context;
        let log = self.open_audit_log()?;
        let (outcome, details) = match result {
            Ok(v) => (stigpack_audit::Outcome::Success, details(v)),
            Err(e) => (
                stigpack_audit::Outcome::Failure,
                serde_json::json!({ "error": format!("{e:#}") }),
            ),
        };
        log.record(action, target, outcome, details)
            .context("recording in the audit log")?;
        Ok(())
    }
}

/// Options of the commands that run components: where compiled components are cached and
/// the sandbox caps. Only those commands flatten this in, so `--help` of the others stays
/// free of options that would do nothing there.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sandbox")]
pub struct SandboxOpts {
    /// Where compiled components are cached [default: $STIGPACK_CACHE_DIR, else ~/.cache/stigpack].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile components afresh instead of using the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Fuel budget per component run [default: derived from input size, see docs/components.md].
    #[arg(long, value_name = "UNITS")]
    pub component_fuel: Option<u64>,
    /// Memory cap per component run, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub component_memory_mb: u64,
    /// Cap on the bytes one component run may write, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 16384)]
    pub component_output_mb: u64,
    /// Cap on the number of files one component run may write.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub component_output_files: u64,
}

impl SandboxOpts {
    /// The sandbox, with the cache the options ask for.
    pub fn sandbox(&self) -> anyhow::Result<Sandbox> {
        let cache = if self.no_cache {
            None
        } else {
            self.cache_dir
                .clone()
                .map(|d| d.join("components"))
                .or_else(crate::sandbox::default_cache_dir)
        };
        Ok(Sandbox::new(cache)?)
    }

    /// Limits for component runs.
    pub fn limits(&self) -> Limits {
        Limits {
            fuel: self.component_fuel,
            memory_bytes: self.component_memory_mb.saturating_mul(1 << 20),
            output_bytes: self.component_output_mb.saturating_mul(1 << 20),
            output_files: self.component_output_files,
            ..Limits::default()
        }
    }
}

/// When this command started, for the `durationMs` of its JSON document.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Print a command's one `--json` document: `body`'s fields (a non-object body goes under
/// `result`) with the versioned `schema` name and the `exitCode` the process exits with,
/// so a script reads the verdict from the document as well as from `$?` (docs/cli.md,
/// "JSON output"). Bump a schema's number on any incompatible change to its fields.
pub fn print_json(schema: &str, exit: Exit, body: serde_json::Value) -> anyhow::Result<()> {
    let mut doc = serde_json::Map::new();
    doc.insert("schema".into(), schema.into());
    doc.insert("exitCode".into(), (exit as u8).into());
    // The command's wall time so far; a body's own durationMs (fleet runs) takes precedence.
    let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis() as u64);
    doc.insert("durationMs".into(), ms.into());
    match body {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                if k != "schema" && k != "exitCode" {
                    doc.insert(k, v);
                }
            }
        }
        other => {
            doc.insert("result".into(), other);
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::Value::Object(doc))?
    );
    Ok(())
}

// One value per process, parsed once: the size of the largest variant costs nothing, and
// boxing it would only obscure the clap definitions.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write STIG Viewer checklists (CKL/CKLB) per host and benchmark from scan results.
    ExportCkl(export_ckl::ExportCklArgs),
    /// List, inspect and run transform components.
    #[command(subcommand)]
    Component(component::ComponentCommand),
    /// Run the whole job on the embedded demo fleet (no Windows hosts needed).
    Demo(demo::DemoArgs),
    /// Fleet compliance from a results tree: summary JSON/CSV/text and the HTML report.
    FleetSummary(fleet_summary::FleetSummaryArgs),
    /// Write one eMASS submission package for a host or a fleet (docs/package.md).
    ExportEmass(emass::ExportEmassArgs),
    /// Check a package: hashes, layout, manifest, cross-artifact consistency; READY or not.
    Validate(emass::ValidateArgs),
    /// Rerun every recorded component on a package's own inputs and compare byte for byte.
    Reproduce(emass::ReproduceArgs),
    /// Apply a filled-in attestation CSV, producing a new, fully re-hashed package.
    ImportAttestations(emass::ImportAttestationsArgs),
    /// Serve a simulated fleet of Windows hosts (WinRM) on loopback until Ctrl-C.
    Simulate(simulate::SimulateArgs),
    /// WinRM across an inventory of Windows hosts: status, collect results (docs/winrm.md).
    #[command(subcommand)]
    Fleet(fleet::FleetCommand),
    /// Inspect, verify, prove and repair the tamper-evident audit log (docs/audit.md).
    Audit(audit::AuditArgs),
    /// Create the Ed25519 key that signs packages and audit checkpoints (docs/cli.md).
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Seal a package into one signed, deterministic .tar.gz (optionally age-encrypted).
    Seal(seal::SealArgs),
    /// Verify a sealed bundle or a package folder offline against a pinned public key.
    Verify(seal::VerifyArgs),
    /// Check an encrypted bundle's signed sidecar, decrypt it, and verify it.
    Unseal(seal::UnsealArgs),
    /// Print the CycloneDX SBOM of this binary and its embedded components.
    Sbom(seal::SbomArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(docs_gen::CompletionsArgs),
    /// Print the man page, or write one page per command with --out DIR.
    Man(docs_gen::ManArgs),
    /// Generate a synthetic fleet of checklists (benchmark fixture).
    #[command(hide = true, name = "dev-gen-fleet")]
    DevGenFleet(emass::GenFleetArgs),
}

/// The stage spinner of the commands that run long without a host count (exports,
/// validation, reproduction); fleet commands draw their own host bar.
fn spinner_for(command: &Command, quiet: bool) -> Option<crate::activity::Shown> {
    let (what, json) = match command {
        Command::ExportCkl(a) => ("export-ckl", a.json),
        Command::ExportEmass(a) => ("export-emass", a.json),
        Command::ImportAttestations(a) => ("import-attestations", a.json),
        Command::Validate(a) => ("validate", a.json),
        Command::Reproduce(a) => ("reproduce", a.json),
        Command::FleetSummary(a) => ("fleet-summary", a.json),
        _ => return None,
    };
    progress::activity(what, json, quiet)
}

/// Parse the command line and run the command.
pub fn run() -> anyhow::Result<Exit> {
    STARTED.get_or_init(std::time::Instant::now);
    let cli = Cli::parse();
    let g = &cli.globals;
    let _spinner = spinner_for(&cli.command, g.quiet);
    match cli.command {
        Command::ExportCkl(args) => export_ckl::run(args, g),
        Command::Component(cmd) => component::run(cmd, g),
        Command::Demo(args) => demo::run(args, g),
        Command::ExportEmass(args) => emass::export(args, g),
        Command::FleetSummary(args) => fleet_summary::run(args, g),
        Command::Validate(args) => emass::validate(args),
        Command::Reproduce(args) => emass::reproduce(args),
        Command::ImportAttestations(args) => emass::import_attestations(args, g),
        Command::DevGenFleet(args) => emass::gen_fleet(args),
        Command::Audit(args) => audit::run(args, g.audit_log.as_deref()),
        Command::Simulate(args) => simulate::run(args),
        Command::Fleet(cmd) => fleet::run(cmd, g),
        Command::Key(cmd) => key::run(cmd),
        Command::Seal(args) => seal::seal(args, g),
        Command::Verify(args) => seal::verify(args),
        Command::Unseal(args) => seal::unseal(args),
        Command::Sbom(args) => seal::sbom(args),
        Command::Completions(args) => docs_gen::completions(args),
        Command::Man(args) => docs_gen::man(args),
    }
}
