//! Third-party components in a package: which role each filled, the exact bytes that ran
//! (kept in the package, so an auditor reruns them without the operator's store), and the
//! signed review that admitted each (kept as signed, so anyone holding the reviewer's key
//! can check it). `export-emass --component` fills these from the lock after admission;
//! `reproduce` fills them from the package's own copies, refusing any whose bytes differ
//! from what provenance recorded.

use std::fs;
use std::path::Path;

use serde_json::{json, Value};

use crate::exit::{coded, Exit};
use crate::sandbox::{ComponentSource, Limits};
use crate::trust::review::{self, Review, Role};

/// Where a package keeps the component bytes that ran: content-addressed, like the store.
pub const COMPONENTS_DIR: &str = "00_Manifest/components";
/// Where the output of an `extra` exporter goes: `07_Extra/<name>/`.
pub const EXTRA: &str = "07_Extra";

/// The package path of the component with digest `sha256`.
pub fn wasm_path(sha256: &str) -> String {
    format!("{COMPONENTS_DIR}/sha256/{sha256}.wasm")
}

/// The package path of the review that admitted it for `role`.
pub fn review_path(sha256: &str, role: Role) -> String {
    format!("{COMPONENTS_DIR}/reviews/{sha256}.{role}.dsse.json")
}

/// One admitted third-party component and the limits its runs get.
#[derive(Debug, Clone)]
pub struct ThirdParty {
    pub role: Role,
    /// Its pinned name (the `info()` name at review time); for `extra`, its folder.
    pub name: String,
    pub source: ComponentSource,
    /// The review's DSSE envelope, byte for byte as pinned.
    pub review_envelope: Vec<u8>,
    /// SHA-256 of the signed statement (the envelope's payload).
    pub review_statement_sha256: String,
    pub review: Review,
}

impl ThirdParty {
    /// The limits its runs get: the smaller of the review's grant and the operator's.
    pub fn limits(&self, operator: &Limits) -> Limits {
        crate::trust::granted_limits(operator.clone(), &self.review.grant)
    }

    /// What provenance says about it.
    pub fn record(&self) -> Value {
        json!({
            "role": self.role,
            "name": self.name,
            "sha256": self.source.sha256,
            "source": "third-party",
            "file": wasm_path(&self.source.sha256),
            "admittedBy": {
                "reviewFile": review_path(&self.source.sha256, self.role),
                "reviewStatementSha256": self.review_statement_sha256,
                "reviewerKeyid": self.review.reviewer_keyid,
                "reviewedAt": self.review.reviewed_at,
                "expiresAt": self.review.expires_at,
                "note": self.review.note,
                "grant": self.review.grant,
            },
        })
    }

    /// Writes its bytes and its review into the package being built at `dest`.
    pub fn keep(&self, dest: &Path) -> anyhow::Result<()> {
        for (rel, bytes) in [
            (wasm_path(&self.source.sha256), &self.source.bytes[..]),
            (
                review_path(&self.source.sha256, self.role),
                &self.review_envelope[..],
            ),
        ] {
            let to = dest.join(&rel);
            if let Some(p) = to.parent() {
                fs::create_dir_all(p)?;
            }
            fs::write(&to, bytes).map_err(|e| anyhow::anyhow!("writing {rel}: {e}"))?;
        }
        Ok(())
    }
}

/// Decodes a review envelope without verifying it: the package records which key signed
/// it; whether that key is trusted is the auditor's call (any DSSE verifier checks it).
pub fn read_review(envelope: &[u8]) -> Result<(String, Review, String), String> {
    use base64::Engine as _;
    let env: stigpack_sign::dsse::Envelope =
        serde_json::from_slice(envelope).map_err(|e| format!("not a DSSE envelope: {e}"))?;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(&env.payload)
        .map_err(|e| format!("payload: {e}"))?;
    let (subject, review) = review::parse_statement(&payload)?;
    Ok((subject, review, crate::hashing::sha256_hex(&payload)))
}

/// The third-party components a package records, loaded from its own copies. Each copy
/// must hash to the digest provenance recorded (else exit 5: the package is not what was
/// built), and its kept review must be the one recorded.
pub fn from_package(pkg: &Path, prov: &Value) -> anyhow::Result<Vec<ThirdParty>> {
    let invalid = |m: String| coded(Exit::Invalid, anyhow::anyhow!(m));
    let prov_path = super::layout::PROVENANCE;
    let mut out = Vec::new();
    let empty = Vec::new();
    for c in prov["components"].as_array().unwrap_or(&empty) {
        if c["source"] != "third-party" {
            continue;
        }
        let role: Role = serde_json::from_value(c["role"].clone())
            .map_err(|e| invalid(format!("{prov_path}: component role: {e}")))?;
        let name = c["name"].as_str().unwrap_or_default().to_owned();
        let recorded = c["sha256"].as_str().unwrap_or_default();
        let rel = wasm_path(recorded);
        if c["file"].as_str() != Some(rel.as_str()) {
            return Err(invalid(format!(
                "{prov_path}: component {name} ({role}) is kept at {:?}, not at {rel}",
                c["file"]
            )));
        }
        let path = pkg.join(&rel);
        let source = ComponentSource::from_file(&path, Some(recorded)).map_err(|e| {
            invalid(format!(
                "refusing to rerun third-party component {name} ({role}): {}: {e} (provenance records SHA-256 {recorded})",
                path.display()
            ))
        })?;
        let review_rel = review_path(recorded, role);
        let envelope = fs::read(pkg.join(&review_rel))
            .map_err(|e| invalid(format!("{}: {e}", pkg.join(&review_rel).display())))?;
        let (subject, review, statement_sha) =
            read_review(&envelope).map_err(|e| invalid(format!("{review_rel}: {e}")))?;
        let admitted = &c["admittedBy"];
        if subject != recorded
            || review.role != role
            || admitted["reviewStatementSha256"].as_str() != Some(statement_sha.as_str())
        {
            return Err(invalid(format!(
                "{review_rel}: not the review provenance records for {name} ({role}, SHA-256 {recorded})"
            )));
        }
        out.push(ThirdParty {
            role,
            name,
            source,
            review_envelope: envelope,
            review_statement_sha256: statement_sha,
            review,
        });
    }
    Ok(out)
}
