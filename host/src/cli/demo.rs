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
    /// Directory to create: scans/, checklists/ (and more as the demo grows).
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
    super::export_ckl::run(
        super::export_ckl::ExportCklArgs {
            results: out.join("scans"),
            benchmark: benchmarks.iter().map(|b| out.join(b)).collect(),
            out: out.join("checklists"),
            format: "both".into(),
            combined: false,
            exported_at: args.exported_at.clone(),
            force: false,
        },
        g,
    )
}
