//! Ed25519 keys in the PEM forms every independent verifier reads: PKCS#8 for the private
//! key, SubjectPublicKeyInfo for the public key (`openssl pkey -in K -pubout` gives the
//! same public PEM).
//!
//! Why the checks: a private key that others can read no longer says who signed, so a
//! group- or world-readable key file is refused (as ssh does); a new key file is created
//! with mode 0600 and never over an existing one.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::SignError;

/// An Ed25519 private key. Its `Debug` shows the public key id only.
pub struct PrivateKey {
    key: SigningKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("keyid", &self.public().keyid())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PrivateKey {
    /// A new random key from the OS's randomness.
    pub fn generate() -> Result<Self, SignError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| SignError::Random(e.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// The key whose 32-byte Ed25519 seed is `seed` (tests and format conversion).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The 32-byte seed, for callers that must hand the key to another format (the audit
    /// log's signed-note key). Never print it.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// An Ed25519 signature (64 bytes) over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// PKCS#8 v1 PEM text (`-----BEGIN PRIVATE KEY-----`), without the optional public
    /// key of v2 (RFC 5958): OpenSSL 3.0 refuses the v2 form that `SigningKey` writes.
    pub fn to_pem(&self) -> Result<String, SignError> {
        ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: self.key.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map(|z| z.to_string())
        .map_err(|e| SignError::Statement(format!("encoding a private key: {e}")))
    }

    /// Parses PKCS#8 PEM text; `path` names the file in errors.
    pub fn from_pem(text: &str, path: &Path) -> Result<Self, SignError> {
        SigningKey::from_pkcs8_pem(text)
            .map(|key| Self { key })
            .map_err(|e| SignError::KeyFormat {
                path: path.to_owned(),
                reason: format!("not an Ed25519 PKCS#8 PEM private key ({e})"),
            })
    }

    /// Reads a private key file, refusing one that group or others may read.
    pub fn read(path: &Path) -> Result<Self, SignError> {
        check_private_mode(path)?;
        let text = std::fs::read_to_string(path).map_err(|source| SignError::Io {
            path: path.to_owned(),
            what: "read the private key",
            source,
        })?;
        Self::from_pem(&text, path)
    }
}

impl PublicKey {
    /// SubjectPublicKeyInfo PEM text (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_pem(&self) -> Result<String, SignError> {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| SignError::Statement(format!("encoding a public key: {e}")))
    }

    /// Parses SubjectPublicKeyInfo PEM text; `path` names the file in errors.
    pub fn from_pem(text: &str, path: &Path) -> Result<Self, SignError> {
        VerifyingKey::from_public_key_pem(text)
            .map(|key| Self { key })
            .map_err(|e| SignError::KeyFormat {
                path: path.to_owned(),
                reason: format!("not an Ed25519 SubjectPublicKeyInfo PEM public key ({e})"),
            })
    }

    /// Reads a public key file.
    pub fn read(path: &Path) -> Result<Self, SignError> {
        let text = std::fs::read_to_string(path).map_err(|source| SignError::Io {
            path: path.to_owned(),
            what: "read the public key",
            source,
        })?;
        Self::from_pem(&text, path)
    }

    /// The raw 32-byte key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// The key's DER SubjectPublicKeyInfo bytes.
    pub fn spki_der(&self) -> Vec<u8> {
        self.key
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// Hex SHA-256 of the DER SubjectPublicKeyInfo: a hint that narrows which key to try,
    /// never a reason to trust (DSSE: keyid is not signed).
    pub fn keyid(&self) -> String {
        hex::encode(Sha256::digest(self.spki_der()))
    }

    /// Whether `signature` is this key's Ed25519 signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify(message, &sig).is_ok()
    }
}

/// The pair of files `stigpack key generate --out NAME` writes.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    pub private: PathBuf,
    pub public: PathBuf,
}

/// Writes a new key pair: `name` (PKCS#8 PEM, created 0600) and `name.pub` (SPKI PEM).
/// Refuses if either file exists; on failure nothing is left behind.
pub fn generate_files(name: &Path) -> Result<(PrivateKey, KeyFiles), SignError> {
    let mut public = name.as_os_str().to_owned();
    public.push(".pub");
    let files = KeyFiles {
        private: name.to_owned(),
        public: PathBuf::from(public),
    };
    for p in [&files.private, &files.public] {
        if p.symlink_metadata().is_ok() {
            return Err(SignError::Exists { path: p.clone() });
        }
    }
    let key = PrivateKey::generate()?;
    let private_pem = key.to_pem()?;
    let public_pem = key.public().to_pem()?;
    write_new(&files.private, private_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&files.public, public_pem.as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&files.private);
        return Err(e);
    }
    Ok((key, files))
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SignError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let io = |what, source| SignError::Io {
        path: path.to_owned(),
        what,
        source,
    };
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SignError::Exists {
                path: path.to_owned(),
            }
        } else {
            io("create the key file", e)
        }
    })?;
    let done = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io("write the key file", e));
    if done.is_err() {
        let _ = std::fs::remove_file(path);
    }
    done
}

#[cfg(unix)]
fn check_private_mode(path: &Path) -> Result<(), SignError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| SignError::Io {
        path: path.to_owned(),
        what: "read the private key",
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SignError::KeyPermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path) -> Result<(), SignError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn generate_writes_private_0600_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("op");
        let (key, files) = generate_files(&name).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files.private)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = PrivateKey::read(&files.private).unwrap();
        assert_eq!(back.public(), key.public());
        assert_eq!(PublicKey::read(&files.public).unwrap(), key.public());
        assert!(matches!(
            generate_files(&name),
            Err(SignError::Exists { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn readable_private_key_is_refused_without_echoing_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("op");
        let (key, files) = generate_files(&name).unwrap();
        std::fs::set_permissions(&files.private, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = PrivateKey::read(&files.private).unwrap_err().to_string();
        assert!(err.contains("readable by group or others"), "{err}");
        assert!(!err.contains(&key.to_pem().unwrap()[30..60]));
    }

    #[test]
    fn signatures_verify_only_with_the_matching_key() {
        let a = PrivateKey::from_seed([1; 32]);
        let b = PrivateKey::from_seed([2; 32]);
        let sig = a.sign(b"msg");
        assert!(a.public().verify(b"msg", &sig));
        assert!(!b.public().verify(b"msg", &sig));
        assert!(!a.public().verify(b"msh", &sig));
        assert!(!a.public().verify(b"msg", &sig[..63]));
    }

    #[test]
    fn pem_is_the_standard_form() {
        let k = PrivateKey::from_seed([7; 32]);
        assert!(k
            .to_pem()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(k
            .public()
            .to_pem()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
        // Version 0 (v1, no public key): the DER is exactly 48 bytes, the form OpenSSL
        // 3.0 and securesystemslib read.
        let pem = k.to_pem().unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(der.len(), 48);
        assert_eq!(&der[..5], &[0x30, 0x2e, 0x02, 0x01, 0x00]);
        assert_eq!(
            PrivateKey::from_pem(&pem, Path::new("k")).unwrap().public(),
            k.public()
        );
        let err = PrivateKey::from_pem("junk", Path::new("k"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("k: not an Ed25519 PKCS#8"), "{err}");
    }
}
