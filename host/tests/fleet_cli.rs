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
