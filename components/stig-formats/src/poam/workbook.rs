//! The eMASS POA&M workbook (`03_POAM/poam.xlsx`) as a plan of cells, before any bytes.
//!
//! What goes in which cell is decided here, natively testable and free of any xlsx
//! crate; the `emass` component turns the plan into bytes with `rust_xlsxwriter`. The
//! rules come from the template ([`super::template`]) and the eMASS Instructions sheets:
//!
//! - Status: the item's (Ongoing for open findings). Risk Accepted items get no
//!   milestone and no scheduled date; their comments carry the reason.
//! - One milestone per item, on the item's row where the template has milestone columns
//!   (legacy template: the milestone text in its one cell). Its date is the item's
//!   scheduled completion date, so it is never after it.
//! - Raw Severity and the risk columns in the template's vocabulary (the value list the
//!   column names: Very Low..Very High, or I/II/III in the legacy template).
//! - Dates MM/DD/YYYY as text; lists (controls, security checks) semicolon separated;
//!   Devices Affected one host per line.
//! - Every value is a text cell except the item and milestone numbers; a cell longer
//!   than Excel's limit is cut with a visible marker ([`super::layout::cap_cell`]) and
//!   listed in [`WorkbookPlan::cut`].

use super::layout::cap_cell;
use super::profile::SystemProfile;
use super::template::{column_index, parse_range, Template};
use super::PoamItem;
use crate::civil_date::Date;

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Text(String),
    Number(f64),
}

/// One cell, 0-based row and column.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCell {
    pub row: u32,
    pub col: u16,
    pub value: CellValue,
}

/// A merged range, 0-based (first row, first col, last row, last col).
pub type Merge = (u32, u16, u32, u16);

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SheetPlan {
    pub name: String,
    /// Row by row, left to right.
    pub cells: Vec<PlanCell>,
    pub merges: Vec<Merge>,
    pub hidden_columns: Vec<u16>,
    /// The header row, 0-based, for a bold, frozen header.
    pub header_row: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkbookPlan {
    pub sheets: Vec<SheetPlan>,
    /// Cells cut at the cell limit, as `poam.xlsx!C9`.
    pub cut: Vec<String>,
    /// Document creation time, Unix seconds: the export time, never the clock.
    pub created_at: i64,
    pub title: String,
}

/// Where the workbook lives in a package.
pub const WORKBOOK_PATH: &str = "03_POAM/poam.xlsx";
/// The workbook's name in the pre-upload check's messages (`poam.xlsx!R8: ...`).
pub const FILE: &str = "poam.xlsx";

/// The 800-53 controls of an item, in the form eMASS's Controls / APs column takes: the
/// Rev 5 controls mapped from the rule's CCIs with DISA's CCI list (`PoamItem::controls`).
/// An item whose CCIs map to none goes in as a system-level item (empty cell), which the
/// Instructions allow; its unmapped CCIs are reported in `poam_summary.txt`.
pub fn controls_of(item: &PoamItem) -> Vec<String> {
    item.controls
        .iter()
        .filter(|c| is_800_53_control(c))
        .cloned()
        .collect()
}

/// `AC-2`, `AC-2 (1)`, `AC-2(1)`, `SA-1.4` (an assessment procedure).
pub fn is_800_53_control(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 4 || !b[0].is_ascii_uppercase() || !b[1].is_ascii_uppercase() || b[2] != b'-' {
        return false;
    }
    let rest = &s[3..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&digits) {
        return false;
    }
    let mut rest = &rest[digits..];
    let enhancement = rest.strip_prefix(" (").or_else(|| rest.strip_prefix('('));
    if let Some(e) = enhancement {
        let d = e.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=2).contains(&d) || !e[d..].starts_with(')') {
            return false;
        }
        rest = &e[d + 1..];
    }
    match rest.strip_prefix('.') {
        Some(ap) => !ap.is_empty() && ap.bytes().all(|c| c.is_ascii_digit()),
        None => rest.is_empty(),
    }
}

/// The eMASS level of a STIG severity word.
fn level(word: &str) -> &'static str {
    match word {
        "high" => "High",
        "medium" => "Moderate",
        "low" => "Low",
        _ => "",
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

/// What the rows depend on besides the items.
#[derive(Debug, Clone)]
pub struct WorkbookInput<'a> {
    pub template: &'a Template,
    pub profile: &'a SystemProfile,
    pub exported_at: i64,
    /// Office/Org and Resources Required when the profile has none (the `office` and
    /// `resources` options).
    pub office: &'a str,
    pub resources: &'a str,
}

/// The status as written: the item's, `Ongoing` when it has none.
fn status_of(item: &PoamItem) -> &str {
    if item.status.trim().is_empty() {
        "Ongoing"
    } else {
        item.status.as_str()
    }
}

