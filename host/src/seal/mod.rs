//! The sealed bundle: one deterministic `.tar.gz` holding a package, its checksums, a
//! signature over the uncompressed tar stream and the offline verification steps; its
//! verifier; and optional encryption to age recipients. `docs/seal.md` is the reader's
//! guide and says exactly which bytes are signed.

pub mod encrypt;
pub mod tarfmt;
pub mod verify;
pub mod write;

/// The bundle's own files, beside the package folder.
pub const SHA256SUMS: &str = "SHA256SUMS";
pub const VERIFY_MD: &str = "VERIFY.md";
pub const VERIFY_SH: &str = "verify.sh";
pub const PUBLIC_KEY: &str = "signing-key.pub";
pub const SBOM: &str = "sbom.cdx.json";
/// The embedded CycloneDX SBOM of this binary and its components (host/build.rs), shown by
/// `stigpack sbom`, put in every bundle and named by digest in every package's provenance.
pub const SBOM_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/sbom.cdx.json"));
/// The DSSE envelope. Named to sort after every other entry, so the signed bytes are a
/// prefix of the uncompressed tar stream (what `head -c` can cut).
pub const ENVELOPE: &str = "zz-seal.intoto.dsse.json";

/// The predicate type of the bundle statement.
pub const BUNDLE_PREDICATE: &str = "https://github.com/stigpack/stigpack/seal/bundle/v1";
/// The predicate type of the encryption sidecar statement.
pub const SIDECAR_PREDICATE: &str = "https://github.com/stigpack/stigpack/seal/encrypted/v1";
/// The subject that names the signed tar prefix.
pub const TAR_SUBJECT: &str = "bundle.tar";

/// Why a bundle or package failed verification; each kind has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// Bytes differ from their recorded checksum (or the gzip stream is corrupt).
    Checksum,
    /// The signature is missing, does not verify with the pinned key, or signs other
    /// files than those present.
    Signature,
    /// The archive's shape is wrong: extra, missing, duplicate, unsorted, non-regular,
    /// unsafe or oversized entries, or headers other than the sealed form.
    Structure,
}

/// A verification failure: its kind and what was found, naming the entry.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Rejected {
    pub kind: Failure,
    pub message: String,
}

impl Rejected {
    pub fn new(kind: Failure, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
    pub fn structure(message: impl Into<String>) -> Self {
        Self::new(Failure::Structure, message)
    }
    pub fn checksum(message: impl Into<String>) -> Self {
        Self::new(Failure::Checksum, message)
    }
    pub fn signature(message: impl Into<String>) -> Self {
        Self::new(Failure::Signature, message)
    }
}

impl From<Failure> for crate::exit::Exit {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Checksum => crate::exit::Exit::Checksum,
            Failure::Signature => crate::exit::Exit::Signature,
            Failure::Structure => crate::exit::Exit::Structure,
        }
    }
}
