//! Shared plumbing for stigpack's guest components.
//!
//! The sandbox gives a component `/input` (read-only) and `/output` (writable). Directory
//! listings come back in host order, which differs between file systems, so every walk
//! here is sorted: that is what makes a component's output independent of where it ran.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use wasip2::filesystem::preopens::get_directories;
use wasip2::filesystem::types::{Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags};

/// Where the host mounts the inputs (read-only).
pub const INPUT: &str = "/input";
/// Where the host mounts the output staging directory.
pub const OUTPUT: &str = "/output";

/// A file found under `/input`.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Path relative to `/input`, `/` separated: the name reported in errors.
    pub rel: String,
    pub path: PathBuf,
}

/// Every regular file below `dir` (relative to `/input`), sorted by relative path bytes.
/// Symlinks are not followed: the sandbox would refuse them anyway, and a component must
/// not depend on what they point to.
pub fn walk_input(dir: &str) -> io::Result<Vec<InputFile>> {
    let root = Path::new(INPUT).join(dir);
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    walk(&root, dir.trim_matches('/'), &mut out)?;
    out.sort_by(|a, b| a.rel.as_bytes().cmp(b.rel.as_bytes()));
    Ok(out)
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<InputFile>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let child_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let ft = e.file_type()?;
        if ft.is_dir() {
            walk(&e.path(), &child_rel, out)?;
        } else if ft.is_file() {
            out.push(InputFile {
                rel: child_rel,
                path: e.path(),
            });
        }
    }
    Ok(())
}

/// Immediate subdirectories of `dir` (relative to `/input`), sorted.
pub fn subdirs(dir: &str) -> io::Result<Vec<String>> {
    let root = Path::new(INPUT).join(dir);
    let mut names = Vec::new();
    if !root.exists() {
        return Ok(names);
    }
    for e in fs::read_dir(root)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Writes files under `/output` and remembers their relative paths for `run`'s result.
///
/// Each file is written with one `wasi:filesystem` `descriptor.write` of the whole buffer
/// (up to [`WRITE_CHUNK`] at a time) rather than through `std::fs::File`: std writes
/// through an output stream in chunks of at most 64 KiB, and wasmtime hands every stream
/// write to a thread of its blocking pool (two thread switches each), while
/// `descriptor.write` is one `pwrite` on the calling thread. Checklists are megabytes, and
/// an export writes gigabytes of them (16 hosts: 10,136 futex calls before, 55 after).
#[derive(Default)]
pub struct Outputs {
    written: Vec<String>,
    /// `/output`'s descriptor, found once among the preopens.
    dir: Option<Descriptor>,
}

impl std::fmt::Debug for Outputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outputs")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

/// The most one `descriptor.write` hands the host: the host copies each call's bytes
/// out of the guest's memory before writing them, so this bounds that copy (a 4 MiB
/// checklist is still one call; a 200 MB index is 25).
const WRITE_CHUNK: usize = 8 << 20;

fn wasi_error(what: &str, e: ErrorCode) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

impl Outputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Write `bytes` to `/output/<rel>`, creating parent directories. `rel` must be a
    /// relative `/`-separated path; the host re-checks every name it receives.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let mut file = self.create(rel)?;
        file.append(bytes)
    }

    /// Creates (or truncates) `/output/<rel>` to be written in parts with
    /// [`OutputFile::append`], so a file of hundreds of megabytes never has to be held
    /// whole in the guest's memory. The path is checked as for [`Self::write`].
    pub fn create(&mut self, rel: &str) -> io::Result<OutputFile> {
        if rel.is_empty()
            || rel.starts_with('/')
            || rel.split('/').any(|c| c == ".." || c.is_empty())
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing output path {rel:?}"),
            ));
        }
        let path = Path::new(OUTPUT).join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let dir = match &self.dir {
            Some(d) => d,
            None => {
                let found = get_directories()
                    .into_iter()
                    .find(|(_, name)| name == OUTPUT)
                    .map(|(d, _)| d)
                    .ok_or_else(|| io::Error::other(format!("no {OUTPUT} preopen")))?;
                self.dir.insert(found)
            }
        };
        let file = dir
            .open_at(
                PathFlags::empty(),
                rel,
                OpenFlags::CREATE | OpenFlags::TRUNCATE,
                DescriptorFlags::WRITE,
            )
            .map_err(|e| wasi_error(rel, e))?;
        self.written.push(rel.to_string());
        Ok(OutputFile {
            rel: rel.to_string(),
            file,
            offset: 0,
        })
    }

    /// The relative paths written so far, sorted.
    pub fn finish(mut self) -> Vec<String> {
        self.written.sort();
        self.written.dedup();
        self.written
    }
}

/// A file under `/output` being written in parts (see [`Outputs::create`]).
pub struct OutputFile {
    rel: String,
    file: Descriptor,
    offset: u64,
}

impl std::fmt::Debug for OutputFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFile")
            .field("rel", &self.rel)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl OutputFile {
    /// Appends `bytes`: one `descriptor.write` per [`WRITE_CHUNK`].
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut done = 0;
        while done < bytes.len() {
            let end = bytes.len().min(done + WRITE_CHUNK);
            let n = self
                .file
                .write(&bytes[done..end], self.offset)
                .map_err(|e| wasi_error(&self.rel, e))?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, self.rel.clone()));
            }
            done += n as usize;
            self.offset += n;
        }
        Ok(())
    }
}

/// Parse `options` into a lookup helper.
#[derive(Debug, Clone, Default)]
pub struct Options(pub Vec<(String, String)>);

impl Options {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A `true`/`false` option; anything else is the message for `RunError::Unsupported`.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.get(name) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(format!("{name} {other:?}: use true or false")),
        }
    }
}
