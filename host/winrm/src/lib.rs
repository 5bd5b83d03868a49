//! WinRM client for STIG-hardened Windows hosts (issue 3; docs/winrm.md).
//!
//! Layers, bottom up: [`encryption`] (the `multipart/encrypted` framing of SPNEGO-sealed
//! messages), [`auth`] (Basic; NTLM and Kerberos with a password via `sspi`; Kerberos with
//! the ticket from the credential cache via MIT's GSSAPI; all behind the `SecurityContext`
//! seam), [`transport`] (one hyper HTTP/1 connection per security context, rustls),
//! [`soap`] (WS-Management/WinRS requests and response/fault parsing), [`client`] (shells,
//! commands, the Receive loop, retries, cleanup guards), [`scripts`] (the PowerShell the
//! client sends and its output contract), [`ops`] (status, run a tool, list, hash,
//! verified pulls) and [`fleet`] (inventory, concurrency, collect).
//!
//! The simulator (`stigpack-winrm-sim`) shares [`encryption`] and [`scripts`] with the
//! client, so both sides speak from one definition.

// Tests may unwrap (brief); library code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod auth;
pub mod client;
pub mod credentials;
pub mod encryption;
pub mod error;
pub mod fleet;
pub mod ops;
pub mod scripts;
pub mod soap;
pub mod transport;

pub use auth::{Auth, KerberosAuth};
pub use client::{Client, ClientConfig, CommandOutput, Replay, RetryPolicy, Shell, StreamKind};
pub use credentials::{Credentials, Secret};
pub use error::{Error, ErrorKind, PullCap};
pub use ops::{PulledFile, Transfer};
pub use transport::{CertCheck, Endpoint, TlsOptions, Transport, TransportConfig};

/// The project's `shared/` directory (samples, reference material) for tests:
/// `$STIGPACK_SHARED_DIR` when set (scripts/test.sh sets it), else beside the checkout.
#[cfg(test)]
pub(crate) fn shared_dir() -> std::path::PathBuf {
    std::env::var_os("STIGPACK_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}
