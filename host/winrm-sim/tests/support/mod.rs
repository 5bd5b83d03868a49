//! Shared helpers for the simulator's integration tests: locating the independent Python
//! client (pywinrm) and running it.
#![allow(dead_code)]

pub mod raw;

use std::path::PathBuf;

/// The Python with pywinrm: env `STIGPACK_PYTHON`, else `<repo>/.venv/bin/python`.
/// Returns `None` (after printing why) when absent outside CI; panics in CI.
pub fn python() -> Option<PathBuf> {
    let p = match std::env::var_os("STIGPACK_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let ok = p.exists()
        && std::process::Command::new(&p)
            .args(["-c", "import winrm, requests_ntlm, spnego"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if ok {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "pywinrm (with requests-ntlm, pyspnego) not available at {} — required in CI",
            p.display()
        );
    }
    eprintln!(
        "SKIP: pywinrm not available at {} (set STIGPACK_PYTHON or create the venv: python3 -m venv .venv && .venv/bin/pip install pywinrm requests-ntlm pyspnego)",
        p.display()
    );
    None
}

/// Runs a Python support script with one JSON argument; returns its parsed JSON stdout.
pub async fn run_py(python: &PathBuf, script: &str, cfg: serde_json::Value) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(script);
    let out = tokio::process::Command::new(python)
        .arg(path)
        .arg(cfg.to_string())
        .output()
        .await
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON from python ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
