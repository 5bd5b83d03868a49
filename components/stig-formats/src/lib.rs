//! Pure STIG format logic for stigpack: the canonical model, the one status normaliser,
//! and the readers and writers of every format the project speaks.
//!
//! Nothing here touches the file system, the clock or the network: callers hand in bytes
//! and receive bytes. That is what lets the same code run natively (unit tests, benches)
//! and inside the wasm sandbox (the components under `components/guests`).

pub mod model;
pub mod model_file;

// Proof packaging (eMASS package artifacts): computed from a per-control view of the fleet.
pub mod attest;
pub mod bytes;
pub mod cci;
pub mod civil_date;
pub mod control_view;
pub mod evidence;
pub mod fleet_summary;
pub mod index;
pub mod package_artifacts;
pub mod package_facts;
pub mod poam;
pub mod readiness;
pub mod tabular;

pub mod ckl;
pub mod cklb;
pub mod error;
pub mod eval_record;
pub mod evaluate_stig;
pub mod host;
pub mod ids;
pub mod import;
pub mod output;
pub mod status;
pub mod sym;
pub mod synth;
pub mod xccdf;
mod xml;

pub use error::{Error, ErrorKind, Result};
pub use host::safe_host_component;
pub use xml::MAX_INPUT_BYTES;

/// The project's `shared/` directory (samples, reference material) for tests:
/// `$STIGPACK_SHARED_DIR` when set (scripts/test.sh sets it), else beside the checkout.
#[cfg(test)]
pub(crate) fn shared_dir() -> std::path::PathBuf {
    std::env::var_os("STIGPACK_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}
