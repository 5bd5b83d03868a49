//! `stigpack component trust|revoke`: recording the decision to let a third-party
//! component fill a role (a signed review in the lock, the bytes in the store, an audit
//! entry), taking it back, and the admission check a lock-based run passes first.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde_json::json;
use time::OffsetDateTime;

use super::super::{Globals, SandboxOpts};
use super::vet::vet_file;
use crate::exit::{coded, Exit};
use crate::sandbox::{Limits, Verdict};
use crate::trust::lock::{self, LockEntry, LockFile, Revocation};
use crate::trust::{Admission, Review, ReviewGrant, Role};

/// Where the lock is, as every lock-using command takes it.
#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// The components lock [default: $STIGPACK_COMPONENTS_LOCK, else the config file's
    /// components_lock, else $XDG_CONFIG_HOME/stigpack/stigpack.components.lock]; the
    /// store is beside it.
    #[arg(long, value_name = "FILE")]
    pub components_lock: Option<PathBuf>,
}

impl LockArgs {
    pub fn path(&self) -> anyhow::Result<PathBuf> {
        let config = load_config()?;
        lock::resolve_path(
            self.components_lock.as_deref(),
            config.components_lock.as_deref(),
        )
        .ok_or_else(|| {
            coded(
                Exit::Usage,
                anyhow::anyhow!(
                    "no components lock: give --components-lock, or set {} or HOME",
                    lock::ENV_LOCK
                ),
            )
        })
    }
}

/// The user's config (`crate::trust::config`); a malformed one is bad input naming it.
pub fn load_config() -> anyhow::Result<crate::trust::Config> {
    crate::trust::Config::load_default().map_err(|e| coded(Exit::BadInput, e))
}

/// The reviewer keys whose reviews are accepted: the config's `trusted_keys`, then each
/// `--trusted-key`.
pub fn trusted_keys(given: &[PathBuf]) -> anyhow::Result<Vec<stigpack_sign::keys::PublicKey>> {
    let mut paths = load_config()?.trusted_keys;
    paths.extend(given.iter().cloned());
    crate::keyfile::public_keys(&paths)
}

/// Admits the component pinned as `name` for `role` and reads its bytes from the store
/// beside the lock, before any of its code runs. Every refusal, including store bytes
/// that no longer hash to their pin, is exit 7 naming the lock and the reason.
pub fn admit_named(
    role: Role,
    name: &str,
    lock: &LockArgs,
    trusted_keys: &[PathBuf],
) -> anyhow::Result<crate::package::thirdparty::ThirdParty> {
    let lock_path = lock.path()?;
    let lockfile = load_lock(&lock_path)?;
    let trusted = self::trusted_keys(trusted_keys)?;
    let refuse = |e: String| {
        coded(
            Exit::Sandbox,
            anyhow::anyhow!("{}: {e}", lock_path.display()),
        )
    };
    let pinned = lockfile.find(role, name).map(|e| e.sha256.clone());
    let now = OffsetDateTime::now_utc();
    let Some(pinned) = pinned else {
        // Not pinned for this role: let the gate say why (unknown, or another role).
        let e = crate::trust::admit(&lockfile, "", role, Some(name), &trusted, now)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| format!("no component named {name} is pinned for role {role}"));
        return Err(refuse(e));
    };
    let bytes = lock::store_get(&lock_path, &pinned).map_err(|e| match e {
        lock::LockError::StoreAltered { path, actual, .. } => refuse(format!(
            "{name} ({role}) is pinned as {pinned}, but its stored copy {} hashes to {actual}: a changed file is never trusted",
            path.display()
        )),
        other => refuse(other.to_string()),
    })?;
    let sha256 = crate::hashing::sha256_hex(&bytes);
    let admission = crate::trust::admit(&lockfile, &sha256, role, Some(name), &trusted, now)
        .map_err(|e| refuse(e.to_string()))?;
    let entry = lockfile
        .find(role, name)
        .context("the admitted entry left the lock")?;
    Ok(crate::package::thirdparty::ThirdParty {
        role,
        name: name.to_owned(),
        source: crate::sandbox::ComponentSource {
            label: name.to_owned(),
            bytes: std::borrow::Cow::Owned(bytes),
            sha256,
            builtin: false,
        },
        review_envelope: serde_json::to_vec(&entry.review)?,
        review_statement_sha256: admission.review_statement_sha256,
        review: admission.review,
    })
}

