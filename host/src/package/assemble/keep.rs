//! Stage 1: the inputs checked, and the raw ones kept in the package as given. The scan
//! trees are only checked here (regular files, size cap); the scans are copied into the
//! package later, beside the emass run, from the very files the import runs read.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use stig_formats::package_artifacts::paths;
use stig_formats::poam::profile::{SystemProfile, PROFILE_DIR, PROFILE_FILE};

use super::super::layout::{BENCHMARKS, BENCHMARKS_NAME, EVIDENCE, SCANS};
use super::operator_files::{read_cci_list, read_layout_file, CciList};
use super::Inputs;
use crate::exit::{coded, Exit};
use crate::pipeline::HostDir;

/// What stage 1 checked and kept, for the later stages.
#[derive(Debug)]
pub struct Kept {
    /// Each host's scan files (relative to its directory), checked, in host order.
    pub scan_files: Vec<Vec<String>>,
    /// SHA-256 of the kept POA&M layout file, if one was given.
    pub layout_sha256: Option<String>,
    /// The kept CCI list, if one was given.
    pub cci_list: Option<CciList>,
    /// SHA-256 of the kept system profile (its normalised form), if one was given.
    pub profile_sha256: Option<String>,
}

/// Checks every input and keeps the raw ones in `dest`.
pub fn check_and_keep(inputs: &Inputs, dest: &Path) -> anyhow::Result<Kept> {
    let _t = crate::timings::step("check and copy inputs");
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
    keep_named(&inputs.benchmarks, &dest.join(BENCHMARKS))?;
    keep_evidence(inputs.evidence.as_deref(), &inputs.hosts, dest)?;
    keep_named(&inputs.answers, &dest.join(paths::ANSWERS_DIR))?;
    Ok(Kept {
        scan_files,
        layout_sha256: keep_layout(inputs.poam_layout.as_deref(), dest)?,
        cci_list: keep_cci_list(inputs.cci_list.as_deref(), dest)?,
        profile_sha256: keep_profile(inputs.system_profile.as_ref(), dest)?,
    })
}

/// Copies (name in the package, source file) pairs into `dir`, each name checked to be
/// one safe path component; `dir` is created only when there is something to keep.
fn keep_named(files: &[(String, PathBuf)], dir: &Path) -> anyhow::Result<()> {
    for (name, src) in files {
        stig_formats::safe_host_component(name).map_err(|e| {
            coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: {}", src.display(), e.kind),
            )
        })?;
        fs::create_dir_all(dir)?;
        fs::copy(src, dir.join(name)).with_context(|| format!("copying {}", src.display()))?;
    }
    Ok(())
}

/// The evidence tree, laid out by host, copied into `04_Evidence` (which every package
/// has, empty or not).
fn keep_evidence(evidence: Option<&Path>, hosts: &[HostDir], dest: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dest.join(EVIDENCE))?;
    if let Some(ev) = evidence {
        check_evidence_layout(ev, hosts)?;
        crate::input_files::copy_tree(ev, &dest.join(EVIDENCE))?;
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

/// The layout file, checked; the bytes checked are the bytes kept.
fn keep_layout(src: Option<&Path>, dest: &Path) -> anyhow::Result<Option<String>> {
    let Some(src) = src else { return Ok(None) };
    let bytes = read_layout_file(src)?;
    fs::create_dir_all(dest.join(paths::POAM_LAYOUT_DIR))?;
    fs::write(dest.join(paths::POAM_LAYOUT_FILE), &bytes)
        .with_context(|| format!("copying {}", src.display()))?;
    Ok(Some(crate::hashing::sha256_hex(&bytes)))
}

/// The CCI list, checked and kept under its own (made safe) name.
fn keep_cci_list(src: Option<&Path>, dest: &Path) -> anyhow::Result<Option<CciList>> {
    let Some(src) = src else { return Ok(None) };
    let list = read_cci_list(src)?;
    fs::create_dir_all(dest.join(paths::POAM_CCI_DIR))?;
    fs::write(dest.join(paths::POAM_CCI_DIR).join(&list.name), &list.bytes)
        .with_context(|| format!("copying {}", src.display()))?;
    Ok(Some(list))
}

/// The profile, kept in its normalised form: the bytes the component reads.
fn keep_profile(p: Option<&SystemProfile>, dest: &Path) -> anyhow::Result<Option<String>> {
    let Some(p) = p else { return Ok(None) };
    let text = p.to_json();
    fs::create_dir_all(dest.join(PROFILE_DIR))?;
    fs::write(dest.join(PROFILE_FILE), &text).with_context(|| format!("writing {PROFILE_FILE}"))?;
    Ok(Some(crate::hashing::sha256_hex(text.as_bytes())))
}
