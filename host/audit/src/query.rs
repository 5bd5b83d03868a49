//! Reading entries back for `audit show`, with the filters it offers. Reading never
//! verifies (that is `verify`'s job) but does report lines that are not entries.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::canonical::reference_check;
use crate::entry::Entry;
use crate::AuditError;

/// Which entries to list. Empty filter = all.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Exact action name.
    pub action: Option<String>,
    /// Substring of the target.
    pub target: Option<String>,
    /// Entries at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Entries at or before this time.
    pub until: Option<OffsetDateTime>,
}

impl EntryFilter {
    /// Whether `e` passes. Entries whose time does not parse fail any time bound.
    pub fn matches(&self, e: &Entry) -> bool {
        if self.action.as_deref().is_some_and(|a| a != e.action) {
            return false;
        }
        if self
            .target
            .as_deref()
            .is_some_and(|t| !e.target.contains(t))
        {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = e.timestamp() else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u) {
                return false;
            }
        }
        true
    }
}

/// Iterator over the entries of a log that pass a filter.
#[derive(Debug)]
pub struct Entries {
    path: PathBuf,
    reader: BufReader<File>,
    filter: EntryFilter,
    index: u64,
    offset: u64,
    buf: Vec<u8>,
    done: bool,
}

/// Opens `path` for reading entries that pass `filter`.
pub fn entries(path: &Path, filter: EntryFilter) -> Result<Entries, AuditError> {
    let f = File::open(path).map_err(AuditError::io(path, "open audit log"))?;
    Ok(Entries {
        path: path.to_owned(),
        reader: BufReader::with_capacity(1 << 20, f),
        filter,
        index: 0,
        offset: 0,
        buf: Vec::new(),
        done: false,
    })
}

impl Iterator for Entries {
    type Item = Result<Entry, AuditError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            let n = match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(n) => n,
                Err(e) => {
                    self.done = true;
                    return Some(Err(AuditError::io(&self.path, "read")(e)));
                }
            };
            if n == 0 {
                self.done = true;
                return None;
            }
            let offset = self.offset;
            self.offset += n as u64;
            if self.buf.last() != Some(&b'\n') {
                self.done = true;
                return Some(Err(AuditError::TornTail {
                    path: self.path.clone(),
                    offset,
                }));
            }
            let line = &self.buf[..self.buf.len() - 1];
            let index = self.index;
            self.index += 1;
            match reference_check(line) {
                Ok((_, e)) => {
                    if self.filter.matches(&e) {
                        return Some(Ok(e));
                    }
                }
                Err(p) => {
                    return Some(Err(AuditError::Corrupt {
                        path: self.path.clone(),
                        index,
                        reason: p.to_string(),
                    }))
                }
            }
        }
        None
    }
}
