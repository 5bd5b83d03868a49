//! Writing a directory tree so that it appears whole or not at all.
//!
//! Outputs are built in a temporary directory beside the target (same file system, so the
//! final rename is atomic) and renamed into place only when complete. A failure, a panic
//! or Ctrl-C leaves the old target untouched and the temporary directory removed.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::exit::{coded, Exit};

/// The directory an output `target` (file or tree) is built beside, created if missing.
/// Refuses (usage error) an existing target unless `force`: every command that writes a
/// named output decides "replace or not" here, the same way, before any work is done.
pub fn prepare_parent(target: &Path, force: bool) -> anyhow::Result<PathBuf> {
    if target.exists() && !force {
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!(
                "{} already exists; pass --force to replace it",
                target.display()
            ),
        ));
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    Ok(parent)
}

/// A directory under construction that becomes `target` on [`Staged::commit`].
#[derive(Debug)]
pub struct Staged {
    dir: Option<tempfile::TempDir>,
    /// Marks the directory as alive until this run ends (see [`crate::stale`]).
    _claim: crate::stale::Claim,
    target: PathBuf,
    force: bool,
}

impl Staged {
    /// Prepare to build `target`. It must not exist unless `force`, in which case it is
    /// replaced whole at commit time.
    pub fn new(target: &Path, force: bool) -> anyhow::Result<Self> {
        let parent = prepare_parent(target, force)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        // Directories that an interrupted earlier run left here go first.
        crate::stale::sweep_and_report(&parent);
        let (dir, claim) =
            crate::stale::temp_dir_in(&parent, &format!(".{name}{}", crate::stale::STAGING_MARK))
                .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
        Ok(Staged {
            dir: Some(dir),
            _claim: claim,
            target: target.to_path_buf(),
            force,
        })
    }

    /// Where to build.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(Path::new(""))
    }

    /// Move the finished tree into place.
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        let dir = self
            .dir
            .take()
            .ok_or_else(|| anyhow::anyhow!("staging directory already committed"))?;
        let staged = dir.keep();
        if self.target.exists() {
            if !self.force {
                let _ = fs::remove_dir_all(&staged);
                return Err(coded(
                    Exit::Usage,
                    anyhow::anyhow!(
                        "{} appeared while exporting; not replacing it",
                        self.target.display()
                    ),
                ));
            }
            // Move the old tree aside first so that at every instant one whole tree exists.
            let old = staged.with_extension("old");
            fs::rename(&self.target, &old)
                .with_context(|| format!("moving the old {} aside", self.target.display()))?;
            fs::rename(&staged, &self.target)
                .with_context(|| format!("renaming into {}", self.target.display()))?;
            fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
        } else {
            fs::rename(&staged, &self.target)
                .with_context(|| format!("renaming into {}", self.target.display()))?;
        }
        if let Some(parent) = self.target.parent() {
            if let Ok(d) = fs::File::open(if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            }) {
                let _ = d.sync_all();
            }
        }
        Ok(self.target.clone())
    }
}
