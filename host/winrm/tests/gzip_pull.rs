//! Compressed pulls (read-gzip) against the simulator: byte-identical to plain pulls and
//! hash-verified, the caps that stop a gzip bomb, a corrupt or lying stream refused, and
//! the fallback to plain read-chunk when a host cannot compress.

#![allow(clippy::unwrap_used)] // tests may unwrap (brief)

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{client_with, fleet, quick_config};
use stigpack_winrm::{CertCheck, ClientConfig, ErrorKind, PullCap, Transfer};
use stigpack_winrm_sim::{AuthMode, Content, SimHandle};

const DIR: &str = r"C:\STIG\Results\Real";

/// Real checklists from the shared samples (several MB), put on host1 under [`DIR`].
fn put_real_checklists(sim: &SimHandle) -> Vec<String> {
    let shared = std::env::var_os("STIGPACK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let mut names = Vec::new();
    for rel in [
        "samples/ckl/win10.ckl",
        "samples/ckl/stigman_STIG-Manager-OSS.ckl",
        "samples/ckl/sqlserver2014database.ckl",
        "samples/cklb/evalstig_XO1_XO_GPOS_Debian12_V3R2.cklb",
        "samples/ckl/html-decode.ckl",
    ] {
        let p = shared.join(rel);
        let bytes = std::fs::read(&p)
            .unwrap_or_else(|e| panic!("{}: {e} (set STIGPACK_SHARED_DIR)", p.display()));
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        sim.put_file(
            "host1",
            &format!(r"{DIR}\{name}"),
            Content::Bytes(Arc::new(bytes)),
        );
        names.push(name);
    }
    names.sort();
    names
}

fn config(compress: bool) -> ClientConfig {
    ClientConfig {
        compress_pulls: compress,
        ..quick_config()
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_pull_is_byte_identical_to_plain_and_verified() {
    let sim = fleet(1, AuthMode::Ntlm, false, "").await;
    let names = put_real_checklists(&sim);
    let host = &sim.hosts()[0];

    let gz_dir = tempfile::tempdir().unwrap();
    let c = client_with(host, "ntlm", config(true), CertCheck::Verify);
    let before = sim.stats("host1").unwrap();
    let gz = c.pull_tree(DIR, gz_dir.path()).await.unwrap();
    let mid = sim.stats("host1").unwrap();
    // list-tree, then all five files (4.2 MB, under one 4 MiB chunk) in one
    // read-gzip-files command.
    assert_eq!(mid.commands_run - before.commands_run, 2);

    let plain_dir = tempfile::tempdir().unwrap();
    let c = client_with(host, "ntlm", config(false), CertCheck::Verify);
    let plain = c.pull_tree(DIR, plain_dir.path()).await.unwrap();
    let after = sim.stats("host1").unwrap();

    assert_eq!(files_in(gz_dir.path()), names, "no temp files left behind");
    assert_eq!(gz.len(), names.len());
    let (mut size, mut wire) = (0, 0);
    for (g, p) in gz.iter().zip(&plain) {
        let (bytes, sha) = sim
            .file("host1", &format!(r"{DIR}\{}", g.relative))
            .unwrap();
        let got = std::fs::read(&g.local).unwrap();
        assert_eq!(got, bytes, "{}", g.relative);
        assert_eq!(got, std::fs::read(&p.local).unwrap(), "{}", g.relative);
        assert!(g.sha256.eq_ignore_ascii_case(&sha));
        assert_eq!(g.sha256, p.sha256);
        assert_eq!(g.transfer, Transfer::Gzip);
        assert_eq!(p.transfer, Transfer::Plain);
        assert_eq!(p.wire_bytes, p.size);
        size += g.size;
        wire += g.wire_bytes;
    }
    // Checklists compress well: what travelled is a fraction of the files.
    assert!(wire * 5 < size, "{wire} compressed bytes for {size}");
    let receives = |a: u64, b: u64| b - a;
    let gz_receives = receives(before.receives, mid.receives);
    let plain_receives = receives(mid.receives, after.receives);
    assert!(
        gz_receives * 3 < plain_receives,
        "compressed {gz_receives} receives, plain {plain_receives}"
    );
    assert!(!c.compression_unavailable());
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_results_tree_pulls_compressed() {
    let sim = fleet(1, AuthMode::Ntlm, false, "").await;
    let root = stigpack_winrm_sim::vfs::generate::RESULTS_ROOT;
    let c = client_with(&sim.hosts()[0], "ntlm", config(true), CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    // Small chunks: several gzip streams per file, each its own command.
    let mut cfg = config(true);
    cfg.chunk_size = 20_000;
    let small = client_with(&sim.hosts()[0], "ntlm", cfg, CertCheck::Verify);
    for client in [&c, &small] {
        let pulled = client.pull_tree(root, dir.path()).await.unwrap();
        assert!(!pulled.is_empty());
        for p in &pulled {
            let full = format!("{root}\\{}", p.relative.replace('/', "\\"));
            let (bytes, _) = sim.file("host1", &full).unwrap();
            assert_eq!(std::fs::read(&p.local).unwrap(), bytes, "{}", p.relative);
            assert_eq!(p.transfer, Transfer::Gzip);
            assert!(p.wire_bytes < p.size, "{}", p.relative);
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bomb_is_refused_by_the_expected_size_cap() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=gzip-bomb").await;
    let f = r"C:\STIG\Results\small.ckl";
    sim.put_file("host1", f, Content::Bytes(Arc::new(vec![b'x'; 100_000])));
    let c = client_with(&sim.hosts()[0], "ntlm", config(true), CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let err = c
        .pull_file(f, &dir.path().join("small.ckl"))
        .await
        .unwrap_err();
    match &err.kind {
        ErrorKind::PullRefused { remote, cap } => {
            assert_eq!(remote, f);
            assert_eq!(*cap, PullCap::ExpectedSize { expected: 100_000 });
        }
        other => panic!("expected the expected-size cap, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.starts_with("host1: "), "{msg}");
    assert!(
        msg.contains("small.ckl") && msg.contains("expected-size cap"),
        "{msg}"
    );
    assert!(files_in(dir.path()).is_empty(), "nothing left behind");
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bomb_is_refused_by_the_ratio_cap() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=gzip-bomb").await;
    let f = r"C:\STIG\Results\big.ckl";
    sim.put_file(
        "host1",
        f,
        Content::Synthetic {
            len: 8 << 20,
            seed: 3,
        },
    );
    let mut cfg = config(true);
    // Zeros deflate about 1000:1; a range of 4 MiB would stop at the size cap first
    // unless the ratio cap is lower than what one Receive's compressed bytes allow.
    cfg.max_expansion_ratio = 10;
    let c = client_with(&sim.hosts()[0], "ntlm", cfg, CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let err = c
        .pull_file(f, &dir.path().join("big.ckl"))
        .await
        .unwrap_err();
    match &err.kind {
        ErrorKind::PullRefused {
            cap:
                PullCap::ExpansionRatio {
                    cap,
                    compressed,
                    decompressed,
                },
            ..
        } => {
            assert_eq!(*cap, 10);
            assert!(*decompressed > 10 * *compressed);
        }
        other => panic!("expected the ratio cap, got {other:?}"),
    }
    assert!(
        err.to_string().contains("max_expansion_ratio 10:1"),
        "{err}"
    );
    assert!(files_in(dir.path()).is_empty(), "nothing left behind");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_over_max_pull_bytes_is_refused_before_reading() {
    let sim = fleet(1, AuthMode::Ntlm, false, "").await;
    let f = r"C:\STIG\Results\huge.ckl";
    sim.put_file("host1", f, Content::Bytes(Arc::new(vec![b'y'; 5_000])));
    for compress in [true, false] {
        let mut cfg = config(compress);
        cfg.max_pull_bytes = 4_096;
        let c = client_with(&sim.hosts()[0], "ntlm", cfg, CertCheck::Verify);
        let dir = tempfile::tempdir().unwrap();
        let before = sim.stats("host1").unwrap().commands_run;
        let err = c.pull_file(f, &dir.path().join("h.ckl")).await.unwrap_err();
        assert!(
            matches!(
                err.kind,
                ErrorKind::PullRefused {
                    cap: PullCap::MaxBytes {
                        size: 5_000,
                        cap: 4_096
                    },
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("max_pull_bytes"), "{err}");
        // Only the hash command ran: nothing was read.
        assert_eq!(sim.stats("host1").unwrap().commands_run - before, 1);
        assert!(files_in(dir.path()).is_empty());
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_stream_is_refused() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=gzip-corrupt").await;
    let names = put_real_checklists(&sim);
    let c = client_with(&sim.hosts()[0], "ntlm", config(true), CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let remote = format!(r"{DIR}\{}", names[0]);
    let err = c
        .pull_file(&remote, &dir.path().join("x.ckl"))
        .await
        .unwrap_err();
    match &err.kind {
        ErrorKind::CorruptCompressed { remote: r, .. } => assert_eq!(r, &remote),
        other => panic!("expected a corrupt stream, got {other:?}"),
    }
    assert!(err.to_string().starts_with("host1: "), "{err}");
    assert!(files_in(dir.path()).is_empty(), "nothing left behind");
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_stream_is_a_hash_mismatch() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=gzip-lie").await;
    let names = put_real_checklists(&sim);
    let c = client_with(&sim.hosts()[0], "ntlm", config(true), CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let remote = format!(r"{DIR}\{}", names[0]);
    let err = c
        .pull_file(&remote, &dir.path().join("x.ckl"))
        .await
        .unwrap_err();
    match &err.kind {
        ErrorKind::HashMismatch { remote: r, .. } => assert_eq!(r, &remote),
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    assert!(files_in(dir.path()).is_empty(), "nothing left behind");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_that_cannot_compress_falls_back_to_plain() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=no-compression").await;
    let names = put_real_checklists(&sim);
    let c = client_with(&sim.hosts()[0], "ntlm", config(true), CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let before = sim.stats("host1").unwrap().commands_run;
    let pulled = c.pull_tree(DIR, dir.path()).await.unwrap();
    let commands = sim.stats("host1").unwrap().commands_run - before;
    assert_eq!(files_in(dir.path()), names);
    for p in &pulled {
        let (bytes, _) = sim
            .file("host1", &format!(r"{DIR}\{}", p.relative))
            .unwrap();
        assert_eq!(std::fs::read(&p.local).unwrap(), bytes, "{}", p.relative);
        assert_eq!(p.transfer, Transfer::Fallback, "{}", p.relative);
        assert_eq!(p.wire_bytes, p.size);
    }
    assert!(c.compression_unavailable());
    // list-tree, one refused read-gzip, then one read-chunk per file (all under 4 MiB):
    // once refused, the client does not ask again.
    assert_eq!(commands, 2 + names.len() as u64);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_stream_retries_the_compressed_range() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=reset-every:3").await;
    let names = put_real_checklists(&sim);
    let c = client_with(&sim.hosts()[0], "ntlm", config(true), CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let pulled = c.pull_tree(DIR, dir.path()).await.unwrap();
    assert_eq!(files_in(dir.path()), names);
    for p in &pulled {
        let (bytes, _) = sim
            .file("host1", &format!(r"{DIR}\{}", p.relative))
            .unwrap();
        assert_eq!(std::fs::read(&p.local).unwrap(), bytes, "{}", p.relative);
        assert_eq!(p.transfer, Transfer::Gzip);
    }
    assert!(
        c.transport().connect_count() > 1,
        "resets forced reconnects"
    );
    sim.shutdown().await;
}

/// The same refusals when the files travel together in one read-gzip-files command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_files_refuse_bomb_corrupt_and_lie() {
    for fault in ["gzip-bomb", "gzip-corrupt", "gzip-lie"] {
        let sim = fleet(1, AuthMode::Ntlm, false, &format!("host1={fault}")).await;
        put_real_checklists(&sim);
        let c = client_with(&sim.hosts()[0], "ntlm", config(true), CertCheck::Verify);
        let dir = tempfile::tempdir().unwrap();
        let err = c.pull_tree(DIR, dir.path()).await.unwrap_err();
        let remote = match (&err.kind, fault) {
            (
                ErrorKind::PullRefused {
                    remote,
                    cap: PullCap::ExpectedSize { .. },
                },
                "gzip-bomb",
            ) => remote,
            (ErrorKind::CorruptCompressed { remote, .. }, "gzip-corrupt") => remote,
            (ErrorKind::HashMismatch { remote, .. }, "gzip-lie") => remote,
            (other, _) => panic!("{fault}: {other:?}"),
        };
        assert!(remote.starts_with(DIR), "{remote}");
        assert!(
            files_in(dir.path()).is_empty(),
            "{fault}: nothing left behind"
        );
        assert_eq!(sim.open_shells("host1"), Some(0));
        sim.shutdown().await;
    }
}
