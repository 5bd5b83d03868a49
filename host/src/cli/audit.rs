//! `stigpack audit ...`: the operator's handle on the tamper-evident audit log
//! (checkpoint, verify, prove, show, repair, keygen). The log itself is `stigpack-audit`;
//! this file only parses options, picks output formats and maps outcomes to exit codes
//! (docs/audit.md). Read-only subcommands record nothing in the log.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use stigpack_audit::{
    entries, latest_checkpoint, resolve_log_path, store_checkpoint, verify, AuditError, AuditLog,
    Checkpoint, Entry, EntryFilter, RepairOutcome, SignerKey,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::exit::{coded, Exit};

/// Inspect, prove and repair the tamper-evident audit log (docs/audit.md).
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print a checkpoint (origin, size, root) of the log, store it beside the log, and
    /// optionally sign it.
    Checkpoint(CheckpointArgs),
    /// Recompute the chain and the Merkle tree; check against a checkpoint. Exit 6 on failure.
    Verify(VerifyArgs),
    /// Print the inclusion proof of one entry in the current tree.
    Prove(ProveArgs),
    /// List entries, filtered; as a table, JSON Lines or CSV.
    Show(ShowArgs),
    /// Remove a torn last line left by an interrupted append, and record that.
    Repair,
    /// Create an Ed25519 key pair for signing checkpoints.
    Keygen(KeygenArgs),
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Sign with this key: a PKCS#8 PEM key from `stigpack key generate`, or a
    /// PRIVATE+KEY+... file from `stigpack audit keygen` (either must be mode 0600).
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
    /// The checkpoint's origin line [default: stigpack/audit/<machine>].
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check that the log still extends this checkpoint [default: the newest stored one].
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Require the checkpoint to be signed by this key: a public PEM key (NAME.pub of
    /// `stigpack key generate`) or a verifier key (name+id+key).
    #[arg(long, value_name = "KEY")]
    pub trusted_key: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The entry's seq.
    pub seq: u64,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Only entries with exactly this action.
    #[arg(long)]
    pub action: Option<String>,
    /// Only entries whose target contains this text.
    #[arg(long)]
    pub target: Option<String>,
    /// Only entries at or after this time (RFC 3339, or YYYY-MM-DD = start of that day UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only entries at or before this time (RFC 3339, or YYYY-MM-DD = end of that day UTC).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// One stored JSON line per entry.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header; cells that a spreadsheet would run as formulas are prefixed with `'`.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Key name, shown in signature lines (e.g. audit.example.mil).
    #[arg(long)]
    pub name: String,
    /// Where to write the signer key; the verifier key goes to <OUT>.pub.
    #[arg(long, value_name = "OUT")]
    pub out: PathBuf,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// Runs an audit subcommand against the log named by `--audit-log` (or the default).
pub fn run(args: AuditArgs, audit_log: Option<&Path>) -> anyhow::Result<Exit> {
    if let AuditCommand::Keygen(k) = args.command {
        return keygen(k);
    }
    let log_path = resolve_log_path(audit_log)?;
    match args.command {
        AuditCommand::Checkpoint(a) => checkpoint(&log_path, a),
        AuditCommand::Verify(a) => verify_cmd(&log_path, a),
        AuditCommand::Prove(a) => prove(&log_path, a),
        AuditCommand::Show(a) => show(&log_path, a),
        AuditCommand::Repair => repair(&log_path),
        AuditCommand::Keygen(_) => Ok(Exit::Success),
    }
}

fn require_log(path: &Path) -> anyhow::Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(coded(
            Exit::Usage,
            anyhow::anyhow!(
                "{}: no audit log here (use --audit-log or {})",
                path.display(),
                stigpack_audit::ENV_AUDIT_LOG
            ),
        ))
    }
}

fn default_origin() -> String {
    let actor = stigpack_audit::default_actor();
    let machine = actor.rsplit('@').next().unwrap_or("localhost").to_owned();
    format!("stigpack/audit/{machine}")
}

fn checkpoint(log_path: &Path, a: CheckpointArgs) -> anyhow::Result<Exit> {
    let key = a
        .sign_key
        .as_deref()
        .map(crate::keyfile::audit_signer)
        .transpose()?;
    require_log(log_path)?;
    let log = AuditLog::open(log_path)?;
    let origin = match a.origin {
        Some(o) => o,
        None => latest_checkpoint(log_path)?.map_or_else(default_origin, |(_, c)| c.origin),
    };
    if origin.is_empty() || origin.contains('\n') {
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!("--origin must be one non-empty line"),
        ));
    }
    let mut cp = log.checkpoint(&origin)?;
    if let Some(k) = &key {
        cp.sign(k);
    }
    let stored = store_checkpoint(log_path, &cp)?;
    let mut out = std::io::stdout().lock();
    out.write_all(cp.to_text().as_bytes())?;
    drop(out);
    eprintln!("stored {}", stored.display());
    Ok(Exit::Success)
}

