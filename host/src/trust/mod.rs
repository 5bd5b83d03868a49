//! Where outside code is admitted: the decision to trust a third-party component is a
//! signed, auditable record, and nothing runs without one.
//!
//! - [`review`]: a reviewer's decision as a DSSE-signed in-toto statement (subject: the
//!   component's SHA-256; predicate: role, grant, vet report digest, note, validity).
//! - [`lock`]: `stigpack.components.lock`, the pins (role, name, digest, review) and the
//!   content-addressed store of component bytes beside it.
//! - [`admit`]: the one gate every third-party run passes, before any guest code runs:
//!   pinned for this role, bytes unchanged, review signed by a key the operator trusts,
//!   not revoked, not expired. No trust on first use.
//! - [`config`]: the operator's standing list of trusted reviewer keys (and lock path).

pub mod admit;
pub mod config;
pub mod lock;
pub mod review;

pub use admit::{admit, granted_limits, Admission, Refusal};
pub use config::Config;
pub use lock::{LockEntry, LockError, LockFile, Revocation};
pub use review::{Review, ReviewGrant, Role, REVIEW_PREDICATE};
