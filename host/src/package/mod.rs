//! The eMASS submission package: assembly, hashing, manifest, validation, reproduction.
//!
//! A package is built whole in a staging directory (see `crate::staging`) and renamed
//! into place; everything in it is either a raw input copied byte for byte or the output
//! of a sandboxed component, except the three files of `00_Manifest/` the host writes
//! (provenance, hash list, manifest) and, when a key is given, the signed provenance
//! envelope. `docs/package.md` is the reader's guide.

pub mod assemble;
pub mod contents;
pub mod genfleet;
pub mod hashlist;
pub mod isolate;
pub mod layout;
pub mod manifest;
pub mod reproduce;
pub mod signed;
pub mod summary;
pub mod thirdparty;
pub mod validate;
pub mod workbook_check;
