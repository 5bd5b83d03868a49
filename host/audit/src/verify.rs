//! `verify`: recomputes the hash chain and the Merkle tree from the log bytes alone and
//! says where and how the log was damaged.
//!
//! Fast path: the file is read in large blocks; each block is cut at line boundaries into
//! parts that worker threads take in turn, computing per line the chain hash, the leaf
//! hash and the canonical-entry check; the calling thread then checks `seq` and `prev`
//! in order and folds the leaves into a streaming tree ([`TreeBuilder`], O(log n)
//! memory). Nothing from the tree index is trusted.
//!
//! On the first anomaly the fast path stops and a slow, in-memory pass over the whole log
//! classifies it (edited, reordered, deleted, inserted, ...): failures are rare and
//! worth a precise answer more than speed.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::canonical::{check_line, LineFacts, LineProblem};
use crate::checkpoint::{Checkpoint, VerifierKey};
use crate::merkle::{leaf_hash, Hash, TreeBuilder};
use crate::AuditError;

const BLOCK: usize = 16 << 20;
/// Below this many bytes a block is checked on the calling thread.
const PARALLEL_MIN: usize = 256 << 10;
/// The size of the parts a block is cut into for the workers: small enough that the last
/// one to finish keeps the other cores idle only briefly, large enough that a part's few
/// perfect subtrees and its hand-off cost nothing measurable.
const PART: usize = 1 << 20;

/// What kind of damage was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// An entry's bytes changed after it was written.
    Edited,
    /// Entries are out of order.
    Reordered,
    /// Entries are missing from the middle.
    Deleted,
    /// A line that was never appended sits between entries.
    Inserted,
    /// The log is shorter than a checkpoint says it was.
    Truncated,
    /// The log's first `checkpoint.size` entries do not hash to the checkpoint's root:
    /// history was rewritten (or the whole log replaced).
    CheckpointMismatch,
    /// The checkpoint is not signed by the trusted key.
    UntrustedCheckpoint,
    /// The last line has no newline: an interrupted append (`audit repair` fixes it).
    TornTail,
    /// A line is not JSON.
    BadJson,
    /// A line is JSON but not in canonical form.
    NonCanonical,
    /// A line is canonical JSON but not an entry.
    BadSchema,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The first entry affected (0-based position in the log), when known.
    pub seq: Option<u64>,
    /// The kind of damage.
    pub kind: FailureKind,
    /// A sentence for humans.
    pub detail: String,
}

/// Which checkpoint was checked and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointCheck {
    /// Its tree size.
    pub size: u64,
    /// Its root (hex).
    pub root: String,
    /// Whether it carried a valid signature by the trusted key (None: no key given).
    pub signature_valid: Option<bool>,
    /// Whether today's log extends it (same root over the first `size` entries).
    pub consistent: bool,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The log.
    pub path: PathBuf,
    /// True when nothing is wrong.
    pub ok: bool,
    /// Complete lines in the log.
    pub entries: u64,
    /// RFC 6962 root over the complete lines (hex), when the chain is intact.
    pub root: Option<String>,
    /// The checkpoint comparison, if one was given.
    pub checkpoint: Option<CheckpointCheck>,
    /// Findings, first (lowest seq) first.
    pub failures: Vec<Failure>,
}

impl VerifyReport {
    /// The first damaged entry, if any.
    pub fn first_bad_seq(&self) -> Option<u64> {
        self.failures.iter().find_map(|f| f.seq)
    }

    /// The first finding.
    pub fn first_failure(&self) -> Option<&Failure> {
        self.failures.first()
    }
}

/// Per-line results computed by the workers.
struct LineResult {
    chain: Hash,
    leaf: Hash,
    facts: Result<LineFacts, LineProblem>,
}

fn analyse_line(line: &[u8]) -> LineResult {
    LineResult {
        chain: Sha256::digest(line).into(),
        leaf: leaf_hash(line),
        facts: check_line(line),
    }
}

