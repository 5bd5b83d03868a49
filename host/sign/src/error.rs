//! The one error type of the signing library. Messages name the file involved and never
//! contain key material.

use std::path::PathBuf;

/// Errors from reading keys, signing and verifying.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A filesystem operation on a key file failed.
    #[error("{}: cannot {what}", path.display())]
    Io {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A key file exists where a new one was to be written.
    #[error("{}: already exists; refusing to overwrite a key", path.display())]
    Exists { path: PathBuf },
    /// A private key file that group or others may read.
    #[error("{}: private key is readable by group or others (mode {mode:o}); run `chmod 600 {}`", path.display(), path.display())]
    KeyPermissions { path: PathBuf, mode: u32 },
    /// A key file that is not the expected PEM form.
    #[error("{}: {reason}", path.display())]
    KeyFormat { path: PathBuf, reason: String },
    /// The OS gave no randomness.
    #[error("no randomness from the OS: {0}")]
    Random(String),
    /// A DSSE envelope that is not well formed.
    #[error("DSSE envelope: {0}")]
    Envelope(String),
    /// No signature of the envelope verifies with any trusted key.
    #[error("DSSE envelope: no signature verifies with the trusted key(s) {trusted}")]
    BadSignature { trusted: String },
    /// A statement that could not be serialised.
    #[error("statement: {0}")]
    Statement(String),
}
