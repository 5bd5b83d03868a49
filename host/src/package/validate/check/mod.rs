//! The checks `validate` makes, one module per check (or per small family that shares
//! one job). Each module declares its [`CheckSpec`](super::spec::CheckSpec)s: name, what
//! it checks, and the function that turns the package's facts into its verdict. The
//! order they run and report in is the table in `validate/mod.rs`.

pub mod artifacts;
pub mod attestations;
pub mod hash_list;
pub mod index;
pub mod layout;
pub mod manifest_consistent;
pub mod manifest_format;
pub mod package_hash;
pub mod poam;
pub mod poam_workbook;
pub mod provenance;
pub mod signature;
pub mod unreadable_hosts;
