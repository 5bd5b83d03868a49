//! What every `stigpack fleet` command shares: the inventory and connection flags
//! ([`Common`]), the async runtime and the Ctrl-C flag, the audit trail of an operation
//! ([`FleetAudit`]), and the one `--json` document and exit verdict. Below `fleet.rs`
//! (status, collect, run-tool) and `fleet_step.rs` (apply, verify), which both use it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde_json::json;
use stigpack_winrm::fleet::{FleetOptions, Inventory};
use stigpack_winrm::{CertCheck, ClientConfig, TransportConfig};

use super::Globals;
use crate::exit::{coded, Exit};

#[derive(Debug, Args)]
pub struct Common {
    /// Inventory file: stigpack JSON, the JSON lines `stigpack simulate` prints (mode
    /// 0600), or an Ansible inventory (INI or YAML; docs/winrm.md).
    #[arg(long, short = 'i', value_name = "FILE")]
    pub inventory: PathBuf,
    /// Only these hosts (repeatable; inventory order is kept).
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// Only the hosts an Ansible host pattern selects: a group or host, `a:b` (union),
    /// `a:&b` (intersection), `a:!b` (exclusion), globs (`ws*`), or comma-separated.
    #[arg(long, short = 'l', value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Hosts worked on at once.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub concurrency: usize,
    /// Budget per host for the whole operation, in seconds [default: 600; for apply and
    /// verify: the longest profile timeout + 600].
    #[arg(long, value_name = "SECS")]
    pub host_timeout: Option<u64>,
    /// TCP/TLS connect timeout, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub connect_timeout: u64,
    /// WS-Management OperationTimeout, in seconds (HTTP read timeout is this + 10).
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub operation_timeout: u64,
    /// LAB ONLY: accept any TLS certificate (anyone on the path can read the traffic).
    #[arg(long)]
    pub dangerous_accept_any_certificate: bool,
    /// Pull files as plain chunks instead of gzip-compressed by the host (for content
    /// that deflates past the 1000:1 cap, or to compare).
    #[arg(long)]
    pub no_compress: bool,
}

/// `--host-timeout` when not given (apply and verify add it to the profile's timeout).
pub(super) const DEFAULT_HOST_TIMEOUT: u64 = 600;

pub(super) fn options(c: &Common) -> anyhow::Result<(Inventory, FleetOptions)> {
    let mut inv = Inventory::load(&c.inventory).map_err(|e| coded(Exit::BadInput, e))?;
    inv.select(&c.hosts)
        .map_err(|e| coded(Exit::Usage, anyhow::anyhow!(e)))?;
    if let Some(pattern) = &c.limit {
        inv.limit(pattern)
            .map_err(|e| coded(Exit::Usage, anyhow::anyhow!(e)))?;
    }
    if c.concurrency == 0 {
        return Err(coded(
            Exit::Usage,
            anyhow::anyhow!("--concurrency must be at least 1"),
        ));
    }
    let cert_check = if c.dangerous_accept_any_certificate {
        eprintln!(
            "WARNING: --dangerous-accept-any-certificate: TLS certificates are NOT verified; \
             anyone on the network path can impersonate these hosts and read credentials. Labs only."
        );
        CertCheck::DangerousAcceptAnyCertificate
    } else {
        CertCheck::Verify
    };
    // Hosts the inventory describes in ways stigpack cannot honour fail the run only
    // when they are selected (e.g. Linux hosts of the same Ansible inventory).
    inv.check_usable(&c.inventory, cert_check)
        .map_err(|e| coded(Exit::BadInput, e))?;
    let op = Duration::from_secs(c.operation_timeout.max(1));
    Ok((
        inv,
        FleetOptions {
            concurrency: c.concurrency,
            host_timeout: Duration::from_secs(
                c.host_timeout.unwrap_or(DEFAULT_HOST_TIMEOUT).max(1),
            ),
            client: ClientConfig {
                operation_timeout: op,
                compress_pulls: !c.no_compress,
                ..ClientConfig::default()
            },
            transport: TransportConfig {
                connect_timeout: Duration::from_secs(c.connect_timeout.max(1)),
                read_timeout: op + Duration::from_secs(10),
                ..TransportConfig::default()
            },
            cert_check,
            ..FleetOptions::default()
        },
    ))
}

