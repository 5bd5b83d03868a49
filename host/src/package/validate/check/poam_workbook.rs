//! `poam-workbook`: the package's eMASS workbook can be read and checked against the
//! template the export recorded. A workbook eMASS would refuse is not a failed check: it
//! makes the package NOT READY (through the readiness, see `facts.rs`) with each broken
//! rule listed.

use stig_formats::poam::workbook::WORKBOOK_PATH;

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};

pub const POAM_WORKBOOK: CheckSpec = CheckSpec {
    name: "poam-workbook",
    what: "`03_POAM/poam.xlsx` can be read and checked against the eMASS template the export recorded (a workbook eMASS would refuse makes the package NOT READY with each broken rule listed, see \"The eMASS workbook\")",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let w = f.workbook.as_ref()?;
    let name = &w.template;
    Some(match &w.result {
        Ok(_) => Verdict::from_problems(
            Vec::new(),
            format!("{WORKBOOK_PATH} is a readable {name} workbook"),
            String::new(),
        ),
        Err(e) => Verdict::from_problems(
            vec![e.clone()],
            String::new(),
            format!("{WORKBOOK_PATH} cannot be checked against the {name} template"),
        ),
    })
}
