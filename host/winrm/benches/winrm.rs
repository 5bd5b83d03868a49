//! WinRM client benchmark against the simulator with injected latency per message, with
//! pywinrm doing the same work against the same simulator in the same run.
//!
//! `cargo bench -p stigpack-winrm --bench winrm` (env: BENCH_LATENCY_MS=20, BENCH_HOSTS=64,
//! BENCH_CONCURRENCY=64, BENCH_COMMANDS=50, BENCH_FILE_MB=64, BENCH_PYTHON=path).
//!
//! The simulator runs in a child process (this same binary, re-executed in serve mode) so
//! the peak memory reported is the client's alone. Measures: commands/s on one host (one
//! shell, sequential commands), a fleet of hosts running one command each (fresh
//! connection, NTLM handshake, shell, command, cleanup) at a given concurrency, MB/s of a
//! verified file pull, and peak RSS (VmHWM).

#![allow(clippy::unwrap_used)] // a benchmark harness: failing loudly is the point

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stigpack_winrm::{
    Auth, Client, ClientConfig, Credentials, Endpoint, Secret, Transport, TransportConfig,
};
use tokio::sync::Semaphore;

const FILE_PATH: &str = r"C:\STIG\Results\bench.bin";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
struct HostLine {
    name: String,
    endpoint: String,
    username: String,
    password: String,
}

/// Child mode: serve the simulated fleet until stdin closes.
fn serve() {
    let hosts = env_num("BENCH_HOSTS", 64) as usize;
    let latency = Duration::from_millis(env_num("BENCH_LATENCY_MS", 20));
    let file_len = env_num("BENCH_FILE_MB", 64) * 1024 * 1024;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = stigpack_winrm_sim::Simulator::start(stigpack_winrm_sim::FleetSpec {
            hosts,
            latency,
            ..Default::default()
        })
        .await
        .unwrap();
        sim.put_file(
            "host1",
            FILE_PATH,
            stigpack_winrm_sim::Content::Synthetic {
                len: file_len,
                seed: 7,
            },
        );
        let mut out = std::io::stdout().lock();
        for h in sim.hosts() {
            let line = HostLine {
                name: h.name.clone(),
                endpoint: h.endpoint.clone(),
                username: h.username.clone(),
                password: h.password.clone(),
            };
            writeln!(out, "{}", serde_json::to_string(&line).unwrap()).unwrap();
        }
        writeln!(out, "READY").unwrap();
        out.flush().unwrap();
        drop(out);
        // Serve until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            while std::io::stdin()
                .read_line(&mut s)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await
        .unwrap();
        sim.shutdown().await;
    });
}

fn client(h: &HostLine, cfg: ClientConfig) -> Client {
    let t = Transport::new(
        Endpoint::parse(&h.endpoint).unwrap(),
        Auth::Ntlm(Credentials::new(
            h.username.clone(),
            Secret::new(h.password.clone()),
        )),
        None,
        TransportConfig::default(),
    )
    .unwrap();
    Client::new(h.name.clone(), t, cfg)
}

fn vm_hwm_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

async fn fleet_run(hosts: &[HostLine], concurrency: usize) -> (usize, f64) {
    let sem = Arc::new(Semaphore::new(concurrency));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for h in hosts {
        let (h, sem) = (h.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire_owned().await.unwrap();
            let c = client(&h, ClientConfig::default());
            let out = c.run_command("hostname", &[]).await.unwrap();
            assert_eq!(out.exit_code, 0);
            assert_eq!(out.stdout_text().trim(), h.name);
        }));
    }
    let mut n = 0;
    for t in tasks {
        t.await.unwrap();
        n += 1;
    }
    (n, t0.elapsed().as_secs_f64())
}