fn load_lock(path: &Path) -> anyhow::Result<LockFile> {
    LockFile::load(path).map_err(|e| coded(Exit::BadInput, e))
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The component file (.wasm); vetted again here, refused if vet refuses it.
    #[arg(value_name = "FILE")]
    pub wasm: PathBuf,
    /// The role it may fill: import, checklist, emass, poam, summary or extra.
    #[arg(long, value_name = "ROLE")]
    pub role: Role,
    /// The reviewer's Ed25519 private key (PKCS#8 PEM, `stigpack key generate`).
    #[arg(long, value_name = "KEY")]
    pub sign_key: PathBuf,
    /// What the reviewer checked, in words (kept in the signed review).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Review time (RFC 3339) [default: $SOURCE_DATE_EPOCH, else now].
    #[arg(long, value_name = "TIME")]
    pub reviewed_at: Option<String>,
    /// Days the review admits the component; review again after.
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub valid_days: u32,
    /// Largest memory the component may get, in MiB [default: --component-memory-mb].
    #[arg(long, value_name = "MIB")]
    pub grant_memory_mb: Option<u64>,
    /// Largest fuel budget [default: derived from the input size].
    #[arg(long, value_name = "UNITS")]
    pub grant_fuel: Option<u64>,
    /// Largest output, in MiB [default: --component-output-mb].
    #[arg(long, value_name = "MIB")]
    pub grant_output_mb: Option<u64>,
    /// Print the lock entry as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The component file whose reviews to revoke (or give --sha256).
    #[arg(value_name = "FILE", required_unless_present = "sha256")]
    pub wasm: Option<PathBuf>,
    /// The digest whose reviews to revoke.
    #[arg(long, value_name = "HEX", conflicts_with = "wasm")]
    pub sha256: Option<String>,
    /// Only the review for this role.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<Role>,
    /// Why (kept in the lock and the audit log).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn trust(args: TrustArgs, g: &Globals) -> anyhow::Result<Exit> {
    // An admission that cannot be recorded is not made.
    g.open_audit_log()?;
    let lock_path = args.lock.path()?;
    let result = trust_inner(&args, &lock_path);
    let target = result
        .as_ref()
        .map(|e| e.name.clone())
        .unwrap_or_else(|_| args.wasm.display().to_string());
    g.record("component.trust", &target, &result, |e| {
        json!({
            "role": e.role,
            "sha256": e.sha256,
            "reviewStatementSha256": e.review_statement_sha256,
            "lock": lock_path.display().to_string(),
        })
    })?;
    let entry = result?;
    if args.json {
        super::super::print_json(
            "stigpack.component-trust/1",
            Exit::Success,
            serde_json::to_value(&entry)?,
        )?;
    } else {
        println!(
            "trusted {} for role {} (sha256 {}), review recorded in {}",
            entry.name,
            entry.role,
            entry.sha256,
            lock_path.display()
        );
    }
    Ok(Exit::Success)
}

fn trust_inner(args: &TrustArgs, lock_path: &Path) -> anyhow::Result<LockEntry> {
    let report = vet_file(&args.wasm, &args.sandbox)?;
    if report.verdict == Verdict::Refused {
        let why: Vec<_> = report.findings.iter().map(|f| f.what.as_str()).collect();
        return Err(coded(
            Exit::Sandbox,
            anyhow::anyhow!(
                "{}: vet refuses it, so it cannot be trusted: {}",
                args.wasm.display(),
                why.join("; ")
            ),
        ));
    }
    let info = report
        .info
        .clone()
        .context("vet admitted a component without info()")?;
    let key = crate::keyfile::private_key(&args.sign_key)?;
    let reviewed = crate::time_arg::export_time(args.reviewed_at.as_deref())
        .map_err(|e| coded(Exit::Usage, e))?;
    let expires = reviewed + time::Duration::days(i64::from(args.valid_days));
    let review = Review {
        reviewer_keyid: key.public().keyid(),
        role: args.role,
        component_name: info.name.clone(),
        component_version: info.version.clone(),
        wit_version: report.wit_version.clone().unwrap_or_default(),
        vet_report_sha256: report.digest(),
        grant: ReviewGrant {
            memory_bytes: args
                .grant_memory_mb
                .unwrap_or(args.sandbox.component_memory_mb)
                .saturating_mul(1 << 20),
            fuel: args.grant_fuel,
            output_bytes: args
                .grant_output_mb
                .unwrap_or(args.sandbox.component_output_mb)
                .saturating_mul(1 << 20),
            output_files: args.sandbox.component_output_files,
        },
        note: args.note.clone(),
        reviewed_at: crate::time_arg::rfc3339(reviewed),
        expires_at: crate::time_arg::rfc3339(expires),
    };
    let envelope = review.sign(&report.sha256, &key)?;
    let payload = base64_payload(&envelope.payload)?;
    let bytes =
        std::fs::read(&args.wasm).with_context(|| format!("reading {}", args.wasm.display()))?;
    if crate::hashing::sha256_hex(&bytes) != report.sha256 {
        anyhow::bail!("{} changed while it was being vetted", args.wasm.display());
    }
    lock::store_put(lock_path, &report.sha256, &bytes)?;
    let mut lock = load_lock(lock_path)?;
    let entry = LockEntry {
        role: args.role,
        name: info.name,
        sha256: report.sha256.clone(),
        size: report.size,
        review: serde_json::from_slice(&envelope.to_json())?,
        review_statement_sha256: crate::hashing::sha256_hex(&payload),
        revoked: None,
    };
    lock.pin(entry.clone());
    lock.save(lock_path)?;
    Ok(entry)
}

