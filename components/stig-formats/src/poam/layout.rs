//! POA&M column layouts as data.
//!
//! eMASS instances differ in the columns they accept, so a layout is a JSON document, not
//! code: an ordered list of columns, each with its exact header text and either a `field`
//! (one of [`FIELDS`], computed from the item) or a constant `value`. The built-in layouts
//! are `layouts/*.json`, compiled in with `include_str!`; a third party adds a layout by
//! writing one more such file. Header texts are copied byte for byte from the real
//! templates in `shared/samples/poam/` (including their stray spaces, e.g.
//! `"Source Identifying Vulnerability "` and the Joint template's `" Raw Severity"`), so a
//! sheet pasted into the template lines up with it.
//!
//! ```json
//! { "name": "my_layout", "title": "...", "dateFormat": "YYYY-MM-DD",
//!   "columns": [ { "header": "Item", "field": "itemId" },
//!                { "header": "Status", "value": "Ongoing" } ] }
//! ```

use serde::Deserialize;

use super::PoamItem;
use crate::civil_date::Date;
use crate::tabular;

/// Excel's cell limit; longer cells are cut with a note (poam.json keeps the full text).
pub const CELL_LIMIT: usize = 32_767;

/// Every field a column may name, with what it holds.
pub const FIELDS: [(&str, &str); 29] = [
    ("itemId", "item number, 1..n in sort order"),
    ("controlId", "Vuln ID (Rule ID when the source has none)"),
    ("vulnId", "Vuln ID, V-xxxxx"),
    ("ruleId", "Rule ID, SV-xxxxx_rule"),
    ("ruleVer", "STIG ID, e.g. WN19-CC-000010"),
    ("title", "rule title"),
    ("benchmark", "benchmark title and release"),
    (
        "description",
        "Vuln ID, STIG ID, title and the real finding details grouped by host",
    ),
    (
        "controls",
        "NIST SP 800-53 Rev 5 controls mapped from the rule's CCIs, `; ` separated",
    ),
    ("ccis", "the rule's CCIs, `; ` separated"),
    ("securityControls", "CCIs, one per line"),
    ("office", "Office/Org option"),
    ("securityChecks", "Rule ID"),
    ("resourcesRequired", "Resources Required option"),
    ("scheduledCompletion", "export date + 30/90/180 days by CAT"),
    (
        "milestone",
        "milestone text naming scanner, scan date and completion date",
    ),
    ("milestoneChanges", "empty on export"),
    ("source", "benchmark, ids, scanner(s) and scan date(s)"),
    ("status", "Ongoing"),
    (
        "comments",
        "severity override and justification, attestation answers, reviewer comments",
    ),
    ("rawSeverity", "benchmark CAT (I, II, III)"),
    ("cat", "effective CAT after SEVERITY_OVERRIDE (I, II, III)"),
    (
        "severity",
        "eMASS level of the effective severity (High, Moderate, Low)",
    ),
    ("relevanceOfThreat", "as severity"),
    ("likelihood", "as severity"),
    ("impact", "as severity"),
    ("residualRiskLevel", "as severity"),
    ("devicesAffected", "host names, one per line"),
    ("mitigations", "the rule's Mitigations text"),
];

/// Fields beyond the table above that are also accepted.
const MORE_FIELDS: [&str; 3] = ["impactDescription", "recommendations", "hostCount"];

