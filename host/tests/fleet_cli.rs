//! End-to-end test of the fleet commands through the real binary: `stigpack simulate`
//! serves a small fleet over NTLM on loopback (one host unreachable), `stigpack fleet
//! status` and `fleet collect` work it, and the collected results go straight into
//! `export-emass` and `validate`: the operator's whole path, no Windows needed.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;

/// The simulator as a child process, killed when the test ends however it ends.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `stigpack simulate` and returns it with the inventory lines it printed.
fn simulate(work: &Path, hosts: usize, faults: &str) -> (Sim, Vec<String>) {
    let mut child = Command::new(BIN)
        .current_dir(work)
        .args(["simulate", "--hosts", &hosts.to_string(), "--seed", "7"])
        .args(["--faults", faults])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stigpack simulate");
    let stdout = child.stdout.take().unwrap();
    let sim = Sim(child);
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(hosts)
        .map(|l| l.unwrap())
        .collect();
    assert_eq!(lines.len(), hosts, "simulate printed {lines:?}");
    (sim, lines)
}

fn fleet(work: &Path, inventory: &Path, args: &[&str]) -> std::process::Output {
    let mut c = stigpack(work);
    c.arg("fleet")
        .args(args)
        .arg("--inventory")
        .arg(inventory)
        .args(["--connect-timeout", "5", "--host-timeout", "120"]);
    run(&mut c)
}

