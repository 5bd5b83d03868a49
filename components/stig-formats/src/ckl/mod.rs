//! CKL: the STIG Viewer 2.x checklist (XML), the format assessors and eMASS workflows
//! know. [`read`] accepts STIG Viewer's files (one or many iSTIGs) and STIG Manager's
//! variant; [`write`] produces STIG Viewer's exact element order and layout.

mod fast;
mod read;
mod write;

pub use read::read;
pub use write::{stig_ref, write, write_checklist, write_into, write_with_record};

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
