//! Running an operation across a fleet: an inventory, a concurrency limit, a per-host
//! timeout, best effort (one host failing never stops the others), results in inventory
//! order whatever order hosts finish in, and cleanup of every shell even when a host
//! times out or the operator presses Ctrl-C. The operations: status, collect, and the
//! verify/apply steps a [`ToolProfile`] describes.

pub mod ansible;
mod collect;
mod host_entry;
mod inventory;
mod limit;
pub mod profile;
mod step;

pub use collect::{
    check_destination, collect_host, stage, CollectedHost, Staged, TransferSummary, SUMS_FILE,
};
pub use host_entry::{AuthKind, HostEntry, KerberosSettings, PasswordSource, DEFAULT_RESULTS_DIR};
pub use inventory::{check_host_name, Inventory, InventoryError, RefusedHost};
pub use profile::{ProfileRef, Step, ToolProfile};
pub use step::{run_step, CollectTo, StepReport};

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};

use crate::auth::Auth;
use crate::client::{Client, ClientConfig};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::transport::{CertCheck, Endpoint, TlsOptions, Transport, TransportConfig};

/// How to run across the fleet.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Hosts worked on at once (Ansible's default forks: 5).
    pub concurrency: usize,
    /// Wall-clock budget per host for the whole operation.
    pub host_timeout: Duration,
    pub client: ClientConfig,
    pub transport: TransportConfig,
    /// Accept any TLS certificate (labs only; the CLI warns loudly).
    pub cert_check: CertCheck,
    /// How long to wait for scheduled shell deletions after a timeout or cancellation.
    pub cleanup_timeout: Duration,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            concurrency: 5,
            host_timeout: Duration::from_secs(600),
            client: ClientConfig::default(),
            transport: TransportConfig::default(),
            cert_check: CertCheck::Verify,
            cleanup_timeout: Duration::from_secs(15),
        }
    }
}

/// One host's result.
#[derive(Debug)]
pub struct HostOutcome<T> {
    pub host: String,
    /// The value, or the error message (which names the host).
    pub result: Result<T, String>,
    pub elapsed: Duration,
}

/// Resolves every host's credentials up front (prompting at most once per user and
/// source, before any concurrency starts). `None`: the host uses the Kerberos ticket in
/// the credential cache, which is read when its connection is made.
pub fn resolve_credentials(hosts: &[HostEntry]) -> Vec<Result<Option<Credentials>, String>> {
    let mut cache: HashMap<(String, String), Result<Option<Credentials>, String>> = HashMap::new();
    hosts
        .iter()
        .map(|h| {
            if h.password == PasswordSource::CredentialCache {
                return Ok(None);
            }
            let key = (h.username.clone(), format!("{:?}", h.password));
            cache
                .entry(key)
                .or_insert_with(|| {
                    h.credentials()
                        .map(Some)
                        .map_err(|e| format!("{}: {e}", h.name))
                })
                .clone()
        })
        .collect()
}

/// Builds the client for one host (TLS configurations shared per CA file).
pub fn build_client(
    entry: &HostEntry,
    creds: Option<Credentials>,
    opts: &FleetOptions,
    tls_cache: &mut HashMap<Option<PathBuf>, Arc<tokio_rustls::rustls::ClientConfig>>,
) -> Result<Client, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", entry.name);
    let endpoint = Endpoint::parse(&entry.endpoint).map_err(|e| fail(&e))?;
    let tls = if endpoint.scheme == crate::transport::Scheme::Https {
        let cfg = match tls_cache.get(&entry.ca_file) {
            Some(c) => c.clone(),
            None => {
                let c = TlsOptions {
                    ca_file: entry.ca_file.clone(),
                    cert_check: opts.cert_check,
                }
                .client_config()
                .map_err(|e| fail(&e))?;
                tls_cache.insert(entry.ca_file.clone(), c.clone());
                c
            }
        };
        Some(cfg)
    } else {
        None
    };
    let auth = match (entry.auth, creds) {
        (AuthKind::Ntlm, Some(creds)) => Auth::Ntlm(creds),
        (AuthKind::Basic, Some(creds)) => Auth::Basic(creds),
        (AuthKind::Ntlm | AuthKind::Basic, None) => {
            return Err(fail(
                &"only Kerberos can use a credential cache; give a password",
            ))
        }
        (AuthKind::Kerberos, None) => {
            let k = &entry.kerberos;
            if let Some(kdc) = &k.kdc {
                return Err(fail(&format!(
                    "the Kerberos ticket comes from the credential cache, so the KDC for the \
                     service ticket is the krb5 configuration's ($KRB5_CONFIG or \
                     /etc/krb5.conf), not the inventory's ({kdc}): set it there, or give the \
                     host a password"
                )));
            }
            Auth::KerberosCache(
                crate::auth::CcacheAuth::new(
                    &entry.username,
                    k.realm.as_deref(),
                    k.hostname_override.clone(),
                )
                .map_err(|e| fail(&e))?,
            )
        }
        (AuthKind::Kerberos, Some(creds)) => {
            let k = &entry.kerberos;
            Auth::Kerberos(
                crate::auth::KerberosAuth::resolve(
                    creds,
                    k.realm.as_deref(),
                    k.kdc.as_deref(),
                    k.hostname_override.clone(),
                    crate::auth::krb5conf::Krb5Conf::load_default,
                )
                .map_err(|e| fail(&e))?,
            )
        }
    };
    let transport =
        Transport::new(endpoint, auth, tls, opts.transport.clone()).map_err(|e| fail(&e))?;
    Ok(Client::new(
        entry.name.clone(),
        transport,
        opts.client.clone(),
    ))
}

