//! `index-vs-checklists`: the evidence index has one row per control per host with the
//! status the checklists and attestations give, and the Not_Applicable report lists
//! exactly the Not_Applicable controls. Both files are streamed a row at a time.

use std::collections::BTreeSet;
use std::path::Path;

use stig_formats::attest::effective_status;
use stig_formats::control_view::ckl_status;
use stig_formats::model::Status;
use stig_formats::package_artifacts::paths;

use super::super::facts::Facts;
use super::super::pairs::{Pairs, Seen};
use super::super::rows::{field, row_key, CsvRows};
use super::super::spec::{CheckSpec, Problems, Verdict};
use crate::package::contents::Contents;

pub const INDEX_VS_CHECKLISTS: CheckSpec = CheckSpec {
    name: "index-vs-checklists",
    what: "one index row per control per host with the status the checklists and attestations give; NA report matches",
    run,
};

/// How many distinct index rows naming controls no checklist has are remembered (to list
/// them sorted and spot their duplicates); beyond this a tampered index's extra rows are
/// only counted, so its size cannot drive the validator's memory.
const EXTRA_ROWS_KEPT: usize = 100_000;

fn run(f: &Facts) -> Option<Verdict> {
    let (c, _) = f.contents()?;
    let pairs = Pairs::new(&c.fleet);
    let mut problems = Problems::default();
    let mut found = Problems::default();
    match check_evidence_index(f.pkg, c, &pairs, &mut found) {
        Ok(()) => problems.append(found),
        Err(e) => problems.push(e),
    }
    if let Err(e) = check_na_report(f.pkg, &pairs, &mut problems) {
        problems.push(e);
    }
    Some(Verdict::from_problems(
        problems,
        "the indexes agree with the checklists and attestations".into(),
        "the indexes disagree with the checklists".into(),
    ))
}

/// `control_evidence_index.csv`: one row per (host, control) of the fleet, with the
/// status the checklists and attestations give. `Err` when the file cannot be read (then
/// no row problem is reported, as nothing else can be said about it).
fn check_evidence_index(
    pkg: &Path,
    c: &Contents,
    pairs: &Pairs,
    problems: &mut Problems,
) -> Result<(), String> {
    let rel = paths::INDEX_EVIDENCE;
    let mut rows = CsvRows::open(pkg, rel)?;
    let (Some(h), Some(v), Some(r), Some(s), Some(ss)) = (
        rows.col("Host"),
        rows.col("VulnId"),
        rows.col("RuleId"),
        rows.col("Status"),
        rows.col("ScanStatus"),
    ) else {
        problems.push(format!("{rel}: missing columns"));
        return Ok(());
    };
    let mut seen = Seen::new(pairs.len);
    let mut duplicate = false;
    let mut extra: BTreeSet<(String, String)> = BTreeSet::new();
    let mut extra_unkept = 0usize;
    let mut wrong = Problems::default();
    while let Some(row) = rows.next()? {
        let (host, id) = row_key(row, h, v, r);
        let Some((i, ctl)) = pairs.find(host, id) else {
            if extra.len() < EXTRA_ROWS_KEPT {
                duplicate |= !extra.insert((host.to_owned(), id.to_owned()));
            } else if !extra.contains(&(host.to_owned(), id.to_owned())) {
                extra_unkept += 1;
            }
            continue;
        };
        duplicate |= seen.mark(i);
        let att = if ctl.status == Status::NotReviewed {
            c.attestations.get(host, id)
        } else {
            None
        };
        let want = (
            ckl_status(effective_status(ctl.status, att)),
            ckl_status(ctl.status),
        );
        let got = (field(row, s), field(row, ss));
        if got != want {
            wrong.push(format!(
                "{rel}: {host}/{id} says {}/{} but the checklists and attestations say {}/{}",
                got.0, got.1, want.0, want.1
            ));
        }
    }
    if duplicate {
        problems.push(format!("{rel}: duplicate (host, control) rows"));
    }
    problems.append(wrong);
    for (i, host, ctl) in pairs.iter() {
        if !seen.get(i) {
            problems.push(format!(
                "{rel}: no row for {}/{}",
                host.name, ctl.control_id
            ));
        }
    }
    for (host, id) in &extra {
        problems.push(format!("{rel}: row for {host}/{id} which no checklist has"));
    }
    problems.count_unshown(extra_unkept);
    Ok(())
}

/// `na_scope_filter_report.csv`: exactly the Not_Applicable controls, each once.
fn check_na_report(pkg: &Path, pairs: &Pairs, problems: &mut Problems) -> Result<(), String> {
    let mut rows = CsvRows::open(pkg, paths::INDEX_NA)?;
    let (Some(h), Some(v), Some(r)) = (rows.col("Host"), rows.col("VulnId"), rows.col("RuleId"))
    else {
        return Ok(());
    };
    let mut seen = Seen::new(pairs.len);
    let mut rows_read = 0usize;
    let mut agree = true;
    while let Some(row) = rows.next()? {
        rows_read += 1;
        let (host, id) = row_key(row, h, v, r);
        match pairs.find(host, id) {
            Some((i, ctl)) if ctl.status == Status::NotApplicable => agree &= !seen.mark(i),
            _ => agree = false,
        }
    }
    let na = pairs
        .iter()
        .filter(|(_, _, ctl)| ctl.status == Status::NotApplicable)
        .count();
    if !agree || rows_read != na {
        problems.push(format!(
            "{}: Not_Applicable rows do not match the checklists",
            paths::INDEX_NA
        ));
    }
    Ok(())
}
