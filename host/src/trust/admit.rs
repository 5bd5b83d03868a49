//! The gate: may these bytes run in this role? Every reason to say no is its own variant
//! (exit 7 at the command line), and the check needs nothing but the lock, the bytes'
//! digest, the keys the operator trusts and the clock, so it runs before any guest code.

use stigpack_sign::keys::PublicKey;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::lock::{LockEntry, LockFile};
use super::review::{self, Review, Role};

/// Why a component was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no review in the lock admits a component with SHA-256 {sha256} (role {role}); vet it and record a review with `stigpack component trust`")]
    NotPinned { sha256: String, role: Role },
    #[error("the component with SHA-256 {sha256} is pinned for role {pinned_for}, not {role}")]
    OtherRole {
        sha256: String,
        role: Role,
        pinned_for: String,
    },
    #[error("{name} ({role}) is pinned as {pinned}, but the bytes hash to {actual}: a changed file is never trusted")]
    DigestChanged {
        role: Role,
        name: String,
        pinned: String,
        actual: String,
    },
    #[error("no component named {name} is pinned for role {role}")]
    UnknownName { role: Role, name: String },
    #[error(
        "{name} ({role}): the review's signature does not verify with any trusted key ({detail})"
    )]
    UntrustedReview {
        role: Role,
        name: String,
        detail: String,
    },
    #[error("{name} ({role}): the review is not valid: {detail}")]
    BadReview {
        role: Role,
        name: String,
        detail: String,
    },
    #[error("{name} ({role}): the review was revoked at {at}: {reason}")]
    Revoked {
        role: Role,
        name: String,
        at: String,
        reason: String,
    },
    #[error("{name} ({role}): the review expired at {at}")]
    Expired {
        role: Role,
        name: String,
        at: String,
    },
    #[error("no trusted key given: a review is only accepted when signed by a key the operator lists (--trusted-key)")]
    NoTrustedKeys,
}

/// What the gate admitted, with the review that admitted it (for provenance and the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub role: Role,
    pub sha256: String,
    pub review: Review,
    pub reviewer_keyid: String,
    pub review_statement_sha256: String,
}

/// Admits the component whose bytes hash to `sha256` for `role`; with `name`, only the
/// entry pinned under that name.
pub fn admit(
    lock: &LockFile,
    sha256: &str,
    role: Role,
    name: Option<&str>,
    trusted: &[PublicKey],
    now: OffsetDateTime,
) -> Result<Admission, Refusal> {
    let entry = find_entry(lock, sha256, role, name)?;
    check_entry(entry, sha256, trusted, now)
}

/// The limits an admitted run gets: the smaller of the review's grant and the operator's
/// own limits, each cap taken separately.
pub fn granted_limits(
    limits: crate::sandbox::Limits,
    g: &super::ReviewGrant,
) -> crate::sandbox::Limits {
    crate::sandbox::Limits {
        memory_bytes: limits.memory_bytes.min(g.memory_bytes),
        fuel: match (limits.fuel, g.fuel) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
        output_bytes: limits.output_bytes.min(g.output_bytes),
        output_files: limits.output_files.min(g.output_files),
        ..limits
    }
}

