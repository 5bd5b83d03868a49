//! SHA-256 of files, streamed in large blocks so memory stays flat whatever the size.
//! The `sha2` crate picks SHA-NI at run time where the CPU has it.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Block size for streaming reads: large enough to amortise syscalls, small enough to
/// stay in cache.
const BLOCK: usize = 256 * 1024;

/// The lowercase hex SHA-256 of a file and its length in bytes.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    sha256_reader(&mut File::open(path)?)
}

fn sha256_reader(f: &mut impl Read) -> io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; BLOCK];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex::encode(h.finalize()), total))
}

/// The lowercase hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Remembers the SHA-256 of files already hashed in this process, so that one build does
/// not hash the same bytes again each time a file reappears: a scan is an input of
/// `import` and a package file, a model file is an output of `import` and an input of
/// `checklist` and `emass` (through hard links: the same inode), a checklist is an output
/// of `checklist` and a line of the hash list.
///
/// A hit needs the same device and inode with the same size, modification time and
/// change time. The change time cannot be set by any unprivileged process (a guest's
/// `set-times` moves it forward too), so a file rewritten since it was hashed misses.
/// Entries are made only when the file's metadata did not change while it was read.
/// Scope one cache to one command: it trusts the file system for no longer than that.
/// Within a build every cached file is out of any guest's reach once it is hashed
/// (inputs are mounted read-only; outputs are hashed after the guest has returned), so
/// the coarse timestamp granularity of some file systems does not open a window.
#[derive(Debug, Default)]
pub struct DigestCache {
    #[cfg(unix)]
    seen: std::sync::Mutex<std::collections::HashMap<(u64, u64), Seen>>,
    /// Bytes actually read and hashed (cache misses), for tests and timings.
    hashed_bytes: std::sync::atomic::AtomicU64,
}

#[cfg(unix)]
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    sha256: String,
}

/// (device, inode), length, modification time, change time: what a cache hit must match.
#[cfg(unix)]
type Stamp = ((u64, u64), u64, (i64, i64), (i64, i64));

#[cfg(unix)]
fn stamp(m: &std::fs::Metadata) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    (
        (m.dev(), m.ino()),
        m.len(),
        (m.mtime(), m.mtime_nsec()),
        (m.ctime(), m.ctime_nsec()),
    )
}

