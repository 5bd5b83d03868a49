//! `stigpack verify`: checks a sealed bundle (or an unsealed package folder) offline with
//! a pinned public key. The tar stream is read block by block with our own header checks,
//! never unpacked by a library: files go only into a private temporary directory, as
//! regular files created new, so no entry can write outside it or through a link.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use anyhow::Context;
use flate2::read::GzDecoder;
use serde::Serialize;
use sha2::{Digest, Sha256};
use stigpack_sign::dsse;
use stigpack_sign::keys::PublicKey;
use stigpack_sign::statement::{compare_subjects, Statement};

use super::tarfmt::{self, BLOCK};
use super::*;
use crate::package::hashlist::{self, HASH_LIST, MANIFEST};
use crate::package::validate;

/// The package's own signed provenance (written by `export-emass --sign-key`).
pub const PROVENANCE_DSSE: &str = "00_Manifest/provenance.intoto.dsse.json";
/// Bundle-level files are held in memory; none may exceed this.
const MAX_SMALL_FILE: u64 = 64 << 20;

/// Caps on what a bundle may declare, so a hostile archive cannot fill the disk.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
}

/// What a successful verification found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub package: String,
    pub files: usize,
    pub signed_by: String,
    pub package_signed: bool,
    pub ready: bool,
}

fn rej(r: Rejected) -> anyhow::Error {
    anyhow::Error::new(r)
}

/// Reads and hashes the decompressed stream, remembering its offset.
struct Stream<R> {
    inner: R,
    hasher: Sha256,
    offset: u64,
}

impl<R: Read> Stream<R> {
    /// Fills `buf` completely. A gzip error (bad CRC, bad deflate data) is a checksum
    /// failure; an early end is a structure failure.
    fn fill(&mut self, buf: &mut [u8], what: &str) -> anyhow::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            match self.inner.read(&mut buf[done..]) {
                Ok(0) => {
                    return Err(rej(Rejected::structure(format!(
                        "archive ends inside {what}"
                    ))))
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(rej(Rejected::checksum(format!(
                        "the gzip stream is corrupt ({e}) while reading {what}"
                    ))))
                }
            }
        }
        self.hasher.update(&buf[..]);
        self.offset += buf.len() as u64;
        Ok(())
    }
}

/// One entry as read.
struct Entry {
    sha256: String,
    /// Bytes of bundle-level files (not of package files, which are on disk).
    bytes: Option<Vec<u8>>,
}

/// Verifies the bundle `file` with the `trusted` key; package files are written under
/// `into` (an empty private directory the caller owns and removes).
pub fn verify_bundle(
    file: &Path,
    trusted: &PublicKey,
    caps: Caps,
    into: &Path,
) -> anyhow::Result<Verified> {
    let f = File::open(file).map_err(|e| {
        crate::exit::coded(
            crate::exit::Exit::BadInput,
            anyhow::anyhow!("{}: {e}", file.display()),
        )
    })?;
    let mut gz = GzDecoder::new(BufReader::new(f));
    let read = read_entries(&mut gz, caps, into);
    let (entries, env_offset, prefix_sha, mtime) = match read {
        Ok(v) => v,
        Err(e) => {
            // A structure error may really be corruption of the compressed bytes: if the
            // rest of the gzip stream fails its CRC, say that instead.
            if e.downcast_ref::<Rejected>()
                .is_some_and(|r| r.kind == Failure::Structure)
            {
                let mut limited = (&mut gz).take(caps.max_total_bytes);
                if io::copy(&mut limited, &mut io::sink()).is_err() {
                    return Err(rej(Rejected::checksum(format!(
                        "{}: the gzip stream is corrupt ({e:#})",
                        file.display()
                    ))));
                }
            }
            return Err(e.context(file.display().to_string()));
        }
    };
    // Nothing may follow the gzip member.
    let mut rest = gz.into_inner();
    let mut probe = [0u8; 1];
    if rest.read(&mut probe).unwrap_or(0) != 0 {
        return Err(rej(Rejected::structure(format!(
            "{}: bytes follow the gzip stream",
            file.display()
        ))));
    }
    check_bundle(&entries, env_offset, &prefix_sha, mtime, trusted, into)
        .map_err(|e| e.context(file.display().to_string()))
}

type ReadBack = (
    BTreeMap<String, Entry>,
    Option<u64>,
    Option<String>,
    Option<u64>,
);