/// What a worker reports about its share of a block.
#[derive(Default)]
struct PartSummary {
    count: u64,
    /// `seq` and `prev` of the first line, to check against the previous part.
    first: Option<LineFacts>,
    last_chain: Hash,
    /// Every line is a canonical entry and each links to the one before it in the part.
    ok: bool,
    leaves: Vec<Hash>,
}

fn summarise_part(part: &[u8]) -> PartSummary {
    let mut s = PartSummary {
        ok: true,
        leaves: Vec::with_capacity(part.len() / 256 + 1),
        ..PartSummary::default()
    };
    let mut start = 0;
    let mut prev: Option<LineFacts> = None;
    for nl in memchr::memchr_iter(b'\n', part) {
        let r = analyse_line(&part[start..nl]);
        start = nl + 1;
        let Ok(facts) = r.facts else {
            s.ok = false;
            break;
        };
        if let Some(p) = prev {
            if facts.seq != p.seq.wrapping_add(1) || facts.prev != s.last_chain {
                s.ok = false;
                break;
            }
        } else {
            s.first = Some(facts);
        }
        prev = Some(facts);
        s.last_chain = r.chain;
        s.leaves.push(r.leaf);
        s.count += 1;
    }
    s
}

/// A piece of the tree produced by a worker.
enum Piece {
    /// A perfect subtree of 2^h leaves, aligned at a multiple of 2^h.
    Subtree(u32, Hash),
    /// The checkpoint size falls here.
    Mark,
}

/// Decomposes leaves [base, base+len) into maximal aligned perfect subtrees, in order.
fn subtree_pieces(leaves: &[Hash], base: u64, split: Option<u64>) -> Vec<Piece> {
    let end = base + leaves.len() as u64;
    let mut out = Vec::new();
    let mut ranges = vec![(base, end)];
    if let Some(m) = split.filter(|m| *m > base && *m < end) {
        ranges = vec![(base, m), (m, end)];
    }
    let mut scratch: Vec<Hash> = Vec::new();
    for (k, (mut i, z)) in ranges.into_iter().enumerate() {
        if k == 1 {
            out.push(Piece::Mark);
        }
        while i < z {
            let mut h = if i == 0 { 63 } else { i.trailing_zeros() };
            while h > 0 && i + (1u64 << h) > z {
                h -= 1;
            }
            let a = (i - base) as usize;
            let n = 1usize << h;
            scratch.clear();
            scratch.extend_from_slice(&leaves[a..a + n]);
            while scratch.len() > 1 {
                let half = scratch.len() / 2;
                for j in 0..half {
                    scratch[j] = crate::merkle::node_hash(&scratch[2 * j], &scratch[2 * j + 1]);
                }
                scratch.truncate(half);
            }
            out.push(Piece::Subtree(h, scratch[0]));
            i += n as u64;
        }
    }
    out
}

/// Runs `f` on each part `[cuts[k], cuts[k+1])` on up to `workers` threads.
fn run_parts<T: Send>(
    cuts: &[usize],
    workers: usize,
    f: impl Fn(usize, usize) -> T + Sync,
) -> Option<Vec<T>> {
    run_parts_indexed(cuts.len() - 1, workers, |k| f(cuts[k], cuts[k + 1]))
}

/// Runs `f(0..n)` on up to `workers` threads, each taking the next part not yet taken:
/// the block reader shares the cores with the workers, and with one fixed half each, the
/// worker it displaced finished last while the other core idled (about a tenth of
/// verify's time on two cores). `None` if a worker panicked: the caller then lets the
/// slow pass decide instead of trusting a partial answer.
fn run_parts_indexed<T: Send>(
    n: usize,
    workers: usize,
    f: impl Fn(usize) -> T + Sync,
) -> Option<Vec<T>> {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    if n == 1 || workers <= 1 {
        return Some((0..n).map(&f).collect());
    }
    let taken = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = taken.fetch_add(1, Relaxed);
            if k >= n {
                return done;
            }
            done.push((k, f(k)));
        }
    };
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.min(n)).map(|_| s.spawn(work)).collect();
        for h in handles {
            for (k, t) in h.join().unwrap_or_default() {
                out[k] = Some(t);
            }
        }
    });
    out.into_iter().collect()
}

