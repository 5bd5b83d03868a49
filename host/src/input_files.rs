//! Reading an operator's input trees (scans, benchmarks, evidence) before anything is
//! copied or run: regular files only, no symbolic links or special files, none over the
//! per-file input cap, each refusal naming the file. Below the pipeline and the package
//! code, which both copy inputs this way.

use std::fs;
use std::path::Path;

use anyhow::Context;

use crate::exit::{coded, Exit};

/// The regular files under `src`, as sorted `/`-separated relative paths, refusing
/// symlinks, special files and files over the per-file input cap, each with the file
/// named. What [`copy_tree`] copies, checked before anything is read.
pub fn checked_files(src: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    checked_walk(src, "", &mut out)?;
    Ok(out)
}

fn checked_walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ft = entry
            .file_type()
            .with_context(|| format!("{}", path.display()))?;
        let name = entry.file_name();
        let name = name.to_str().ok_or_else(|| {
            coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: file name is not UTF-8", path.display()),
            )
        })?;
        let sub = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        if ft.is_symlink() {
            return Err(coded(
                Exit::BadInput,
                anyhow::anyhow!(
                    "{}: is a symbolic link; stigpack reads only real directories and files",
                    path.display()
                ),
            ));
        } else if ft.is_dir() {
            checked_walk(&path, &sub, out)?;
        } else if ft.is_file() {
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if len > stig_formats::MAX_INPUT_BYTES {
                return Err(coded(
                    Exit::BadInput,
                    anyhow::anyhow!(
                        "{}: {len} bytes exceeds the per-file input limit of {} bytes",
                        path.display(),
                        stig_formats::MAX_INPUT_BYTES
                    ),
                ));
            }
            out.push(sub);
        } else {
            return Err(coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: not a regular file", path.display()),
            ));
        }
    }
    Ok(())
}

/// Copy `src` (a directory tree of regular files) to `dst`, refusing symlinks, special
/// files and files over the per-file input cap, each with the file named.
pub fn copy_tree(src: &Path, dst: &Path) -> anyhow::Result<u64> {
    fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    let mut total = 0;
    for rel in checked_files(src)? {
        let (from, to) = (src.join(&rel), dst.join(&rel));
        if let Some(p) = to.parent() {
            fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        total += fs::copy(&from, &to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    }
    Ok(total)
}
