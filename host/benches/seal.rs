//! Benchmark: `stigpack seal` and `stigpack verify` of an exported package (default the
//! 1,000 hosts x 800 rules fleet, about 7 GB) against what an assessor would do with
//! public tools on the same tree: `tar czf` + `sha256sum` of every file (the seal's
//! floor), and `tar xzf` + `sha256sum -c` (the verify's floor). Runs in pairs, A then B,
//! each pair's ratio taken from the same minute of the machine; prints each run's wall
//! time and peak memory (max RSS from `/usr/bin/time`) and the median ratios.
//!
//! `cargo bench -p stigpack --bench seal` (release profile); `STIGPACK_BENCH_HOSTS` /
//! `STIGPACK_BENCH_RULES` change the fleet, `STIGPACK_BENCH_PAIRS` the number of counted
//! pairs (3), `STIGPACK_BENCH_WARMUP` the uncounted ones first (1). Peak memory at two
//! fleet sizes shows whether it is flat in package size.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{median, timed, Timed, BIN, EXPORTED_AT};

/// The package to seal, exported once per fleet size (a marker says it finished).
fn package(base: &Path, results: &Path) -> PathBuf {
    let out = base.join("seal-pkg");
    if !base.join("seal-pkg.done").exists() {
        let _ = std::fs::remove_dir_all(&out);
        let st = Command::new(BIN)
            .arg("export-emass")
            .arg("--cache-dir")
            .arg(base.join("cache"))
            .args(["--exported-at", EXPORTED_AT, "--results"])
            .arg(results)
            .arg("--out")
            .arg(&out)
            .status()
            .expect("run stigpack export-emass");
        assert!(st.success(), "export-emass failed");
        std::fs::write(base.join("seal-pkg.done"), "").expect("marker");
    }
    std::fs::read_dir(&out)
        .expect("export output")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .expect("one package folder")
}

fn key(base: &Path) -> PathBuf {
    let key = base.join("bench-key");
    if !key.exists() {
        let st = Command::new(BIN)
            .args(["key", "generate", "--out"])
            .arg(&key)
            .status()
            .expect("stigpack key generate");
        assert!(st.success());
    }
    key
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn sh(script: &str) -> Timed {
    timed("sh", &[os("-c"), os(script)])
}

fn report(what: &str, a: &[Timed], b: &[Timed]) {
    println!("{what}:");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        println!(
            "  pair {i}: stigpack {:.2} s {:.0} MiB | floor {:.2} s {:.0} MiB | ratio {:.2}x",
            x.wall_s,
            x.peak_mib,
            y.wall_s,
            y.peak_mib,
            x.wall_s / y.wall_s
        );
    }
    let ratios = a.iter().zip(b).map(|(x, y)| x.wall_s / y.wall_s).collect();
    println!(
        "  median: stigpack {:.2} s, floor {:.2} s, ratio {:.2}x; peak RSS stigpack {:.0} MiB (max)",
        median(a.iter().map(|t| t.wall_s).collect()),
        median(b.iter().map(|t| t.wall_s).collect()),
        median(ratios),
        a.iter().map(|t| t.peak_mib).fold(0.0, f64::max)
    );
}

fn main() {
    let (hosts, rules) = common::fleet_size();
    let pairs = common::env_usize("STIGPACK_BENCH_PAIRS", 3).max(1);
    let base = common::base_dir(hosts, rules);
    let results = common::fleet(hosts, rules);
    let pkg = package(&base, &results);
    let key = key(&base);
    let public = PathBuf::from(format!("{}.pub", key.display()));
    let parent = pkg.parent().expect("package parent").display().to_string();
    let name = pkg
        .file_name()
        .and_then(|n| n.to_str())
        .expect("package name")
        .to_owned();
    let sealed = base.join("bench.tar.gz");
    let floor_tgz = base.join("floor.tar.gz");
    let floor_sums = base.join("floor.sums");
    let extract = base.join("floor-x");

    // The floor's commands, run by sh so each is one process tree under /usr/bin/time.
    let floor_seal = format!(
        "cd '{parent}' && tar czf '{}' '{name}' && find '{name}' -type f -print0 | xargs -0 sha256sum > '{}'",
        floor_tgz.display(),
        floor_sums.display()
    );
    let floor_verify = format!(
        "rm -rf '{x}' && mkdir '{x}' && tar xzf '{}' -C '{x}' && cd '{x}' && sha256sum -c --quiet '{}' && cd / && rm -rf '{x}'",
        floor_tgz.display(),
        floor_sums.display(),
        x = extract.display()
    );
    let seal_args = [
        os("seal"),
        pkg.as_os_str(),
        os("--sign-key"),
        key.as_os_str(),
        os("--out"),
        sealed.as_os_str(),
        os("--force"),
    ];
    let verify_args = [
        os("verify"),
        sealed.as_os_str(),
        os("--trusted-key"),
        public.as_os_str(),
    ];

    // Pairs not counted first (`STIGPACK_BENCH_WARMUP`, 1): the page cache settles.
    for _ in 0..common::env_usize("STIGPACK_BENCH_WARMUP", 1) {
        timed(BIN, &seal_args);
        sh(&floor_seal);
    }
    // Each run is printed as it ends: at 7 GB a pair takes minutes.
    let run = |what: &str, t: Timed| {
        eprintln!("  {what}: {:.2} s, {:.0} MiB", t.wall_s, t.peak_mib);
        t
    };
    let (mut sa, mut sb, mut va, mut vb) = (vec![], vec![], vec![], vec![]);
    for _ in 0..pairs {
        sa.push(run("seal", timed(BIN, &seal_args)));
        sb.push(run("tar czf + sha256sum", sh(&floor_seal)));
        va.push(run("verify", timed(BIN, &verify_args)));
        vb.push(run("tar xzf + sha256sum -c", sh(&floor_verify)));
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!("seal/verify benchmark: {hosts} hosts x {rules} rules, {pairs} pairs");
    println!(
        "  package {name}; sealed {:.1} MB, tar czf {:.1} MB",
        size(&sealed),
        size(&floor_tgz)
    );
    report("seal vs tar czf + sha256sum", &sa, &sb);
    report("verify vs tar xzf + sha256sum -c", &va, &vb);
}
