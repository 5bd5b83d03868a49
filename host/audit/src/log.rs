//! The append side of the log: locking, chaining, durability, the tree index, and the
//! operations that read the index (checkpoints, proofs) or must hold the lock (repair).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use sha2::{Digest, Sha256};

use crate::canonical::check_line;
use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, EntryDraft, Outcome, GENESIS_PREV};
use crate::fileio;
use crate::index::TreeIndex;
use crate::mask::Masker;
use crate::merkle::{self, Hash};
use crate::AuditError;

/// Where entry times come from; tests inject a fixed clock.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time (converted to UTC by the log).
    fn now(&self) -> time::OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// Fixed-width RFC 3339 in UTC with microseconds, so text order is time order.
const TIME_FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

/// Formats a time as the log writes it.
pub fn format_time(t: time::OffsetDateTime) -> Result<String, AuditError> {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIME_FORMAT)
        .map_err(|e| AuditError::Serialize(format!("time: {e}")))
}

/// An inclusion proof: entry `seq` is leaf `seq` of the tree of `size` entries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InclusionProof {
    /// The entry.
    pub seq: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// Leaf hash of the entry's line (hex).
    #[serde(with = "hex_hash")]
    pub leaf_hash: Hash,
    /// Root of the tree (hex).
    #[serde(with = "hex_hash")]
    pub root: Hash,
    /// RFC 9162 audit path, leaf side first (hex).
    #[serde(with = "hex_hashes")]
    pub path: Vec<Hash>,
}

impl InclusionProof {
    /// Checks the proof (RFC 9162 2.1.3.2).
    pub fn verify(&self) -> bool {
        merkle::verify_inclusion(self.seq, self.size, &self.leaf_hash, &self.path, &self.root)
    }
}

/// A consistency proof: the tree of `old_size` entries is a prefix of the one of `new_size`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsistencyProof {
    /// Older tree size.
    pub old_size: u64,
    /// Newer tree size.
    pub new_size: u64,
    /// Root of the older tree.
    #[serde(with = "hex_hash")]
    pub old_root: Hash,
    /// Root of the newer tree.
    #[serde(with = "hex_hash")]
    pub new_root: Hash,
    /// RFC 9162 consistency path.
    #[serde(with = "hex_hashes")]
    pub path: Vec<Hash>,
}

impl ConsistencyProof {
    /// Checks the proof (RFC 9162 2.1.4.2).
    pub fn verify(&self) -> bool {
        merkle::verify_consistency(
            self.old_size,
            self.new_size,
            &self.path,
            &self.old_root,
            &self.new_root,
        )
    }
}

mod hex_hash {
    pub fn serialize<S: serde::Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }
}

mod hex_hashes {
    use serde::ser::SerializeSeq;
    pub fn serialize<S: serde::Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&hex::encode(h))?;
        }
        seq.end()
    }
}

/// What `repair` did.
#[derive(Debug, Clone, PartialEq)]
pub enum RepairOutcome {
    /// The log ended with a complete line; nothing was changed or recorded.
    NothingToRepair,
    /// A torn tail was removed and a `repair` entry appended.
    Repaired {
        /// Where the torn bytes started.
        offset: u64,
        /// How many bytes were removed.
        removed: u64,
        /// The `repair` entry that records it.
        entry: Box<Entry>,
    },
}

#[derive(Debug)]
struct Locked {
    file: File,
    index: TreeIndex,
}

/// An open audit log. Cheap to share between threads (`&self` methods, internal locking);
/// other processes are excluded by an exclusive lock on the file during every change.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    inner: Mutex<Locked>,
    masker: RwLock<Masker>,
    clock: Arc<dyn Clock>,
    actor: String,
}

/// Holds the in-process mutex and the OS file lock; releases the file lock on drop.
struct Guard<'a> {
    g: MutexGuard<'a, Locked>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let _ = self.g.file.unlock();
    }
}

