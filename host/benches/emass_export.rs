//! Benchmark: full `stigpack export-emass` over a synthetic fleet (default 1,000 hosts x
//! 800 rules), against the floor of reading the inputs and SHA-256-hashing the outputs
//! with `openssl dgst -sha256` (SHA-NI). Reports wall time, peak memory (max RSS of the
//! stigpack process, which hosts the sandbox) and the ratio to the floor.
//!
//! `cargo bench -p stigpack --bench emass_export` (release profile);
//! `STIGPACK_BENCH_HOSTS` / `STIGPACK_BENCH_RULES` change the fleet size.

mod common;

use std::process::Command;
use std::time::Instant;

use common::{files, total_bytes, BIN, EXPORTED_AT};

fn main() {
    // Ignore libtest-style arguments cargo passes (e.g. --bench).
    let (hosts, rules) = common::fleet_size();
    let base = common::base_dir(hosts, rules);
    let results = common::fleet(hosts, rules);
    let cache = base.join("cache");
    let mut inputs = Vec::new();
    files(&results, &mut inputs);
    let input_bytes = total_bytes(&inputs);

    // Warm the compiled-component cache (first-use compilation is not export work).
    let warm = base.join("warm");
    let _ = std::fs::remove_dir_all(&warm);
    let one = base.join("one");
    if !one.exists() {
        let first = std::fs::read_dir(&results)
            .expect("results")
            .next()
            .expect("a host")
            .expect("entry")
            .path();
        let dst = one.join(first.file_name().expect("name"));
        std::fs::create_dir_all(&dst).expect("mkdir");
        for f in std::fs::read_dir(&first).expect("host dir") {
            let f = f.expect("entry").path();
            std::fs::copy(&f, dst.join(f.file_name().expect("name"))).expect("copy");
        }
    }
    let st = Command::new(BIN)
        .arg("export-emass")
        .arg("--cache-dir")
        .arg(&cache)
        .args(["--exported-at", EXPORTED_AT, "--results"])
        .arg(&one)
        .arg("--out")
        .arg(&warm)
        .status()
        .expect("warm-up");
    assert!(st.success());

    let out = base.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let t = Instant::now();
    let o = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(BIN)
        .arg("export-emass")
        .arg("--cache-dir")
        .arg(&cache)
        .args(["--exported-at", EXPORTED_AT, "--results"])
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run /usr/bin/time stigpack export-emass");
    let wall = t.elapsed().as_secs_f64();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let peak_kib: u64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);

    let mut outputs = Vec::new();
    files(&out, &mut outputs);
    let output_bytes = total_bytes(&outputs);

    // Floor: read every input once, hash every output once with openssl (SHA-NI).
    let t = Instant::now();
    for p in &inputs {
        let _ = std::fs::read(p).expect("read input");
    }
    for chunk in outputs.chunks(500) {
        let st = Command::new("openssl")
            .args(["dgst", "-sha256"])
            .args(chunk)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(st.success());
    }
    let floor = t.elapsed().as_secs_f64();

    println!("eMASS export benchmark: {hosts} hosts x {rules} rules");
    println!(
        "  inputs:  {} files, {:.1} MB",
        inputs.len(),
        input_bytes as f64 / 1e6
    );
    println!(
        "  outputs: {} files, {:.1} MB",
        outputs.len(),
        output_bytes as f64 / 1e6
    );
    println!("  export-emass wall time: {wall:.2} s");
    println!(
        "  peak memory (max RSS):  {:.0} MiB",
        peak_kib as f64 / 1024.0
    );
    println!("  floor (read inputs + openssl dgst -sha256 outputs): {floor:.2} s");
    println!(
        "  ratio to floor: {:.1}x (target <= 3x); peak memory target < 1024 MiB",
        wall / floor
    );
}
