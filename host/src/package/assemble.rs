//! Building a package: copy the raw inputs in, run the components, record provenance,
//! hash, write the manifest. The caller provides an empty directory (a staging directory
//! beside the final target) and renames it into place only after this returns Ok.
//!
//! The same function serves `export-emass` (inputs from the operator's directories),
//! `import-attestations` and `reproduce` (inputs from an existing package), so a package
//! can always be rebuilt by exactly the code that built it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;

use super::contents;
use super::hashlist;
use super::layout::*;
use super::manifest::{self, ManifestMeta};
use super::thirdparty::{self, ThirdParty};
use crate::exit::{coded, Exit};
use crate::pipeline::{self, HostDir};
use crate::sandbox::{Limits, LoadedComponent, RunRecord, RunRequest, Sandbox};
use crate::trust::Role;
use contents::Derived;
use stig_formats::model_file;
use stig_formats::package_artifacts::paths;

pub const PROVENANCE_SCHEMA: &str = "stigpack.provenance/3";

/// Hosts per `import` run. Runs are the unit of parallel work and of
/// provenance; fixing their size, not their number, keeps the package the same whatever
/// the number of cores. Eight hosts keep a run's memory small and its start-up cost
/// (about a millisecond) negligible.
pub const HOSTS_PER_RUN: usize = 8;

/// Where a package's inputs come from.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub hosts: Vec<HostDir>,
    /// (name in the package, source file).
    pub benchmarks: Vec<(String, PathBuf)>,
    pub evidence: Option<PathBuf>,
    /// (name in the package, source file), applied in name order.
    pub answers: Vec<(String, PathBuf)>,
    /// A POA&M layout document used instead of the built-in `Settings::layout`.
    pub poam_layout: Option<PathBuf>,
    /// A DISA CCI list used instead of the built-in CCI -> 800-53 table.
    pub cci_list: Option<PathBuf>,
    /// The system profile (banner and rows 2-6 of poam.xlsx), kept in the package.
    pub system_profile: Option<stig_formats::poam::profile::SystemProfile>,
    /// Admitted third-party components: one replacing `import` or `emass`, or `extra`
    /// exporters (in name order), each kept in the package with its review.
    pub components: Vec<ThirdParty>,
}

/// How to build.
#[derive(Debug, Clone)]
pub struct Settings {
    pub system: String,
    pub exported_at: time::OffsetDateTime,
    pub layout: String,
    pub days: String,
    pub office: String,
    pub resources: String,
    /// The eMASS workbook template of 03_POAM/poam.xlsx.
    pub template: String,
    pub audit_checkpoint: Option<String>,
    /// Leave hosts whose files cannot be read out (listed in the package, which is then
    /// never ready) instead of failing the build.
    pub keep_going: bool,
}

/// What was built.
#[derive(Debug, Clone)]
pub struct Built {
    pub package_hash: String,
    pub package_hash_h1: String,
    pub file_count: usize,
    pub is_ready: bool,
    pub hosts: usize,
    pub poam_items: u64,
    /// Hosts left out under `keep_going`, in host order.
    pub unreadable: Vec<stig_formats::import::Unreadable>,
}

fn link_or_copy(src: &Path, dst: &Path) -> anyhow::Result<()> {
    if let Some(p) = dst.parent() {
        fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
    }
    if fs::hard_link(src, dst).is_err() {
        fs::copy(src, dst)
            .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
    }
    Ok(())
}

/// Mirrors the regular files of `src` into `dst` by hard links (copies across devices).
fn mirror(src: &Path, dst: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    for rel in hashlist::walk(src)? {
        link_or_copy(&src.join(&rel), &dst.join(&rel))?;
    }
    Ok(())
}

