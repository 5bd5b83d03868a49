//! Reading the package's CSV files (the indexes, poam.csv) a record at a time, for the
//! checks that compare them with the checklists.

use std::fs;
use std::path::Path;

/// One CSV file of the package, read a record at a time (the indexes hold a row per
/// control per host: 800,000 rows for 1,000 hosts, never held whole).
pub struct CsvRows {
    rel: &'static str,
    reader: csv::Reader<fs::File>,
    header: Vec<String>,
    record: csv::StringRecord,
}

impl CsvRows {
    pub fn open(pkg: &Path, rel: &'static str) -> Result<CsvRows, String> {
        let file = fs::File::open(pkg.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
        let mut reader = csv::ReaderBuilder::new().from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| format!("{rel}: {e}"))?
            .iter()
            .map(str::to_owned)
            .collect();
        Ok(CsvRows {
            rel,
            reader,
            header,
            record: csv::StringRecord::new(),
        })
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The next record; `None` at the end. Every record has the header's length (the
    /// reader refuses others), so indexes from [`Self::col`] are in range.
    pub fn next(&mut self) -> Result<Option<&csv::StringRecord>, String> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => Ok(Some(&self.record)),
            Ok(false) => Ok(None),
            Err(e) => Err(format!("{}: {e}", self.rel)),
        }
    }
}

pub fn field(row: &csv::StringRecord, i: usize) -> &str {
    row.get(i).unwrap_or("")
}

/// The (host, control) key of an index row: the Vuln ID, or the Rule ID when a control
/// has none (as [`stig_formats::control_view::control_id`] names controls).
pub fn row_key(row: &csv::StringRecord, host: usize, vuln: usize, rule: usize) -> (&str, &str) {
    let v = field(row, vuln);
    (
        field(row, host),
        if v.is_empty() { field(row, rule) } else { v },
    )
}
