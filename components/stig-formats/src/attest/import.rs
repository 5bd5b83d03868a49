//! The strict importer for filled-in attestation CSVs.
//!
//! The CSV comes from a person with a spreadsheet, so it is treated as hostile and
//! sloppy at once: a UTF-8 BOM, CRLF or LF, quoted cells with commas and line breaks are
//! accepted; columns are found by header prefix (case-insensitive, surrounding spaces
//! ignored) so `Attestation Date` and `Attestation Date (YYYY-MM-DD)` both work. Everything
//! that would silently lose or invent an answer is an error naming the row: a status other
//! than Compliant / NonCompliant / PartiallyCompliant / RiskAccepted, a date that is not ISO
//! `YYYY-MM-DD`, an unknown control id or host, a missing attestor, two rows answering the
//! same control differently. All problems are collected and reported together, and nothing
//! is applied unless the whole file is clean.

use std::collections::BTreeMap;
use std::fmt;

use super::template::*;
use super::{AttestationFile, AttestationStatus};
use crate::civil_date::Date;

/// One problem in the file; `line` is the 1-based line where the record starts (0 for
/// problems with the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

/// Why an import was refused: every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: attestation import refused ({} problem(s)); nothing was applied",
            self.file,
            self.problems.len()
        )?;
        for p in &self.problems {
            if p.line == 0 {
                write!(f, "\n  {}", p.message)?;
            } else {
                write!(f, "\n  row at line {}: {}", p.line, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// (host, control id) pairs whose record was answered by this import.
    pub applied: Vec<(String, String)>,
    /// Rows skipped because their status was blank or `Pending`.
    pub skipped_pending: usize,
}

struct Columns {
    host: Option<usize>,
    control: usize,
    name: usize,
    role: Option<usize>,
    date: usize,
    status: usize,
    evidence: Option<usize>,
    limits: Option<usize>,
    next: Option<usize>,
}

/// The part of a header before a parenthesised suffix, for prefix matching.
fn stem(col: &str) -> String {
    col.split('(').next().unwrap_or(col).trim().to_lowercase()
}

fn find(headers: &[String], col: &str) -> Option<usize> {
    let want = stem(col);
    headers
        .iter()
        .position(|h| h.trim().to_lowercase().starts_with(&want))
}

/// Physical line numbers of record starts. Computed from the bytes because the csv
/// crate's own line counter is one short after a CRLF terminator. Records come in
/// increasing offset order, so the count advances incrementally (linear overall).
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl Lines<'_> {
    /// The 1-based line on which the record at byte `offset` starts.
    fn at(&mut self, offset: u64) -> u64 {
        let b = self.bytes;
        let mut off = usize::try_from(offset).unwrap_or(b.len()).min(b.len());
        while off < b.len() && matches!(b[off], b'\r' | b'\n') {
            off += 1;
        }
        if off < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += b[self.pos..off].iter().filter(|&&c| c == b'\n').count() as u64;
        self.pos = off;
        self.line
    }
}

struct Row {
    line: u64,
    host: String,
    control: String,
    status: AttestationStatus,
    name: String,
    role: String,
    date: String,
    evidence: String,
    limits: String,
    next: String,
}

/// Parses `csv` (named `file_name` in messages) and applies it to `current`, returning the
/// updated file. `current` must hold a record for every control that may be answered.
pub fn import(
    file_name: &str,
    csv_bytes: &[u8],
    current: &AttestationFile,
) -> Result<(AttestationFile, ImportReport), ImportError> {
    let refuse = |problems: Vec<Problem>| ImportError {
        file: file_name.to_owned(),
        problems,
    };
    let whole = |m: String| {
        refuse(vec![Problem {
            line: 0,
            message: m,
        }])
    };
    let bytes = csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv_bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(whole(
            "not UTF-8 text (save the sheet as CSV UTF-8)".to_owned(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => return Err(whole(format!("unreadable header: {e}"))),
    };
    let required = [COL_CONTROL, COL_NAME, COL_DATE, COL_STATUS];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| find(&headers, c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(whole(format!(
            "missing column(s) {} (found: {})",
            missing
                .iter()
                .map(|m| format!("{:?}", stem(m)))
                .collect::<Vec<_>>()
                .join(", "),
            headers
                .iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let cols = Columns {
        host: find(&headers, COL_HOST),
        control: find(&headers, COL_CONTROL).unwrap_or(0),
        name: find(&headers, COL_NAME).unwrap_or(0),
        role: find(&headers, COL_ROLE),
        date: find(&headers, COL_DATE).unwrap_or(0),
        status: find(&headers, COL_STATUS).unwrap_or(0),
        evidence: find(&headers, COL_EVIDENCE),
        limits: find(&headers, COL_LIMITS),
        next: find(&headers, COL_NEXT),
    };

    let mut lines = Lines {
        bytes,
        pos: 0,
        line: 1,
    };
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut skipped_pending = 0usize;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                problems.push(Problem {
                    line,
                    message: format!("unreadable CSV: {e}"),
                });
                break;
            }
        };
        let line = record.position().map(|p| lines.at(p.byte())).unwrap_or(0);
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let status_text = get(Some(cols.status));
        if status_text.is_empty() || status_text == "Pending" {
            skipped_pending += 1;
            continue;
        }
        let control = get(Some(cols.control));
        let mut bad = |m: String| problems.push(Problem { line, message: m });
        let status = match AttestationStatus::parse_answer(&status_text) {
            Some(s) => s,
            None => {
                bad(format!(
                    "status {status_text:?} for {control:?} is not one of Compliant, NonCompliant, PartiallyCompliant, RiskAccepted"
                ));
                continue;
            }
        };
        if control.is_empty() {
            bad("empty Control ID".to_owned());
            continue;
        }
        let name = get(Some(cols.name));
        if name.is_empty() {
            bad(format!("no Attestor Name for {control}"));
        }
        let date = get(Some(cols.date));
        if Date::parse_iso(&date).is_none() {
            bad(format!(
                "attestation date {date:?} for {control} is not an ISO date YYYY-MM-DD"
            ));
        }
        let next = get(cols.next);
        if !next.is_empty() && Date::parse_iso(&next).is_none() {
            bad(format!(
                "next review date {next:?} for {control} is not an ISO date YYYY-MM-DD"
            ));
        }
        rows.push(Row {
            line,
            host: get(cols.host),
            control,
            status,
            name,
            role: get(cols.role),
            date,
            evidence: get(cols.evidence),
            limits: get(cols.limits),
            next,
        });
    }

    // Resolve rows to records; a blank host answers the control on every host that has it.
    let mut updated = current.clone();
    let mut answered: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut applied = Vec::new();
    for row in &rows {
        let targets: Vec<usize> = updated
            .attestations
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                a.control_id == row.control && (row.host.is_empty() || a.host == row.host)
            })
            .map(|(i, _)| i)
            .collect();
        if targets.is_empty() {
            let known_control = updated
                .attestations
                .iter()
                .any(|a| a.control_id == row.control);
            let known_host = updated.attestations.iter().any(|a| a.host == row.host);
            let message = if !known_control {
                format!(
                    "unknown control id {:?}: no attestation is pending or recorded for it in this package",
                    row.control
                )
            } else if !known_host {
                format!("unknown host {:?} for control {}", row.host, row.control)
            } else {
                format!(
                    "control {} needs no attestation on host {:?} (a scanner decided it)",
                    row.control, row.host
                )
            };
            problems.push(Problem {
                line: row.line,
                message,
            });
            continue;
        }
        for i in targets {
            let a = &mut updated.attestations[i];
            let key = (a.host.to_string(), a.control_id.to_string());
            if let Some(first) = answered.get(&key) {
                problems.push(Problem {
                    line: row.line,
                    message: format!(
                        "{} on {} is answered again (first at line {first})",
                        a.control_id, a.host
                    ),
                });
                continue;
            }
            answered.insert(key.clone(), row.line);
            a.status = row.status;
            a.attestor_name = row.name.clone();
            a.attestor_role = row.role.clone();
            a.attestation_date = row.date.clone();
            a.compliance_evidence = row.evidence.clone();
            a.known_limitations = row.limits.clone();
            a.next_review_date = row.next.clone();
            applied.push(key);
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(refuse(problems));
    }
    applied.sort();
    Ok((
        updated,
        ImportReport {
            applied,
            skipped_pending,
        },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::attest::{generate, template::template_csv};
    use crate::control_view::testkit::*;
    use crate::control_view::view;
    use crate::model::Severity::*;
    use crate::model::Status::*;

    fn current() -> AttestationFile {
        let fleet = view(&[
            host(
                "web01",
                vec![checklist(
                    "web01/a.ckl",
                    "t",
                    "",
                    vec![
                        rr("V-1", High, NotReviewed, ""),
                        rr("V-2", Low, NotReviewed, ""),
                    ],
                )],
            ),
            host(
                "db01",
                vec![checklist(
                    "db01/a.ckl",
                    "t",
                    "",
                    vec![rr("V-1", High, NotReviewed, "")],
                )],
            ),
        ])
        .unwrap();
        generate(&fleet, None)
    }

    const FULL_HEADER: &str = "Host,Control ID,Rule ID,Benchmark,Title,Attestor Name,Attestor Role,Attestation Date (YYYY-MM-DD),Compliance Status (Compliant/NonCompliant/PartiallyCompliant/RiskAccepted),Compliance Evidence,Known Limitations,Next Review Date (YYYY-MM-DD)";

    #[test]
    fn filled_template_round_trips() {
        let cur = current();
        let tpl = template_csv(&cur);
        assert!(tpl.starts_with(FULL_HEADER));
        // Fill every row as a spreadsheet would.
        let filled: String = tpl
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("{l}\n")
                } else {
                    let mut cells: Vec<String> = l.split(',').map(str::to_owned).collect();
                    cells[5] = "Jane Doe".into();
                    cells[7] = "2025-03-01".into();
                    cells[8] = "Compliant".into();
                    format!("{}\n", cells.join(","))
                }
            })
            .collect();
        let (out, report) = import("a.csv", filled.as_bytes(), &cur).unwrap();
        assert_eq!(report.applied.len(), 3);
        assert!(out.attestations.iter().all(|a| a.is_complete()));
    }

    #[test]
    fn plain_headers_bom_crlf_quoted_commas_and_newlines() {
        let cur = current();
        let csv = "\u{feff}Control ID,Attestor Name,attestation date,Compliance Status,Compliance Evidence\r\n\
                   V-1,\"Doe, Jane\",2025-03-01,NonCompliant,\"line one\r\nline two, with comma\"\r\n\
                   V-2,Bob,2025-03-02,,\r\n";
        let (out, report) = import("a.csv", csv.as_bytes(), &cur).unwrap();
        // Blank host: V-1 answered on both hosts; V-2 skipped (blank status).
        assert_eq!(
            report.applied,
            vec![
                ("db01".to_owned(), "V-1".to_owned()),
                ("web01".to_owned(), "V-1".to_owned())
            ]
        );
        assert_eq!(report.skipped_pending, 1);
        let a = out.get("web01", "V-1").unwrap();
        assert_eq!(a.attestor_name, "Doe, Jane");
        assert_eq!(a.compliance_evidence, "line one\r\nline two, with comma");
        assert_eq!(a.status, AttestationStatus::NonCompliant);
        assert_eq!(
            out.get("web01", "V-2").unwrap().status,
            AttestationStatus::Pending
        );
    }

    #[test]
    fn bad_rows_are_all_reported_with_their_lines_and_nothing_is_applied() {
        let cur = current();
        let csv = "Host,Control ID,Attestor Name,Attestation Date,Compliance Status\n\
                   web01,V-1,Ann,2025-03-01,Compliant\n\
                   web01,V-2,Ann,03/01/2025,Compliant\n\
                   web01,V-1,Ann,2025-03-01,compliant\n\
                   web01,V-999,Ann,2025-03-01,Compliant\n\
                   nohost,V-1,Ann,2025-03-01,Compliant\n\
                   db01,V-1,,2025-02-30,Compliant\n\
                   web01,V-1,Ann,2025-03-01,NonCompliant\n";
        let err = import("answers.csv", csv.as_bytes(), &cur).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("answers.csv: attestation import refused"),
            "{text}"
        );
        let lines: Vec<u64> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7, 7, 8], "{text}");
        assert!(text.contains("\"03/01/2025\""));
        assert!(text.contains("\"compliant\" for \"V-1\" is not one of"));
        assert!(text.contains("unknown control id \"V-999\""));
        assert!(text.contains("unknown host \"nohost\""));
        assert!(text.contains("no Attestor Name"));
        assert!(text.contains("answered again (first at line 2)"));
    }

    #[test]
    fn line_numbers_are_physical_lines_with_crlf_and_multiline_cells() {
        let csv = "\u{feff}Control ID,Attestor Name,Attestation Date,Compliance Status,Compliance Evidence\r\n\
                   V-1,Ann,2025-03-01,Compliant,\"two\r\nlines\"\r\n\
                   V-2,Ann,1/2/2025,Compliant,x\r\n";
        let err = import("a.csv", csv.as_bytes(), &current()).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].line, 4, "{err}");
    }

    #[test]
    fn wrong_columns_name_what_is_missing_and_what_was_found() {
        let err = import("x.csv", b"Control,Who,When,Status\nV-1,a,b,c\n", &current()).unwrap_err();
        assert_eq!(err.problems.len(), 1);
        let m = &err.problems[0].message;
        assert!(m.contains("\"control id\""), "{m}");
        assert!(m.contains("found: \"Control\""), "{m}");
        let err = import("x.csv", b"\xff\xfe,", &current()).unwrap_err();
        assert!(err.to_string().contains("not UTF-8"));
    }

    #[test]
    fn hostile_cells_are_kept_as_data() {
        let cur = current();
        let csv = "Host,Control ID,Attestor Name,Attestation Date,Compliance Status,Compliance Evidence\n\
                   web01,V-2,=cmd|' /C calc'!A0,2025-03-01,Compliant,\"<script>\"\"x\"\"</script>\"\n";
        let (out, _) = import("x.csv", csv.as_bytes(), &cur).unwrap();
        let a = out.get("web01", "V-2").unwrap();
        assert_eq!(a.attestor_name, "=cmd|' /C calc'!A0");
        assert_eq!(a.compliance_evidence, "<script>\"x\"</script>");
        // ...and neutralised when written back to a sheet.
        assert!(template_csv(&out).contains(",'=cmd|' /C calc'!A0,"));
    }
}
