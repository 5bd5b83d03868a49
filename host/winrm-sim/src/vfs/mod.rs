//! A simulated host's file system: Windows paths (case-insensitive, `\` separated) mapping
//! to file contents. Large files can be synthetic (generated on demand from a seed) so a
//! 256 MB file costs no memory.

pub mod generate;

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::rng::SeedRng;

/// A file's bytes.
#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Arc<Vec<u8>>),
    /// `len` pseudo-random bytes derived from `seed`, readable at any offset.
    Synthetic {
        len: u64,
        seed: u64,
    },
}

impl Content {
    pub fn len(&self) -> usize {
        match self {
            Content::Bytes(b) => b.len(),
            Content::Synthetic { len, .. } => usize::try_from(*len).unwrap_or(usize::MAX),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes `offset..offset+len`, clipped to the file.
    pub fn read(&self, offset: usize, len: usize) -> Vec<u8> {
        let total = self.len();
        let start = offset.min(total);
        let end = offset.saturating_add(len).min(total);
        match self {
            Content::Bytes(b) => b[start..end].to_vec(),
            Content::Synthetic { seed, .. } => {
                let mut out = Vec::with_capacity(end - start);
                let mut block = start / 8;
                let mut skip = start % 8;
                while out.len() < end - start {
                    let word =
                        SeedRng::new(seed ^ (block as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                            .next_u64()
                            .to_le_bytes();
                    let need = (end - start) - out.len();
                    let avail = &word[skip..];
                    out.extend_from_slice(&avail[..avail.len().min(need)]);
                    skip = 0;
                    block += 1;
                }
                out
            }
        }
    }

    pub fn sha256_hex(&self) -> String {
        match self {
            Content::Bytes(b) => hex::encode_upper(Sha256::digest(b.as_slice())),
            Content::Synthetic { len, seed } => {
                // Hashing a 256 MB synthetic file takes seconds; clients hash it repeatedly.
                static CACHE: std::sync::Mutex<BTreeMap<(u64, u64), String>> =
                    std::sync::Mutex::new(BTreeMap::new());
                let key = (*len, *seed);
                if let Some(h) = CACHE.lock().ok().and_then(|c| c.get(&key).cloned()) {
                    return h;
                }
                let mut h = Sha256::new();
                let mut off = 0;
                let step = 1 << 20;
                while off < self.len() {
                    h.update(self.read(off, step));
                    off += step;
                }
                let hex = hex::encode_upper(h.finalize());
                if let Ok(mut c) = CACHE.lock() {
                    c.insert(key, hex.clone());
                }
                hex
            }
        }
    }
}

/// One file.
#[derive(Debug, Clone)]
pub struct VFile {
    /// The path as created (display case).
    pub path: String,
    pub content: Content,
    /// LastWriteTimeUtc, ISO 8601 (`2026-03-14T16:56:31Z`).
    pub modified: String,
    /// Bumped each time the content changes (the file-changes fault).
    pub version: u32,
}

/// The whole file system of one host.
#[derive(Debug, Clone, Default)]
pub struct Vfs {
    files: BTreeMap<String, VFile>,
}

/// Normalises a Windows path for lookup: `/` to `\`, case-folded, no trailing `\`.
pub fn key(path: &str) -> String {
    let p = path.trim().replace('/', "\\").to_ascii_lowercase();
    p.trim_end_matches('\\').to_string()
}

impl Vfs {
    pub fn insert(&mut self, path: &str, content: Content, modified: &str) {
        self.files.insert(
            key(path),
            VFile {
                path: path.replace('/', "\\"),
                content,
                modified: modified.to_string(),
                version: 0,
            },
        );
    }

    pub fn get(&self, path: &str) -> Option<&VFile> {
        self.files.get(&key(path))
    }

    pub fn get_mut(&mut self, path: &str) -> Option<&mut VFile> {
        self.files.get_mut(&key(path))
    }

    /// A file or a directory (any file below it) exists.
    pub fn exists(&self, path: &str) -> bool {
        let k = key(path);
        self.files.contains_key(&k) || self.is_dir(path)
    }

    pub fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{}\\", key(path));
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    /// Every file under a directory (recursively), in path order.
    pub fn walk(&self, dir: &str) -> Vec<&VFile> {
        let prefix = format!("{}\\", key(dir));
        self.files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, f)| f)
            .collect()
    }

    /// Removes every file under a directory (a scan replacing its results folder).
    pub fn remove_under(&mut self, dir: &str) -> usize {
        let prefix = format!("{}\\", key(dir));
        let before = self.files.len();
        self.files.retain(|k, _| !k.starts_with(&prefix));
        before - self.files.len()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_reads_are_consistent_at_any_offset() {
        let c = Content::Synthetic { len: 1000, seed: 7 };
        let all = c.read(0, 1000);
        assert_eq!(all.len(), 1000);
        assert_eq!(c.read(13, 100), all[13..113].to_vec());
        assert_eq!(c.read(990, 100), all[990..].to_vec());
        let bytes = Content::Bytes(Arc::new(all));
        assert_eq!(bytes.sha256_hex(), c.sha256_hex());
    }

    #[test]
    fn paths_are_case_insensitive_and_walkable() {
        let mut v = Vfs::default();
        v.insert(
            r"C:\STIG\Results\A.ckl",
            Content::Bytes(Arc::new(b"x".to_vec())),
            "t",
        );
        v.insert(
            r"C:\STIG\Results\sub\B.xml",
            Content::Bytes(Arc::new(b"y".to_vec())),
            "t",
        );
        v.insert(
            r"C:\STIG\ResultsX\C.xml",
            Content::Bytes(Arc::new(b"z".to_vec())),
            "t",
        );
        assert!(v.get("c:/stig/results/a.CKL").is_some());
        assert!(v.is_dir(r"C:\STIG\Results"));
        assert_eq!(v.walk(r"C:\STIG\Results\").len(), 2);
        // Removing a folder leaves its namesake prefix (ResultsX) alone.
        assert_eq!(v.remove_under(r"c:\stig\results"), 2);
        assert!(!v.is_dir(r"C:\STIG\Results"));
        assert_eq!(v.len(), 1);
    }
}
