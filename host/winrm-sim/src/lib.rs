//! A WinRM server on loopback that behaves like a fleet of Windows hosts (issue 3): the
//! same SOAP as Windows (shells, commands, output split across Receives, faults), Basic or
//! NTLM with message encryption bound to the connection, HTTPS with a generated CA, a
//! virtual file system of scan results per host, answers to the stigpack client's
//! scripts, and per-host fault injection. Tests and demos start it in-process:
//!
//! ```no_run
//! # async fn demo() -> Result<(), stigpack_winrm_sim::SimError> {
//! use stigpack_winrm_sim::{FleetSpec, Simulator};
//! let sim = Simulator::start(FleetSpec { hosts: 3, ..FleetSpec::default() }).await?;
//! for h in sim.hosts() {
//!     println!("{} {}", h.name, h.endpoint);
//! }
//! assert_eq!(sim.open_shells("host1"), Some(0));
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod error;
pub mod faults;
pub mod host;
pub mod interp;
pub mod machine;
pub mod ops;
pub mod rng;
mod server;
pub mod soap;
pub mod tls;
pub mod vfs;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use auth::kerberos::KerberosService;
pub use auth::{AuthMode, Credentials};
pub use error::SimError;
pub use faults::{FaultSpec, HostFaults};
pub use host::{Host, HostStats};
pub use vfs::Content;

/// What fleet to simulate.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// Number of hosts, named `host1` .. `hostN`.
    pub hosts: usize,
    pub auth: AuthMode,
    /// Serve HTTPS with a generated CA (written to `ca_file`).
    pub tls: bool,
    /// Lab flag: allow Basic over plain HTTP (Windows' AllowUnencrypted=true).
    pub allow_basic_http: bool,
    /// Latency added to every HTTP message, for every host.
    pub latency: Duration,
    pub faults: FaultSpec,
    /// Seed for the generated scan results (same seed, same files).
    pub seed: u64,
    /// Credentials every host accepts; `None` generates fresh random ones.
    pub credentials: Option<Credentials>,
    /// Where to write the CA certificate; `None` uses a temporary directory owned by the
    /// handle (removed at shutdown).
    pub ca_dir: Option<PathBuf>,
    /// Host names are `<prefix>1` .. `<prefix>N` (two fleets side by side need distinct
    /// names, as the demo's HTTP and HTTPS hosts do).
    pub name_prefix: String,
    /// A fixed clock for status and scan times (`None`: the system clock), so a run
    /// against the simulator can be byte-for-byte repeatable.
    pub clock: Option<std::time::SystemTime>,
    /// The service principal and key every host accepts Kerberos tickets for (needed
    /// with `AuthMode::Kerberos`); the user is `credentials`' user name in any realm.
    pub kerberos: Option<KerberosService>,
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            hosts: 1,
            auth: AuthMode::Ntlm,
            tls: false,
            allow_basic_http: false,
            latency: Duration::ZERO,
            faults: FaultSpec::default(),
            seed: 0,
            credentials: None,
            ca_dir: None,
            name_prefix: "host".into(),
            clock: None,
            kerberos: None,
        }
    }
}

/// How to reach one simulated host (the JSON line `stigpack simulate` prints).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HostInfo {
    pub name: String,
    /// `http(s)://127.0.0.1:<port>/wsman`.
    pub endpoint: String,
    pub username: String,
    pub password: String,
    /// PEM file of the CA that signed the HTTPS certificate (None on HTTP).
    pub ca_file: Option<PathBuf>,
}

/// Entry point.
#[derive(Debug)]
pub struct Simulator;

/// A running fleet. Dropping it without `shutdown` leaves the listeners running until the
/// runtime ends.
#[derive(Debug)]
pub struct SimHandle {
    infos: Vec<HostInfo>,
    hosts: Vec<Arc<Host>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    ca_pem: Option<String>,
    _ca_tmp: Option<tempfile::TempDir>,
}

