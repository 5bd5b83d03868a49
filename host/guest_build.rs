//! The one definition of how guest components are built, shared by `build.rs` and by the
//! test that proves the build is reproducible from another directory.

use std::path::Path;
use std::process::Command;

/// The guests' target triple.
pub const TARGET: &str = "wasm32-wasip2";

/// Build the guest crates `names` of `<repo>/components/guests` in release mode into
/// `target_dir`, with every absolute path that could leak into the bytes remapped.
pub fn build_guests(
    repo: &Path,
    target_dir: &Path,
    cargo_home: &Path,
    sysroot: &str,
    names: &[&str],
) -> Result<(), String> {
    let guests = repo.join("components").join("guests");
    // Later remaps win when several match, so the most specific (target dir) comes last.
    let flags = [
        format!("--remap-path-prefix={}=/stigpack", repo.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
        format!("--remap-path-prefix={sysroot}=/rustc"),
        format!("--remap-path-prefix={}=/target", target_dir.display()),
        // 128-bit SIMD (deterministic, on by default in wasmtime): memchr's wasm32 search,
        // which quick-xml runs over every byte of every scan, is 2-4x faster with it.
        "-Ctarget-feature=+simd128".to_owned(),
    ]
    .join("\x1f");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&guests)
        .arg("build")
        .arg("--release")
        .arg("--locked")
        .arg("--target")
        .arg(TARGET)
        .arg("--manifest-path")
        .arg(guests.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    for n in names {
        cmd.arg("-p").arg(n);
    }
    for var in [
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags);
    let status = cmd
        .status()
        .map_err(|e| format!("could not start cargo for the guest components: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the guest components failed (see above); to rebuild by hand: cargo build --release --target {TARGET} --manifest-path components/guests/Cargo.toml (if Cargo.lock is out of date: cargo update -w --manifest-path components/guests/Cargo.toml)"
        ));
    }
    Ok(())
}
