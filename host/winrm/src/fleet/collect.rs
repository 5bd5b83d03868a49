//! Collecting one host's results folder into `<out>/<host>/`, all or nothing: files are
//! pulled (each verified against the host's SHA-256) into a staging directory next to the
//! destination, a `SHA256SUMS` file (`sha256sum -c` format) is written, and only then is
//! the staging directory renamed into place. A failure removes the staging directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::ops::PulledFile;

use super::inventory::{check_host_name, HostEntry};

/// Checksum file written in each collected host directory.
pub const SUMS_FILE: &str = "SHA256SUMS";

/// What was collected from one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedHost {
    pub dir: PathBuf,
    /// Sorted by relative path.
    pub files: Vec<PulledFile>,
}

/// Pulls `entry.results_dir` into `out/<entry.name>`; replaces an existing directory only
/// with `force`.
pub async fn collect_host(
    client: &Client,
    entry: &HostEntry,
    out: &Path,
    force: bool,
) -> Result<CollectedHost, Error> {
    let local = |path: &Path, source: std::io::Error| {
        client.err(ErrorKind::Local {
            path: path.to_path_buf(),
            source,
        })
    };
    check_host_name(&entry.name)
        .map_err(|_| client.err(ErrorKind::UnsafePath(entry.name.clone())))?;
    let dest = out.join(&entry.name);
    if dest.exists() && !force {
        return Err(local(
            &dest,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "already exists (use --force to replace it)",
            ),
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| local(out, e))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{}.partial-", entry.name))
        .tempdir_in(out)
        .map_err(|e| local(out, e))?;
    let mut files = client.pull_tree(&entry.results_dir, staging.path()).await?;
    // Our checksum file must not silently replace a collected file of the same name.
    if files.iter().any(|f| f.relative == SUMS_FILE) {
        return Err(client.err(ErrorKind::UnsafePath(format!(
            "{SUMS_FILE} (a results file has the name of the checksum file)"
        ))));
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
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
