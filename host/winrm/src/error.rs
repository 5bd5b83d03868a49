//! The client's error: always names the host, then says what happened.

use std::path::PathBuf;

use crate::soap::{SoapError, WsmanFault};
use crate::transport::TransportError;

/// A failure talking to one host.
#[derive(Debug, thiserror::Error)]
#[error("{host}: {kind}")]
pub struct Error {
    /// The host's display name (inventory name or endpoint host).
    pub host: String,
    #[source]
    pub kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("{0}")]
    Fault(Box<WsmanFault>),
    #[error("unexpected reply: {0}")]
    Protocol(SoapError),
    #[error("remote script `{op}` failed with exit code {exit_code}: {stderr}")]
    Script {
        op: String,
        exit_code: i32,
        stderr: String,
    },
    #[error("remote `{op}` printed output that does not follow its contract: {detail}")]
    BadOutput { op: String, detail: String },
    #[error("command output exceeds {0} bytes")]
    OutputTooLarge(usize),
    #[error("remote path not found: {0}")]
    NotFound(String),
    #[error("{remote}: transfer ended at {got} of {expected} bytes (file shrank or output was truncated)")]
    ShortRead {
        remote: String,
        got: u64,
        expected: u64,
    },
    #[error("{remote}: SHA-256 mismatch (remote {expected}, received {actual}); file changed during transfer or data was corrupted")]
    HashMismatch {
        remote: String,
        expected: String,
        actual: String,
    },
    #[error("{remote}: pull refused: {cap}")]
    PullRefused { remote: String, cap: PullCap },
    #[error("{remote}: corrupt compressed stream (read-gzip): {detail}")]
    CorruptCompressed { remote: String, detail: String },
    #[error("unsafe remote path {0:?} (absolute, `..`, or not a plain relative path)")]
    UnsafePath(String),
    #[error("{path}: {source}")]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The limit a pull hit: each bounds what a hostile host can make the client write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullCap {
    /// More decompressed bytes than the range the client asked for (whose size the host
    /// reported before the pull): a gzip bomb, or a file that grew during the pull.
    #[error("decompressed output passed the {expected} bytes asked for (expected-size cap)")]
    ExpectedSize { expected: u64 },
    /// The host reports a file larger than `ClientConfig::max_pull_bytes`.
    #[error("the host reports {size} bytes, over max_pull_bytes ({cap})")]
    MaxBytes { size: u64, cap: u64 },
    /// Decompressed bytes outgrew `ClientConfig::max_expansion_ratio` times the compressed
    /// bytes received.
    #[error(
        "{decompressed} bytes from {compressed} compressed passed max_expansion_ratio {cap}:1"
    )]
    ExpansionRatio {
        cap: u64,
        compressed: u64,
        decompressed: u64,
    },
}

impl ErrorKind {
    /// Whether retrying the operation later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ErrorKind::Transport(t) => t.is_transient(),
            ErrorKind::Fault(f) => f.is_busy(),
            _ => false,
        }
    }

    pub(crate) fn from_soap(e: SoapError) -> Self {
        match e {
            SoapError::Fault(f) => ErrorKind::Fault(f),
            other => ErrorKind::Protocol(other),
        }
    }
}

impl Error {
    pub fn is_transient(&self) -> bool {
        self.kind.is_transient()
    }

    /// The WS-Management fault, if the host answered with one.
    pub fn fault(&self) -> Option<&WsmanFault> {
        match &self.kind {
            ErrorKind::Fault(f) => Some(f),
            _ => None,
        }
    }
}
