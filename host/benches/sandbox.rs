//! What the sandbox costs. Run: `cargo bench -p stigpack --bench sandbox`.
//!
//! 1. Component start: compile (no cache), load from the on-disk cache, instantiate+run.
//! 2. CKL writing for 100 hosts x 800 rules: the `checklist` component in the sandbox vs
//!    the same library compiled natively doing the same work (read the model JSON, write
//!    each host's CKL to a file). The ratio is the sandbox's cost.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use stigpack::sandbox::{ComponentSource, Limits, RunRequest, Sandbox};

const HOSTS: usize = 100;
const RULES: usize = 800;
const REPEAT: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let at = time::macros::datetime!(2026-11-22 20:00:00 UTC);
    let work = tempfile::tempdir().expect("tempdir");

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
    let mut native = Vec::new();
    let mut native_bytes = 0u64;
    for i in 0..REPEAT {
        let out = work.path().join(format!("native-{i}"));
        let t = Instant::now();
        native_bytes = native_write(&input, &out);
        native.push(t.elapsed());
    }
    let mut sandboxed = Vec::new();
    let mut sandbox_bytes = 0u64;
    for i in 0..REPEAT {
        let out = work.path().join(format!("sandbox-{i}"));
        std::fs::create_dir_all(&out).expect("mkdir");
        let t = Instant::now();
        let rec = sb
            .run(&loaded, &req(&input, &out, at, Limits::default()))
            .expect("run");
        sandboxed.push(t.elapsed());
        sandbox_bytes = rec.outputs.iter().map(|f| f.bytes).sum();
    }
    // The same run without fuel and epoch checks: what metering itself costs.
    let unmetered = Sandbox::unmetered_for_benchmarks().expect("engine");
    let loaded_unmetered = unmetered.load(&src).expect("load");
    let mut bare = Vec::new();
    for i in 0..REPEAT {
        let out = work.path().join(format!("bare-{i}"));
        std::fs::create_dir_all(&out).expect("mkdir");
        let t = Instant::now();
        unmetered
            .run(&loaded_unmetered, &req(&input, &out, at, Limits::default()))
            .expect("run");
        bare.push(t.elapsed());
    }
    assert_eq!(
        native_bytes, sandbox_bytes,
        "native and sandboxed outputs differ in size"
    );
    // Same bytes, not just the same size.
    for (a, b) in walk(&work.path().join("native-0"))
        .iter()
        .zip(walk(&work.path().join("sandbox-0")).iter())
    {
        assert_eq!(a, b, "native and sandboxed output differ");
    }
    let (n, s) = (median(native), median(sandboxed));
    let mb = native_bytes as f64 / 1e6;
    println!("CKL writing, {HOSTS} hosts x {RULES} rules ({mb:.0} MB of CKL), median of {REPEAT}:");
    println!(
        "  native library   : {:>8.0} ms  {:>6.0} MB/s",
        ms(n),
        mb / n.as_secs_f64()
    );
    println!(
        "  sandboxed (wasm) : {:>8.0} ms  {:>6.0} MB/s",
        ms(s),
        mb / s.as_secs_f64()
    );
    let b = median(bare);
    println!(
        "  sandboxed, no fuel/epochs: {:>8.0} ms  {:>6.0} MB/s  (metering costs {:.2}x)",
        ms(b),
        mb / b.as_secs_f64(),
        s.as_secs_f64() / b.as_secs_f64()
    );
    println!(
        "  ratio sandboxed/native: {:.2}x",
        s.as_secs_f64() / n.as_secs_f64()
    );
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
