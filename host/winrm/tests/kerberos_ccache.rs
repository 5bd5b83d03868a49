//! Kerberos with the ticket from a credential cache, as after `kinit`: no password in
//! stigpack at all. A throwaway MIT realm on loopback (tests/kdc), `kinit` into a cache,
//! then the client (MIT GSSAPI, `auth::CcacheContext`) authenticates to a simulated host
//! holding only the service key (sspi's acceptor: an implementation that shares no code
//! with MIT's) and runs commands with message encryption over HTTP and inside TLS over
//! HTTPS. A missing cache and a cache holding someone else's ticket are clear errors
//! before anything reaches the host.
//!
//! MIT reads `KRB5CCNAME` and `KRB5_CONFIG` from the process environment, so this file is
//! its own test binary with one test that sets them between its steps (no other thread
//! of this process touches Kerberos meanwhile).
#![allow(clippy::unwrap_used)]

mod common;
mod kdc;

use kdc::{Kdc, REALM, SERVICE_HOST, USER};
use stigpack_winrm::{auth::CcacheAuth, Auth, CertCheck, Client};
use stigpack_winrm_sim::{HostInfo, SimHandle};

async fn sim(kdc: &Kdc, tls: bool) -> SimHandle {
    common::kerberos_host(&kdc.keytab, SERVICE_HOST, USER, tls).await
}

fn client(info: &HostInfo, auth: CcacheAuth) -> Client {
    common::client_for(
        info,
        Auth::KerberosCache(auth),
        common::quick_config(),
        CertCheck::Verify,
    )
}

async fn round_trip(kdc: &Kdc, tls: bool, user: &str) {
    let sim = sim(kdc, tls).await;
    let info = sim.hosts()[0].clone();
    let c = client(
        &info,
        CcacheAuth::new(user, None, Some(SERVICE_HOST.into())).unwrap(),
    );
    let st = c.status().await.unwrap();
    assert_eq!(st.hostname, "HOST1");
    let out = c
        .run_powershell("Write-Output 'ticket from the cache'; exit 4")
        .await
        .unwrap();
    assert_eq!(out.exit_code, 4);
    assert!(out.stdout_text().contains("ticket from the cache"));
    // One connection, one handshake; on HTTP the simulator answers 401 to any message
    // that is not sealed, so these replies prove MIT's wrap tokens met sspi's unwrap and
    // back.
    assert_eq!(c.transport().connect_count(), 1);
    let stats = sim.stats("host1").unwrap();
    assert_eq!((stats.auth_failures, stats.open_shells), (0, 0));
    sim.shutdown().await;
}

/// Runs one status call expected to fail before the host sees a request.
async fn refused_before_the_host(kdc: &Kdc, auth: CcacheAuth) -> String {
    let sim = sim(kdc, false).await;
    let c = client(&sim.hosts()[0], auth);
    let e = c.status().await.unwrap_err();
    assert!(!e.kind.is_transient(), "{e}");
    assert_eq!(c.transport().connect_count(), 1, "never retried");
    assert_eq!(sim.stats("host1").unwrap().requests, 0, "nothing sent");
    sim.shutdown().await;
    e.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_from_the_credential_cache() {
    let Some(kdc) = Kdc::start() else { return };
    let cache = kdc.kinit();
    let cache_name = format!("FILE:{}", cache.display());
    std::env::set_var("KRB5_CONFIG", &kdc.krb5_conf);
    std::env::set_var("KRB5CCNAME", &cache_name);

    // The cache's own principal, and the inventory's user naming it (bare and with realm).
    round_trip(&kdc, false, "").await;
    round_trip(&kdc, false, USER).await;
    round_trip(&kdc, true, &format!("{USER}@{REALM}")).await;
    // The service ticket the first handshake asked the KDC for is now in the cache too.
    let listed = std::process::Command::new("klist")
        .env("KRB5CCNAME", &cache_name)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains(&format!("HTTP/{SERVICE_HOST}@{REALM}")),
        "{listed}"
    );

    // Someone else's ticket: MIT finds no credentials for bob in alice's cache.
    let e = refused_before_the_host(&kdc, CcacheAuth::new("bob", None, None).unwrap()).await;
    assert!(e.contains("no usable ticket for bob in FILE:"), "{e}");
    assert!(
        e.contains("bob@STIGPACK.TEST") && e.contains("`kinit bob`"),
        "{e}"
    );

    // An unknown service principal: the KDC's answer, naming the principal.
    let e = refused_before_the_host(
        &kdc,
        CcacheAuth::new("", None, Some("nosuchhost.stigpack.test".into())).unwrap(),
    )
    .await;
    assert!(
        e.contains("HTTP/nosuchhost.stigpack.test@STIGPACK.TEST"),
        "{e}"
    );

    // Channel binding over HTTPS, checked by MIT's acceptor (python-gssapi).
    if let Some(py) = kdc::python_with("gssapi") {
        for mode in ["right", "wrong"] {
            let peer = kdc::CbPeer::start(&kdc, &py, mode);
            let info = HostInfo {
                name: "mit".into(),
                endpoint: peer.endpoint(),
                username: USER.into(),
                password: String::new(),
                ca_file: Some(peer.ca.clone()),
            };
            let c = client(
                &info,
                CcacheAuth::new(USER, None, Some(SERVICE_HOST.into())).unwrap(),
            );
            let e = c.status().await.unwrap_err().to_string();
            let seen = peer.finish();
            kdc::assert_binding_verdict(mode, &seen, &e);
        }
    }

    // No cache at all.
    let missing = format!("FILE:{}", kdc.path().join("no-such-cache").display());
    std::env::set_var("KRB5CCNAME", &missing);
    let e = refused_before_the_host(&kdc, CcacheAuth::new(USER, None, None).unwrap()).await;
    assert!(e.contains(&missing) && e.contains("kinit alice"), "{e}");
}
