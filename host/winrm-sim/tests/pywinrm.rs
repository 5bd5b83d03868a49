//! The simulator checked by an independent client: pywinrm (requests-ntlm / pyspnego) runs
//! commands over NTLM with message_encryption='always' on HTTP, and over HTTPS (Basic and
//! NTLM) trusting only the generated CA.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{json, Value};
use stigpack_winrm_sim::{AuthMode, FleetSpec, Simulator};

async fn check(auth: AuthMode, tls: bool, transport: &str, encryption: &str) {
    let Some(py) = support::python() else { return };
    let sim = Simulator::start(FleetSpec {
        hosts: 2,
        auth,
        tls,
        ..FleetSpec::default()
    })
    .await
    .unwrap();
    let h = sim.host("host2").unwrap().clone();
    let cfg = json!({
        "endpoint": h.endpoint,
        "username": h.username,
        "password": h.password,
        "transport": transport,
        "message_encryption": encryption,
        "ca_file": h.ca_file,
    });
    let out: Value = support::run_py(&py, "pywinrm_client.py", cfg).await;

    assert_eq!(out["hostname"], json!(["host2\r\n", 0]));
    assert_eq!(out["exit7"], json!(["hello from pywinrm\r\n", 7]));
    let err = out["write_error"][0].as_str().unwrap();
    assert!(err.contains("boom went the disk"), "{err}");
    assert!(err.contains("WriteErrorException"), "{err}");
    assert_eq!(out["write_error"][1], 1);
    let unk = out["unknown"][0].as_str().unwrap();
    assert!(
        unk.contains(
            "is not recognized as the name of a cmdlet, function, script file, or operable program"
        ),
        "{unk}"
    );
    assert_eq!(out["unknown"][1], 1);
    assert_eq!(out["cmd_unknown"][1], 9009);
    assert!(out["cmd_unknown"][0]
        .as_str()
        .unwrap()
        .contains("'ipconfig' is not recognized"));
    let multi = &out["multi"];
    assert_eq!(multi["matches"], true, "{multi}");
    assert_eq!(multi["exit"], 0);
    // 1200 lines of ~200 bytes is ~240 KB; pywinrm's MaxEnvelopeSize is 153600 bytes.
    assert!(multi["receives"].as_u64().unwrap() >= 3, "{multi}");

    if encryption == "always" {
        assert_eq!(out["cross_connection_status"], 400);
    }
    let stats = sim.stats("host2").unwrap();
    assert_eq!(stats.open_shells, 0, "pywinrm closed every shell");
    assert_eq!(stats.shells_created, 6);
    assert_eq!(stats.commands_run, 6);
    assert_eq!(sim.stats("host1").unwrap().requests, 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pywinrm_https_basic() {
    check(AuthMode::Basic, true, "basic", "auto").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pywinrm_https_ntlm() {
    check(AuthMode::Ntlm, true, "ntlm", "auto").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pywinrm_http_ntlm_message_encryption_always() {
    check(AuthMode::Ntlm, false, "ntlm", "always").await;
}

/// Wrong NTLM credentials, and a host with the auth-fail fault, are refused (401) in a way
/// pywinrm reports as invalid credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pywinrm_ntlm_rejections() {
    let Some(py) = support::python() else { return };
    let sim = Simulator::start(FleetSpec {
        hosts: 2,
        faults: stigpack_winrm_sim::FaultSpec::parse("host2=auth-fail").unwrap(),
        ..FleetSpec::default()
    })
    .await
    .unwrap();
    for (host, password) in [
        ("host1", "not-the-password".to_string()),
        ("host2", sim.host("host2").unwrap().password.clone()),
    ] {
        let h = sim.host(host).unwrap().clone();
        let cfg = json!({
            "endpoint": h.endpoint,
            "username": h.username,
            "password": password,
            "transport": "ntlm",
            "message_encryption": "always",
            "expect_auth_failure": true,
        });
        let out = support::run_py(&py, "pywinrm_client.py", cfg).await;
        let auth = out["auth"].as_str().unwrap();
        assert!(auth.starts_with("rejected"), "{host}: {auth}");
        let st = sim.stats(host).unwrap();
        assert!(st.auth_failures >= 1, "{host}");
        assert_eq!(st.shells_created, 0, "{host}");
    }
    sim.shutdown().await;
}
