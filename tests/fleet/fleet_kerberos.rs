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

/// Starts `stigpack simulate --hosts 2 --auth kerberos` with the realm's service key and
/// writes an Ansible inventory for its hosts, the group's variables followed by `vars`.
fn sim_and_inventory(kdc: &Kdc, w: &std::path::Path, vars: &str) -> (Sim, std::path::PathBuf) {
    let mut child = Command::new(BIN)
        .current_dir(w)
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
    let sim = Sim(child);
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
    let inventory = w.join("hosts.ini");
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
             {vars}",
            ports[0], ports[1]
        ),
    )
    .unwrap();
    (sim, inventory)
}

fn fleet_status(w: &std::path::Path, kdc: &Kdc, inventory: &std::path::Path) -> Command {
    let mut c = stigpack(w);
    c.env("KRB5_CONFIG", &kdc.krb5_conf)
        .args(["fleet", "status", "--json", "--inventory"])
        .arg(inventory)
        .args(["--connect-timeout", "5", "--host-timeout", "60"]);
    c
}

fn host_names(o: &std::process::Output) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fleet_status_over_kerberos_from_an_ansible_inventory() {
    let Some(kdc) = Kdc::start() else { return };
    let w = tempfile::tempdir().unwrap();
    let (_sim, inventory) = sim_and_inventory(
        &kdc,
        w.path(),
        &format!(
            "ansible_user={USER}\n\
             ansible_password=\"{{{{ lookup('env', 'KRB_TEST_PW') }}}}\"\n"
        ),
    );
    let status = |pw: &str| {
        let mut c = fleet_status(w.path(), &kdc, &inventory);
        c.env("KRB_TEST_PW", pw)
            // The password wins over any ticket lying around.
            .env(
                "KRB5CCNAME",
                format!("FILE:{}", kdc.path().join("none").display()),
            );
        run(&mut c)
    };
    let o = status(PASSWORD);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert_eq!(host_names(&o), ["host1", "host2"]);
    assert!(!stdout(&o).contains(PASSWORD) && !stderr(&o).contains(PASSWORD));

    let o = status("wrong-password");
    assert_eq!(o.status.code(), Some(8), "{}\n{}", stdout(&o), stderr(&o));
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("refused the password"), "{all}");
    assert!(!all.contains("wrong-password"), "{all}");
}

/// The domain operator's path: `kinit` once, then an inventory with no password at all
/// (Ansible's `kinit_mode` is then `manual`): every host authenticates with the ticket
/// from `KRB5CCNAME`, and nothing prompts. Without the ticket each host fails with what
/// to do, and the process does not wait for a password.
#[test]
fn fleet_status_with_the_ticket_from_kinit() {
    let Some(kdc) = Kdc::start() else { return };
    let cache = kdc.kinit();
    let w = tempfile::tempdir().unwrap();
    let (_sim, inventory) = sim_and_inventory(&kdc, w.path(), &format!("ansible_user={USER}\n"));
    let o = run(fleet_status(w.path(), &kdc, &inventory)
        .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
        .stdin(Stdio::null()));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert_eq!(host_names(&o), ["host1", "host2"]);

    let missing = format!("FILE:{}", kdc.path().join("no-cache").display());
    let o = run(fleet_status(w.path(), &kdc, &inventory)
        .env("KRB5CCNAME", &missing)
        .stdin(Stdio::null()));
    assert_eq!(o.status.code(), Some(8), "{}\n{}", stdout(&o), stderr(&o));
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        all.contains(&missing) && all.contains("kinit alice"),
        "{all}"
    );
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
