//! The client's NTLM handshake and message sealing checked against an independent
//! implementation: pyspnego's NTLM acceptor and `wrap_winrm`/`unwrap_winrm`
//! (`tests/peers/ntlm_peer.py`). The client opens and deletes a shell: the peer must
//! unseal our requests, and we must unseal its responses (the shell id it chose).
//! Without the venv: skipped with a reason, or a failure when CI=true.

#![allow(clippy::unwrap_used)] // tests may unwrap (brief)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use stigpack_winrm::{Auth, Client, ClientConfig, Credentials, Endpoint, Secret, Transport};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealing_interoperates_with_pyspnego() {
    let py = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python");
    if !std::path::Path::new(py).exists() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("pyspnego venv missing at {py} (required in CI)");
        }
        eprintln!("skipping: venv with pyspnego not found at {py}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users");
    std::fs::write(&users, "PEER:peeruser:Peer-Pass-123\n").unwrap();
    let mut child = Command::new(py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/ntlm_peer.py"
        ))
        .env("NTLM_USER_FILE", &users)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().unwrap();
    let transport = Transport::new(
        Endpoint::parse(&format!("http://127.0.0.1:{port}/wsman")).unwrap(),
        Auth::Ntlm(Credentials::new(
            "PEER\\peeruser",
            Secret::new("Peer-Pass-123"),
        )),
        None,
        Default::default(),
    )
    .unwrap();
    let c = Client::new("peer", transport, ClientConfig::default());
    let result = async {
        let shell = c.open_shell().await?;
        assert_eq!(shell.id(), "PEER-SHELL-1");
        shell.close().await
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
    assert_eq!(c.transport().connect_count(), 1);
}
