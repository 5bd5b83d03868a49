//! Checkpoints (C2SP tlog-checkpoint) and their Ed25519 signed-note signatures, plus the
//! key files that make them.
//!
//! A checkpoint is the text `<origin>\n<size>\n<base64 root>\n`. Signed, it becomes a C2SP
//! signed note: the text, a blank line, then one line per signature,
//! `— <key name> <base64(key id || signature)>`, where the signature is Ed25519 over the
//! text and the key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
//!
//! Key files use the encoding of Go's `golang.org/x/mod/sumdb/note` package, so keys can
//! be exchanged with tools built on it:
//! - signer (private) key: `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>`
//! - verifier (public) key: `<name>+<8 hex key id>+<base64(0x01 || 32-byte public key)>`

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;
use crate::AuditError;

/// Signature algorithm byte for Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;
/// The signature line prefix: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// A signature line of a signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The 4-byte key id.
    pub key_id: [u8; 4],
    /// The signature bytes (64 for Ed25519).
    pub signature: Vec<u8>,
}

/// A log checkpoint: the tree size and root that commit to the whole log up to `size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Identifies the log (first line).
    pub origin: String,
    /// Number of entries committed to.
    pub size: u64,
    /// RFC 6962 root of the first `size` lines.
    pub root: Hash,
    /// Optional extra body lines (C2SP extension lines), kept verbatim.
    pub extensions: Vec<String>,
    /// Signatures, in file order.
    pub signatures: Vec<NoteSignature>,
}

impl Checkpoint {
    /// An unsigned checkpoint.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
            signatures: Vec::new(),
        }
    }

    /// The signed text: origin, size, root, extensions, each ending in `\n`.
    pub fn body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// The full text: the body, plus a blank line and signature lines when signed.
    pub fn to_text(&self) -> String {
        let mut s = self.body();
        if !self.signatures.is_empty() {
            s.push('\n');
            for sig in &self.signatures {
                let mut blob = sig.key_id.to_vec();
                blob.extend_from_slice(&sig.signature);
                s.push_str(&format!("{SIG_PREFIX}{} {}\n", sig.name, B64.encode(blob)));
            }
        }
        s
    }

    /// Parses a checkpoint or signed note. `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, AuditError> {
        let err = |reason: String| AuditError::Checkpoint {
            source_name: source_name.to_owned(),
            reason,
        };
        let (body, sigs) = match text.find("\n\n") {
            Some(p) => (&text[..=p], Some(&text[p + 2..])),
            None => (text, None),
        };
        if !body.ends_with('\n') {
            return Err(err("the checkpoint text must end with a newline".into()));
        }
        let mut lines = body[..body.len() - 1].split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| err("missing origin line".into()))?;
        let size_s = lines
            .next()
            .ok_or_else(|| err("missing tree size line".into()))?;
        let size_ok = !size_s.is_empty()
            && size_s.bytes().all(|b| b.is_ascii_digit())
            && (size_s == "0" || !size_s.starts_with('0'));
        let size = size_ok
            .then(|| size_s.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| err(format!("tree size {size_s:?} is not a decimal number")))?;
        let root_s = lines
            .next()
            .ok_or_else(|| err("missing root hash line".into()))?;
        let root: Hash = B64
            .decode(root_s)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| err(format!("root hash {root_s:?} is not base64 of 32 bytes")))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(err("empty extension line".into()));
        }
        let mut signatures = Vec::new();
        if let Some(sigs) = sigs {
            if !sigs.ends_with('\n') {
                return Err(err("signature block must end with a newline".into()));
            }
            for line in sigs[..sigs.len() - 1].split('\n') {
                let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
                    err(format!(
                        "signature line {line:?} does not start with an em dash"
                    ))
                })?;
                let (name, b64) = rest
                    .split_once(' ')
                    .ok_or_else(|| err(format!("malformed signature line {line:?}")))?;
                let blob = B64
                    .decode(b64)
                    .map_err(|_| err(format!("signature of {name:?} is not base64")))?;
                if blob.len() < 5 {
                    return Err(err(format!("signature of {name:?} is too short")));
                }
                let mut key_id = [0u8; 4];
                key_id.copy_from_slice(&blob[..4]);
                signatures.push(NoteSignature {
                    name: name.to_owned(),
                    key_id,
                    signature: blob[4..].to_vec(),
                });
            }
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
            signatures,
        })
    }

    /// Reads and parses a checkpoint file.
    pub fn read(path: &Path) -> Result<Self, AuditError> {
        let text =
            std::fs::read_to_string(path).map_err(AuditError::io(path, "read checkpoint"))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Adds (or replaces) this key's signature.
    pub fn sign(&mut self, key: &SignerKey) {
        let sig = key.sign_text(self.body().as_bytes());
        self.signatures
            .retain(|s| !(s.name == key.name && s.key_id == key.id));
        self.signatures.push(sig);
    }

    /// Whether the checkpoint carries a valid signature by `key`.
    pub fn verify_signature(&self, key: &VerifierKey) -> bool {
        let body = self.body();
        self.signatures.iter().any(|s| {
            s.name == key.name
                && s.key_id == key.id
                && <[u8; 64]>::try_from(s.signature.as_slice())
                    .map(|b| {
                        key.key
                            .verify(body.as_bytes(), &ed25519_dalek::Signature::from_bytes(&b))
                            .is_ok()
                    })
                    .unwrap_or(false)
        })
    }
}

