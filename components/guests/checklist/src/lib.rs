//! The `checklist` component: the canonical model in, STIG Viewer checklists out.
//!
//! Input: `/input/hosts/<host>.model` (the `import` component's output). Output:
//! `/output/<host>/<benchmark-id>.ckl` and/or `.cklb`, one file per benchmark; with
//! option `combined=true`, one `<host>/<host>_combined.ckl` holding every benchmark.
//! The layout itself is `stig_formats::output::checklist_files`, shared with the native
//! benchmark so both produce the same bytes.
//! Options: `format` = `ckl` (default) | `cklb` | `both`; `combined` = `true` | `false`.

use guest_kit::{walk_input, Options, Outputs};
use stig_formats::model::HostResults;

wit_bindgen::generate!({
    world: "transform",
    path: "../../../wit/since_v0.1.0",
});

use stigpack::component::types::InputProblem;

struct ChecklistWriter;

const TOOL_COMMENT: &str = stig_formats::output::CHECKLIST_TOOL;

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
            summary: "writes STIG Viewer 2 (CKL) and 3 (CKLB) checklists per host and benchmark"
                .into(),
            produces: vec!["ckl".into(), "cklb".into()],
        }
    }

    fn run(ctx: RunContext) -> Result<Vec<String>, RunError> {
        let opts = Options(ctx.options.clone());
        let format = opts.get("format").unwrap_or("ckl");
        let formats = stig_formats::output::Formats::named(format).ok_or_else(|| {
            RunError::Unsupported(format!("format {format:?}: use ckl, cklb or both"))
        })?;
        let combined = opts
            .flag("combined", false)
            .map_err(RunError::Unsupported)?;
        let mut out = Outputs::new();
        let files = walk_input("hosts")
            .map_err(|e| RunError::Internal(format!("listing /input/hosts: {e}")))?;
        for f in files
            .iter()
            .filter(|f| f.rel.ends_with(stig_formats::model_file::SUFFIX))
        {
            let bytes =
                std::fs::read(&f.path).map_err(|e| invalid(&f.rel, format!("cannot read: {e}")))?;
            let host: HostResults = stig_formats::model_file::decode(&f.rel, &bytes)
                .map_err(|e| invalid(&f.rel, e.kind))?;
            let written =
                stig_formats::output::checklist_files(&host, formats, combined, TOOL_COMMENT)
                    .map_err(|e| {
                        let file = if e.file.is_empty() {
                            f.rel.clone()
                        } else {
                            e.file.clone()
                        };
                        invalid(&file, e.kind)
                    })?;
            for file in written {
                out.write(&file.path, &file.bytes)
                    .map_err(|e| RunError::Internal(format!("writing {}: {e}", file.path)))?;
            }
        }
        Ok(out.finish())
    }
}

export!(ChecklistWriter);
