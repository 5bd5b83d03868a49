//! `manifest-consistent`: every count, total and readiness flag the manifest states is
//! what the contents give when derived again, and the layout option names the packaged
//! layout file. The place where a package's stated readiness is held to its files.

use serde_json::Value;
use stig_formats::package_artifacts::paths;

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::hashlist::MANIFEST;

pub const MANIFEST_CONSISTENT: CheckSpec = CheckSpec {
    name: "manifest-consistent",
    what: "fileCount, totalBytes, counts, POA&M and attestation totals and readiness recomputed from the contents equal the manifest's; `options.poamLayoutSha256` is the SHA-256 of the packaged layout file (absent when there is none)",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let (c, derived) = f.contents()?;
    let manifest = &f.manifest;
    let mut wrong = Vec::new();
    let mut expect = |field: &str, actual: Value| {
        if manifest[field] != actual {
            wrong.push(format!(
                "{MANIFEST}: {field} is {} but the package has {}",
                manifest[field], actual
            ));
        }
    };
    expect("fileCount", Value::from(f.listed.len()));
    expect("totalBytes", Value::from(f.listed_bytes()));
    expect("hostCount", Value::from(derived.hosts.len()));
    expect("totalControls", Value::from(derived.totals.controls));
    expect(
        "statusTotals",
        serde_json::to_value(&derived.totals).unwrap_or_default(),
    );
    expect(
        "hosts",
        serde_json::to_value(&derived.hosts).unwrap_or_default(),
    );
    expect("poamItems", Value::from(derived.poam_items));
    expect(
        "unreadableHosts",
        if c.unreadable.is_empty() {
            Value::Null
        } else {
            serde_json::to_value(&c.unreadable).unwrap_or_default()
        },
    );
    expect(
        "attestations",
        serde_json::json!({"total": derived.attestations, "pending": derived.attestations_pending}),
    );
    expect(
        "submissionReadiness",
        serde_json::to_value(&derived.readiness).unwrap_or_default(),
    );
    if let Some(p) = layout_option_problem(f) {
        wrong.push(p);
    }
    Some(Verdict::from_problems(
        wrong,
        "counts and readiness in manifest.json match the package's contents".into(),
        "manifest.json disagrees with the package's contents".into(),
    ))
}

/// A layout file in the package is what `options.poamLayoutSha256` names.
fn layout_option_problem(f: &Facts) -> Option<String> {
    let stated = &f.manifest["options"]["poamLayoutSha256"];
    let layout_sha = f
        .digests
        .sha256_file(&f.pkg.join(paths::POAM_LAYOUT_FILE))
        .ok()
        .map(|(h, _)| h);
    (stated.as_str() != layout_sha.as_deref()).then(|| {
        format!(
            "{MANIFEST}: options.poamLayoutSha256 is {stated} but {} {}",
            paths::POAM_LAYOUT_FILE,
            match &layout_sha {
                Some(h) => format!("has SHA-256 {h}"),
                None => "is not in the package".to_owned(),
            }
        )
    })
}