fn verify_cmd(log_path: &Path, a: VerifyArgs) -> anyhow::Result<Exit> {
    require_log(log_path)?;
    let trusted = a
        .trusted_key
        .as_deref()
        .map(crate::keyfile::audit_verifier)
        .transpose()?;
    let (cp_source, cp) = match &a.checkpoint {
        Some(p) => (Some(p.clone()), Some(Checkpoint::read(p)?)),
        None => match latest_checkpoint(log_path)? {
            Some((p, c)) => (Some(p), Some(c)),
            None => (None, None),
        },
    };
    if trusted.is_some() && cp.is_none() {
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!("--trusted-key needs a checkpoint (--checkpoint FILE)"),
        ));
    }
    let report = verify(log_path, cp.as_ref(), trusted.as_ref())?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        if let (Some(obj), Some(src)) = (v.as_object_mut(), &cp_source) {
            obj.insert("checkpoint_file".into(), src.display().to_string().into());
        }
        drop(out);
        let exit = if report.ok {
            Exit::Success
        } else {
            Exit::AuditFailed
        };
        super::print_json("stigpack.audit-verify/1", exit, v)?;
        return Ok(exit);
    } else {
        writeln!(out, "log: {}", report.path.display())?;
        writeln!(out, "entries: {}", report.entries)?;
        if let Some(root) = &report.root {
            writeln!(out, "root: {root}")?;
        }
        match (&report.checkpoint, &cp_source) {
            (Some(c), Some(src)) => writeln!(
                out,
                "checkpoint: {} (size {}): {}{}",
                src.display(),
                c.size,
                if c.consistent {
                    "consistent"
                } else {
                    "NOT consistent"
                },
                match c.signature_valid {
                    Some(true) => ", signature valid",
                    Some(false) => ", signature NOT valid",
                    None => "",
                }
            )?,
            _ => writeln!(
                out,
                "checkpoint: none (truncation of the newest entries cannot be detected)"
            )?,
        }
        for f in &report.failures {
            let seq = f.seq.map_or_else(|| "-".to_owned(), |s| s.to_string());
            let kind = serde_json::to_value(f.kind)?;
            writeln!(
                out,
                "FAILED at seq {seq}: {}: {}",
                kind.as_str().unwrap_or("?"),
                f.detail
            )?;
        }
        writeln!(
            out,
            "{}",
            if report.ok {
                "OK"
            } else {
                "VERIFICATION FAILED"
            }
        )?;
    }
    Ok(if report.ok {
        Exit::Success
    } else {
        Exit::AuditFailed
    })
}

fn prove(log_path: &Path, a: ProveArgs) -> anyhow::Result<Exit> {
    require_log(log_path)?;
    let log = AuditLog::open(log_path)?;
    let proof = match log.inclusion_proof(a.seq) {
        Err(e @ AuditError::OutOfRange { .. }) => return Err(coded(Exit::Usage, e)),
        other => other?,
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(&proof)?)?;
    Ok(Exit::Success)
}

fn parse_time_bound(s: &str, end_of_day: bool, flag: &str) -> anyhow::Result<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).map_err(|_| {
        coded(
            Exit::Usage,
            anyhow::anyhow!("{flag} {s:?} is not an RFC 3339 time or a YYYY-MM-DD date"),
        )
    })?;
    let t = if end_of_day {
        d.with_hms_micro(23, 59, 59, 999_999)?
    } else {
        d.midnight()
    };
    Ok(t.assume_utc())
}