/// The value of one column field for one item (empty: no cell).
fn field_value(
    input: &WorkbookInput,
    list: Option<&str>,
    item: &PoamItem,
    field: &str,
) -> CellValue {
    let t = input.template;
    let accepted = status_of(item) == "Risk Accepted";
    let date = Date::parse_iso(&item.scheduled_completion)
        .map(|d| d.us())
        .unwrap_or_default();
    let or = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_owned()
        } else {
            a.to_owned()
        }
    };
    let text = match field {
        "itemId" => return CellValue::Number(f64::from(item.item_id)),
        "milestoneId" if !accepted => return CellValue::Number(1.0),
        "description" => item.description(),
        "controls" => controls_of(item).join("; "),
        "securityChecks" => item.rule_id.clone(),
        "status" => status_of(item).to_owned(),
        "scheduledCompletion" | "milestoneScheduledCompletion" if !accepted => date,
        "milestoneDescription" | "milestoneText" if !accepted => item.milestone_text(&date),
        "milestoneStatus" if !accepted => t.values.get(field).cloned().unwrap_or_default(),
        "identificationSource" => t.values.get(field).cloned().unwrap_or_default(),
        "identificationSourceDetails" => item.source_text(),
        "office" => or(input.profile.get("office_org"), input.office),
        "resourcesRequired" => or(input.profile.get("resources_required"), input.resources),
        "comments" => item.comments_text(),
        "rawSeverity" if list == Some("rawSeverity") => cat_of(&item.raw_severity).to_owned(),
        "rawSeverity" => level(&item.raw_severity).to_owned(),
        "severity" | "relevanceOfThreat" | "likelihood" | "impact" | "residualRiskLevel" => {
            level(&item.severity).to_owned()
        }
        "cat" => cat_of(&item.severity).to_owned(),
        "devicesAffected" => item.host_names().join("\n"),
        "hostCount" => item.hosts.len().to_string(),
        "mitigations" => item.mitigations.clone(),
        "impactDescription" => item.impact_description.clone(),
        "recommendations" => item.recommendations.clone(),
        _ => String::new(),
    };
    CellValue::Text(text)
}

fn text_cell(row: u32, col: u16, text: String, cut: &mut Vec<String>) -> Option<PlanCell> {
    if text.is_empty() {
        return None;
    }
    let capped = cap_cell(text.clone());
    if capped.len() != text.len() {
        cut.push(format!(
            "{FILE}!{}{}",
            super::template::column_letters(col),
            row + 1
        ));
    }
    Some(PlanCell {
        row,
        col,
        value: CellValue::Text(capped),
    })
}

/// Places `text` in the top-left cell of `range` and merges it when it spans cells.
fn place(sheet: &mut SheetPlan, range: &str, text: String, cut: &mut Vec<String>) {
    if let Some(m @ (r1, c1, r2, c2)) = parse_range(range) {
        if (r1, c1) != (r2, c2) {
            sheet.merges.push(m);
        }
        sheet.cells.extend(text_cell(r1, c1, text, cut));
    }
}