impl Simulator {
    /// Binds one loopback port per host and starts serving on the current tokio runtime.
    pub async fn start(spec: FleetSpec) -> Result<SimHandle, SimError> {
        if spec.hosts == 0 {
            return Err(SimError::Spec("a fleet needs at least one host".into()));
        }
        if spec.auth == AuthMode::Basic && !spec.tls && !spec.allow_basic_http {
            return Err(SimError::Spec(
                "Basic authentication is only served over HTTPS; use TLS or the lab flag allowing Basic over HTTP".into(),
            ));
        }
        if spec.auth == AuthMode::Kerberos && spec.kerberos.is_none() {
            return Err(SimError::Spec(
                "Kerberos needs the service principal's key (a keytab)".into(),
            ));
        }
        if spec.name_prefix.is_empty()
            || !spec
                .name_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(SimError::Spec(format!(
                "host name prefix {:?}: letters, digits and '-' only",
                spec.name_prefix
            )));
        }
        let names: Vec<String> = (1..=spec.hosts)
            .map(|i| format!("{}{i}", spec.name_prefix))
            .collect();
        spec.faults.check_targets(&names)?;
        let creds = match &spec.credentials {
            Some(c) => c.clone(),
            None => Credentials::random()?,
        };
        let (pki, ca_file, ca_tmp) = if spec.tls {
            let pki = tls::generate(&names)?;
            let (dir, tmp) = match &spec.ca_dir {
                Some(d) => (d.clone(), None),
                None => {
                    let t = tempfile::Builder::new()
                        .prefix("stigpack-sim-")
                        .tempdir()
                        .map_err(|e| SimError::CaFile {
                            path: std::env::temp_dir(),
                            source: e,
                        })?;
                    (t.path().to_path_buf(), Some(t))
                }
            };
            let path = dir.join("stigpack-sim-ca.pem");
            write_atomic(&path, pki.ca_pem.as_bytes())?;
            (Some(pki), Some(path), tmp)
        } else {
            (None, None, None)
        };
        let (stop, stop_rx) = watch::channel(false);
        let mut infos = Vec::with_capacity(spec.hosts);
        let mut hosts = Vec::with_capacity(spec.hosts);
        let mut tasks = Vec::with_capacity(spec.hosts);
        let scheme = if spec.tls { "https" } else { "http" };
        for name in names {
            let faults = spec.faults.for_host(&name);
            let listener = TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(SimError::Bind)?;
            let port = listener.local_addr().map_err(SimError::Bind)?.port();
            let endpoint = format!("{scheme}://127.0.0.1:{port}/wsman");
            let host = Arc::new(
                Host::new(
                    name.clone(),
                    creds.username.clone(),
                    faults.clone(),
                    spec.seed,
                    rng::IdGen::new()?,
                )
                .with_clock(spec.clock),
            );
            if faults.unreachable {
                // Nothing listens on the port any more: connections are refused.
                drop(listener);
            } else {
                let srv = Arc::new(server::HostServer {
                    host: host.clone(),
                    endpoint: endpoint.clone(),
                    auth: spec.auth,
                    creds: creds.clone(),
                    tls: pki.clone(),
                    allow_basic_http: spec.allow_basic_http,
                    latency: spec.latency,
                    kerberos: spec.kerberos.clone(),
                    kerberos_seen: Default::default(),
                });
                tasks.push(tokio::spawn(server::serve(listener, srv, stop_rx.clone())));
            }
            infos.push(HostInfo {
                name,
                endpoint,
                username: creds.username.clone(),
                password: creds.password.clone(),
                ca_file: ca_file.clone(),
            });
            hosts.push(host);
        }
        Ok(SimHandle {
            infos,
            hosts,
            stop,
            tasks,
            ca_pem: pki.map(|p| p.ca_pem),
            _ca_tmp: ca_tmp,
        })
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    let err = |source| SimError::CaFile {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

impl SimHandle {
    /// Every host, in order (`host1` first).
    pub fn hosts(&self) -> &[HostInfo] {
        &self.infos
    }

    /// One host's connection details by name.
    pub fn host(&self, name: &str) -> Option<&HostInfo> {
        self.infos
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }

    fn state(&self, name: &str) -> Option<&Arc<Host>> {
        self.hosts
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
    }

    /// Shells currently open on a host (`None` for an unknown host).
    pub fn open_shells(&self, name: &str) -> Option<usize> {
        self.state(name).map(|h| h.open_shells())
    }

    /// Shells open across the fleet.
    pub fn total_open_shells(&self) -> usize {
        self.hosts.iter().map(|h| h.open_shells()).sum()
    }

    /// All counters of one host.
    pub fn stats(&self, name: &str) -> Option<HostStats> {
        self.state(name).map(|h| h.stats())
    }

    /// The PEM of the test CA (HTTPS fleets).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Puts a file on a host's virtual file system (e.g. a 256 MB synthetic file).
    pub fn put_file(&self, host: &str, path: &str, content: Content) -> bool {
        match self.state(host) {
            Some(h) => {
                let mut v = h.vfs_lock();
                v.insert(path, content, "2026-03-14T16:56:31Z");
                true
            }
            None => false,
        }
    }

    /// A file's current bytes and SHA-256 (upper-case hex), to check what a client pulled.
    pub fn file(&self, host: &str, path: &str) -> Option<(Vec<u8>, String)> {
        let h = self.state(host)?;
        let v = h.vfs_lock();
        let f = v.get(path)?;
        Some((f.content.read(0, f.content.len()), f.content.sha256_hex()))
    }

    /// Paths of every file under a directory on a host.
    pub fn list_files(&self, host: &str, dir: &str) -> Vec<String> {
        let Some(h) = self.state(host) else {
            return Vec::new();
        };
        let v = h.vfs_lock();
        v.walk(dir).into_iter().map(|f| f.path.clone()).collect()
    }

    /// Stops every listener and drops open connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// The project's `shared/` directory (samples, reference material) for tests:
/// `$STIGPACK_SHARED_DIR` when set (scripts/test.sh sets it), else beside the checkout.
#[cfg(test)]
pub(crate) fn shared_dir() -> std::path::PathBuf {
    std::env::var_os("STIGPACK_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}
