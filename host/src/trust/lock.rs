//! `stigpack.components.lock`: which component fills which role, pinned by digest, with
//! the signed review that admitted it; and beside it `components/sha256/<hex>.wasm`, a
//! content-addressed store, so that what was reviewed is what runs even if the file the
//! reviewer pointed at is later replaced.
//!
//! The lock is JSON (a reviewer diffs it in a merge request), entries sorted by role and
//! name, written to a temporary file and renamed, so a crash leaves the old lock whole.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::review::Role;

/// The file name when no path is given.
pub const LOCK_FILE_NAME: &str = "stigpack.components.lock";
/// The environment variable naming the lock file.
pub const ENV_LOCK: &str = "STIGPACK_COMPONENTS_LOCK";
const LOCK_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: {what}: {source}")]
    Io {
        path: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: not a components lock file: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error(
        "{path}: the store holds {actual} under the name of {expected}: the store was altered"
    )]
    StoreAltered {
        path: PathBuf,
        expected: String,
        actual: String,
    },
}

/// A revoked review stays in the lock, so the record of who admitted what survives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Revocation {
    pub at: String,
    pub reason: String,
}

/// One pinned component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockEntry {
    pub role: Role,
    /// The component's `info()` name at review time.
    pub name: String,
    pub sha256: String,
    pub size: u64,
    /// The DSSE envelope of the review, as signed.
    pub review: serde_json::Value,
    /// SHA-256 of the envelope's payload (the signed statement bytes).
    pub review_statement_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockFile {
    pub lock_version: u32,
    pub components: Vec<LockEntry>,
}

impl Default for LockFile {
    fn default() -> Self {
        LockFile {
            lock_version: LOCK_VERSION,
            components: Vec::new(),
        }
    }
}

/// The lock's path: the option, else `$STIGPACK_COMPONENTS_LOCK`, else the config file's
/// `components_lock`, else `stigpack.components.lock` in the user's config directory
/// (`$XDG_CONFIG_HOME/stigpack/` or `~/.config/stigpack/`).
pub fn resolve_path(arg: Option<&Path>, configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = arg {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(ENV_LOCK).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = configured {
        return Some(p.to_path_buf());
    }
    Some(super::config::config_dir()?.join(LOCK_FILE_NAME))
}

impl LockFile {
    /// Reads the lock; a missing file is an empty lock (nothing admitted).
    pub fn load(path: &Path) -> Result<LockFile, LockError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LockFile::default()),
            Err(source) => {
                return Err(LockError::Io {
                    path: path.into(),
                    what: "reading the lock",
                    source,
                })
            }
        };
        let lock: LockFile = serde_json::from_slice(&bytes).map_err(|e| LockError::Malformed {
            path: path.into(),
            message: e.to_string(),
        })?;
        if lock.lock_version != LOCK_VERSION {
            return Err(LockError::Malformed {
                path: path.into(),
                message: format!(
                    "lock version {} (this stigpack reads {LOCK_VERSION})",
                    lock.lock_version
                ),
            });
        }
        Ok(lock)
    }

    /// Writes the lock atomically, entries in (role, name) order.
    pub fn save(&mut self, path: &Path) -> Result<(), LockError> {
        self.components
            .sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| LockError::Malformed {
            path: path.into(),
            message: e.to_string(),
        })?;
        text.push(b'\n');
        write_atomic(path, &text, "writing the lock")
    }

    /// Adds or replaces the entry for (role, name).
    pub fn pin(&mut self, entry: LockEntry) {
        self.components
            .retain(|e| !(e.role == entry.role && e.name == entry.name));
        self.components.push(entry);
    }

    /// The entry for (role, name).
    pub fn find(&self, role: Role, name: &str) -> Option<&LockEntry> {
        self.components
            .iter()
            .find(|e| e.role == role && e.name == name)
    }
}

/// Where the store keeps the bytes of the component with digest `sha256`.
pub fn store_path(lock: &Path, sha256: &str) -> PathBuf {
    lock.parent()
        .unwrap_or(Path::new("."))
        .join("components")
        .join("sha256")
        .join(format!("{sha256}.wasm"))
}

/// Copies component bytes into the store (idempotent).
pub fn store_put(lock: &Path, sha256: &str, bytes: &[u8]) -> Result<PathBuf, LockError> {
    let path = store_path(lock, sha256);
    if path.exists() {
        store_get(lock, sha256)?;
        return Ok(path);
    }
    write_atomic(&path, bytes, "writing the component store")?;
    Ok(path)
}

/// Reads component bytes back from the store, checking they still hash to their name.
pub fn store_get(lock: &Path, sha256: &str) -> Result<Vec<u8>, LockError> {
    let path = store_path(lock, sha256);
    let bytes = std::fs::read(&path).map_err(|source| LockError::Io {
        path: path.clone(),
        what: "reading the component store",
        source,
    })?;
    let actual = crate::hashing::sha256_hex(&bytes);
    if actual != sha256 {
        return Err(LockError::StoreAltered {
            path,
            expected: sha256.into(),
            actual,
        });
    }
    Ok(bytes)
}

fn write_atomic(path: &Path, bytes: &[u8], what: &'static str) -> Result<(), LockError> {
    let io = |path: &Path, source| LockError::Io {
        path: path.into(),
        what,
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".stigpack-lock-")
        .tempfile_in(&dir)
        .map_err(|e| io(&dir, e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| io(path, e.error))?;
    Ok(())
}
