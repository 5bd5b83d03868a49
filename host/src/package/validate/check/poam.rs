//! `poam-vs-checklists`: poam.csv and poam.json hold the same items numbered 1..n, no
//! host is in two items of one control, and every item is an open control.

use std::collections::BTreeSet;
use std::path::Path;

use stig_formats::package_artifacts::paths;

use super::super::facts::Facts;
use super::super::rows::{field, CsvRows};
use super::super::spec::{CheckSpec, Problems, Verdict};

pub const POAM_VS_CHECKLISTS: CheckSpec = CheckSpec {
    name: "poam-vs-checklists",
    what: "poam.csv rows = poam.json items, ids 1..n, no host in two items of one control, no item for a control that is not open",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let (c, derived) = f.contents()?;
    let mut problems = Problems::default();
    let mut ids = Problems::default();
    match check_poam_csv_ids(f.pkg, &mut ids) {
        Err(e) => problems.push(e),
        Ok(rows) => {
            if rows != c.poam.items.len() {
                problems.push(format!(
                    "{}: {} rows but poam.json has {} items",
                    paths::POAM_CSV,
                    rows,
                    c.poam.items.len()
                ));
            }
            problems.append(ids);
        }
    }
    // A control may have several items (one per severity and rule revision), but a host
    // is in at most one of them.
    let mut keys = BTreeSet::new();
    for item in &c.poam.items {
        for h in &item.hosts {
            if !keys.insert((item.control_id.as_str(), h.as_str())) {
                problems.push(format!(
                    "{}: duplicate item for {} on {} (item {})",
                    paths::POAM_JSON,
                    item.control_id,
                    h,
                    item.item_id
                ));
            }
        }
    }
    for s in derived
        .readiness
        .blocking
        .poam_complete
        .iter()
        .filter(|s| s.contains("listed in the POA&M but not open"))
    {
        problems.push(format!("{}: {s}", paths::POAM_JSON));
    }
    Some(Verdict::from_problems(
        problems,
        "POA&M rows match poam.json; every item is an open control".into(),
        "the POA&M disagrees with the checklists".into(),
    ))
}

/// Counts poam.csv's rows, noting each whose item id is not its position (1..n).
fn check_poam_csv_ids(pkg: &Path, problems: &mut Problems) -> Result<usize, String> {
    let mut rows = CsvRows::open(pkg, paths::POAM_CSV)?;
    let id = rows.col("POA&M Item ID");
    let mut n = 0usize;
    while let Some(row) = rows.next()? {
        n += 1;
        if let Some(i) = id {
            if field(row, i) != n.to_string() {
                problems.push(format!(
                    "{}: row {n} has item id {:?}",
                    paths::POAM_CSV,
                    field(row, i)
                ));
            }
        }
    }
    Ok(n)
}
