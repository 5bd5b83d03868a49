//! Reads a POA&M workbook (`03_POAM/poam.xlsx`, or one given to `validate --poam`) and
//! runs the template's pre-upload check on it (`stig_formats::poam::check`).
//!
//! The workbook may have been edited in Excel or come from anywhere, so it is read as
//! hostile: the file's size and the zip directory's declared sizes are bounded before
//! anything is decompressed, cells are streamed (never a dense range, which a cell at
//! XFD1048576 would make enormous), and only the template's columns are kept.

use std::fs;
use std::io::BufReader;
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};
use stig_formats::civil_date::Date;
use stig_formats::poam::check::{self, Grid, GridValue, WorkbookReport};
use stig_formats::poam::template::{column_index, Template};

/// Largest workbook file read (a 1,000-host POA&M is a few MB).
const MAX_FILE_BYTES: u64 = 256 << 20;
/// Largest total the zip directory may declare once decompressed.
const MAX_UNPACKED_BYTES: u64 = 2 << 30;
/// Most cells kept from the POA&M sheet.
const MAX_CELLS: usize = 20_000_000;

/// Why a workbook could not be checked at all (it is not a readable xlsx).
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct Unreadable {
    pub file: String,
    pub problem: String,
}

/// Checks `path` against `template`; `shown` names it in messages.
pub fn check_file(
    path: &Path,
    shown: &str,
    template: &Template,
) -> Result<WorkbookReport, Unreadable> {
    let grid = read_grid(path, template).map_err(|problem| Unreadable {
        file: path.display().to_string(),
        problem,
    })?;
    Ok(check::check(template, shown, &grid))
}

/// [`check_file`] for a package's own workbook ([`check::check_in_package`]).
pub fn check_package_file(path: &Path, template: &Template) -> Result<WorkbookReport, Unreadable> {
    let grid = read_grid(path, template).map_err(|problem| Unreadable {
        file: path.display().to_string(),
        problem,
    })?;
    Ok(check::check_in_package(template, "poam.xlsx", &grid))
}

/// The pre-upload check's problems for a package just written, for the readiness line
/// `export-emass` and `import-attestations` print: the cells behind a NOT READY that the
/// manifest's `poamWorkbook` states (read back from the xlsx, as validate does).
/// `template` is the workbook's template name; a package without a workbook has none.
pub fn package_problems(pkg: &Path, template: &str) -> Vec<String> {
    let path = pkg.join(stig_formats::poam::workbook::WORKBOOK_PATH);
    if !path.exists() {
        return Vec::new();
    }
    match Template::builtin(template)
        .map_err(|e| e.to_string())
        .and_then(|t| check_package_file(&path, &t).map_err(|e| e.to_string()))
    {
        Ok(r) => r.problems,
        Err(e) => vec![e],
    }
}

/// The readiness line's word, and the workbook problems behind a NOT READY (at most 3).
pub fn readiness_line(is_ready: bool, workbook: &[String]) -> String {
    let mut s = if is_ready && workbook.is_empty() {
        "READY".to_owned()
    } else {
        "NOT READY (see stigpack validate)".to_owned()
    };
    for p in workbook.iter().take(3) {
        s.push_str(&format!("\n  {p}"));
    }
    if workbook.len() > 3 {
        s.push_str(&format!("\n  ... and {} more", workbook.len() - 3));
    }
    s
}

fn bounded_archive(path: &Path) -> Result<(), String> {
    let meta = fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} bytes, more than the {} a POA&M workbook may have",
            meta.len(),
            MAX_FILE_BYTES
        ));
    }
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| format!("not an xlsx workbook (zip): {e}"))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| format!("zip entry {i}: {e}"))?;
        total = total.saturating_add(entry.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(format!(
                "its zip entries unpack to more than {MAX_UNPACKED_BYTES} bytes (a zip bomb?)"
            ));
        }
    }
    Ok(())
}

/// Excel's date serial (days since 1899-12-30) to a date.
fn serial_date(serial: f64) -> Option<Date> {
    (serial.is_finite() && (1.0..2_958_466.0).contains(&serial))
        .then(|| Date::from_days(serial.floor() as i64 - 25_569))
}

fn grid_value(v: &DataRef) -> Option<GridValue> {
    Some(match v {
        DataRef::Empty => return None,
        DataRef::String(s) => GridValue::Text(s.clone()),
        DataRef::SharedString(s) => GridValue::Text((*s).to_owned()),
        DataRef::Int(i) => GridValue::Number(*i as f64),
        DataRef::Float(f) => GridValue::Number(*f),
        DataRef::Bool(b) => GridValue::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        DataRef::DateTime(d) => match serial_date(d.as_f64()) {
            Some(date) => GridValue::Date(date),
            None => GridValue::Number(d.as_f64()),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => GridValue::Text(s.clone()),
        DataRef::Error(e) => GridValue::Text(format!("#{e:?}")),
    })
}

/// The sheet names and the POA&M sheet's cells within the template's columns.
fn read_grid(path: &Path, template: &Template) -> Result<Grid, String> {
    bounded_archive(path)?;
    let mut book: Xlsx<_> =
        calamine::open_workbook(path).map_err(|e| format!("not a readable xlsx workbook: {e}"))?;
    let sheets = book.sheet_names();
    let mut grid = Grid {
        sheets: sheets.clone(),
        ..Default::default()
    };
    if !sheets.contains(&template.poam_sheet) {
        return Ok(grid);
    }
    let last_col = template
        .columns
        .iter()
        .filter_map(|c| column_index(&c.column))
        .max()
        .unwrap_or(0);
    let mut cells = book
        .worksheet_cells_reader(&template.poam_sheet)
        .map_err(|e| format!("sheet {:?}: {e}", template.poam_sheet))?;
    while let Some(cell) = cells
        .next_cell_with_formula()
        .map_err(|e| format!("sheet {:?}: {e}", template.poam_sheet))?
    {
        let (row, col) = cell.pos;
        // One column past the template's, so an added column is seen.
        let Ok(col) = u16::try_from(col) else {
            continue;
        };
        if col > last_col.saturating_add(1) {
            continue;
        }
        let value = match cell.formula.filter(|f| !f.is_empty()) {
            Some(f) => Some(GridValue::Formula(f)),
            None => grid_value(&cell.value),
        };
        if let Some(v) = value {
            if grid.cells.len() >= MAX_CELLS {
                return Err(format!(
                    "more than {MAX_CELLS} cells in sheet {:?}",
                    template.poam_sheet
                ));
            }
            grid.cells.insert((row, col), v);
        }
    }
    Ok(grid)
}
