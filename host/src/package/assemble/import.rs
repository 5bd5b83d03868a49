//! Stage 2: the scans to the canonical model and each host's checklists, in `import`
//! runs of [`HOSTS_PER_RUN`] hosts, on every core. Each run writes its hosts' checklists
//! straight from the model it has just read (the `checklist` component's writer and
//! bytes), so no model is written, hashed, read back and decoded between two runs: 0.7
//! MB per host, a fifth of all the export's CPU at 1,000 hosts (docs/performance.md).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;
use stig_formats::import::Unreadable;

use super::super::isolate;
use super::super::layout::{BENCHMARKS, CHECKLISTS, MANIFEST_DIR, UNREADABLE};
use super::super::manifest;
use super::components::Components;
use super::files::{link_or_copy, mirror};
use super::keep::Kept;
use super::scratch::Scratch;
use super::{Inputs, Settings, HOSTS_PER_RUN};
use crate::pipeline::{self, HostDir};
use crate::sandbox::RunRecord;

/// What the import runs produced.
#[derive(Debug)]
pub struct Imported {
    /// One record per run, in host order (run `b` holds hosts `8b..8b+8`).
    pub records: Vec<RunRecord>,
    /// Hosts left out under `--keep-going`, in host order.
    pub unreadable: Vec<Unreadable>,
}

/// Stages the scans, runs every batch, and keeps the list of hosts left out in the
/// package (`00_Manifest/unreadable_hosts.json`), for the emass run to read.
pub fn run(
    components: &Components,
    inputs: &Inputs,
    settings: &Settings,
    kept: &Kept,
    scratch: &Scratch,
    dest: &Path,
) -> anyhow::Result<Imported> {
    let batches = inputs.hosts.len().div_ceil(HOSTS_PER_RUN);
    stage_scans(inputs, kept, scratch)?;
    prepare_runs(batches, scratch, dest)?;
    let records = run_batches(components, inputs, settings, scratch)?;
    let unreadable = hosts_left_out(batches, inputs.hosts.len(), scratch)?;
    keep_unreadable_list(&unreadable, dest)?;
    Ok(Imported {
        records,
        unreadable,
    })
}

/// The operator's scans, by hard link where the file system allows (copied otherwise):
/// what a run reads cannot change under it, and is what the package will hold.
fn stage_scans(inputs: &Inputs, kept: &Kept, scratch: &Scratch) -> anyhow::Result<()> {
    for (i, (h, files)) in inputs.hosts.iter().zip(&kept.scan_files).enumerate() {
        let to = scratch.scans_in(i, &h.name);
        fs::create_dir_all(&to)?;
        for rel in files {
            link_or_copy(&h.path.join(rel), &to.join(rel))?;
        }
    }
    Ok(())
}

/// Each run's input (with the kept benchmarks) and output directories.
fn prepare_runs(batches: usize, scratch: &Scratch, dest: &Path) -> anyhow::Result<()> {
    for b in 0..batches {
        if dest.join(BENCHMARKS).exists() {
            mirror(
                &dest.join(BENCHMARKS),
                &scratch.import_in(b).join("benchmarks"),
            )?;
        }
        fs::create_dir_all(scratch.import_in(b))?;
        fs::create_dir_all(scratch.import_out(b))?;
    }
    Ok(())
}

/// The options of every import run: the fleet view for emass, CKL checklists, no model.
fn options(settings: &Settings) -> BTreeMap<String, String> {
    let mut opts = BTreeMap::new();
    opts.insert("view".to_owned(), "true".to_owned());
    opts.insert("checklists".to_owned(), "ckl".to_owned());
    opts.insert("model".to_owned(), "false".to_owned());
    if settings.keep_going {
        pipeline::keep_going_option(&mut opts);
    }
    opts
}

/// The runs, on every core. Under `--keep-going` a run the sandbox stops is rerun
/// without the host that stops it (listed as unreadable), so one hostile host does not
/// take its batch down.
fn run_batches(
    components: &Components,
    inputs: &Inputs,
    settings: &Settings,
    scratch: &Scratch,
) -> anyhow::Result<Vec<RunRecord>> {
    let opts = options(settings);
    let batches: Vec<_> = inputs.hosts.chunks(HOSTS_PER_RUN).collect();
    let _t = crate::timings::step("components: import");
    let run_import = |input: &Path, output: &Path, options: &BTreeMap<String, String>| {
        components.run(&components.import, input, output, options)
    };
    crate::activity::hosts(inputs.hosts.len());
    crate::parallel::try_map(&batches, crate::parallel::jobs(), |b, batch| {
        let record = isolate::run_leaving_out(
            &run_import,
            &scratch.import_in(b),
            &scratch.import_out(b),
            &opts,
            settings.keep_going,
            &scratch.isolate(b),
        );
        crate::activity::hosts_done(batch.len());
        record.with_context(|| doing(batch))
    })
}

/// What an `import` run was doing, for its errors (a limit it hit names the component,
/// the cap and the option; this says which hosts).
fn doing(batch: &[HostDir]) -> String {
    match (batch.first(), batch.last()) {
        (Some(a), Some(b)) if batch.len() > 1 => format!(
            "reading the scans of hosts {} to {} ({} hosts) into checklists and a view",
            a.name,
            b.name,
            batch.len()
        ),
        (Some(a), _) => format!(
            "reading the scans of host {} into checklists and a view",
            a.name
        ),
        _ => "reading scans".to_owned(),
    }
}

/// The hosts the runs left out, merged; batches are in host order, so the list is too.
/// Refuses a build in which no host could be read.
fn hosts_left_out(
    batches: usize,
    hosts: usize,
    scratch: &Scratch,
) -> anyhow::Result<Vec<Unreadable>> {
    let mut unreadable = Vec::new();
    for b in 0..batches {
        unreadable.extend(pipeline::unreadable_hosts(&scratch.import_out(b))?);
    }
    pipeline::refuse_if_none_read(hosts, &unreadable)?;
    Ok(unreadable)
}

/// Kept in the package and given to the emass run, which states the package's readiness
/// (and README and index) with these hosts missing.
fn keep_unreadable_list(unreadable: &[Unreadable], dest: &Path) -> anyhow::Result<()> {
    if unreadable.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(dest.join(MANIFEST_DIR))?;
    fs::write(
        dest.join(UNREADABLE),
        manifest::to_text(serde_json::to_value(unreadable)?),
    )?;
    Ok(())
}

/// Moves the checklists the runs wrote into `02_Checklists/<host>/`.
pub fn move_checklists(scratch: &Scratch, batches: usize, dest: &Path) -> anyhow::Result<()> {
    let checklists = dest.join(CHECKLISTS);
    fs::create_dir_all(&checklists)?;
    for b in 0..batches {
        let written = scratch
            .import_out(b)
            .join(stig_formats::output::CHECKLISTS_DIR);
        if !written.exists() {
            continue;
        }
        for e in fs::read_dir(&written)? {
            let e = e?;
            fs::rename(e.path(), checklists.join(e.file_name())).with_context(|| {
                format!(
                    "moving {} into {CHECKLISTS}",
                    e.file_name().to_string_lossy()
                )
            })?;
        }
    }
    Ok(())
}