fn check_evidence_layout(evidence: &Path, hosts: &[HostDir]) -> anyhow::Result<()> {
    for e in fs::read_dir(evidence).with_context(|| format!("reading {}", evidence.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let ft = e.file_type()?;
        if !ft.is_dir() || !hosts.iter().any(|h| h.name == name) {
            return Err(coded(
                Exit::BadInput,
                anyhow::anyhow!(
                    "{}: evidence must be laid out as <host>/<VulnId or RuleId>/<files>, with <host> one of the hosts under --results",
                    e.path().display()
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a POA&M layout file and checks it is a layout, before anything is built: a bad
/// one is the operator's input (exit 3, naming the file), not a component failure.
pub fn read_layout_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = read_input_file(path, stig_formats::MAX_INPUT_BYTES)?;
    stig_formats::poam::layout::Layout::from_json(&bytes)
        .map_err(|e| bad_input(path, e.to_string()))?;
    Ok(bytes)
}

/// An operator-named input file (layout, CCI list, system profile) as bytes: a regular
/// file (not a link that could be swapped under the run) of at most `cap` bytes. Every
/// refusal is bad input naming the file, so the three options fail the same way.
fn read_input_file(path: &Path, cap: u64) -> anyhow::Result<Vec<u8>> {
    let meta = fs::symlink_metadata(path).map_err(|e| bad_input(path, e.to_string()))?;
    if !meta.is_file() {
        return Err(bad_input(path, "not a regular file".into()));
    }
    if meta.len() > cap {
        return Err(bad_input(
            path,
            format!(
                "{} bytes exceeds the per-file input limit of {cap} bytes",
                meta.len()
            ),
        ));
    }
    fs::read(path).map_err(|e| bad_input(path, e.to_string()))
}

/// Exit 3 (bad input), the message prefixed with the file it is about.
fn bad_input(path: &Path, message: String) -> anyhow::Error {
    coded(
        Exit::BadInput,
        anyhow::anyhow!("{}: {message}", path.display()),
    )
}

/// A CCI list given with `--cci-list`, checked before anything is built (exit 3 naming
/// the file when it is not a DISA CCI list with Revision 5 mappings).
#[derive(Debug, Clone)]
pub struct CciList {
    /// The name it is kept under in [`paths::POAM_CCI_DIR`].
    pub name: String,
    pub bytes: Vec<u8>,
    /// The list's own `<version>`.
    pub version: String,
}

/// Reads and checks a CCI list file (see [`CciList`]).
pub fn read_cci_list(path: &Path) -> anyhow::Result<CciList> {
    let bytes = read_input_file(path, stig_formats::MAX_INPUT_BYTES)?;
    let table = stig_formats::cci::CciTable::from_xml("", &bytes)
        .map_err(|e| bad_input(path, format!("not a usable CCI list: {e}")))?;
    Ok(CciList {
        name: cci_list_name(path),
        bytes,
        version: table.version,
    })
}

/// The file name a CCI list is kept under: its own, reduced to `[A-Za-z0-9._-]`.
fn cci_list_name(path: &Path) -> String {
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    match safe.trim_start_matches('.') {
        "" => "U_CCI_List.xml".to_owned(),
        s => s.to_owned(),
    }
}

fn step(
    name: &str,
    hosts: &[HostDir],
    record: &RunRecord,
    inputs: serde_json::Value,
    outputs: serde_json::Value,
) -> serde_json::Value {
    let hosts: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
    json!({
        "step": name,
        "hosts": hosts,
        "run": record,
        "inputsFrom": inputs,
        "outputsTo": outputs,
    })
}

/// Where the `emass` component's outputs may land in a package: its own folders, but not
/// the inputs kept beside them (answer files, a layout file), which are the operator's
/// bytes and must stay byte for byte what was given.
/// What an `import` run was doing, for its errors (a limit it hit names the component,
/// the cap and the option; this says which hosts).
fn doing_import(batch: &[HostDir]) -> String {
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

/// What the `emass` run was doing, for its errors: its memory grows with the fleet, so
/// the host count tells an operator how far to raise the cap.
fn doing_emass(hosts: usize) -> String {
    format!("writing the POA&M, attestations, indexes and README from the views of {hosts} hosts")
}

fn emass_may_write(path: &str) -> bool {
    let under = |dir: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
    };
    (path == paths::README || under("03_POAM") || under("05_Attestations") || under("06_Index"))
        && !under(paths::ANSWERS_DIR)
        && !under(paths::POAM_LAYOUT_DIR)
        && !under(paths::POAM_CCI_DIR)
        && !under(stig_formats::poam::profile::PROFILE_DIR)
}

/// Copies one scan into the package (`from`: what the import run read; `shown`: the
/// operator's path, for messages), refusing a copy whose SHA-256 is not `read_sha256`.
fn copy_as_read(
    digests: &crate::hashing::DigestCache,
    from: &Path,
    to: &Path,
    shown: &Path,
    read_sha256: Option<&str>,
) -> anyhow::Result<()> {
    let (sha, _) = digests
        .copy_file(from, to)
        .with_context(|| format!("copying {} to {}", shown.display(), to.display()))?;
    if read_sha256 != Some(sha.as_str()) {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!(
                "{}: changed while the package was being built (the copy differs from what the import run read); export again",
                shown.display()
            ),
        ));
    }
    Ok(())
}

/// Builds a complete package in the empty directory `dest`.
pub fn build(
    sandbox: &Sandbox,
    limits: &Limits,
    inputs: &Inputs,
    settings: &Settings,
    dest: &Path,
) -> anyhow::Result<Built> {
    // 1. Raw inputs. Every scan tree is checked now; the scans are copied into the package
    // later, beside the emass run (step 2), from the very files the import runs read.
    let t = crate::timings::step("check and copy inputs");
    if inputs.hosts.iter().any(|h| h.name == BENCHMARKS_NAME) {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!("a host may not be called {BENCHMARKS_NAME:?}: the package keeps benchmarks under that name"),
        ));
    }
    let scan_files: Vec<Vec<String>> = inputs
        .hosts
        .iter()
        .map(|h| crate::input_files::checked_files(&h.path))
        .collect::<anyhow::Result<_>>()?;
    fs::create_dir_all(dest.join(SCANS))?;
    for (name, src) in &inputs.benchmarks {
        stig_formats::safe_host_component(name).map_err(|e| {
            coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: {}", src.display(), e.kind),
            )
        })?;
        fs::create_dir_all(dest.join(BENCHMARKS))?;
        fs::copy(src, dest.join(BENCHMARKS).join(name))
            .with_context(|| format!("copying {}", src.display()))?;
    }
    fs::create_dir_all(dest.join(EVIDENCE))?;
    if let Some(ev) = &inputs.evidence {
        check_evidence_layout(ev, &inputs.hosts)?;
        crate::input_files::copy_tree(ev, &dest.join(EVIDENCE))?;
    }
    let answers_dir = dest.join(paths::ANSWERS_DIR);
    for (name, src) in &inputs.answers {
        stig_formats::safe_host_component(name).map_err(|e| {
            coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: {}", src.display(), e.kind),
            )
        })?;
        fs::create_dir_all(&answers_dir)?;
        fs::copy(src, answers_dir.join(name))
            .with_context(|| format!("copying {}", src.display()))?;
    }
    // The bytes checked are the bytes kept.
    let layout_sha256 = match &inputs.poam_layout {
        Some(src) => {
            let bytes = read_layout_file(src)?;
            fs::create_dir_all(dest.join(paths::POAM_LAYOUT_DIR))?;
            fs::write(dest.join(paths::POAM_LAYOUT_FILE), &bytes)
                .with_context(|| format!("copying {}", src.display()))?;
            Some(crate::hashing::sha256_hex(&bytes))
        }
        None => None,
    };
    let cci_list = match &inputs.cci_list {
        Some(src) => {
            let list = read_cci_list(src)?;
            fs::create_dir_all(dest.join(paths::POAM_CCI_DIR))?;
            fs::write(dest.join(paths::POAM_CCI_DIR).join(&list.name), &list.bytes)
                .with_context(|| format!("copying {}", src.display()))?;
            Some(list)
        }
        None => None,
    };

    // The profile is kept in its normalised form: the bytes the component reads.
    let profile_sha256 = match &inputs.system_profile {
        Some(p) => {
            use stig_formats::poam::profile::{PROFILE_DIR, PROFILE_FILE};
            let text = p.to_json();
            fs::create_dir_all(dest.join(PROFILE_DIR))?;
            fs::write(dest.join(PROFILE_FILE), &text)
                .with_context(|| format!("writing {PROFILE_FILE}"))?;
            Some(crate::hashing::sha256_hex(text.as_bytes()))
        }
        None => None,
    };

    drop(t);
    // 2. Components, in a scratch directory on the same file system (hard links).
    let parent = dest.parent().unwrap_or(Path::new("."));
    let (scratch, _scratch_claim) = crate::stale::temp_dir_in(parent, crate::stale::SCRATCH_PREFIX)
        .with_context(|| format!("creating a scratch directory in {}", parent.display()))?;
    let s = scratch.path();
    let slot = |role: Role| inputs.components.iter().find(|c| c.role == role);
    let load = |role: Role| -> anyhow::Result<(LoadedComponent, Limits)> {
        match slot(role) {
            Some(tp) => Ok((sandbox.load(&tp.source)?, tp.limits(limits))),
            None => Ok((pipeline::builtin(sandbox, role.as_str())?, limits.clone())),
        }
    };
    let (import_c, import_limits) = load(Role::Import)?;
    let (emass_c, emass_limits) = load(Role::Emass)?;
    let run = |component: &LoadedComponent,
               limits: &Limits,
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
                    exported_at: settings.exported_at,
                    options: options.clone(),
                    limits: limits.clone(),
                },
            )
            .with_context(|| format!("component {}", component.name))
    };

    // Scans to the canonical model, a fixed number of hosts per run, on every core.
    let batches: Vec<&[HostDir]> = inputs.hosts.chunks(HOSTS_PER_RUN).collect();
    let import_in = |b: usize| s.join(format!("import-{b:05}"));
    let import_out = |b: usize| s.join(format!("import-out-{b:05}"));
    let scans_in = |i: usize| {
        import_in(i / HOSTS_PER_RUN)
            .join("scans")
            .join(&inputs.hosts[i].name)
    };
    // The operator's scans, by hard link where the file system allows (copied otherwise):
    // what a run reads cannot change under it, and is what the package will hold.
    for (i, (h, files)) in inputs.hosts.iter().zip(&scan_files).enumerate() {
        fs::create_dir_all(scans_in(i))?;
        for rel in files {
            link_or_copy(&h.path.join(rel), &scans_in(i).join(rel))?;
        }
    }
    for b in 0..batches.len() {
        if dest.join(BENCHMARKS).exists() {
            mirror(&dest.join(BENCHMARKS), &import_in(b).join("benchmarks"))?;
        }
        fs::create_dir_all(import_in(b))?;
        fs::create_dir_all(import_out(b))?;
    }
    let jobs = crate::parallel::jobs();
    // Each run writes its hosts' checklists straight from the model it has just read (the
    // `checklist` component's writer and bytes), so no model is written, hashed, read
    // back and decoded between two runs: 0.7 MB per host, a fifth of all the export's
    // CPU at 1,000 hosts (docs/performance.md).
    let mut import_opts = BTreeMap::new();
    import_opts.insert("view".to_owned(), "true".to_owned());
    import_opts.insert("checklists".to_owned(), "ckl".to_owned());
    import_opts.insert("model".to_owned(), "false".to_owned());
    if settings.keep_going {
        pipeline::keep_going_option(&mut import_opts);
    }
    let t = crate::timings::step("components: import");
    // Under --keep-going a run the sandbox stops is rerun without the host that stops it
    // (listed as unreadable), so one hostile host does not take its batch down.
    let run_import = |input: &Path, output: &Path, options: &BTreeMap<String, String>| {
        run(&import_c, &import_limits, input, output, options)
    };
    crate::activity::hosts(inputs.hosts.len());
    let imports = crate::parallel::try_map(&batches, jobs, |b, batch| {
        let record = super::isolate::run_leaving_out(
            &run_import,
            &import_in(b),
            &import_out(b),
            &import_opts,
            settings.keep_going,
            &s.join(format!("isolate-{b:05}")),
        );
        crate::activity::hosts_done(batch.len());
        record.with_context(|| doing_import(batch))
    })?;
    drop(t);
    // Batches are in host order, so the merged list is too.
    let mut unreadable = Vec::new();
    for b in 0..batches.len() {
        unreadable.extend(pipeline::unreadable_hosts(&import_out(b))?);
    }
    pipeline::refuse_if_none_read(inputs.hosts.len(), &unreadable)?;
    // Kept in the package and given to the emass run, which states the package's
    // readiness (and README and index) with these hosts missing.
    if !unreadable.is_empty() {
        fs::create_dir_all(dest.join(MANIFEST_DIR))?;
        fs::write(
            dest.join(UNREADABLE),
            manifest::to_text(serde_json::to_value(&unreadable)?),
        )?;
    }

    // The batches' views to the package files, in one fleet-wide run.
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
    let mut listing = contents::evidence_paths(dest)?.join("\n");
    if !listing.is_empty() {
        listing.push('\n');
    }
    fs::write(emass_in.join("evidence.txt"), listing)?;
    if answers_dir.exists() {
        mirror(&answers_dir, &emass_in.join("answers"))?;
    }
    if layout_sha256.is_some() {
        link_or_copy(
            &dest.join(paths::POAM_LAYOUT_FILE),
            &emass_in.join(stig_formats::package_artifacts::LAYOUT_INPUT),
        )?;
    }
    if let Some(list) = &cci_list {
        link_or_copy(
            &dest.join(paths::POAM_CCI_DIR).join(&list.name),
            &emass_in
                .join(stig_formats::package_artifacts::CCI_INPUT_DIR)
                .join(&list.name),
        )?;
    }
    if !unreadable.is_empty() {
        link_or_copy(
            &dest.join(UNREADABLE),
            &emass_in.join(stig_formats::import::UNREADABLE_FILE),
        )?;
    }
    if profile_sha256.is_some() {
        use stig_formats::poam::profile::{PROFILE_FILE, PROFILE_INPUT};
        link_or_copy(&dest.join(PROFILE_FILE), &emass_in.join(PROFILE_INPUT))?;
    }
    let emass_out = s.join("emass-out");
    fs::create_dir_all(&emass_out)?;
    let mut emass_opts = BTreeMap::new();
    emass_opts.insert("system".to_owned(), settings.system.clone());
    if layout_sha256.is_none() {
        emass_opts.insert("layout".to_owned(), settings.layout.clone());
    }
    emass_opts.insert("days".to_owned(), settings.days.clone());
    emass_opts.insert("office".to_owned(), settings.office.clone());
    emass_opts.insert("resources".to_owned(), settings.resources.clone());
    emass_opts.insert("template".to_owned(), settings.template.clone());
    // The emass run is one guest on one core; the scans are copied into the package on
    // the others meanwhile. Each copy is hashed as it is written and must match the
    // digest its import run recorded, so the package holds exactly the bytes that were
    // read, even if the operator's file changed since.
    let recorded: BTreeMap<String, &str> = imports
        .iter()
        .enumerate()
        .flat_map(|(b, r)| {
            r.inputs
                .iter()
                .map(move |f| (format!("{b:05}/{}", f.path), f.sha256.as_str()))
        })
        .collect();
    let tasks: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..inputs.hosts.len()).map(Some))
        .collect();
    let t = crate::timings::step("components: emass + copy scans");
    let mut done = crate::parallel::try_map(&tasks, jobs, |_, task| match task {
        None => run(&emass_c, &emass_limits, &emass_in, &emass_out, &emass_opts)
            .with_context(|| doing_emass(inputs.hosts.len()))
            .map(Some),
        Some(i) => {
            let h = &inputs.hosts[*i];
            fs::create_dir_all(dest.join(SCANS).join(&h.name))?;
            for rel in &scan_files[*i] {
                let (from, to) = (
                    scans_in(*i).join(rel),
                    dest.join(SCANS).join(&h.name).join(rel),
                );
                if let Some(p) = to.parent() {
                    fs::create_dir_all(p)?;
                }
                let key = format!("{:05}/scans/{}/{rel}", *i / HOSTS_PER_RUN, h.name);
                copy_as_read(
                    sandbox.digests(),
                    &from,
                    &to,
                    &h.path.join(rel),
                    recorded.get(&key).copied(),
                )?;
            }
            Ok(None)
        }
    })?;
    drop(t);
    let emass = done
        .swap_remove(0)
        .ok_or_else(|| anyhow::anyhow!("the emass run left no record"))?;

    let checklists = dest.join(CHECKLISTS);
    fs::create_dir_all(&checklists)?;
    for b in 0..batches.len() {
        let written = import_out(b).join(stig_formats::output::CHECKLISTS_DIR);
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
    let facts_bytes = fs::read(emass_out.join(paths::FACTS))
        .with_context(|| format!("component emass wrote no {}", paths::FACTS))?;
    let derived = Derived::from_json(&facts_bytes)
        .with_context(|| format!("component emass: {}", paths::FACTS))?;
    for f in emass.outputs.iter().filter(|f| f.path != paths::FACTS) {
        if !emass_may_write(&f.path) {
            return Err(coded(
                Exit::Sandbox,
                anyhow::anyhow!(
                    "component emass wrote {}, outside the package files it produces (03_POAM, 05_Attestations, 06_Index, {}); refusing to place it",
                    f.path,
                    paths::README
                ),
            ));
        }
        let to = dest.join(&f.path);
        if fs::symlink_metadata(&to).is_ok() {
            return Err(coded(
                Exit::Sandbox,
                anyhow::anyhow!(
                    "component emass wrote {}, which the package already holds; refusing to replace it",
                    f.path
                ),
            ));
        }
        if let Some(p) = to.parent() {
            fs::create_dir_all(p)?;
        }
        fs::rename(emass_out.join(&f.path), &to)
            .with_context(|| format!("moving {} into the package", f.path))?;
    }

    // Extra exporters, each on the finished checklists, each into its own folder.
    let mut extras = Vec::new();
    for tp in inputs.components.iter().filter(|c| c.role == Role::Extra) {
        extras.push((tp, run_extra(sandbox, limits, settings, tp, dest, s)?));
    }
    for tp in &inputs.components {
        tp.keep(dest)?;
    }

    // 3. Provenance, inside the hash list.
    fs::create_dir_all(dest.join(MANIFEST_DIR))?;
    let exported_at = crate::time_arg::rfc3339(settings.exported_at);
    let mut steps = Vec::new();
    for (record, hosts) in imports.iter().zip(&batches) {
        steps.push(step(
            "import",
            hosts,
            record,
            json!({ "scans/": format!("{SCANS}/"), "benchmarks/": format!("{BENCHMARKS}/") }),
            json!({ format!("{}/", stig_formats::output::CHECKLISTS_DIR): format!("{CHECKLISTS}/"),
                    "": format!("(intermediate: {}, input of emass; import-report.json; {}, merged into {UNREADABLE})", model_file::VIEW_FILE, stig_formats::import::UNREADABLE_FILE) }),
        ));
    }
    steps.push(step(
        "emass",
        &inputs.hosts,
        &emass,
        json!({ "views/": format!("(the {} of every import step, numbered in step order)", model_file::VIEW_FILE),
                "evidence.txt": format!("(the list of files under {EVIDENCE}/)"),
                "answers/": format!("{}/", paths::ANSWERS_DIR),
                "layout/": format!("{}/", paths::POAM_LAYOUT_DIR),
                "cci/": format!("{}/", paths::POAM_CCI_DIR),
                stig_formats::import::UNREADABLE_FILE: UNREADABLE,
                "profile/": format!("{}/", stig_formats::poam::profile::PROFILE_DIR) }),
        json!({ "": "",
                paths::FACTS: format!("(intermediate: the counts and readiness written into {})", hashlist::MANIFEST) }),
    ));
    for (tp, record) in &extras {
        let mut st = step(
            "extra",
            &inputs.hosts,
            record,
            json!({ "checklists/": format!("{CHECKLISTS}/") }),
            json!({ "": format!("{}/{}/", thirdparty::EXTRA, tp.name) }),
        );
        st["name"] = json!(tp.name);
        steps.push(st);
    }
    let mut provenance = json!({
        "schema": PROVENANCE_SCHEMA,
        "tool": { "name": "stigpack", "version": env!("CARGO_PKG_VERSION") },
        "exportedAt": exported_at,
        "hostsPerRun": HOSTS_PER_RUN,
        "cciList": cci_list_record(cci_list.as_ref()),
        "steps": steps,
        "rerun": "stigpack reproduce <package> reruns every step on this package's own inputs and compares every output byte for byte",
    });
    // Only a package with outside code says so: a default export's provenance is
    // unchanged (its steps already name each built-in and its digest).
    if !inputs.components.is_empty() {
        let mut all = Vec::new();
        for (role, c) in [(Role::Import, &import_c), (Role::Emass, &emass_c)] {
            if slot(role).is_none() {
                all.push(json!({ "role": role, "name": c.name, "sha256": c.sha256, "source": "built-in" }));
            }
        }
        all.extend(inputs.components.iter().map(ThirdParty::record));
        provenance["components"] = json!(all);
    }
    fs::write(dest.join(PROVENANCE), manifest::to_text(provenance))?;

    // 4. Hash list and manifest, last.
    let t = crate::timings::step("hash list");
    let before = sandbox.digests().hashed_bytes();
    let list = hashlist::compute(dest, sandbox.digests())?;
    drop(t);
    crate::timings::note(
        "hash list: bytes read (not cached)",
        sandbox.digests().hashed_bytes() - before,
    );
    // Only now: removing the scratch's links to the package's benchmarks changes their
    // inodes' change time, which would make the hash list read them again.
    drop(scratch);
    let list_text = hashlist::render(&list);
    fs::write(dest.join(hashlist::HASH_LIST), &list_text)?;
    let mut options = BTreeMap::new();
    match &layout_sha256 {
        Some(sha) => {
            options.insert("poamLayout".to_owned(), paths::POAM_LAYOUT_FILE.to_owned());
            options.insert("poamLayoutSha256".to_owned(), sha.clone());
        }
        None => {
            options.insert("poamLayout".to_owned(), settings.layout.clone());
        }
    }
    let cci = cci_list_record(cci_list.as_ref());
    for (key, field) in [("cciList", "file"), ("cciListVersion", "version")] {
        options.insert(key.to_owned(), cci[field].as_str().unwrap_or("").to_owned());
    }
    options.insert("poamDays".to_owned(), settings.days.clone());
    options.insert("office".to_owned(), settings.office.clone());
    options.insert("resources".to_owned(), settings.resources.clone());
    options.insert("emassTemplate".to_owned(), settings.template.clone());
    if let Some(sha) = &profile_sha256 {
        options.insert("systemProfileSha256".to_owned(), sha.clone());
    }
    let meta = ManifestMeta {
        system: settings.system.clone(),
        exported_at,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        options,
        audit_checkpoint: settings.audit_checkpoint.clone(),
        unreadable: unreadable.clone(),
    };
    let value = manifest::build(&meta, &derived, &list, &list_text);
    fs::write(dest.join(hashlist::MANIFEST), manifest::to_text(value))?;
    Ok(Built {
        package_hash: hashlist::package_hash(&list_text),
        package_hash_h1: hashlist::h1(&list_text),
        file_count: list.len(),
        is_ready: derived.readiness.is_ready,
        hosts: derived.hosts.len(),
        poam_items: derived.poam_items,
        unreadable,
    })
}

