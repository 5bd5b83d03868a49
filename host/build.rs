//! Compiles every guest component under `components/guests` for `wasm32-wasip2` and
//! embeds the bytes in the `stigpack` binary, so `cargo build` alone yields a working tool.
//!
//! Modelled on wasmtime's `crates/test-programs/artifacts/build.rs`: a nested cargo with
//! its own target directory (no lock contention with the outer build), inherited flags
//! cleared, and `rerun-if-changed` lines taken from the guests' `.d` files. Guest builds
//! are reproducible: absolute paths (the checkout, the cargo registry, the toolchain, the
//! target directory) are remapped, so the bytes do not depend on where the tree lives.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

// The guest build command, shared with the reproducibility test (tests/package/reproducible.rs).
#[path = "guest_build.rs"]
mod guest_build;
// The CycloneDX SBOM `stigpack sbom` prints and `seal` puts in every bundle.
#[path = "sbom_gen.rs"]
mod sbom_gen;

use guest_build::TARGET;

fn main() {
    if let Err(msg) = run() {
        // One line, saying what to do; cargo fails the build on `cargo::error`.
        println!("cargo::error={msg}");
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let repo = manifest_dir
        .parent()
        .ok_or("host/ has no parent directory")?
        .to_path_buf();
    let guests = repo.join("components").join("guests");
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let target_dir = out_dir.join("guests-target");
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());

    // cargo-fuzz builds (`--cfg fuzzing`, fuzz/) drive the native parsers only, on a
    // nightly that has no wasm32-wasip2 target: they embed no components.
    let fuzzing = env::var_os("CARGO_CFG_FUZZING").is_some();
    if !fuzzing {
        check_wasm_target(&rustc)?;
    }

    let members = if fuzzing {
        Vec::new()
    } else {
        guest_members(&guests)?
    };
    let sysroot = command_output(Command::new(&rustc).args(["--print", "sysroot"]))?;
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;

    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    if !fuzzing {
        guest_build::build_guests(&repo, &target_dir, &cargo_home, sysroot.trim(), &names)?;
    }

    let release = target_dir.join(TARGET).join("release");
    let mut wasm_digests = Vec::new();
    let mut builtin = String::from("/// (name, bytes, sha256) of every production component.\npub const BUILTIN: &[(&str, &[u8], &str)] = &[\n");
    let mut test_only = String::from("/// (name, path) of components built only for tests.\n#[allow(dead_code)]\npub const TEST_ONLY: &[(&str, &str)] = &[\n");
    for m in &members {
        let file = release.join(format!("{}.wasm", m.name.replace('-', "_")));
        let bytes = fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let sha = hex::encode(Sha256::digest(&bytes));
        if !m.test_only {
            wasm_digests.push((m.name.clone(), sha.clone()));
        }
        if m.test_only {
            let _ = writeln!(
                test_only,
                "    ({:?}, {:?}),",
                m.name,
                file.display().to_string()
            );
            println!(
                "cargo::rustc-env=STIGPACK_TEST_COMPONENT_{}={}",
                m.name.to_uppercase().replace('-', "_"),
                file.display()
            );
        } else {
            let _ = writeln!(
                builtin,
                "    ({:?}, include_bytes!({:?}), {:?}),",
                m.name,
                file.display().to_string(),
                sha
            );
        }
        emit_deps(
            &release.join(format!("{}.d", m.name.replace('-', "_"))),
            &repo,
        );
    }
    builtin.push_str("];\n");
    test_only.push_str("];\n");
    fs::write(out_dir.join("components.rs"), builtin + &test_only)
        .map_err(|e| format!("writing components.rs: {e}"))?;

    let version = env::var("CARGO_PKG_VERSION").unwrap_or_default();
    sbom_gen::write(&repo, &cargo_home, &version, &wasm_digests, &out_dir)?;

    let guests_rel = Path::new("components").join("guests");
    rerun_if_changed(&guests_rel.join("Cargo.toml"));
    rerun_if_changed(&guests_rel.join("Cargo.lock"));
    rerun_if_changed(Path::new("wit"));
    for m in &members {
        if let Ok(rel) = m.dir.strip_prefix(&repo) {
            rerun_if_changed(&rel.join("Cargo.toml"));
        }
    }
    Ok(())
}

/// Names a file of the repository (`rel`, relative to its root) whose change reruns this
/// script, relative to this package (`host/`), as cargo resolves relative paths. Absolute
/// paths tied the script's output to one checkout: cargo hashes path packages relative
/// to their workspace, so a second checkout built into the same target directory shares
/// this script's output, and with the first checkout's paths it would not rerun and
/// would embed the first checkout's components.
fn rerun_if_changed(rel: &Path) {
    println!("cargo::rerun-if-changed=../{}", rel.display());
}

struct Member {
    name: String,
    dir: PathBuf,
    test_only: bool,
}

/// Every guest crate that builds a component (`crate-type = ["cdylib"]`), sorted by name.
/// A crate marks itself test-only with `[package.metadata.stigpack] test-only = true`.
fn guest_members(guests: &Path) -> Result<Vec<Member>, String> {
    let mut out = Vec::new();
    let rd = fs::read_dir(guests).map_err(|e| format!("{}: {e}", guests.display()))?;
    for entry in rd.flatten() {
        let toml = entry.path().join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&toml) else {
            continue;
        };
        if !text.contains("cdylib") {
            continue;
        }
        let name = text
            .lines()
            .find_map(|l| {
                let l = l.trim();
                l.strip_prefix("name")
                    .map(|r| r.trim_start())
                    .and_then(|r| r.strip_prefix('='))
                    .map(|r| r.trim().trim_matches('"').to_string())
            })
            .ok_or_else(|| format!("{}: no package name", toml.display()))?;
        out.push(Member {
            name,
            dir: entry.path(),
            test_only: text.contains("test-only = true"),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn check_wasm_target(rustc: &str) -> Result<(), String> {
    let missing = "the wasm32-wasip2 target is not installed; run: rustup target add wasm32-wasip2 (offline here: ../shared/toolchain/install-wasm-target.sh)";
    let libdir =
        command_output(Command::new(rustc).args(["--print", "target-libdir", "--target", TARGET]))
            .map_err(|_| missing.to_string())?;
    let has_std = fs::read_dir(libdir.trim())
        .map(|rd| {
            rd.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
        })
        .unwrap_or(false);
    if has_std {
        Ok(())
    } else {
        Err(missing.to_string())
    }
}

fn command_output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Turn a guest's `.d` file into `rerun-if-changed` lines for the sources in this repo.
fn emit_deps(dfile: &Path, repo: &Path) {
    let Ok(text) = fs::read_to_string(dfile) else {
        return;
    };
    for line in text.lines() {
        let Some((_, deps)) = line.split_once(": ") else {
            continue;
        };
        // Paths are space separated, with spaces inside paths escaped as "\ ".
        let mut cur = String::new();
        let mut chars = deps.chars().peekable();
        let mut paths = Vec::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => {
                    cur.push(' ');
                    chars.next();
                }
                ' ' => paths.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        paths.push(cur);
        for p in paths.into_iter().filter(|p| !p.is_empty()) {
            if let Ok(rel) = Path::new(&p).strip_prefix(repo) {
                rerun_if_changed(rel);
            }
        }
    }
}
