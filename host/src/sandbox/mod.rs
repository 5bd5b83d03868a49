//! Running transform components in a sandbox.
//!
//! Every piece of format logic runs as a WASI Preview 2 component that sees only what
//! this module hands it (see `wit/since_v0.1.0/transform.wit` and `docs/components.md`):
//!
//! | capability      | what the guest gets                                             |
//! |-----------------|-----------------------------------------------------------------|
//! | file system     | `/input` read-only, `/output` read-write (fresh, empty), nothing else |
//! | clocks          | wall and monotonic clocks frozen at the export time            |
//! | randomness      | both sources seeded from the component's own digest             |
//! | env, args, stdin| none                                                             |
//! | network         | TCP, UDP and name lookup denied                                  |
//! | CPU             | fuel (deterministic instruction budget)                          |
//! | memory          | a cap on linear memory, tables and instances                     |
//! | output          | caps on bytes and files written, stdout/stderr bounded           |
//!
//! The host never trusts a component's account of itself: it walks `/output` after the
//! run, checks the names against the returned list, and hashes what is really there.

mod cache;
mod clock;
mod engine;
mod error;
mod guest;
mod limits;
mod registry;
mod run;
mod vet;

pub use cache::ComponentCache;
pub use engine::Sandbox;
pub use error::SandboxError;
pub use limits::Limits;
pub use registry::{ComponentSource, LoadedComponent};
pub use vet::{classify_import, Grant, Severity, Verdict, VetReport};

/// The default compiled-component cache directory.
pub fn default_cache_dir() -> Option<std::path::PathBuf> {
    ComponentCache::default_dir()
}
pub use run::{digest_tree, FileDigest, RunRecord, RunRequest};

/// The WIT contract versions this host can run, newest last.
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.1.0"];

/// Bindings for the frozen `stigpack:component@0.1.0` world.
#[allow(missing_docs, missing_debug_implementations, clippy::all)]
pub(crate) mod bindings_v0_1_0 {
    wasmtime::component::bindgen!({
        world: "transform",
        path: "../wit/since_v0.1.0",
    });
}

#[cfg(test)]
mod tests;
