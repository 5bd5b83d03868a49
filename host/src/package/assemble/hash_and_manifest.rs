//! Stage 6, last: the hash list over every file of the package (hashed by the host,
//! never a component's word; files already hashed come from the cache), then the
//! manifest, which names the list by its SHA-256 and states the counts and readiness.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use stig_formats::import::Unreadable;
use stig_formats::package_artifacts::paths;

use super::super::contents::Derived;
use super::super::hashlist::{self, Entry};
use super::super::manifest::{self, ManifestMeta};
use super::keep::Kept;
use super::provenance::cci_list_record;
use super::{Built, Settings};
use crate::sandbox::Sandbox;

/// The hash list, computed and written; its entries are returned for the manifest.
pub fn hash_list(sandbox: &Sandbox, dest: &Path) -> anyhow::Result<Vec<Entry>> {
    let t = crate::timings::step("hash list");
    let before = sandbox.digests().hashed_bytes();
    let list = hashlist::compute(dest, sandbox.digests())?;
    drop(t);
    crate::timings::note(
        "hash list: bytes read (not cached)",
        sandbox.digests().hashed_bytes() - before,
    );
    Ok(list)
}

/// Writes the hash list and the manifest; what was built.
pub fn manifest(
    settings: &Settings,
    kept: &Kept,
    derived: &Derived,
    unreadable: Vec<Unreadable>,
    list: &[Entry],
    dest: &Path,
) -> anyhow::Result<Built> {
    let list_text = hashlist::render(list);
    fs::write(dest.join(hashlist::HASH_LIST), &list_text)?;
    let meta = ManifestMeta {
        system: settings.system.clone(),
        exported_at: crate::time_arg::rfc3339(settings.exported_at),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        options: options(settings, kept),
        audit_checkpoint: settings.audit_checkpoint.clone(),
        unreadable: unreadable.clone(),
    };
    let value = manifest::build(&meta, derived, list, &list_text);
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

/// The manifest's `options`: how the POA&M was made.
fn options(settings: &Settings, kept: &Kept) -> BTreeMap<String, String> {
    let mut options = BTreeMap::new();
    match &kept.layout_sha256 {
        Some(sha) => {
            options.insert("poamLayout".to_owned(), paths::POAM_LAYOUT_FILE.to_owned());
            options.insert("poamLayoutSha256".to_owned(), sha.clone());
        }
        None => {
            options.insert("poamLayout".to_owned(), settings.layout.clone());
        }
    }
    let cci = cci_list_record(kept.cci_list.as_ref());
    for (key, field) in [("cciList", "file"), ("cciListVersion", "version")] {
        options.insert(key.to_owned(), cci[field].as_str().unwrap_or("").to_owned());
    }
    options.insert("poamDays".to_owned(), settings.days.clone());
    options.insert("office".to_owned(), settings.office.clone());
    options.insert("resources".to_owned(), settings.resources.clone());
    options.insert("emassTemplate".to_owned(), settings.template.clone());
    if let Some(sha) = &kept.profile_sha256 {
        options.insert("systemProfileSha256".to_owned(), sha.clone());
    }
    options
}
