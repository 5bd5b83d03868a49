//! `00_Manifest/manifest.json`: what the package is, with its hash and readiness.
//!
//! Written last, from the hash list and from the counts and readiness the `emass`
//! component derived ([`stig_formats::package_facts`]); `validate` derives them again
//! from the package's own files (see [`super::contents`]) and compares. Sorted keys at every level, 2-space indent, a trailing
//! newline: the same package always gives the same bytes, so `reproduce` can compare it.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::contents::Derived;
use super::hashlist::{self, Entry, HASH_LIST, OUTSIDE};

pub const SCHEMA: &str = "stigpack.emass-manifest/1";

/// What the manifest records besides derived counts.
#[derive(Debug, Clone)]
pub struct ManifestMeta {
    pub system: String,
    pub exported_at: String,
    pub tool_version: String,
    /// Options the package was made with (reproduce reads them back).
    pub options: BTreeMap<String, String>,
    /// The audit log checkpoint at export time (C2SP tlog-checkpoint text), if a log was
    /// in use.
    pub audit_checkpoint: Option<String>,
    /// Hosts a `--keep-going` export left out; `unreadableHosts` only when any were.
    pub unreadable: Vec<stig_formats::import::Unreadable>,
}

/// Rebuilds every object with its keys inserted in sorted order, whatever map type
/// serde_json was built with.
pub fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (k, v) in entries {
                out.insert(k, sorted(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Pretty JSON with sorted keys and a trailing newline.
pub fn to_text(v: Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(v)).unwrap_or_default();
    s.push('\n');
    s
}

/// The manifest value.
pub fn build(meta: &ManifestMeta, derived: &Derived, list: &[Entry], list_text: &str) -> Value {
    let total_bytes: u64 = list.iter().map(|e| e.bytes).sum();
    let mut value = json!({
        "schema": SCHEMA,
        "system": meta.system,
        "exportedAt": meta.exported_at,
        "tool": { "name": "stigpack", "version": meta.tool_version },
        "options": meta.options,
        "hashList": HASH_LIST,
        "outsideHashList": OUTSIDE,
        "fileCount": list.len(),
        "totalBytes": total_bytes,
        "packageHash": hashlist::package_hash(list_text),
        "packageHashH1": hashlist::h1(list_text),
        "hostCount": derived.hosts.len(),
        "totalControls": derived.totals.controls,
        "statusTotals": derived.totals,
        "hosts": derived.hosts,
        "poamItems": derived.poam_items,
        "attestations": { "total": derived.attestations, "pending": derived.attestations_pending },
        "submissionReadiness": derived.readiness,
        "auditCheckpoint": meta.audit_checkpoint,
    });
    if !meta.unreadable.is_empty() {
        value["unreadableHosts"] = json!(meta.unreadable);
    }
    value
}
