//! Stage 3: the one fleet-wide `emass` run (POA&M, workbook, summaries, README, index,
//! counts and readiness) over the import runs' views, while the scans are copied into
//! the package on the other cores; then its outputs placed, each only in the folders
//! `emass` writes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;
use stig_formats::model_file;
use stig_formats::package_artifacts::{paths, CCI_INPUT_DIR, LAYOUT_INPUT};
use stig_formats::poam::profile::{PROFILE_DIR, PROFILE_FILE, PROFILE_INPUT};

use super::super::contents::{self, Derived};
use super::super::layout::{SCANS, UNREADABLE};
use super::components::Components;
use super::files::{link_or_copy, mirror};
use super::import::Imported;
use super::keep::Kept;
use super::scratch::Scratch;
use super::{Inputs, Settings, HOSTS_PER_RUN};
use crate::exit::{coded, Exit};
use crate::hashing::DigestCache;
use crate::sandbox::RunRecord;

/// Prepares the emass run's input, then runs it while copying every host's scans into
/// `01_Scans/<host>/`; returns the run's record.
pub fn run_beside_scan_copies(
    components: &Components,
    inputs: &Inputs,
    settings: &Settings,
    kept: &Kept,
    imported: &Imported,
    scratch: &Scratch,
    dest: &Path,
) -> anyhow::Result<RunRecord> {
    prepare_input(imported, kept, scratch, dest)?;
    fs::create_dir_all(scratch.emass_out())?;
    let opts = options(settings, kept);
    // The emass run is one guest on one core; the scans are copied into the package on
    // the others meanwhile. Each copy is hashed as it is written and must match the
    // digest its import run recorded, so the package holds exactly the bytes that were
    // read, even if the operator's file changed since.
    let read = digests_read(&imported.records);
    let tasks: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..inputs.hosts.len()).map(Some))
        .collect();
    let _t = crate::timings::step("components: emass + copy scans");
    let mut done =
        crate::parallel::try_map(&tasks, crate::parallel::jobs(), |_, task| match task {
            None => components
                .run(
                    &components.emass,
                    &scratch.emass_in(),
                    &scratch.emass_out(),
                    &opts,
                )
                .with_context(|| doing(inputs.hosts.len()))
                .map(Some),
            Some(i) => {
                copy_scans(components, inputs, kept, scratch, dest, &read, *i)?;
                Ok(None)
            }
        })?;
    done.swap_remove(0)
        .ok_or_else(|| anyhow::anyhow!("the emass run left no record"))
}

/// What the `emass` run was doing, for its errors: its memory grows with the fleet, so
/// the host count tells an operator how far to raise the cap.
fn doing(hosts: usize) -> String {
    format!("writing the POA&M, attestations, indexes and README from the views of {hosts} hosts")
}

