//! The inputs and settings of an existing package, read back so that `reproduce` and
//! `import-attestations` rebuild it with [`super::build`], exactly the code that built
//! it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use stig_formats::package_artifacts::paths;

use super::super::hashlist;
use super::super::layout::{BENCHMARKS, BENCHMARKS_NAME, EVIDENCE, PROVENANCE, SCANS};
use super::super::thirdparty;
use super::{Inputs, Settings};
use crate::exit::{coded, Exit};
use crate::pipeline::HostDir;

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
            scans_from_package: true,
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
