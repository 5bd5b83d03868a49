//! Audit log figures for docs/performance.md: durable append rate, verify time for a
//! million entries against the SHA-256 floor (`openssl dgst -sha256` of the same file),
//! and checkpoint / proof times at that size.
//!
//! Run: `cargo bench -p stigpack-audit --bench audit`
//! Env: `AUDIT_BENCH_ENTRIES` (default 1000000), `AUDIT_BENCH_APPENDS` (default 2000),
//! `AUDIT_BENCH_DIR` (default: a temp dir under the cargo target dir, i.e. a real disk,
//! not tmpfs, so fsync costs what it costs).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use stigpack_audit::{verify, AuditLog, Outcome};

fn env_u64(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn bench_dir() -> tempfile::TempDir {
    let base = std::env::var_os("AUDIT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target"))
        });
    std::fs::create_dir_all(&base).expect("bench dir");
    tempfile::tempdir_in(base).expect("temp dir")
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("at least one run"))
}

/// (own CPU, waited-for children's CPU) in seconds, from /proc/self/stat (Linux only):
/// on a shared machine the wall-clock ratio swings with load, the CPU ratio does not.
fn cpu_times() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<f64> = rest.split(' ').filter_map(|x| x.parse().ok()).collect();
    // Fields after the command: state is skipped by the parse; utime is field 14 overall.
    let tick = 100.0;
    Some((
        (f.get(10)? + f.get(11)?) / tick,
        (f.get(12)? + f.get(13)?) / tick,
    ))
}

fn openssl_sha256(path: &Path) -> Option<Duration> {
    let (d, ok) = best_of(3, || {
        Command::new("openssl")
            .args(["dgst", "-sha256"])
            .arg(path)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    });
    ok.then_some(d)
}

fn main() {
    let entries = env_u64("AUDIT_BENCH_ENTRIES", 1_000_000);
    let appends = env_u64("AUDIT_BENCH_APPENDS", 2000);
    let dir = bench_dir();
    println!(
        "## stigpack-audit bench ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // 1. Durable appends (lock + read tail + mask + JCS + write + fsync + index).
    let log_path = dir.path().join("append.jsonl");
    let log = AuditLog::open(&log_path).expect("open");
    let t = Instant::now();
    for i in 0..appends {
        log.record(
            "export-ckl",
            &format!("/srv/pkg/host-{i}.ckl"),
            Outcome::Success,
            json!({"rules": 412, "open": i % 17, "package_sha256": format!("{:064x}", i)}),
        )
        .expect("append");
    }
    let el = t.elapsed();
    println!(
        "append (durable, fsync each): {appends} entries in {:.3} s = {:.0} entries/s ({:.2} ms each)",
        el.as_secs_f64(),
        appends as f64 / el.as_secs_f64(),
        el.as_secs_f64() * 1000.0 / appends as f64
    );
    drop(log);

    // 2. A large log, written directly (valid chain, canonical lines).
    let big = dir.path().join("big.jsonl");
    let t = Instant::now();
    {
        let mut f = std::io::BufWriter::with_capacity(
            8 << 20,
            std::fs::File::create(&big).expect("create"),
        );
        let mut w = stigpack_audit::testing::LineWriter::default();
        let mut buf = Vec::with_capacity(1 << 20);
        for _ in 0..entries {
            w.push_synthetic(&mut buf);
            if buf.len() > (1 << 20) - 1024 {
                f.write_all(&buf).expect("write");
                buf.clear();
            }
        }
        f.write_all(&buf).expect("write");
        f.flush().expect("flush");
    }
    let size = std::fs::metadata(&big).expect("stat").len();
    println!(
        "generated {entries} entries, {:.1} MB ({:.0} bytes/entry) in {:.1} s",
        size as f64 / 1e6,
        size as f64 / entries as f64,
        t.elapsed().as_secs_f64()
    );

    // 3. verify vs the SHA-256 floor (file in page cache for both: warm it first).
    let _ = std::fs::read(&big);
    let cpu0 = cpu_times();
    let (vt, report) = best_of(3, || verify(&big, None, None).expect("verify"));
    let cpu1 = cpu_times();
    assert!(
        report.ok && report.entries == entries,
        "{:?}",
        report.failures
    );
    println!(
        "verify: {entries} entries in {:.3} s ({:.0} MB/s, best of 3)",
        vt.as_secs_f64(),
        size as f64 / 1e6 / vt.as_secs_f64()
    );
    let ossl = openssl_sha256(&big);
    let cpu2 = cpu_times();
    match ossl {
        Some(ot) => println!(
            "openssl dgst -sha256 of the same file: {:.3} s (best of 3); verify / openssl = {:.2}x (wall clock)",
            ot.as_secs_f64(),
            vt.as_secs_f64() / ot.as_secs_f64()
        ),
        None => println!("openssl dgst -sha256: not available, ratio not measured"),
    }
    if let (Some(a), Some(b), Some(c), Some(_)) = (cpu0, cpu1, cpu2, ossl) {
        let verify_cpu = (b.0 - a.0) / 3.0;
        let openssl_cpu = (c.1 - b.1) / 3.0;
        println!(
            "CPU time per run: verify {verify_cpu:.3} s (all threads), openssl {openssl_cpu:.3} s; ratio {:.2}x \
             (verify spreads it over {} threads)",
            verify_cpu / openssl_cpu.max(0.001),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }

    // 4. Checkpoint and proofs at this size, from the tree index.
    let log = AuditLog::open(&big).expect("open big");
    let t = Instant::now();
    let cp = log.checkpoint("bench/log").expect("checkpoint");
    println!(
        "tree index build (once per log, from scratch): {:.3} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(report.root, Some(hex::encode(cp.root)));
    let runs = 200u32;
    let t = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(log.checkpoint("bench/log").expect("checkpoint"));
    }
    println!(
        "checkpoint at {entries}: {:.3} ms",
        t.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    );
    let t = Instant::now();
    let mut seq = 12345u64;
    for _ in 0..runs {
        seq = (seq * 6364136223846793005 + 1442695040888963407) % entries;
        let p = log.inclusion_proof(seq).expect("proof");
        assert!(p.verify());
    }
    println!(
        "inclusion proof (generate + verify) at {entries}: {:.3} ms",
        t.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    );
    let t = Instant::now();
    for i in 0..runs {
        let p = log
            .consistency_proof(entries / 3 + u64::from(i))
            .expect("proof");
        assert!(p.verify());
    }
    println!(
        "consistency proof (generate + verify) at {entries}: {:.3} ms",
        t.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    );
}