/// Appends up to `block` bytes of `file` to `buf`; true at the end of the file.
///
/// `read_to_end` reads into the spare capacity without zeroing it first: resizing the
/// buffer with zeros before each read was a 16 MiB `memset` per block, 2% of verify's CPU.
fn fill_block(file: &mut File, buf: &mut Vec<u8>, block: usize) -> std::io::Result<bool> {
    buf.reserve(block);
    let read = Read::take(&mut *file, block as u64).read_to_end(buf)?;
    Ok(read < block)
}

/// The streaming state of the fast path: the tree so far and the chain hash of the last
/// line, which the next block's first line must name as its `prev`.
struct Tree {
    builder: TreeBuilder,
    /// The root over the checkpoint's first `want_prefix` entries, once that many are in.
    prefix_root: Option<Hash>,
    want_prefix: Option<u64>,
    last_chain: Hash,
    threads: usize,
}

impl Tree {
    /// Checks and folds in a region of complete lines; false at the first line that is not
    /// a canonical entry or does not link to the one before (the slow pass says why).
    fn absorb(&mut self, region: &[u8]) -> bool {
        // Split the region at line boundaries into parts of about `PART` bytes, which the
        // workers take in turn.
        let (threads, part_count) = if region.len() < PARALLEL_MIN {
            (1, 1)
        } else {
            (self.threads, region.len().div_ceil(PART).max(self.threads))
        };
        let mut cuts = vec![0usize];
        for t in 1..part_count {
            let target = region.len() * t / part_count;
            let prev = *cuts.last().unwrap_or(&0);
            let cut = if target <= prev {
                prev
            } else {
                memchr::memchr(b'\n', &region[target..]).map_or(region.len(), |p| target + p + 1)
            };
            cuts.push(cut.max(prev));
        }
        cuts.push(region.len());
        // Round 1: per part, hash and check every line and the links inside the part.
        let Some(parts) = run_parts(&cuts, threads, |a, z| summarise_part(&region[a..z])) else {
            return false;
        };
        let mut bases = Vec::with_capacity(parts.len());
        let mut base = self.builder.size();
        for p in &parts {
            let links = p
                .first
                .is_none_or(|f| f.seq == base && f.prev == self.last_chain);
            if !p.ok || !links {
                return false;
            }
            bases.push(base);
            base += p.count;
            if p.count > 0 {
                self.last_chain = p.last_chain;
            }
        }
        // Round 2: per part, the aligned perfect subtrees its leaves form (split at the
        // checkpoint size so its prefix root can be taken).
        let want_prefix = self.want_prefix;
        let Some(pieces) = run_parts_indexed(parts.len(), threads, |k| {
            subtree_pieces(&parts[k].leaves, bases[k], want_prefix)
        }) else {
            return false;
        };
        for piece in pieces.iter().flatten() {
            match *piece {
                Piece::Subtree(h, hash) => self.builder.push_subtree(h, hash),
                Piece::Mark => {}
            }
            if want_prefix == Some(self.builder.size()) && self.prefix_root.is_none() {
                self.prefix_root = Some(self.builder.root());
            }
        }
        true
    }
}