impl DigestCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Like [`sha256_file`], answered from memory when the file is unchanged since this
    /// cache last hashed it.
    pub fn sha256_file(&self, path: &Path) -> io::Result<(String, u64)> {
        #[cfg(unix)]
        {
            let mut f = File::open(path)?;
            let before = stamp(&f.metadata()?);
            let (key, len, mtime, ctime) = before;
            if let Some(s) = self.lookup(key) {
                if s.len == len && s.mtime == mtime && s.ctime == ctime {
                    return Ok((s.sha256, s.len));
                }
            }
            let (sha256, read) = sha256_reader(&mut f)?;
            self.hashed_bytes
                .fetch_add(read, std::sync::atomic::Ordering::Relaxed);
            if stamp(&f.metadata()?) == before && read == len {
                self.remember(before, &sha256);
            }
            Ok((sha256, read))
        }
        #[cfg(not(unix))]
        {
            let (sha256, read) = sha256_file(path)?;
            self.hashed_bytes
                .fetch_add(read, std::sync::atomic::Ordering::Relaxed);
            Ok((sha256, read))
        }
    }

    /// Copies `src` to the new file `dst`, hashing the bytes as they are written, and
    /// remembers the digest for `dst`: the digest of a package's copy is that of the
    /// bytes put in it, not of what the source holds when someone looks again.
    pub fn copy_file(&self, src: &Path, dst: &Path) -> io::Result<(String, u64)> {
        use std::io::Write;
        let mut from = File::open(src)?;
        let mut to = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dst)?;
        let mut hasher = Sha256::new();
        // One buffer per copy, reused for every chunk (not a fresh allocation each).
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            to.write_all(&buf[..n])?;
            total += n as u64;
        }
        let sha256 = hex::encode(hasher.finalize());
        self.hashed_bytes
            .fetch_add(total, std::sync::atomic::Ordering::Relaxed);
        #[cfg(unix)]
        {
            let written = stamp(&to.metadata()?);
            if written.1 == total {
                self.remember(written, &sha256);
            }
        }
        Ok((sha256, total))
    }

    /// Bytes read from disk and hashed so far (what the cache did not save).
    pub fn hashed_bytes(&self) -> u64 {
        self.hashed_bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    #[cfg(unix)]
    fn remember(&self, (key, len, mtime, ctime): Stamp, sha256: &str) {
        if let Ok(mut map) = self.seen.lock() {
            map.insert(
                key,
                Seen {
                    len,
                    mtime,
                    ctime,
                    sha256: sha256.to_owned(),
                },
            );
        }
    }

    #[cfg(unix)]
    fn lookup(&self, key: (u64, u64)) -> Option<Seen> {
        self.seen.lock().ok()?.get(&key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_answers_unchanged_files_and_links_and_rehashes_changed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, b"first contents").unwrap();
        let cache = DigestCache::new();
        let (d1, n1) = cache.sha256_file(&a).unwrap();
        assert_eq!((d1.clone(), n1), sha256_file(&a).unwrap());
        assert_eq!(cache.hashed_bytes(), 14);
        // Unchanged: answered from memory.
        assert_eq!(cache.sha256_file(&a).unwrap().0, d1);
        assert_eq!(cache.hashed_bytes(), 14);
        // A new hard link changes the inode's change time, so the next look hashes it
        // again (the cost of keying on a time no process can set); after that, both
        // names are answered from memory.
        let b = dir.path().join("b");
        std::fs::hard_link(&a, &b).unwrap();
        assert_eq!(cache.sha256_file(&b).unwrap().0, d1);
        assert_eq!(cache.hashed_bytes(), 28);
        assert_eq!(cache.sha256_file(&a).unwrap().0, d1);
        assert_eq!(cache.hashed_bytes(), 28);
        // Same length, new bytes: the change time moved, so it is hashed again and the
        // new digest is returned. (The pause steps past the file system's timestamp
        // granularity: the cache relies on nothing rewriting a file within one tick of
        // its hashing, which holds in a build; see the type's comment.)
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::fs::write(&a, b"other contents").unwrap();
        let (d2, _) = cache.sha256_file(&a).unwrap();
        assert_ne!(d2, d1);
        assert_eq!(d2, sha256_file(&a).unwrap().0);
        assert_eq!(cache.hashed_bytes(), 42);
    }

    #[test]
    fn a_copy_is_remembered_with_the_digest_of_the_bytes_written() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        // More than one chunk, not a whole number of them.
        let bytes: Vec<u8> = (0..(3 << 20) + 17).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&src, &bytes).unwrap();
        let cache = DigestCache::new();
        let dst = dir.path().join("dst");
        let (sha, n) = cache.copy_file(&src, &dst).unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), bytes);
        assert_eq!((sha.clone(), n), sha256_file(&src).unwrap());
        // The copy is answered from memory (nothing more is read).
        let before = cache.hashed_bytes();
        assert_eq!(cache.sha256_file(&dst).unwrap().0, sha);
        assert_eq!(cache.hashed_bytes(), before);
        // An existing destination is never overwritten.
        assert!(cache.copy_file(&src, &dst).is_err());
        // Rewritten later: read and hashed again, the new digest returned.
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::fs::write(&dst, b"changed").unwrap();
        let (changed, _) = cache.sha256_file(&dst).unwrap();
        assert_eq!(changed, sha256_hex(b"changed"));
        assert_eq!(cache.hashed_bytes(), before + 7);
    }
}