fn base64_payload(b64: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
}

pub fn revoke(args: RevokeArgs, g: &Globals) -> anyhow::Result<Exit> {
    g.open_audit_log()?;
    let lock_path = args.lock.path()?;
    let sha256 = match (&args.sha256, &args.wasm) {
        (Some(s), _) => s.trim_start_matches("sha256:").to_ascii_lowercase(),
        (None, Some(p)) => {
            crate::hashing::sha256_file(p)
                .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", p.display())))?
                .0
        }
        (None, None) => return Err(coded(Exit::Usage, anyhow::anyhow!("give FILE or --sha256"))),
    };
    let result = (|| -> anyhow::Result<Vec<String>> {
        let mut lock = load_lock(&lock_path)?;
        let at = crate::time_arg::rfc3339(crate::time_arg::export_time(None)?);
        let mut revoked = Vec::new();
        for e in &mut lock.components {
            if e.sha256 == sha256 && args.role.is_none_or(|r| r == e.role) && e.revoked.is_none() {
                e.revoked = Some(Revocation {
                    at: at.clone(),
                    reason: args.reason.clone(),
                });
                revoked.push(format!("{} ({})", e.name, e.role));
            }
        }
        if revoked.is_empty() {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!(
                    "{}: no unrevoked review of SHA-256 {sha256}{}",
                    lock_path.display(),
                    args.role
                        .map(|r| format!(" for role {r}"))
                        .unwrap_or_default()
                ),
            ));
        }
        lock.save(&lock_path)?;
        Ok(revoked)
    })();
    g.record("component.revoke", &sha256, &result, |names| {
        json!({ "revoked": names, "reason": args.reason, "lock": lock_path.display().to_string() })
    })?;
    let revoked = result?;
    if args.json {
        super::super::print_json(
            "stigpack.component-revoke/1",
            Exit::Success,
            json!({ "sha256": sha256, "revoked": revoked, "lock": lock_path.display().to_string() }),
        )?;
        return Ok(Exit::Success);
    }
    for n in revoked {
        println!("revoked {n}");
    }
    Ok(Exit::Success)
}

/// The gate of a lock-based run: read the lock, check the review, and return the limits
/// the review grants (the smaller of the grant and the operator's limits).
pub fn admit_file(
    sha256: &str,
    role: Role,
    lock: &LockArgs,
    trusted_keys: &[PathBuf],
    limits: Limits,
) -> anyhow::Result<(Admission, Limits)> {
    let lock_path = lock.path()?;
    let lock = load_lock(&lock_path)?;
    let trusted = self::trusted_keys(trusted_keys)?;
    let admission = crate::trust::admit(
        &lock,
        sha256,
        role,
        None,
        &trusted,
        OffsetDateTime::now_utc(),
    )
    .map_err(|e| {
        coded(
            Exit::Sandbox,
            anyhow::anyhow!("{}: {e}", lock_path.display()),
        )
    })?;
    let limits = crate::trust::granted_limits(limits, &admission.review.grant);
    Ok((admission, limits))
}
