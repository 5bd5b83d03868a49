//! `manifest-format`: the manifest is byte for byte its canonical form, so two tools
//! writing the same facts write the same file.

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::hashlist::MANIFEST;
use crate::package::manifest;

pub const MANIFEST_FORMAT: CheckSpec = CheckSpec {
    name: "manifest-format",
    what: "sorted keys, 2-space indent, trailing newline",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let canonical = manifest::to_text(f.manifest.clone());
    Some(Verdict::from_problems(
        if canonical == f.manifest_text {
            vec![]
        } else {
            vec![MANIFEST.to_owned()]
        },
        "sorted keys, 2-space indent, trailing newline".into(),
        "manifest.json is not in canonical form (sorted keys, 2-space indent, trailing newline)"
            .into(),
    ))
}
