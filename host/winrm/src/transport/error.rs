//! Transport errors, classified: transient ones (refused, reset, timeouts, 5xx) may be
//! retried; authentication and protocol errors never are.

use std::time::Duration;

use crate::auth::AuthError;
use crate::encryption::FramingError;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid endpoint {0}")]
    InvalidEndpoint(String),
    #[error(
        "Basic authentication over plain HTTP would send the password in clear; use HTTPS or NTLM"
    )]
    BasicOverHttp,
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    #[error("connect timed out after {0:?}")]
    ConnectTimeout(Duration),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("no reply within {0:?}")]
    ReadTimeout(Duration),
    #[error("authentication failed: {0}")]
    Auth(#[from] AuthError),
    #[error("authentication rejected: {0}")]
    AuthRejected(String),
    #[error("server answered HTTP {status}{detail}")]
    Http { status: u16, detail: String },
    #[error("request larger than the server's MaxEnvelopeSizekb (HTTP 413)")]
    EnvelopeTooLarge,
    #[error("reply larger than {0} bytes")]
    ResponseTooLarge(usize),
    #[error("encrypted reply: {0}")]
    Encryption(#[from] FramingError),
    #[error("server sent an unencrypted reply (HTTP {0}) on an encrypted session")]
    UnencryptedReply(u16),
}

impl TransportError {
    /// Whether retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            TransportError::Connect(_)
            | TransportError::ConnectTimeout(_)
            | TransportError::Connection(_)
            | TransportError::ReadTimeout(_) => true,
            TransportError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Whether the request certainly never reached the server (safe to retry anything).
    pub fn before_send(&self) -> bool {
        matches!(
            self,
            TransportError::Connect(_) | TransportError::ConnectTimeout(_) | TransportError::Tls(_)
        )
    }

    /// The HTTP status of an error answer, if the server answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            TransportError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn from_hyper(e: hyper::Error) -> Self {
        TransportError::Connection(e.to_string())
    }

    pub(crate) fn from_status(status: hyper::StatusCode, body: &[u8]) -> Self {
        match status.as_u16() {
            401 => TransportError::AuthRejected("server refused the credentials (HTTP 401)".into()),
            413 => TransportError::EnvelopeTooLarge,
            s => {
                let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
                let text = text.trim();
                TransportError::Http {
                    status: s,
                    detail: if text.is_empty() {
                        String::new()
                    } else {
                        format!(": {text}")
                    },
                }
            }
        }
    }
}
