//! The pre-upload check of a POA&M workbook against its eMASS template's rules.
//!
//! eMASS rejects a whole import for one bad cell, and says little about which. This
//! check names each failing cell (`poam.xlsx!F12: POA&M Status "Open" is not one of
//! ...`) from the template data alone: sheet names and order, the header row byte for
//! byte, formulas, required fields per status, value lists, dates, milestones (required,
//! forbidden, their fields, dates never after the item's) and the control format. The
//! host reads the xlsx into a [`Grid`]; this module never touches bytes, so it is tested
//! natively and shared by `validate <package>` and `validate --poam FILE`.

use std::collections::BTreeMap;

use super::template::{column_index, column_letters, Template, TemplateColumn};
use super::workbook::{is_800_53_control, CellValue, WorkbookPlan};
use crate::civil_date::Date;

/// One cell as read from a workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum GridValue {
    Text(String),
    Number(f64),
    /// A cell Excel stores as a date (a user typed one in).
    Date(Date),
    /// The formula text: never acceptable in a POA&M.
    Formula(String),
}

impl GridValue {
    fn text(&self) -> String {
        match self {
            GridValue::Text(s) => s.clone(),
            GridValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            GridValue::Number(n) => n.to_string(),
            GridValue::Date(d) => d.us(),
            GridValue::Formula(f) => format!("={f}"),
        }
    }
}

/// The parts of a workbook the check reads: sheet names and the POA&M sheet's cells
/// (0-based row, col), empty cells absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grid {
    pub sheets: Vec<String>,
    pub cells: BTreeMap<(u32, u16), GridValue>,
}

impl Grid {
    /// The grid a reader of the xlsx written from `plan` sees: its sheet names and the
    /// POA&M sheet's non-empty cells up to one column past the template's (as the host's
    /// calamine reader keeps them). The `emass` component checks this before writing the
    /// workbook, so the readiness it states covers the workbook; `validate` reads the
    /// bytes and must find the same.
    pub fn of_plan(plan: &WorkbookPlan, t: &Template) -> Grid {
        let last_col = t
            .columns
            .iter()
            .filter_map(|c| column_index(&c.column))
            .max()
            .unwrap_or(0);
        let mut g = Grid {
            sheets: plan.sheets.iter().map(|s| s.name.clone()).collect(),
            ..Default::default()
        };
        let Some(sheet) = plan.sheets.iter().find(|s| s.name == t.poam_sheet) else {
            return g;
        };
        for c in sheet
            .cells
            .iter()
            .filter(|c| c.col <= last_col.saturating_add(1))
        {
            let v = match &c.value {
                CellValue::Text(s) if s.is_empty() => continue,
                CellValue::Text(s) => GridValue::Text(s.clone()),
                CellValue::Number(n) => GridValue::Number(*n),
            };
            g.cells.insert((c.row, c.col), v);
        }
        g
    }
}

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkbookReport {
    pub template: String,
    pub items: usize,
    /// Each failing cell, `poam.xlsx!F12: ...`: eMASS would refuse the workbook.
    pub problems: Vec<String>,
    /// Metadata fields (rows 2-6) the template has and the workbook leaves empty: keys of
    /// the system profile to fill. A warning only: eMASS fills these rows on its own
    /// export and its import reads the rows below the header, so it accepts them empty.
    /// (Office/Org and Resources Required, which the Instructions require on every item,
    /// are [`Self::problems`] instead, naming the profile key.)
    pub missing_profile_fields: Vec<String>,
    /// Cells cut at Excel's cell limit (their complete text is in poam.json).
    pub cut_cells: Vec<String>,
}

impl WorkbookReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The marker [`super::layout::cap_cell`] leaves in a cut cell.
const CUT_MARK: &str = "[cut at the spreadsheet cell limit";

const MILESTONE_FIELDS: [&str; 6] = [
    "milestoneId",
    "milestoneDescription",
    "milestoneStatus",
    "milestoneStatusComments",
    "milestoneScheduledCompletion",
    "milestoneCompletionDate",
];

/// A date as eMASS takes it: `MM/DD/YYYY` text or a date cell.
fn as_date(v: &GridValue) -> Option<Date> {
    match v {
        GridValue::Date(d) => Some(*d),
        GridValue::Text(s) => {
            let b = s.as_bytes();
            if b.len() != 10 || b[2] != b'/' || b[5] != b'/' {
                return None;
            }
            Date::parse_iso(&format!("{}-{}-{}", &s[6..10], &s[0..2], &s[3..5]))
        }
        _ => None,
    }
}

