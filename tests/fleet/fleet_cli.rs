//! End-to-end test of the fleet commands through the real binary: `stigpack simulate`
//! serves a small fleet over NTLM on loopback (one host unreachable), `stigpack fleet
//! status` and `fleet collect` work it, and the collected results go straight into
//! `export-emass` and `validate`: the operator's whole path, no Windows needed.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::common::*;

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
    let rows = json_rows(&o);
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
        json_rows(o)
            .iter()
            .map(|r| {
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

    // Tool profiles named in the inventory: `fleet apply` needs no --profile when the
    // inventory gives each selected host one; a scan profile named for apply is a bad
    // inventory, said with the inventory's and the host's names.
    let with_profiles = format!(
        "{ini}\n[web:vars]\nstigpack_apply_profile=powerstig\n\n[db:vars]\nstigpack_apply_profile=evaluate-stig\n"
    );
    std::fs::write(&inventory, &with_profiles).unwrap();
    let apply = |limit: &str| {
        let mut c = stigpack(w.path());
        for (name, _, pw) in &hosts {
            c.env(format!("SIM_PW_{name}"), pw);
        }
        c.args(["fleet", "apply", "--json", "--inventory"])
            .arg(&inventory)
            .args(["--limit", limit, "--connect-timeout", "5"]);
        run(&mut c)
    };
    let o = apply("host1");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = json_rows(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (&rows[0]["profile"], &rows[0]["exitCode"]),
        (&serde_json::json!("powerstig"), &serde_json::json!(0))
    );
    let o = apply("db");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("hosts.ini") && stderr(&o).contains("host3"),
        "{}",
        stderr(&o)
    );
}

/// The `.ckl` a verify collected for a host, and how many rules it has Open and
/// NotAFinding, by rule (`Vuln_Num` -> status).
fn collected_ckl(dir: &Path) -> (String, std::collections::BTreeMap<String, String>) {
    let checklists = dir.join("Checklist");
    let ckl = std::fs::read_dir(&checklists)
        .unwrap_or_else(|e| panic!("{}: {e}", checklists.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "ckl"))
        .unwrap_or_else(|| panic!("no .ckl under {}", checklists.display()));
    let text = std::fs::read_to_string(&ckl).unwrap();
    let mut statuses = std::collections::BTreeMap::new();
    for vuln in text.split("<VULN>").skip(1) {
        let num = vuln
            .split("<VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE>")
            .nth(1)
            .and_then(|r| r.split("<ATTRIBUTE_DATA>").nth(1))
            .and_then(|r| r.split("</ATTRIBUTE_DATA>").next())
            .unwrap();
        let status = vuln
            .split("<STATUS>")
            .nth(1)
            .and_then(|r| r.split("</STATUS>").next())
            .unwrap();
        statuses.insert(num.to_owned(), status.to_owned());
    }
    (
        ckl.file_name().unwrap().to_string_lossy().into_owned(),
        statuses,
    )
}

fn open_rules(statuses: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    statuses
        .iter()
        .filter(|(_, s)| *s == "Open")
        .map(|(v, _)| v.clone())
        .collect()
}

/// The per-host rows, in inventory order, of a fleet command's one `--json` document.
fn json_rows(o: &std::process::Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
    assert_eq!(
        doc["exitCode"].as_i64(),
        o.status.code().map(i64::from),
        "{doc}"
    );
    doc["hosts"].as_array().unwrap().clone()
}

