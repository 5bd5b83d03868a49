//! Reading the package's POA&M workbook for the pre-upload check: from its bytes
//! (calamine), against the eMASS template the export recorded, independently of the
//! component's plan. Kept apart from the `poam-workbook` check because the re-derived
//! readiness needs what it finds too.

use std::fs;
use std::path::Path;

use serde_json::Value;
use stig_formats::poam::check::WorkbookReport;
use stig_formats::poam::template::{Template, DEFAULT_TEMPLATE};
use stig_formats::poam::workbook::WORKBOOK_PATH;

use super::super::layout::PROVENANCE;
use super::super::workbook_check;

/// The workbook, read: the template it was checked against and what the check found, or
/// why it could not be checked.
#[derive(Debug)]
pub struct WorkbookRead {
    pub template: String,
    pub result: Result<WorkbookReport, String>,
}

/// The eMASS template a package's workbook was written for: the emass step's recorded
/// `template` option (provenance), `navy` when the step recorded none.
pub(crate) fn recorded_template(pkg: &Path) -> String {
    let prov: Value = fs::read(pkg.join(PROVENANCE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    prov["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == "emass"))
        .and_then(|s| s["run"]["options"]["template"].as_str())
        .unwrap_or(DEFAULT_TEMPLATE)
        .to_owned()
}

/// Checks `03_POAM/poam.xlsx` against its recorded template; `None` when the package has
/// no workbook.
pub fn read(pkg: &Path) -> Option<WorkbookRead> {
    let path = pkg.join(WORKBOOK_PATH);
    if !path.exists() {
        return None;
    }
    let template = recorded_template(pkg);
    let result = Template::builtin(&template)
        .map_err(|e| e.to_string())
        .and_then(|t| workbook_check::check_package_file(&path, &t).map_err(|e| e.to_string()));
    Some(WorkbookRead { template, result })
}
