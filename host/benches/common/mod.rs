//! What the whole-process benchmarks share: the synthetic fleet (generated once under the
//! target directory, reused by every bench and run), the file walks, and `/usr/bin/time`
//! as the one source of wall time and peak memory, so the figures are the operating
//! system's own accounting of a finished process.

#![allow(dead_code)] // each bench uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

pub const BIN: &str = env!("CARGO_BIN_EXE_stigpack");
/// Every bench exports at the same instant, so packages compare across runs.
pub const EXPORTED_AT: &str = "2026-11-22T20:00:00Z";

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The fleet size from `STIGPACK_BENCH_HOSTS` / `STIGPACK_BENCH_RULES` (1,000 x 800).
pub fn fleet_size() -> (usize, usize) {
    (
        env_usize("STIGPACK_BENCH_HOSTS", 1000),
        env_usize("STIGPACK_BENCH_RULES", 800),
    )
}

/// The bench's working folder for this fleet size.
pub fn base_dir(hosts: usize, rules: usize) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("emass-bench-{hosts}x{rules}"))
}

/// The generated results tree (one folder per host), made once: a marker file says the
/// generation finished, so an interrupted one is redone rather than trusted.
pub fn fleet(hosts: usize, rules: usize) -> PathBuf {
    let base = base_dir(hosts, rules);
    let results = base.join("results");
    if !base.join("results.done").exists() {
        let _ = std::fs::remove_dir_all(&results);
        let t = Instant::now();
        let st = Command::new(BIN)
            .args(["dev-gen-fleet", "--hosts", &hosts.to_string()])
            .args(["--rules", &rules.to_string(), "--out"])
            .arg(&results)
            .status()
            .expect("run stigpack dev-gen-fleet");
        assert!(st.success());
        std::fs::write(base.join("results.done"), "").expect("marker");
        eprintln!("generated fleet in {:.1} s", t.elapsed().as_secs_f64());
    }
    results
}

pub fn files(root: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let p = e.map(|e| e.path()).unwrap_or_default();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

pub fn total_bytes(paths: &[PathBuf]) -> u64 {
    paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// One finished process as `/usr/bin/time` saw it.
pub struct Timed {
    pub wall_s: f64,
    pub peak_mib: f64,
    pub output: Output,
}

/// Runs `cmd` under `/usr/bin/time -f '%e %M'` and panics (with its stderr) unless it
/// succeeds: a benchmark of a failing command measures nothing.
pub fn timed(program: &str, args: &[&std::ffi::OsStr]) -> Timed {
    let o = Command::new("/usr/bin/time")
        .args(["-f", "@@time %e %M"])
        .arg(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("/usr/bin/time {program}: {e}"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{program} failed: {stderr}");
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("@@time "))
        .unwrap_or_else(|| panic!("no /usr/bin/time line in: {stderr}"));
    let mut it = line.split_whitespace().skip(1);
    let wall_s = it.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let peak_kib: f64 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    Timed {
        wall_s,
        peak_mib: peak_kib / 1024.0,
        output: o,
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}