/// Streams the tar: header rules, strict byte order (no duplicates), caps, zero padding,
/// the envelope last, and the hash of the stream before the envelope's header.
fn read_entries(gz: &mut impl Read, caps: Caps, into: &Path) -> anyhow::Result<ReadBack> {
    let mut s = Stream {
        inner: gz,
        hasher: Sha256::new(),
        offset: 0,
    };
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut last: Option<String> = None;
    let mut total = 0u64;
    let mut mtime = None;
    let mut env_at = None;
    let mut prefix_sha = None;
    let mut block = [0u8; BLOCK];
    loop {
        let before = s.hasher.clone();
        let offset = s.offset;
        s.fill(&mut block, "a header")?;
        if block.iter().all(|b| *b == 0) {
            s.fill(&mut block, "the end-of-archive marker")?;
            if block.iter().any(|b| *b != 0) {
                return Err(rej(Rejected::structure("data after an empty header block")));
            }
            // Only zero padding may remain.
            let mut buf = vec![0u8; 64 * 1024];
            let mut seen = 0u64;
            loop {
                let n = match s.inner.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        return Err(rej(Rejected::checksum(format!(
                            "the gzip stream is corrupt ({e})"
                        ))))
                    }
                };
                if n == 0 {
                    break;
                }
                seen += n as u64;
                if buf[..n].iter().any(|b| *b != 0) || seen > 1 << 20 {
                    return Err(rej(Rejected::structure(
                        "data after the end-of-archive marker",
                    )));
                }
            }
            break;
        }
        if last.as_deref() == Some(ENVELOPE) {
            let name = tarfmt::parse(&block, u64::MAX)
                .map(|p| p.path)
                .unwrap_or_default();
            return Err(rej(Rejected::structure(format!(
                "entry {name:?} follows the signature envelope, which must be last"
            ))));
        }
        let p = tarfmt::parse(&block, caps.max_entry_bytes).map_err(rej)?;
        if let Some(prev) = &last {
            if prev.as_bytes() >= p.path.as_bytes() {
                return Err(rej(Rejected::structure(format!(
                    "entry {:?} is not after {prev:?} in byte order (duplicate or unsorted)",
                    p.path
                ))));
            }
        }
        if *mtime.get_or_insert(p.mtime) != p.mtime {
            return Err(rej(Rejected::structure(format!(
                "entry {:?}: mtime differs from the first entry's",
                p.path
            ))));
        }
        total = total.saturating_add(p.size);
        if total > caps.max_total_bytes {
            return Err(rej(Rejected::structure(format!(
                "entries declare more than the cap of {} bytes in all (see --max-total-mb)",
                caps.max_total_bytes
            ))));
        }
        if p.path == ENVELOPE {
            env_at = Some(offset);
            prefix_sha = Some(hex::encode(before.finalize()));
        }
        let entry = if p.path.contains('/') {
            let sha = copy_out(&mut s, &p, into)?;
            Entry {
                sha256: sha,
                bytes: None,
            }
        } else {
            if p.size > MAX_SMALL_FILE {
                return Err(rej(Rejected::structure(format!(
                    "entry {:?}: {} bytes is too large for a bundle file",
                    p.path, p.size
                ))));
            }
            let mut buf = vec![0u8; usize::try_from(p.size).unwrap_or(0)];
            s.fill(&mut buf, &p.path)?;
            Entry {
                sha256: crate::hashing::sha256_hex(&buf),
                bytes: Some(buf),
            }
        };
        skip_padding(&mut s, p.size, &p.path)?;
        entries.insert(p.path.clone(), entry);
        last = Some(p.path);
    }
    Ok((entries, env_at, prefix_sha, mtime))
}

/// Writes one package file under `into`, created new (never through an existing path).
fn copy_out<R: Read>(s: &mut Stream<R>, p: &tarfmt::Parsed, into: &Path) -> anyhow::Result<String> {
    let dest = into.join(&p.path);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&dest)
        .map_err(|e| {
            rej(Rejected::structure(format!(
                "entry {:?} cannot be created ({e}): a file and a folder share its name",
                p.path
            )))
        })?;
    let mut h = Sha256::new();
    let mut left = p.size;
    let mut buf = vec![0u8; 256 * 1024];
    while left > 0 {
        let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        s.fill(&mut buf[..n], &p.path)?;
        h.update(&buf[..n]);
        out.write_all(&buf[..n])
            .with_context(|| format!("writing {}", dest.display()))?;
        left -= n as u64;
    }
    Ok(hex::encode(h.finalize()))
}

