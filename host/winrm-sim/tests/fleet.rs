//! Hundreds of simulated hosts in one process, each on its own loopback port.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashSet;

use stigpack_winrm_sim::{AuthMode, FleetSpec, Simulator};
use support::raw::Raw;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_hosts_answer_in_one_process() {
    let sim = Simulator::start(FleetSpec {
        hosts: 300,
        auth: AuthMode::Basic,
        allow_basic_http: true,
        ..FleetSpec::default()
    })
    .await
    .unwrap();
    assert_eq!(sim.hosts().len(), 300);
    let ports: HashSet<&str> = sim.hosts().iter().map(|h| h.endpoint.as_str()).collect();
    assert_eq!(ports.len(), 300, "one endpoint per host");
    let mut tasks = Vec::new();
    for h in sim.hosts().to_vec() {
        tasks.push(tokio::spawn(async move {
            let mut raw = Raw::connect(&h).await.unwrap();
            let r = raw.run("hostname", &[], None).await;
            (h.name, r.stdout)
        }));
    }
    for t in tasks {
        let (name, out) = t.await.unwrap();
        assert_eq!(out, format!("{name}\r\n").into_bytes());
    }
    for h in sim.hosts() {
        let st = sim.stats(&h.name).unwrap();
        assert_eq!((st.commands_run, st.open_shells), (1, 0), "{}", h.name);
    }
    assert_eq!(sim.total_open_shells(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn https_fleet_writes_its_ca_and_credentials_are_random() {
    let a = Simulator::start(FleetSpec {
        hosts: 2,
        tls: true,
        ..FleetSpec::default()
    })
    .await
    .unwrap();
    let b = Simulator::start(FleetSpec {
        hosts: 1,
        ..FleetSpec::default()
    })
    .await
    .unwrap();
    let h = &a.hosts()[0];
    assert!(h.endpoint.starts_with("https://127.0.0.1:"));
    let ca = std::fs::read_to_string(h.ca_file.as_ref().unwrap()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(Some(ca.as_str()), a.ca_pem());
    assert!(h.password.len() >= 20);
    assert_ne!(h.password, b.hosts()[0].password);
    assert!(b.hosts()[0].ca_file.is_none());
    let json = serde_json::to_value(h).unwrap();
    for k in ["name", "endpoint", "username", "password", "ca_file"] {
        assert!(json.get(k).is_some(), "{k}");
    }
    let ca_path = h.ca_file.clone().unwrap();
    a.shutdown().await;
    assert!(
        !ca_path.exists(),
        "the temporary CA file is removed at shutdown"
    );
    b.shutdown().await;
}

#[tokio::test]
async fn basic_over_plain_http_needs_the_lab_flag() {
    let e = Simulator::start(FleetSpec {
        hosts: 1,
        auth: AuthMode::Basic,
        ..FleetSpec::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("HTTPS"), "{e}");
}
