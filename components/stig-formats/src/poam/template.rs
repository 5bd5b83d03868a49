//! eMASS POA&M workbook templates as data (`templates/*.json`).
//!
//! eMASS refuses a workbook whose layout differs from its instance's template, and each
//! branch exports its own. A template is therefore a data file, not code: sheet names and
//! order, the classification banner, the metadata labels of rows 2-6 and the cells their
//! values go in, the header row (each header byte for byte, as in the real blank
//! template, stray spaces included) with the field each column holds, hidden columns,
//! value lists, per-status rules from the Instructions sheet, and whether milestones take
//! their own rows. A new eMASS template version is one more JSON file here; the writer
//! ([`super::workbook`]) and the pre-upload check ([`super::check`]) read only this.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Every field a workbook column may hold (see [`super::workbook`] for their values).
pub const COLUMN_FIELDS: [&str; 37] = [
    "blank",
    "itemId",
    "description",
    "controls",
    "securityChecks",
    "status",
    "scheduledCompletion",
    "riskAcceptedExpiration",
    "completionDate",
    "milestoneId",
    "milestoneDescription",
    "milestoneStatus",
    "milestoneStatusComments",
    "milestoneScheduledCompletion",
    "milestoneCompletionDate",
    "milestoneText",
    "milestoneChanges",
    "identificationSource",
    "identificationSourceDetails",
    "office",
    "resourcesRequired",
    "comments",
    "rawSeverity",
    "devicesAffected",
    "mitigations",
    "predisposingConditions",
    "severity",
    "relevanceOfThreat",
    "threatDescription",
    "likelihood",
    "impact",
    "impactDescription",
    "residualRiskLevel",
    "recommendations",
    "resultingResidualRisk",
    "hostCount",
    "cat",
];

/// Every field a metadata cell (rows 2-6) may hold: the export itself or a profile key.
pub const METADATA_FIELDS: [&str; 11] = [
    "dateExported",
    "exportedBy",
    "system_name",
    "dod_it_registration",
    "ccsafa",
    "system_type",
    "omb_project_id",
    "poc_name",
    "poc_phone",
    "poc_email",
    "security_costs",
];

