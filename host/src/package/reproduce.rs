//! `stigpack reproduce`: rebuild a package from its own inputs and compare byte for byte.
//!
//! The rebuild uses exactly the steps recorded in `provenance.json` (import, checklist,
//! emass), with the recorded export time and options, on the package's `01_Scans`,
//! `04_Evidence` and attestation answers, in a scratch directory. Every file of both
//! trees gets a verdict; a difference names the file and its first differing byte. A
//! component whose SHA-256 differs from the recorded one is refused before anything runs.
//! Third-party components run from the package's own copies (`00_Manifest/components/`),
//! refused (exit 5) if their bytes differ from the recorded digests; the operator's
//! store and lock are not needed.
//! A signed package's envelope cannot be rebuilt without the key: its signed subjects are
//! compared with the rebuilt files instead.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use super::assemble;
use super::hashlist;
use super::layout::PROVENANCE;
use super::signed;
use crate::exit::{coded, Exit};
use crate::hashing::DigestCache;
use crate::sandbox::{ComponentSource, Limits, Sandbox};
use stigpack_sign::statement::compare_subjects;

/// The steps a package build runs, in order (each may be several runs); after them, the
/// `extra` exporters a package was built with, if any.
pub const STEPS: [&str; 2] = ["import", "emass"];
const EXTRA_STEP: &str = "extra";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileVerdict {
    pub path: String,
    /// `same`, `differs`, `missing-in-package`, `not-reproduced`; for the signed
    /// provenance, which needs the key to rebuild, `subjects-match` or `subjects-differ`.
    pub verdict: String,
    pub first_difference_at: Option<u64>,
    /// Why the signed subjects differ from the rebuilt files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl FileVerdict {
    /// Whether this file counts as reproduced.
    pub fn ok(&self) -> bool {
        matches!(self.verdict.as_str(), "same" | "subjects-match")
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub reproduced: bool,
    pub files: Vec<FileVerdict>,
    /// The third-party components rerun from the package's own copies, each with the
    /// review that admitted it (who, when, for which role).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub third_party: Vec<Value>,
}

/// Checks each recorded component against the one this binary embeds.
pub fn check_components(pkg: &Path) -> anyhow::Result<()> {
    let unusable = |m: String| coded(Exit::BadInput, anyhow::anyhow!(m));
    let text = std::fs::read(pkg.join(PROVENANCE))
        .map_err(|e| unusable(format!("{}: cannot read {PROVENANCE}: {e}", pkg.display())))?;
    let prov: Value = serde_json::from_slice(&text)
        .map_err(|e| unusable(format!("{PROVENANCE}: not JSON: {e}")))?;
    let steps = prov["steps"]
        .as_array()
        .ok_or_else(|| unusable(format!("{PROVENANCE}: no steps")))?;
    // Several runs of a step (one per batch of hosts) follow each other.
    let mut names: Vec<&str> = steps
        .iter()
        .map(|s| s["step"].as_str().unwrap_or(""))
        .collect();
    names.dedup();
    if names.last() == Some(&EXTRA_STEP) {
        names.pop();
    }
    if names != STEPS {
        return Err(unusable(format!(
            "{PROVENANCE}: records steps {names:?}; this stigpack rebuilds packages with {STEPS:?}"
        )));
    }
    // Third-party components are checked against the package's own copies instead
    // (`thirdparty::from_package`): the bytes must hash to what provenance recorded.
    let empty = Vec::new();
    let third_party: Vec<&str> = prov["components"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|c| c["source"] == "third-party")
        .filter_map(|c| c["sha256"].as_str())
        .collect();
    for s in steps {
        let run = &s["run"];
        let name = run["component"].as_str().unwrap_or("");
        let recorded = run["wasm_sha256"].as_str().unwrap_or("");
        if third_party.contains(&recorded) {
            continue;
        }
        if s["step"] == EXTRA_STEP {
            return Err(coded(
                Exit::Invalid,
                anyhow::anyhow!("{PROVENANCE}: extra component {name:?} (SHA-256 {recorded}) is not among the package's recorded third-party components"),
            ));
        }
        let version = run["version"].as_str().unwrap_or("?");
        let ours = ComponentSource::builtin(name).ok_or_else(|| {
            coded(
                Exit::Invalid,
                anyhow::anyhow!("{PROVENANCE}: component {name:?} is not built into this stigpack"),
            )
        })?;
        if ours.sha256 != recorded {
            return Err(coded(
                Exit::Invalid,
                anyhow::anyhow!(
                    "refusing to rerun component {name:?}: this stigpack embeds SHA-256 {}, but the package was built with {name} {version} of SHA-256 {recorded} (recorded in {}/{PROVENANCE}); run `stigpack reproduce` with the stigpack build whose `stigpack component list` shows that digest",
                    ours.sha256,
                    pkg.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Runs `rebuild` while a thread hashes the package's files into the sandbox's digest
/// cache, so that [`compare`] finds them there: the rebuild is mostly CPU, reading the
/// package mostly waiting for the disk (13.7 GB of checklists at 4,000 hosts). The
/// scans are left to the import runs, which hash them as their inputs anyway. The
/// thread stops at the next file once the rebuild returns, even if it failed.
fn rebuild_beside_hashing<T>(
    sandbox: &Sandbox,
    files: &std::collections::BTreeSet<String>,
    pkg: &Path,
    rebuild: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let scans = format!("{}/", super::layout::SCANS);
            for p in files.iter().filter(|p| !p.starts_with(&scans)) {
                if done.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                // A file that cannot be read is reported by the comparison.
                let _ = sandbox.digests().sha256_file(&pkg.join(p));
            }
        });
        let built = rebuild();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        built
    })
}

/// Where the rebuilt file `a` first differs from the package's `b`; `None` when they
/// are the same bytes. Reading both trees was a third of a 4,000-host reproduce, so:
/// the rebuild's scans are hard links to the package's own (see
/// `assemble::Inputs::scans_from_package`), and one file is the same bytes as itself;
/// a rebuilt file's SHA-256 is mostly known already (hashed as it was written), so the
/// package's file is read once, to hash it; only files whose digests differ are read
/// again, side by side, to name the first differing byte.
fn compare(digests: &DigestCache, a: &Path, b: &Path) -> std::io::Result<Option<u64>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (ma, mb) = (std::fs::metadata(a)?, std::fs::metadata(b)?);
        if (ma.dev(), ma.ino()) == (mb.dev(), mb.ino()) {
            return Ok(None);
        }
    }
    if digests.sha256_file(a)? == digests.sha256_file(b)? {
        return Ok(None);
    }
    first_difference(a, b)
}

/// Where `a` and `b` first differ, read side by side; `None` when they are the same.
fn first_difference(a: &Path, b: &Path) -> std::io::Result<Option<u64>> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut offset = 0u64;
    loop {
        let na = read_full(&mut fa, &mut ba)?;
        let nb = read_full(&mut fb, &mut bb)?;
        let n = na.min(nb);
        // One `memcmp` per block; the byte is looked for only in a block that differs.
        if ba[..n] != bb[..n] {
            let i = (0..n).find(|&i| ba[i] != bb[i]).unwrap_or(n);
            return Ok(Some(offset + i as u64));
        }
        if na != nb {
            return Ok(Some(offset + n as u64));
        }
        if na == 0 {
            return Ok(None);
        }
        offset += n as u64;
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = r.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

/// Rebuilds `pkg` in a scratch directory and compares every file. With `trusted` keys,
/// each third-party component's kept review must verify with one of them (signed by the
/// reviewer provenance names) before its code runs again, else exit 7; without, the
/// report says the reviews were not checked.
pub fn reproduce(
    sandbox: &Sandbox,
    limits: &Limits,
    pkg: &Path,
    trusted: &[stigpack_sign::keys::PublicKey],
) -> anyhow::Result<Outcome> {
    check_components(pkg)?;
    let (inputs, settings) = assemble::from_package(pkg)?;
    let mut third_party = Vec::new();
    for c in &inputs.components {
        let verified_by = if trusted.is_empty() {
            None
        } else {
            Some(review_signer(c, trusted)?)
        };
        third_party.push(serde_json::json!({
            "role": c.role,
            "name": c.name,
            "sha256": c.source.sha256,
            "file": super::thirdparty::wasm_path(&c.source.sha256),
            "reviewerKeyid": c.review.reviewer_keyid,
            "reviewedAt": c.review.reviewed_at,
            "expiresAt": c.review.expires_at,
            "note": c.review.note,
            "reviewStatementSha256": c.review_statement_sha256,
            "reviewVerifiedBy": verified_by,
        }));
    }
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let rebuilt = scratch.path().join("rebuilt");
    std::fs::create_dir_all(&rebuilt)?;
    let mut theirs: std::collections::BTreeSet<String> = hashlist::walk(pkg)?.into_iter().collect();
    rebuild_beside_hashing(sandbox, &theirs, pkg, || {
        assemble::build(sandbox, limits, &inputs, &settings, &rebuilt)
    })?;
    let ours: std::collections::BTreeSet<String> = hashlist::walk(&rebuilt)?.into_iter().collect();
    let mut files = Vec::new();
    if theirs.remove(hashlist::ENVELOPE) {
        files.push(signed_subjects(pkg, &rebuilt)?);
    }
    // Comparing is reading both trees: on every core.
    let paths: Vec<&String> = ours.union(&theirs).collect();
    let compared = crate::parallel::try_map(&paths, crate::parallel::jobs(), |_, p| {
        let v = match (ours.contains(*p), theirs.contains(*p)) {
            (true, true) => match compare(sandbox.digests(), &rebuilt.join(p), &pkg.join(p))
                .with_context(|| format!("comparing {p}"))?
            {
                None => ("same", None),
                Some(at) => ("differs", Some(at)),
            },
            (true, false) => ("missing-in-package", None),
            _ => ("not-reproduced", None),
        };
        Ok::<_, anyhow::Error>(FileVerdict {
            path: (*p).clone(),
            verdict: v.0.to_owned(),
            first_difference_at: v.1,
            detail: None,
        })
    })?;
    files.extend(compared);
    files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(Outcome {
        reproduced: files.iter().all(FileVerdict::ok),
        files,
        third_party,
    })
}

/// The signed subjects of `pkg` against the files of the rebuilt package (its hash list,
/// which covers every rebuilt file but the three outside it). The signature itself is
/// `validate --trusted-key`'s to check: reproduce has no key.
fn signed_subjects(pkg: &Path, rebuilt: &Path) -> anyhow::Result<FileVerdict> {
    let unusable = |m: String| coded(Exit::BadInput, anyhow::anyhow!(m));
    let st = signed::unverified_statement(pkg).map_err(|e| unusable(format!("{e:#}")))?;
    let text = std::fs::read_to_string(rebuilt.join(hashlist::HASH_LIST))
        .context("reading the rebuilt hash list")?;
    let present = hashlist::parse(&text)
        .map_err(|e| anyhow::anyhow!("rebuilt hash list: {e}"))?
        .into_iter()
        .map(|e| (e.path, e.sha256))
        .collect();
    let m = compare_subjects(&st.subject, &present);
    Ok(FileVerdict {
        path: hashlist::ENVELOPE.to_owned(),
        verdict: if m.is_empty() {
            "subjects-match"
        } else {
            "subjects-differ"
        }
        .to_owned(),
        first_difference_at: None,
        detail: (!m.is_empty()).then(|| m.to_string()),
    })
}

/// The key id that verifies `c`'s kept review: one of `trusted`, and the reviewer the
/// review names. Anything else is exit 7 (the gate's refusal) before any code reruns.
fn review_signer(
    c: &super::thirdparty::ThirdParty,
    trusted: &[stigpack_sign::keys::PublicKey],
) -> anyhow::Result<String> {
    let refuse = |why: String| {
        crate::exit::coded(
            crate::exit::Exit::Sandbox,
            anyhow::anyhow!(
                "refusing to rerun third-party component {} ({}): its review {} {why}",
                c.name,
                c.role,
                super::thirdparty::review_path(&c.source.sha256, c.role)
            ),
        )
    };
    use crate::trust::review::{verify_signed, ReviewCheck};
    let signed = verify_signed(&c.review_envelope, trusted).map_err(|e| match e {
        ReviewCheck::Untrusted(d) => refuse(format!("is not signed by a trusted key: {d}")),
        ReviewCheck::Bad(d) => refuse(d),
    })?;
    // The verified statement must be the one the package was built with.
    if signed.subject != c.source.sha256 || signed.review != c.review {
        return Err(refuse(
            "verifies, but is not the review provenance records".into(),
        ));
    }
    Ok(signed.signer)
}

#[cfg(test)]
mod tests {
    use super::{compare, first_difference};
    use crate::hashing::DigestCache;
    use std::fs;

    /// The first differing byte is found wherever it is (in the first block, across the
    /// 1 MiB block boundary, in a shorter file's missing tail); the same bytes, or the
    /// same file under two names, are no difference.
    #[test]
    fn the_first_difference_is_the_first_differing_byte() {
        let dir = tempfile::tempdir().unwrap();
        let base: Vec<u8> = (0..(3 << 20) + 17).map(|i| (i % 251) as u8).collect();
        let a = dir.path().join("a");
        fs::write(&a, &base).unwrap();
        let b = dir.path().join("b");
        for at in [
            0usize,
            7,
            (1 << 20) - 1,
            1 << 20,
            (2 << 20) + 3,
            base.len() - 1,
        ] {
            let mut other = base.clone();
            other[at] ^= 0x40;
            fs::write(&b, &other).unwrap();
            assert_eq!(first_difference(&a, &b).unwrap(), Some(at as u64), "{at}");
        }
        fs::write(&b, &base[..(1 << 20) + 9]).unwrap();
        assert_eq!(first_difference(&a, &b).unwrap(), Some((1 << 20) + 9));
        fs::write(&b, &base).unwrap();
        assert_eq!(first_difference(&a, &b).unwrap(), None);
    }

    /// `compare` answers as reading both would: by digest when they are equal, by the
    /// first differing byte when not, and a file under two names is the same.
    #[test]
    fn compare_agrees_with_reading_both() {
        let dir = tempfile::tempdir().unwrap();
        let digests = DigestCache::new();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::write(&a, b"<CHECKLIST>same</CHECKLIST>").unwrap();
        fs::write(&b, b"<CHECKLIST>same</CHECKLIST>").unwrap();
        assert_eq!(compare(&digests, &a, &b).unwrap(), None);
        // b rewritten after both were hashed: the cache must not answer for it.
        fs::remove_file(&b).unwrap();
        fs::write(&b, b"<CHECKLIST>sane</CHECKLIST>").unwrap();
        assert_eq!(compare(&digests, &a, &b).unwrap(), Some(13));
        let link = dir.path().join("link");
        fs::hard_link(&a, &link).unwrap();
        assert_eq!(compare(&digests, &a, &link).unwrap(), None);
    }
}
