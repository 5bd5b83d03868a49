//! Tamper-evident audit log for stigpack.
//!
//! Every command that changes something appends one entry to an append-only JSON Lines
//! file. Each line is the RFC 8785 canonical JSON of an [`Entry`], so its bytes are
//! reproducible; each entry's `prev` is the SHA-256 of the previous line (a hash chain);
//! and the lines are the leaves of an RFC 6962 Merkle tree, whose signed checkpoints let
//! a verifier prove later that history was neither rewritten nor truncated.
//!
//! - [`AuditLog`]: open, [`AuditLog::append`] (locked, durable, masked),
//!   [`AuditLog::checkpoint`], [`AuditLog::inclusion_proof`],
//!   [`AuditLog::consistency_proof`], [`AuditLog::repair`].
//! - [`verify`]: full recomputation from the bytes, with a precise finding.
//! - [`entries`]: reading entries back with filters.
//! - [`Checkpoint`], [`SignerKey`], [`VerifierKey`]: C2SP checkpoints and signed notes.
//! - [`default_log_path`]: where the log lives.
//!
//! Design notes (why the tree index exists, why verification has a fast path) are in the
//! module docs of `index` and `canonical`, and in `docs/audit.md`.

mod canonical;
mod checkpoint;
mod entry;
mod error;
mod fileio;
mod index;
mod location;
mod log;
pub mod mask;
pub mod merkle;
mod query;
mod store;
mod verify;

pub use canonical::{fuzz_line_differential, LineProblem};
pub use checkpoint::{key_id, Checkpoint, NoteSignature, SignerKey, VerifierKey};
pub use entry::{Entry, EntryDraft, Outcome, GENESIS_PREV};
pub use error::AuditError;
pub use location::{checkpoint_dir, default_log_path, resolve_log_path, ENV_AUDIT_LOG};
pub use log::{
    default_actor, format_time, AuditLog, Clock, ConsistencyProof, InclusionProof, RepairOutcome,
    SystemClock,
};
pub use query::{entries, Entries, EntryFilter};
pub use store::{latest_checkpoint, store_checkpoint};
pub use verify::{verify, CheckpointCheck, Failure, FailureKind, VerifyReport};

/// Builds log files fast for tests and benchmarks, without locking or fsync.
///
/// Not for production use: it exists so a million-entry log can be made in seconds.
#[doc(hidden)]
pub mod testing {
    use sha2::{Digest, Sha256};

    use crate::entry::{Entry, Outcome, GENESIS_PREV};

    /// Appends canonical, correctly chained lines to `out`, continuing from `prev`/`seq`.
    #[derive(Debug)]
    pub struct LineWriter {
        /// Next seq.
        pub seq: u64,
        /// Hex hash of the last line.
        pub prev: String,
    }

    impl Default for LineWriter {
        fn default() -> Self {
            Self {
                seq: 0,
                prev: GENESIS_PREV.to_owned(),
            }
        }
    }

    impl LineWriter {
        /// Writes the `seq`-th synthetic entry (with realistic field sizes) into `out`.
        pub fn push_synthetic(&mut self, out: &mut Vec<u8>) {
            let i = self.seq;
            let entry = Entry {
                seq: i,
                time: format!(
                    "2026-11-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                    1 + (i / 86_400) % 28,
                    (i / 3600) % 24,
                    (i / 60) % 60,
                    i % 60,
                    i % 1_000_000
                ),
                actor: "alice@ws-0042.example.mil".into(),
                action: ["export-ckl", "fleet-apply-host", "validate", "export-emass"]
                    [(i % 4) as usize]
                    .into(),
                target: format!(
                    "/srv/stigpack/packages/fleet-{:04}/host-{:05}.ckl",
                    i % 97,
                    i % 10_007
                ),
                result: [Outcome::Success, Outcome::Failure, Outcome::Partial][(i % 3) as usize],
                details: serde_json::json!({
                    "rules": 412 + i % 50,
                    "open": i % 17,
                    "exit_code": i % 3,
                    "package_sha256": hex::encode(Sha256::digest(i.to_le_bytes())),
                }),
                prev: std::mem::take(&mut self.prev),
            };
            // The synthetic entry is always serialisable; an empty line would fail verify.
            let line = entry.to_line().unwrap_or_default();
            self.prev = hex::encode(Sha256::digest(&line));
            out.extend_from_slice(&line);
            out.push(b'\n');
            self.seq += 1;
        }
    }
}