fn find_entry<'a>(
    lock: &'a LockFile,
    sha256: &str,
    role: Role,
    name: Option<&str>,
) -> Result<&'a LockEntry, Refusal> {
    if let Some(name) = name {
        let Some(entry) = lock.find(role, name) else {
            // Pinned, but for another slot: say so rather than "unknown".
            let others: Vec<&LockEntry> =
                lock.components.iter().filter(|e| e.name == name).collect();
            return Err(match others.first() {
                None => Refusal::UnknownName {
                    role,
                    name: name.into(),
                },
                Some(first) => Refusal::OtherRole {
                    sha256: first.sha256.clone(),
                    role,
                    pinned_for: others
                        .iter()
                        .map(|e| e.role.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            });
        };
        if entry.sha256 != sha256 {
            return Err(Refusal::DigestChanged {
                role,
                name: name.into(),
                pinned: entry.sha256.clone(),
                actual: sha256.into(),
            });
        }
        return Ok(entry);
    }
    if let Some(entry) = lock
        .components
        .iter()
        .find(|e| e.role == role && e.sha256 == sha256)
    {
        return Ok(entry);
    }
    let others: Vec<&str> = lock
        .components
        .iter()
        .filter(|e| e.sha256 == sha256)
        .map(|e| e.role.as_str())
        .collect();
    if others.is_empty() {
        Err(Refusal::NotPinned {
            sha256: sha256.into(),
            role,
        })
    } else {
        Err(Refusal::OtherRole {
            sha256: sha256.into(),
            role,
            pinned_for: others.join(", "),
        })
    }
}

fn check_entry(
    entry: &LockEntry,
    sha256: &str,
    trusted: &[PublicKey],
    now: OffsetDateTime,
) -> Result<Admission, Refusal> {
    let (role, name) = (entry.role, entry.name.clone());
    if trusted.is_empty() {
        return Err(Refusal::NoTrustedKeys);
    }
    let bad = |detail: String| Refusal::BadReview {
        role,
        name: name.clone(),
        detail,
    };
    // The signature first: nothing in an unverified payload is read.
    let envelope = serde_json::to_vec(&entry.review).map_err(|e| bad(e.to_string()))?;
    let signed = review::verify_signed(&envelope, trusted).map_err(|e| match e {
        review::ReviewCheck::Untrusted(detail) => Refusal::UntrustedReview {
            role,
            name: name.clone(),
            detail,
        },
        review::ReviewCheck::Bad(detail) => bad(detail),
    })?;
    let (subject, review) = (&signed.subject, signed.review);
    if subject != sha256 || entry.sha256 != sha256 {
        return Err(bad(format!(
            "it reviews SHA-256 {subject}, not these bytes ({sha256})"
        )));
    }
    if review.role != role {
        return Err(bad(format!(
            "it admits role {}, but the lock pins it as {role}",
            review.role
        )));
    }
    if let Some(r) = &entry.revoked {
        return Err(Refusal::Revoked {
            role,
            name,
            at: r.at.clone(),
            reason: r.reason.clone(),
        });
    }
    let expires = OffsetDateTime::parse(&review.expires_at, &Rfc3339)
        .map_err(|e| bad(format!("expiresAt {:?}: {e}", review.expires_at)))?;
    if now >= expires {
        return Err(Refusal::Expired {
            role,
            name,
            at: review.expires_at.clone(),
        });
    }
    Ok(Admission {
        role,
        sha256: sha256.into(),
        reviewer_keyid: signed.signer,
        review_statement_sha256: signed.statement_sha256,
        review,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::trust::review::ReviewGrant;
    use stigpack_sign::keys::PrivateKey;

    fn review(key: &PrivateKey, role: Role, expires: &str) -> Review {
        Review {
            reviewer_keyid: key.public().keyid(),
            role,
            component_name: "poam-md".into(),
            component_version: "1.0.0".into(),
            wit_version: "0.1.0".into(),
            vet_report_sha256: "ab".repeat(32),
            grant: ReviewGrant {
                memory_bytes: 1 << 28,
                fuel: None,
                output_bytes: 1 << 30,
                output_files: 1000,
            },
            note: "read the source".into(),
            reviewed_at: "2026-12-01T00:00:00Z".into(),
            expires_at: expires.into(),
        }
    }

    fn entry(key: &PrivateKey, sha: &str, r: &Review) -> LockEntry {
        let env = r.sign(sha, key).unwrap();
        LockEntry {
            role: r.role,
            name: r.component_name.clone(),
            sha256: sha.into(),
            size: 1,
            review: serde_json::from_slice(&env.to_json()).unwrap(),
            review_statement_sha256: String::new(),
            revoked: None,
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-12-02T00:00:00Z", &Rfc3339).unwrap()
    }

    #[test]
    fn each_reason_to_refuse_is_its_own_refusal() {
        let key = PrivateKey::from_seed([7; 32]);
        let other = PrivateKey::from_seed([8; 32]);
        let sha = "cd".repeat(32);
        let r = review(&key, Role::Poam, "2027-12-01T00:00:00Z");
        let mut lock = LockFile::default();
        lock.pin(entry(&key, &sha, &r));
        let trusted = [key.public()];

        let ok = admit(&lock, &sha, Role::Poam, None, &trusted, now()).unwrap();
        assert_eq!(ok.reviewer_keyid, key.public().keyid());
        assert_eq!(ok.review.note, "read the source");
        assert!(admit(&lock, &sha, Role::Poam, Some("poam-md"), &trusted, now()).is_ok());

        let e = admit(&lock, &"00".repeat(32), Role::Poam, None, &trusted, now()).unwrap_err();
        assert!(matches!(e, Refusal::NotPinned { .. }), "{e}");
        let e = admit(&lock, &sha, Role::Extra, None, &trusted, now()).unwrap_err();
        assert!(matches!(e, Refusal::OtherRole { .. }), "{e}");
        let e = admit(
            &lock,
            &"00".repeat(32),
            Role::Poam,
            Some("poam-md"),
            &trusted,
            now(),
        )
        .unwrap_err();
        assert!(matches!(e, Refusal::DigestChanged { .. }), "{e}");
        let e = admit(&lock, &sha, Role::Poam, None, &[other.public()], now()).unwrap_err();
        assert!(matches!(e, Refusal::UntrustedReview { .. }), "{e}");
        let e = admit(&lock, &sha, Role::Poam, None, &[], now()).unwrap_err();
        assert_eq!(e, Refusal::NoTrustedKeys);
        let later = OffsetDateTime::parse("2028-01-01T00:00:00Z", &Rfc3339).unwrap();
        let e = admit(&lock, &sha, Role::Poam, None, &trusted, later).unwrap_err();
        assert!(matches!(e, Refusal::Expired { .. }), "{e}");

        // A review signed for one role, pinned by hand under another, is refused.
        let mut forged = entry(&key, &sha, &r);
        forged.role = Role::Extra;
        let mut lock2 = LockFile::default();
        lock2.pin(forged);
        let e = admit(&lock2, &sha, Role::Extra, None, &trusted, now()).unwrap_err();
        assert!(matches!(e, Refusal::BadReview { .. }), "{e}");

        // A review of other bytes, pinned under these, is refused.
        let mut swapped = entry(&key, &"ef".repeat(32), &r);
        swapped.sha256 = sha.clone();
        let mut lock3 = LockFile::default();
        lock3.pin(swapped);
        let e = admit(&lock3, &sha, Role::Poam, None, &trusted, now()).unwrap_err();
        assert!(e.to_string().contains("reviews SHA-256"), "{e}");

        lock.components[0].revoked = Some(crate::trust::Revocation {
            at: "2026-12-01T12:00:00Z".into(),
            reason: "superseded".into(),
        });
        let e = admit(&lock, &sha, Role::Poam, None, &trusted, now()).unwrap_err();
        assert!(matches!(e, Refusal::Revoked { .. }), "{e}");
    }
}