/// Why a layout document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("POA&M layout is not valid JSON for a layout: {0}")]
    Json(String),
    #[error("POA&M layout {layout:?}: {problem}")]
    Invalid { layout: String, problem: String },
    #[error("unknown POA&M layout {0:?} (built in: {1})")]
    Unknown(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Column {
    pub header: String,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Layout {
    pub name: String,
    pub title: String,
    /// `MM/DD/YYYY` or `YYYY-MM-DD`.
    pub date_format: String,
    pub columns: Vec<Column>,
}

const BUILTIN: [(&str, &str); 2] = [
    ("emass_joint", include_str!("layouts/emass_joint.json")),
    ("navy_stigman", include_str!("layouts/navy_stigman.json")),
];

/// The default layout name.
pub const DEFAULT_LAYOUT: &str = "emass_joint";

impl Layout {
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).collect()
    }

    pub fn builtin(name: &str) -> Result<Layout, LayoutError> {
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((_, json)) => Layout::from_json(json.as_bytes()),
            None => Err(LayoutError::Unknown(
                name.to_owned(),
                Layout::builtin_names().join(", "),
            )),
        }
    }

    /// Parses and checks a layout document.
    pub fn from_json(bytes: &[u8]) -> Result<Layout, LayoutError> {
        let layout: Layout =
            serde_json::from_slice(bytes).map_err(|e| LayoutError::Json(e.to_string()))?;
        let invalid = |problem: String| LayoutError::Invalid {
            layout: layout.name.clone(),
            problem,
        };
        if layout.name.trim().is_empty() {
            return Err(invalid("empty name".into()));
        }
        if layout.columns.is_empty() {
            return Err(invalid("no columns".into()));
        }
        if !matches!(layout.date_format.as_str(), "MM/DD/YYYY" | "YYYY-MM-DD") {
            return Err(invalid(format!(
                "dateFormat {:?} (expected MM/DD/YYYY or YYYY-MM-DD)",
                layout.date_format
            )));
        }
        for (i, c) in layout.columns.iter().enumerate() {
            match (&c.field, &c.value) {
                (Some(f), None) => {
                    if !FIELDS.iter().any(|(n, _)| n == f) && !MORE_FIELDS.contains(&f.as_str()) {
                        return Err(invalid(format!(
                            "column {} ({:?}) names unknown field {f:?}",
                            i + 1,
                            c.header
                        )));
                    }
                }
                (None, Some(_)) => {}
                _ => {
                    return Err(invalid(format!(
                        "column {} ({:?}) needs exactly one of \"field\" or \"value\"",
                        i + 1,
                        c.header
                    )))
                }
            }
        }
        Ok(layout)
    }

    pub fn has_column_for(&self, field: &str) -> bool {
        self.columns
            .iter()
            .any(|c| c.field.as_deref() == Some(field))
    }

    fn date(&self, iso: &str) -> String {
        match (self.date_format.as_str(), Date::parse_iso(iso)) {
            ("MM/DD/YYYY", Some(d)) => d.us(),
            _ => iso.to_owned(),
        }
    }

    /// The value of one field for one item.
    pub fn field(&self, item: &PoamItem, field: &str) -> String {
        match field {
            "itemId" => item.item_id.to_string(),
            "controlId" => item.control_id.clone(),
            "vulnId" => item.vuln_id.clone(),
            "ruleId" | "securityChecks" => item.rule_id.clone(),
            "ruleVer" => item.rule_ver.clone(),
            "title" => item.title.clone(),
            "benchmark" => format!("{} {}", item.benchmark_title, item.benchmark_release),
            "description" => item.description(),
            "securityControls" => item.security_controls.join("\n"),
            "controls" => item.controls_text(),
            "ccis" => item.security_controls.join("; "),
            "office" => item.office.clone(),
            "resourcesRequired" => item.resources_required.clone(),
            "scheduledCompletion" => self.date(&item.scheduled_completion),
            "milestone" => item.milestone_text(&self.date(&item.scheduled_completion)),
            "source" => item.source_text(),
            "status" => item.status.clone(),
            "comments" => item.comments_text(),
            "rawSeverity" => cat_of(&item.raw_severity).to_owned(),
            "cat" => cat_of(&item.severity).to_owned(),
            "severity" | "relevanceOfThreat" | "likelihood" | "impact" | "residualRiskLevel" => {
                item.risk_level().to_owned()
            }
            "devicesAffected" => item.host_names().join("\n"),
            "hostCount" => item.hosts.len().to_string(),
            "mitigations" => item.mitigations.clone(),
            "impactDescription" => item.impact_description.clone(),
            "recommendations" => item.recommendations.clone(),
            // milestoneChanges and anything validated but empty on export.
            _ => String::new(),
        }
    }

    /// One sheet row per item, in the layout's column order, cells capped at
    /// [`CELL_LIMIT`].
    pub fn row(&self, item: &PoamItem) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| {
                let v = match (&c.field, &c.value) {
                    (Some(f), _) => self.field(item, f),
                    (None, Some(v)) => v.clone(),
                    _ => String::new(),
                };
                cap_cell(v)
            })
            .collect()
    }

    /// `poam.csv`: header and rows, spreadsheet-safe (see [`crate::tabular`]).
    pub fn render_csv(&self, items: &[PoamItem]) -> String {
        let header: Vec<&str> = self.columns.iter().map(|c| c.header.as_str()).collect();
        let mut out = String::new();
        tabular::push_record(&mut out, &header);
        for item in items {
            tabular::push_record(&mut out, &self.row(item));
        }
        out
    }
}

fn cat_of(word: &str) -> &'static str {
    match word {
        "high" => "I",
        "medium" => "II",
        "low" => "III",
        _ => "",
    }
}

const CUT_NOTE: &str = "\n[cut at the spreadsheet cell limit; the complete text is in poam.json]";

/// Cuts a cell to [`CELL_LIMIT`] characters (UTF-16 units, as Excel counts), on a char
/// boundary, with a note saying where the rest is.
pub fn cap_cell(v: String) -> String {
    let units: usize = v.chars().map(char::len_utf16).sum();
    if units <= CELL_LIMIT {
        return v;
    }
    let budget = CELL_LIMIT - CUT_NOTE.len();
    let mut used = 0usize;
    let mut end = 0usize;
    for (i, c) in v.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    let mut out = v[..end].to_owned();
    out.push_str(CUT_NOTE);
    out
}