/// Verifies the log at `path`: every line canonical, `seq` = position, `prev` = SHA-256 of
/// the previous line, no torn tail; and, given a checkpoint, that its tree is a prefix of
/// today's (catches truncation and rewritten history). With `trusted_key`, the checkpoint
/// must also carry that key's signature (catches a forged log with a forged checkpoint).
///
/// I/O problems are errors; everything about the content is in the report.
pub fn verify(
    path: &Path,
    checkpoint: Option<&Checkpoint>,
    trusted_key: Option<&VerifierKey>,
) -> Result<VerifyReport, AuditError> {
    let mut file = File::open(path).map_err(AuditError::io(path, "open audit log"))?;
    let file_len = file.metadata().map_err(AuditError::io(path, "stat"))?.len();
    // Small logs need neither a big buffer nor threads.
    let block = (file_len.saturating_add(1)).min(BLOCK as u64) as usize;
    let want_prefix = checkpoint.map(|c| c.size);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);

    let mut tree = Tree {
        builder: TreeBuilder::new(),
        prefix_root: None,
        want_prefix,
        last_chain: [0u8; 32],
        threads,
    };
    if want_prefix == Some(0) {
        tree.prefix_root = Some(tree.builder.root());
    }
    let mut chain_broken = false;
    let mut torn: Option<(u64, u64)> = None; // (offset, len)
    let mut offset_of_buf = 0u64;
    // Two buffers: while the workers check the complete lines of `buf`, this thread's
    // scoped reader fills `next` (the partial line `buf` ends with, then the next block),
    // so the read of each block is hidden behind the hashing of the one before.
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut next: Vec<u8> = Vec::with_capacity(block);
    let mut eof = fill_block(&mut file, &mut buf, block).map_err(AuditError::io(path, "read"))?;
    loop {
        let end = memchr::memrchr(b'\n', &buf).map_or(0, |p| p + 1);
        next.clear();
        next.extend_from_slice(&buf[end..]);
        let (linked, read) = std::thread::scope(|s| {
            let reader = (!eof).then(|| s.spawn(|| fill_block(&mut file, &mut next, block)));
            let linked = tree.absorb(&buf[..end]);
            let read = reader.map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("the reading thread panicked")))
            });
            (linked, read)
        });
        if !linked {
            chain_broken = true;
            break;
        }
        offset_of_buf += end as u64;
        let Some(read) = read else {
            let rest = buf.len() - end;
            if rest > 0 {
                torn = Some((offset_of_buf, rest as u64));
            }
            break;
        };
        eof = read.map_err(AuditError::io(path, "read"))?;
        std::mem::swap(&mut buf, &mut next);
    }

    if chain_broken {
        return slow_report(path, checkpoint, trusted_key);
    }
    let entries = tree.builder.size();
    let root = tree.builder.root();
    let mut failures = Vec::new();
    if let Some((offset, len)) = torn {
        failures.push(Failure {
            seq: Some(entries),
            kind: FailureKind::TornTail,
            detail: format!(
                "the last line (would be seq {entries}) is torn: {len} bytes at offset {offset} without a newline; \
                 `stigpack audit repair` removes it"
            ),
        });
    }
    let cp_check = checkpoint
        .map(|cp| check_checkpoint(cp, trusted_key, entries, tree.prefix_root, &mut failures));
    failures.sort_by_key(|f| f.seq.unwrap_or(u64::MAX));
    Ok(VerifyReport {
        path: path.to_owned(),
        ok: failures.is_empty(),
        entries,
        root: Some(hex::encode(root)),
        checkpoint: cp_check,
        failures,
    })
}

fn check_checkpoint(
    cp: &Checkpoint,
    trusted_key: Option<&VerifierKey>,
    entries: u64,
    prefix_root: Option<Hash>,
    failures: &mut Vec<Failure>,
) -> CheckpointCheck {
    let signature_valid = trusted_key.map(|k| cp.verify_signature(k));
    if signature_valid == Some(false) {
        failures.push(Failure {
            seq: None,
            kind: FailureKind::UntrustedCheckpoint,
            detail: format!(
                "the checkpoint (size {}) carries no valid signature by the trusted key {:?}",
                cp.size,
                trusted_key.map(|k| k.name.as_str()).unwrap_or_default()
            ),
        });
    }
    let consistent = if cp.size > entries {
        failures.push(Failure {
            seq: Some(entries),
            kind: FailureKind::Truncated,
            detail: format!(
                "the checkpoint commits to {} entries but the log has {entries}: entries {entries}..{} were removed",
                cp.size,
                cp.size - 1
            ),
        });
        false
    } else if prefix_root != Some(cp.root) {
        failures.push(Failure {
            seq: None,
            kind: FailureKind::CheckpointMismatch,
            detail: format!(
                "the first {} entries do not hash to the checkpoint's root: history was rewritten or the log replaced",
                cp.size
            ),
        });
        false
    } else {
        true
    };
    CheckpointCheck {
        size: cp.size,
        root: hex::encode(cp.root),
        signature_valid,
        consistent,
    }
}

