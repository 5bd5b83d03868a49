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
    // `ckl::read` (the fast scanner, as the import component runs it) and the reference
    // reader it falls back to, on the same files.
    for (name, reader) in [
        (
            "ckl read",
            ckl::read as fn(&[u8], &str) -> stig_formats::Result<_>,
        ),
        ("ckl ref", ckl::read_reference),
    ] {
        let t = Instant::now();
        let mut bytes = 0;
        for files in &written {
            for f in files {
                bytes += f.len();
                black_box(
                    reader(f.as_bytes(), "bench.ckl")
                        .map(|c| c.stigs.len())
                        .unwrap_or(0),
                );
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{name:<10} {hosts:>4} hosts  {:>8.1} MB  single run: {:>7.1} ms  {:>7.1} MB/s  {:>7.1} hosts/s",
            bytes as f64 / 1e6,
            secs * 1e3,
            bytes as f64 / 1e6 / secs,
            hosts as f64 / secs
        );
    }

    // The rest of the package pipeline, stage by stage: the canonical model file
    // between components (written by `import`, read by `checklist` and `emass`), the
    // per-control fold and the package artifacts (the `emass` component's work).
    let timed = |name: &str, bytes: usize, secs: f64| {
        println!(
            "{name:<10} {hosts:>4} hosts  {:>8.1} MB  single run: {:>7.1} ms  {:>7.1} MB/s",
            bytes as f64 / 1e6,
            secs * 1e3,
            bytes as f64 / 1e6 / secs,
        )
    };
    let t = Instant::now();
    let models: Vec<Vec<u8>> = fleet
        .iter()
        .map(|h| stig_formats::model_file::encode(h).unwrap_or_default())
        .collect();
    let model_bytes: usize = models.iter().map(Vec::len).sum();
    timed("model enc", model_bytes, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let decoded: Vec<HostResults> = models
        .iter()
        .filter_map(|m| stig_formats::model_file::decode("bench", m).ok())
        .collect();
    timed("model dec", model_bytes, t.elapsed().as_secs_f64());
    assert_eq!(decoded.len(), fleet.len());
    let t = Instant::now();
    let mut builder = stig_formats::control_view::FleetBuilder::new();
    for h in &decoded {
        let _ = builder.add_host(h);
    }
    let view = builder.finish();
    timed("fold", model_bytes, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let opts = stig_formats::package_artifacts::ArtifactOptions {
        system: "Bench".into(),
        layout: stig_formats::poam::layout::Layout::builtin("emass_joint")
            .unwrap_or_else(|e| panic!("{e}")),
        poam: stig_formats::poam::PoamOptions {
            exported_at: 1_736_944_496,
            ..Default::default()
        },
        unreadable: Vec::new(),
    };
    let mut out_bytes = 0;
    // Each artifact's share: the time since the previous one was emitted.
    let mut last = Instant::now();
    let mut shares = Vec::new();
    let _ = stig_formats::package_artifacts::build_each(
        &view,
        &stig_formats::evidence::Evidence::default(),
        &[],
        &opts,
        &mut |path, text| {
            out_bytes += text.len();
            shares.push((path.to_owned(), last.elapsed().as_secs_f64() * 1e3));
            last = Instant::now();
        },
    );
    timed("artifacts", out_bytes, t.elapsed().as_secs_f64());
    // The first file's share includes the derivations every artifact shares.
    let t = Instant::now();
    let att = stig_formats::attest::generate(&view, None);
    let t_att = t.elapsed();
    let poam = stig_formats::poam::build(&view, Some(&att), &opts.poam);
    let t_poam = t.elapsed() - t_att;
    let _ = stig_formats::readiness::compute(
        &view,
        &poam,
        &att,
        &stig_formats::evidence::Evidence::default(),
    );
    let t_ready = t.elapsed() - t_att - t_poam;
    println!(
        "  (attestations {:.1} ms, POA&M {:.1} ms, readiness {:.1} ms)",
        t_att.as_secs_f64() * 1e3,
        t_poam.as_secs_f64() * 1e3,
        t_ready.as_secs_f64() * 1e3
    );
    for (path, ms) in shares {
        println!("  {path:<45} {ms:>8.1} ms");
    }
}