/// Note key id: SHA-256(name || 0x0A || 0x01 || public key)[:4].
pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "key name {name:?} must be non-empty, without '+', spaces or control characters"
        ));
    }
    Ok(())
}

/// An Ed25519 signing key with its note name.
pub struct SignerKey {
    /// Key name, shown in signature lines.
    pub name: String,
    /// Key id.
    pub id: [u8; 4],
    key: SigningKey,
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("id", &hex::encode(self.id))
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key with its note name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// Key name.
    pub name: String,
    /// Key id.
    pub id: [u8; 4],
    key: VerifyingKey,
}

impl SignerKey {
    /// A new random key.
    pub fn generate(name: &str) -> Result<Self, AuditError> {
        check_name(name).map_err(|reason| AuditError::Key {
            path: PathBuf::from(name),
            reason,
        })?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| AuditError::Key {
            path: PathBuf::from(name),
            reason: format!("no randomness from the OS: {e}"),
        })?;
        Ok(Self::from_seed(name, seed))
    }

    /// The signer for a raw Ed25519 seed under note name `name`: how a PKCS#8 PEM key
    /// (`stigpack key generate`) signs checkpoints. `path` names the key file in errors.
    pub fn from_ed25519_seed(name: &str, seed: [u8; 32], path: &Path) -> Result<Self, AuditError> {
        check_name(name).map_err(|reason| AuditError::Key {
            path: path.to_owned(),
            reason,
        })?;
        Ok(Self::from_seed(name, seed))
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Self {
            name: name.to_owned(),
            id,
            key,
        }
    }

    /// Signs note text (which must end in a newline) as a signed-note signature.
    pub fn sign_text(&self, text: &[u8]) -> NoteSignature {
        NoteSignature {
            name: self.name.clone(),
            key_id: self.id,
            signature: self.key.sign(text).to_bytes().to_vec(),
        }
    }

    /// The matching public key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// `PRIVATE+KEY+<name>+<id>+<base64>` (no newline).
    pub fn encode(&self) -> String {
        let mut blob = vec![ALG_ED25519];
        blob.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(blob)
        )
    }

    /// Parses a signer key; `path` names it in errors.
    pub fn decode(text: &str, path: &Path) -> Result<Self, AuditError> {
        let err = |reason: &str| AuditError::Key {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = text
            .trim_end_matches(['\n', '\r'])
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| err("not a signer key (expected PRIVATE+KEY+<name>+<id>+<key>)"))?;
        let (name, id, blob) = split_key(rest).ok_or_else(|| err("malformed signer key"))?;
        check_name(name).map_err(|r| err(&r))?;
        let seed: [u8; 32] = match blob.split_first() {
            Some((&ALG_ED25519, k)) => k
                .try_into()
                .map_err(|_| err("Ed25519 seed must be 32 bytes"))?,
            _ => return Err(err("unsupported key algorithm (only Ed25519)")),
        };
        let key = Self::from_seed(name, seed);
        if key.id != id {
            return Err(err("key id does not match the key"));
        }
        Ok(key)
    }

    /// Reads a signer key file.
    pub fn read(path: &Path) -> Result<Self, AuditError> {
        let text = std::fs::read_to_string(path).map_err(AuditError::io(path, "read key"))?;
        Self::decode(&text, path)
    }
}

