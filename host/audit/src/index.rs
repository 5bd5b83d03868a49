//! The tree index beside the log, so checkpoints and proofs cost O(log n) reads instead of
//! rehashing every line.
//!
//! Layout: `<log>.tree/level-NN` holds, for height NN, the hashes of every complete,
//! aligned perfect subtree of 2^NN leaves (level 00 = leaf hashes), 32 bytes each, in
//! order; `<log>.tree/state` records how many log bytes and leaves it covers. Every hash
//! RFC 6962's recursions need is either one of these or a node over O(log n) of them
//! ([`crate::merkle::subtree_root`]), so a root or a proof takes at most ~2 log2(n) reads
//! of 32 bytes, whatever the log size. Appending costs amortised two 32-byte writes.
//!
//! The index is a cache, never a source of truth: `verify` ignores it and rehashes the log.
//! It is written under the log's lock but not fsynced; whenever its state does not match
//! the log (crash between the two writes, a log written by hand, a deleted index) it is
//! extended or rebuilt from the log, which is checked by comparing the last covered leaf
//! with the log's line at that position.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::fileio;
use crate::merkle::{leaf_hash, node_hash, Hash, SubtreeSource};
use crate::AuditError;

const STATE_MAGIC: &str = "stigpack-audit-tree v1";
const READ_CHUNK: usize = 8 << 20;

/// The on-disk subtree index of one log.
#[derive(Debug)]
pub(crate) struct TreeIndex {
    dir: PathBuf,
    levels: Vec<File>,
    /// Log bytes covered (always the end of a complete line).
    covered: u64,
    /// Leaves covered.
    count: u64,
    /// Rightmost node at each level waiting for its right sibling.
    frontier: Vec<Option<Hash>>,
    /// Hashes appended since the last flush, per level.
    pending: Vec<Vec<Hash>>,
    loaded: bool,
}

/// Where the index of `log` lives.
pub(crate) fn index_dir(log: &Path) -> PathBuf {
    let mut name = log
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tree");
    log.with_file_name(name)
}

impl TreeIndex {
    pub(crate) fn new(log: &Path) -> Self {
        Self {
            dir: index_dir(log),
            levels: Vec::new(),
            covered: 0,
            count: 0,
            frontier: Vec::new(),
            pending: Vec::new(),
            loaded: false,
        }
    }

    /// Leaves covered.
    pub(crate) fn size(&self) -> u64 {
        self.count
    }

    fn level_path(&self, k: usize) -> PathBuf {
        self.dir.join(format!("level-{k:02}"))
    }

