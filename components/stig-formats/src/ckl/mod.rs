//! CKL: the STIG Viewer 2.x checklist (XML), the format assessors and eMASS workflows
//! know. [`read`] accepts STIG Viewer's files (one or many iSTIGs) and STIG Manager's
//! variant; [`write`] produces STIG Viewer's exact element order and layout.

mod read;
mod write;

pub use read::read;
pub use write::{stig_ref, write, write_checklist, write_into};
