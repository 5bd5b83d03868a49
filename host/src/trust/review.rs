//! A component review as a signed statement, so that "who let this code in, for what, with
//! which limits" can be checked by anyone holding the reviewer's public key, with any
//! DSSE verifier (securesystemslib, cosign), not only with stigpack.

use serde::{Deserialize, Serialize};
use stigpack_sign::dsse::{self, Envelope, INTOTO_PAYLOAD_TYPE};
use stigpack_sign::keys::PrivateKey;
use stigpack_sign::statement::{Statement, Subject, STATEMENT_TYPE};

/// The review predicate's type URI.
pub const REVIEW_PREDICATE: &str = "https://stigpack.invalid/component-review/v1";

/// The slot a component fills in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Reads scan results into the normalised form.
    Import,
    /// Writes STIG Viewer checklists.
    Checklist,
    /// Writes the package's eMASS artifacts.
    Emass,
    /// Writes a POA&M.
    Poam,
    /// Writes a fleet report.
    Summary,
    /// An extra exporter whose output goes to its own folder of the package.
    Extra,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Import,
        Role::Checklist,
        Role::Emass,
        Role::Poam,
        Role::Summary,
        Role::Extra,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Import => "import",
            Role::Checklist => "checklist",
            Role::Emass => "emass",
            Role::Poam => "poam",
            Role::Summary => "summary",
            Role::Extra => "extra",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role {s:?} (one of: {})",
                    Role::ALL.map(Role::as_str).join(", ")
                )
            })
    }
}

/// The most a reviewed component may receive: the run gets the smaller of this and the
/// operator's own limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewGrant {
    pub memory_bytes: u64,
    /// `None`: the fuel derived from the input size (docs/components.md).
    pub fuel: Option<u64>,
    pub output_bytes: u64,
    pub output_files: u64,
}

/// The review predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Review {
    /// Key id (SHA-256 of the SubjectPublicKeyInfo DER) of the reviewer's key.
    pub reviewer_keyid: String,
    pub role: Role,
    /// The component's own account (`info()`) at review time.
    pub component_name: String,
    pub component_version: String,
    pub wit_version: String,
    /// SHA-256 of the vet report the reviewer read (`component vet --json`'s `report`).
    pub vet_report_sha256: String,
    pub grant: ReviewGrant,
    pub note: String,
    /// RFC 3339.
    pub reviewed_at: String,
    /// RFC 3339; the review admits nothing after this instant.
    pub expires_at: String,
}

impl Review {
    /// The in-toto statement: the component's digest as subject, this review as predicate.
    pub fn statement(&self, component_sha256: &str) -> Result<Statement, serde_json::Error> {
        Ok(Statement::new(
            vec![Subject::sha256_hex(
                &format!("{}.wasm", self.component_name),
                component_sha256,
            )],
            REVIEW_PREDICATE,
            serde_json::to_value(self)?,
        ))
    }

    /// Signs the statement into a DSSE envelope.
    pub fn sign(
        &self,
        component_sha256: &str,
        key: &PrivateKey,
    ) -> Result<Envelope, stigpack_sign::SignError> {
        let st = self
            .statement(component_sha256)
            .map_err(|e| stigpack_sign::SignError::Envelope(e.to_string()))?;
        Ok(dsse::sign(
            INTOTO_PAYLOAD_TYPE,
            &st.to_canonical_json()?,
            key,
        ))
    }
}

/// Why a signed review was not accepted: no trusted key signed it, or it is signed but not
/// a well-formed review by the key it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewCheck {
    Untrusted(String),
    Bad(String),
}

/// Verifies a review envelope with `trusted` keys before reading anything in it, and
/// reads it. The one check both the admission gate and an auditor's
/// `reproduce --trusted-key` make.
pub fn verify_signed(
    envelope: &[u8],
    trusted: &[stigpack_sign::keys::PublicKey],
) -> Result<SignedReview, ReviewCheck> {
    let verified =
        dsse::verify(envelope, trusted).map_err(|e| ReviewCheck::Untrusted(e.to_string()))?;
    if verified.payload_type() != INTOTO_PAYLOAD_TYPE {
        return Err(ReviewCheck::Bad(format!(
            "payload type {}",
            verified.payload_type()
        )));
    }
    let (subject, review) = parse_statement(verified.payload()).map_err(ReviewCheck::Bad)?;
    let signer = verified.key().keyid();
    if review.reviewer_keyid != signer {
        return Err(ReviewCheck::Bad(format!(
            "it names reviewer key {} but was signed by {signer}",
            review.reviewer_keyid
        )));
    }
    Ok(SignedReview {
        statement_sha256: crate::hashing::sha256_hex(verified.payload()),
        subject,
        review,
        signer,
    })
}

/// A review whose signature verified with a trusted key.
#[derive(Debug, Clone)]
pub struct SignedReview {
    /// SHA-256 of the component it reviews.
    pub subject: String,
    pub review: Review,
    /// Key id of the trusted key that signed it (the reviewer it names).
    pub signer: String,
    /// SHA-256 of the signed statement.
    pub statement_sha256: String,
}

/// Reads a verified payload as a review statement: the statement and predicate types,
/// exactly one subject, and the predicate's shape.
pub fn parse_statement(payload: &[u8]) -> Result<(String, Review), String> {
    let st = Statement::from_json(payload).map_err(|e| e.to_string())?;
    if st.type_ != STATEMENT_TYPE || st.predicate_type != REVIEW_PREDICATE {
        return Err(format!(
            "not a component review (predicate type {})",
            st.predicate_type
        ));
    }
    let [subject] = st.subject.as_slice() else {
        return Err(format!("{} subjects, expected one", st.subject.len()));
    };
    let digest = subject
        .sha256_of()
        .ok_or("the subject has no SHA-256")?
        .to_string();
    let review: Review = serde_json::from_value(st.predicate).map_err(|e| e.to_string())?;
    Ok((digest, review))
}
