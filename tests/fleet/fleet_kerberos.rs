//! The Kerberos operator path through the real binary: a throwaway MIT realm on loopback
//! (`host/winrm/tests/kdc`), `stigpack simulate --auth kerberos` holding the service key
//! from its keytab, and `stigpack fleet status` reading an Ansible inventory with
//! `ansible_winrm_transport=kerberos`, its realm and KDC from `$KRB5_CONFIG` as `kinit`
//! would, its password from an environment variable. A wrong password fails that host with
//! the KDC's reason. Skips without the KDC binaries, except under CI=true.

#![allow(clippy::unwrap_used)]

#[path = "../../host/winrm/tests/kdc/mod.rs"]
mod kdc;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::common::*;
use kdc::{Kdc, PASSWORD, SERVICE_HOST, USER};

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn fleet_status_over_kerberos_from_an_ansible_inventory() {
    let Some(kdc) = Kdc::start() else { return };
    let w = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .current_dir(w.path())
        .args(["simulate", "--hosts", "2", "--auth", "kerberos"])
        .arg("--kerberos-keytab")
        .arg(&kdc.keytab)
        .args(["--kerberos-spn", &format!("HTTP/{SERVICE_HOST}")])
        .args(["--kerberos-user", USER])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let _sim = Sim(child);
    let ports: Vec<String> = BufReader::new(out)
        .lines()
        .take(2)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
            let ep = v["endpoint"].as_str().unwrap().to_string();
            ep.rsplit(':')
                .next()
                .unwrap()
                .trim_end_matches("/wsman")
                .to_string()
        })
        .collect();
    assert_eq!(ports.len(), 2);
    let inventory = w.path().join("hosts.ini");
    std::fs::write(
        &inventory,
        format!(
            "[windows]\n\
             host1 ansible_host=127.0.0.1 ansible_port={}\n\
             host2 ansible_host=127.0.0.1 ansible_port={}\n\n\
             [windows:vars]\n\
             ansible_connection=winrm\n\
             ansible_winrm_scheme=http\n\
             ansible_winrm_transport=kerberos\n\
             ansible_winrm_kerberos_hostname_override={SERVICE_HOST}\n\
             ansible_user={USER}\n\
             ansible_password=\"{{{{ lookup('env', 'KRB_TEST_PW') }}}}\"\n",
            ports[0], ports[1]
        ),
    )
    .unwrap();
    let status = |pw: &str| {
        let mut c = stigpack(w.path());
        c.env("KRB5_CONFIG", &kdc.krb5_conf)
            .env("KRB_TEST_PW", pw)
            .args(["fleet", "status", "--json", "--inventory"])
            .arg(&inventory)
            .args(["--connect-timeout", "5", "--host-timeout", "60"]);
        run(&mut c)
    };
    let o = status(PASSWORD);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let hosts = doc["hosts"].as_array().unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h["host"].as_str().unwrap()).collect();
    assert_eq!(names, ["host1", "host2"], "{doc}");
    assert!(!stdout(&o).contains(PASSWORD) && !stderr(&o).contains(PASSWORD));

    let o = status("wrong-password");
    assert_eq!(o.status.code(), Some(8), "{}\n{}", stdout(&o), stderr(&o));
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("refused the password"), "{all}");
    assert!(!all.contains("wrong-password"), "{all}");
}

/// `simulate --auth kerberos` without its service key, or Kerberos options without
/// Kerberos, is a usage error naming the options (no KDC needed).
#[test]
fn simulate_kerberos_options_are_checked() {
    let w = tempfile::tempdir().unwrap();
    for args in [
        &["simulate", "--auth", "kerberos"][..],
        &["simulate", "--kerberos-user", "alice"][..],
    ] {
        let o = run(stigpack(w.path()).args(args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("--kerberos-keytab"), "{}", stderr(&o));
    }
    let o = run(stigpack(w.path()).args([
        "simulate",
        "--auth",
        "kerberos",
        "--kerberos-keytab",
        "missing.keytab",
        "--kerberos-spn",
        "HTTP/x",
        "--kerberos-user",
        "alice",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("missing.keytab"), "{}", stderr(&o));
}
