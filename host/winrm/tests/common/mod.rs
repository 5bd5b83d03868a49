//! Shared helpers: build a client for a simulated host.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use stigpack_winrm::{
    Auth, CertCheck, Client, ClientConfig, Credentials, Endpoint, RetryPolicy, Secret, TlsOptions,
    Transport, TransportConfig,
};
use stigpack_winrm_sim::{
    AuthMode, FaultSpec, FleetSpec, HostInfo, KerberosService, SimHandle, Simulator,
};

pub async fn fleet(hosts: usize, auth: AuthMode, tls: bool, faults: &str) -> SimHandle {
    Simulator::start(FleetSpec {
        hosts,
        auth,
        tls,
        faults: FaultSpec::parse(faults).unwrap(),
        ..FleetSpec::default()
    })
    .await
    .unwrap()
}

pub fn quick_config() -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            retries: 3,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
        },
        ..ClientConfig::default()
    }
}

pub fn client_with(info: &HostInfo, auth: &str, config: ClientConfig, cert: CertCheck) -> Client {
    let creds = Credentials::new(info.username.clone(), Secret::new(info.password.clone()));
    let auth = match auth {
        "basic" => Auth::Basic(creds),
        _ => Auth::Ntlm(creds),
    };
    client_for(info, auth, config, cert)
}

/// A client for `info` with any [`Auth`] (TLS from the host's CA file on https).
pub fn client_for(info: &HostInfo, auth: Auth, config: ClientConfig, cert: CertCheck) -> Client {
    let endpoint = Endpoint::parse(&info.endpoint).unwrap();
    let tls = if info.endpoint.starts_with("https") {
        Some(
            TlsOptions {
                ca_file: info.ca_file.clone(),
                cert_check: cert,
            }
            .client_config()
            .unwrap(),
        )
    } else {
        None
    };
    let transport = Transport::new(
        endpoint,
        auth,
        tls,
        TransportConfig {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            ..TransportConfig::default()
        },
    )
    .unwrap();
    Client::new(info.name.clone(), transport, config)
}

pub fn client(info: &HostInfo, auth: &str) -> Client {
    client_with(info, auth, quick_config(), CertCheck::Verify)
}

/// One simulated domain host holding only the service key of `HTTP/<service_host>` from
/// `keytab`, letting in `user` (the simulator never sees a Kerberos password).
pub async fn kerberos_host(
    keytab: &std::path::Path,
    service_host: &str,
    user: &str,
    tls: bool,
) -> SimHandle {
    let service = KerberosService::from_keytab(keytab, &format!("HTTP/{service_host}")).unwrap();
    Simulator::start(FleetSpec {
        hosts: 1,
        auth: AuthMode::Kerberos,
        tls,
        kerberos: Some(service),
        credentials: Some(stigpack_winrm_sim::Credentials {
            username: user.into(),
            password: "unused".into(),
        }),
        ..FleetSpec::default()
    })
    .await
    .unwrap()
}