/// Why a template document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("eMASS template is not valid JSON for a template: {0}")]
    Json(String),
    #[error("eMASS template {template:?}: {problem}")]
    Invalid { template: String, problem: String },
    #[error("unknown eMASS template {0:?} (built in: {1})")]
    Unknown(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Banner {
    /// The merged range of row 1, e.g. `A1:AG1`.
    pub cells: String,
    /// `{classification}` is replaced by the profile's classification.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetadataCell {
    pub label: String,
    /// Cell or merged range of the label, e.g. `A2:C2`.
    pub label_cells: String,
    /// Cell or merged range the value goes in (its top-left cell holds it).
    pub value_cells: String,
    /// One of [`METADATA_FIELDS`].
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TemplateColumn {
    /// Column letters, e.g. `B`.
    pub column: String,
    /// Header text, byte for byte as in the real template.
    pub header: String,
    /// One of [`COLUMN_FIELDS`].
    pub field: String,
    /// `date` (MM/DD/YYYY) or `controls` (800-53 controls, semicolon separated).
    #[serde(default)]
    pub kind: Option<String>,
    /// Name of a value list in [`Template::lists`] the cell must come from.
    #[serde(default)]
    pub list: Option<String>,
}

/// What the Instructions sheet requires of an item of one status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusRule {
    /// Fields (column fields) that must not be empty.
    pub required: Vec<String>,
    /// `required`, `forbidden` or `optional`.
    pub milestones: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Template {
    pub name: String,
    pub title: String,
    /// The real blank template this file was read from (in `shared/samples/poam/`).
    pub source: String,
    /// Sheet names in order.
    pub sheets: Vec<String>,
    /// The sheet that holds the items.
    pub poam_sheet: String,
    pub banner: Banner,
    pub header_row: u32,
    pub first_data_row: u32,
    pub hidden_columns: Vec<String>,
    /// Only `MM/DD/YYYY`: what eMASS's date prompts ask for.
    pub date_format: String,
    /// Milestones in their own columns, one per row (2026 templates), or as text in one
    /// cell (`milestoneText`, the legacy template).
    pub milestone_rows: bool,
    pub lists: BTreeMap<String, Vec<String>>,
    /// Constant values of some fields (e.g. the Identification Source category).
    pub values: BTreeMap<String, String>,
    pub statuses: BTreeMap<String, StatusRule>,
    pub metadata: Vec<MetadataCell>,
    pub columns: Vec<TemplateColumn>,
}

const BUILTIN: [(&str, &str); 4] = [
    ("navy", include_str!("templates/navy.json")),
    ("army", include_str!("templates/army.json")),
    ("marine_corps", include_str!("templates/marine_corps.json")),
    ("joint", include_str!("templates/joint.json")),
];

/// The template used when none is named.
pub const DEFAULT_TEMPLATE: &str = "navy";

/// Column letters (`A`, `AG`) to a 0-based index.
pub fn column_index(letters: &str) -> Option<u16> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut n: u32 = 0;
    for c in letters.bytes() {
        if !c.is_ascii_uppercase() {
            return None;
        }
        n = n * 26 + u32::from(c - b'A' + 1);
    }
    u16::try_from(n - 1).ok()
}

/// A 0-based column index to letters.
pub fn column_letters(index: u16) -> String {
    let mut out = Vec::new();
    let mut n = u32::from(index) + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `A2` or `A2:C2` to 0-based (first row, first col, last row, last col).
pub fn parse_range(s: &str) -> Option<(u32, u16, u32, u16)> {
    let cell = |c: &str| -> Option<(u32, u16)> {
        let split = c.find(|ch: char| ch.is_ascii_digit())?;
        let col = column_index(&c[..split])?;
        let row: u32 = c[split..].parse().ok()?;
        Some((row.checked_sub(1)?, col))
    };
    match s.split_once(':') {
        Some((a, b)) => {
            let (r1, c1) = cell(a)?;
            let (r2, c2) = cell(b)?;
            (r1 <= r2 && c1 <= c2).then_some((r1, c1, r2, c2))
        }
        None => cell(s).map(|(r, c)| (r, c, r, c)),
    }
}

impl Template {
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).collect()
    }

    pub fn builtin(name: &str) -> Result<Template, TemplateError> {
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((_, json)) => Template::from_json(json.as_bytes()),
            None => Err(TemplateError::Unknown(
                name.to_owned(),
                Template::builtin_names().join(", "),
            )),
        }
    }

    /// Parses and checks a template document.
    pub fn from_json(bytes: &[u8]) -> Result<Template, TemplateError> {
        let t: Template =
            serde_json::from_slice(bytes).map_err(|e| TemplateError::Json(e.to_string()))?;
        t.check().map_err(|problem| TemplateError::Invalid {
            template: t.name.clone(),
            problem,
        })?;
        Ok(t)
    }

    fn check(&self) -> Result<(), String> {
        if !self.sheets.contains(&self.poam_sheet) {
            return Err(format!("poamSheet {:?} is not in sheets", self.poam_sheet));
        }
        if self.date_format != "MM/DD/YYYY" {
            return Err(format!(
                "dateFormat {:?} (expected MM/DD/YYYY)",
                self.date_format
            ));
        }
        if self.header_row < 2 || self.first_data_row <= self.header_row {
            return Err("firstDataRow must follow headerRow".into());
        }
        parse_range(&self.banner.cells).ok_or("banner cells are not a range")?;
        for m in &self.metadata {
            if !METADATA_FIELDS.contains(&m.field.as_str()) {
                return Err(format!(
                    "metadata {:?} names unknown field {:?}",
                    m.label, m.field
                ));
            }
            for r in [&m.label_cells, &m.value_cells] {
                parse_range(r).ok_or_else(|| format!("metadata {:?}: bad range {r:?}", m.label))?;
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.columns {
            let idx = column_index(&c.column)
                .ok_or_else(|| format!("column {:?}: bad column letters", c.header))?;
            if !seen.insert(idx) {
                return Err(format!("column {} given twice", c.column));
            }
            if !COLUMN_FIELDS.contains(&c.field.as_str()) {
                return Err(format!(
                    "column {} names unknown field {:?}",
                    c.column, c.field
                ));
            }
            if let Some(l) = &c.list {
                if !self.lists.contains_key(l) {
                    return Err(format!("column {} names unknown list {l:?}", c.column));
                }
            }
            if let Some(k) = &c.kind {
                if !matches!(k.as_str(), "date" | "controls") {
                    return Err(format!("column {}: unknown kind {k:?}", c.column));
                }
            }
        }
        for (status, rule) in &self.statuses {
            if !matches!(
                rule.milestones.as_str(),
                "required" | "forbidden" | "optional"
            ) {
                return Err(format!(
                    "status {status:?}: milestones {:?}",
                    rule.milestones
                ));
            }
            for f in &rule.required {
                if !self.columns.iter().any(|c| &c.field == f) {
                    return Err(format!(
                        "status {status:?} requires {f:?}, which no column holds"
                    ));
                }
            }
        }
        if !self.columns.iter().any(|c| c.field == "status") {
            return Err("no column holds the status".into());
        }
        Ok(())
    }

    /// The column holding `field`, if any.
    pub fn column_of(&self, field: &str) -> Option<&TemplateColumn> {
        self.columns.iter().find(|c| c.field == field)
    }

    /// The banner text for a classification.
    pub fn banner_text(&self, classification: &str) -> String {
        self.banner.text.replace("{classification}", classification)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_loads_and_columns_round_trip() {
        for name in Template::builtin_names() {
            let t = Template::builtin(name).unwrap();
            assert_eq!(t.name, name);
            for c in &t.columns {
                assert_eq!(column_letters(column_index(&c.column).unwrap()), c.column);
            }
        }
        assert!(Template::builtin("nope").is_err());
        assert_eq!(parse_range("D2:K2"), Some((1, 3, 1, 10)));
        assert_eq!(column_index("AG"), Some(32));
    }

    #[test]
    fn a_template_naming_an_unknown_field_is_refused() {
        let json = include_str!("templates/navy.json").replace("\"itemId\"", "\"itemNo\"");
        let e = Template::from_json(json.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("itemNo"), "{e}");
    }
}
