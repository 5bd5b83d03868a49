//! Where component bytes come from: built into this binary, or a file an operator vetted
//! and pinned by SHA-256. Either way the digest is computed here, from the bytes, never
//! taken from a name or a manifest.

use sha2::{Digest, Sha256};

use super::SandboxError;

/// A component's bytes and where they came from.
#[derive(Debug, Clone)]
pub struct ComponentSource {
    /// What to call it in messages before `info()` has been asked.
    pub label: String,
    pub bytes: std::borrow::Cow<'static, [u8]>,
    pub sha256: String,
    /// True for components embedded in this binary at build time.
    pub builtin: bool,
}

mod generated {
    // Written by build.rs: one entry per guest under components/guests.
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}

impl ComponentSource {
    /// Every component built into this binary, in name order.
    pub fn builtins() -> Vec<ComponentSource> {
        generated::BUILTIN
            .iter()
            .map(|(name, bytes, sha)| ComponentSource {
                label: (*name).to_string(),
                bytes: std::borrow::Cow::Borrowed(*bytes),
                sha256: (*sha).to_string(),
                builtin: true,
            })
            .collect()
    }

    /// The built-in component called `name`.
    pub fn builtin(name: &str) -> Option<ComponentSource> {
        Self::builtins().into_iter().find(|c| c.label == name)
    }

    /// A third-party component file. With `pin`, the bytes must hash to it.
    pub fn from_file(path: &std::path::Path, pin: Option<&str>) -> Result<Self, SandboxError> {
        let bytes = std::fs::read(path).map_err(|e| SandboxError::io(path, e))?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let label = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        if let Some(expected) = pin {
            let expected = expected.trim_start_matches("sha256:").to_ascii_lowercase();
            if expected != sha256 {
                return Err(SandboxError::DigestMismatch {
                    component: label,
                    expected,
                    actual: sha256,
                });
            }
        }
        Ok(ComponentSource {
            label,
            bytes: std::borrow::Cow::Owned(bytes),
            sha256,
            builtin: false,
        })
    }
}

/// A component compiled, linked and described, ready to run many times.
#[derive(Clone)]
pub struct LoadedComponent {
    pub name: String,
    pub version: String,
    pub summary: String,
    pub produces: Vec<String>,
    pub sha256: String,
    /// The WIT package version the component was built against.
    pub wit_version: String,
    pub builtin: bool,
    /// True when the compiled code came from the on-disk cache.
    pub from_cache: bool,
    pub(crate) pre: super::guest::Pre,
}

impl std::fmt::Debug for LoadedComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedComponent")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("sha256", &self.sha256)
            .field("wit_version", &self.wit_version)
            .field("builtin", &self.builtin)
            .field("from_cache", &self.from_cache)
            .finish_non_exhaustive()
    }
}
