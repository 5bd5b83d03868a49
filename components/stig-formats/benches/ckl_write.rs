//! CKL (and CKLB) writing throughput, natively: 100 hosts x 800 rules of synthetic data
//! from `stig_formats::synth`, one file per benchmark as `export-ckl` writes them. The
//! sandboxed run of the same library over the same data gives the sandbox's cost.
//!
//! `cargo bench -p stig-formats --bench ckl_write` (optional args: hosts rules rounds)

use std::hint::black_box;
use std::time::{Duration, Instant};

use stig_formats::model::HostResults;
use stig_formats::{ckl, cklb, synth};

fn measure(name: &str, fleet: &[HostResults], rounds: usize, f: &dyn Fn(&HostResults) -> usize) {
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        bytes = 0;
        for h in fleet {
            bytes += f(h);
        }
        best = best.min(t.elapsed());
    }
    let secs = best.as_secs_f64();
    println!(
        "{name:<10} {:>4} hosts  {:>8.1} MB  best of {rounds}: {:>7.1} ms  {:>7.1} MB/s  {:>7.1} hosts/s",
        fleet.len(),
        bytes as f64 / 1e6,
        secs * 1e3,
        bytes as f64 / 1e6 / secs,
        fleet.len() as f64 / secs
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let hosts = args.first().copied().unwrap_or(100);
    let rules = args.get(1).copied().unwrap_or(800);
    let rounds = args.get(2).copied().unwrap_or(5);
    let t = Instant::now();
    let fleet: Vec<HostResults> = (0..hosts)
        .map(|i| synth::synthetic_host(&format!("HOST{i:04}"), rules, 42))
        .collect();
    println!(
        "generated {hosts} hosts x {rules} rules in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    measure("ckl write", &fleet, rounds, &|h| {
        h.checklists
            .iter()
            .map(|c| black_box(ckl::write_checklist(c, "stigpack :: bench")).len())
            .sum()
    });
    measure("cklb write", &fleet, rounds, &|h| {
        h.checklists
            .iter()
            .map(|c| black_box(cklb::write_checklist(c)).len())
            .sum()
    });
    // Reading back what was written: the import side of the same volume.
    let written: Vec<Vec<String>> = fleet
        .iter()
        .map(|h| {
            h.checklists
                .iter()
                .map(|c| ckl::write_checklist(c, "stigpack :: bench"))
                .collect()
        })
        .collect();
    let t = Instant::now();
    let mut bytes = 0;
    for files in &written {
        for f in files {
            bytes += f.len();
            black_box(
                ckl::read(f.as_bytes(), "bench.ckl")
                    .map(|c| c.stigs.len())
                    .unwrap_or(0),
            );
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "ckl read   {hosts:>4} hosts  {:>8.1} MB  single run: {:>7.1} ms  {:>7.1} MB/s  {:>7.1} hosts/s",
        bytes as f64 / 1e6,
        secs * 1e3,
        bytes as f64 / 1e6 / secs,
        hosts as f64 / secs
    );
}