impl VerifierKey {
    /// `<name>+<id>+<base64>` (no newline).
    pub fn encode(&self) -> String {
        let mut blob = vec![ALG_ED25519];
        blob.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(blob)
        )
    }

    /// The raw 32-byte public key (e.g. to export it as PEM for other tools).
    pub fn public_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The verifier for a raw Ed25519 public key under note name `name` (a SubjectPublicKeyInfo
    /// PEM key's note form). `path` names the key file in errors.
    pub fn from_ed25519(name: &str, public: [u8; 32], path: &Path) -> Result<Self, AuditError> {
        let err = |reason: String| AuditError::Key {
            path: path.to_owned(),
            reason,
        };
        check_name(name).map_err(err)?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| err("not a valid Ed25519 public key".into()))?;
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, &public),
            key,
        })
    }

    /// Parses a verifier key; `path` names it in errors.
    pub fn decode(text: &str, path: &Path) -> Result<Self, AuditError> {
        let err = |reason: &str| AuditError::Key {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let text = text.trim_end_matches(['\n', '\r']);
        if text.starts_with("PRIVATE+KEY+") {
            return Err(err(
                "this is a private signer key; give the public verifier key",
            ));
        }
        let (name, id, blob) = split_key(text)
            .ok_or_else(|| err("malformed verifier key (expected <name>+<id>+<key>)"))?;
        check_name(name).map_err(|r| err(&r))?;
        let public: [u8; 32] = match blob.split_first() {
            Some((&ALG_ED25519, k)) => k
                .try_into()
                .map_err(|_| err("Ed25519 key must be 32 bytes"))?,
            _ => return Err(err("unsupported key algorithm (only Ed25519)")),
        };
        if key_id(name, &public) != id {
            return Err(err("key id does not match the key"));
        }
        let key =
            VerifyingKey::from_bytes(&public).map_err(|_| err("not a valid Ed25519 public key"))?;
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// Reads a verifier key file.
    pub fn read(path: &Path) -> Result<Self, AuditError> {
        let text = std::fs::read_to_string(path).map_err(AuditError::io(path, "read key"))?;
        Self::decode(&text, path)
    }
}

fn split_key(s: &str) -> Option<(&str, [u8; 4], Vec<u8>)> {
    let mut parts = s.splitn(3, '+');
    let name = parts.next()?;
    let id_hex = parts.next()?;
    let b64 = parts.next()?;
    let mut id = [0u8; 4];
    if id_hex.len() != 8 {
        return None;
    }
    hex::decode_to_slice(id_hex, &mut id).ok()?;
    Some((name, id, B64.decode(b64).ok()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn unsigned_round_trip_and_exact_text() {
        let cp = Checkpoint::new("example.com/log", 42, [7u8; 32]);
        let text = cp.to_text();
        assert_eq!(
            text,
            format!("example.com/log\n42\n{}\n", B64.encode([7u8; 32]))
        );
        assert_eq!(Checkpoint::parse(&text, "t").unwrap(), cp);
    }

    #[test]
    fn signed_round_trip_and_tamper_detection() {
        let key = SignerKey::generate("audit.example").unwrap();
        let mut cp = Checkpoint::new("example.com/log", 9, [1u8; 32]);
        cp.sign(&key);
        let text = cp.to_text();
        assert!(text.contains("\n\n\u{2014} audit.example "));
        let back = Checkpoint::parse(&text, "t").unwrap();
        assert!(back.verify_signature(&key.verifier()));
        let other = SignerKey::generate("audit.example").unwrap();
        assert!(!back.verify_signature(&other.verifier()));
        let tampered = Checkpoint::parse(&text.replacen("\n9\n", "\n8\n", 1), "t").unwrap();
        assert!(!tampered.verify_signature(&key.verifier()));
    }

    #[test]
    fn key_files_round_trip_and_key_id_is_go_note_compatible() {
        let key = SignerKey::from_seed("PeterNeumann", [0x11; 32]);
        let enc = key.encode();
        assert!(enc.starts_with("PRIVATE+KEY+PeterNeumann+"));
        let back = SignerKey::decode(&enc, Path::new("k")).unwrap();
        assert_eq!(back.verifier(), key.verifier());
        let pubenc = key.verifier().encode();
        assert_eq!(
            VerifierKey::decode(&pubenc, Path::new("k.pub")).unwrap(),
            key.verifier()
        );
        // The id is SHA-256(name || "\n" || 0x01 || pub)[:4], computed independently here.
        let mut pre = b"PeterNeumann\n\x01".to_vec();
        pre.extend_from_slice(&key.verifier().public_bytes());
        assert_eq!(key.id, Sha256::digest(&pre)[..4]);
        // Go's note package test key (golang.org/x/mod/sumdb/note): its id must match.
        let go = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert!(VerifierKey::decode(go, Path::new("go")).is_ok());
        let bad_id = go.replace("c74f20a3", "c74f20a4");
        assert!(VerifierKey::decode(&bad_id, Path::new("go")).is_err());
    }

    #[test]
    fn signatures_match_go_note_reference_vector() {
        // golang.org/x/mod/sumdb/note documentation example: Ed25519 is deterministic, so
        // signing the same text with the same key must give the published signature.
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        let key = SignerKey::decode(skey, Path::new("go")).unwrap();
        assert_eq!(
            key.verifier().encode(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
        let sig = key.sign_text(text.as_bytes());
        let mut blob = sig.key_id.to_vec();
        blob.extend_from_slice(&sig.signature);
        assert_eq!(
            B64.encode(blob),
            "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        );
    }

    #[test]
    fn malformed_checkpoints_are_rejected_with_the_file_name() {
        for bad in [
            "",
            "origin\n",
            "origin\n012\nAAAA\n",
            "origin\n-1\nAAAA\n",
            "origin\n1\nnot base64\n",
            "origin\n1\nAAAA\n",
        ] {
            let e = Checkpoint::parse(bad, "cp.txt").unwrap_err().to_string();
            assert!(e.starts_with("cp.txt: "), "{e}");
        }
        let good = Checkpoint::new("o", 1, [0u8; 32]).to_text();
        assert!(Checkpoint::parse(&format!("{good}\nnot a signature\n"), "cp").is_err());
    }
}
