//! Kerberos end to end against a real MIT KDC (tests/kdc: a throwaway realm on loopback):
//! the client gets its ticket from the KDC with the password, authenticates to a
//! simulated host that holds only the service key from the keytab, and runs commands with
//! message encryption over HTTP and inside TLS over HTTPS. pywinrm's kerberos transport
//! (MIT's GSSAPI underneath, ticket from a `kinit` cache) is the independent check that
//! the simulator's acceptor and message encryption are what a real client speaks. The
//! failures an operator meets (wrong password, KDC down, unknown service principal,
//! garbage token) must each be a clear error, never a retry loop or a crash.
#![allow(clippy::unwrap_used)]

mod common;
mod kdc;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kdc::{Kdc, PASSWORD, REALM, SERVICE_HOST, USER};
use stigpack_winrm::auth::krb5conf::Krb5Conf;
use stigpack_winrm::{Auth, CertCheck, Client, Credentials, Endpoint, KerberosAuth, Secret};
use stigpack_winrm_sim::{AuthMode, FleetSpec, HostInfo, KerberosService, SimHandle, Simulator};

async fn sim(kdc: &Kdc, tls: bool) -> SimHandle {
    common::kerberos_host(&kdc.keytab, SERVICE_HOST, USER, tls).await
}

fn client(info: &HostInfo, auth: KerberosAuth) -> Client {
    common::client_for(
        info,
        Auth::Kerberos(auth),
        common::quick_config(),
        CertCheck::Verify,
    )
}

/// Realm and KDC from the realm's own krb5.conf (the file `kinit` uses), the service
/// host name given explicitly because the endpoint is an IP address.
fn auth_from_conf(kdc: &Kdc, user: &str, password: &str, service_host: &str) -> KerberosAuth {
    let conf = kdc.krb5_conf.clone();
    KerberosAuth::resolve(
        Credentials::new(user, Secret::new(password)),
        None,
        None,
        Some(service_host.into()),
        move || Krb5Conf::load(&[conf]),
    )
    .unwrap()
}

