//! `stigpack component vet FILE`: the report a reviewer reads before signing a review.

use std::path::PathBuf;

use clap::Args;

use super::super::SandboxOpts;
use crate::exit::{coded, Exit};
use crate::sandbox::{ComponentSource, Verdict, VetReport};

#[derive(Debug, Args)]
pub struct VetArgs {
    /// The component file (.wasm).
    #[arg(value_name = "FILE")]
    pub wasm: PathBuf,
    /// Print the report as JSON (`report` is what a review's vetReportSha256 names).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

/// Vets the file; a file that is not a component at all is bad input (exit 3).
pub fn vet_file(path: &std::path::Path, sandbox: &SandboxOpts) -> anyhow::Result<VetReport> {
    let source = ComponentSource::from_file(path, None).map_err(|e| coded(Exit::BadInput, e))?;
    sandbox
        .sandbox()?
        .vet(&source)
        .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", path.display())))
}

pub fn run(args: VetArgs) -> anyhow::Result<Exit> {
    let report = vet_file(&args.wasm, &args.sandbox)?;
    let exit = match report.verdict {
        Verdict::Admissible => Exit::Success,
        // The sandbox would refuse it: the same code as a run refused by the rules.
        Verdict::Refused => Exit::Sandbox,
    };
    if args.json {
        let doc = serde_json::json!({
            "file": args.wasm.display().to_string(),
            "reportSha256": report.digest(),
            "report": report,
        });
        super::super::print_json("stigpack.component-vet/1", exit, doc)?;
    } else {
        print_text(&args.wasm, &report);
    }
    Ok(exit)
}

fn print_text(path: &std::path::Path, r: &VetReport) {
    println!("{}", path.display());
    println!("  sha256      {}", r.sha256);
    println!("  size        {} bytes", r.size);
    println!(
        "  contract    {} ({})",
        r.wit_package.as_deref().unwrap_or("none"),
        if r.wit_version_supported {
            "supported"
        } else {
            "NOT supported by this stigpack"
        }
    );
    if let Some(i) = &r.info {
        println!("  info()      {} {}: {}", i.name, i.version, i.summary);
        println!("  produces    {}", i.produces.join(", "));
    }
    println!("  imports");
    for i in &r.imports {
        println!("    {:<44} {:?}: {}", i.name, i.grant, i.why);
    }
    println!(
        "  exports     {}",
        r.exports
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for s in &r.custom_sections {
        println!("  section     {} (x{}, {} bytes)", s.name, s.count, s.bytes);
    }
    for p in &r.producers {
        println!("  producer    {p}");
    }
    for f in &r.findings {
        println!("  finding     [{:?}] {}", f.severity, f.what);
    }
    println!("  report      sha256 {}", r.digest());
    println!(
        "  verdict     {}",
        match r.verdict {
            Verdict::Admissible => "admissible (review it, then `stigpack component trust`)",
            Verdict::Refused => "REFUSED",
        }
    );
}
