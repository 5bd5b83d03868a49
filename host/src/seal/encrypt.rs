//! Encryption to recipients with age (X25519 `age1...` and SSH ed25519 keys, no plugins)
//! and the signed sidecar that lets anyone check a ciphertext is the one the operator
//! sent before decrypting it. Age ciphertext is randomised: only the plaintext bundle is
//! reproducible.

use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sha2::{Digest, Sha256};
use stigpack_sign::dsse;
use stigpack_sign::keys::{PrivateKey, PublicKey};
use stigpack_sign::statement::{Statement, Subject};

use super::*;
use crate::exit::{coded, Exit};

/// A parsed recipient and its canonical text (recorded, sorted, in the sidecar).
pub struct Recipient {
    pub text: String,
    key: Box<dyn age::Recipient + Send>,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses `age1...` or `ssh-ed25519 AAAA... [comment]` (the comment is dropped).
pub fn parse_recipient(s: &str) -> anyhow::Result<Recipient> {
    let s = s.trim();
    if s.starts_with("age1") {
        let r = age::x25519::Recipient::from_str(s)
            .map_err(|e| coded(Exit::Usage, anyhow::anyhow!("--recipient {s:?}: {e}")))?;
        return Ok(Recipient {
            text: r.to_string(),
            key: Box::new(r),
        });
    }
    if s.starts_with("ssh-ed25519 ") {
        let canon: String = s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        let r = age::ssh::Recipient::from_str(&canon)
            .map_err(|e| coded(Exit::Usage, anyhow::anyhow!("--recipient {s:?}: {e:?}")))?;
        return Ok(Recipient {
            text: canon,
            key: Box::new(r),
        });
    }
    Err(coded(
        Exit::Usage,
        anyhow::anyhow!(
            "--recipient {s:?}: expected an age X25519 key (age1...) or an ssh-ed25519 public key"
        ),
    ))
}

/// Hashes what is written through it.
#[derive(Debug)]
pub struct HashWrite<W> {
    pub inner: W,
    pub hasher: Sha256,
}

impl<W: Write> Write for HashWrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Seals `pkg`, encrypting the bundle to `recipients` on its way to `out`; returns the
/// plaintext and ciphertext SHA-256.
pub fn seal_encrypted<W: Write>(
    pkg: &Path,
    key: &PrivateKey,
    sbom: &[u8],
    recipients: &[Recipient],
    out: W,
) -> anyhow::Result<(write::Sealed, String, String, W)> {
    let enc = age::Encryptor::with_recipients(
        recipients
            .iter()
            .map(|r| r.key.as_ref() as &dyn age::Recipient),
    )
    .map_err(|e| coded(Exit::Usage, anyhow::anyhow!("age recipients: {e}")))?;
    let cipher = HashWrite {
        inner: out,
        hasher: Sha256::new(),
    };
    let stream = enc.wrap_output(cipher).context("starting the age stream")?;
    let plain = HashWrite {
        inner: stream,
        hasher: Sha256::new(),
    };
    let (sealed, plain) = write::seal(pkg, key, sbom, plain)?;
    let plain_sha = hex::encode(plain.hasher.finalize());
    let cipher = plain.inner.finish().context("finishing the age stream")?;
    let cipher_sha = hex::encode(cipher.hasher.finalize());
    Ok((sealed, plain_sha, cipher_sha, cipher.inner))
}

/// The sidecar: a DSSE envelope over a statement naming the ciphertext and the plaintext
/// with their SHA-256, and the sorted recipients.
pub fn sidecar(
    age_name: &str,
    plain_name: &str,
    plain_sha: &str,
    cipher_sha: &str,
    recipients: &[String],
    key: &PrivateKey,
) -> anyhow::Result<Vec<u8>> {
    let mut sorted = recipients.to_vec();
    sorted.sort();
    sorted.dedup();
    let st = Statement::new(
        vec![
            Subject::sha256_hex(age_name, cipher_sha),
            Subject::sha256_hex(plain_name, plain_sha),
        ],
        SIDECAR_PREDICATE,
        serde_json::json!({
            "ciphertext": {"name": age_name, "sha256": cipher_sha},
            "plaintext": {"name": plain_name, "sha256": plain_sha},
            "recipients": sorted,
        }),
    );
    Ok(dsse::sign(dsse::INTOTO_PAYLOAD_TYPE, &st.to_canonical_json()?, key).to_json())
}

/// What a verified sidecar promises.
#[derive(Debug, Clone)]
pub struct Promise {
    pub plain_name: String,
    pub plain_sha: String,
}

/// Checks the sidecar's signature and that `age_file` is the ciphertext it names.
pub fn check_sidecar(
    age_file: &Path,
    sidecar_path: &Path,
    trusted: &PublicKey,
) -> anyhow::Result<Promise> {
    let env = std::fs::read(sidecar_path).map_err(|e| {
        anyhow::Error::new(Rejected::signature(format!(
            "{}: cannot read the signed sidecar: {e}",
            sidecar_path.display()
        )))
    })?;
    let payload = dsse::verify(&env, std::slice::from_ref(trusted)).map_err(|e| {
        anyhow::Error::new(Rejected::signature(format!(
            "{}: {e}",
            sidecar_path.display()
        )))
    })?;
    let st = Statement::from_json(payload.payload()).map_err(|e| {
        anyhow::Error::new(Rejected::signature(format!(
            "{}: {e}",
            sidecar_path.display()
        )))
    })?;
    if st.predicate_type != SIDECAR_PREDICATE {
        return Err(anyhow::Error::new(Rejected::signature(format!(
            "{}: not a stigpack sidecar",
            sidecar_path.display()
        ))));
    }
    let field = |k: &str, f: &str| st.predicate[k][f].as_str().unwrap_or_default().to_owned();
    let (cipher_sha, _) = crate::hashing::sha256_file(age_file).map_err(|e| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: {e}", age_file.display()),
        )
    })?;
    if cipher_sha != field("ciphertext", "sha256") {
        return Err(anyhow::Error::new(Rejected::checksum(format!(
            "{}: SHA-256 {cipher_sha} is not the ciphertext the sidecar signs ({})",
            age_file.display(),
            field("ciphertext", "sha256")
        ))));
    }
    Ok(Promise {
        plain_name: field("plaintext", "name"),
        plain_sha: field("plaintext", "sha256"),
    })
}

