//! A 256 MB file pulled over NTLM with message encryption, verified by hash, with flat
//! memory: the process's peak RSS (VmHWM) may not grow by more than a small multiple of
//! the chunk size. Its own test binary, so no other test shares the process's peak.

#![allow(clippy::unwrap_used)] // tests may unwrap (brief)

mod common;

use common::{client_with, fleet, quick_config};
use stigpack_winrm::CertCheck;
use stigpack_winrm_sim::{AuthMode, Content};

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_256_mb_with_flat_memory() {
    const SIZE: u64 = 256 * 1024 * 1024;
    let sim = fleet(1, AuthMode::Ntlm, false, "").await;
    let path = r"C:\STIG\Results\huge.bin";
    sim.put_file(
        "host1",
        path,
        Content::Synthetic {
            len: SIZE,
            seed: 42,
        },
    );
    let mut cfg = quick_config();
    cfg.chunk_size = 4 * 1024 * 1024;
    let c = client_with(&sim.hosts()[0], "ntlm", cfg, CertCheck::Verify);
    // Warm up (TLS-free NTLM handshake, allocator pools) before taking the baseline.
    c.status().await.unwrap();
    let before = vm_hwm_kib();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("huge.bin");
    let pulled = c.pull_file(path, &dest).await.unwrap();
    let after = vm_hwm_kib();
    assert_eq!(pulled.size, SIZE);
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), SIZE);
    // Independent check of the written bytes: hash the file on disk ourselves.
    use sha2::Digest;
    let mut f = std::fs::File::open(&dest).unwrap();
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h).unwrap();
    assert_eq!(hex::encode(h.finalize()), pulled.sha256);
    if let (Some(b), Some(a)) = (before, after) {
        let growth_mib = a.saturating_sub(b) / 1024;
        eprintln!("VmHWM before {b} KiB, after {a} KiB, growth {growth_mib} MiB");
        // The simulator lives in this process too and holds its own per-chunk buffers;
        // 256 MB held anywhere would blow far past this.
        assert!(growth_mib < 96, "peak memory grew by {growth_mib} MiB");
    }
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}
