//! Collecting one host's results folder into `<out>/<host>/`, all or nothing: files are
//! pulled (each verified against the host's SHA-256) into a staging directory next to the
//! destination, a `SHA256SUMS` file (`sha256sum -c` format) is written, and only then is
//! the staging directory renamed into place. A failure removes the staging directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::ops::{PulledFile, Transfer};

use super::host_entry::HostEntry;
use super::inventory::check_host_name;

/// Checksum file written in each collected host directory.
pub const SUMS_FILE: &str = "SHA256SUMS";

/// What was collected from one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedHost {
    pub dir: PathBuf,
    /// Sorted by relative path.
    pub files: Vec<PulledFile>,
}

impl CollectedHost {
    /// How this host's files travelled, for the operator's report: a host that fell back
    /// to plain reads costs full price on every later collect.
    pub fn transfer(&self) -> TransferSummary {
        let modes = self.files.iter().filter(|f| f.size > 0).map(|f| f.transfer);
        let mut mode = None;
        for m in modes {
            mode = Some(match (mode, m) {
                (_, Transfer::Fallback) | (Some(Transfer::Fallback), _) => Transfer::Fallback,
                (Some(Transfer::Plain), _) | (_, Transfer::Plain) => Transfer::Plain,
                _ => Transfer::Gzip,
            });
        }
        TransferSummary {
            mode,
            bytes: self.files.iter().map(|f| f.size).sum(),
            wire_bytes: self.files.iter().map(|f| f.wire_bytes).sum(),
        }
    }
}

/// How one host's collected files travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferSummary {
    /// `Fallback` if any file fell back to plain reads, else `Plain` if any went plain,
    /// else `Gzip`; `None` when no file had bytes to read.
    pub mode: Option<Transfer>,
    /// The files' size.
    pub bytes: u64,
    /// What the host sent for them (after base64 decoding).
    pub wire_bytes: u64,
}

impl TransferSummary {
    /// `gzip`, `plain`, `fallback` (the host could not compress) or `none`.
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            Some(Transfer::Gzip) => "gzip",
            Some(Transfer::Plain) => "plain",
            Some(Transfer::Fallback) => "fallback",
            None => "none",
        }
    }

    /// One phrase for a table line: `gzip, 1.2 MB as 95 KB`.
    pub fn describe(&self) -> String {
        let mode = match self.mode {
            Some(Transfer::Fallback) => "PLAIN (host cannot compress)",
            _ => self.mode_name(),
        };
        format!(
            "{mode}, {} as {}",
            human(self.bytes),
            human(self.wire_bytes)
        )
    }
}

fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Pulls `entry.results_dir` into `out/<entry.name>`; replaces an existing directory only
/// with `force`.
pub async fn collect_host(
    client: &Client,
    entry: &HostEntry,
    out: &Path,
    force: bool,
) -> Result<CollectedHost, Error> {
    stage(client, &entry.name, &entry.results_dir, out, force)
        .await?
        .commit()
}

/// Fails early when `out/<name>` exists and `force` is not given, so a long scan is not
/// run only to find its results cannot be kept.
pub fn check_destination(
    client: &Client,
    name: &str,
    out: &Path,
    force: bool,
) -> Result<PathBuf, Error> {
    check_host_name(name).map_err(|_| client.err(ErrorKind::UnsafePath(name.to_string())))?;
    let dest = out.join(name);
    if dest.exists() && !force {
        return Err(client.err(ErrorKind::Local {
            path: dest,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "already exists (use --force to replace it)",
            ),
        }));
    }
    Ok(dest)
}

/// A host's results pulled and verified into a staging directory beside their
/// destination, not yet in place: the caller may inspect [`Staged::files`] and then
/// [`Staged::commit`]; dropping it removes everything pulled.
#[derive(Debug)]
pub struct Staged<'c> {
    client: &'c Client,
    staging: tempfile::TempDir,
    dest: PathBuf,
    files: Vec<PulledFile>,
}

/// Pulls the remote folder `remote_dir` into a staging directory for `out/<name>`.
pub async fn stage<'c>(
    client: &'c Client,
    name: &str,
    remote_dir: &str,
    out: &Path,
    force: bool,
) -> Result<Staged<'c>, Error> {
    let local = |path: &Path, source: std::io::Error| {
        client.err(ErrorKind::Local {
            path: path.to_path_buf(),
            source,
        })
    };
    let dest = check_destination(client, name, out, force)?;
    std::fs::create_dir_all(out).map_err(|e| local(out, e))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempdir_in(out)
        .map_err(|e| local(out, e))?;
    let mut files = client.pull_tree(remote_dir, staging.path()).await?;
    // Our checksum file must not silently replace a collected file of the same name.
    if files.iter().any(|f| f.relative == SUMS_FILE) {
        return Err(client.err(ErrorKind::UnsafePath(format!(
            "{SUMS_FILE} (a results file has the name of the checksum file)"
        ))));
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(Staged {
        client,
        staging,
        dest,
        files,
    })
}

impl Staged<'_> {
    /// Every file pulled, sorted by relative path.
    pub fn files(&self) -> &[PulledFile] {
        &self.files
    }

    /// Writes `SHA256SUMS` and renames the staging directory into place (replacing an
    /// existing destination, which [`stage`] allowed only with `force`).
    pub fn commit(self) -> Result<CollectedHost, Error> {
        let Staged {
            client,
            staging,
            dest,
            mut files,
        } = self;
        let local = |path: &Path, source: std::io::Error| {
            client.err(ErrorKind::Local {
                path: path.to_path_buf(),
                source,
            })
        };
        let sums_path = staging.path().join(SUMS_FILE);
        let mut sums = String::new();
        for f in &files {
            sums.push_str(&format!("{}  {}\n", f.sha256, f.relative));
        }
        let mut fh = std::fs::File::create(&sums_path).map_err(|e| local(&sums_path, e))?;
        fh.write_all(sums.as_bytes())
            .and_then(|_| fh.sync_all())
            .map_err(|e| local(&sums_path, e))?;
        if dest.exists() {
            std::fs::remove_dir_all(&dest).map_err(|e| local(&dest, e))?;
        }
        let staged = staging.keep();
        if let Err(e) = std::fs::rename(&staged, &dest) {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(local(&dest, e));
        }
        for f in &mut files {
            if let Ok(rest) = f.local.strip_prefix(&staged) {
                f.local = dest.join(rest);
            }
        }
        Ok(CollectedHost { dir: dest, files })
    }
}