/// Reads identities: an age identity file (`AGE-SECRET-KEY-1...` lines) or an
/// unencrypted OpenSSH ed25519 private key.
pub fn read_identities(path: &Path) -> anyhow::Result<Vec<Box<dyn age::Identity>>> {
    let bytes = std::fs::read(path)
        .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", path.display())))?;
    let bad = |what: String| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: {what}", path.display()),
        )
    };
    if bytes.windows(15).any(|w| w == b"AGE-SECRET-KEY-") {
        let f = age::IdentityFile::from_buffer(&bytes[..]).map_err(|e| bad(e.to_string()))?;
        return f.into_identities().map_err(|e| bad(e.to_string()));
    }
    match age::ssh::Identity::from_buffer(&bytes[..], None).map_err(|e| bad(e.to_string()))? {
        age::ssh::Identity::Unencrypted(k) => {
            Ok(vec![Box::new(age::ssh::Identity::Unencrypted(k))])
        }
        age::ssh::Identity::Encrypted(_) => Err(bad(
            "passphrase-protected SSH keys are not supported; decrypt a copy first".into(),
        )),
        age::ssh::Identity::Unsupported(_) => {
            Err(bad("unsupported SSH key type (use ssh-ed25519)".into()))
        }
    }
}

/// Decrypts `age_file` into `out`, returning the plaintext SHA-256.
pub fn decrypt(
    age_file: &Path,
    identities: &[Box<dyn age::Identity>],
    out: impl Write,
) -> anyhow::Result<String> {
    let f =
        std::fs::File::open(age_file).with_context(|| format!("opening {}", age_file.display()))?;
    let bad = |e: String| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: cannot decrypt: {e}", age_file.display()),
        )
    };
    let d = age::Decryptor::new_buffered(BufReader::new(f)).map_err(|e| bad(e.to_string()))?;
    let mut r = d
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(|e| bad(e.to_string()))?;
    let mut w = HashWrite {
        inner: out,
        hasher: Sha256::new(),
    };
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = r.read(&mut buf).map_err(|e| bad(e.to_string()))?;
        if n == 0 {
            break;
        }
        w.write_all(&buf[..n])
            .context("writing the decrypted bundle")?;
    }
    w.flush()?;
    Ok(hex::encode(w.hasher.finalize()))
}
