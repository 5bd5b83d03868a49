//! The fixed folder layout of an eMASS package. Everything that names a package path
//! takes it from here or from `stig_formats::package_artifacts::paths`.

pub const MANIFEST_DIR: &str = "00_Manifest";
pub const SCANS: &str = "01_Scans";
/// Benchmarks given with `--benchmark`, kept with the scans so `reproduce` has them.
pub const BENCHMARKS: &str = "01_Scans/_benchmarks";
pub const BENCHMARKS_NAME: &str = "_benchmarks";
pub const CHECKLISTS: &str = "02_Checklists";
pub const POAM: &str = "03_POAM";
pub const EVIDENCE: &str = "04_Evidence";
pub const ATTESTATIONS: &str = "05_Attestations";
pub const INDEX: &str = "06_Index";
pub const PROVENANCE: &str = "00_Manifest/provenance.json";
/// The hosts a `--keep-going` export left out, with file and reason (only when any were).
pub const UNREADABLE: &str = "00_Manifest/unreadable_hosts.json";

/// Folders every package has (04_Evidence may be empty and is then absent from the list).
pub const REQUIRED_DIRS: [&str; 6] = [MANIFEST_DIR, SCANS, CHECKLISTS, POAM, ATTESTATIONS, INDEX];

/// The package folder name, `EMASS_<System>_<YYYYMMDD-HHMM>`. The system name is reduced
/// to `[A-Za-z0-9._-]` (others become `_`) so it is one safe path component everywhere.
pub fn folder_name(system: &str, exported_at_unix: i64) -> String {
    format!(
        "EMASS_{}_{}",
        safe_system(system),
        stig_formats::civil_date::folder_stamp(exported_at_unix)
    )
}

pub fn safe_system(system: &str) -> String {
    let s: String = system
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('.').to_owned();
    if s.is_empty() {
        "System".to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_safe_and_utc() {
        assert_eq!(
            folder_name("My System", 1_736_944_496),
            "EMASS_My_System_20250115-1234"
        );
        assert_eq!(safe_system("../../etc"), "_.._etc");
        assert_eq!(safe_system(".."), "System");
        assert_eq!(safe_system("a/b\\c\0d"), "a_b_c_d");
        assert_eq!(safe_system(&"x".repeat(500)).len(), 64);
    }
}
