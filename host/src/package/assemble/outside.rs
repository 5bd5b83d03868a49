//! Stage 4: the outside (third-party) components' part of a build. `extra` exporters
//! run over the finished checklists, each into its own folder `07_Extra/<name>/`; and
//! every outside component is kept in the package with its review, so the package can
//! be reproduced and its provenance checked.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;

use super::super::layout::CHECKLISTS;
use super::super::thirdparty::{ThirdParty, EXTRA};
use super::files::mirror;
use super::scratch::Scratch;
use super::{Inputs, Settings};
use crate::exit::{coded, Exit};
use crate::sandbox::{Limits, RunRecord, RunRequest, Sandbox};
use crate::trust::Role;

/// Runs every `extra` exporter, in name order, on the finished checklists.
pub fn run_extras<'a>(
    sandbox: &Sandbox,
    limits: &Limits,
    settings: &Settings,
    inputs: &'a Inputs,
    scratch: &Scratch,
    dest: &Path,
) -> anyhow::Result<Vec<(&'a ThirdParty, RunRecord)>> {
    let mut extras = Vec::new();
    for tp in inputs.components.iter().filter(|c| c.role == Role::Extra) {
        extras.push((tp, run_extra(sandbox, limits, settings, tp, dest, scratch)?));
    }
    Ok(extras)
}

/// Keeps every outside component (`00_Manifest/components/`) with its review.
pub fn keep_components(inputs: &Inputs, dest: &Path) -> anyhow::Result<()> {
    for tp in &inputs.components {
        tp.keep(dest)?;
    }
    Ok(())
}

/// Runs one `extra` exporter over the package's checklists (`/input/checklists/`, as in
/// 02_Checklists) and moves what it wrote into `07_Extra/<name>/`.
fn run_extra(
    sandbox: &Sandbox,
    limits: &Limits,
    settings: &Settings,
    tp: &ThirdParty,
    dest: &Path,
    scratch: &Scratch,
) -> anyhow::Result<RunRecord> {
    stig_formats::safe_host_component(&tp.name).map_err(|e| {
        coded(
            Exit::Usage,
            anyhow::anyhow!("extra component name {:?}: {}", tp.name, e.kind),
        )
    })?;
    let input = scratch.extra_in(&tp.name);
    let output = scratch.extra_out(&tp.name);
    fs::create_dir_all(&output)?;
    mirror(&dest.join(CHECKLISTS), &input.join("checklists"))?;
    let component = sandbox.load(&tp.source)?;
    let mut options = BTreeMap::new();
    options.insert("system".to_owned(), settings.system.clone());
    let record = sandbox
        .run(
            &component,
            &RunRequest {
                input_dir: &input,
                output_dir: &output,
                exported_at: settings.exported_at,
                options,
                limits: tp.limits(limits),
            },
        )
        .with_context(|| format!("component {} (extra)", tp.name))?;
    let folder = dest.join(EXTRA).join(&tp.name);
    if fs::symlink_metadata(&folder).is_ok() {
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!("two extra components are called {}", tp.name),
        ));
    }
    for f in &record.outputs {
        let to = folder.join(&f.path);
        if let Some(p) = to.parent() {
            fs::create_dir_all(p)?;
        }
        fs::rename(output.join(&f.path), &to)
            .with_context(|| format!("moving {} into the package", f.path))?;
    }
    Ok(record)
}
