//! The fleet summary of a results tree without building a package (`stigpack
//! fleet-summary`): the same `import` runs as `export-emass` (batches of
//! [`HOSTS_PER_RUN`] hosts, keep-going, views only) and the same `emass` run, in a scratch
//! directory; of the emass run's outputs only the summary files and the report are kept.
//! One implementation writes a package's summary and this one, so the two cannot differ.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use stig_formats::import::Unreadable;
use stig_formats::model_file;
use stig_formats::package_artifacts::paths;

use super::assemble::{link_or_copy, HOSTS_PER_RUN};
use crate::pipeline::{self, HostDir};
use crate::sandbox::{Limits, LoadedComponent, RunRecord, RunRequest, Sandbox};

/// The files `fleet-summary` writes: (the emass run's output, the name in `--out`).
pub const FILES: [(&str, &str); 4] = [
    (paths::FLEET_JSON, "fleet_summary.json"),
    (paths::FLEET_CSV, "fleet_summary.csv"),
    (paths::FLEET_TXT, "fleet_summary.txt"),
    (paths::INDEX_HTML, "fleet_report.html"),
];

/// What a summary run produced.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The files written into the output directory, in [`FILES`] order.
    pub written: Vec<PathBuf>,
    /// Hosts left out because a file could not be read, in host order.
    pub unreadable: Vec<Unreadable>,
    /// The import runs and the emass run, for the audit log.
    pub runs: Vec<RunRecord>,
}

/// Summarises `hosts` into the (empty) directory `out`. `benchmarks`: a directory of
/// DISA XCCDF benchmarks for results that do not carry their rules, given to every
/// import run. `system` names the fleet in the report; `exported_at` is the time it states.
pub fn summarise(
    sandbox: &Sandbox,
    limits: &Limits,
    hosts: &[HostDir],
    benchmarks: Option<&Path>,
    system: &str,
    exported_at: time::OffsetDateTime,
    out: &Path,
) -> anyhow::Result<Summary> {
    let scan_files: Vec<Vec<String>> = hosts
        .iter()
        .map(|h| crate::input_files::checked_files(&h.path))
        .collect::<anyhow::Result<_>>()?;
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let s = scratch.path();
    let import_c = pipeline::builtin(sandbox, "import")?;
    let emass_c = pipeline::builtin(sandbox, "emass")?;
    let run = |component: &LoadedComponent,
               input: &Path,
               output: &Path,
               options: &BTreeMap<String, String>|
     -> anyhow::Result<RunRecord> {
        sandbox
            .run(
                component,
                &RunRequest {
                    input_dir: input,
                    output_dir: output,
                    exported_at,
                    options: options.clone(),
                    limits: limits.clone(),
                },
            )
            .with_context(|| format!("component {}", component.name))
    };

    let batches: Vec<&[HostDir]> = hosts.chunks(HOSTS_PER_RUN).collect();
    let import_in = |b: usize| s.join(format!("import-{b:05}"));
    let import_out = |b: usize| s.join(format!("import-out-{b:05}"));
    for (i, (h, files)) in hosts.iter().zip(&scan_files).enumerate() {
        let dir = import_in(i / HOSTS_PER_RUN).join("scans").join(&h.name);
        fs::create_dir_all(&dir)?;
        for rel in files {
            link_or_copy(&h.path.join(rel), &dir.join(rel))?;
        }
    }
    for b in 0..batches.len() {
        fs::create_dir_all(import_out(b))?;
        if let Some(dir) = benchmarks {
            for rel in super::hashlist::walk(dir)? {
                link_or_copy(&dir.join(&rel), &import_in(b).join("benchmarks").join(&rel))?;
            }
        }
    }
    // Views only: no model files, no checklists; hosts that cannot be read are listed.
    let mut import_opts = BTreeMap::new();
    import_opts.insert("view".to_owned(), "true".to_owned());
    import_opts.insert("model".to_owned(), "false".to_owned());
    pipeline::keep_going_option(&mut import_opts);
    let run_import = |input: &Path, output: &Path, options: &BTreeMap<String, String>| {
        run(&import_c, input, output, options)
    };
    let mut runs = crate::parallel::try_map(&batches, crate::parallel::jobs(), |b, _| {
        super::isolate::run_leaving_out(
            &run_import,
            &import_in(b),
            &import_out(b),
            &import_opts,
            true,
            &s.join(format!("isolate-{b:05}")),
        )
    })?;
    let mut unreadable = Vec::new();
    for b in 0..batches.len() {
        unreadable.extend(pipeline::unreadable_hosts(&import_out(b))?);
    }
    pipeline::refuse_if_none_read(hosts.len(), &unreadable)?;

    let emass_in = s.join("emass-in");
    fs::create_dir_all(emass_in.join("views"))?;
    for b in 0..batches.len() {
        link_or_copy(
            &import_out(b).join(model_file::VIEW_FILE),
            &emass_in
                .join("views")
                .join(format!("{b:05}{}", model_file::VIEW_SUFFIX)),
        )?;
    }
    if !unreadable.is_empty() {
        let mut json = serde_json::to_vec_pretty(&unreadable)?;
        json.push(b'\n');
        fs::write(emass_in.join(stig_formats::import::UNREADABLE_FILE), json)?;
    }
    let emass_out = s.join("emass-out");
    fs::create_dir_all(&emass_out)?;
    let mut emass_opts = BTreeMap::new();
    emass_opts.insert("system".to_owned(), system.to_owned());
    emass_opts.insert("outputs".to_owned(), "summary".to_owned());
    runs.push(run(&emass_c, &emass_in, &emass_out, &emass_opts)?);

    let mut written = Vec::new();
    for (from, to) in FILES {
        let src = emass_out.join(from);
        let dst = out.join(to);
        fs::rename(&src, &dst)
            .or_else(|_| fs::copy(&src, &dst).map(|_| ()))
            .with_context(|| format!("component emass wrote no {from}"))?;
        written.push(dst);
    }
    Ok(Summary {
        written,
        unreadable,
        runs,
    })
}
