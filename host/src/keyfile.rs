//! Reading the operator's key files for every command that signs or verifies, so that one
//! key (`stigpack key generate`) serves packages and audit checkpoints alike, and the
//! refusals (a key others can read, a key in the wrong form) read the same everywhere.
//!
//! The audit log's signed notes need a key *name*; a PEM key has none, so its note name
//! is derived from the key itself: `stigpack-<first 16 hex of its key id>` (the key id is
//! the SHA-256 of the SubjectPublicKeyInfo DER, as in the DSSE envelope). The name is
//! therefore the same wherever the key is used and needs no extra option.

use std::path::Path;

use stigpack_audit::{SignerKey, VerifierKey};
use stigpack_sign::keys::{PrivateKey, PublicKey};
use stigpack_sign::SignError;

use crate::exit::{coded, Exit};

/// The first line of a PEM file.
const PEM_BEGIN: &str = "-----BEGIN ";

/// The signed-note name of a PEM key (see the module comment).
pub fn note_name(public: &PublicKey) -> String {
    format!("stigpack-{}", &public.keyid()[..16])
}

fn key_error(e: SignError) -> anyhow::Error {
    coded(Exit::BadInput, e)
}

/// Reads a PKCS#8 PEM private key, refusing one that group or others may read (exit 3).
pub fn private_key(path: &Path) -> anyhow::Result<PrivateKey> {
    PrivateKey::read(path).map_err(key_error)
}

/// Reads each SubjectPublicKeyInfo PEM public key (exit 3 on a bad file).
pub fn public_keys(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<PublicKey>> {
    paths
        .iter()
        .map(|p| PublicKey::read(p).map_err(key_error))
        .collect()
}

/// Whether the file starts like PEM; unreadable files are left for the reader to report.
fn is_pem(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(PEM_BEGIN.as_bytes()))
}

/// The checkpoint signer from either key form: a PKCS#8 PEM key (note name derived, see
/// the module comment) or the signed-note `PRIVATE+KEY+...` file of `audit keygen`. Both
/// are refused when group or others may read them.
pub fn audit_signer(path: &Path) -> anyhow::Result<SignerKey> {
    if is_pem(path) {
        let key = private_key(path)?;
        let name = note_name(&key.public());
        return Ok(SignerKey::from_ed25519_seed(&name, key.seed(), path)?);
    }
    check_private_mode(path)?;
    Ok(SignerKey::read(path)?)
}

/// The checkpoint verifier from either public form: SubjectPublicKeyInfo PEM or the
/// signed-note `<name>+<id>+<key>` line.
pub fn audit_verifier(path: &Path) -> anyhow::Result<VerifierKey> {
    if is_pem(path) {
        let key = PublicKey::read(path).map_err(key_error)?;
        return Ok(VerifierKey::from_ed25519(
            &note_name(&key),
            *key.as_bytes(),
            path,
        )?);
    }
    Ok(VerifierKey::read(path)?)
}

/// The note verifier of a PEM public key, for checking checkpoints embedded in packages.
pub fn note_verifier(key: &PublicKey) -> anyhow::Result<VerifierKey> {
    Ok(VerifierKey::from_ed25519(
        &note_name(key),
        *key.as_bytes(),
        Path::new("(trusted key)"),
    )?)
}

#[cfg(unix)]
fn check_private_mode(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| {
        key_error(SignError::Io {
            path: path.to_owned(),
            what: "read the private key",
            source,
        })
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(key_error(SignError::KeyPermissions {
            path: path.to_owned(),
            mode,
        }));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn one_pem_key_signs_checkpoints_that_its_public_pem_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (key, files) = stigpack_sign::keys::generate_files(&dir.path().join("op")).unwrap();
        let signer = audit_signer(&files.private).unwrap();
        assert_eq!(signer.name, note_name(&key.public()));
        let mut cp = stigpack_audit::Checkpoint::new("o", 3, [9; 32]);
        cp.sign(&signer);
        assert!(cp.verify_signature(&audit_verifier(&files.public).unwrap()));
        let other = PrivateKey::from_seed([1; 32]).public();
        assert!(!cp.verify_signature(&note_verifier(&other).unwrap()));
    }

    #[cfg(unix)]
    #[test]
    fn readable_note_keys_are_refused_too() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("note.key");
        let k = SignerKey::generate("audit.example").unwrap();
        std::fs::write(&p, k.encode()).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = format!("{:#}", audit_signer(&p).unwrap_err());
        assert!(err.contains("readable by group or others"), "{err}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(audit_signer(&p).unwrap().name, "audit.example");
    }
}
