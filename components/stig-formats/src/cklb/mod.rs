//! CKLB: the STIG Viewer 3 checklist (JSON). [`read`] ignores keys it does not know
//! (Evaluate-STIG adds `evaluate-stig`, STIG Viewer adds new ones between releases) and
//! never trusts `size`; [`write`] produces STIG Viewer 3's field names and order with
//! ids that are kept from the input or derived from content (see [`crate::ids`]).

mod lenient;
mod read;
mod write;

pub use read::read;
pub use write::{write, write_checklist};

/// The `group_tree` description STIG Viewer 3 writes for DISA groups.
pub(crate) const EMPTY_GROUP_DESCRIPTION: &str = "<GroupDescription></GroupDescription>";