async fn cancelled(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow() {
            return;
        }
        if rx.changed().await.is_err() {
            // The sender is gone: nobody can cancel any more.
            std::future::pending::<()>().await;
        }
    }
}

/// What a fleet run reports while it goes, for a progress display: called from the
/// hosts' tasks as each one starts work (holds a concurrency slot) and as each finishes.
pub trait Progress: Send + Sync {
    fn started(&self, _host: &str) {}
    fn finished(&self, _host: &str, _ok: bool) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// Runs `op` on every host, at most `concurrency` at a time; results come back in
/// inventory order. `cancel` flips to `true` on Ctrl-C: running hosts stop, their shells
/// are deleted, hosts not yet started are reported as cancelled.
pub async fn for_each_host<T, F, Fut>(
    hosts: &[HostEntry],
    opts: &FleetOptions,
    cancel: watch::Receiver<bool>,
    op: F,
) -> Vec<HostOutcome<T>>
where
    T: Send + 'static,
    F: Fn(Client, HostEntry) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
{
    for_each_host_reporting(hosts, opts, cancel, Arc::new(NoProgress), |_| true, op).await
}

/// [`for_each_host`], telling `progress` as hosts start and finish; `succeeded` says
/// whether a host's value is a success (a step report can carry a failure).
pub async fn for_each_host_reporting<T, F, Fut>(
    hosts: &[HostEntry],
    opts: &FleetOptions,
    cancel: watch::Receiver<bool>,
    progress: Arc<dyn Progress>,
    succeeded: fn(&T) -> bool,
    op: F,
) -> Vec<HostOutcome<T>>
where
    T: Send + 'static,
    F: Fn(Client, HostEntry) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
{
    let creds = resolve_credentials(hosts);
    let op = Arc::new(op);
    let sem = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tls_cache = HashMap::new();
    let mut tasks = Vec::with_capacity(hosts.len());
    for (entry, creds) in hosts.iter().zip(creds) {
        let name = entry.name.clone();
        let client = creds.and_then(|c| build_client(entry, c, opts, &mut tls_cache));
        let (op, sem, entry, mut cancel) = (op.clone(), sem.clone(), entry.clone(), cancel.clone());
        let (timeout, cleanup) = (opts.host_timeout, opts.cleanup_timeout);
        let progress = progress.clone();
        tasks.push((
            name.clone(),
            tokio::spawn(async move {
                let r = async {
                    let client = client?;
                    let _permit = tokio::select! {
                        p = sem.acquire_owned() => p.map_err(|_| format!("{name}: cancelled"))?,
                        _ = cancelled(&mut cancel) => return Err(format!("{name}: cancelled before start")),
                    };
                    progress.started(&name);
                    run_one(op, client, entry, &name, timeout, cleanup, &mut cancel).await
                }
                .await;
                progress.finished(&name, r.as_ref().is_ok_and(succeeded));
                r
            }),
        ));
    }
    let mut out = Vec::with_capacity(tasks.len());
    let start = Instant::now();
    for (host, task) in tasks {
        let result = match task.await {
            Ok(r) => r,
            Err(e) => Err(format!("{host}: internal error: {e}")),
        };
        out.push(HostOutcome {
            host,
            result,
            elapsed: start.elapsed(),
        });
    }
    out
}

/// One host's work under its timeout and the Ctrl-C signal, then its shell cleanup.
async fn run_one<T, F, Fut>(
    op: Arc<F>,
    client: Client,
    entry: HostEntry,
    name: &str,
    timeout: Duration,
    cleanup: Duration,
    cancel: &mut watch::Receiver<bool>,
) -> Result<T, String>
where
    F: Fn(Client, HostEntry) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let work = op(client.clone(), entry);
    let result = tokio::select! {
        r = tokio::time::timeout(timeout, work) => match r {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!("{name}: no result within {}s (host timeout)", timeout.as_secs())),
        },
        _ = cancelled(cancel) => Err(format!("{name}: cancelled")),
    };
    // Dropped work scheduled shell deletions; make sure they reach the host.
    let left = client.finish_cleanup(cleanup).await;
    match (result, left) {
        (Err(e), n) if n > 0 => Err(format!("{e} ({n} shell deletion(s) did not complete)")),
        (r, _) => r,
    }
}
