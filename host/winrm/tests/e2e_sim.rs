//! The client against the simulator: every operation, every transport/auth pair, the
//! injected faults, and the cleanup guarantees (open shells counted on the simulator).

#![allow(clippy::unwrap_used)] // tests may unwrap (brief)

mod common;

use std::time::Duration;

use common::{client, client_with, fleet, quick_config};
use stigpack_winrm::transport::TransportError;
use stigpack_winrm::{CertCheck, ErrorKind};
use stigpack_winrm_sim::vfs::generate::{RESULTS_ROOT, TOOL_PATH};
use stigpack_winrm_sim::{AuthMode, Content};

fn local_files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &std::path::Path, d: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(
                    p.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Every operation over one transport/auth pair, checked against the simulator's state.
async fn every_operation(auth: AuthMode, tls: bool, auth_name: &str) {
    let sim = fleet(1, auth, tls, "").await;
    let info = &sim.hosts()[0];
    let c = client(info, auth_name);

    let st = c.status().await.unwrap();
    assert_eq!(st.hostname, "HOST1");

    let out = c.run_command("hostname", &[]).await.unwrap();
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.stdout_text().trim(), "host1");

    let out = c
        .run_powershell("Write-Output 'hello'; Write-Error 'boom'; exit 7")
        .await
        .unwrap();
    assert_eq!(out.exit_code, 7, "the script's own exit code");
    assert!(out.stdout_text().contains("hello"));
    assert!(out.stderr.contains("boom"), "{:?}", out.stderr);
    assert!(
        !out.stderr.contains("CLIXML"),
        "stderr decoded: {:?}",
        out.stderr
    );

    // A long script goes over stdin and still works.
    let long = format!("Write-Output 'long'\n#{}\n", "x".repeat(10_000));
    let out = c.run_powershell(&long).await.unwrap();
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert!(out.stdout_text().contains("long"));

    let tool = c
        .with_shell(async |s: &stigpack_winrm::Shell| s.run_tool(TOOL_PATH, &[], None).await)
        .await
        .unwrap();
    assert_eq!(tool.exit_code, 0, "{}", tool.stderr);

    let tree = c.list_tree(RESULTS_ROOT).await.unwrap();
    let remote = sim.list_files("host1", RESULTS_ROOT);
    assert_eq!(tree.len(), remote.len());
    assert!(!tree.is_empty());
    for e in &tree {
        let full = format!("{RESULTS_ROOT}\\{}", e.path.replace('/', "\\"));
        let (bytes, sha) = sim.file("host1", &full).unwrap();
        assert_eq!(e.size, bytes.len() as u64);
        assert_eq!(e.sha256, sha);
    }

    let dir = tempfile::tempdir().unwrap();
    let pulled = c.pull_tree(RESULTS_ROOT, dir.path()).await.unwrap();
    assert_eq!(pulled.len(), tree.len());
    for p in &pulled {
        let full = format!("{RESULTS_ROOT}\\{}", p.relative.replace('/', "\\"));
        let (bytes, _) = sim.file("host1", &full).unwrap();
        assert_eq!(std::fs::read(&p.local).unwrap(), bytes, "{}", p.relative);
    }
    let mut names: Vec<String> = tree.iter().map(|e| e.path.clone()).collect();
    names.sort();
    assert_eq!(local_files(dir.path()), names, "no temp files left behind");

    let missing = c.status().await.map(|_| ());
    assert!(missing.is_ok());
    let err = c.list_tree(r"C:\Nope").await.unwrap_err();
    assert!(matches!(err.kind, ErrorKind::NotFound(_)), "{err}");
    assert!(err.to_string().starts_with("host1: "), "{err}");

    assert_eq!(sim.open_shells("host1"), Some(0), "every shell deleted");
    assert_eq!(sim.stats("host1").unwrap().open_commands, 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_over_http_with_message_encryption() {
    every_operation(AuthMode::Ntlm, false, "ntlm").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_over_https() {
    every_operation(AuthMode::Ntlm, true, "ntlm").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_over_https() {
    every_operation(AuthMode::Basic, true, "basic").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_per_session() {
    let sim = fleet(1, AuthMode::Ntlm, false, "").await;
    let c = client(&sim.hosts()[0], "ntlm");
    for _ in 0..5 {
        c.status().await.unwrap();
    }
    assert_eq!(
        c.transport().connect_count(),
        1,
        "the NTLM context is reused"
    );
    let st = sim.stats("host1").unwrap();
    assert_eq!(st.connections, 1);
    // Single-command shells: Delete terminates the command, no Signal round trip.
    assert_eq!((st.shells_deleted, st.signals, st.open_commands), (5, 0, 0));
    // Several commands in one shell: each is signalled.
    c.with_shell(async |s: &stigpack_winrm::Shell| {
        s.command("hostname", &[], None).await?;
        s.command("hostname", &[], None).await
    })
    .await
    .unwrap();
    assert_eq!(sim.stats("host1").unwrap().signals, 2);
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_over_http_refused_by_client() {
    let sim = stigpack_winrm_sim::Simulator::start(stigpack_winrm_sim::FleetSpec {
        auth: AuthMode::Basic,
        allow_basic_http: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = &sim.hosts()[0];
    let creds = stigpack_winrm::Credentials::new(
        info.username.clone(),
        stigpack_winrm::Secret::new(info.password.clone()),
    );
    let err = stigpack_winrm::Transport::new(
        stigpack_winrm::Endpoint::parse(&info.endpoint).unwrap(),
        stigpack_winrm::Auth::Basic(creds),
        None,
        Default::default(),
    )
    .unwrap_err();
    assert!(matches!(err, TransportError::BasicOverHttp));
    assert_eq!(sim.stats("host1").unwrap().requests, 0, "nothing was sent");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_verification_on_by_default() {
    let sim = fleet(1, AuthMode::Ntlm, true, "").await;
    let mut info = sim.hosts()[0].clone();
    // A CA file that did not sign the host's certificate.
    let other = fleet(1, AuthMode::Ntlm, true, "").await;
    info.ca_file = other.hosts()[0].ca_file.clone();
    let c = client(&info, "ntlm");
    let err = c.status().await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Transport(TransportError::Tls(_))),
        "{err}"
    );
    // Host-name validation: the certificate is for 127.0.0.1, not for "localhost-alias".
    let dangerous = client_with(
        &info,
        "ntlm",
        quick_config(),
        CertCheck::DangerousAcceptAnyCertificate,
    );
    assert_eq!(dangerous.status().await.unwrap().hostname, "HOST1");
    sim.shutdown().await;
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_host_is_named_and_retried_boundedly() {
    let sim = fleet(2, AuthMode::Ntlm, false, "host2=unreachable").await;
    let c = client(&sim.hosts()[1], "ntlm");
    let t0 = std::time::Instant::now();
    let err = c.status().await.unwrap_err();
    assert!(
        err.to_string().starts_with("host2: cannot connect"),
        "{err}"
    );
    assert!(err.is_transient());
    assert!(t0.elapsed() < Duration::from_secs(5));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failure_is_not_retried() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=auth-fail").await;
    let c = client(&sim.hosts()[0], "ntlm");
    let err = c.status().await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::Transport(TransportError::AuthRejected(_))
        ),
        "{err}"
    );
    assert!(!err.is_transient());
    assert_eq!(
        sim.stats("host1").unwrap().auth_failures,
        1,
        "exactly one attempt"
    );

    // Wrong password against a healthy host: same.
    let sim2 = fleet(1, AuthMode::Ntlm, false, "").await;
    let mut info = sim2.hosts()[0].clone();
    info.password.push('x');
    let err = client(&info, "ntlm").status().await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::Transport(TransportError::AuthRejected(_))
        ),
        "{err}"
    );
    assert!(
        !err.to_string().contains(&info.password),
        "password never in errors"
    );
    sim.shutdown().await;
    sim2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_timeout_faults_mean_receive_again() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=timeout-every:2").await;
    let c = client(&sim.hosts()[0], "ntlm");
    for _ in 0..3 {
        assert_eq!(c.status().await.unwrap().hostname, "HOST1");
    }
    assert!(sim.stats("host1").unwrap().operation_timeouts > 0);
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500_is_retried() {
    // Every 4th request (handshakes count) fails; a failed sealed exchange forces a
    // reconnect, so the retry lands on a healthy request.
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=http500-every:4").await;
    let c = client(&sim.hosts()[0], "ntlm");
    for _ in 0..3 {
        c.status().await.unwrap();
    }
    assert!(sim.stats("host1").unwrap().faults_injected > 0);
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_transfer_pull_still_verified() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=reset-every:3").await;
    let big = r"C:\STIG\Results\big.bin";
    sim.put_file(
        "host1",
        big,
        Content::Synthetic {
            len: 3_000_000,
            seed: 9,
        },
    );
    let mut cfg = quick_config();
    // One output-carrying Receive per chunk, so a reset hits at most every third attempt.
    cfg.chunk_size = 90_000;
    let c = client_with(&sim.hosts()[0], "ntlm", cfg, CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("big.bin");
    let p = c.pull_file(big, &dest).await.unwrap();
    let (bytes, sha) = sim.file("host1", big).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert!(p.sha256.eq_ignore_ascii_case(&sha));
    assert!(
        c.transport().connect_count() > 1,
        "resets forced reconnects"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_output_is_a_short_read_and_leaves_nothing() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=truncate-output").await;
    let f = r"C:\STIG\Results\t.bin";
    sim.put_file(
        "host1",
        f,
        Content::Synthetic {
            len: 200_000,
            seed: 1,
        },
    );
    let mut cfg = quick_config();
    cfg.chunk_size = 50_000;
    let c = client_with(&sim.hosts()[0], "ntlm", cfg, CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let err = c.pull_file(f, &dir.path().join("t.bin")).await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::ShortRead { .. } | ErrorKind::HashMismatch { .. }
        ),
        "{err}"
    );
    assert!(local_files(dir.path()).is_empty(), "nothing left behind");
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_changing_during_transfer_is_a_mismatch() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=file-changes").await;
    let f = r"C:\STIG\Results\c.bin";
    sim.put_file(
        "host1",
        f,
        Content::Synthetic {
            len: 1_000_000,
            seed: 2,
        },
    );
    let mut cfg = quick_config();
    cfg.chunk_size = 300_000;
    let c = client_with(&sim.hosts()[0], "ntlm", cfg, CertCheck::Verify);
    let dir = tempfile::tempdir().unwrap();
    let err = c.pull_file(f, &dir.path().join("c.bin")).await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::HashMismatch { .. } | ErrorKind::ShortRead { .. }
        ),
        "{err}"
    );
    assert!(local_files(dir.path()).is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_quota_fault_is_typed_and_retried() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=shell-quota:1").await;
    let c = client(&sim.hosts()[0], "ntlm");
    // Hold the only shell; a second shell hits the quota fault, is retried (bounded),
    // and fails with the typed fault.
    let held = c.open_shell().await.unwrap();
    let c2 = client(&sim.hosts()[0], "ntlm");
    let err = c2.open_shell().await.unwrap_err();
    let fault = err.fault().expect("a WSManFault");
    assert!(fault.is_busy(), "{err}");
    assert!(fault.code.is_some());
    assert!(sim.stats("host1").unwrap().quota_rejections >= 2, "retried");
    held.close().await.unwrap();
    c2.status().await.unwrap();
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_request_is_reported() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=envelope-kb:20").await;
    let c = client(&sim.hosts()[0], "ntlm");
    let long = format!("Write-Output 'x'\n#{}\n", "y".repeat(200_000));
    let err = c.run_powershell(&long).await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::Transport(TransportError::EnvelopeTooLarge)
        ),
        "{err}"
    );
    assert_eq!(
        sim.open_shells("host1"),
        Some(0),
        "shell deleted after the error"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_run_still_deletes_its_shell() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=tool-time:3s").await;
    let c = client(&sim.hosts()[0], "ntlm");
    let run =
        c.with_shell(async |s: &stigpack_winrm::Shell| s.run_tool(TOOL_PATH, &[], None).await);
    // Like Ctrl-C: the future is dropped mid-Receive.
    let r = tokio::time::timeout(Duration::from_millis(700), run).await;
    assert!(r.is_err(), "the run was cancelled");
    assert_eq!(
        sim.open_shells("host1"),
        Some(1),
        "the shell is still open right after"
    );
    let left = c.finish_cleanup(Duration::from_secs(10)).await;
    assert_eq!(left, 0);
    assert_eq!(sim.open_shells("host1"), Some(0), "the guard deleted it");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_tool_is_never_success() {
    let sim = fleet(1, AuthMode::Ntlm, false, "").await;
    let c = client(&sim.hosts()[0], "ntlm");
    let out = c.run_powershell("Get-Nonsense").await.unwrap();
    assert_ne!(out.exit_code, 0);
    assert!(out.stderr.contains("is not recognized"), "{}", out.stderr);
    let out = c.run_command("nonsense.exe", &[]).await.unwrap();
    assert_ne!(out.exit_code, 0);
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackhole_host_times_out_boundedly() {
    let sim = fleet(1, AuthMode::Ntlm, false, "host1=blackhole").await;
    let info = &sim.hosts()[0];
    let transport = stigpack_winrm::Transport::new(
        stigpack_winrm::Endpoint::parse(&info.endpoint).unwrap(),
        stigpack_winrm::Auth::Ntlm(stigpack_winrm::Credentials::new(
            info.username.clone(),
            stigpack_winrm::Secret::new(info.password.clone()),
        )),
        None,
        stigpack_winrm::TransportConfig {
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .unwrap();
    let mut cfg = quick_config();
    cfg.retry.retries = 2;
    let c = stigpack_winrm::Client::new("host1", transport, cfg);
    let t0 = std::time::Instant::now();
    let err = c.status().await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::Transport(TransportError::ReadTimeout(_))
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("host1: no reply within"),
        "{err}"
    );
    // 3 attempts of 300 ms plus backoff: bounded.
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    sim.shutdown().await;
}
