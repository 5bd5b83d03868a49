//! Compressed (read-gzip) against plain (read-chunk) pulls of real checklists, to measure
//! what compression buys when a pull is bound by WinRM envelopes (issue 13's target: 5x).
//!
//! `cargo bench -p stigpack-winrm --bench pull` (env: BENCH_LATENCY_MS=20,
//! BENCH_ROUNDS=3, STIGPACK_SHARED_DIR=/path/to/shared).
//!
//! The simulator runs in this process with a fixed latency added to every HTTP message
//! and the client's default MaxEnvelopeSize (153600); NTLM over HTTP with message
//! encryption. Each set of real checklists (from the shared samples) is put on the
//! simulated host and pulled plain and compressed in alternation, two ways: end to end
//! (`Client::pull_tree` in a fresh client: connect, authenticate, shell, list, pull every
//! file verified against its SHA-256, delete the shell) and the transfer alone
//! (`Shell::pull_entries` in an open shell with the listing done: one read command per
//! file plus its Signal, where compression acts). Medians of the rounds are reported, with
//! the Receives each needed and the ratios of the throughputs.

#![allow(clippy::unwrap_used)] // a benchmark harness: failing loudly is the point

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stigpack_winrm::{
    Auth, Client, ClientConfig, Credentials, Endpoint, Secret, Transfer, Transport, TransportConfig,
};
use stigpack_winrm_sim::{Content, FleetSpec, HostInfo, Simulator};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn client(h: &HostInfo, compress: bool) -> Client {
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
    Client::new(
        h.name.clone(),
        t,
        ClientConfig {
            compress_pulls: compress,
            ..ClientConfig::default()
        },
    )
}

fn main() {
    let latency = env_num("BENCH_LATENCY_MS", 20);
    let rounds = env_num("BENCH_ROUNDS", 3).max(1) as usize;
    let shared = std::env::var_os("STIGPACK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let big: Vec<&str> = [
        "samples/ckl/win10.ckl",
        "samples/ckl/stigman_STIG-Manager-OSS.ckl",
    ]
    .repeat(4);
    let sets: [(&str, &[&str]); 3] = [
        (
            "Evaluate-STIG-size CKLs (win10, STIG-Manager)",
            &[
                "samples/ckl/win10.ckl",
                "samples/ckl/stigman_STIG-Manager-OSS.ckl",
            ],
        ),
        (
            "every sample checklist >= 100 KB (7 files)",
            &[
                "samples/ckl/win10.ckl",
                "samples/ckl/stigman_STIG-Manager-OSS.ckl",
                "samples/ckl/CA1294WK16078_COMBINED_20231211-125650-trimmed.ckl",
                "samples/ckl/CA1294WK16078_Chrome_V2R8_20231211-125631.ckl",
                "samples/ckl/sqlserver2014database.ckl",
                "samples/ckl/multifunction-device.ckl",
                "samples/cklb/evalstig_XO1_XO_GPOS_Debian12_V3R2.cklb",
            ],
        ),
        (
            "a results folder of 8 Evaluate-STIG-size CKLs (the two above, 4 copies each)",
            &big,
        ),
    ];
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = Simulator::start(FleetSpec {
            hosts: 1,
            latency: Duration::from_millis(latency),
            ..Default::default()
        })
        .await
        .unwrap();
        let host = sim.hosts()[0].clone();
        println!(
            "pull benchmark: in-process simulator, {latency} ms per HTTP message, MaxEnvelopeSize {}, NTLM over HTTP with message encryption, median of {rounds}",
            ClientConfig::default().max_envelope_size
        );
        for (i, (label, files)) in sets.iter().enumerate() {
            let dir = format!(r"C:\STIG\Bench{i}");
            let mut total = 0u64;
            for (j, rel) in files.iter().enumerate() {
                let p = shared.join(rel);
                let bytes = std::fs::read(&p)
                    .unwrap_or_else(|e| panic!("{}: {e} (set STIGPACK_SHARED_DIR)", p.display()));
                total += bytes.len() as u64;
                let name = format!("{j}_{}", p.file_name().unwrap().to_string_lossy());
                sim.put_file(
                    "host1",
                    &format!(r"{dir}\{name}"),
                    Content::Bytes(Arc::new(bytes)),
                );
            }
            // [plain, gzip] x [end to end, transfer only]
            let mut times = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
            let mut receives = [[0u64; 2]; 2];
            let mut wire = [0u64; 2];
            let mut sums: [Vec<String>; 2] = [Vec::new(), Vec::new()];
            for _ in 0..rounds {
                for (k, compress) in [false, true].into_iter().enumerate() {
                    let want = if compress {
                        Transfer::Gzip
                    } else {
                        Transfer::Plain
                    };
                    let out = tempfile::tempdir().unwrap();
                    let c = client(&host, compress);
                    let before = sim.stats("host1").unwrap().receives;
                    let t0 = Instant::now();
                    let pulled = c.pull_tree(&dir, out.path()).await.unwrap();
                    times[k][0].push(t0.elapsed().as_secs_f64());
                    receives[k][0] = sim.stats("host1").unwrap().receives - before;
                    wire[k] = pulled.iter().map(|p| p.wire_bytes).sum();
                    assert!(pulled.iter().all(|p| p.transfer == want));
                    sums[k] = pulled.iter().map(|p| p.sha256.clone()).collect();

                    let out = tempfile::tempdir().unwrap();
                    let (secs, n) = c
                        .with_shell(async |s: &stigpack_winrm::Shell| {
                            let entries = s.list_tree(&dir).await?;
                            let before = sim.stats("host1").unwrap().receives;
                            let t0 = Instant::now();
                            let pulled = s.pull_entries(&dir, entries, out.path()).await?;
                            let secs = t0.elapsed().as_secs_f64();
                            assert!(pulled.iter().all(|p| p.transfer == want));
                            Ok((secs, sim.stats("host1").unwrap().receives - before))
                        })
                        .await
                        .unwrap();
                    times[k][1].push(secs);
                    receives[k][1] = n;
                }
            }
            assert_eq!(sums[0], sums[1], "both pulls verified the same bytes");
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let mbps = |s: f64| total as f64 / s / 1e6;
            println!(
                "{label}: {} files, {:.2} MB; payload sent {} plain, {} gzip",
                files.len(),
                total as f64 / 1e6,
                wire[0],
                wire[1]
            );
            for (m, what) in ["end to end (pull_tree)", "transfer (pull_entries)"]
                .iter()
                .enumerate()
            {
                let plain = median(&mut times[0][m]);
                let gz = median(&mut times[1][m]);
                println!(
                    "  {what:<24} plain {plain:>6.3} s = {:>6.2} MB/s ({:>3} Receives) | gzip {gz:>6.3} s = {:>6.2} MB/s ({:>2} Receives) | ratio {:.2}x",
                    mbps(plain),
                    receives[0][m],
                    mbps(gz),
                    receives[1][m],
                    plain / gz
                );
            }
        }
        sim.shutdown().await;
    });
}
