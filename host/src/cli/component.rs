//! `stigpack component`: what is built in, and running a vetted third-party component.
//!
//! A third-party component runs only when pinned by its SHA-256 (`--sha256`): an operator
//! vets a file once and pins it, and a changed file is refused rather than trusted.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Globals;
use crate::exit::{coded, Exit};
use crate::sandbox::{ComponentSource, RunRequest};
use crate::staging::Staged;

#[derive(Debug, Subcommand)]
pub enum ComponentCommand {
    /// List built-in components: name, version, WIT world, SHA-256.
    List(ListArgs),
    /// Run a component file, pinned by SHA-256, on an input directory.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The component (.wasm, WASI Preview 2 component implementing stigpack:component/transform).
    #[arg(long, value_name = "FILE")]
    pub wasm: PathBuf,
    /// The SHA-256 the operator vetted; the file is refused if it differs.
    #[arg(long, value_name = "HEX")]
    pub sha256: String,
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
}

pub fn run(cmd: ComponentCommand, g: &Globals) -> anyhow::Result<Exit> {
    match cmd {
        ComponentCommand::List(a) => list(a, g),
        ComponentCommand::Run(a) => run_one(a, g),
    }
}

fn list(args: ListArgs, g: &Globals) -> anyhow::Result<Exit> {
    let sandbox = g.sandbox()?;
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
        println!("{}", serde_json::to_string_pretty(&rows)?);
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

fn run_one(args: RunArgs, g: &Globals) -> anyhow::Result<Exit> {
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
    let source = ComponentSource::from_file(&args.wasm, Some(&args.sha256))?;
    let sandbox = g.sandbox()?;
    let component = sandbox.load(&source)?;
    let staged = Staged::new(&args.out, args.force)?;
    let record = sandbox.run(
        &component,
        &RunRequest {
            input_dir: &args.input,
            output_dir: staged.path(),
            exported_at,
            options,
            limits: g.limits(),
        },
    )?;
    staged.commit().context("publishing the output")?;
    println!("{}", serde_json::to_string_pretty(&record)?);
    Ok(Exit::Success)
}
