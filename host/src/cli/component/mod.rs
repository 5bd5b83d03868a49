//! `stigpack component`: what is built in, vetting and trusting third-party components,
//! and running one by hand.
//!
//! A third-party component runs only when admitted: by a signed review in the components
//! lock for the role it fills, checked against keys the operator trusts (`trust.rs`,
//! `crate::trust`), or, for a quick check, pinned by its SHA-256 (`--sha256`). Either way
//! a changed file is refused rather than trusted, before any of its code runs.

pub mod trust;
mod vet;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{Globals, SandboxOpts};
use crate::exit::{coded, Exit};
use crate::sandbox::{ComponentSource, RunRequest};
use crate::staging::Staged;

#[derive(Debug, Subcommand)]
pub enum ComponentCommand {
    /// List built-in components: name, version, WIT world, SHA-256.
    List(ListArgs),
    /// Inspect a component without running it: contract, imports, exports, sections, verdict.
    Vet(vet::VetArgs),
    /// Record a signed review admitting a component for a role (lock file + store + audit).
    Trust(trust::TrustArgs),
    /// Revoke the reviews of a component: it no longer runs.
    Revoke(trust::RevokeArgs),
    /// Write a built-in component's exact bytes, to inspect or rerun with other tools.
    Export(ExportArgs),
    /// Run a component file, admitted by the lock (or pinned by SHA-256), on an input directory.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The built-in component's name (`stigpack component list`).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Where to write the .wasm file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub sandbox: SandboxOpts,
    /// Print one JSON document (`components`: name, version, world, sha256, summary).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The component (.wasm, WASI Preview 2 component implementing stigpack:component/transform).
    #[arg(long, value_name = "FILE")]
    pub wasm: PathBuf,
    /// Quick check: the SHA-256 the operator vetted; the file is refused if it differs.
    #[arg(
        long,
        value_name = "HEX",
        required_unless_present = "role",
        conflicts_with = "role"
    )]
    pub sha256: Option<String>,
    /// Run as the component the lock admits for this role (a review signed by a
    /// --trusted-key must pin this file's digest).
    #[arg(long, value_name = "ROLE")]
    pub role: Option<crate::trust::Role>,
    #[command(flatten)]
    pub lock: trust::LockArgs,
    /// A reviewer's public key (SubjectPublicKeyInfo PEM) whose reviews are accepted
    /// (repeatable). No trust on first use: with no key, nothing is admitted.
    #[arg(long = "trusted-key", value_name = "PUB")]
    pub trusted_keys: Vec<PathBuf>,
    /// Mounted read-only as /input.
    #[arg(long, value_name = "DIR")]
    pub input: PathBuf,
    /// Receives /output, written whole or not at all.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Options passed to the component, NAME=VALUE (repeatable).
    #[arg(long = "option", value_name = "NAME=VALUE")]
    pub options: Vec<String>,
    /// The export time (RFC 3339) [default: $SOURCE_DATE_EPOCH, else now].
    #[arg(long, value_name = "TIME")]
    pub exported_at: Option<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

pub fn run(cmd: ComponentCommand, g: &Globals) -> anyhow::Result<Exit> {
    match cmd {
        ComponentCommand::List(a) => list(a),
        ComponentCommand::Vet(a) => vet::run(a),
        ComponentCommand::Trust(a) => trust::trust(a, g),
        ComponentCommand::Revoke(a) => trust::revoke(a, g),
        ComponentCommand::Export(a) => export(a),
        ComponentCommand::Run(a) => run_one(a),
    }
}