/// The slow pass: everything in memory, every anomaly classified.
fn slow_report(
    path: &Path,
    checkpoint: Option<&Checkpoint>,
    trusted_key: Option<&VerifierKey>,
) -> Result<VerifyReport, AuditError> {
    let data = std::fs::read(path).map_err(AuditError::io(path, "read"))?;
    let end = memchr::memrchr(b'\n', &data).map_or(0, |p| p + 1);
    let lines: Vec<&[u8]> = if end == 0 {
        Vec::new()
    } else {
        data[..end - 1].split(|b| *b == b'\n').collect()
    };
    let results: Vec<LineResult> = lines.iter().map(|l| analyse_line(l)).collect();
    let n = results.len() as u64;
    let mut failures = Vec::new();
    if let Some(f) = classify(&results) {
        failures.push(f);
    }
    let mut prefix_root = None;
    if let Some(cp) = checkpoint {
        if cp.size <= n {
            let mut b = TreeBuilder::new();
            for r in results.iter().take(cp.size as usize) {
                b.push(r.leaf);
            }
            prefix_root = Some(b.root());
        }
    }
    if end < data.len() {
        failures.push(Failure {
            seq: Some(n),
            kind: FailureKind::TornTail,
            detail: format!(
                "the last line (would be seq {n}) is torn: {} bytes at offset {end} without a newline",
                data.len() - end
            ),
        });
    }
    let cp_check =
        checkpoint.map(|cp| check_checkpoint(cp, trusted_key, n, prefix_root, &mut failures));
    failures.sort_by_key(|f| f.seq.unwrap_or(u64::MAX));
    Ok(VerifyReport {
        path: path.to_owned(),
        ok: failures.is_empty(),
        entries: n,
        root: None,
        checkpoint: cp_check,
        failures,
    })
}