fn skip_padding<R: Read>(s: &mut Stream<R>, size: u64, path: &str) -> anyhow::Result<()> {
    let pad = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
    let mut buf = vec![0u8; usize::try_from(pad).unwrap_or(0)];
    s.fill(&mut buf, path)?;
    if buf.iter().any(|b| *b != 0) {
        return Err(rej(Rejected::structure(format!(
            "entry {path:?}: padding is not zero"
        ))));
    }
    Ok(())
}

/// The checks after the stream was read: file set against SHA256SUMS, checksums, the
/// signature and its subjects, then the package itself.
fn check_bundle(
    entries: &BTreeMap<String, Entry>,
    env_offset: Option<u64>,
    prefix_sha: &Option<String>,
    mtime: Option<u64>,
    trusted: &PublicKey,
    into: &Path,
) -> anyhow::Result<Verified> {
    let allowed_top = [SHA256SUMS, VERIFY_MD, VERIFY_SH, PUBLIC_KEY, SBOM, ENVELOPE];
    let mut folder: Option<&str> = None;
    for name in entries.keys() {
        match name.split_once('/') {
            Some((top, _)) if *folder.get_or_insert(top) != top => {
                return Err(rej(Rejected::structure(format!(
                    "entry {name:?} is outside the package folder {:?}",
                    folder.unwrap_or_default()
                ))));
            }
            Some(_) => {}
            None if !allowed_top.contains(&name.as_str()) => {
                return Err(rej(Rejected::structure(format!(
                    "unexpected entry {name:?}"
                ))));
            }
            None => {}
        }
    }
    let folder =
        folder.ok_or_else(|| rej(Rejected::structure("the bundle holds no package folder")))?;
    let sums = entries
        .get(SHA256SUMS)
        .and_then(|e| e.bytes.as_ref())
        .ok_or_else(|| rej(Rejected::structure(format!("{SHA256SUMS} is missing"))))?;
    let sums_text = std::str::from_utf8(sums)
        .map_err(|_| rej(Rejected::structure(format!("{SHA256SUMS} is not UTF-8"))))?;
    let listed = hashlist::parse(sums_text)
        .map_err(|e| rej(Rejected::structure(format!("{SHA256SUMS}: {e}"))))?;
    let listed_map: BTreeMap<&str, &str> = listed
        .iter()
        .map(|e| (e.path.as_str(), e.sha256.as_str()))
        .collect();
    for name in entries.keys() {
        if name != SHA256SUMS && name != ENVELOPE && !listed_map.contains_key(name.as_str()) {
            return Err(rej(Rejected::structure(format!(
                "entry {name:?} is not listed in {SHA256SUMS} (added)"
            ))));
        }
    }
    for name in listed_map.keys() {
        if !entries.contains_key(*name) {
            return Err(rej(Rejected::structure(format!(
                "{name:?} is listed in {SHA256SUMS} but absent (removed)"
            ))));
        }
    }
    for (name, want) in &listed_map {
        let got = &entries[*name].sha256;
        if got != want {
            return Err(rej(Rejected::checksum(format!(
                "{name}: SHA-256 {got}, {SHA256SUMS} says {want}"
            ))));
        }
    }
    // The signature.
    let env = entries
        .get(ENVELOPE)
        .and_then(|e| e.bytes.as_ref())
        .ok_or_else(|| {
            rej(Rejected::signature(format!(
                "the bundle is not signed: {ENVELOPE} is missing"
            )))
        })?;
    let st = verified_statement(env, trusted, ENVELOPE)?;
    if st.predicate_type != BUNDLE_PREDICATE {
        return Err(rej(Rejected::signature(format!(
            "{ENVELOPE}: predicateType {:?} is not a stigpack bundle",
            st.predicate_type
        ))));
    }
    let signed_bytes = st.predicate["signedTarBytes"].as_u64();
    if signed_bytes.is_none() || signed_bytes != env_offset {
        return Err(rej(Rejected::signature(format!(
            "{ENVELOPE}: the signed tar length does not match the archive"
        ))));
    }
    let mut present: BTreeMap<String, String> = entries
        .iter()
        .filter(|(n, _)| n.as_str() != ENVELOPE)
        .map(|(n, e)| (n.clone(), e.sha256.clone()))
        .collect();
    present.insert(
        TAR_SUBJECT.to_owned(),
        prefix_sha.clone().unwrap_or_default(),
    );
    let m = compare_subjects(&st.subject, &present);
    if !m.is_empty() {
        return Err(rej(Rejected::signature(format!(
            "the signed subjects differ from the bundle: {m}"
        ))));
    }
    // The package.
    let pkg = into.join(folder);
    let mut v = verify_package(&pkg, trusted, false)?;
    let export = super::write::export_time(&pkg)?;
    if mtime != Some(export) {
        return Err(rej(Rejected::structure(format!(
            "entry times are not the package's export time ({export})"
        ))));
    }
    v.files = entries.len();
    Ok(v)
}