async fn round_trip(tls: bool) {
    let Some(kdc) = Kdc::start() else { return };
    eprintln!("KDC realm created and started in {:?}", kdc.startup);
    let sim = sim(&kdc, tls).await;
    let info = sim.hosts()[0].clone();
    let auth = auth_from_conf(&kdc, USER, PASSWORD, SERVICE_HOST);
    assert_eq!(auth.realm, REALM, "default_realm read from krb5.conf");
    assert_eq!(auth.kdc_port, kdc.port, "KDC read from krb5.conf");
    let c = client(&info, auth);
    let t = Instant::now();
    let st = c.status().await.unwrap();
    assert_eq!(st.hostname, "HOST1");
    let out = c.run_command("hostname", &[]).await.unwrap();
    assert_eq!(out.stdout_text().trim(), "host1");
    let out = c
        .run_powershell("Write-Output 'sealed both ways'; exit 3")
        .await
        .unwrap();
    assert_eq!(out.exit_code, 3);
    assert!(out.stdout_text().contains("sealed both ways"));
    eprintln!("status + 2 commands over Kerberos in {:?}", t.elapsed());
    // One connection, one Kerberos handshake, every message on it. On HTTP the simulator
    // refuses (401) any message that is not sealed, so getting here proves encryption.
    assert_eq!(c.transport().connect_count(), 1);
    let stats = sim.stats("host1").unwrap();
    assert_eq!(stats.auth_failures, 0);
    assert_eq!(stats.open_shells, 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_over_http_with_message_encryption() {
    round_trip(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_over_https() {
    round_trip(true).await;
}

/// Runs one status call expected to fail; returns the message and the connect count.
async fn failing(kdc: &Kdc, auth: KerberosAuth) -> (String, u64) {
    let sim = sim(kdc, false).await;
    let c = client(&sim.hosts()[0], auth);
    let t = Instant::now();
    let e = c.status().await.unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "failed fast: {:?}",
        t.elapsed()
    );
    assert!(!e.kind.is_transient(), "{e}");
    let n = c.transport().connect_count();
    assert_eq!(
        sim.stats("host1").unwrap().requests,
        0,
        "no ticket, nothing sent to the host"
    );
    sim.shutdown().await;
    (format!("{e}"), n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_a_clear_error_and_not_retried() {
    let Some(kdc) = Kdc::start() else { return };
    let (e, connects) = failing(
        &kdc,
        auth_from_conf(&kdc, USER, "not-the-password", SERVICE_HOST),
    )
    .await;
    assert!(e.contains("refused the password"), "{e}");
    assert!(e.contains(&format!("{REALM}\\{USER}")), "{e}");
    assert_eq!(connects, 1, "authentication errors are never retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_service_principal_is_a_clear_error() {
    let Some(kdc) = Kdc::start() else { return };
    let (e, _) = failing(
        &kdc,
        auth_from_conf(&kdc, USER, PASSWORD, "nosuchhost.stigpack.test"),
    )
    .await;
    assert!(
        e.contains("has no service principal HTTP/nosuchhost.stigpack.test@STIGPACK.TEST"),
        "{e}"
    );
}

/// A host that lets the client in without proving itself (no AP-REP on the 200) is
/// refused before any message is sent: mutual authentication is required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_mutual_authentication_is_refused() {
    let Some(kdc) = Kdc::start() else { return };
    let service =
        KerberosService::from_keytab(&kdc.keytab, &format!("HTTP/{SERVICE_HOST}")).unwrap();
    let sim = Simulator::start(FleetSpec {
        auth: AuthMode::Kerberos,
        kerberos: Some(service),
        credentials: Some(stigpack_winrm_sim::Credentials {
            username: USER.into(),
            password: "unused".into(),
        }),
        faults: stigpack_winrm_sim::FaultSpec::parse("host1=no-mutual-auth").unwrap(),
        ..FleetSpec::default()
    })
    .await
    .unwrap();
    let c = client(
        &sim.hosts()[0],
        auth_from_conf(&kdc, USER, PASSWORD, SERVICE_HOST),
    );
    let e = c.status().await.unwrap_err().to_string();
    assert!(e.contains("did not prove its own identity"), "{e}");
    let stats = sim.stats("host1").unwrap();
    assert_eq!(stats.requests, 1, "only the handshake reached the host");
    assert_eq!(stats.shells_created, 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kdc_down_is_a_clear_error() {
    let Some(kdc) = Kdc::start() else { return };
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let auth = KerberosAuth::resolve(
        Credentials::new(format!("{USER}@{REALM}"), Secret::new(PASSWORD)),
        Some(REALM),
        Some(&format!("127.0.0.1:{port}")),
        Some(SERVICE_HOST.into()),
        || panic!("the inventory's realm and KDC need no krb5.conf"),
    )
    .unwrap();
    let (e, _) = failing(&kdc, auth).await;
    assert!(
        e.contains(&format!(
            "cannot get a ticket from the KDC tcp://127.0.0.1:{port}"
        )),
        "{e}"
    );
    assert!(e.to_lowercase().contains("refused"), "{e}");
}

/// A token that merely looks like Kerberos (sspi has panicked on such input) is a 401,
/// and the host keeps serving. Needs no KDC: the key is made up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_tokens_get_401_and_the_host_survives() {
    use base64::Engine as _;
    let sim = Simulator::start(FleetSpec {
        auth: AuthMode::Kerberos,
        kerberos: Some(KerberosService {
            spn: format!("HTTP/{SERVICE_HOST}"),
            realm: REALM.into(),
            key: vec![1; 32],
        }),
        ..FleetSpec::default()
    })
    .await
    .unwrap();
    let url = sim.hosts()[0].endpoint.clone();
    let port = Endpoint::parse(&url).unwrap().port;
    let spnego_head = [0x60u8, 0x0a, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    let krb_head = [
        0x60u8, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ];
    let mut tokens: Vec<Vec<u8>> = vec![b"garbage".to_vec(), b"NTLMSSP\0\x01\0\0\0".to_vec()];
    for head in [&spnego_head[..], &krb_head[..]] {
        for tail in [
            &[][..],
            &[0xa0, 0x03, 0x30, 0x01, 0x00],
            &[0x01, 0x00, 0x6e, 0x00],
            &[0xff; 64],
        ] {
            let mut t = head.to_vec();
            t.extend_from_slice(tail);
            tokens.push(t);
        }
    }
    for t in &tokens {
        let header = format!(
            "Negotiate {}",
            base64::engine::general_purpose::STANDARD.encode(t)
        );
        let status = raw_post(port, &header).await;
        assert_eq!(status, 401, "{t:?}");
    }
    assert_eq!(
        sim.stats("host1").unwrap().auth_failures,
        tokens.len() as u64
    );
    sim.shutdown().await;
}

/// A captured AP-REQ replayed on a new connection is refused (Windows keeps a replay
/// cache; without one, anyone who saw the token could log on over HTTPS).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_token_is_refused() {
    use base64::Engine as _;
    use stigpack_winrm::auth::SecurityContext as _;
    let Some(kdc) = Kdc::start() else { return };
    let sim = sim(&kdc, false).await;
    let port = Endpoint::parse(&sim.hosts()[0].endpoint).unwrap().port;
    let auth = auth_from_conf(&kdc, USER, PASSWORD, SERVICE_HOST);
    let token = tokio::task::spawn_blocking(move || {
        stigpack_winrm::auth::KerberosContext::new(&auth, "127.0.0.1", None)
            .unwrap()
            .initial_token()
            .unwrap()
    })
    .await
    .unwrap();
    let header = format!(
        "Negotiate {}",
        base64::engine::general_purpose::STANDARD.encode(&token)
    );
    assert_eq!(raw_post(port, &header).await, 200, "first use");
    assert_eq!(raw_post(port, &header).await, 401, "replay");
    assert_eq!(sim.stats("host1").unwrap().auth_failures, 1);
    sim.shutdown().await;
}

/// One `POST /wsman` with an `Authorization` header and an empty body; the HTTP status.
async fn raw_post(port: u16, authorization: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!(
        "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {authorization}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// pywinrm with `transport='kerberos'` (pykerberos over MIT GSSAPI, ticket from `kinit`)
/// against the simulator: SPNEGO-less raw krb5 tokens, mutual authentication and message
/// encryption from an implementation that shares no code with ours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pywinrm_kerberos_transport_against_the_simulator() {
    let Some(kdc) = Kdc::start() else { return };
    let Some(py) = python_with_kerberos() else {
        return;
    };
    let cache = kdc.kinit();
    let sim = sim(&kdc, false).await;
    let info = sim.hosts()[0].clone();
    let script = r#"
import json, sys, winrm
cfg = json.loads(sys.argv[1])
s = winrm.Session(cfg["endpoint"], auth=(None, None), transport="kerberos",
                  message_encryption="always", kerberos_hostname_override=cfg["host"],
                  read_timeout_sec=30, operation_timeout_sec=20)
r = s.run_cmd("hostname")
p = s.run_ps("Write-Output 'from pywinrm'; exit 5")
print(json.dumps({"hostname": [r.std_out.decode(), r.status_code],
                  "ps": [p.std_out.decode(), p.status_code]}))
"#;
    let cfg = serde_json::json!({"endpoint": info.endpoint, "host": SERVICE_HOST});
    let out = tokio::process::Command::new(&py)
        .arg("-c")
        .arg(script)
        .arg(cfg.to_string())
        .env("KRB5_CONFIG", &kdc.krb5_conf)
        .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "pywinrm: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hostname"], serde_json::json!(["host1\r\n", 0]));
    assert_eq!(v["ps"][1], 5);
    assert!(v["ps"][0].as_str().unwrap().contains("from pywinrm"));
    let stats = sim.stats("host1").unwrap();
    assert_eq!(stats.auth_failures, 0);
    assert_eq!(stats.open_shells, 0);
    sim.shutdown().await;
}

/// Our client's SPNEGO handshake against an acceptor that shares no code with it: MIT's
/// GSSAPI (pykerberos) with the keytab (`tests/peers/kerberos_peer.py`). MIT must accept
/// our AP-REQ as alice, and our client must accept MIT's AP-REP (mutual authentication);
/// the peer cannot unseal, so the first sealed message gets its HTTP 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_handshake_accepted_by_mit_gssapi() {
    use std::io::{BufRead, BufReader};
    let Some(kdc) = Kdc::start() else { return };
    let Some(py) = python_with_kerberos() else {
        return;
    };
    let mut child = std::process::Command::new(&py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/kerberos_peer.py"
        ))
        .arg(format!("HTTP@{SERVICE_HOST}"))
        .env("KRB5_CONFIG", &kdc.krb5_conf)
        .env("KRB5_KTNAME", &kdc.keytab)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = lines.next().unwrap().unwrap().trim().parse().unwrap();
    let info = HostInfo {
        name: "mit".into(),
        endpoint: format!("http://127.0.0.1:{port}/wsman"),
        username: USER.into(),
        password: String::new(),
        ca_file: None,
    };
    let c = client(&info, auth_from_conf(&kdc, USER, PASSWORD, SERVICE_HOST));
    let e = c.status().await.unwrap_err().to_string();
    let _ = child.kill();
    let _ = child.wait();
    let seen: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(
        seen.first().map(String::as_str),
        Some(format!("AUTH {USER}@{REALM}").as_str()),
        "{seen:?} / client: {e}"
    );
    assert!(
        seen.get(1).is_some_and(|l| l.starts_with("SEALED ")),
        "after the handshake the client sent a sealed message: {seen:?}"
    );
    assert!(
        e.contains("HTTP 400"),
        "handshake done, then the peer's 400: {e}"
    );
}

/// The venv's Python with pywinrm and pykerberos; skips (or fails in CI) without.
fn python_with_kerberos() -> Option<PathBuf> {
    kdc::python_with("winrm, kerberos")
}