/// Makes a CSV cell safe to open in a spreadsheet: a cell starting with `=`, `+`, `-`,
/// `@`, TAB or CR would be run as a formula, so it gets a leading `'`.
pub fn csv_safe(cell: &str) -> String {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

fn show(log_path: &Path, a: ShowArgs) -> anyhow::Result<Exit> {
    require_log(log_path)?;
    let filter = EntryFilter {
        action: a.action,
        target: a.target,
        since: a
            .since
            .as_deref()
            .map(|s| parse_time_bound(s, false, "--since"))
            .transpose()?,
        until: a
            .until
            .as_deref()
            .map(|s| parse_time_bound(s, true, "--until"))
            .transpose()?,
    };
    let stdout = std::io::stdout().lock();
    let mut csv_out = a.csv.then(|| csv::Writer::from_writer(std::io::stdout()));
    let mut out = std::io::BufWriter::new(stdout);
    if let Some(w) = csv_out.as_mut() {
        w.write_record([
            "seq", "time", "actor", "action", "target", "result", "details", "prev",
        ])?;
    }
    let mut problems = 0u64;
    for item in entries(log_path, filter)? {
        let e: Entry = match item {
            Ok(e) => e,
            Err(err) => {
                problems += 1;
                eprintln!("stigpack: warning: {err}");
                continue;
            }
        };
        if a.json {
            out.write_all(&e.to_line()?)?;
            out.write_all(b"\n")?;
        } else if let Some(w) = csv_out.as_mut() {
            let details = serde_json::to_string(&e.details)?;
            let row = [
                e.seq.to_string(),
                e.time.clone(),
                e.actor.clone(),
                e.action.clone(),
                e.target.clone(),
                e.result.as_str().to_owned(),
                details,
                e.prev.clone(),
            ];
            w.write_record(row.iter().map(|c| csv_safe(c)))?;
        } else {
            writeln!(
                out,
                "{:>6}  {}  {:<7}  {:<20}  {}  ({})",
                e.seq,
                e.time,
                e.result.as_str(),
                e.action,
                e.target.escape_debug(),
                e.actor
            )?;
        }
    }
    if let Some(mut w) = csv_out {
        w.flush()?;
    }
    out.flush()?;
    Ok(if problems == 0 {
        Exit::Success
    } else {
        Exit::Internal
    })
}

fn repair(log_path: &Path) -> anyhow::Result<Exit> {
    require_log(log_path)?;
    let log = AuditLog::open(log_path)?;
    match log.repair()? {
        RepairOutcome::NothingToRepair => {
            println!("{}: no torn tail, nothing to repair", log_path.display())
        }
        RepairOutcome::Repaired {
            offset,
            removed,
            entry,
        } => println!(
            "{}: removed a torn tail of {removed} bytes at offset {offset}; recorded as entry {}",
            log_path.display(),
            entry.seq
        ),
    }
    Ok(Exit::Success)
}

fn keygen(a: KeygenArgs) -> anyhow::Result<Exit> {
    let mut pub_name = a.out.as_os_str().to_os_string();
    pub_name.push(".pub");
    let pub_path = PathBuf::from(pub_name);
    for p in [&a.out, &pub_path] {
        if p.exists() && !a.force {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!("{}: exists; pass --force to overwrite", p.display()),
            ));
        }
    }
    let key = SignerKey::generate(&a.name).map_err(|e| coded(Exit::Usage, e))?;
    write_key(&a.out, &key.encode(), true)?;
    write_key(&pub_path, &key.verifier().encode(), false)?;
    println!("signer key:   {} (keep it secret)", a.out.display());
    println!("verifier key: {}", pub_path.display());
    println!("{}", key.verifier().encode());
    Ok(Exit::Success)
}

fn write_key(path: &Path, text: &str, private: bool) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create directory", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".stigpack-key")
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if private { 0o600 } else { 0o644 };
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("{}: cannot set permissions", tmp.path().display()))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    writeln!(tmp, "{text}").with_context(|| format!("{}: write", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("{}: fsync", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("{}: cannot write key", path.display()))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_would_run_as_formulas_are_defused() {
        for bad in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        for ok in ["export-ckl", "C:\\x", "{\"a\":1}", "", "1"] {
            assert_eq!(csv_safe(ok), ok);
        }
    }

    #[test]
    fn time_bounds_accept_rfc3339_and_dates() {
        let s = parse_time_bound("2026-01-02", false, "--since").unwrap();
        assert_eq!(s, time::macros::datetime!(2026-01-02 00:00:00 UTC));
        let u = parse_time_bound("2026-01-02", true, "--until").unwrap();
        assert_eq!(u, time::macros::datetime!(2026-01-02 23:59:59.999999 UTC));
        let t = parse_time_bound("2026-01-02T03:04:05+01:00", false, "--since").unwrap();
        assert_eq!(t, time::macros::datetime!(2026-01-02 02:04:05 UTC));
        assert!(parse_time_bound("yesterday", false, "--since").is_err());
    }
}
