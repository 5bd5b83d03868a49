//! `attestations-vs-checklists`: one attestation record for every Not_Reviewed control
//! of every host, and none for a control a scanner decided.

use std::collections::BTreeSet;

use stig_formats::model::Status;
use stig_formats::package_artifacts::paths;

use super::super::facts::Facts;
use super::super::pairs::Pairs;
use super::super::spec::{CheckSpec, Problems, Verdict};

pub const ATTESTATIONS_VS_CHECKLISTS: CheckSpec = CheckSpec {
    name: "attestations-vs-checklists",
    what: "one record per Not_Reviewed control, none for decided ones",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let (c, _) = f.contents()?;
    let pairs = Pairs::new(&c.fleet);
    let mut problems = Problems::default();
    for (_, h, ctl) in pairs.iter() {
        if ctl.status == Status::NotReviewed
            && c.attestations.get(&h.name, &ctl.control_id).is_none()
        {
            problems.push(format!(
                "{}: no attestation record for Not_Reviewed {}/{}",
                paths::ATTESTATIONS_JSON,
                h.name,
                ctl.control_id
            ));
        }
    }
    let decided: BTreeSet<(&str, &str)> = c
        .attestations
        .attestations
        .iter()
        .filter(|a| {
            pairs
                .find(&a.host, &a.control_id)
                .is_none_or(|(_, ctl)| ctl.status != Status::NotReviewed)
        })
        .map(|a| (a.host.as_str(), a.control_id.as_str()))
        .collect();
    for (h, ctl) in decided {
        problems.push(format!(
            "{}: attestation for {h}/{ctl}, which a scanner decided",
            paths::ATTESTATIONS_JSON
        ));
    }
    Some(Verdict::from_problems(
        problems,
        "one attestation record per Not_Reviewed control per host".into(),
        "attestation records do not match the Not_Reviewed controls".into(),
    ))
}
