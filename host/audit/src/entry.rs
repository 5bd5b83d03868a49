//! What one audit record holds, and how it becomes the exact bytes of one log line.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AuditError;

/// `prev` of the first entry: 64 zeros.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It did everything it set out to do.
    Success,
    /// It did nothing useful.
    Failure,
    /// Some of it succeeded (e.g. some hosts of a fleet).
    Partial,
}

impl Outcome {
    /// The word written in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Partial => "partial",
        }
    }
}

/// What a caller records; the log adds `seq`, `time`, `actor` and `prev`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    /// What was done, e.g. `export-ckl`, `fleet-apply-host`.
    pub action: String,
    /// What it was done to: a package path, a host, a file.
    pub target: String,
    /// How it ended.
    pub result: Outcome,
    /// Structured facts (counts, digests, exit codes). Must be a JSON object; it is masked
    /// before it is written.
    pub details: Value,
}

impl EntryDraft {
    /// A draft with empty details.
    pub fn new(action: impl Into<String>, target: impl Into<String>, result: Outcome) -> Self {
        Self {
            action: action.into(),
            target: target.into(),
            result,
            details: Value::Object(Default::default()),
        }
    }

    /// Replaces the details object.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// One record of the log, exactly as stored.
///
/// Field names are the on-disk keys; the line is the RFC 8785 canonical JSON of this
/// struct, so keys appear sorted and the bytes are reproducible from the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 0-based position in the log.
    pub seq: u64,
    /// UTC time of the append, RFC 3339.
    pub time: String,
    /// `user@machine` of the process that appended.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// How it ended.
    pub result: Outcome,
    /// Structured facts, always a JSON object.
    pub details: Value,
    /// Lowercase hex SHA-256 of the previous line's bytes ([`GENESIS_PREV`] for seq 0).
    pub prev: String,
}

impl Entry {
    /// The canonical line bytes (no trailing newline).
    pub fn to_line(&self) -> Result<Vec<u8>, AuditError> {
        if !self.details.is_object() {
            return Err(AuditError::Serialize(
                "details must be a JSON object".into(),
            ));
        }
        serde_json_canonicalizer::to_vec(self).map_err(|e| AuditError::Serialize(e.to_string()))
    }

    /// The time as a timestamp, if it parses.
    pub fn timestamp(&self) -> Option<time::OffsetDateTime> {
        time::OffsetDateTime::parse(&self.time, &time::format_description::well_known::Rfc3339).ok()
    }
}
