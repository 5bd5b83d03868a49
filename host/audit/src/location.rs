//! Where the log lives when the user does not say: one documented rule, used by every
//! command, so all of them write to the same log.

use std::path::{Path, PathBuf};

use crate::AuditError;

/// Environment variable that names the log (below `--audit-log`, above the default).
pub const ENV_AUDIT_LOG: &str = "STIGPACK_AUDIT_LOG";

/// The log path when no `--audit-log` is given: `$STIGPACK_AUDIT_LOG`, else
/// `$XDG_STATE_HOME/stigpack/audit.jsonl`, else `~/.local/state/stigpack/audit.jsonl`
/// (on Windows `%LOCALAPPDATA%\stigpack\audit.jsonl`).
pub fn default_log_path() -> Result<PathBuf, AuditError> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = var(ENV_AUDIT_LOG) {
        return Ok(p);
    }
    // The XDG spec says relative values are invalid and must be ignored.
    if let Some(p) = var("XDG_STATE_HOME").filter(|p| p.is_absolute()) {
        return Ok(p.join("stigpack").join("audit.jsonl"));
    }
    if let Some(home) = var("HOME") {
        return Ok(home.join(".local/state/stigpack/audit.jsonl"));
    }
    if let Some(local) = var("LOCALAPPDATA") {
        return Ok(local.join("stigpack").join("audit.jsonl"));
    }
    Err(AuditError::NoLocation(format!(
        "none of --audit-log, {ENV_AUDIT_LOG}, XDG_STATE_HOME, HOME or LOCALAPPDATA is set"
    )))
}

/// `--audit-log` if given, else [`default_log_path`].
pub fn resolve_log_path(cli: Option<&Path>) -> Result<PathBuf, AuditError> {
    match cli {
        Some(p) => Ok(p.to_path_buf()),
        None => default_log_path(),
    }
}

/// Directory where checkpoints of `log` are stored: `<log>.checkpoints/` beside it.
pub fn checkpoint_dir(log: &Path) -> PathBuf {
    let mut name = log
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".checkpoints");
    log.with_file_name(name)
}