fn export(args: ExportArgs) -> anyhow::Result<Exit> {
    let Some(src) = ComponentSource::builtin(&args.name) else {
        let names: Vec<_> = ComponentSource::builtins()
            .into_iter()
            .map(|c| c.label)
            .collect();
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!(
                "no built-in component {:?} (built in: {})",
                args.name,
                names.join(", ")
            ),
        ));
    };
    let dir = crate::staging::prepare_parent(&args.out, args.force)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".stigpack-export-")
        .tempfile_in(&dir)
        .with_context(|| format!("writing into {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, &src.bytes)
        .with_context(|| format!("writing {}", args.out.display()))?;
    tmp.persist(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if args.json {
        super::print_json(
            "stigpack.component-export/1",
            Exit::Success,
            serde_json::json!({"name": args.name, "sha256": src.sha256, "out": args.out.display().to_string()}),
        )?;
    } else {
        println!("{}  {}", src.sha256, args.out.display());
    }
    Ok(Exit::Success)
}

fn list(args: ListArgs) -> anyhow::Result<Exit> {
    let sandbox = args.sandbox.sandbox()?;
    let mut rows = Vec::new();
    for src in ComponentSource::builtins() {
        let c = sandbox.load(&src)?;
        rows.push(serde_json::json!({
            "name": c.name,
            "version": c.version,
            "world": format!("stigpack:component/transform@{}", c.wit_version),
            "sha256": c.sha256,
            "summary": c.summary,
        }));
    }
    if args.json {
        super::print_json(
            "stigpack.component-list/1",
            Exit::Success,
            serde_json::json!({ "components": rows }),
        )?;
    } else {
        for r in &rows {
            println!(
                "{:<14} {:<8} {:<36} {}",
                r["name"].as_str().unwrap_or_default(),
                r["version"].as_str().unwrap_or_default(),
                r["world"].as_str().unwrap_or_default(),
                r["sha256"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(Exit::Success)
}

fn run_one(args: RunArgs) -> anyhow::Result<Exit> {
    let exported_at = crate::time_arg::export_time(args.exported_at.as_deref())?;
    let mut options = BTreeMap::new();
    for o in &args.options {
        let (k, v) = o.split_once('=').ok_or_else(|| {
            coded(
                Exit::Usage,
                anyhow::anyhow!("--option {o:?}: expected NAME=VALUE"),
            )
        })?;
        if options.insert(k.to_string(), v.to_string()).is_some() {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!("--option {k} given twice"),
            ));
        }
    }
    if !args.input.is_dir() {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: not a directory", args.input.display()),
        ));
    }
    // Admission first: nothing of the component runs (not even info()) unless admitted.
    let (source, limits, admission) = match (&args.sha256, args.role) {
        (Some(pin), _) => (
            ComponentSource::from_file(&args.wasm, Some(pin))?,
            args.sandbox.limits(),
            None,
        ),
        (None, Some(role)) => {
            let source = ComponentSource::from_file(&args.wasm, None)?;
            let (admission, limits) = trust::admit_file(
                &source.sha256,
                role,
                &args.lock,
                &args.trusted_keys,
                args.sandbox.limits(),
            )?;
            (source, limits, Some(admission))
        }
        (None, None) => {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!("give --role (admitted by the components lock) or --sha256"),
            ))
        }
    };
    let sandbox = args.sandbox.sandbox()?;
    let component = sandbox.load(&source)?;
    let staged = Staged::new(&args.out, args.force)?;
    let record = sandbox.run(
        &component,
        &RunRequest {
            input_dir: &args.input,
            output_dir: staged.path(),
            exported_at,
            options,
            limits,
        },
    )?;
    staged.commit().context("publishing the output")?;
    let mut doc = serde_json::to_value(&record)?;
    if let (Some(a), Some(obj)) = (admission, doc.as_object_mut()) {
        obj.insert(
            "admittedBy".into(),
            serde_json::json!({
                "role": a.role,
                "reviewerKeyid": a.reviewer_keyid,
                "reviewStatementSha256": a.review_statement_sha256,
                "reviewedAt": a.review.reviewed_at,
                "expiresAt": a.review.expires_at,
            }),
        );
    }
    // Always JSON: the run record is the report (schema and exit code as under --json).
    super::print_json("stigpack.component-run/1", Exit::Success, doc)?;
    Ok(Exit::Success)
}
