//! CKL: the STIG Viewer 2.x checklist (XML), the format assessors and eMASS workflows
//! know. [`read`] accepts STIG Viewer's files (one or many iSTIGs) and STIG Manager's
//! variant; [`write`] produces STIG Viewer's exact element order and layout.

mod fast;
mod fields;
mod read;
mod write;

pub use write::{stig_ref, write, write_checklist, write_into, write_with_record};

/// Parses one CKL file. `file` names the input in error messages and becomes
/// `ScanSource.file`; the first comment before the root (`DISA STIG Viewer :: 2.17`,
/// `STIG Manager 1.5.2`) becomes `ScanSource.tool`.
///
/// Files in the plain layout every checklist tool writes go through the fast scanner in
/// [`fast`]; anything it does not recognise (and every error) is read by the full
/// XML reader in [`read`](mod@read), which is the reference: both give the same model for every file the
/// scanner accepts (tested on every sample and on generated variants).
pub fn read(bytes: &[u8], file: &str) -> crate::Result<crate::model::Checklist> {
    let src = crate::xml::checked_text(file, bytes)?;
    if let Some(c) = fast::read(src, file) {
        return Ok(c);
    }
    read::read_full(src, file)
}

/// The reference reader alone, without the fast scanner in front: for the tests and the
/// benchmark that hold the two against each other.
#[doc(hidden)]
pub fn read_reference(bytes: &[u8], file: &str) -> crate::Result<crate::model::Checklist> {
    read::read_full(crate::xml::checked_text(file, bytes)?, file)
}

/// The fast scanner alone: `None` where [`read`] would hand the file to the reference
/// reader (anything outside the plain layout, and every error).
#[doc(hidden)]
pub fn read_fast_only(bytes: &[u8], file: &str) -> Option<crate::model::Checklist> {
    fast::read(crate::xml::checked_text(file, bytes).ok()?, file)
}