/// The loop an operator runs: verify (scan with the Evaluate-STIG profile and collect),
/// apply (the PowerSTIG profile), verify again and find Open rules turned NotAFinding.
/// A host whose tool exits non-zero, or that writes no new results, fails the run (exit
/// 8) with its remote exit code reported and logged, while the others succeed.
#[test]
fn verify_apply_verify_through_the_binary() {
    let w = tempfile::tempdir().unwrap();
    let (_sim, lines) = simulate(
        w.path(),
        4,
        "*=tool-time:50ms,host2=apply-exit:1603,host3=scan-exit:5,host4=scan-no-results",
    );
    let inventory = w.path().join("fleet.jsonl");
    std::fs::write(&inventory, lines.join("\n") + "\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&inventory, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let today = || {
        let d = time::OffsetDateTime::now_utc().date();
        format!("{:04}{:02}{:02}-", d.year(), u8::from(d.month()), d.day())
    };
    let day_before = today();

    // apply runs nothing by default: without a profile it is the operator's mistake.
    let o = fleet(w.path(), &inventory, &["apply"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--profile"), "{}", stderr(&o));
    // A scan profile is not a hardening step.
    let o = fleet(
        w.path(),
        &inventory,
        &["apply", "--profile", "evaluate-stig"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // verify #1: the default profile (evaluate-stig) scans and collects.
    let v1 = w.path().join("v1");
    let o = fleet(
        w.path(),
        &inventory,
        &["verify", "--json", "--out", v1.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(8), "{}\n{}", stdout(&o), stderr(&o));
    let rows = json_rows(&o);
    let summary = |r: &serde_json::Value| {
        (
            r["host"].as_str().unwrap().to_owned(),
            r["ok"].as_bool().unwrap(),
            r["exitCode"].as_i64(),
        )
    };
    assert_eq!(
        rows.iter().map(summary).collect::<Vec<_>>(),
        [
            ("host1".into(), true, Some(0)),
            ("host2".into(), true, Some(0)),
            ("host3".into(), false, Some(5)),
            ("host4".into(), false, Some(0)),
        ],
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r["profile"] == "evaluate-stig"));
    assert!(
        rows[2]["error"].as_str().unwrap().contains("code 5"),
        "{rows:?}"
    );
    assert!(
        rows[3]["error"]
            .as_str()
            .unwrap()
            .contains("no new results"),
        "stale results are never collected as fresh: {rows:?}"
    );
    assert!(!v1.join("host3").exists() && !v1.join("host4").exists());
    let (name1, before1) = collected_ckl(&v1.join("host1"));
    let (_, before2) = collected_ckl(&v1.join("host2"));
    assert!(
        name1.contains(&day_before) || name1.contains(&today()),
        "fresh results carry the scan time: {name1}"
    );
    // -Output CKL,CKLB: checklists and the summary, no XCCDF.
    let got: Vec<String> = tree(&v1.join("host1"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().any(|p| p.ends_with(".cklb")) && !got.iter().any(|p| p.contains("XCCDF")));
    if have_tool("sha256sum") {
        let st = Command::new("sha256sum")
            .current_dir(v1.join("host1"))
            .args(["-c", "--quiet", "SHA256SUMS"])
            .status()
            .unwrap();
        assert!(st.success(), "sha256sum -c");
    }
    let open1 = open_rules(&before1);
    assert!(open1.len() >= 3, "{open1:?}");
    let summary_file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(v1.join("verify-summary.json")).unwrap()).unwrap();
    assert_eq!(summary_file["hosts"][2]["exitCode"], 5);

    // apply: host2's DSC run fails with 1603 and is reported as such; the others apply.
    let o = fleet(
        w.path(),
        &inventory,
        &["apply", "--profile", "powerstig", "--json"],
    );
    assert_eq!(o.status.code(), Some(8), "{}\n{}", stdout(&o), stderr(&o));
    assert_eq!(
        json_rows(&o).iter().map(summary).collect::<Vec<_>>(),
        [
            ("host1".into(), true, Some(0)),
            ("host2".into(), false, Some(1603)),
            ("host3".into(), true, Some(0)),
            ("host4".into(), true, Some(0)),
        ]
    );
    // The table says the same.
    let o = fleet(w.path(), &inventory, &["apply", "--profile", "powerstig"]);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("host2") && l.contains("FAILED") && l.contains("1603")),
        "{}",
        stdout(&o)
    );

    // verify #2: host1's automatable Open rules are now NotAFinding, the rest still Open;
    // host2 (apply failed) is unchanged.
    let v2 = w.path().join("v2");
    let o = fleet(
        w.path(),
        &inventory,
        &[
            "verify",
            "--out",
            v2.to_str().unwrap(),
            "--host",
            "host1",
            "--host",
            "host2",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let (_, after1) = collected_ckl(&v2.join("host1"));
    let (_, after2) = collected_ckl(&v2.join("host2"));
    let still_open = open_rules(&after1);
    assert!(
        !still_open.is_empty() && still_open.len() < open1.len(),
        "{} -> {}",
        open1.len(),
        still_open.len()
    );
    for v in &open1 {
        let now = after1[v].as_str();
        assert!(matches!(now, "Open" | "NotAFinding"), "{v}: {now}");
    }
    for (v, s) in &before1 {
        if s != "Open" {
            assert_eq!(&after1[v], s, "{v}: only Open rules change");
        }
    }
    assert_eq!(after2, before2, "a failed apply changed nothing");

    // verify into an existing folder without --force is refused before the scan runs.
    let o = fleet(
        w.path(),
        &inventory,
        &["verify", "--out", v2.to_str().unwrap(), "--host", "host1"],
    );
    assert_eq!(o.status.code(), Some(8));
    assert!(stdout(&o).contains("--force"), "{}", stdout(&o));

    // A custom profile file: another output folder and format, a {HOST} placeholder,
    // and an argument that must never reach the log in clear.
    let profile = w.path().join("site-scan.json");
    std::fs::write(
        &profile,
        r#"{"name": "site-scan", "step": "verify",
            "program": "C:\\STIG\\Evaluate-STIG\\Evaluate-STIG.ps1",
            "args": ["-Output", "CKL", "-OutputPath", "D:\\Scans", "-AnswerKey", "ANSWER-SECRET-77"],
            "results_dir": "D:\\Scans\\{HOST}", "timeout_secs": 60}"#,
    )
    .unwrap();
    let v3 = w.path().join("v3");
    let o = fleet(
        w.path(),
        &inventory,
        &[
            "verify",
            "--profile",
            profile.to_str().unwrap(),
            "--out",
            v3.to_str().unwrap(),
            "--host",
            "host1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let got: Vec<String> = tree(&v3.join("host1"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(got.len(), 3, "CKL, summary, SHA256SUMS: {got:?}");
    let (_, custom) = collected_ckl(&v3.join("host1"));
    assert_eq!(
        custom, after1,
        "the same host state, scanned by another profile"
    );
    // A broken profile file is a bad input naming the file.
    std::fs::write(&profile, r#"{"name": "x", "step": "verify"}"#).unwrap();
    let o = fleet(
        w.path(),
        &inventory,
        &[
            "verify",
            "--profile",
            profile.to_str().unwrap(),
            "--out",
            "v4",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("site-scan.json"), "{}", stderr(&o));

    // The audit log: one entry per host with the remote exit code, then the operation;
    // the collected files with the digests SHA256SUMS holds; no argument in clear.
    let log = std::fs::read_to_string(w.path().join("audit.jsonl")).unwrap();
    assert!(
        !log.contains("ANSWER-SECRET-77"),
        "a tool argument in the audit log"
    );
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first = |action: &str, target: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action && e["target"] == target)
            .unwrap_or_else(|| panic!("no {action} entry for {target}"))
    };
    let e = first("fleet.verify", "host3");
    assert_eq!(
        (e["result"].as_str(), e["details"]["exitCode"].as_i64()),
        (Some("failure"), Some(5))
    );
    let e = first("fleet.verify", "host1");
    assert_eq!(e["details"]["exitCode"], 0);
    assert_eq!(e["details"]["profile"], "evaluate-stig");
    let sums = std::fs::read_to_string(v1.join("host1/SHA256SUMS")).unwrap();
    let files = e["details"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        let line = format!(
            "{}  {}",
            f["sha256"].as_str().unwrap(),
            f["path"].as_str().unwrap()
        );
        assert!(sums.lines().any(|l| l == line), "{line}");
    }
    let e = first("fleet.apply", "host2");
    assert_eq!(
        (e["result"].as_str(), e["details"]["exitCode"].as_i64()),
        (Some("failure"), Some(1603))
    );
    let op = first("fleet.apply", "fleet");
    assert_eq!(op["result"], "partial");
    assert_eq!(op["details"]["profiles"][0]["name"], "powerstig");
    let mut c = stigpack(w.path());
    c.args(["audit", "verify"]);
    assert_eq!(run(&mut c).status.code(), Some(0));
}

#[test]
fn progress_is_drawn_on_a_terminal_only_and_never_with_json_or_quiet() {
    if !have_tool("script") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let (_sim, lines) = simulate(work, 3, "host1=slow:400ms,host3=unreachable");
    let inv = work.join("fleet.jsonl");
    std::fs::write(&inv, lines.join("\n") + "\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&inv, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let base: Vec<String> = ["fleet", "status", "--inventory"]
        .iter()
        .map(|s| s.to_string())
        .chain([
            inv.display().to_string(),
            "--connect-timeout".into(),
            "2".into(),
        ])
        .collect();
    // On a terminal: the bar, with the tally of done, failed and in-flight hosts.
    let (code, drawn) = on_a_terminal(work, &base);
    assert_eq!(code, 8, "{drawn}");
    assert!(drawn.contains("/3 hosts"), "no progress drawn:\n{drawn}");
    assert!(drawn.contains("1 failed"), "{drawn}");
    assert!(
        drawn.contains("in flight") && drawn.contains("ETA"),
        "{drawn}"
    );
    // --json and --quiet: nothing but the output itself, even on a terminal.
    for extra in ["--json", "--quiet"] {
        let mut args = base.clone();
        args.push(extra.into());
        let (code, drawn) = on_a_terminal(work, &args);
        assert_eq!(code, 8, "{extra}: {drawn}");
        assert!(!drawn.contains("hosts,"), "{extra} drew progress:\n{drawn}");
    }
    // Not a terminal (a pipe, a log file): no progress.
    let o = fleet(work, &inv, &["status"]);
    assert_eq!(o.status.code(), Some(8));
    assert!(!stderr(&o).contains("hosts,"), "{}", stderr(&o));
}

/// `fleet collect` says how each host's files travelled: gzip by default, plain with
/// `--no-compress`, and "cannot compress" for a host that fell back, so an operator sees
/// which hosts cost full price; how they travelled never changes what was collected.
#[test]
fn collect_reports_transfer_mode_and_wire_bytes() {
    let w = tempfile::tempdir().unwrap();
    let (_sim, lines) = simulate(w.path(), 2, "host2=no-compression");
    let inventory = w.path().join("fleet.jsonl");
    std::fs::write(&inventory, lines.join("\n") + "\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&inventory, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let results = w.path().join("results");
    let collect = |extra: &[&str]| {
        let mut args = vec!["collect", "--force", "--out", results.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = fleet(w.path(), &inventory, &args);
        assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
        let summary = std::fs::read(results.join("collect-summary.json")).unwrap();
        (o, summary)
    };
    let transfer = |rows: &[serde_json::Value], i: usize| {
        let t = &rows[i]["transfer"];
        (
            t["mode"].as_str().unwrap().to_owned(),
            t["bytes"].as_u64().unwrap(),
            t["wireBytes"].as_u64().unwrap(),
        )
    };

    let (o, summary) = collect(&["--json"]);
    let rows = json_rows(&o);
    let (mode, bytes, wire) = transfer(&rows, 0);
    assert_eq!(mode, "gzip", "{rows:?}");
    assert!(
        bytes > 0 && wire * 4 < bytes,
        "checklists deflate: {bytes} as {wire}"
    );
    let (mode, bytes2, wire2) = transfer(&rows, 1);
    assert_eq!(mode, "fallback", "{rows:?}");
    assert_eq!(wire2, bytes2, "plain reads send every byte");
    // The audit entry of each host says the same.
    let log = std::fs::read_to_string(w.path().join("audit.jsonl")).unwrap();
    let host2 = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .rfind(|e| e["target"] == "host2")
        .unwrap();
    assert_eq!(host2["details"]["transfer"]["mode"], "fallback", "{host2}");

    let (o, plain_summary) = collect(&["--json", "--no-compress"]);
    let rows = json_rows(&o);
    let (mode, plain_bytes, plain_wire) = transfer(&rows, 0);
    assert_eq!(mode, "plain", "{rows:?}");
    assert_eq!((plain_bytes, plain_wire), (bytes, bytes));
    assert_eq!(summary, plain_summary, "what was collected, not how");

    let (o, _) = collect(&[]);
    let text = stdout(&o);
    let line = |h: &str| {
        text.lines()
            .find(|l| l.starts_with(h))
            .unwrap_or_else(|| panic!("{h} in {text}"))
            .to_owned()
    };
    assert!(line("host1").contains("(gzip, "), "{text}");
    assert!(
        line("host2").contains("(PLAIN (host cannot compress), "),
        "{text}"
    );
}