/// Finds and names the first chain anomaly.
fn classify(r: &[LineResult]) -> Option<Failure> {
    let n = r.len();
    let expected_prev = |i: usize| -> Hash {
        if i == 0 {
            [0u8; 32]
        } else {
            r[i - 1].chain
        }
    };
    let link_ok = |i: usize| -> bool { matches!(&r[i].facts, Ok(f) if f.prev == expected_prev(i)) };
    let seq_of = |i: usize| -> Option<u64> { r[i].facts.as_ref().ok().map(|f| f.seq) };
    let fail = |i: usize, kind: FailureKind, detail: String| Failure {
        seq: Some(i as u64),
        kind,
        detail,
    };
    for i in 0..n {
        let facts = match &r[i].facts {
            Ok(f) => *f,
            Err(p) => {
                let kind = match p {
                    LineProblem::BadJson(_) => FailureKind::BadJson,
                    LineProblem::NonCanonical => FailureKind::NonCanonical,
                    LineProblem::BadSchema(_) => FailureKind::BadSchema,
                };
                return Some(fail(i, kind, format!("line {} (seq {i}): {p}", i + 1)));
            }
        };
        let seq_ok = facts.seq == i as u64;
        let linked = link_ok(i);
        if seq_ok && linked {
            continue;
        }
        // A line whose removal restores the chain was inserted: either the previous line
        // (a forger chained it to its predecessor) ...
        if i >= 1 && facts.seq == i as u64 - 1 && facts.prev == expected_prev(i - 1) {
            return Some(fail(
                i - 1,
                FailureKind::Inserted,
                format!(
                    "line {i} was inserted before entry {}: without it the chain is intact",
                    i - 1
                ),
            ));
        }
        // ... or this one, unless it is a genuine entry out of place (its seq is unique
        // and it links to the entry before it in seq order): that is a reordering.
        let belongs_elsewhere = || {
            let unique = (0..n).filter(|&j| seq_of(j) == Some(facts.seq)).count() == 1;
            let links = if facts.seq == 0 {
                facts.prev == [0u8; 32]
            } else {
                (0..n)
                    .any(|j| j != i && seq_of(j) == Some(facts.seq - 1) && r[j].chain == facts.prev)
            };
            unique && links
        };
        if i + 1 < n
            && seq_of(i + 1) == Some(i as u64)
            && matches!(&r[i + 1].facts, Ok(f) if f.prev == expected_prev(i))
            && !belongs_elsewhere()
        {
            return Some(fail(
                i,
                FailureKind::Inserted,
                format!(
                    "line {} was inserted before entry {i}: without it the chain is intact",
                    i + 1
                ),
            ));
        }
        if !seq_ok && linked {
            return Some(fail(
                i,
                FailureKind::Edited,
                format!(
                    "entry {i} was edited: it links to its predecessor but says seq {}",
                    facts.seq
                ),
            ));
        }
        if !seq_ok {
            let s = facts.seq;
            if s > i as u64 {
                if let Some(j) = (i + 1..n).find(|&j| seq_of(j) == Some(i as u64)) {
                    return Some(fail(
                        i,
                        FailureKind::Reordered,
                        format!("entries are out of order: line {} holds seq {s}, entry {i} is at line {}", i + 1, j + 1),
                    ));
                }
                return Some(fail(
                    i,
                    FailureKind::Deleted,
                    format!(
                        "entries {i}..{} are missing: line {} holds seq {s}",
                        s - 1,
                        i + 1
                    ),
                ));
            }
            if (0..i).any(|j| seq_of(j) == Some(s))
                || (i + 1..n).any(|j| seq_of(j) == Some(i as u64))
            {
                return Some(fail(
                    i,
                    FailureKind::Reordered,
                    format!("entries are out of order: line {} holds seq {s}", i + 1),
                ));
            }
            return Some(fail(
                i,
                FailureKind::Edited,
                format!("entry {i} was edited (it says seq {s})"),
            ));
        }
        // seq is right but prev does not match the previous line.
        if i == 0 || (i + 1 < n && !link_ok(i + 1)) {
            return Some(fail(
                i,
                FailureKind::Edited,
                format!(
                    "entry {i} was edited: its bytes no longer match what entry {} recorded",
                    i + 1
                ),
            ));
        }
        return Some(fail(
            i - 1,
            FailureKind::Edited,
            format!(
                "entry {} was edited: its bytes no longer match the prev recorded by entry {i}",
                i - 1
            ),
        ));
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn pieces_rebuild_the_same_tree_as_single_leaves() {
        let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        for cut1 in [0usize, 1, 5, 8, 33] {
            for cut2 in [cut1, cut1 + 1, cut1 + 7, 64, 70] {
                if cut2 < cut1 || cut2 > 70 {
                    continue;
                }
                for split in [None, Some(3u64), Some(cut1 as u64 + 1), Some(40)] {
                    let mut b = TreeBuilder::new();
                    let mut prefix = None;
                    for (a, z) in [(0, cut1), (cut1, cut2), (cut2, 70)] {
                        for p in subtree_pieces(&leaves[a..z], a as u64, split) {
                            if let Piece::Subtree(h, hash) = p {
                                b.push_subtree(h, hash);
                            }
                            if split == Some(b.size()) && prefix.is_none() {
                                prefix = Some(b.root());
                            }
                        }
                    }
                    let mut want = TreeBuilder::new();
                    let mut want_prefix = None;
                    for l in &leaves {
                        want.push(*l);
                        if split == Some(want.size()) {
                            want_prefix = Some(want.root());
                        }
                    }
                    assert_eq!(b.root(), want.root(), "cuts {cut1} {cut2}");
                    assert_eq!(b.size(), 70);
                    assert_eq!(prefix, want_prefix, "cuts {cut1} {cut2} split {split:?}");
                }
            }
        }
    }
}
