//! Benchmark: the fleet operations as an operator runs them, whole processes against a
//! simulated fleet with 20 ms per message (NTLM, sealed over HTTP): `stigpack fleet
//! status`, `fleet verify` (scan, then collect every host's results, verified) and `fleet
//! apply --profile powerstig` on 500 hosts at concurrency 64, each under `/usr/bin/time`
//! (wall time, peak RSS); and pywinrm doing status's work (the same PowerShell command,
//! a fresh session per host, the same concurrency) in the same run, for the throughput
//! ratio. Peak memory at two fleet sizes shows whether it stays flat beyond the
//! concurrency.
//!
//! `cargo bench -p stigpack --bench fleet_ops` (release). Environment: `BENCH_HOSTS`
//! (500), `BENCH_SMALL_HOSTS` (128), `BENCH_CONCURRENCY` (64), `BENCH_LATENCY_MS` (20),
//! `BENCH_RUNS` (3: median and range), `BENCH_PYTHON` (default: `.venv/bin/python`).

mod common;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{env_usize, median, timed, Timed, BIN};

/// The simulator, stopped when dropped.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn simulate(hosts: usize, latency_ms: usize, work: &Path) -> (Sim, PathBuf) {
    let mut child = Command::new(BIN)
        .args(["simulate", "--quiet", "--seed", "7"])
        .args(["--hosts", &hosts.to_string()])
        .args(["--latency-ms", &latency_ms.to_string()])
        .env("STIGPACK_AUDIT_LOG", work.join("sim-audit.jsonl"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stigpack simulate");
    let stdout = child.stdout.take().expect("simulator stdout");
    let sim = Sim(child);
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(hosts)
        .map(|l| l.expect("simulator line"))
        .collect();
    assert_eq!(lines.len(), hosts, "the simulator printed too few hosts");
    let inventory = work.join(format!("fleet-{hosts}.jsonl"));
    std::fs::write(&inventory, lines.join("\n") + "\n").expect("write inventory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&inventory, std::fs::Permissions::from_mode(0o600))
            .expect("chmod inventory");
    }
    (sim, inventory)
}

/// One fleet command under `/usr/bin/time`, checked: every host ok.
fn fleet(work: &Path, inventory: &Path, op: &[&str], concurrency: usize, hosts: usize) -> Timed {
    let mut args: Vec<&OsStr> = vec![OsStr::new("fleet")];
    args.extend(op.iter().map(OsStr::new));
    let conc = concurrency.to_string();
    let audit = work.join("audit.jsonl");
    args.extend([
        OsStr::new("--inventory"),
        inventory.as_os_str(),
        OsStr::new("--concurrency"),
        OsStr::new(&conc),
        OsStr::new("--json"),
        OsStr::new("--quiet"),
        OsStr::new("--audit-log"),
        audit.as_os_str(),
    ]);
    let t = timed(BIN, &args);
    let doc: serde_json::Value =
        serde_json::from_slice(&t.output.stdout).expect("fleet --json document");
    assert_eq!(doc["ok"].as_u64(), Some(hosts as u64), "{op:?}: {doc}");
    t
}

fn python() -> PathBuf {
    std::env::var_os("BENCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// The command line `fleet status` sends, for pywinrm to send the same.
fn status_command(work: &Path) -> PathBuf {
    use stigpack_winrm::scripts::{powershell_command_line, script_for, Op};
    let (command, args, _) = powershell_command_line(&script_for(&Op::Status));
    let path = work.join("status-command.json");
    std::fs::write(
        &path,
        serde_json::json!({"command": command, "args": args}).to_string(),
    )
    .expect("write status command");
    path
}

fn summary(name: &str, runs: &[Timed], hosts: usize) -> f64 {
    let wall: Vec<f64> = runs.iter().map(|t| t.wall_s).collect();
    let peak: Vec<f64> = runs.iter().map(|t| t.peak_mib).collect();
    let (lo, hi) = (
        wall.iter().cloned().fold(f64::MAX, f64::min),
        wall.iter().cloned().fold(0.0, f64::max),
    );
    let m = median(wall);
    println!(
        "  {name:<34} {m:>7.2} s (range {lo:.2}-{hi:.2}) = {:>6.1} hosts/s, peak {:.1} MiB",
        hosts as f64 / m,
        median(peak)
    );
    m
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` (no libtest here)
    }
    let hosts = env_usize("BENCH_HOSTS", 500);
    let small = env_usize("BENCH_SMALL_HOSTS", 128);
    let concurrency = env_usize("BENCH_CONCURRENCY", 64);
    let latency = env_usize("BENCH_LATENCY_MS", 20);
    let runs = env_usize("BENCH_RUNS", 3).max(1);
    let py = python();
    assert!(
        py.is_file(),
        "pywinrm's python not found at {} (BENCH_PYTHON)",
        py.display()
    );
    let work = tempfile::tempdir().expect("work dir");
    let command = status_command(work.path());
    println!(
        "fleet operations, {latency} ms per message, NTLM sealed over HTTP, concurrency {concurrency}, {runs} run(s) each (median, range):"
    );

    let (sim, inventory) = simulate(hosts, latency, work.path());
    let results = work.path().join("results");
    let (mut status, mut verify, mut apply, mut py_status) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        // Paired: stigpack's status then pywinrm's, each pair in the same minute.
        status.push(fleet(
            work.path(),
            &inventory,
            &["status"],
            concurrency,
            hosts,
        ));
        let conc = concurrency.to_string();
        py_status.push(timed(
            py.to_str().expect("python path"),
            &[
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("benches/pywinrm_status.py")
                    .as_os_str(),
                inventory.as_os_str(),
                OsStr::new(&conc),
                command.as_os_str(),
            ],
        ));
        let out = results.to_str().expect("utf-8 path");
        verify.push(fleet(
            work.path(),
            &inventory,
            &["verify", "--force", "--out", out],
            concurrency,
            hosts,
        ));
        apply.push(fleet(
            work.path(),
            &inventory,
            &["apply", "--profile", "powerstig"],
            concurrency,
            hosts,
        ));
    }
    drop(sim);
    let s = summary(
        &format!("stigpack fleet status, {hosts} hosts"),
        &status,
        hosts,
    );
    let p = summary(&format!("pywinrm status, {hosts} hosts"), &py_status, hosts);
    let v = summary(
        &format!("stigpack fleet verify, {hosts} hosts"),
        &verify,
        hosts,
    );
    let a = summary(
        &format!("stigpack fleet apply, {hosts} hosts"),
        &apply,
        hosts,
    );
    let ratios: Vec<f64> = status
        .iter()
        .zip(&py_status)
        .map(|(s, p)| p.wall_s / s.wall_s)
        .collect();
    println!(
        "  status + verify + apply: {:.1} s; throughput vs pywinrm (paired, median): {:.1}x (medians {:.1}x)",
        s + v + a,
        median(ratios),
        p / s
    );

    // Memory flat in host count beyond the concurrency: the same work on a smaller fleet.
    let (sim, inventory) = simulate(small, latency, work.path());
    let small_status: Vec<Timed> = (0..runs)
        .map(|_| fleet(work.path(), &inventory, &["status"], concurrency, small))
        .collect();
    let out = work.path().join("results-small");
    let small_verify: Vec<Timed> = (0..runs)
        .map(|_| {
            fleet(
                work.path(),
                &inventory,
                &[
                    "verify",
                    "--force",
                    "--out",
                    out.to_str().expect("utf-8 path"),
                ],
                concurrency,
                small,
            )
        })
        .collect();
    drop(sim);
    summary(
        &format!("stigpack fleet status, {small} hosts"),
        &small_status,
        small,
    );
    summary(
        &format!("stigpack fleet verify, {small} hosts"),
        &small_verify,
        small,
    );
}