/// A runtime, and a cancel flag flipped by Ctrl-C.
pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub(super) fn ctrl_c_flag() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: stopping hosts and deleting their remote shells...");
            let _ = tx.send(true);
        }
    });
    rx
}

/// The audit trail of one fleet command: the log, opened before any host is contacted,
/// and what the operation entry says about its inputs.
pub(super) struct FleetAudit {
    log: stigpack_audit::AuditLog,
    action: &'static str,
    operation: serde_json::Map<String, serde_json::Value>,
}

impl FleetAudit {
    /// Opens the log and describes the operation: which inventory (by path and SHA-256,
    /// never its contents, which may hold passwords), which selection, which hosts.
    pub(super) fn open(
        g: &Globals,
        action: &'static str,
        c: &Common,
        inv: &Inventory,
    ) -> anyhow::Result<Self> {
        let log = g.open_audit_log()?;
        let inventory_sha256 = crate::hashing::sha256_file(&c.inventory)
            .map(|(hex, _)| hex)
            .with_context(|| format!("hashing {}", c.inventory.display()))?;
        let mut operation = serde_json::Map::new();
        operation.insert("inventory".into(), json!(c.inventory.display().to_string()));
        operation.insert("inventorySha256".into(), json!(inventory_sha256));
        operation.insert("hostArgs".into(), json!(c.hosts));
        operation.insert("limit".into(), json!(c.limit));
        operation.insert(
            "hosts".into(),
            json!(inv.hosts.iter().map(|h| &h.name).collect::<Vec<_>>()),
        );
        Ok(FleetAudit {
            log,
            action,
            operation,
        })
    }

    /// One entry per host, in inventory order, then the operation's own entry with the
    /// tally (Partial when some hosts failed).
    pub(super) fn finish(
        mut self,
        hosts: Vec<(String, bool, serde_json::Value)>,
        extra: serde_json::Value,
    ) -> anyhow::Result<()> {
        use stigpack_audit::{EntryDraft, Outcome};
        let failed = hosts.iter().filter(|(_, ok, _)| !ok).count();
        let mut drafts: Vec<EntryDraft> = hosts
            .iter()
            .map(|(host, ok, details)| {
                let outcome = if *ok {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                EntryDraft::new(self.action, host, outcome).with_details(details.clone())
            })
            .collect();
        self.operation
            .insert("ok".into(), json!(hosts.len() - failed));
        self.operation.insert("failed".into(), json!(failed));
        if let serde_json::Value::Object(m) = extra {
            self.operation.extend(m);
        }
        let outcome = match (failed, hosts.len()) {
            (0, _) => Outcome::Success,
            (f, n) if f == n => Outcome::Failure,
            _ => Outcome::Partial,
        };
        drafts.push(
            EntryDraft::new(self.action, "fleet", outcome)
                .with_details(serde_json::Value::Object(self.operation)),
        );
        // One write and one fsync for the whole run, not one per host.
        self.log
            .append_all(drafts)
            .context("recording in the audit log")?;
        Ok(())
    }
}

/// How a host's files travelled, for `--json` and the audit entry.
pub(super) fn transfer_json(t: &stigpack_winrm::fleet::TransferSummary) -> serde_json::Value {
    json!({"mode": t.mode_name(), "bytes": t.bytes, "wireBytes": t.wire_bytes})
}

/// The one `--json` document of a fleet command: `stigpack.fleet-<command>/1` with the
/// per-host outcomes in inventory order, the tally, the wall time and `extra`'s fields.
pub(super) fn print_fleet_json(
    command: &str,
    exit: Exit,
    hosts: Vec<serde_json::Value>,
    failed: usize,
    started: std::time::Instant,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let mut doc = json!({
        "ok": hosts.len() - failed,
        "failed": failed,
        "durationMs": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    if let (Some(d), serde_json::Value::Object(m)) = (doc.as_object_mut(), extra) {
        d.extend(m);
    }
    doc["hosts"] = json!(hosts);
    super::print_json(&format!("stigpack.fleet-{command}/1"), exit, doc)
}

/// Print the fleet tally and pick the exit code: any failed host makes it `Exit::Fleet`.
pub(super) fn fleet_verdict(hosts: usize, failed: usize) -> Exit {
    eprintln!("{hosts} host(s), {} ok, {failed} failed", hosts - failed);
    if failed > 0 {
        Exit::Fleet
    } else {
        Exit::Success
    }
}
