//! `seal`, `verify`, `unseal`, `sbom`: hand a package over as one signed, optionally
//! encrypted file, and check it offline with a pinned key (docs/seal.md).

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use stigpack_sign::keys::{PrivateKey, PublicKey};

use super::Globals;
use crate::exit::{coded, Exit};
use crate::seal::{encrypt, verify, write, Rejected};

#[derive(Debug, Args)]
pub struct SealArgs {
    /// The package folder (as written by export-emass).
    pub package: PathBuf,
    /// Ed25519 private key (PKCS#8 PEM, not group- or world-readable).
    #[arg(long, value_name = "KEY")]
    pub sign_key: PathBuf,
    /// The bundle to write (FILE.tar.gz; with --recipient, FILE.tar.gz.age is written).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Encrypt to this age X25519 (age1...) or ssh-ed25519 public key; repeatable.
    #[arg(long, value_name = "R")]
    pub recipient: Vec<String>,
    /// Replace an existing output.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A sealed bundle (.tar.gz) or an unsealed package folder.
    pub target: PathBuf,
    /// The public key (SubjectPublicKeyInfo PEM) the signature must come from.
    #[arg(long, value_name = "PUB")]
    pub trusted_key: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Largest entry a bundle may declare, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 4096)]
    pub max_entry_mb: u64,
    /// Largest total a bundle may declare, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 65536)]
    pub max_total_mb: u64,
}

#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// The encrypted bundle (FILE.tar.gz.age); its sidecar FILE.tar.gz.age.seal.json must be beside it.
    pub file: PathBuf,
    /// An age identity file or an unencrypted OpenSSH ed25519 private key.
    #[arg(long, value_name = "ID")]
    pub identity: PathBuf,
    /// The public key the sidecar and the bundle must be signed with.
    #[arg(long, value_name = "PUB")]
    pub trusted_key: PathBuf,
    /// Folder to write: the verified bundle and its package.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace an existing output folder.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SbomArgs {}

/// The `verify --json` document's shape; bump on any incompatible change.
const VERIFY_JSON_SCHEMA: &str = "stigpack.verify/1";

/// The embedded CycloneDX SBOM of this binary and its components.
pub const SBOM: &str = crate::seal::SBOM_JSON;

fn load_private(path: &Path) -> anyhow::Result<PrivateKey> {
    PrivateKey::read(path).map_err(|e| coded(Exit::BadInput, e))
}

fn load_public(path: &Path) -> anyhow::Result<PublicKey> {
    PublicKey::read(path).map_err(|e| coded(Exit::BadInput, e))
}

/// A file written beside its target and renamed into place when complete.
fn temp_beside(target: &Path, force: bool) -> anyhow::Result<tempfile::NamedTempFile> {
    let parent = crate::staging::prepare_parent(target, force)?;
    tempfile::Builder::new()
        .prefix(".stigpack-seal-")
        .tempfile_in(&parent)
        .with_context(|| format!("creating a temporary file in {}", parent.display()))
}

fn persist(tmp: tempfile::NamedTempFile, target: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Same mode whatever the umask or tempfile's 0600 default.
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))?;
    tmp.as_file().sync_all()?;
    tmp.persist(target)
        .map_err(|e| anyhow::anyhow!("{}: {}", target.display(), e.error))?;
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn seal(args: SealArgs, g: &Globals) -> anyhow::Result<Exit> {
    let result = seal_inner(&args);
    g.record("seal", &args.out.display().to_string(), &result, |v| {
        v.clone()
    })?;
    let v = result?;
    if args.json {
        let mut v = v;
        if let Some(m) = v.as_object_mut() {
            m.remove("summary");
            m.insert("out".into(), args.out.display().to_string().into());
        }
        super::print_json("stigpack.seal/1", Exit::Success, v)?;
    } else {
        println!("{}", v["summary"].as_str().unwrap_or_default());
    }
    Ok(Exit::Success)
}

fn seal_inner(args: &SealArgs) -> anyhow::Result<serde_json::Value> {
    let key = load_private(&args.sign_key)?;
    if args.recipient.is_empty() {
        let tmp = temp_beside(&args.out, args.force)?;
        let (sealed, w) = write::seal(
            &args.package,
            &key,
            SBOM.as_bytes(),
            BufWriter::new(tmp.reopen()?),
        )?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        persist(tmp, &args.out)?;
        let (sha, _) = crate::hashing::sha256_file(&args.out)?;
        return Ok(serde_json::json!({
            "summary": format!("sealed {} ({} entries) into {} sha256 {sha}", sealed.folder, sealed.entries, args.out.display()),
            "sha256": sha, "signedTarSha256": sealed.tar_sha256, "package": sealed.folder,
        }));
    }
    let recipients = args
        .recipient
        .iter()
        .map(|r| encrypt::parse_recipient(r))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let age_path = PathBuf::from(format!("{}.age", args.out.display()));
    let side_path = PathBuf::from(format!("{}.age.seal.json", args.out.display()));
    let tmp = temp_beside(&age_path, args.force)?;
    let side_tmp = temp_beside(&side_path, args.force)?;
    let (sealed, plain_sha, cipher_sha, w) = encrypt::seal_encrypted(
        &args.package,
        &key,
        SBOM.as_bytes(),
        &recipients,
        BufWriter::new(tmp.reopen()?),
    )?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    let texts: Vec<String> = recipients.iter().map(|r| r.text.clone()).collect();
    let side = encrypt::sidecar(
        &file_name(&age_path),
        &file_name(&args.out),
        &plain_sha,
        &cipher_sha,
        &texts,
        &key,
    )?;
    side_tmp.as_file().write_all(&side)?;
    persist(tmp, &age_path)?;
    persist(side_tmp, &side_path)?;
    Ok(serde_json::json!({
        "summary": format!("sealed {} and encrypted it to {} recipient(s): {} (plaintext sha256 {plain_sha}), sidecar {}",
            sealed.folder, texts.len(), age_path.display(), side_path.display()),
        "plaintextSha256": plain_sha, "ciphertextSha256": cipher_sha, "recipients": texts,
    }))
}

