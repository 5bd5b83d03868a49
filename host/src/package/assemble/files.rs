//! Placing files without copying their bytes where the file system allows: what a run
//! reads, and what the package keeps of it, are hard links to the same inode.

use std::fs;
use std::path::Path;

use anyhow::Context;

use super::super::hashlist;

/// Hard-links `src` to `dst` (copies across devices), creating `dst`'s parent.
pub fn link_or_copy(src: &Path, dst: &Path) -> anyhow::Result<()> {
    if let Some(p) = dst.parent() {
        fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
    }
    if fs::hard_link(src, dst).is_err() {
        fs::copy(src, dst)
            .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
    }
    Ok(())
}

/// Mirrors the regular files of `src` into `dst` by hard links (copies across devices).
pub fn mirror(src: &Path, dst: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    for rel in hashlist::walk(src)? {
        link_or_copy(&src.join(&rel), &dst.join(&rel))?;
    }
    Ok(())
}
