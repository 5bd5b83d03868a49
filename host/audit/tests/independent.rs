//! Independent checkers: a signed checkpoint verifies with `openssl pkeyutl` (Ed25519 over
//! the exact checkpoint text) and each `prev` equals `openssl dgst -sha256` of the previous
//! line. With CI=true a missing openssl is a failure; otherwise the test says why it skips.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::process::Command;

use base64::Engine as _;

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is required in CI"
        );
        eprintln!("skipping: openssl not found (independent checker)");
    }
    ok
}

#[test]
fn openssl_verifies_the_checkpoint_signature_and_the_chain() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, log) = common::build_log(dir.path(), 4);
    let key = stigpack_audit::SignerKey::generate("audit.test").unwrap();
    let mut cp = log.checkpoint("test/log").unwrap();
    cp.sign(&key);
    let text = cp.to_text();

    // Public key as SubjectPublicKeyInfo PEM; signature = the 64 bytes after the key id.
    let mut der = hex::decode("302a300506032b6570032100").unwrap();
    der.extend_from_slice(&key.verifier().public_bytes());
    let b64 = base64::engine::general_purpose::STANDARD;
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        b64.encode(&der)
    );
    let sig_line = text.lines().last().unwrap();
    let blob = b64.decode(sig_line.rsplit(' ').next().unwrap()).unwrap();
    assert_eq!(blob[..4], key.id);
    std::fs::write(dir.path().join("pub.pem"), pem).unwrap();
    std::fs::write(dir.path().join("sig"), &blob[4..]).unwrap();
    std::fs::write(dir.path().join("msg"), cp.body()).unwrap();
    let verify = |msg: &str| {
        Command::new("openssl")
            .args([
                "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", msg,
                "-sigfile", "sig",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = verify("msg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::write(
        dir.path().join("msg2"),
        cp.body().replacen("\n4\n", "\n5\n", 1),
    )
    .unwrap();
    assert!(
        !verify("msg2").status.success(),
        "a changed size must not verify"
    );

    // The chain: prev of line i+1 = openssl's SHA-256 of line i.
    let lines = common::lines(&path);
    for (i, pair) in lines.windows(2).enumerate() {
        let f = dir.path().join(format!("line{i}"));
        std::fs::write(&f, &pair[0]).unwrap();
        let out = Command::new("openssl")
            .args(["dgst", "-sha256", "-r"])
            .arg(&f)
            .output()
            .unwrap();
        let digest = String::from_utf8(out.stdout).unwrap();
        let digest = digest.split(' ').next().unwrap();
        let next: serde_json::Value = serde_json::from_slice(&pair[1]).unwrap();
        assert_eq!(next["prev"], digest, "line {}", i + 1);
    }
}