/// Which CCI list mapped the POA&M's controls: the kept file, or the built-in table.
fn cci_list_record(list: Option<&CciList>) -> serde_json::Value {
    match list {
        Some(l) => json!({
            "file": format!("{}/{}", paths::POAM_CCI_DIR, l.name),
            "version": l.version,
            "sha256": crate::hashing::sha256_hex(&l.bytes),
        }),
        None => json!({
            "file": "(built in: DISA U_CCI_List.xml, NIST SP 800-53 Revision 5 references)",
            "version": stig_formats::cci::CciTable::builtin().version,
        }),
    }
}

/// The inputs and settings recorded in an existing package, to rebuild it. Settings come
/// from `provenance.json` (the emass step's recorded options and the export time), not
/// from the manifest, so that an edited manifest cannot steer its own reproduction; only
/// the audit checkpoint, which nothing in the package derives, is taken from the manifest.
pub fn from_package(pkg: &Path) -> anyhow::Result<(Inputs, Settings)> {
    let unusable = |m: String| coded(Exit::BadInput, anyhow::anyhow!(m));
    let read_json = |rel: &str| -> anyhow::Result<serde_json::Value> {
        let bytes = fs::read(pkg.join(rel))
            .map_err(|e| unusable(format!("{}: cannot read {rel}: {e}", pkg.display())))?;
        serde_json::from_slice(&bytes).map_err(|e| unusable(format!("{rel}: not JSON: {e}")))
    };
    let prov = read_json(PROVENANCE)?;
    let m = read_json(hashlist::MANIFEST)?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let exported_at_s = text(&prov["exportedAt"]);
    let exported_at = crate::time_arg::export_time(Some(&exported_at_s))
        .map_err(|e| unusable(format!("{PROVENANCE}: exportedAt: {e:#}")))?;
    let empty = Vec::new();
    let emass = prov["steps"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .find(|s| s["step"] == "emass")
        .ok_or_else(|| unusable(format!("{PROVENANCE}: no emass step recorded")))?;
    let opts = &emass["run"]["options"];
    let settings = Settings {
        system: text(&opts["system"]),
        exported_at,
        layout: text(&opts["layout"]),
        days: text(&opts["days"]),
        office: text(&opts["office"]),
        resources: text(&opts["resources"]),
        template: opts["template"]
            .as_str()
            .unwrap_or(stig_formats::poam::template::DEFAULT_TEMPLATE)
            .to_owned(),
        audit_checkpoint: m["auditCheckpoint"].as_str().map(str::to_owned),
        // Rebuilt as it was built: the import runs' recorded options say whether hosts
        // could be left out.
        keep_going: prov["steps"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .any(|s| s["step"] == "import" && s["run"]["options"]["keep-going"] == "true"),
    };
    let mut hosts = Vec::new();
    let scans = pkg.join(SCANS);
    for e in fs::read_dir(&scans).map_err(|e| unusable(format!("{}: {e}", scans.display())))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type()?.is_dir() && name != BENCHMARKS_NAME {
            hosts.push(HostDir {
                name,
                path: e.path(),
            });
        }
    }
    hosts.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let list_dir = |dir: &Path| -> anyhow::Result<Vec<(String, PathBuf)>> {
        let mut v = Vec::new();
        if dir.exists() {
            for rel in hashlist::walk(dir)? {
                v.push((rel.clone(), dir.join(&rel)));
            }
        }
        Ok(v)
    };
    let evidence_dir = pkg.join(EVIDENCE);
    let evidence = (evidence_dir.exists() && !hashlist::walk(&evidence_dir)?.is_empty())
        .then_some(evidence_dir);
    Ok((
        Inputs {
            hosts,
            benchmarks: list_dir(&pkg.join(BENCHMARKS))?,
            evidence,
            answers: list_dir(&pkg.join(paths::ANSWERS_DIR))?,
            poam_layout: Some(pkg.join(paths::POAM_LAYOUT_FILE))
                .filter(|p| fs::symlink_metadata(p).is_ok()),
            cci_list: kept_cci_list(pkg)?,
            system_profile: read_kept_profile(pkg)?,
            components: thirdparty::from_package(pkg, &prov)?,
        },
        settings,
    ))
}

/// The CCI list a package keeps, if any; more than one is an error (which would apply?).
fn kept_cci_list(pkg: &Path) -> anyhow::Result<Option<PathBuf>> {
    let dir = pkg.join(paths::POAM_CCI_DIR);
    if !dir.exists() {
        return Ok(None);
    }
    let files = hashlist::walk(&dir)?;
    match files.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(dir.join(one))),
        _ => Err(coded(
            Exit::BadInput,
            anyhow::anyhow!(
                "{}: {} files, a package keeps at most one CCI list",
                dir.display(),
                files.len()
            ),
        )),
    }
}

