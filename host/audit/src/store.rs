//! Checkpoints kept beside the log (`<log>.checkpoints/checkpoint-<size>.txt`), so a later
//! `verify` can prove the log still extends every tree it once committed to.

use std::path::{Path, PathBuf};

use crate::checkpoint::Checkpoint;
use crate::fileio;
use crate::location::checkpoint_dir;
use crate::AuditError;

fn file_for(log: &Path, size: u64) -> PathBuf {
    checkpoint_dir(log).join(format!("checkpoint-{size:020}.txt"))
}

/// Stores `cp` atomically and returns its path. A stored checkpoint of the same size and
/// root keeps its signatures (merged), so signing later never loses an earlier signature.
pub fn store_checkpoint(log: &Path, cp: &Checkpoint) -> Result<PathBuf, AuditError> {
    let path = file_for(log, cp.size);
    let mut merged = cp.clone();
    if path.exists() {
        if let Ok(old) = Checkpoint::read(&path) {
            if old.root == cp.root && old.origin == cp.origin && old.extensions == cp.extensions {
                for s in old.signatures {
                    if !merged
                        .signatures
                        .iter()
                        .any(|m| m.name == s.name && m.key_id == s.key_id)
                    {
                        merged.signatures.push(s);
                    }
                }
            }
        }
    }
    fileio::write_atomic(&path, merged.to_text().as_bytes(), false)?;
    Ok(path)
}

/// The stored checkpoint with the largest size, if any.
pub fn latest_checkpoint(log: &Path) -> Result<Option<(PathBuf, Checkpoint)>, AuditError> {
    let dir = checkpoint_dir(log);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AuditError::io(&dir, "list checkpoints")(e)),
    };
    let mut best: Option<(u64, PathBuf)> = None;
    for ent in rd {
        let ent = ent.map_err(AuditError::io(&dir, "list checkpoints"))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        let Some(size) = name
            .strip_prefix("checkpoint-")
            .and_then(|s| s.strip_suffix(".txt"))
            .and_then(|s| s.parse::<u64>().ok())
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| size > *b) {
            best = Some((size, ent.path()));
        }
    }
    match best {
        None => Ok(None),
        Some((_, p)) => Ok(Some((p.clone(), Checkpoint::read(&p)?))),
    }
}