/// Verifies a DSSE envelope with the pinned key and reads its statement.
fn verified_statement(env: &[u8], trusted: &PublicKey, name: &str) -> anyhow::Result<Statement> {
    let payload = dsse::verify(env, std::slice::from_ref(trusted))
        .map_err(|e| rej(Rejected::signature(format!("{name}: {e}"))))?;
    if payload.payload_type() != dsse::INTOTO_PAYLOAD_TYPE {
        return Err(rej(Rejected::signature(format!(
            "{name}: payloadType {:?}",
            payload.payload_type()
        ))));
    }
    Statement::from_json(payload.payload())
        .map_err(|e| rej(Rejected::signature(format!("{name}: {e}"))))
}

/// The package checks shared by bundles and folders: `validate`'s hash list and
/// manifest checks, and the package's own provenance envelope when it has one (required
/// when `require_signed`, as for a bare folder, which has no bundle signature).
pub fn verify_package(
    pkg: &Path,
    trusted: &PublicKey,
    require_signed: bool,
) -> anyhow::Result<Verified> {
    // A signed package is checked with the pinned key exactly as `validate --trusted-key`
    // checks it: the signature, the signed subjects, and the export's audit entry with its
    // inclusion proof against the embedded checkpoint. An unsigned one is checked without
    // keys (and refused below when a signature is required).
    let package_signed = pkg.join(PROVENANCE_DSSE).is_file();
    let keys: Vec<PublicKey> = if package_signed {
        vec![trusted.clone()]
    } else {
        Vec::new()
    };
    let report = validate::validate_with(pkg, &keys).map_err(|e| rej(Rejected::structure(e.0)))?;
    let hash_checks = [
        "hashes",
        "hash-list-format",
        "package-hash",
        "no-unlisted-files",
    ];
    if let Some(c) = report
        .checks
        .iter()
        .find(|c| !c.passed && hash_checks.contains(&c.name.as_str()))
    {
        return Err(rej(Rejected::checksum(format!(
            "{}: {}: {} {}",
            pkg.display(),
            c.name,
            c.message,
            c.files.join(", ")
        ))));
    }
    let signature_checks = ["signature", "signed-subjects", "audit-inclusion"];
    if let Some(c) = report
        .checks
        .iter()
        .find(|c| !c.passed && signature_checks.contains(&c.name.as_str()))
    {
        return Err(rej(Rejected::signature(format!(
            "{}: {}: {}",
            pkg.display(),
            c.name,
            c.message
        ))));
    }
    if let Some(c) = report.checks.iter().find(|c| !c.passed) {
        return Err(crate::exit::coded(
            crate::exit::Exit::Invalid,
            anyhow::anyhow!(
                "{}: the package is invalid: {}: {} {}",
                pkg.display(),
                c.name,
                c.message,
                c.files.join(", ")
            ),
        ));
    }
    let env_path = pkg.join(PROVENANCE_DSSE);
    if package_signed {
        let env = fs::read(&env_path).with_context(|| format!("reading {}", env_path.display()))?;
        let st = verified_statement(&env, trusted, PROVENANCE_DSSE)?;
        let list = fs::read_to_string(pkg.join(HASH_LIST))
            .with_context(|| format!("reading {HASH_LIST}"))?;
        let present: BTreeMap<String, String> = hashlist::parse(&list)
            .map_err(|e| rej(Rejected::structure(format!("{HASH_LIST}: {e}"))))?
            .into_iter()
            .filter(|e| e.path != PROVENANCE_DSSE && e.path != MANIFEST)
            .map(|e| (e.path, e.sha256))
            .collect();
        let m = compare_subjects(&st.subject, &present);
        if !m.is_empty() {
            return Err(rej(Rejected::signature(format!(
                "{PROVENANCE_DSSE}: signed subjects differ from the package: {m}"
            ))));
        }
    } else if require_signed {
        return Err(rej(Rejected::signature(format!(
            "{}: the package is not signed ({PROVENANCE_DSSE} is missing)",
            pkg.display()
        ))));
    }
    Ok(Verified {
        package: pkg
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        files: hashlist::walk(pkg).map(|f| f.len()).unwrap_or(0),
        signed_by: trusted.keyid(),
        package_signed,
        ready: report.ready,
    })
}