impl AuditLog {
    /// Opens the log at `path`, creating it (and its directory) if missing. A new file's
    /// directory entry is fsynced so the log itself survives a crash.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        if !dir.exists() {
            std::fs::create_dir_all(&dir).map_err(AuditError::io(&dir, "create log directory"))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fileio::sync_dir(parent)?;
            }
        }
        let created = match OpenOptions::new()
            .append(true)
            .read(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                f.sync_all().map_err(AuditError::io(&path, "fsync"))?;
                fileio::sync_dir(&dir)?;
                Some(f)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
            Err(e) => return Err(AuditError::io(&path, "create audit log")(e)),
        };
        let file = match created {
            Some(f) => f,
            None => OpenOptions::new()
                .append(true)
                .read(true)
                .open(&path)
                .map_err(AuditError::io(&path, "open audit log"))?,
        };
        Ok(Self {
            inner: Mutex::new(Locked {
                file,
                index: TreeIndex::new(&path),
            }),
            path,
            masker: RwLock::new(Masker::default()),
            clock: Arc::new(SystemClock),
            actor: default_actor(),
        })
    }

    /// Uses `clock` for entry times (tests, reproducible demos).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Overrides the `user@machine` actor.
    pub fn with_actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Registers a literal secret (a password, a token read from a credential source):
    /// from now on it is replaced by `***` wherever it appears in a target or details.
    pub fn register_secret(&self, secret: &str) {
        match self.masker.write() {
            Ok(mut m) => m.register(secret),
            Err(poisoned) => poisoned.into_inner().register(secret),
        }
    }

    fn lock(&self) -> Result<Guard<'_>, AuditError> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.file.lock().map_err(AuditError::io(&self.path, "lock"))?;
        Ok(Guard { g })
    }

    /// Appends one entry and returns it once it is on disk (file fsynced).
    ///
    /// Under an exclusive lock: reads the last line for `seq` and `prev`, masks the draft,
    /// writes the canonical line with its newline in one write, fsyncs, and updates the
    /// tree index. Fails with [`AuditError::TornTail`] if a previous append was
    /// interrupted, and with [`AuditError::Corrupt`] if the last line is not an entry.
    pub fn append(&self, draft: EntryDraft) -> Result<Entry, AuditError> {
        let mut guard = self.lock()?;
        self.append_locked(&mut guard.g, draft)
    }

    /// Appends several entries as one: one lock, one write of all their lines, one fsync
    /// and one index update, so a fleet run's per-host entries cost one disk flush, not
    /// one per host. The entries chain and are numbered exactly as single appends in the
    /// same order would be; a crash mid-write leaves a prefix, caught as a torn tail like
    /// a single line's.
    pub fn append_all(&self, drafts: Vec<EntryDraft>) -> Result<Vec<Entry>, AuditError> {
        let mut guard = self.lock()?;
        self.append_locked_all(&mut guard.g, drafts)
    }

    fn append_locked(&self, locked: &mut Locked, draft: EntryDraft) -> Result<Entry, AuditError> {
        let mut entries = self.append_locked_all(locked, vec![draft])?;
        entries
            .pop()
            .ok_or_else(|| AuditError::Serialize("an append wrote no entry".into()))
    }

    fn append_locked_all(
        &self,
        locked: &mut Locked,
        drafts: Vec<EntryDraft>,
    ) -> Result<Vec<Entry>, AuditError> {
        if drafts.iter().any(|d| !d.details.is_object()) {
            return Err(AuditError::Serialize(
                "details must be a JSON object".into(),
            ));
        }
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let len = locked
            .file
            .metadata()
            .map_err(AuditError::io(&self.path, "stat"))?
            .len();
        let complete = fileio::complete_len(&locked.file, &self.path, len)?;
        if complete != len {
            return Err(AuditError::TornTail {
                path: self.path.clone(),
                offset: complete,
            });
        }
        let (mut seq, mut prev) = match fileio::last_line(&locked.file, &self.path, len)? {
            None => (0, GENESIS_PREV.to_owned()),
            Some((_, line)) => {
                let facts = check_line(&line).map_err(|p| AuditError::Corrupt {
                    path: self.path.clone(),
                    index: locked.index.size().max(1) - 1,
                    reason: p.to_string(),
                })?;
                (facts.seq + 1, hex::encode(Sha256::digest(&line)))
            }
        };
        let mut entries = Vec::with_capacity(drafts.len());
        let mut leaves = Vec::with_capacity(drafts.len());
        let mut bytes = Vec::new();
        for draft in drafts {
            let (target, details) = {
                let m = self.masker.read().unwrap_or_else(|p| p.into_inner());
                (m.text(&draft.target), m.value(&draft.details))
            };
            let entry = Entry {
                seq,
                time: format_time(self.clock.now())?,
                actor: self.actor.clone(),
                action: draft.action,
                target,
                result: draft.result,
                details,
                prev,
            };
            let line = entry.to_line()?;
            leaves.push((merkle::leaf_hash(&line), line.len() as u64 + 1));
            prev = hex::encode(Sha256::digest(&line));
            seq += 1;
            bytes.extend_from_slice(&line);
            bytes.push(b'\n');
            entries.push(entry);
        }
        // One write of every line: a crash leaves a prefix, never interleaving.
        (&locked.file)
            .write_all(&bytes)
            .map_err(AuditError::io(&self.path, "append"))?;
        locked
            .file
            .sync_data()
            .map_err(AuditError::io(&self.path, "fsync"))?;
        // The index is a cache: bring it to the state before these lines, then add them.
        locked.index.sync_with(&locked.file, &self.path, len)?;
        for (leaf, line_len) in leaves {
            locked.index.push(leaf, line_len);
        }
        locked.index.flush()?;
        Ok(entries)
    }

    /// Convenience for callers that record a finished command.
    pub fn record(
        &self,
        action: &str,
        target: &str,
        result: Outcome,
        details: serde_json::Value,
    ) -> Result<Entry, AuditError> {
        self.append(EntryDraft::new(action, target, result).with_details(details))
    }

    /// Brings the index up to date and returns the number of complete entries.
    fn synced(&self, locked: &mut Locked) -> Result<u64, AuditError> {
        let len = locked
            .file
            .metadata()
            .map_err(AuditError::io(&self.path, "stat"))?
            .len();
        let complete = fileio::complete_len(&locked.file, &self.path, len)?;
        locked.index.sync_with(&locked.file, &self.path, complete)?;
        Ok(locked.index.size())
    }

    /// Number of complete entries.
    pub fn len(&self) -> Result<u64, AuditError> {
        let mut guard = self.lock()?;
        self.synced(&mut guard.g)
    }

    /// Whether the log has no complete entry.
    pub fn is_empty(&self) -> Result<bool, AuditError> {
        Ok(self.len()? == 0)
    }

    /// The checkpoint (unsigned) of the current log, from the tree index: O(log n).
    ///
    /// It commits to the lines as they are now; it does not re-verify them (that is
    /// [`crate::verify`]'s job).
    pub fn checkpoint(&self, origin: &str) -> Result<Checkpoint, AuditError> {
        let mut guard = self.lock()?;
        let size = self.synced(&mut guard.g)?;
        let root = merkle::subtree_root(&guard.g.index, 0, size)?;
        Ok(Checkpoint::new(origin, size, root))
    }

    /// Inclusion proof of entry `seq` in the current tree.
    pub fn inclusion_proof(&self, seq: u64) -> Result<InclusionProof, AuditError> {
        let mut guard = self.lock()?;
        let size = self.synced(&mut guard.g)?;
        if seq >= size {
            return Err(AuditError::OutOfRange {
                what: "seq",
                value: seq,
                size,
            });
        }
        let index = &guard.g.index;
        Ok(InclusionProof {
            seq,
            size,
            leaf_hash: merkle::subtree_root(index, seq, seq + 1)?,
            root: merkle::subtree_root(index, 0, size)?,
            path: merkle::inclusion_path(index, seq, size)?,
        })
    }

    /// Consistency proof from the tree of `old_size` entries to the current tree.
    pub fn consistency_proof(&self, old_size: u64) -> Result<ConsistencyProof, AuditError> {
        let mut guard = self.lock()?;
        let size = self.synced(&mut guard.g)?;
        if old_size > size {
            return Err(AuditError::OutOfRange {
                what: "tree size",
                value: old_size,
                size,
            });
        }
        let index = &guard.g.index;
        Ok(ConsistencyProof {
            old_size,
            new_size: size,
            old_root: merkle::subtree_root(index, 0, old_size)?,
            new_root: merkle::subtree_root(index, 0, size)?,
            path: merkle::consistency_path(index, old_size, size)?,
        })
    }

    /// Removes a torn last line (an interrupted append) and records a `repair` entry.
    ///
    /// Only bytes after the last newline are ever removed: complete entries are never
    /// touched, even damaged ones (those are for `verify` to report, not to hide).
    pub fn repair(&self) -> Result<RepairOutcome, AuditError> {
        let mut guard = self.lock()?;
        let locked = &mut guard.g;
        let len = locked
            .file
            .metadata()
            .map_err(AuditError::io(&self.path, "stat"))?
            .len();
        let complete = fileio::complete_len(&locked.file, &self.path, len)?;
        if complete == len {
            return Ok(RepairOutcome::NothingToRepair);
        }
        if let Some((_, line)) = fileio::last_line(&locked.file, &self.path, complete)? {
            if let Err(p) = check_line(&line) {
                return Err(AuditError::RepairRefused {
                    path: self.path.clone(),
                    reason: format!(
                        "the last complete line is not a valid entry ({p}); the damage is not just a torn tail"
                    ),
                });
            }
        }
        let mut torn = vec![0u8; (len - complete) as usize];
        fileio::read_at(&locked.file, &self.path, complete, &mut torn)?;
        locked
            .file
            .set_len(complete)
            .map_err(AuditError::io(&self.path, "truncate torn tail"))?;
        locked
            .file
            .sync_all()
            .map_err(AuditError::io(&self.path, "fsync"))?;
        locked.index.invalidate();
        let draft = EntryDraft::new("repair", self.path.display().to_string(), Outcome::Success)
            .with_details(serde_json::json!({
                "removed_bytes": len - complete,
                "offset": complete,
                "removed_sha256": hex::encode(Sha256::digest(&torn)),
            }));
        let entry = self.append_locked(locked, draft)?;
        Ok(RepairOutcome::Repaired {
            offset: complete,
            removed: len - complete,
            entry: Box::new(entry),
        })
    }
}

/// `user@machine` from the environment and the OS host name.
pub fn default_actor() -> String {
    let user = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| {
            std::fs::read_to_string(p)
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        })
        .or_else(|| {
            ["HOSTNAME", "COMPUTERNAME"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        })
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}