fn main() {
    if std::env::var_os("STIGPACK_BENCH_SIM_SERVE").is_some() {
        serve();
        return;
    }
    let latency = env_num("BENCH_LATENCY_MS", 20);
    let n_hosts = env_num("BENCH_HOSTS", 64);
    let concurrency = env_num("BENCH_CONCURRENCY", 64) as usize;
    let commands = env_num("BENCH_COMMANDS", 50) as usize;
    let file_mb = env_num("BENCH_FILE_MB", 64);
    let chunk = 4 * 1024 * 1024u64;

    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("STIGPACK_BENCH_SIM_SERVE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut hosts: Vec<HostLine> = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "simulator exited");
        if line.trim() == "READY" {
            break;
        }
        hosts.push(serde_json::from_str(&line).unwrap());
    }
    println!(
        "WinRM benchmark: simulator with {latency} ms latency per message, {} hosts, NTLM over HTTP with message encryption",
        hosts.len()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let ours = rt.block_on(async {
        // 1. Commands/s on one host, one shell.
        let c = client(&hosts[0], ClientConfig::default());
        let shell = c.open_shell().await.unwrap();
        shell.command("hostname", &[], None).await.unwrap();
        let t0 = Instant::now();
        for _ in 0..commands {
            let out = shell.command("hostname", &[], None).await.unwrap();
            assert_eq!(out.stdout_text().trim(), hosts[0].name);
        }
        let cps = commands as f64 / t0.elapsed().as_secs_f64();
        shell.close().await.unwrap();

        // 2. Fleet: median of 3 runs (fresh clients and connections each time).
        let mut runs = Vec::new();
        for _ in 0..3 {
            runs.push(fleet_run(&hosts, concurrency).await);
        }
        runs.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (n, secs) = runs[1];

        // 3. File pull, default and large envelopes.
        let mut pulls = Vec::new();
        for envelope in [153_600u32, 512_000] {
            let cfg = ClientConfig {
                max_envelope_size: envelope,
                chunk_size: chunk,
                ..ClientConfig::default()
            };
            let c = client(&hosts[0], cfg);
            let dir = tempfile::tempdir().unwrap();
            let t0 = Instant::now();
            let p = c
                .pull_file(FILE_PATH, &dir.path().join("bench.bin"))
                .await
                .unwrap();
            let mbps = p.size as f64 / t0.elapsed().as_secs_f64() / 1e6;
            pulls.push((envelope, mbps, p.sha256));
        }
        (cps, n, secs, pulls)
    });
    let (cps, n, secs, pulls) = ours;
    let rss = vm_hwm_mib();

    println!("stigpack-winrm:");
    println!("  commands/s, one host, one shell:        {cps:>8.1}");
    println!(
        "  fleet, {n} hosts x 1 command, concurrency {concurrency} (median of 3): {secs:>6.2} s = {:>7.1} hosts/s",
        n as f64 / secs
    );
    for (env, mbps, _) in &pulls {
        println!(
            "  file pull {file_mb} MiB, MaxEnvelopeSize {env}: {mbps:>7.1} MB/s (verified SHA-256)"
        );
    }
    println!("  peak RSS (VmHWM):                       {rss:>8.1} MiB");

    // pywinrm, same simulator, same run.
    let py = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python").to_string()
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pywinrm_bench.py");
    let hosts_file = tempfile::NamedTempFile::new().unwrap();
    for h in &hosts {
        writeln!(
            hosts_file.as_file(),
            "{}",
            serde_json::to_string(h).unwrap()
        )
        .unwrap();
    }
    let out = Command::new(&py)
        .arg(script)
        .arg(hosts_file.path())
        .arg(concurrency.to_string())
        .arg(commands.to_string())
        .arg(FILE_PATH)
        .arg((file_mb * 1024 * 1024).to_string())
        .arg(chunk.to_string())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            assert_eq!(
                v["pull_sha256"].as_str().unwrap_or_default(),
                pulls[0].2,
                "both clients pulled the same bytes"
            );
            println!("pywinrm (same simulator, same run):");
            println!(
                "  commands/s, one host, one shell:        {:>8.1}",
                f("commands_per_s")
            );
            println!(
                "  fleet, {} hosts x 1 command, concurrency {concurrency} (median of 3): {:>6.2} s = {:>7.1} hosts/s",
                f("fleet_hosts"),
                f("fleet_seconds"),
                f("fleet_hosts_per_s")
            );
            println!(
                "  file pull {file_mb} MiB, MaxEnvelopeSize 153600: {:>7.1} MB/s",
                f("pull_mb_per_s")
            );
            println!(
                "  peak RSS (ru_maxrss):                   {:>8.1} MiB",
                f("peak_rss_mib")
            );
            println!("ratios (stigpack / pywinrm):");
            println!("  commands/s: {:.2}x", cps / f("commands_per_s"));
            println!(
                "  fleet throughput: {:.2}x",
                (n as f64 / secs) / f("fleet_hosts_per_s")
            );
            println!(
                "  file pull (same envelope): {:.2}x",
                pulls[0].1 / f("pull_mb_per_s")
            );
        }
        Ok(o) => {
            eprintln!(
                "pywinrm run failed:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("skipping pywinrm comparison: cannot run {py}: {e}");
            if std::env::var("CI").as_deref() == Ok("true") {
                std::process::exit(1);
            }
        }
    }
    drop(child.stdin.take());
    let _ = child.wait();
    let _ = n_hosts;
}
