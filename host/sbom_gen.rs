//! Build-time CycloneDX 1.5 SBOM of the `stigpack` binary: every crate in the host and
//! guest `Cargo.lock` files (a superset of what is linked: it includes build and dev
//! dependencies) with version, licence (read from the crate's own Cargo.toml in the
//! local cargo registry) and purl, and each embedded component with its `.wasm` SHA-256.
//! No timestamp, and a serial number derived from the content, so the bytes depend only
//! on the inputs.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

/// (name, version, is-from-a-registry) of every package of a Cargo.lock.
fn lock_packages(lock: &Path) -> Result<Vec<(String, String, bool)>, String> {
    let text = fs::read_to_string(lock).map_err(|e| format!("{}: {e}", lock.display()))?;
    let mut out = Vec::new();
    for block in text.split("[[package]]").skip(1) {
        let field = |k: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(k)
                    .and_then(|r| r.trim().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_owned())
            })
        };
        if let (Some(n), Some(v)) = (field("name "), field("version ")) {
            out.push((n, v, field("source ").is_some()));
        }
    }
    Ok(out)
}

/// The `license` of a registry crate, from its unpacked source under CARGO_HOME.
fn licence(cargo_home: &Path, name: &str, version: &str) -> Option<String> {
    let src = cargo_home.join("registry").join("src");
    let mut dirs: Vec<_> = fs::read_dir(&src)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        let toml = d.join(format!("{name}-{version}")).join("Cargo.toml");
        if let Ok(text) = fs::read_to_string(&toml) {
            return text.lines().find_map(|l| {
                l.strip_prefix("license")
                    .and_then(|r| r.trim().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_owned())
            });
        }
    }
    None
}

fn esc(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// Writes `sbom.cdx.json` into `out_dir`. `wasm` is (component name, sha256).
pub fn write(
    repo: &Path,
    cargo_home: &Path,
    version: &str,
    wasm: &[(String, String)],
    out_dir: &Path,
) -> Result<(), String> {
    let mut crates: BTreeMap<(String, String), bool> = BTreeMap::new();
    for lock in [
        repo.join("Cargo.lock"),
        repo.join("components/guests/Cargo.lock"),
    ] {
        for (n, v, reg) in lock_packages(&lock)? {
            crates.insert((n, v), reg);
        }
    }
    let mut comps = Vec::new();
    for ((name, ver), registry) in &crates {
        let lic = if *registry {
            licence(cargo_home, name, ver)
        } else {
            Some("Apache-2.0".to_owned())
        };
        let lic = match lic {
            Some(l) => format!(",\"licenses\":[{{\"expression\":\"{}\"}}]", esc(&l)),
            None => String::new(),
        };
        let purl = format!("pkg:cargo/{name}@{ver}");
        comps.push(format!(
            "{{\"bom-ref\":\"{p}\",\"type\":\"library\",\"name\":\"{n}\",\"version\":\"{v}\"{lic},\"purl\":\"{p}\"}}",
            p = esc(&purl), n = esc(name), v = esc(ver)
        ));
    }
    for (name, sha) in wasm {
        comps.push(format!(
            "{{\"bom-ref\":\"component:{n}\",\"type\":\"application\",\"name\":\"{n}\",\"version\":\"{version}\",\"description\":\"embedded WebAssembly component (wasm32-wasip2)\",\"hashes\":[{{\"alg\":\"SHA-256\",\"content\":\"{sha}\"}}],\"licenses\":[{{\"expression\":\"Apache-2.0\"}}]}}",
            n = esc(name)
        ));
    }
    let body = comps.join(",\n    ");
    let digest = hex::encode(Sha256::digest(body.as_bytes()));
    let serial = format!(
        "urn:uuid:{}-{}-5{}-8{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[13..16],
        &digest[17..20],
        &digest[20..32]
    );
    let doc = format!(
        "{{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"serialNumber\": \"{serial}\",\n  \"version\": 1,\n  \"metadata\": {{\"component\": {{\"bom-ref\":\"pkg:cargo/stigpack@{version}\",\"type\":\"application\",\"name\":\"stigpack\",\"version\":\"{version}\",\"licenses\":[{{\"expression\":\"Apache-2.0\"}}],\"purl\":\"pkg:cargo/stigpack@{version}\"}}}},\n  \"components\": [\n    {body}\n  ]\n}}\n"
    );
    fs::write(out_dir.join("sbom.cdx.json"), doc)
        .map_err(|e| format!("writing sbom.cdx.json: {e}"))?;
    println!(
        "cargo::rerun-if-changed={}",
        repo.join("Cargo.lock").display()
    );
    Ok(())
}
