//! Exit codes, one per kind of outcome an operator or a script must tell apart. The table
//! in `docs/cli.md` is the contract; the end-to-end tests
//! in `tests/` (the end-to-end tests) check that each code is really returned.

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
                // A trap is a panic or a bug, never a limit (limits have their own
                // variants): bad input when the guest's hook named the file it was
                // reading, otherwise an internal error. Exit 7 is for the limits and rules.
                SandboxError::Trap { stderr, .. } if trapped_file(stderr).is_some() => {
                    Exit::BadInput
                }
                SandboxError::Trap { .. } => Exit::Internal,
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

/// The file a component was parsing when it trapped, as its panic hook printed it
/// (`stigpack-<component>: trapped while reading <file>`; `import` prints it today, and any
/// guest that adopts the same hook gets the same exit code).
pub fn trapped_file(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find_map(|l| {
            let (who, file) = l.split_once(": trapped while reading ")?;
            who.strip_prefix("stigpack-")
                .filter(|c| !c.is_empty() && !c.contains(char::is_whitespace))?;
            Some(file)
        })
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
        // The same hook in another component names its file the same way.
        let emass = trap("stigpack-emass: trapped while reading layout/custom.json\npanicked");
        assert_eq!(code_for(&emass), Exit::BadInput);
        // A trap with no file named is an internal error (a bug), never a sandbox matter.
        assert_eq!(code_for(&trap("panicked at x")), Exit::Internal);
        assert_eq!(
            code_for(&trap("stigpack-import: trapped while reading \n")),
            Exit::Internal
        );
        assert_eq!(
            code_for(&trap("x: trapped while reading a.ckl")),
            Exit::Internal
        );
    }

    #[test]
    fn only_limits_and_rule_breaking_are_exit_7() {
        let c = || "emass".to_string();
        let limits = [
            SandboxError::OutOfFuel {
                component: c(),
                fuel: 1,
            },
            SandboxError::OutOfMemory {
                component: c(),
                limit_bytes: 1,
            },
            SandboxError::OutputLimit {
                component: c(),
                what: "x".into(),
            },
            SandboxError::StdioLimit {
                component: c(),
                limit: 1,
            },
            SandboxError::Contract {
                component: c(),
                message: "x".into(),
            },
        ];
        for e in limits {
            let shown = e.to_string();
            assert_eq!(code_for(&anyhow::Error::new(e)), Exit::Sandbox, "{shown}");
        }
        for component in ["import", "checklist", "emass", "third-party"] {
            let e = anyhow::Error::new(SandboxError::Trap {
                component: component.into(),
                message: "wasm trap: wasm `unreachable` instruction executed".into(),
                stderr: "panicked at src/lib.rs:1:1".into(),
            });
            assert_eq!(code_for(&e), Exit::Internal, "{component}");
        }
    }
}
