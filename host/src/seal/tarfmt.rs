//! The one tar form a sealed bundle uses, written and checked in the same place: ustar
//! headers (name split into prefix/name, never a GNU or pax extension), regular files
//! only, mode 0644, uid/gid 0, empty owner names, one mtime.

use super::Rejected;

/// Size of a tar block.
pub const BLOCK: usize = 512;
/// The mode of every entry.
pub const MODE: u32 = 0o644;

/// Is `path` a name a sealed bundle may hold: relative, `/`-separated, no empty, `.` or
/// `..` component, no backslash or control character, and short enough for ustar?
pub fn check_name(path: &str) -> Result<(), String> {
    if path.is_empty() || path.starts_with('/') || path.ends_with('/') {
        return Err(format!("{path:?}: not a relative file path"));
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return Err(format!(
            "{path:?}: control character or backslash in the name"
        ));
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(format!("{path:?}: empty, '.' or '..' component"));
    }
    split_ustar(path).map(|_| ())
}

/// Splits `path` into ustar (prefix, name): name at most 100 bytes, prefix at most 155,
/// split at a `/`. A path that fits neither way would need a long-name extension.
fn split_ustar(path: &str) -> Result<(&str, &str), String> {
    let b = path.as_bytes();
    if b.len() <= 100 {
        return Ok(("", path));
    }
    for (i, _) in path.match_indices('/') {
        if i <= 155 && b.len() - i - 1 <= 100 && i > 0 {
            return Ok((&path[..i], &path[i + 1..]));
        }
    }
    Err(format!(
        "{path:?}: too long for a ustar header ({} bytes) and sealed bundles use no long-name extensions",
        b.len()
    ))
}

/// The header of one entry.
pub fn header(path: &str, size: u64, mtime: u64) -> Result<tar::Header, String> {
    check_name(path)?;
    let (prefix, name) = split_ustar(path)?;
    let mut h = tar::Header::new_ustar();
    {
        let raw = h.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
    }
    if let Some(u) = h.as_ustar_mut() {
        u.prefix[..prefix.len()].copy_from_slice(prefix.as_bytes());
    }
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(MODE);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.set_cksum();
    Ok(h)
}

/// One entry's header, read back and held to the sealed form.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub path: String,
    pub size: u64,
    pub mtime: u64,
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    &field[..end]
}

/// Parses a header block and refuses anything a sealed bundle cannot hold.
pub fn parse(block: &[u8; BLOCK], max_size: u64) -> Result<Parsed, Rejected> {
    let h = tar::Header::from_byte_slice(block);
    let name = cstr(&h.as_old().name);
    let at = String::from_utf8_lossy(name).into_owned();
    let bad = |what: String| Rejected::structure(format!("entry {at:?}: {what}"));
    let ustar = h
        .as_ustar()
        .ok_or_else(|| bad("not a ustar header (GNU or old-style tar)".into()))?;
    let sum = h
        .cksum()
        .map_err(|e| bad(format!("header checksum field: {e}")))?;
    let actual: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    if sum != actual {
        return Err(bad("header checksum does not match".into()));
    }
    let kind = h.entry_type();
    if kind != tar::EntryType::Regular {
        return Err(bad(format!(
            "type {:?} ({}): only regular files are allowed (no links, directories, devices, sparse or extension headers)",
            char::from(kind.as_byte()),
            match kind {
                tar::EntryType::Symlink => "symlink",
                tar::EntryType::Link => "hard link",
                tar::EntryType::Directory => "directory",
                tar::EntryType::GNUSparse => "sparse file",
                tar::EntryType::XHeader | tar::EntryType::XGlobalHeader => "pax header",
                tar::EntryType::GNULongName | tar::EntryType::GNULongLink => "GNU long name",
                _ => "other",
            }
        )));
    }
    let prefix = cstr(&ustar.prefix);
    let full = if prefix.is_empty() {
        name.to_vec()
    } else {
        [prefix, b"/", name].concat()
    };
    let path = String::from_utf8(full).map_err(|_| bad("name is not UTF-8".into()))?;
    check_name(&path).map_err(|e| Rejected::structure(format!("unsafe entry name: {e}")))?;
    let size = h.size().map_err(|e| bad(format!("size field: {e}")))?;
    if size > max_size {
        return Err(bad(format!(
            "declares {size} bytes, over the cap of {max_size} (see --max-entry-mb)"
        )));
    }
    let mode = h.mode().map_err(|e| bad(format!("mode field: {e}")))?;
    let uid = h.uid().map_err(|e| bad(format!("uid field: {e}")))?;
    let gid = h.gid().map_err(|e| bad(format!("gid field: {e}")))?;
    if mode != MODE || uid != 0 || gid != 0 {
        return Err(bad(format!(
            "mode {mode:o} uid {uid} gid {gid}: sealed entries are 0644, uid 0, gid 0"
        )));
    }
    if !cstr(&ustar.uname).is_empty() || !cstr(&ustar.gname).is_empty() {
        return Err(bad("owner names are set: sealed entries have none".into()));
    }
    let mtime = h.mtime().map_err(|e| bad(format!("mtime field: {e}")))?;
    Ok(Parsed { path, size, mtime })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_split() {
        assert!(check_name("a/b.txt").is_ok());
        for bad in [
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/./b",
            "a\\b",
            "a/",
            "",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let long = format!("{}/{}", "d".repeat(150), "f".repeat(100));
        assert_eq!(split_ustar(&long).unwrap().1.len(), 100);
        assert!(
            check_name(&"x".repeat(101)).is_err(),
            "one component over 100 bytes"
        );
        let h = header(&long, 3, 7).unwrap();
        let mut block = [0u8; BLOCK];
        block.copy_from_slice(h.as_bytes());
        let p = parse(&block, 10).unwrap();
        assert_eq!((p.path.as_str(), p.size, p.mtime), (long.as_str(), 3, 7));
        assert!(parse(&block, 2).is_err(), "size cap");
    }
}
