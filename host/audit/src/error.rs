//! The one error type of the audit library: every variant names the file it is about, so
//! the CLI can print it unchanged.

use std::path::PathBuf;

/// Errors from opening, appending to, proving from or repairing an audit log.
///
/// Verification findings are not errors: they come back in a [`crate::VerifyReport`].
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A filesystem operation failed. The OS error is the `source` (printed by
    /// `{:#}`-style error chains), not repeated in this message.
    #[error("{}: cannot {what}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The log ends in a line without its newline (an interrupted append); nothing can be
    /// appended until `stigpack audit repair` removes it.
    #[error("{}: the last line is torn (an append was interrupted at byte {offset}); run `stigpack audit repair`", path.display())]
    TornTail {
        /// The log file.
        path: PathBuf,
        /// Byte offset where the torn line starts.
        offset: u64,
    },
    /// A complete line of the log is not a valid entry.
    #[error("{}: entry at line {line} is invalid: {reason}; run `stigpack audit verify`", path.display(), line = index + 1)]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// 0-based line index.
        index: u64,
        /// What is wrong.
        reason: String,
    },
    /// A requested position is outside the log.
    #[error("{what} {value} is outside a log of {size} entries")]
    OutOfRange {
        /// What the number is (seq, tree size, ...).
        what: &'static str,
        /// The requested number.
        value: u64,
        /// Entries in the log.
        size: u64,
    },
    /// A checkpoint file or text is malformed or does not verify.
    #[error("{source_name}: {reason}")]
    Checkpoint {
        /// File name, or "checkpoint" for text that did not come from a file.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// A key file is malformed.
    #[error("{}: {reason}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No location for the log could be worked out.
    #[error("cannot locate the audit log: {0}")]
    NoLocation(String),
    /// An entry could not be serialised.
    #[error("cannot serialise audit entry: {0}")]
    Serialize(String),
    /// `repair` found damage it must not fix (anything but a torn tail).
    #[error("{}: refusing to repair: {reason}", path.display())]
    RepairRefused {
        /// The log file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl AuditError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        what: &'static str,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| AuditError::Io { path, what, source }
    }
}
