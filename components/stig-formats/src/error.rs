//! The one error type of the format library.
//!
//! Every failure names the input file and says what is wrong with it, because the person
//! reading the message is an operator with hundreds of scan files and no debugger. The
//! kind is `#[non_exhaustive]` so new checks can be added without breaking callers.

use std::fmt;

/// A format error: which file, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file name the caller passed in (empty for checks that are not about a file,
    /// such as [`crate::host::safe_host_component`]).
    pub file: String,
    pub kind: ErrorKind,
}

impl Error {
    pub fn new(file: &str, kind: ErrorKind) -> Self {
        Error {
            file: file.to_owned(),
            kind,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.file, self.kind)
        }
    }
}

impl std::error::Error for Error {}

/// What is wrong. Positions are 1-based lines and 0-based byte offsets into the input.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("malformed XML at line {line} (byte {byte}): {message}")]
    MalformedXml {
        line: u64,
        byte: u64,
        message: String,
    },
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("wrong JSON type at {pointer}: expected {expected}, found {found}")]
    WrongJsonType {
        /// RFC 6901 JSON pointer of the value, e.g. `/stigs/0/rules/3/group_tree`.
        pointer: String,
        expected: &'static str,
        /// The start of the value's JSON text.
        found: String,
    },
    #[error("DTD/entity declarations are refused (line {line}); a scan file never needs one and expanding them is an attack vector")]
    DtdRefused { line: u64 },
    #[error("undefined entity reference `&{name};` at line {line} (only the five XML entities and character references are accepted)")]
    UnknownEntity { name: String, line: u64 },
    #[error("bad encoding: {detail}; only UTF-8 is accepted (re-save the file as UTF-8)")]
    BadEncoding { detail: String },
    #[error("truncated document: {detail}")]
    Truncated { detail: String },
    #[error("unknown {format} status {value:?} (expected one of: {expected})")]
    UnknownStatus {
        format: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("unknown severity {value:?} in {context} (expected high, medium or low)")]
    UnknownSeverity { value: String, context: String },
    #[error("missing required element {element}")]
    MissingElement { element: String },
    #[error("invalid value {value:?} for {field}: {reason}")]
    InvalidValue {
        field: String,
        value: String,
        reason: String,
    },
    #[error("not a {expected}: {detail}")]
    WrongDocument {
        expected: &'static str,
        detail: String,
    },
    #[error("input too large: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("unsafe host name {name:?}: {reason}")]
    UnsafeHostName { name: String, reason: &'static str },
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;
