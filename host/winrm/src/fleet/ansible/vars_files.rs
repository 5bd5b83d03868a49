//! `group_vars/` and `host_vars/` beside an inventory, read the way Ansible's default vars
//! plugin (`host_group_vars`) and `DataLoader.find_vars_files` read them, because operators
//! keep connection settings there and an inventory resolved without them would reach
//! hosts with the wrong user, port or transport.
//!
//! For a group or host NAME, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json`
//! that exists is used; a directory is read whole, its entries in sorted order, recursing
//! into sub-directories without an extension, skipping hidden files, backups (`~`) and
//! files with other extensions. Each file is one YAML mapping (JSON is YAML); an empty
//! file adds nothing; later files replace earlier keys. A vault-encrypted file is refused
//! with the file named: stigpack does not decrypt vaults.

use std::path::{Path, PathBuf};

use super::model::{FileVars, Model};
use super::yaml::to_var;

/// The extensions `C.YAML_FILENAME_EXTENSIONS` allows, after the bare name.
const EXTENSIONS: [&str; 4] = ["", ".yml", ".yaml", ".json"];

/// Files at most this large: a vars file is a few lines; anything bigger is a mistake.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// Directory levels followed below `group_vars/NAME/`.
const MAX_DEPTH: usize = 16;

/// Reads the vars files of every group and host of `model` from `dir`, the inventory's
/// directory. Errors name the file.
pub fn load(model: &mut Model, dir: &Path) -> Result<(), String> {
    let group_dir = dir.join("group_vars");
    if group_dir.is_dir() {
        for g in 0..model.groups.len() {
            model.groups[g].file_vars = entity_vars(&group_dir, &model.groups[g].name)?;
        }
    }
    let host_dir = dir.join("host_vars");
    if host_dir.is_dir() {
        for h in 0..model.hosts.len() {
            model.hosts[h].file_vars = entity_vars(&host_dir, &model.hosts[h].name)?;
        }
    }
    Ok(())
}

fn entity_vars(dir: &Path, name: &str) -> Result<FileVars, String> {
    // Names are checked by the inventory parsers; a separator would leave `dir`.
    if name.contains(['/', '\\']) || name == ".." {
        return Ok(FileVars::new());
    }
    let mut vars = FileVars::new();
    for file in find_vars_files(dir, name)? {
        read_into(&file, &mut vars)?;
    }
    Ok(vars)
}

/// `DataLoader.find_vars_files`: the first candidate that exists wins.
fn find_vars_files(dir: &Path, name: &str) -> Result<Vec<PathBuf>, String> {
    for ext in EXTENSIONS {
        let path = dir.join(format!("{name}{ext}"));
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            let mut found = Vec::new();
            dir_files(&path, &mut found, 0)?;
            return Ok(found);
        }
        return Ok(vec![path]);
    }
    Ok(Vec::new())
}

/// `DataLoader._get_dir_vars_files`.
fn dir_files(dir: &Path, found: &mut Vec<PathBuf>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{}: directories nested too deep", dir.display()));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        match entry.file_name().into_string() {
            Ok(n) => names.push(n),
            Err(n) => return Err(format!("{}: file name {n:?} is not UTF-8", dir.display())),
        }
    }
    // Python sorts str by code point, as Rust's String ordering does.
    names.sort();
    for n in names {
        if n.starts_with('.') || n.ends_with('~') {
            continue;
        }
        let path = dir.join(&n);
        let ext = Path::new(&n)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| format!(".{e}"));
        if path.is_dir() && ext.is_none() {
            dir_files(&path, found, depth + 1)?;
        } else if path.is_file() && ext.as_deref().is_none_or(|e| EXTENSIONS.contains(&e)) {
            found.push(path);
        }
    }
    Ok(())
}

fn read_into(file: &Path, vars: &mut FileVars) -> Result<(), String> {
    let fail = |problem: String| format!("{}: {problem}", file.display());
    let meta = std::fs::metadata(file).map_err(|e| fail(e.to_string()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "{} bytes; a vars file holds at most {MAX_FILE_BYTES}",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(file).map_err(|e| fail(e.to_string()))?;
    if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
        return Err(fail(
            "vault-encrypted; stigpack does not decrypt vaults: keep the password out of \
             it and give it as ansible_password: \"{{ lookup('env', 'NAME') }}\""
                .into(),
        ));
    }
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| fail(format!("YAML: {e}")))?;
    let map = match doc {
        serde_yaml_ng::Value::Null => return Ok(()),
        serde_yaml_ng::Value::Mapping(m) if m.is_empty() => return Ok(()),
        serde_yaml_ng::Value::Mapping(m) => m,
        _ => {
            return Err(fail(
                "not a mapping of variables (Ansible refuses it too)".into(),
            ))
        }
    };
    for (k, v) in map {
        let serde_yaml_ng::Value::String(k) = k else {
            return Err(fail("a variable name that is not a string".into()));
        };
        let v = to_var(&v).map_err(|e| fail(format!("{k}: {e}")))?;
        vars.insert(k, (v, file.to_path_buf()));
    }
    Ok(())
}
