//! The on-disk cache of compiled components.
//!
//! Compiling a component with Cranelift takes hundreds of milliseconds; loading a
//! precompiled artifact takes about one. But loading an artifact means trusting its
//! machine code, so this cache only ever loads files it wrote itself: they live in a
//! directory owned by the current user and writable by nobody else, are named by the
//! .wasm's SHA-256 and the engine's compatibility hash (wasmtime version + `Config`), and
//! are written to a temporary name and renamed, so a crash never leaves a torn artifact.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

use super::SandboxError;

/// A directory of precompiled components for one engine configuration.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
    engine_key: String,
}

/// Feeds `Hash` output into SHA-256, giving a key that is stable across runs (unlike
/// `DefaultHasher`, whose algorithm is not promised).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl ComponentCache {
    /// The cache directory: `$STIGPACK_CACHE_DIR`, else `$XDG_CACHE_HOME/stigpack`, else
    /// `~/.cache/stigpack`; `components/` below it.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("STIGPACK_CACHE_DIR").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(d).join("components"));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("stigpack").join("components"))
    }

    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut h = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        // Our own version too: a changed Config in a new stigpack must not reuse old code.
        env!("CARGO_PKG_VERSION").hash(&mut h);
        let engine_key = hex::encode(&h.0.finalize()[..16]);
        ComponentCache { dir, engine_key }
    }

    fn path_for(&self, wasm_sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{wasm_sha256}-{}.cwasm", self.engine_key))
    }

    /// Load a cached artifact if one exists and passes the ownership checks; compile and
    /// store it otherwise. Cache failures never fail the run: they fall back to compiling.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        wasm_sha256: &str,
    ) -> Result<(Component, bool), wasmtime::Error> {
        let path = self.path_for(wasm_sha256);
        if self.trusted(&path) {
            // SAFETY: `deserialize_file` runs the machine code in the file. We only reach
            // this line for a file that (1) has the name this cache gives the artifact of
            // exactly these .wasm bytes under exactly this engine configuration, (2) sits
            // in a directory owned by us and writable by no one else, and (3) is owned by
            // us and writable by no one else; so only this program, running as this user,
            // can have written it (via `store` below, which renames complete files only).
            // wasmtime additionally checks the artifact's header against this engine.
            #[allow(unsafe_code)]
            let loaded = unsafe { Component::deserialize_file(engine, &path) };
            if let Ok(c) = loaded {
                return Ok((c, true));
            }
            // A stale or foreign artifact: drop it and recompile.
            let _ = fs::remove_file(&path);
        }
        let compiled = engine.precompile_component(wasm)?;
        let _ = self.store(&path, &compiled);
        // SAFETY: `compiled` was produced by `precompile_component` on this very engine a
        // moment ago, in memory; no other party could have touched it.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok((component, false))
    }

    fn trusted(&self, path: &Path) -> bool {
        let uid = rustix::process::geteuid().as_raw();
        let ok = |m: &fs::Metadata| m.uid() == uid && m.mode() & 0o022 == 0;
        match (fs::symlink_metadata(&self.dir), fs::symlink_metadata(path)) {
            (Ok(d), Ok(f)) => d.is_dir() && f.is_file() && ok(&d) && ok(&f),
            _ => false,
        }
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> Result<(), SandboxError> {
        let io = |e| SandboxError::io(&self.dir, e);
        fs::create_dir_all(&self.dir).map_err(io)?;
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(io)?;
        tmp.write_all(bytes).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// The directory, for `component list` and docs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