#[test]
fn simulated_fleet_status_collect_and_package() {
    let w = tempfile::tempdir().unwrap();
    let (_sim, lines) = simulate(w.path(), 3, "host3=unreachable");
    let inventory = w.path().join("fleet.jsonl");
    std::fs::write(&inventory, lines.join("\n") + "\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The inventory holds passwords: a readable one is refused.
        std::fs::set_permissions(&inventory, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = fleet(w.path(), &inventory, &["status"]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        assert!(stderr(&o).contains("fleet.jsonl"), "{}", stderr(&o));
        std::fs::set_permissions(&inventory, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    // status: two hosts answer, the unreachable one fails the run (exit 8), in
    // inventory order, and no password reaches the output.
    let o = fleet(w.path(), &inventory, &["status", "--json"]);
    assert_eq!(o.status.code(), Some(8), "{}\n{}", stdout(&o), stderr(&o));
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r["host"].as_str().unwrap()).collect();
    assert_eq!(names, ["host1", "host2", "host3"], "{rows:?}");
    let ok: Vec<bool> = rows.iter().map(|r| r["ok"].as_bool().unwrap()).collect();
    assert_eq!(ok, [true, true, false], "{rows:?}");
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let pw = v["password"].as_str().unwrap();
        assert!(!stdout(&o).contains(pw) && !stderr(&o).contains(pw));
    }

    // collect: each reachable host's results, verified, with a SHA256SUMS that the real
    // sha256sum accepts.
    let results = w.path().join("results");
    let o = fleet(
        w.path(),
        &inventory,
        &["collect", "--out", results.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(8), "{}\n{}", stdout(&o), stderr(&o));
    assert!(results.join("collect-summary.json").is_file());
    assert!(
        !results.join("host3").exists(),
        "nothing for the unreachable host"
    );
    for h in ["host1", "host2"] {
        let dir = results.join(h);
        assert!(dir.join("SHA256SUMS").is_file(), "{h}");
        if have_tool("sha256sum") {
            let st = Command::new("sha256sum")
                .current_dir(&dir)
                .args(["-c", "--quiet", "SHA256SUMS"])
                .status()
                .unwrap();
            assert!(st.success(), "{h}: sha256sum -c");
        } else {
            assert!(std::env::var("CI").is_err(), "sha256sum is required in CI");
        }
    }

    // Every host and every operation is in the audit log: `audit show --target` answers
    // "what happened to host1", the collect entry names each file with the digest the
    // SHA256SUMS holds, the unreachable host is a failure, and no password is logged.
    let mut c = stigpack(w.path());
    c.args(["audit", "show", "--json", "--target", "host1"]);
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let host1: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<(&str, &str)> = host1
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["result"].as_str().unwrap()))
        .collect();
    // status (the run refused for a 0644 inventory reached no host, so left no entry)
    // and collect.
    assert_eq!(
        actions,
        [("fleet.status", "success"), ("fleet.collect", "success")],
        "{host1:?}"
    );
    let sums = std::fs::read_to_string(results.join("host1/SHA256SUMS")).unwrap();
    let files = host1[1]["details"]["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for f in files {
        let line = format!(
            "{}  {}",
            f["sha256"].as_str().unwrap(),
            f["path"].as_str().unwrap()
        );
        assert!(sums.lines().any(|l| l == line), "{line} not in SHA256SUMS");
    }
    let log = std::fs::read_to_string(w.path().join("audit.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |target: &str, action: &str| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e["target"] == target && e["action"] == action)
            .map(|e| e["result"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(of("host3", "fleet.collect"), ["failure"]);
    assert_eq!(of("fleet", "fleet.collect"), ["partial"]);
    let op = entries
        .iter()
        .rfind(|e| e["target"] == "fleet" && e["action"] == "fleet.collect")
        .unwrap();
    assert_eq!(
        op["details"]["hosts"],
        serde_json::json!(["host1", "host2", "host3"])
    );
    assert_eq!(
        (
            op["details"]["ok"].as_u64(),
            op["details"]["failed"].as_u64()
        ),
        (Some(2), Some(1))
    );
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            !log.contains(v["password"].as_str().unwrap()),
            "a password in the audit log"
        );
    }
    let mut c = stigpack(w.path());
    c.args(["audit", "verify"]);
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // The collected results are a results root for the package as they are, with no
    // extra arguments. Their XCCDF files are results in an empty benchmark wrapper, as
    // Evaluate-STIG writes them: the checklists of the same scan and benchmark cover them.
    let out = w.path().join("packages");
    let export = |extra: &[&Path]| {
        let mut c = stigpack(w.path());
        c.args([
            "export-emass",
            "--exported-at",
            "2026-11-22T20:00:00Z",
            "--results",
        ])
        .arg(&results)
        .arg("--out")
        .arg(&out);
        for b in extra {
            c.arg("--benchmark").arg(b);
        }
        run(&mut c)
    };
    // The repository's DISA benchmark for Server 2022 is V2R1; the simulated hosts
    // report V2R4 rule revisions. A benchmark given explicitly is used, and the mismatch
    // is named, never guessed around.
    let bench =
        repo().join("fixtures/benchmarks/U_MS_Windows_Server_2022_STIG_V2R1_Manual-xccdf.xml");
    let o = export(&[&bench]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("another release"), "{}", stderr(&o));
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    let o = export(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pkg = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pkg.join("00_Manifest/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["hostCount"], 2, "{manifest}");
    // The XCCDF results are kept as given beside the checklists that covered them.
    for h in ["host1", "host2"] {
        let kept = pkg
            .join("01_Scans")
            .join(h)
            .join(h.to_uppercase())
            .join("XCCDF");
        assert!(std::fs::read_dir(&kept).unwrap().next().is_some(), "{h}");
    }
    let mut c = stigpack(w.path());
    c.arg("validate").arg(&pkg);
    let o = run(&mut c);
    assert!(
        matches!(o.status.code(), Some(0) | Some(4)),
        "valid (ready or not): {}",
        stdout(&o)
    );
}

/// One line of the Ansible INI inventory for a simulated host: where it listens, who
/// logs in, and the password as the idiomatic env lookup (`SIM_PW_<host>`).
fn ansible_host_line(sim_line: &str) -> (String, String, String) {
    let v: serde_json::Value = serde_json::from_str(sim_line).unwrap();
    let name = v["name"].as_str().unwrap().to_owned();
    let endpoint = v["endpoint"].as_str().unwrap();
    let port = endpoint
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix("/wsman"))
        .unwrap_or_else(|| panic!("simulator endpoint {endpoint}"));
    let user = v["username"].as_str().unwrap();
    let line = format!(
        "{name} ansible_host=127.0.0.1 ansible_port={port} ansible_user='{user}' \
         ansible_password=\"{{{{ lookup('env', 'SIM_PW_{name}') }}}}\""
    );
    (name, line, v["password"].as_str().unwrap().to_owned())
}

/// An operator's Ansible inventory works the simulated fleet as the JSON one does, and
/// `--limit` picks hosts with Ansible's pattern grammar: excluding the broken host turns
/// a failed run (exit 8) into a clean one, in inventory order, with no password shown.
#[test]
fn ansible_inventory_and_limit_through_the_binary() {
    let w = tempfile::tempdir().unwrap();
    let (_sim, lines) = simulate(w.path(), 3, "host2=unreachable");
    let hosts: Vec<(String, String, String)> = lines.iter().map(|l| ansible_host_line(l)).collect();
    let ini = format!(
        "[web]\n{}\n{}\n\n[db]\n{}\n\n[windows:children]\nweb\ndb\n\n[windows:vars]\n\
         ansible_connection=winrm\nansible_winrm_transport=ntlm\nansible_winrm_scheme=http\n",
        hosts[0].1, hosts[1].1, hosts[2].1
    );
    // Passwords come from the environment, so the inventory may be world-readable.
    let inventory = w.path().join("hosts.ini");
    std::fs::write(&inventory, &ini).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&inventory, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let status = |limit: Option<&str>| {
        let mut c = stigpack(w.path());
        for (name, _, pw) in &hosts {
            c.env(format!("SIM_PW_{name}"), pw);
        }
        c.args(["fleet", "status", "--json", "--inventory"])
            .arg(&inventory)
            .args(["--connect-timeout", "5", "--host-timeout", "120"]);
        if let Some(l) = limit {
            c.args(["--limit", l]);
        }
        run(&mut c)
    };
    let rows = |o: &std::process::Output| -> Vec<(String, bool)> {
        stdout(o)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| {
                let r: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    r["host"].as_str().unwrap().to_owned(),
                    r["ok"].as_bool().unwrap(),
                )
            })
            .collect()
    };

    let all = status(None);
    assert_eq!(all.status.code(), Some(8), "{}", stderr(&all));
    assert_eq!(
        rows(&all),
        [
            ("host1".to_owned(), true),
            ("host2".to_owned(), false),
            ("host3".to_owned(), true)
        ]
    );

    let limited = status(Some("windows:!host2"));
    assert_eq!(limited.status.code(), Some(0), "{}", stderr(&limited));
    assert_eq!(
        rows(&limited),
        [("host1".to_owned(), true), ("host3".to_owned(), true)]
    );
    let db_only = status(Some("db"));
    assert_eq!(db_only.status.code(), Some(0), "{}", stderr(&db_only));
    assert_eq!(rows(&db_only), [("host3".to_owned(), true)]);
    for o in [&all, &limited, &db_only] {
        for (_, _, pw) in &hosts {
            assert!(!stdout(o).contains(pw.as_str()) && !stderr(o).contains(pw.as_str()));
        }
    }

    // run-tool: each host's exit code is kept in its audit entry, and the tool's
    // arguments (which may carry a secret) only as a digest.
    let run_tool = |path: &str| {
        let mut c = stigpack(w.path());
        for (name, _, pw) in &hosts {
            c.env(format!("SIM_PW_{name}"), pw);
        }
        c.args(["fleet", "run-tool", "--inventory"])
            .arg(&inventory)
            .args([
                "--path",
                path,
                "--arg",
                "-Password",
                "--arg",
                "TOOL-SECRET-1234",
            ])
            .args(["--limit", "windows:!host2", "--connect-timeout", "5"]);
        run(&mut c)
    };
    let scan = run_tool(r"C:\STIG\Evaluate-STIG\Evaluate-STIG.ps1");
    assert_eq!(scan.status.code(), Some(0), "{}", stderr(&scan));
    let missing = run_tool(r"C:\STIG\No-Such-Tool.ps1");
    assert_eq!(missing.status.code(), Some(8), "{}", stderr(&missing));
    let log = std::fs::read_to_string(w.path().join("audit.jsonl")).unwrap();
    assert!(
        !log.contains("TOOL-SECRET-1234"),
        "a tool argument in the audit log"
    );
    let tool_runs: Vec<(String, String, Option<i64>)> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["action"] == "fleet.run-tool")
        .map(|e| {
            (
                e["target"].as_str().unwrap().to_owned(),
                e["result"].as_str().unwrap().to_owned(),
                e["details"]["exitCode"].as_i64(),
            )
        })
        .collect();
    let expect = |t: &str, r: &str, code: Option<i64>| (t.to_owned(), r.to_owned(), code);
    assert_eq!(
        tool_runs,
        [
            expect("host1", "success", Some(0)),
            expect("host3", "success", Some(0)),
            expect("fleet", "success", None),
            expect("host1", "failure", Some(1)),
            expect("host3", "failure", Some(1)),
            expect("fleet", "failure", None),
        ]
    );

    // A pattern that selects nothing is the operator's mistake, said before any host is
    // contacted.
    let none = status(Some("no_such_group"));
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    assert!(stderr(&none).contains("no_such_group"), "{}", stderr(&none));

    // A literal password in an inventory others can read is refused naming the file,
    // and the password is not repeated.
    let leaked = ini.replace(
        "ansible_password=\"{{ lookup('env', 'SIM_PW_host3') }}\"",
        &format!("ansible_password='{}'", hosts[2].2),
    );
    assert_ne!(leaked, ini);
    std::fs::write(&inventory, &leaked).unwrap();
    let refused = status(None);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("hosts.ini"),
        "{}",
        stderr(&refused)
    );
    assert!(!stderr(&refused).contains(hosts[2].2.as_str()));
}
