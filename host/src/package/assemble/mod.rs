//! Building a package: copy the raw inputs in, run the components, record provenance,
//! hash, write the manifest. The caller provides an empty directory (a staging directory
//! beside the final target) and renames it into place only after this returns Ok.
//!
//! The same function serves `export-emass` (inputs from the operator's directories),
//! `import-attestations` and `reproduce` (inputs from an existing package), so a package
//! can always be rebuilt by exactly the code that built it.
//!
//! [`build`] is the list of stages, in the order data flows through them; each stage is
//! a module here with one job and its inputs and outputs as arguments and return value:
//!
//! 1. `keep`: check the inputs, keep the raw ones (benchmarks, evidence, answers,
//!    layout, CCI list, profile) in the package;
//! 2. `import`: the scans, linked into the `scratch` directory, through the `import`
//!    runs, a fixed number of hosts per run, on every core;
//! 3. `emass`: the fleet-wide `emass` run, while the scans are copied into the package
//!    beside it; then its outputs and the checklists placed;
//! 4. `outside`: `extra` exporters over the checklists; outside components kept;
//! 5. `provenance`: every run recorded;
//! 6. `hash_and_manifest`: the hash list over every file, then the manifest.

mod components;
mod emass;
mod files;
mod from_package;
mod hash_and_manifest;
mod import;
mod keep;
mod operator_files;
mod outside;
mod provenance;
mod scratch;

use std::path::{Path, PathBuf};

use super::thirdparty::ThirdParty;
use crate::pipeline::HostDir;
use crate::sandbox::{Limits, Sandbox};

pub use files::{link_or_copy, sanitized_file_name};
pub use from_package::from_package;
pub use operator_files::{read_cci_list, read_layout_file, read_profile_toml, CciList};

use components::Components;
use provenance::Runs;
use scratch::Scratch;

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
    /// The hosts' scans are a package's own `01_Scans` (`reproduce`): they are hard-linked
    /// into the rebuild instead of copied, after the same digest check, so reproducing a
    /// 4,000-host package does not need a second copy of its 13 GB of scans. Never for an
    /// operator's files, which may change after the export.
    pub scans_from_package: bool,
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

/// Builds a complete package in the empty directory `dest`.
pub fn build(
    sandbox: &Sandbox,
    limits: &Limits,
    inputs: &Inputs,
    settings: &Settings,
    dest: &Path,
) -> anyhow::Result<Built> {
    let kept = keep::check_and_keep(inputs, dest)?;
    let scratch = Scratch::new(dest)?;
    let components = Components::load(sandbox, limits, inputs, settings)?;
    let imported = import::run(&components, inputs, settings, &kept, &scratch, dest)?;
    let emass = emass::run_beside_scan_copies(
        &components,
        inputs,
        settings,
        &kept,
        &imported,
        &scratch,
        dest,
    )?;
    import::move_checklists(&scratch, imported.records.len(), dest)?;
    let derived = emass::place_outputs(&emass, &scratch, dest)?;
    let extras = outside::run_extras(sandbox, limits, settings, inputs, &scratch, dest)?;
    outside::keep_components(inputs, dest)?;
    let runs = Runs {
        imports: &imported.records,
        emass: &emass,
        extras: &extras,
    };
    provenance::write(&components, inputs, settings, &kept, &runs, dest)?;
    let list = hash_and_manifest::hash_list(sandbox, dest)?;
    // Only now: removing the scratch's links to the package's benchmarks changes their
    // inodes' change time, which would make the hash list read them again.
    drop(scratch);
    hash_and_manifest::manifest(settings, &kept, &derived, imported.unreadable, &list, dest)
}
