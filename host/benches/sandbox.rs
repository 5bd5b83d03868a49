//! What the sandbox costs. Run: `cargo bench -p stigpack --bench sandbox`.
//!
//! 1. Component start: compile (no cache), load from the on-disk cache, instantiate+run.
//! 2. CKL writing for 100 hosts x 800 rules: the `checklist` component in the sandbox vs
//!    the same library compiled natively doing the same work (read each host's model
//!    file, write each host's CKL to a file). The ratio is the sandbox's cost; the same
//!    component on engines with fuel, epochs or both turned off says what metering costs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use stigpack::sandbox::{ComponentSource, Limits, LoadedComponent, RunRequest, Sandbox};

const HOSTS: usize = 100;
const RULES: usize = 800;
const REPEAT: usize = 3;
/// Rounds of the throughput comparison (env `SANDBOX_BENCH_ROUNDS`).
const ROUNDS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let at = time::macros::datetime!(2026-11-22 20:00:00 UTC);
    // `SANDBOX_BENCH_DIR=/dev/shm` keeps the file system out of the comparison: on this
    // shared machine the kernel's cost of taking 0.5 GB into the page cache of a disk
    // swings by a second between runs, for both sides alike.
    let work = match std::env::var_os("SANDBOX_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("tempdir");

    // --- 1. start-up --------------------------------------------------------------
    let src = ComponentSource::builtin("checklist").expect("built-in checklist");
    let mut compile = Vec::new();
    for _ in 0..REPEAT {
        let sb = Sandbox::new(None).expect("engine");
        let t = Instant::now();
        sb.load(&src).expect("load");
        compile.push(t.elapsed());
    }
    let cache = work.path().join("cache");
    let sb = Sandbox::new(Some(cache)).expect("engine");
    sb.load(&src).expect("prime cache");
    let mut cached = Vec::new();
    for _ in 0..REPEAT * 3 {
        let t = Instant::now();
        let c = sb.load(&src).expect("load");
        assert!(c.from_cache);
        cached.push(t.elapsed());
    }
    let loaded = sb.load(&src).expect("load");
    let empty_in = work.path().join("empty-in");
    std::fs::create_dir_all(empty_in.join("hosts")).expect("mkdir");
    let mut inst = Vec::new();
    for i in 0..REPEAT * 3 {
        let out = work.path().join(format!("empty-out-{i}"));
        std::fs::create_dir_all(&out).expect("mkdir");
        let t = Instant::now();
        sb.run(&loaded, &req(&empty_in, &out, at, Limits::default()))
            .expect("run");
        inst.push(t.elapsed());
    }
    println!(
        "component start (checklist, {} KiB):",
        src.bytes.len() / 1024
    );
    println!(
        "  first run, compile with Cranelift : {:>8.1} ms (median of {REPEAT})",
        ms(median(compile))
    );
    println!(
        "  cached, load precompiled artifact : {:>8.2} ms (median of {})",
        ms(median(cached)),
        REPEAT * 3
    );
    println!(
        "  instantiate + run on empty input  : {:>8.2} ms (median of {})",
        ms(median(inst)),
        REPEAT * 3
    );

    // --- 2. CKL writing throughput ------------------------------------------------
    let input = work.path().join("model");
    std::fs::create_dir_all(input.join("hosts")).expect("mkdir");
    for h in 0..HOSTS {
        let name = format!("HOST{h:04}");
        let host = stig_formats::synth::synthetic_host(&name, RULES, h as u64);
        let model = stig_formats::model_file::encode(&host).expect("model");
        std::fs::write(input.join("hosts").join(format!("{name}.model")), model).expect("write");
    }
    // The variants run in rounds, each round once of each (in a rotated order, so no
    // variant always follows another's writes), and every ratio is taken within a
    // round: on a shared machine a neighbour's build moves all of one round together.
    let unmetered = Sandbox::unmetered_for_benchmarks().expect("engine");
    let epochs_only = Sandbox::metered_for_benchmarks(false, true).expect("engine");
    let fuel_only = Sandbox::metered_for_benchmarks(true, false).expect("engine");
    let variants: [(&str, Option<(&Sandbox, LoadedComponent)>); 5] = [
        ("native library", None),
        ("sandboxed (fuel + epochs)", Some((&sb, loaded))),
        (
            "sandboxed, no fuel/epochs",
            Some((&unmetered, unmetered.load(&src).expect("load"))),
        ),
        (
            "sandboxed, epochs only",
            Some((&epochs_only, epochs_only.load(&src).expect("load"))),
        ),
        (
            "sandboxed, fuel only",
            Some((&fuel_only, fuel_only.load(&src).expect("load"))),
        ),
    ];
    let rounds = std::env::var("SANDBOX_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROUNDS);
    let mut times = vec![Vec::new(); variants.len()];
    let mut bytes = vec![0u64; variants.len()];
    let mut cpu = vec![Vec::new(); variants.len()];
    for round in 0..rounds {
        for k in 0..variants.len() {
            let v = (round + k) % variants.len();
            let out = work.path().join(format!("out-{round}-{v}"));
            std::fs::create_dir_all(&out).expect("mkdir");
            let (t, cpu0) = (Instant::now(), process_cpu());
            bytes[v] = match &variants[v].1 {
                None => native_write(&input, &out),
                Some((sandbox, component)) => {
                    let rec = sandbox
                        .run(component, &req(&input, &out, at, Limits::default()))
                        .expect("run");
                    rec.outputs.iter().map(|f| f.bytes).sum()
                }
            };
            times[v].push(t.elapsed());
            let cpu1 = process_cpu();
            cpu[v].push((cpu1.0 - cpu0.0, cpu1.1 - cpu0.1));
        }
        // Every variant's output must be the native bytes, not just the same size.
        let native = walk(&work.path().join(format!("out-{round}-0")));
        for (v, (name, _)) in variants.iter().enumerate().skip(1) {
            assert_eq!(bytes[0], bytes[v], "{name}: output size differs");
            let dir = work.path().join(format!("out-{round}-{v}"));
            assert!(native == walk(&dir), "{name}: output differs from native");
        }
        // 2.4 GB a round: compared, then gone.
        for v in 0..variants.len() {
            let _ = std::fs::remove_dir_all(work.path().join(format!("out-{round}-{v}")));
        }
    }
    let mb = bytes[0] as f64 / 1e6;
    println!(
        "CKL writing, {HOSTS} hosts x {RULES} rules ({mb:.0} MB of CKL), {rounds} rounds, \
         every output byte-identical to native:"
    );
    for (v, (name, _)) in variants.iter().enumerate() {
        let m = median(times[v].clone());
        let mut user: Vec<f64> = cpu[v].iter().map(|c| c.0).collect();
        let mut sys: Vec<f64> = cpu[v].iter().map(|c| c.1).collect();
        user.sort_by(f64::total_cmp);
        sys.sort_by(f64::total_cmp);
        println!(
            "  {name:<27}: {:>8.0} ms  {:>6.0} MB/s (median); CPU: user {:.2} s, system {:.2} s",
            ms(m),
            mb / m.as_secs_f64(),
            user[user.len() / 2],
            sys[sys.len() / 2],
        );
    }
    let ratio = |a: usize, b: usize| -> Vec<f64> {
        (0..rounds)
            .map(|r| times[a][r].as_secs_f64() / times[b][r].as_secs_f64())
            .collect()
    };
    println!("ratios, each within one round (median, range):");
    let user_ratio = |a: usize, b: usize| -> Vec<f64> {
        (0..rounds).map(|r| cpu[a][r].0 / cpu[b][r].0).collect()
    };
    for (label, a, b) in [
        ("sandboxed / native", 1, 0),
        ("no fuel/epochs / native", 2, 0),
        ("metering: sandboxed / no fuel/epochs", 1, 2),
        ("epochs only / no fuel/epochs", 3, 2),
        ("fuel only / no fuel/epochs", 4, 2),
    ] {
        let mut r = ratio(a, b);
        r.sort_by(f64::total_cmp);
        let mut u = user_ratio(a, b);
        u.sort_by(f64::total_cmp);
        println!(
            "  {label:<37}: wall {:.2}x ({:.2}-{:.2}x); user CPU {:.2}x ({:.2}-{:.2}x)",
            r[r.len() / 2],
            r[0],
            r[r.len() - 1],
            u[u.len() / 2],
            u[0],
            u[u.len() - 1]
        );
    }
}

/// This process's (user, system) CPU seconds, from `/proc/self/stat` (threads that have
/// ended included): the bench does nothing else meanwhile, so the user time is the
/// guest's, the host glue's and the hashing's, the system time mostly the kernel taking
/// the written bytes into its page cache (the part that swings on a shared machine).
fn process_cpu() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    let tick = 100.0; // USER_HZ on Linux
    (
        f.get(11).copied().unwrap_or(0.0) / tick,
        f.get(12).copied().unwrap_or(0.0) / tick,
    )
}

fn req<'a>(
    input: &'a Path,
    output: &'a Path,
    at: time::OffsetDateTime,
    limits: Limits,
) -> RunRequest<'a> {
    let mut options = BTreeMap::new();
    options.insert("format".to_string(), "ckl".to_string());
    RunRequest {
        input_dir: input,
        output_dir: output,
        exported_at: at,
        options,
        limits,
    }
}

/// What the component does, natively: read each model file, write each benchmark's CKL.
fn native_write(input: &Path, out: &Path) -> u64 {
    let mut total = 0;
    let mut files: Vec<_> = std::fs::read_dir(input.join("hosts"))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let host = stig_formats::model_file::decode("model", &std::fs::read(&f).expect("read"))
            .expect("model");
        let formats = stig_formats::output::Formats {
            ckl: true,
            cklb: false,
        };
        for file in
            stig_formats::output::checklist_files(&host, formats, false, "stigpack checklist 0.1.0")
                .expect("layout")
        {
            let path = out.join(&file.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &file.bytes).expect("write");
            total += file.bytes.len() as u64;
        }
    }
    total
}

fn walk(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(root).expect("prefix").display().to_string(),
                    std::fs::read(&p).expect("read"),
                ));
            }
        }
    }
    out.sort();
    out
}
