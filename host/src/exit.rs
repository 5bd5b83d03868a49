//! Exit codes, one per kind of outcome an operator or a script must tell apart. The table
//! in `docs/cli.md` is the contract; the end-to-end tests
//! in `host/tests/` check that each code is really returned.

use std::process::ExitCode;

use crate::sandbox::SandboxError;

/// Every exit code stigpack uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Done; for `validate`: the package is valid and ready.
    Success = 0,
    /// A fault of the tool or its environment (I/O error, bug).
    Internal = 1,
    /// The command line is wrong, or the target exists and `--force` was not given.
    Usage = 2,
    /// An input file is malformed or unsafe; the message names it.
    BadInput = 3,
    /// `validate`: the package is valid but not ready for submission.
    NotReady = 4,
    /// `validate`/`reproduce`: the package is invalid or does not reproduce.
    Invalid = 5,
    /// `audit verify`: the audit log fails verification.
    AuditFailed = 6,
    /// A component broke a sandbox rule or exceeded a limit.
    Sandbox = 7,
    /// A fleet operation failed on one or more hosts (the others completed).
    Fleet = 8,
    /// `--keep-going`: every readable host was exported; one or more hosts could not be
    /// read and were left out (listed on stderr and in the output).
    Partial = 9,
    /// `verify`/`unseal`: a file differs from its recorded checksum.
    Checksum = 10,
    /// `verify`/`unseal`: a signature is missing, invalid for the pinned key, or signs
    /// other files than those present.
    Signature = 11,
    /// `verify`/`unseal`: the bundle's shape is wrong (extra, missing, unsafe, non-regular
    /// or oversized entries).
    Structure = 12,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// An error that knows which exit code it deserves. It displays its inner error's whole
/// chain itself and exposes no `source`, so `{:#}` prints each message once.
#[derive(Debug, thiserror::Error)]
#[error("{inner:#}")]
pub struct Coded {
    pub code: Exit,
    pub inner: anyhow::Error,
}

/// Attach an exit code to an error.
pub fn coded(code: Exit, source: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        code,
        inner: source.into(),
    })
}

/// The exit code for an error that reached `main`.
pub fn code_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<Coded>() {
            return c.code;
        }
        if let Some(s) = cause.downcast_ref::<SandboxError>() {
            return match s {
                SandboxError::InvalidInput { .. } => Exit::BadInput,
                // A parser that panicked on a file is bad input; the hook named the file.
                SandboxError::Trap { stderr, .. } if trapped_file(stderr).is_some() => {
                    Exit::BadInput
                }
                SandboxError::Io { .. } | SandboxError::Host(_) => Exit::Internal,
                _ => Exit::Sandbox,
            };
        }
        if cause.downcast_ref::<stig_formats::Error>().is_some() {
            return Exit::BadInput;
        }
    }
    Exit::Internal
}

/// The file the `import` component was parsing when it trapped, as its panic hook printed
/// it (`stigpack-import: trapped while reading <file>`).
pub fn trapped_file(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("stigpack-import: trapped while reading "))
        .filter(|f| !f.is_empty())
}

pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_trap_that_names_its_file_is_bad_input() {
        let trap = |stderr: &str| {
            anyhow::Error::new(SandboxError::Trap {
                component: "import".into(),
                message: "wasm trap: unreachable".into(),
                stderr: stderr.into(),
            })
        };
        let named = trap("stigpack-import: trapped while reading scans/h1/a.ckl\npanicked at x");
        assert_eq!(code_for(&named), Exit::BadInput);
        assert!(format!("{named:#}").contains("scans/h1/a.ckl"));
        // A trap with no file named stays a sandbox matter.
        assert_eq!(code_for(&trap("panicked at x")), Exit::Sandbox);
        assert_eq!(
            code_for(&trap("stigpack-import: trapped while reading \n")),
            Exit::Sandbox
        );
    }
}
