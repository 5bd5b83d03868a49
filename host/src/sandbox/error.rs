//! Why a component run failed, kept apart by who is at fault: the inputs (the operator can
//! fix them), the component (a hostile or broken guest), the limits, or the host itself.

use std::path::PathBuf;

/// A failed component run. The component's captured stderr is attached where it exists,
/// because a guest's own message is usually the fastest way to the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The component reported bad input and named the file.
    #[error("{component}: invalid input {file}: {reason}")]
    InvalidInput {
        component: String,
        file: String,
        reason: String,
    },
    /// The component does not do what was asked.
    #[error("{component}: unsupported: {0}", .message)]
    Unsupported { component: String, message: String },
    /// The component reported an internal failure (including a sandbox refusal it met).
    #[error("{component}: component failed: {message}{}", stderr_suffix(.stderr))]
    ComponentFailed {
        component: String,
        message: String,
        stderr: String,
    },
    /// The guest ran out of fuel: an endless loop or a job beyond its budget.
    #[error(
        "{component}: exceeded its fuel budget of {fuel} units (raise it with --component-fuel)"
    )]
    OutOfFuel { component: String, fuel: u64 },
    /// The guest tried to grow memory, tables or instances beyond the cap. The message
    /// names the component, the cap in MiB and the option (with a value) that raises it;
    /// the caller's context says what the run was doing.
    #[error(
        "{component}: exceeded the memory limit of {limit_bytes} bytes ({} MiB per component run); raise it with --component-memory-mb, e.g. --component-memory-mb {}",
        .limit_bytes >> 20,
        (.limit_bytes >> 20).saturating_mul(2).max(1)
    )]
    OutOfMemory { component: String, limit_bytes: u64 },
    /// The guest wrote more than allowed into `/output`.
    #[error("{component}: output limit exceeded: {what}")]
    OutputLimit { component: String, what: String },
    /// The guest flooded stdout or stderr.
    #[error("{component}: wrote more than {limit} bytes to stdout/stderr")]
    StdioLimit { component: String, limit: usize },
    /// The guest trapped (panic, unreachable, bad memory access).
    #[error("{component}: trapped: {message}{}", stderr_suffix(.stderr))]
    Trap {
        component: String,
        message: String,
        stderr: String,
    },
    /// The guest's list of written files disagrees with `/output`, or names a bad path.
    #[error("{component}: broke the output contract: {0}", .message)]
    Contract { component: String, message: String },
    /// The bytes are not a component this host can run.
    #[error("{component}: cannot load: {message}")]
    Load { component: String, message: String },
    /// A pinned digest did not match the bytes.
    #[error("{component}: SHA-256 is {actual}, but {expected} was pinned")]
    DigestMismatch {
        component: String,
        expected: String,
        actual: String,
    },
    /// Host-side I/O (staging directories, cache, hashing).
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A wasmtime error that is the host's fault, not the guest's.
    #[error("sandbox: {0}")]
    Host(String),
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!("\n--- component stderr ---\n{}", stderr.trim_end())
    }
}

impl SandboxError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SandboxError::Io {
            path: path.into(),
            source,
        }
    }

    /// True when the operator's inputs are at fault (exit code 3), not the tool.
    pub fn is_input_error(&self) -> bool {
        matches!(self, SandboxError::InvalidInput { .. })
    }
}
