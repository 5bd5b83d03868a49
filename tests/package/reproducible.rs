//! The embedded components are reproducible: rebuilding the guests from a copy of the
//! tree in another directory, into a clean target directory, gives the same bytes as the
//! ones built into this `stigpack` (compared by the SHA-256 `component list` reports).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../host/guest_build.rs"]
mod guest_build;

use std::path::Path;

use crate::common::*;

fn copy_sources(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        // Build output, history, the venv, and a fuzzer's working state (git-ignored;
        // a running fuzzer adds and removes corpus files while this copies).
        if ["target", ".git", ".venv", "corpus", "artifacts"]
            .iter()
            .any(|skip| name == *skip)
        {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            copy_sources(&p, &dst.join(&name));
        } else {
            std::fs::copy(&p, dst.join(&name)).unwrap();
        }
    }
}

#[test]
fn guest_components_rebuild_to_the_same_bytes_from_another_directory() {
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("a").join("different").join("checkout");
    // The whole source tree (the guests inherit fields from the root workspace).
    copy_sources(&repo(), &copy);

    let o = run(stigpack(work.path()).args(["component", "list", "--json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let listed = doc["components"].as_array().unwrap().clone();
    assert!(
        listed.len() >= 2,
        "at least import and checklist are built in"
    );

    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"));
    let sysroot =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .current_dir(&copy)
            .args(["--print", "sysroot"])
            .output()
            .unwrap();
    let sysroot = String::from_utf8(sysroot.stdout).unwrap();
    let target = work.path().join("fresh-target");
    let names: Vec<&str> = listed.iter().map(|c| c["name"].as_str().unwrap()).collect();
    guest_build::build_guests(&copy, &target, &cargo_home, sysroot.trim(), &names).unwrap();

    let mut differ: Vec<String> = Vec::new();
    for c in &listed {
        let name = c["name"].as_str().unwrap();
        let wasm = target
            .join(guest_build::TARGET)
            .join("release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        let bytes = std::fs::read(&wasm).unwrap();
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(&bytes));
        if sha != c["sha256"].as_str().unwrap() {
            differ.push(name.to_string());
        }
    }
    assert!(
        differ.is_empty(),
        "{differ:?} differ when built from {}",
        copy.display()
    );
}