struct Ctx<'a> {
    t: &'a Template,
    file: &'a str,
    grid: &'a Grid,
    columns: Vec<(u16, &'a TemplateColumn)>,
    problems: Vec<String>,
    /// In a package, empty cells whose value only the system profile (or the options)
    /// supplies are reported once per column, naming the profile key, not per cell.
    from_profile: bool,
    /// (profile key, option) -> (column, header, empty rows).
    missing: BTreeMap<(&'static str, &'static str), (u16, String, Vec<u32>)>,
}

impl Ctx<'_> {
    fn at(&self, row: u32, col: u16) -> String {
        format!("{}!{}{}", self.file, column_letters(col), row + 1)
    }

    fn get(&self, row: u32, field: &str) -> Option<(u16, &GridValue)> {
        let (i, _) = self.columns.iter().find(|(_, c)| c.field == field)?;
        let v = self.grid.cells.get(&(row, *i))?;
        (!v.text().trim().is_empty()).then_some((*i, v))
    }

    fn column(&self, field: &str) -> Option<(u16, &TemplateColumn)> {
        self.columns
            .iter()
            .find(|(_, c)| c.field == field)
            .map(|(i, c)| (*i, *c))
    }

    fn fail(&mut self, row: u32, col: u16, msg: String) {
        let at = self.at(row, col);
        self.problems.push(format!("{at}: {msg}"));
    }

    /// Each cell of a row against its column's list and kind.
    fn check_cells(&mut self, row: u32) {
        for (i, c) in self.columns.clone() {
            let Some(v) = self.grid.cells.get(&(row, i)) else {
                continue;
            };
            let text = v.text();
            if text.trim().is_empty() {
                continue;
            }
            if let Some(list) = c.list.as_deref().and_then(|l| self.t.lists.get(l)) {
                if !list.contains(&text) {
                    self.fail(
                        row,
                        i,
                        format!(
                            "{} {text:?} is not one of {}",
                            c.header.trim(),
                            list.join(", ")
                        ),
                    );
                }
            }
            match c.kind.as_deref() {
                Some("date") if as_date(v).is_none() => self.fail(
                    row,
                    i,
                    format!("{} {text:?} is not a date MM/DD/YYYY", c.header.trim()),
                ),
                Some("controls") => {
                    for part in text.split(';').map(str::trim) {
                        if !is_800_53_control(part) {
                            self.fail(
                                row,
                                i,
                                format!(
                                    "{} {part:?} is not an 800-53 control (e.g. AC-2 or AC-2 (1)); separate several with semicolons",
                                    c.header.trim()
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn has_milestone(&self, row: u32) -> bool {
        if self.t.milestone_rows {
            MILESTONE_FIELDS.iter().any(|f| self.get(row, f).is_some())
        } else {
            self.get(row, "milestoneText").is_some()
        }
    }

    /// Is `row` the start of an item (anything besides milestone cells)?
    fn starts_item(&self, row: u32) -> bool {
        self.columns.iter().any(|(i, c)| {
            !MILESTONE_FIELDS.contains(&c.field.as_str())
                && c.field != "blank"
                && self
                    .grid
                    .cells
                    .get(&(row, *i))
                    .is_some_and(|v| !v.text().trim().is_empty())
        })
    }

    /// One item: its first row and its milestone rows.
    fn check_item(&mut self, row: u32, milestone_rows: &[u32]) {
        let status_col = self.column("status").map(|(i, _)| i).unwrap_or(0);
        let Some((_, status)) = self.get(row, "status") else {
            self.fail(row, status_col, "POA&M Status is empty".into());
            return;
        };
        let status = status.text();
        let Some(rule) = self.t.statuses.get(&status).cloned() else {
            return; // reported by the value list
        };
        for f in &rule.required {
            if self.get(row, f).is_none() {
                let key = match f.as_str() {
                    "office" => ("office_org", "--office"),
                    "resourcesRequired" => ("resources_required", "--resources"),
                    _ => ("", ""),
                };
                if let Some((i, c)) = self.column(f) {
                    let header = c.header.trim().to_owned();
                    if self.from_profile && !key.0.is_empty() {
                        let e = self.missing.entry(key).or_insert((i, header, Vec::new()));
                        e.2.push(row);
                        continue;
                    }
                    self.fail(
                        row,
                        i,
                        format!("{header} is required for a POA&M Status of {status:?}"),
                    );
                }
            }
        }
        let scheduled = self
            .get(row, "scheduledCompletion")
            .and_then(|(_, v)| as_date(v));
        let rows: Vec<u32> = std::iter::once(row)
            .chain(milestone_rows.iter().copied())
            .filter(|r| self.has_milestone(*r))
            .collect();
        let anchor = self
            .column(if self.t.milestone_rows {
                "milestoneDescription"
            } else {
                "milestoneText"
            })
            .map(|(i, _)| i)
            .unwrap_or(status_col);
        match rule.milestones.as_str() {
            "required" if rows.is_empty() => self.fail(
                row,
                anchor,
                format!("a POA&M Status of {status:?} needs at least one milestone"),
            ),
            "forbidden" if !rows.is_empty() => self.fail(
                rows[0],
                anchor,
                format!("milestones are not allowed for a POA&M Status of {status:?}"),
            ),
            _ => {}
        }
        if !self.t.milestone_rows {
            return;
        }
        for r in rows {
            for f in [
                "milestoneDescription",
                "milestoneStatus",
                "milestoneScheduledCompletion",
            ] {
                if self.get(r, f).is_none() {
                    if let Some((i, c)) = self.column(f) {
                        let header = c.header.trim().to_owned();
                        self.fail(r, i, format!("{header} is required for each milestone"));
                    }
                }
            }
            let m_status = self.get(r, "milestoneStatus").map(|(_, v)| v.text());
            if m_status.as_deref() == Some("Completed")
                && self.get(r, "milestoneCompletionDate").is_none()
            {
                if let Some((i, _)) = self.column("milestoneCompletionDate") {
                    self.fail(
                        r,
                        i,
                        "Milestone Completion Date is required for a completed milestone".into(),
                    );
                }
            }
            if status == "Completed"
                && !matches!(m_status.as_deref(), Some("Completed" | "Archived"))
            {
                if let Some((i, _)) = self.column("milestoneStatus") {
                    self.fail(
                        r,
                        i,
                        "every milestone of a Completed item must be Completed or Archived".into(),
                    );
                }
            }
            if let (Some(item), Some((i, v))) =
                (scheduled, self.get(r, "milestoneScheduledCompletion"))
            {
                if let Some(m) = as_date(v) {
                    if m > item {
                        self.fail(
                            r,
                            i,
                            format!(
                                "Milestone Scheduled Completion Date {} is after the item's POA&M Scheduled Completion Date {}",
                                m.us(),
                                item.us()
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// Checks a workbook read into `grid` against `t`; `file` names it in messages.
pub fn check(t: &Template, file: &str, grid: &Grid) -> WorkbookReport {
    check_as(t, file, grid, false)
}

/// [`check`] of a package's own workbook: Office/Org and Resources Required left empty
/// are reported as system profile keys to fill (`missing_profile_fields`), since only
/// the profile or the options supply them.
pub fn check_in_package(t: &Template, file: &str, grid: &Grid) -> WorkbookReport {
    check_as(t, file, grid, true)
}

fn check_as(t: &Template, file: &str, grid: &Grid, from_profile: bool) -> WorkbookReport {
    let mut columns: Vec<(u16, &TemplateColumn)> = t
        .columns
        .iter()
        .filter_map(|c| column_index(&c.column).map(|i| (i, c)))
        .collect();
    columns.sort_by_key(|(i, _)| *i);
    let mut cx = Ctx {
        t,
        file,
        grid,
        columns,
        problems: Vec::new(),
        from_profile,
        missing: Default::default(),
    };
    if grid.sheets != t.sheets {
        cx.problems.push(format!(
            "{file}: sheets {:?} are not the {} template's {:?}",
            grid.sheets, t.name, t.sheets
        ));
    }
    let header = t.header_row - 1;
    for (i, c) in cx.columns.clone() {
        let got = grid
            .cells
            .get(&(header, i))
            .map(GridValue::text)
            .unwrap_or_default();
        if got != c.header {
            cx.fail(header, i, format!("header {got:?} is not {:?}", c.header));
        }
    }
    let known: Vec<u16> = cx.columns.iter().map(|(i, _)| *i).collect();
    let extra: Vec<u16> = grid
        .cells
        .range((header, 0)..(header + 1, 0))
        .filter(|(k, v)| !known.contains(&k.1) && !v.text().trim().is_empty())
        .map(|(k, _)| k.1)
        .collect();
    for i in extra {
        cx.fail(header, i, "a column the template does not have".into());
    }
    let mut cut_cells = Vec::new();
    for (&(r, c), v) in &grid.cells {
        if let GridValue::Formula(f) = v {
            cx.fail(
                r,
                c,
                format!("a formula ({f:?}); a POA&M cell must be text"),
            );
        } else if let GridValue::Text(s) = v {
            if s.contains(CUT_MARK) {
                cut_cells.push(cx.at(r, c));
            }
        }
    }
    let mut missing_profile_fields = Vec::new();
    for m in &t.metadata {
        let filled = super::template::parse_range(&m.value_cells)
            .and_then(|(r, c, _, _)| grid.cells.get(&(r, c)))
            .is_some_and(|v| !v.text().trim().is_empty());
        if !filled && !matches!(m.field.as_str(), "dateExported" | "exportedBy") {
            missing_profile_fields.push(m.field.clone());
        }
    }
    let last_row = grid.cells.keys().map(|k| k.0).max().unwrap_or(0);
    let mut items = 0usize;
    let mut row = t.first_data_row - 1;
    while row <= last_row {
        if !cx.starts_item(row) {
            if cx.has_milestone(row) {
                cx.fail(row, 0, "a milestone row before any POA&M item".into());
            }
            row += 1;
            continue;
        }
        let mut next = row + 1;
        while next <= last_row && !cx.starts_item(next) && cx.has_milestone(next) {
            next += 1;
        }
        let milestones: Vec<u32> = (row + 1..next).collect();
        cx.check_cells(row);
        for &m in &milestones {
            cx.check_cells(m);
        }
        cx.check_item(row, &milestones);
        items += 1;
        row = next;
    }
    for ((key, option), (col, header, rows)) in std::mem::take(&mut cx.missing) {
        let first = cx.at(rows[0], col);
        cx.problems.push(format!(
            "{first}: {header} is empty on {}, which eMASS's import rejects (its Instructions require it for their POA&M Status): set {key} in the system profile (--system-profile FILE) or pass {option}",
            super::plural(rows.len(), "item"),
        ));
    }
    WorkbookReport {
        template: t.name.clone(),
        items,
        problems: cx.problems,
        missing_profile_fields,
        cut_cells,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::poam::profile::SystemProfile;
    use crate::poam::workbook::{plan, WorkbookInput};
    use crate::poam::PoamItem;

    fn item(id: u32, status: &str) -> PoamItem {
        PoamItem {
            item_id: id,
            control_id: "V-1".into(),
            vuln_id: "V-1".into(),
            rule_id: "SV-1r1_rule".into(),
            rule_ver: "X-1".into(),
            title: "t".into(),
            benchmark_id: "b".into(),
            benchmark_title: "B".into(),
            benchmark_release: "R1".into(),
            raw_severity: "high".into(),
            severity: "high".into(),
            cat: "I".into(),
            status: status.into(),
            scheduled_completion: "2026-12-01".into(),
            security_controls: vec!["CCI-000015".into()],
            controls: vec!["AC-2 (1)".into()],
            unmapped_ccis: vec![],
            ia_controls: String::new(),
            mitigations: String::new(),
            impact_description: String::new(),
            recommendations: String::new(),
            office: String::new(),
            resources_required: String::new(),
            hosts: vec![],
        }
    }

    /// The planned cells of the POA&M sheet as the host would read them back.
    fn grid_of(t: &Template, items: &[PoamItem]) -> Grid {
        let profile = SystemProfile::default();
        let p = plan(
            items,
            &WorkbookInput {
                template: t,
                profile: &profile,
                exported_at: 1_780_000_000,
                office: "Org, Ann Lee, 555-0100, ann@example.mil",
                resources: "Admin time",
            },
        );
        Grid::of_plan(&p, t)
    }

    #[test]
    fn a_planned_workbook_passes_for_every_template() {
        for name in Template::builtin_names() {
            let t = Template::builtin(name).unwrap();
            let r = check(
                &t,
                "poam.xlsx",
                &grid_of(&t, &[item(1, "Ongoing"), item(2, "Ongoing")]),
            );
            assert!(r.passed(), "{name}: {:?}", r.problems);
            assert_eq!(r.items, 2);
            assert!(r.missing_profile_fields.contains(&"poc_email".to_owned()));
        }
    }

    #[test]
    fn in_a_package_empty_office_blocks_naming_the_profile_key_and_metadata_only_warns() {
        let t = Template::builtin("navy").unwrap();
        let mut g = grid_of(&t, &[item(1, "Ongoing"), item(2, "Risk Accepted")]);
        let r = check_in_package(&t, "poam.xlsx", &g);
        // Risk Accepted without comments is the only problem; metadata is a warning.
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.missing_profile_fields.contains(&"system_name".to_owned()));
        let (office, resources) = (column_index("R").unwrap(), column_index("S").unwrap());
        for row in [7, 8] {
            g.cells.remove(&(row, office));
            g.cells.remove(&(row, resources));
        }
        let r = check_in_package(&t, "poam.xlsx", &g);
        assert!(!r.passed());
        let has = |s: &str| r.problems.iter().any(|p| p.starts_with(s));
        assert!(
            has("poam.xlsx!R8: Office/Org is empty on 2 items, which eMASS's import rejects"),
            "{:?}",
            r.problems
        );
        assert!(
            r.problems.iter().any(|p| p.starts_with("poam.xlsx!S8: Resources Required")
                && p.ends_with("set resources_required in the system profile (--system-profile FILE) or pass --resources")),
            "{:?}",
            r.problems
        );
        assert!(!r.missing_profile_fields.contains(&"office_org".to_owned()));
        // Alone (validate --poam), each empty cell is named.
        let r = check(&t, "poam.xlsx", &g);
        assert!(r
            .problems
            .iter()
            .any(|p| p.starts_with("poam.xlsx!R9: Office/Org is required")));
    }

    #[test]
    fn each_broken_rule_names_its_cell() {
        let t = Template::builtin("navy").unwrap();
        let mut g = grid_of(&t, &[item(1, "Ongoing"), item(2, "Risk Accepted")]);
        let f = column_index("F").unwrap();
        g.cells.insert((7, f), GridValue::Text("Open".into()));
        let r = check(&t, "poam.xlsx", &g);
        assert!(
            r.problems
                .iter()
                .any(|p| p.starts_with("poam.xlsx!F8: POA&M Status \"Open\" is not one of")),
            "{:?}",
            r.problems
        );
        // Risk Accepted with no comments: comments required (T9).
        assert!(
            r.problems
                .iter()
                .any(|p| p.starts_with("poam.xlsx!T9: Comments is required")),
            "{:?}",
            r.problems
        );

        let mut g = grid_of(&t, &[item(1, "Ongoing")]);
        let n = column_index("N").unwrap();
        let d = column_index("D").unwrap();
        let h = column_index("C").unwrap();
        g.cells.insert((7, n), GridValue::Text("01/01/2099".into()));
        g.cells.insert((7, d), GridValue::Text("CCI-000068".into()));
        g.cells
            .insert((6, h), GridValue::Text("Description".into()));
        g.cells.insert(
            (7, column_index("Y").unwrap()),
            GridValue::Formula("HYPERLINK(\"x\")".into()),
        );
        let r = check(&t, "poam.xlsx", &g);
        let has = |s: &str| r.problems.iter().any(|p| p.starts_with(s));
        assert!(
            has("poam.xlsx!N8: Milestone Scheduled Completion Date 01/01/2099 is after"),
            "{:?}",
            r.problems
        );
        assert!(
            has("poam.xlsx!D8: Controls / APs \"CCI-000068\""),
            "{:?}",
            r.problems
        );
        assert!(
            has("poam.xlsx!C7: header \"Description\""),
            "{:?}",
            r.problems
        );
        assert!(has("poam.xlsx!Y8: a formula"), "{:?}", r.problems);

        // Ongoing with its milestone removed.
        let mut g = grid_of(&t, &[item(1, "Ongoing")]);
        for c in ["J", "K", "L", "N"] {
            g.cells.remove(&(7, column_index(c).unwrap()));
        }
        let r = check(&t, "poam.xlsx", &g);
        assert!(
            r.problems
                .iter()
                .any(|p| p.contains("needs at least one milestone")),
            "{:?}",
            r.problems
        );
    }
}