/// The emass run's `/input`: every import run's view (numbered in run order), the list
/// of evidence files, and the kept answers, layout, CCI list, hosts left out and profile.
fn prepare_input(
    imported: &Imported,
    kept: &Kept,
    scratch: &Scratch,
    dest: &Path,
) -> anyhow::Result<()> {
    let emass_in = scratch.emass_in();
    fs::create_dir_all(emass_in.join("views"))?;
    for b in 0..imported.records.len() {
        link_or_copy(
            &scratch.import_out(b).join(model_file::VIEW_FILE),
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
    let answers = dest.join(paths::ANSWERS_DIR);
    if answers.exists() {
        mirror(&answers, &emass_in.join("answers"))?;
    }
    if kept.layout_sha256.is_some() {
        link_or_copy(
            &dest.join(paths::POAM_LAYOUT_FILE),
            &emass_in.join(LAYOUT_INPUT),
        )?;
    }
    if let Some(list) = &kept.cci_list {
        link_or_copy(
            &dest.join(paths::POAM_CCI_DIR).join(&list.name),
            &emass_in.join(CCI_INPUT_DIR).join(&list.name),
        )?;
    }
    if !imported.unreadable.is_empty() {
        link_or_copy(
            &dest.join(UNREADABLE),
            &emass_in.join(stig_formats::import::UNREADABLE_FILE),
        )?;
    }
    if kept.profile_sha256.is_some() {
        link_or_copy(&dest.join(PROFILE_FILE), &emass_in.join(PROFILE_INPUT))?;
    }
    Ok(())
}

/// The emass run's options, from the settings (the built-in layout's name only when no
/// layout file was given).
fn options(settings: &Settings, kept: &Kept) -> BTreeMap<String, String> {
    let mut opts = BTreeMap::new();
    opts.insert("system".to_owned(), settings.system.clone());
    if kept.layout_sha256.is_none() {
        opts.insert("layout".to_owned(), settings.layout.clone());
    }
    opts.insert("days".to_owned(), settings.days.clone());
    opts.insert("office".to_owned(), settings.office.clone());
    opts.insert("resources".to_owned(), settings.resources.clone());
    opts.insert("template".to_owned(), settings.template.clone());
    opts
}

/// What the import runs read: `<run>/<path in the run's input>` -> SHA-256.
fn digests_read(records: &[RunRecord]) -> BTreeMap<String, &str> {
    records
        .iter()
        .enumerate()
        .flat_map(|(b, r)| {
            r.inputs
                .iter()
                .map(move |f| (format!("{b:05}/{}", f.path), f.sha256.as_str()))
        })
        .collect()
}

/// Copies host `i`'s scans from its import run's input into `01_Scans/<host>/`, each
/// as its run read it.
fn copy_scans(
    components: &Components,
    inputs: &Inputs,
    kept: &Kept,
    scratch: &Scratch,
    dest: &Path,
    read: &BTreeMap<String, &str>,
    i: usize,
) -> anyhow::Result<()> {
    let h = &inputs.hosts[i];
    fs::create_dir_all(dest.join(SCANS).join(&h.name))?;
    for rel in &kept.scan_files[i] {
        let (from, to) = (
            scratch.scans_in(i, &h.name).join(rel),
            dest.join(SCANS).join(&h.name).join(rel),
        );
        if let Some(p) = to.parent() {
            fs::create_dir_all(p)?;
        }
        let key = format!("{:05}/scans/{}/{rel}", i / HOSTS_PER_RUN, h.name);
        place_as_read(
            components.sandbox.digests(),
            inputs.scans_from_package,
            &from,
            &to,
            &h.path.join(rel),
            read.get(&key).copied(),
        )?;
    }
    Ok(())
}

/// Puts one scan into the package (`from`: what the import run read; `shown`: the
/// operator's path, for messages), refusing a file whose SHA-256 is not `read_sha256`.
/// An operator's scan is copied (hashed as it is written: the package must not change
/// when the operator's file does); a package's own scan, rebuilt by `reproduce`, is
/// hard-linked and then hashed.
fn place_as_read(
    digests: &DigestCache,
    link: bool,
    from: &Path,
    to: &Path,
    shown: &Path,
    read_sha256: Option<&str>,
) -> anyhow::Result<()> {
    let placed = if link {
        link_or_copy(from, to).and_then(|()| Ok(digests.sha256_file(to)?))
    } else {
        Ok(digests.copy_file(from, to)?)
    };
    let (sha, _) =
        placed.with_context(|| format!("copying {} to {}", shown.display(), to.display()))?;
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

/// Reads the counts and readiness the run derived (`package-facts.json`, not kept), and
/// moves its outputs into the package: only into its own folders, never over a file the
/// package already holds.
pub fn place_outputs(emass: &RunRecord, scratch: &Scratch, dest: &Path) -> anyhow::Result<Derived> {
    let emass_out = scratch.emass_out();
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
    Ok(derived)
}

/// Where the `emass` component's outputs may land in a package: its own folders, but not
/// the inputs kept beside them (answer files, a layout file), which are the operator's
/// bytes and must stay byte for byte what was given.
fn emass_may_write(path: &str) -> bool {
    let under = |dir: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
    };
    (path == paths::README || under("03_POAM") || under("05_Attestations") || under("06_Index"))
        && !under(paths::ANSWERS_DIR)
        && !under(paths::POAM_LAYOUT_DIR)
        && !under(paths::POAM_CCI_DIR)
        && !under(PROFILE_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways of placing a scan (an operator's, copied; a package's own, linked for
    /// `reproduce`) keep it only as the import run read it.
    #[test]
    fn a_scan_is_kept_only_as_the_import_run_read_it() {
        for link in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let from = dir.path().join("scan.ckl");
            fs::write(&from, b"<CHECKLIST/>").unwrap();
            let read = crate::hashing::sha256_file(&from).unwrap().0;
            let digests = DigestCache::new();
            let shown = Path::new("/results/host1/scan.ckl");
            let kept = dir.path().join("kept.ckl");
            place_as_read(&digests, link, &from, &kept, shown, Some(&read)).unwrap();
            assert_eq!(fs::read(&kept).unwrap(), b"<CHECKLIST/>");
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                let ino = |p: &Path| fs::metadata(p).unwrap().ino();
                // Only a package's own scan may share its inode with the source.
                assert_eq!(ino(&kept) == ino(&from), link, "link={link}");
            }
            // The file changed after the import run read it (a fresh inode, as an
            // editor writes it, so the kept link is not edited with it).
            fs::remove_file(&from).unwrap();
            fs::write(&from, b"<CHECKLIST>edited</CHECKLIST>").unwrap();
            let e = place_as_read(
                &digests,
                link,
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
            let never = dir.path().join("x.ckl");
            assert!(place_as_read(&digests, link, &from, &never, shown, None).is_err());
        }
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
