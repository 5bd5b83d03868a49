//! Turns a [`WorkbookPlan`] into `poam.xlsx` bytes with `rust_xlsxwriter`.
//!
//! Kept apart from the plan so the plan stays testable natively and free of the xlsx
//! crate. Determinism: the document's creation time is the export time (the crate would
//! otherwise read the clock), the author is fixed, sheets and cells are written in the
//! plan's order, and the crate writes fixed zip entry times and no random ids. Every
//! text goes through `write_string`, so nothing a finding says becomes a formula,
//! hyperlink or external reference.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};
use stig_formats::poam::workbook::{CellValue, WorkbookPlan};

/// The workbook's bytes, or why they could not be made.
pub fn render(plan: &WorkbookPlan) -> Result<Vec<u8>, String> {
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_timestamp(plan.created_at).map_err(err)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(plan.title.as_str())
            .set_author("stigpack")
            .set_creation_datetime(&created),
    );
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let bold = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    for sheet in &plan.sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet.name.as_str()).map_err(err)?;
        let format_of = |row: u32| {
            if Some(row) == sheet.header_row || row < sheet.header_row.unwrap_or(0) {
                &bold
            } else {
                &wrap
            }
        };
        let mut merged_text = std::collections::BTreeMap::new();
        for c in &sheet.cells {
            let top_left = sheet.merges.iter().any(|m| (m.0, m.1) == (c.row, c.col));
            match &c.value {
                CellValue::Text(t) if top_left => {
                    merged_text.insert((c.row, c.col), t.as_str());
                }
                CellValue::Text(t) => {
                    ws.write_string_with_format(c.row, c.col, t, format_of(c.row))
                        .map_err(err)?;
                }
                CellValue::Number(n) => {
                    ws.write_number_with_format(c.row, c.col, *n, format_of(c.row))
                        .map_err(err)?;
                }
            }
        }
        for &(r1, c1, r2, c2) in &sheet.merges {
            let text = merged_text.get(&(r1, c1)).copied().unwrap_or("");
            ws.merge_range(r1, c1, r2, c2, text, format_of(r1))
                .map_err(err)?;
        }
        if let Some(h) = sheet.header_row {
            for c in sheet.cells.iter().filter(|c| c.row == h) {
                ws.set_column_width(c.col, 24).map_err(err)?;
            }
            ws.set_freeze_panes(h + 1, 0).map_err(err)?;
        }
        for &col in &sheet.hidden_columns {
            ws.set_column_hidden(col).map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}