/// The profile a package keeps (its normalised JSON), if any.
fn read_kept_profile(
    pkg: &Path,
) -> anyhow::Result<Option<stig_formats::poam::profile::SystemProfile>> {
    use stig_formats::poam::profile::{SystemProfile, PROFILE_FILE};
    let path = pkg.join(PROFILE_FILE);
    if fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    SystemProfile::from_json(&bytes).map(Some).map_err(|e| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: not a system profile: {e}", path.display()),
        )
    })
}

/// Reads a `--system-profile` TOML file: every key optional, an unknown key an error
/// naming it (and the file).
pub fn read_profile_toml(
    path: &Path,
) -> anyhow::Result<stig_formats::poam::profile::SystemProfile> {
    let bytes = read_input_file(path, 1 << 20)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| bad_input(path, "not UTF-8 text (a TOML file must be)".into()))?;
    toml::from_str(&text).map_err(|e| bad_input(path, format!("not a system profile: {e}")))
}

/// Runs one `extra` exporter over the package's checklists (`/input/checklists/`, as in
/// 02_Checklists) and moves what it wrote into `07_Extra/<name>/`.
fn run_extra(
    sandbox: &Sandbox,
    limits: &Limits,
    settings: &Settings,
    tp: &ThirdParty,
    dest: &Path,
    scratch: &Path,
) -> anyhow::Result<RunRecord> {
    stig_formats::safe_host_component(&tp.name).map_err(|e| {
        coded(
            Exit::Usage,
            anyhow::anyhow!("extra component name {:?}: {}", tp.name, e.kind),
        )
    })?;
    let input = scratch.join(format!("extra-in-{}", tp.name));
    let output = scratch.join(format!("extra-out-{}", tp.name));
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
    let folder = dest.join(thirdparty::EXTRA).join(&tp.name);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_is_kept_only_as_the_import_run_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("scan.ckl");
        fs::write(&from, b"<CHECKLIST/>").unwrap();
        let read = crate::hashing::sha256_file(&from).unwrap().0;
        let digests = crate::hashing::DigestCache::new();
        let shown = Path::new("/results/host1/scan.ckl");
        let kept = dir.path().join("kept.ckl");
        copy_as_read(&digests, &from, &kept, shown, Some(&read)).unwrap();
        assert_eq!(fs::read(&kept).unwrap(), b"<CHECKLIST/>");
        // The operator's file changed after the import run read it.
        fs::write(&from, b"<CHECKLIST>edited</CHECKLIST>").unwrap();
        let e = copy_as_read(
            &digests,
            &from,
            &dir.path().join("late.ckl"),
            shown,
            Some(&read),
        )
        .unwrap_err();
        assert_eq!(crate::exit::code_for(&e), Exit::BadInput);
        let msg = format!("{e:#}");
        assert!(
            msg.contains("/results/host1/scan.ckl") && msg.contains("changed"),
            "{msg}"
        );
        // A file the run never recorded is refused too.
        assert!(copy_as_read(&digests, &from, &dir.path().join("x.ckl"), shown, None).is_err());
    }

    #[test]
    fn emass_outputs_stay_in_their_folders_and_off_the_kept_inputs() {
        for ok in [
            "03_POAM/poam.csv",
            "05_Attestations/attestations.json",
            "06_Index/index.html",
            "README_Submission.txt",
        ] {
            assert!(emass_may_write(ok), "{ok}");
        }
        for bad in [
            "01_Scans/host1/host1.ckl",
            "02_Checklists/host1/x.ckl",
            "00_Manifest/provenance.json",
            "04_Evidence/host1/V-1/shot.png",
            "05_Attestations/answers/001-answers.csv",
            "03_POAM/layout/poam_layout.json",
            "03_POAM/cci/U_CCI_List.xml",
            "03_POAM",
            "03_POAMX/poam.csv",
            "other.txt",
        ] {
            assert!(!emass_may_write(bad), "{bad}");
        }
    }
}
