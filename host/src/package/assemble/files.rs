//! Placing files without copying their bytes where the file system allows: what a run
//! reads, and what the package keeps of it, are hard links to the same inode.

use std::fs;
use std::path::Path;

use anyhow::Context;

use super::super::hashlist;

/// The name an operator's file is kept under in a package: its own name, reduced to
/// `[A-Za-z0-9._-]`, at most 100 characters, no leading dots (so never hidden, never
/// `..`). `None` when the path has no file name.
pub fn sanitized_file_name(path: &Path) -> Option<String> {
    let base = path.file_name()?.to_string_lossy();
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    Some(safe.trim_start_matches('.').to_owned())
}

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

#[cfg(test)]
mod tests {
    use super::sanitized_file_name;
    use std::path::Path;

    /// Kept names can neither hide a file, nor climb out of their folder, nor carry
    /// characters a shell or eMASS would read differently.
    #[test]
    fn kept_names_are_plain_visible_and_bounded() {
        let name = |p: &str| sanitized_file_name(Path::new(p));
        assert_eq!(
            name("/srv/in/U_CCI_List.xml").as_deref(),
            Some("U_CCI_List.xml")
        );
        assert_eq!(
            name("answers 2026 (final).csv").as_deref(),
            Some("answers_2026__final_.csv")
        );
        assert_eq!(name("../..").as_deref(), None);
        assert_eq!(name("/").as_deref(), None);
        assert_eq!(name("..hidden").as_deref(), Some("hidden"));
        assert_eq!(name("...").as_deref(), Some(""));
        assert_eq!(name("räksmörgås.csv").as_deref(), Some("r_ksm_rg_s.csv"));
        assert_eq!(name(&"x".repeat(300)).map(|s| s.len()), Some(100));
    }
}
