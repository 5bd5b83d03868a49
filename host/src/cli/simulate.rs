//! `stigpack simulate`: a fleet of simulated Windows hosts on loopback (the
//! `stigpack-winrm-sim` crate), so anyone can try the WinRM side without Windows. Prints
//! one JSON line per host — name, endpoint, per-run credentials, CA file — then serves
//! until Ctrl-C. The grammar of `--faults` is in docs/winrm.md ("Simulator").

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use stigpack_winrm_sim::{AuthMode, Credentials, FaultSpec, FleetSpec, KerberosService, Simulator};

use crate::exit::{coded, Exit};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SimAuth {
    /// NTLM; message encryption required on HTTP (what a STIG-compliant host accepts).
    Ntlm,
    /// Basic (HTTPS only, unless --lab-allow-basic-http).
    Basic,
    /// Kerberos (needs --kerberos-keytab, --kerberos-spn and --kerberos-user).
    Kerberos,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Number of hosts (named host1..hostN), one loopback port each.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub hosts: usize,
    /// Authentication the hosts accept.
    #[arg(long, value_enum, default_value = "ntlm")]
    pub auth: SimAuth,
    /// Serve HTTPS with a generated test CA (its PEM path is printed as ca_file).
    #[arg(long)]
    pub tls: bool,
    /// Latency added to every HTTP message, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault injection, e.g. "host3=unreachable,host5=slow:200ms,*=timeout-every:3".
    #[arg(long, value_name = "SPEC", default_value = "")]
    pub faults: String,
    /// Seed for the generated scan results on each host (same seed, same files).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// LAB ONLY: accept Basic authentication over plain HTTP (credentials in clear text).
    #[arg(long)]
    pub lab_allow_basic_http: bool,
    /// Directory for the CA certificate [default: a temporary directory removed on exit].
    #[arg(long, value_name = "DIR")]
    pub ca_dir: Option<PathBuf>,
    /// Kerberos: keytab holding the service principal's AES key.
    #[arg(long, value_name = "FILE")]
    pub kerberos_keytab: Option<PathBuf>,
    /// Kerberos: the service principal the hosts accept tickets for (HTTP/<host>).
    #[arg(long, value_name = "SPN")]
    pub kerberos_spn: Option<String>,
    /// Kerberos: the user (principal name without realm) the hosts let in.
    #[arg(long, value_name = "USER")]
    pub kerberos_user: Option<String>,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<Exit> {
    let faults = FaultSpec::parse(&args.faults).map_err(|e| coded(Exit::Usage, e))?;
    if args.lab_allow_basic_http {
        eprintln!("WARNING: --lab-allow-basic-http: simulated hosts accept Basic credentials in clear text over HTTP (never do this on a real fleet)");
    }
    let (kerberos, credentials) = match (
        args.auth,
        &args.kerberos_keytab,
        &args.kerberos_spn,
        &args.kerberos_user,
    ) {
        (SimAuth::Kerberos, Some(kt), Some(spn), Some(user)) => {
            let service = KerberosService::from_keytab(kt, spn)
                .map_err(|e| coded(Exit::Usage, anyhow::anyhow!(e)))?;
            // The KDC checks the password; the printed one is only a placeholder.
            let mut creds = Credentials::random()?;
            creds.username = user.clone();
            (Some(service), Some(creds))
        }
        (SimAuth::Kerberos, ..) => {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!(
                    "--auth kerberos needs --kerberos-keytab, --kerberos-spn and --kerberos-user"
                ),
            ))
        }
        (_, None, None, None) => (None, None),
        _ => {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!(
                    "--kerberos-keytab, --kerberos-spn and --kerberos-user go with --auth kerberos"
                ),
            ))
        }
    };
    let spec = FleetSpec {
        hosts: args.hosts,
        auth: match args.auth {
            SimAuth::Ntlm => AuthMode::Ntlm,
            SimAuth::Basic => AuthMode::Basic,
            SimAuth::Kerberos => AuthMode::Kerberos,
        },
        tls: args.tls,
        allow_basic_http: args.lab_allow_basic_http,
        latency: Duration::from_millis(args.latency_ms),
        faults,
        seed: args.seed,
        credentials,
        ca_dir: args.ca_dir,
        name_prefix: "host".into(),
        clock: None,
        kerberos,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let sim = Simulator::start(spec).await.map_err(|e| match e {
            stigpack_winrm_sim::SimError::Spec(_)
            | stigpack_winrm_sim::SimError::FaultSpec { .. }
            | stigpack_winrm_sim::SimError::UnknownHost(_) => coded(Exit::Usage, e),
            other => anyhow::Error::new(other),
        })?;
        {
            let mut out = std::io::stdout().lock();
            for h in sim.hosts() {
                writeln!(out, "{}", serde_json::to_string(h)?)?;
            }
            out.flush()?;
        }
        eprintln!(
            "stigpack simulate: {} host(s) on 127.0.0.1; press Ctrl-C to stop",
            sim.hosts().len()
        );
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        sim.shutdown().await;
        Ok(Exit::Success)
    })
}
