//! The `checklist` component: the canonical model in, STIG Viewer checklists out.
//!
//! Input: `/input/hosts/<host>.json` (the `import` component's output). Output:
//! `/output/<host>/<benchmark-id>.ckl` and/or `.cklb`, one file per benchmark; with
//! option `combined=true`, one `<host>/<host>.ckl` holding every benchmark.
//! Options: `format` = `ckl` (default) | `cklb` | `both`; `combined` = `true` | `false`.

use guest_kit::{walk_input, Options, Outputs};
use stig_formats::model::{HostResults, StigChecklist};

wit_bindgen::generate!({
    world: "transform",
    path: "../../../wit/since_v0.1.0",
});

use stigpack::component::types::InputProblem;



struct ChecklistWriter;

const TOOL_COMMENT: &str = concat!("stigpack checklist ", env!("CARGO_PKG_VERSION"));

fn invalid(file: &str, reason: impl ToString) -> RunError {
    RunError::InvalidInput(InputProblem {
        file: file.to_string(),
        reason: reason.to_string(),
    })
}

impl Guest for ChecklistWriter {
    fn info() -> ComponentInfo {
        ComponentInfo {
            name: "checklist".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "writes STIG Viewer 2 (CKL) and 3 (CKLB) checklists per host and benchmark".into(),
            produces: vec!["ckl".into(), "cklb".into()],
        }
    }

    fn run(ctx: RunContext) -> Result<Vec<String>, RunError> {
        let opts = Options(ctx.options.clone());
        let (ckl, cklb) = match opts.get("format").unwrap_or("ckl") {
            "ckl" => (true, false),
            "cklb" => (false, true),
            "both" => (true, true),
            other => return Err(RunError::Unsupported(format!("format {other:?}: use ckl, cklb or both"))),
        };
        let combined = match opts.get("combined").unwrap_or("false") {
            "true" => true,
            "false" => false,
            other => return Err(RunError::Unsupported(format!("combined {other:?}: use true or false"))),
        };
        let mut out = Outputs::new();
        let files = walk_input("hosts").map_err(|e| RunError::Internal(format!("listing /input/hosts: {e}")))?;
        for f in files.iter().filter(|f| f.rel.ends_with(".json")) {
            let bytes = std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
            let host: HostResults = serde_json::from_slice(&bytes).map_err(|e| invalid(&f.rel, e))?;
            stig_formats::safe_host_component(&host.host).map_err(|e| invalid(&f.rel, e.kind))?;
            write_host(&host, ckl, cklb, combined, &mut out, &f.rel)?;
        }
        Ok(out.finish())
    }
}

fn write_host(
    host: &HostResults,
    ckl: bool,
    cklb: bool,
    combined: bool,
    out: &mut Outputs,
    source: &str,
) -> Result<(), RunError> {
    let write = |out: &mut Outputs, rel: String, bytes: &[u8]| {
        out.write(&rel, bytes)
            .map_err(|e| RunError::Internal(format!("writing {rel}: {e}")))
    };
    if combined {
        // One file with every benchmark, in benchmark-id order, under the first asset.
        let Some(first) = host.checklists.first() else { return Ok(()) };
        let mut asset = first.asset.clone();
        if asset.host_name.is_empty() {
            asset.host_name = host.host.clone();
        }
        let mut stigs: Vec<&StigChecklist> = host.checklists.iter().flat_map(|c| &c.stigs).collect();
        stigs.sort_by_key(|s| stig_formats::import::benchmark_key(s));
        let stigs: Vec<StigChecklist> = stigs.into_iter().cloned().collect();
        if ckl {
            let text = stig_formats::ckl::write(&asset, &stigs, TOOL_COMMENT);
            write(out, format!("{}/{}.ckl", host.host, host.host), text.as_bytes())?;
        }
        if cklb {
            let text = write_cklb(&asset, &stigs, &host.host)?;
            write(out, format!("{}/{}.cklb", host.host, host.host), text.as_bytes())?;
        }
        return Ok(());
    }
    for checklist in &host.checklists {
        let mut asset = checklist.asset.clone();
        if asset.host_name.is_empty() {
            asset.host_name = host.host.clone();
        }
        for stig in &checklist.stigs {
            let id = stig_formats::import::benchmark_key(stig);
            let stem = stig_formats::safe_host_component(&id)
                .map_err(|e| invalid(&checklist.source.file, format!("benchmark id cannot name a file: {}", e.kind)))
                .map_err(|e| {
                    let _ = source;
                    e
                })?;
            let one = std::slice::from_ref(stig);
            if ckl {
                let text = stig_formats::ckl::write(&asset, one, TOOL_COMMENT);
                write(out, format!("{}/{stem}.ckl", host.host), text.as_bytes())?;
            }
            if cklb {
                let text = write_cklb(&asset, one, &host.host)?;
                write(out, format!("{}/{stem}.cklb", host.host), text.as_bytes())?;
            }
        }
    }
    Ok(())
}

include!("formats_glue.rs");

export!(ChecklistWriter);
