//! `stigpack seal`: writes the sealed bundle in one pass to any writer (a file, or an age
//! encryptor), hashing the uncompressed tar stream as it goes so the statement can sign
//! the exact bytes before the envelope entry.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::Context;
use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};
use stigpack_sign::dsse;
use stigpack_sign::keys::PrivateKey;
use stigpack_sign::statement::{Statement, Subject};

use super::tarfmt;
use super::*;
use crate::exit::{coded, Exit};
use crate::package::hashlist::{self, MANIFEST};

/// The pinned compression level (miniz_oxide, the one backend compiled in).
pub const GZIP_LEVEL: u32 = 6;

/// What sealing produced.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The package folder's name inside the bundle.
    pub folder: String,
    /// Entries written, the envelope included.
    pub entries: usize,
    /// SHA-256 of the signed tar prefix and its length.
    pub tar_sha256: String,
    pub tar_bytes: u64,
}

/// Counts and hashes what passes through to the inner writer.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes what is read through it.
struct HashRead<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Where an entry's bytes come from.
enum Source {
    File {
        path: std::path::PathBuf,
        sha256: String,
        size: u64,
    },
    Bytes(Vec<u8>),
}

/// The package's export time, from its manifest: every entry's mtime.
pub fn export_time(pkg: &Path) -> anyhow::Result<u64> {
    let path = pkg.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", path.display())))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: not JSON: {e}", path.display()),
        )
    })?;
    let at = v["exportedAt"].as_str().ok_or_else(|| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: no exportedAt", path.display()),
        )
    })?;
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: exportedAt {at:?}: {e}", path.display()),
            )
        })?;
    u64::try_from(t.unix_timestamp()).map_err(|_| {
        coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: exportedAt {at:?} is before 1970", path.display()),
        )
    })
}

/// The package folder's name: the directory's own name, a single safe component.
pub fn folder_name(pkg: &Path) -> anyhow::Result<String> {
    let abs = std::fs::canonicalize(pkg)
        .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", pkg.display())))?;
    let name = abs
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            coded(
                Exit::BadInput,
                anyhow::anyhow!("{}: no usable folder name", pkg.display()),
            )
        })?
        .to_owned();
    tarfmt::check_name(&name).map_err(|e| coded(Exit::BadInput, anyhow::anyhow!(e)))?;
    if name.as_bytes() >= ENVELOPE.as_bytes()
        || [SHA256SUMS, VERIFY_MD, VERIFY_SH, PUBLIC_KEY, SBOM].contains(&name.as_str())
    {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!(
                "{}: the folder name {name:?} clashes with the bundle's own files; rename it",
                pkg.display()
            ),
        ));
    }
    Ok(name)
}

/// Seals the package at `pkg` into `out` (gzip-compressed tar), signing with `key`.
/// Returns the writer so the caller can finish it (flush a file, close an age stream).
pub fn seal<W: Write>(
    pkg: &Path,
    key: &PrivateKey,
    sbom: &[u8],
    out: W,
) -> anyhow::Result<(Sealed, W)> {
    let mtime = export_time(pkg)?;
    let folder = folder_name(pkg)?;
    let files = hashlist::walk(pkg).map_err(|e| coded(Exit::BadInput, e))?;
    let hashed = crate::parallel::try_map(&files, crate::parallel::jobs(), |_, rel| {
        crate::hashing::sha256_file(&pkg.join(rel))
            .with_context(|| format!("reading {}/{rel}", pkg.display()))
    })?;
    let mut entries: Vec<(String, Source)> = Vec::with_capacity(files.len() + 6);
    for (rel, (sha256, size)) in files.iter().zip(hashed) {
        entries.push((
            format!("{folder}/{rel}"),
            Source::File {
                path: pkg.join(rel),
                sha256,
                size,
            },
        ));
    }
    let public_pem = key.public().to_pem()?;
    for (name, bytes) in [
        (VERIFY_MD, include_bytes!("VERIFY.md").to_vec()),
        (VERIFY_SH, include_bytes!("verify.sh").to_vec()),
        (PUBLIC_KEY, public_pem.into_bytes()),
        (SBOM, sbom.to_vec()),
    ] {
        entries.push((name.to_owned(), Source::Bytes(bytes)));
    }
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut sums = String::new();
    let mut subjects = Vec::new();
    for (name, src) in &entries {
        tarfmt::check_name(name)
            .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", pkg.display())))?;
        let sha = match src {
            Source::File { sha256, .. } => sha256.clone(),
            Source::Bytes(b) => crate::hashing::sha256_hex(b),
        };
        sums.push_str(&format!("{sha}  {name}\n"));
        subjects.push(Subject::sha256_hex(name, &sha));
    }
    subjects.push(Subject::sha256_hex(
        SHA256SUMS,
        &crate::hashing::sha256_hex(sums.as_bytes()),
    ));
    entries.push((SHA256SUMS.to_owned(), Source::Bytes(sums.into_bytes())));
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(out, Compression::new(GZIP_LEVEL));
    let mut tar = tar::Builder::new(Hashing {
        inner: gz,
        hasher: Sha256::new(),
        count: 0,
    });
    for (name, src) in &entries {
        match src {
            Source::Bytes(b) => append(&mut tar, name, b.len() as u64, mtime, &b[..])?,
            Source::File { path, sha256, size } => {
                let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
                let mut r = HashRead {
                    inner: f.take(*size),
                    hasher: Sha256::new(),
                    count: 0,
                };
                append(&mut tar, name, *size, mtime, &mut r)?;
                if r.count != *size || hex::encode(r.hasher.finalize()) != *sha256 {
                    anyhow::bail!("{} changed while it was being sealed", path.display());
                }
            }
        }
    }
    let (tar_sha256, tar_bytes) = {
        let h = tar.get_ref();
        (hex::encode(h.hasher.clone().finalize()), h.count)
    };
    subjects.push(Subject::sha256_hex(TAR_SUBJECT, &tar_sha256));
    let statement = Statement::new(
        subjects,
        BUNDLE_PREDICATE,
        serde_json::json!({
            "signedTarBytes": tar_bytes,
            "package": folder,
            "mtime": mtime,
            "sbom": SBOM,
            "tool": {"name": "stigpack", "version": env!("CARGO_PKG_VERSION")},
        }),
    );
    let envelope = dsse::sign(
        dsse::INTOTO_PAYLOAD_TYPE,
        &statement.to_canonical_json()?,
        key,
    )
    .to_json();
    append(
        &mut tar,
        ENVELOPE,
        envelope.len() as u64,
        mtime,
        &envelope[..],
    )?;
    let hashing = tar.into_inner().context("finishing the tar stream")?;
    let out = hashing
        .inner
        .finish()
        .context("finishing the gzip stream")?;
    Ok((
        Sealed {
            folder,
            entries: entries.len() + 1,
            tar_sha256,
            tar_bytes,
        },
        out,
    ))
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: u64,
    data: impl Read,
) -> anyhow::Result<()> {
    let h =
        tarfmt::header(name, size, mtime).map_err(|e| coded(Exit::BadInput, anyhow::anyhow!(e)))?;
    tar.append(&h, data)
        .with_context(|| format!("writing {name} into the bundle"))
}
