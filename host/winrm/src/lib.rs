//! WinRM client for STIG-hardened Windows hosts (issue 3).
//!
//! The pieces the simulator (`stigpack-winrm-sim`) shares with the client live here so
//! both sides speak from one definition: [`encryption`] (the `multipart/encrypted`
//! framing of SPNEGO-sealed messages) and [`scripts`] (the PowerShell the client sends,
//! the machine-readable marker on its first line, and the output contract of each).

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

pub use auth::Auth;
pub use client::{Client, ClientConfig, CommandOutput, Replay, RetryPolicy, Shell, StreamKind};
pub use credentials::{Credentials, Secret};
pub use error::{Error, ErrorKind};
pub use ops::PulledFile;
pub use transport::{CertCheck, Endpoint, TlsOptions, Transport, TransportConfig};
