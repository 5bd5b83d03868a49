//! Errors the simulator's library API reports (start-up problems: bad fault spec, bind
//! failures, certificate generation). Request-level problems never surface here: they
//! become HTTP statuses or WSManFault envelopes, as on a real host.

use std::path::PathBuf;

/// Why the simulator could not start or be configured.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The `--faults` spec string is malformed; the message names the offending rule.
    #[error("invalid fault spec {rule:?}: {reason}")]
    FaultSpec { rule: String, reason: String },
    /// A fault rule names a host that the fleet does not have.
    #[error("fault spec names unknown host {0:?}")]
    UnknownHost(String),
    /// Binding a loopback listener failed.
    #[error("cannot bind a loopback listener: {0}")]
    Bind(#[source] std::io::Error),
    /// The test certificate authority or server certificate could not be generated.
    #[error("cannot generate the test certificate: {0}")]
    Certificate(String),
    /// Writing the CA certificate file failed.
    #[error("cannot write the CA certificate to {path}: {source}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The operating system's random source failed (needed for per-run credentials).
    #[error("no random source available: {0}")]
    Random(String),
    /// The fleet spec itself is inconsistent (e.g. zero hosts, Basic over HTTP without the lab flag).
    #[error("invalid fleet spec: {0}")]
    Spec(String),
}
