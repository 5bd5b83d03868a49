//! `stigpack demo`: the whole job on the fleet embedded in this binary (the project's
//! fixture scans), so anyone can see the output without Windows hosts.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::Globals;
use crate::exit::Exit;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/demo_scans.rs"));
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory to create: scans/ and benchmarks/ (the embedded fleet), checklists/, emass/.
    #[arg(long, value_name = "DIR", default_value = "stigpack-demo")]
    pub out: PathBuf,
    /// The export time (RFC 3339) [default: $SOURCE_DATE_EPOCH, else now].
    #[arg(long, value_name = "TIME")]
    pub exported_at: Option<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: DemoArgs, g: &Globals) -> anyhow::Result<Exit> {
    let staged = crate::staging::Staged::new(&args.out, args.force)?;
    let mut benchmarks = Vec::new();
    for (rel, bytes) in embedded::DEMO_FILES {
        let path = staged.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        if rel.starts_with("benchmarks/") {
            benchmarks.push(*rel);
        }
    }
    let out = staged.commit()?;
    println!(
        "demo fleet: {} file(s) (scans and benchmarks) in {}",
        embedded::DEMO_FILES.len(),
        out.display()
    );
    let benchmark: Vec<PathBuf> = benchmarks.iter().map(|b| out.join(b)).collect();
    super::export_ckl::run(
        super::export_ckl::ExportCklArgs {
            results: out.join("scans"),
            benchmark: benchmark.clone(),
            out: out.join("checklists"),
            format: "both".into(),
            combined: false,
            exported_at: args.exported_at.clone(),
            force: false,
            keep_going: false,
        },
        g,
    )?;
    // The eMASS package for the whole demo fleet, then the two checks an auditor runs.
    super::emass::export(
        super::emass::ExportEmassArgs {
            results: out.join("scans"),
            benchmark,
            evidence: None,
            answers: vec![],
            system: "Demo".into(),
            poam_layout: "emass_joint".into(),
            poam_layout_file: None,
            cci_list: None,
            poam_days: "30,90,180".into(),
            office: String::new(),
            resources: String::new(),
            emass_template: "navy".into(),
            system_profile: None,
            exported_at: args.exported_at.clone(),
            out: out.join("emass"),
            force: false,
            keep_going: false,
            sign_key: None,
        },
        g,
    )?;
    let package = std::fs::read_dir(out.join("emass"))
        .with_context(|| format!("reading {}", out.join("emass").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_dir())
        .ok_or_else(|| anyhow::anyhow!("export-emass wrote no package folder"))?;
    println!("\n== validate {}", package.display());
    // The demo fleet has controls no scanner decided, so NOT READY (exit 4) is the honest
    // verdict; only an invalid package fails the demo.
    let verdict = super::emass::validate(super::emass::ValidateArgs {
        package: Some(package.clone()),
        poam: None,
        emass_template: "navy".into(),
        json: false,
        trusted_key: vec![],
    })?;
    if verdict == Exit::Invalid {
        return Ok(Exit::Invalid);
    }
    println!("\n== reproduce {}", package.display());
    super::emass::reproduce(
        super::emass::ReproduceArgs {
            package,
            json: false,
        },
        g,
    )
}
