//! WinRM client for STIG-hardened Windows hosts (issue 3).
//!
//! The pieces the simulator (`stigpack-winrm-sim`) shares with the client live here so
//! both sides speak from one definition: [`encryption`] (the `multipart/encrypted`
//! framing of SPNEGO-sealed messages) and [`scripts`] (the PowerShell the client sends,
//! the machine-readable marker on its first line, and the output contract of each).

// Tests may unwrap (brief); library code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod encryption;
pub mod scripts;
pub mod soap;
