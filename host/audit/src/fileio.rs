//! Small positional-read helpers shared by append, the index and repair: they find the
//! end of the last complete line and read that line without reading the whole log.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::AuditError;

const BACK_CHUNK: u64 = 4096;

/// Reads exactly `buf.len()` bytes at `offset`.
pub(crate) fn read_at(
    file: &File,
    path: &Path,
    offset: u64,
    buf: &mut [u8],
) -> Result<(), AuditError> {
    let mut f = file;
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.read_exact(buf))
        .map_err(AuditError::io(path, "read"))
}

/// Offset of the last `\n` strictly before `end`, if any.
fn last_newline_before(file: &File, path: &Path, end: u64) -> Result<Option<u64>, AuditError> {
    let mut hi = end;
    let mut buf = vec![0u8; BACK_CHUNK as usize];
    while hi > 0 {
        let lo = hi.saturating_sub(BACK_CHUNK);
        let chunk = &mut buf[..(hi - lo) as usize];
        read_at(file, path, lo, chunk)?;
        if let Some(p) = memchr::memrchr(b'\n', chunk) {
            return Ok(Some(lo + p as u64));
        }
        hi = lo;
    }
    Ok(None)
}

/// Length of the prefix made of complete (newline-terminated) lines.
pub(crate) fn complete_len(file: &File, path: &Path, len: u64) -> Result<u64, AuditError> {
    Ok(last_newline_before(file, path, len)?.map_or(0, |p| p + 1))
}

/// The last complete line ending at `end` (which must follow a `\n`), without its newline,
/// and where it starts.
pub(crate) fn last_line(
    file: &File,
    path: &Path,
    end: u64,
) -> Result<Option<(u64, Vec<u8>)>, AuditError> {
    if end == 0 {
        return Ok(None);
    }
    let start = last_newline_before(file, path, end - 1)?.map_or(0, |p| p + 1);
    let mut line = vec![0u8; (end - 1 - start) as usize];
    read_at(file, path, start, &mut line)?;
    Ok(Some((start, line)))
}

/// fsyncs a directory so a newly created entry in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(AuditError::io(dir, "fsync directory"))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), AuditError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(AuditError::io(dir, "create directory"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(AuditError::Io {
            path: path.to_owned(),
            what: "write",
            source: e,
        });
    }
    sync_dir(dir)
}
