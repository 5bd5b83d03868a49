//! `artifacts-readable`: the checklists, POA&M and attestations parse. Reported only when
//! they do not; the checks of the contents then do not run.

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};

pub const ARTIFACTS_READABLE: CheckSpec = CheckSpec {
    name: "artifacts-readable",
    what: "checklists, poam.json, attestations.json parse",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let e = f.contents.as_ref().err()?;
    Some(Verdict::from_problems(
        vec![e.clone()],
        String::new(),
        "package artifacts cannot be read".into(),
    ))
}