    fn level(&mut self, k: usize) -> Result<&File, AuditError> {
        while self.levels.len() <= k {
            let p = self.level_path(self.levels.len());
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&p)
                .map_err(AuditError::io(&p, "open tree index"))?;
            self.levels.push(f);
        }
        Ok(&self.levels[k])
    }

    fn read_node(&self, k: usize, pos: u64) -> Result<Hash, AuditError> {
        let f = self.levels.get(k).ok_or(AuditError::OutOfRange {
            what: "tree level",
            value: k as u64,
            size: self.count,
        })?;
        let mut h = [0u8; 32];
        fileio::read_at(f, &self.level_path(k), pos * 32, &mut h)?;
        Ok(h)
    }

    /// Makes the index cover exactly the complete lines of the log (`complete` bytes).
    pub(crate) fn sync_with(
        &mut self,
        log: &File,
        log_path: &Path,
        complete: u64,
    ) -> Result<(), AuditError> {
        if self.loaded && self.covered == complete {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(AuditError::io(&self.dir, "create tree index"))?;
        self.load()?;
        let prefix_ok = self.covered <= complete && self.last_leaf_matches(log, log_path)?;
        if !prefix_ok {
            self.reset()?;
        }
        if self.covered < complete {
            self.extend_from_log(log, log_path, complete)?;
        }
        self.flush()
    }

    /// Reads the state file and trims level files to it; any inconsistency resets.
    fn load(&mut self) -> Result<(), AuditError> {
        self.loaded = true;
        self.pending.clear();
        let state_path = self.dir.join("state");
        let mut text = String::new();
        let parsed = File::open(&state_path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .ok()
            .and_then(|_| {
                let mut it = text.lines();
                (it.next()? == STATE_MAGIC).then_some(())?;
                let covered = it.next()?.parse::<u64>().ok()?;
                let count = it.next()?.parse::<u64>().ok()?;
                Some((covered, count))
            });
        let Some((covered, count)) = parsed else {
            return self.reset();
        };
        self.covered = covered;
        self.count = count;
        let height = if count == 0 {
            0
        } else {
            64 - count.leading_zeros() as usize
        };
        self.frontier = vec![None; height + 1];
        for k in 0..height {
            let want = (count >> k) * 32;
            let p = self.level_path(k);
            let f = self.level(k)?;
            let have = f
                .metadata()
                .map_err(AuditError::io(&p, "stat tree index"))?
                .len();
            if have < want {
                return self.reset();
            }
            if have > want {
                f.set_len(want)
                    .map_err(AuditError::io(&p, "trim tree index"))?;
            }
            if (count >> k) & 1 == 1 {
                self.frontier[k] = Some(self.read_node(k, (count >> k) - 1)?);
            }
        }
        Ok(())
    }

    fn reset(&mut self) -> Result<(), AuditError> {
        // Open every level file that exists, so no stale hashes survive a rebuild.
        for k in 0..64 {
            if k >= self.levels.len() && !self.level_path(k).exists() {
                break;
            }
            self.level(k)?;
        }
        for k in 0..self.levels.len() {
            let p = self.level_path(k);
            self.levels[k]
                .set_len(0)
                .map_err(AuditError::io(&p, "reset tree index"))?;
        }
        self.covered = 0;
        self.count = 0;
        self.frontier.clear();
        self.pending.clear();
        Ok(())
    }

    /// Whether the last covered leaf is the hash of the log's line at that position.
    fn last_leaf_matches(&mut self, log: &File, log_path: &Path) -> Result<bool, AuditError> {
        if self.count == 0 {
            return Ok(self.covered == 0);
        }
        let Some((_, line)) = fileio::last_line(log, log_path, self.covered)? else {
            return Ok(false);
        };
        let mut byte = [0u8; 1];
        fileio::read_at(log, log_path, self.covered - 1, &mut byte)?;
        Ok(byte[0] == b'\n' && self.read_node(0, self.count - 1)? == leaf_hash(&line))
    }

    fn extend_from_log(
        &mut self,
        log: &File,
        log_path: &Path,
        complete: u64,
    ) -> Result<(), AuditError> {
        let mut f = log;
        f.seek(SeekFrom::Start(self.covered))
            .map_err(AuditError::io(log_path, "seek"))?;
        let mut remaining = complete - self.covered;
        let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
        let mut carry: Vec<u8> = Vec::new();
        while remaining > 0 {
            let want = remaining.min(READ_CHUNK as u64) as usize;
            buf.resize(want, 0);
            f.read_exact(&mut buf)
                .map_err(AuditError::io(log_path, "read"))?;
            remaining -= want as u64;
            carry.extend_from_slice(&buf);
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', &carry) {
                self.push(leaf_hash(&carry[start..nl]), (nl - start) as u64 + 1);
                start = nl + 1;
            }
            carry.drain(..start);
            if self.pending.first().is_some_and(|p| p.len() > 1 << 16) {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Records one more leaf for a line of `line_len` bytes including its newline.
    pub(crate) fn push(&mut self, leaf: Hash, line_len: u64) {
        let (mut h, mut pos, mut k) = (leaf, self.count, 0usize);
        loop {
            if self.pending.len() <= k {
                self.pending.resize_with(k + 1, Vec::new);
            }
            if self.frontier.len() <= k {
                self.frontier.resize(k + 1, None);
            }
            self.pending[k].push(h);
            if pos & 1 == 0 {
                self.frontier[k] = Some(h);
                break;
            }
            let left = self.frontier[k].take().unwrap_or(h);
            h = node_hash(&left, &h);
            pos >>= 1;
            k += 1;
        }
        self.count += 1;
        self.covered += line_len;
    }

    /// Writes pending hashes, then the state that covers them.
    pub(crate) fn flush(&mut self) -> Result<(), AuditError> {
        let pending = std::mem::take(&mut self.pending);
        for (k, hashes) in pending.iter().enumerate() {
            if hashes.is_empty() {
                continue;
            }
            let first = (self.count >> k) - hashes.len() as u64;
            let p = self.level_path(k);
            let mut bytes = Vec::with_capacity(hashes.len() * 32);
            for h in hashes {
                bytes.extend_from_slice(h);
            }
            let mut f = self.level(k)?;
            f.seek(SeekFrom::Start(first * 32))
                .and_then(|_| f.write_all(&bytes))
                .map_err(AuditError::io(&p, "write tree index"))?;
        }
        let state_path = self.dir.join("state");
        let text = format!("{STATE_MAGIC}\n{}\n{}\n", self.covered, self.count);
        std::fs::write(&state_path, text).map_err(AuditError::io(&state_path, "write tree index"))
    }

    /// Forgets what is in memory, so the next sync re-reads the files (after another
    /// process or a repair changed the log).
    pub(crate) fn invalidate(&mut self) {
        self.loaded = false;
    }
}

impl SubtreeSource for TreeIndex {
    fn perfect(&self, height: u32, index: u64) -> Result<Hash, AuditError> {
        let k = height as usize;
        if (index + 1) << height > self.count {
            return Err(AuditError::OutOfRange {
                what: "subtree",
                value: index,
                size: self.count,
            });
        }
        self.read_node(k, index)
    }
}