/// The whole workbook for `items`.
pub fn plan(items: &[PoamItem], input: &WorkbookInput) -> WorkbookPlan {
    let t = input.template;
    let mut cut = Vec::new();
    let mut sheets = Vec::with_capacity(t.sheets.len());
    for name in &t.sheets {
        if name != &t.poam_sheet {
            let mut s = SheetPlan {
                name: name.clone(),
                ..Default::default()
            };
            let note = format!(
                "stigpack fills only the {:?} sheet; this sheet is kept so the workbook has the sheets of the eMASS template {:?} ({}). Read the template's own {name:?} sheet for its content.",
                t.poam_sheet, t.name, t.source
            );
            s.cells.extend(text_cell(0, 0, note, &mut Vec::new()));
            sheets.push(s);
            continue;
        }
        let mut s = SheetPlan {
            name: name.clone(),
            header_row: Some(t.header_row - 1),
            hidden_columns: t
                .hidden_columns
                .iter()
                .filter_map(|c| column_index(c))
                .collect(),
            ..Default::default()
        };
        place(
            &mut s,
            &t.banner.cells,
            t.banner_text(input.profile.classification()),
            &mut cut,
        );
        for m in &t.metadata {
            place(&mut s, &m.label_cells, m.label.clone(), &mut cut);
            let value = match m.field.as_str() {
                "dateExported" => Date::from_unix_seconds(input.exported_at).us(),
                "exportedBy" => "stigpack".to_owned(),
                key => input.profile.get(key).to_owned(),
            };
            place(&mut s, &m.value_cells, value, &mut cut);
        }
        let mut columns: Vec<(u16, &super::template::TemplateColumn)> = t
            .columns
            .iter()
            .filter_map(|c| column_index(&c.column).map(|i| (i, c)))
            .collect();
        columns.sort_by_key(|(i, _)| *i);
        for (i, c) in &columns {
            s.cells.push(PlanCell {
                row: t.header_row - 1,
                col: *i,
                value: CellValue::Text(c.header.clone()),
            });
        }
        for (n, item) in items.iter().enumerate() {
            let row = t.first_data_row - 1 + n as u32;
            for (i, c) in &columns {
                match field_value(input, c.list.as_deref(), item, &c.field) {
                    CellValue::Text(text) => s.cells.extend(text_cell(row, *i, text, &mut cut)),
                    v => s.cells.push(PlanCell {
                        row,
                        col: *i,
                        value: v,
                    }),
                }
            }
        }
        // Row by row, left to right: the order the cells are written in.
        s.cells.sort_by_key(|c| (c.row, c.col));
        sheets.push(s);
    }
    WorkbookPlan {
        sheets,
        cut,
        created_at: input.exported_at,
        title: format!("POA&M ({})", t.title),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn control_forms_emass_takes_are_recognised() {
        for ok in ["AC-2", "AC-2 (1)", "AC-2(12)", "SA-1.4", "AU-12"] {
            assert!(is_800_53_control(ok), "{ok}");
        }
        for bad in [
            "CCI-000068",
            "ac-2",
            "AC-",
            "AC-2 (1",
            "AC-2.",
            "AC-123",
            "",
        ] {
            assert!(!is_800_53_control(bad), "{bad}");
        }
    }

    fn item(status: &str, mitigations: String) -> PoamItem {
        PoamItem {
            item_id: 1,
            control_id: "V-1".into(),
            vuln_id: "V-1".into(),
            rule_id: "SV-1r1_rule".into(),
            rule_ver: "X-1".into(),
            title: "t".into(),
            benchmark_id: "b".into(),
            benchmark_title: "B".into(),
            benchmark_release: "R1".into(),
            raw_severity: "medium".into(),
            severity: "medium".into(),
            cat: "II".into(),
            status: status.into(),
            scheduled_completion: "2026-12-01".into(),
            security_controls: vec!["CCI-000068".into(), "CCI-001453".into()],
            controls: vec!["AC-17 (2)".into(), "not a control".into()],
            unmapped_ccis: vec![],
            ia_controls: String::new(),
            mitigations,
            impact_description: String::new(),
            recommendations: String::new(),
            office: String::new(),
            resources_required: String::new(),
            hosts: vec![],
        }
    }

    fn cell<'a>(p: &'a WorkbookPlan, t: &Template, field: &str) -> Option<&'a CellValue> {
        let col = column_index(&t.column_of(field)?.column)?;
        let s = p.sheets.iter().find(|s| s.name == t.poam_sheet)?;
        s.cells
            .iter()
            .find(|c| c.row == t.first_data_row - 1 && c.col == col)
            .map(|c| &c.value)
    }

    #[test]
    fn rows_follow_the_instructions_and_long_cells_are_cut_visibly() {
        let t = Template::builtin("navy").unwrap();
        let profile = SystemProfile::default();
        let input = WorkbookInput {
            template: &t,
            profile: &profile,
            exported_at: 1_780_000_000,
            office: "Org",
            resources: "Time",
        };
        let long = "x".repeat(40_000);
        let p = plan(&[item("Ongoing", long)], &input);
        let text = |f: &str| match cell(&p, &t, f) {
            Some(CellValue::Text(s)) => s.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(text("status"), "Ongoing");
        assert_eq!(text("scheduledCompletion"), "12/01/2026");
        assert_eq!(text("milestoneScheduledCompletion"), "12/01/2026");
        assert_eq!(text("rawSeverity"), "Moderate");
        assert_eq!(text("controls"), "AC-17 (2)");
        let m = text("mitigations");
        assert_eq!(m.encode_utf16().count(), 32_767);
        assert!(m.ends_with("the complete text is in poam.json]"));
        assert_eq!(p.cut, vec!["poam.xlsx!W8".to_owned()]);
        assert_eq!(p.sheets[0].hidden_columns, vec![0]);

        let p = plan(&[item("Risk Accepted", String::new())], &input);
        for f in ["milestoneId", "milestoneDescription", "scheduledCompletion"] {
            assert!(cell(&p, &t, f).is_none(), "{f} on a Risk Accepted item");
        }
        let joint = Template::builtin("joint").unwrap();
        let p = plan(
            &[item("Ongoing", String::new())],
            &WorkbookInput {
                template: &joint,
                ..input
            },
        );
        assert_eq!(
            cell(&p, &joint, "rawSeverity"),
            Some(&CellValue::Text("II".into()))
        );
    }
}
