//! The files an operator names on the command line (a POA&M layout, a CCI list, a
//! system profile): each read and checked before anything is built, so a bad one is the
//! operator's input (exit 3, naming the file), not a component failure.

use std::fs;
use std::path::Path;

use super::files::sanitized_file_name;
use crate::exit::{coded, Exit};

/// Reads a POA&M layout file and checks it is a layout, before anything is built: a bad
/// one is the operator's input (exit 3, naming the file), not a component failure.
pub fn read_layout_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = read_input_file(path, stig_formats::MAX_INPUT_BYTES)?;
    stig_formats::poam::layout::Layout::from_json(&bytes)
        .map_err(|e| bad_input(path, e.to_string()))?;
    Ok(bytes)
}

/// An operator-named input file (layout, CCI list, system profile) as bytes: a regular
/// file (not a link that could be swapped under the run) of at most `cap` bytes. Every
/// refusal is bad input naming the file, so the three options fail the same way.
fn read_input_file(path: &Path, cap: u64) -> anyhow::Result<Vec<u8>> {
    let meta = fs::symlink_metadata(path).map_err(|e| bad_input(path, e.to_string()))?;
    if !meta.is_file() {
        return Err(bad_input(path, "not a regular file".into()));
    }
    if meta.len() > cap {
        return Err(bad_input(
            path,
            format!(
                "{} bytes exceeds the per-file input limit of {cap} bytes",
                meta.len()
            ),
        ));
    }
    fs::read(path).map_err(|e| bad_input(path, e.to_string()))
}

/// Exit 3 (bad input), the message prefixed with the file it is about.
fn bad_input(path: &Path, message: String) -> anyhow::Error {
    coded(
        Exit::BadInput,
        anyhow::anyhow!("{}: {message}", path.display()),
    )
}

/// A CCI list given with `--cci-list`, checked before anything is built (exit 3 naming
/// the file when it is not a DISA CCI list with Revision 5 mappings).
#[derive(Debug, Clone)]
pub struct CciList {
    /// The name it is kept under in [`stig_formats::package_artifacts::paths::POAM_CCI_DIR`].
    pub name: String,
    pub bytes: Vec<u8>,
    /// The list's own `<version>`.
    pub version: String,
}

/// Reads and checks a CCI list file (see [`CciList`]).
pub fn read_cci_list(path: &Path) -> anyhow::Result<CciList> {
    let bytes = read_input_file(path, stig_formats::MAX_INPUT_BYTES)?;
    let table = stig_formats::cci::CciTable::from_xml("", &bytes)
        .map_err(|e| bad_input(path, format!("not a usable CCI list: {e}")))?;
    Ok(CciList {
        name: cci_list_name(path),
        bytes,
        version: table.version,
    })
}

/// The file name a CCI list is kept under: its own, reduced to `[A-Za-z0-9._-]`.
fn cci_list_name(path: &Path) -> String {
    sanitized_file_name(path)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "U_CCI_List.xml".to_owned())
}

/// Reads a `--system-profile` TOML file: every key optional, an unknown key an error
/// naming it (and the file).
pub fn read_profile_toml(
    path: &Path,
) -> anyhow::Result<stig_formats::poam::profile::SystemProfile> {
    let bytes = read_input_file(path, 1 << 20)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| bad_input(path, "not UTF-8 text (a TOML file must be)".into()))?;
    toml::from_str(&text).map_err(|e| bad_input(path, format!("not a system profile: {e}")))
}