/// Turns a verification failure into its exit code.
fn coded_failure(e: anyhow::Error) -> anyhow::Error {
    let kind = e
        .chain()
        .find_map(|c| c.downcast_ref::<Rejected>().map(|r| r.kind));
    match kind {
        Some(k) => coded(k.into(), e),
        None => e,
    }
}

fn caps(args: &VerifyArgs) -> verify::Caps {
    verify::Caps {
        max_entry_bytes: args.max_entry_mb.saturating_mul(1 << 20),
        max_total_bytes: args.max_total_mb.saturating_mul(1 << 20),
    }
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<Exit> {
    let key = load_public(&args.trusted_key)?;
    let result = if args.target.is_dir() {
        verify::verify_package(&args.target, &key, true)
    } else {
        let tmp = tempfile::Builder::new()
            .prefix("stigpack-verify-")
            .tempdir()
            .context("creating a private temporary directory")?;
        verify::verify_bundle(&args.target, &key, caps(&args), tmp.path())
    };
    report(&args.target, args.json, result)
}

fn report(
    target: &Path,
    json: bool,
    result: anyhow::Result<verify::Verified>,
) -> anyhow::Result<Exit> {
    match result {
        Ok(v) => {
            if json {
                super::print_json(
                    VERIFY_JSON_SCHEMA,
                    Exit::Success,
                    serde_json::json!({"ok": true, "target": target.display().to_string(), "result": v}),
                )?;
            } else {
                println!(
                    "OK: {} verified: {} signed by {}, {} files, package {}",
                    target.display(),
                    v.package,
                    &v.signed_by[..16.min(v.signed_by.len())],
                    v.files,
                    if v.ready { "READY" } else { "valid, NOT READY" }
                );
            }
            Ok(Exit::Success)
        }
        Err(e) => {
            let e = coded_failure(e);
            if json {
                let kind = e
                    .chain()
                    .find_map(|c| c.downcast_ref::<Rejected>().map(|r| r.kind));
                super::print_json(
                    VERIFY_JSON_SCHEMA,
                    crate::exit::code_for(&e),
                    serde_json::json!({"ok": false, "target": target.display().to_string(), "failure": kind, "error": format!("{e:#}")}),
                )?;
            }
            Err(e)
        }
    }
}

pub fn unseal(args: UnsealArgs) -> anyhow::Result<Exit> {
    let key = load_public(&args.trusted_key)?;
    let side_path = PathBuf::from(format!("{}.seal.json", args.file.display()));
    let promise = encrypt::check_sidecar(&args.file, &side_path, &key).map_err(coded_failure)?;
    let ids = encrypt::read_identities(&args.identity)?;
    let staged = crate::staging::Staged::new(&args.out, args.force)?;
    let name = if promise.plain_name.is_empty() || promise.plain_name.contains('/') {
        "bundle.tar.gz".to_owned()
    } else {
        promise.plain_name.clone()
    };
    let plain_path = staged.path().join(&name);
    let mut f = BufWriter::new(
        fs::File::create(&plain_path)
            .with_context(|| format!("creating {}", plain_path.display()))?,
    );
    let got = encrypt::decrypt(&args.file, &ids, &mut f)?;
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    if got != promise.plain_sha {
        return Err(coded(
            Exit::Checksum,
            anyhow::anyhow!(
                "{}: decrypted bundle SHA-256 {got} is not the one the sidecar signs ({})",
                args.file.display(),
                promise.plain_sha
            ),
        ));
    }
    let caps = verify::Caps {
        max_entry_bytes: 4096 << 20,
        max_total_bytes: 65536 << 20,
    };
    let v = verify::verify_bundle(&plain_path, &key, caps, staged.path()).map_err(coded_failure)?;
    staged.commit()?;
    if args.json {
        super::print_json(
            "stigpack.unseal/1",
            Exit::Success,
            serde_json::json!({
                "file": args.file.display().to_string(),
                "out": args.out.display().to_string(),
                "package": v.package,
                "plaintextSha256": got,
                "result": v,
            }),
        )?;
        return Ok(Exit::Success);
    }
    println!(
        "OK: {} decrypted and verified into {} ({})",
        args.file.display(),
        args.out.display(),
        v.package
    );
    Ok(Exit::Success)
}

pub fn sbom(_args: SbomArgs) -> anyhow::Result<Exit> {
    print!("{SBOM}");
    Ok(Exit::Success)
}
