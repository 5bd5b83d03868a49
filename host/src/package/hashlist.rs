//! `00_Manifest/file_hashes.sha256` and the package hash.
//!
//! The list is exactly what `sha256sum -c` reads and what Go's `dirhash.Hash1` hashes:
//! one `<64 lowercase hex>  <path>\n` line per file, `/` separators, no `./`, sorted by
//! the raw bytes of the path, no BOM. It covers every regular file of the package except
//! itself, `manifest.json` (which embeds the package hash and so cannot be inside it)
//! and the signed provenance envelope (which signs the listed files); those are checked
//! separately by `validate`. A path containing a newline or a
//! backslash cannot be listed unambiguously and is refused.

use std::fs;
use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::hashing::DigestCache;

/// Package-relative path of the hash list.
pub const HASH_LIST: &str = "00_Manifest/file_hashes.sha256";
/// Package-relative path of the manifest.
pub const MANIFEST: &str = "00_Manifest/manifest.json";
/// Package-relative path of the signed provenance (DSSE), present when the package was
/// signed: it signs the listed files, so it cannot be one of them (see `super::signed`).
pub const ENVELOPE: &str = "00_Manifest/provenance.intoto.dsse.json";
/// The files the hash list cannot cover.
pub const OUTSIDE: [&str; 3] = [HASH_LIST, MANIFEST, ENVELOPE];

/// One listed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Every regular file under `root` as package-relative `/` paths, sorted by bytes.
/// Symlinks and special files are errors: a package holds only regular files.
pub fn walk(root: &Path) -> anyhow::Result<Vec<String>> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
        for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let ft = entry.file_type()?;
            let path = entry.path();
            if ft.is_dir() {
                go(root, &path, out)?;
            } else if ft.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .with_context(|| format!("{} is outside {}", path.display(), root.display()))?;
                let mut parts = Vec::new();
                for c in rel.components() {
                    let s = c.as_os_str().to_str().ok_or_else(|| {
                        anyhow::anyhow!("{}: file name is not valid UTF-8", path.display())
                    })?;
                    parts.push(s.to_owned());
                }
                out.push(parts.join("/"));
            } else {
                anyhow::bail!(
                    "{}: not a regular file or directory (symlinks and special files are not allowed in a package)",
                    path.display()
                );
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(root, root, &mut out)?;
    out.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(out)
}

/// Hashes every file of the package except the two outside the list, on every core.
/// Files the build already hashed (scans, checklists) come from `cache`.
pub fn compute(root: &Path, cache: &DigestCache) -> anyhow::Result<Vec<Entry>> {
    let mut rels = Vec::new();
    for rel in walk(root)? {
        if OUTSIDE.contains(&rel.as_str()) {
            continue;
        }
        if rel.contains(['\n', '\r', '\\']) {
            anyhow::bail!("{rel:?}: a package path may not contain a newline or a backslash");
        }
        rels.push(rel);
    }
    crate::parallel::try_map(&rels, crate::parallel::jobs(), |_, rel| {
        let (sha256, bytes) = cache
            .sha256_file(&root.join(rel))
            .with_context(|| format!("hashing {rel}"))?;
        Ok(Entry {
            path: rel.clone(),
            sha256,
            bytes,
        })
    })
}

/// The hash-list text.
pub fn render(entries: &[Entry]) -> String {
    let mut s = String::with_capacity(entries.len() * 100);
    for e in entries {
        s.push_str(&e.sha256);
        s.push_str("  ");
        s.push_str(&e.path);
        s.push('\n');
    }
    s
}

/// Parses a hash list strictly (the format [`render`] writes). Errors name the line.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let mut out: Vec<Entry> = Vec::new();
    if text.starts_with('\u{feff}') {
        return Err("starts with a byte-order mark".into());
    }
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("last line has no newline".into());
    }
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let (hex, path) = line
            .split_once("  ")
            .ok_or_else(|| format!("line {n}: not `<sha256>  <path>`"))?;
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!("line {n}: {hex:?} is not 64 lowercase hex digits"));
        }
        if path.is_empty()
            || path.starts_with('/')
            || path.starts_with("./")
            || path.contains('\\')
            || path.contains('\r')
            || path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(format!("line {n}: unsafe or non-canonical path {path:?}"));
        }
        if let Some(prev) = out.last() {
            if prev.path.as_bytes() >= path.as_bytes() {
                return Err(format!(
                    "line {n}: {path:?} is not after {:?} in byte order (unsorted or duplicate)",
                    prev.path
                ));
            }
        }
        out.push(Entry {
            path: path.to_owned(),
            sha256: hex.to_owned(),
            bytes: 0,
        });
    }
    Ok(out)
}

/// `packageHash`: SHA-256 of the hash-list bytes, lowercase hex.
pub fn package_hash(list_text: &str) -> String {
    hex::encode(Sha256::digest(list_text.as_bytes()))
}

/// The same digest in Go's `dirhash` form, `h1:<base64>`.
pub fn h1(list_text: &str) -> String {
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(list_text.as_bytes()))
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn render_parse_round_trip_and_strictness() {
        let entries = vec![
            Entry {
                path: "01_Scans/A/x.ckl".into(),
                sha256: "a".repeat(64),
                bytes: 1,
            },
            Entry {
                path: "01_Scans/a/x.ckl".into(),
                sha256: "b".repeat(64),
                bytes: 1,
            },
        ];
        let text = render(&entries);
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].path, "01_Scans/a/x.ckl");
        for bad in [
            format!("\u{feff}{text}"),
            text.trim_end().to_owned(),
            format!("{}  ../x\n", "a".repeat(64)),
            format!("{}  b\n{}  a\n", "a".repeat(64), "a".repeat(64)),
            format!("{}  a\n", "A".repeat(64)),
            format!("{} a\n", "a".repeat(64)),
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn h1_is_base64_of_the_same_digest() {
        let text = "x";
        let raw = hex::decode(package_hash(text)).unwrap();
        assert_eq!(
            h1(text),
            format!(
                "h1:{}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        );
    }
}
