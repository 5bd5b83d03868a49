//! The one wasmtime engine of a stigpack process and how a component gets into it.
//!
//! The `Config` here is part of the determinism story: fuel (not wall-clock epochs) decides
//! when a guest is out of time, NaNs are canonicalised, and relaxed SIMD is made
//! deterministic, so the same component on the same inputs computes the same bytes on any
//! machine. Epoch interruption is enabled only as a stop signal for the output-size
//! watcher (see `run.rs`); it never decides a result on its own.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use wasmtime::component::{types::ComponentItem, Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

use super::bindings_v0_1_0::{Transform, TransformPre};
use super::cache::ComponentCache;
use super::guest::{GuestState, MemoryLimiter};
use super::registry::{ComponentSource, LoadedComponent};
use super::{SandboxError, SUPPORTED_WIT_VERSIONS};

/// The engine, linker and compiled-code cache shared by every run in this process.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) engine: Engine,
    linker: Linker<GuestState>,
    cache: Option<ComponentCache>,
    /// Fuel on. Off only in the benchmark that measures its cost.
    fuel: bool,
    /// Epoch checks on. Off only in the benchmark that measures their cost.
    epochs: bool,
    /// Digests of files this process has hashed: see [`DigestCache`] for why reuse is
    /// sound. Shared by clones, so every run of one command shares it.
    digests: std::sync::Arc<crate::hashing::DigestCache>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// An engine with the deterministic configuration. `cache_dir: None` disables the
    /// on-disk cache of compiled components.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Self, SandboxError> {
        Self::build(cache_dir, true, true)
    }

    /// An engine without fuel or epoch checks: no CPU budget and no way to stop a
    /// runaway guest. Exists only so the sandbox benchmark can measure what metering
    /// costs; never use it to run anything.
    #[doc(hidden)]
    pub fn unmetered_for_benchmarks() -> Result<Self, SandboxError> {
        Self::build(None, false, false)
    }

    /// An engine with only some of the metering: `fuel` and `epochs` each on or off.
    /// Exists only so the sandbox benchmark can tell what each costs; without fuel a run
    /// has no CPU budget, so never use it to run anything.
    #[doc(hidden)]
    pub fn metered_for_benchmarks(fuel: bool, epochs: bool) -> Result<Self, SandboxError> {
        Self::build(None, fuel, epochs)
    }

    fn build(cache_dir: Option<PathBuf>, fuel: bool, epochs: bool) -> Result<Self, SandboxError> {
        let mut cfg = Config::new();
        cfg.wasm_component_model(true)
            .consume_fuel(fuel)
            .epoch_interruption(epochs)
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true)
            .parallel_compilation(true);
        let engine = Engine::new(&cfg).map_err(|e| SandboxError::Host(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| SandboxError::Host(format!("{e:#}")))?;
        let cache = cache_dir.map(|d| ComponentCache::new(d, &engine));
        Ok(Sandbox {
            engine,
            linker,
            cache,
            fuel,
            epochs,
            digests: Default::default(),
        })
    }

    /// The digest cache every run of this sandbox hashes through; callers hashing the
    /// same files afterwards (the package hash list) should use it too.
    pub fn digests(&self) -> &crate::hashing::DigestCache {
        &self.digests
    }

    /// The cache directory in use, if any.
    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache.as_ref().map(|c| c.dir())
    }

    /// Compile (or load from cache), check the contract version, link, and ask the
    /// component to describe itself.
    pub fn load(&self, source: &ComponentSource) -> Result<LoadedComponent, SandboxError> {
        let label = source.label.clone();
        let load_err = |e: wasmtime::Error| SandboxError::Load {
            component: label.clone(),
            message: format!("{e:#}"),
        };
        let (component, from_cache) = match &self.cache {
            Some(cache) => cache
                .load_or_compile(&self.engine, &source.bytes, &source.sha256)
                .map_err(load_err)?,
            None => (
                Component::new(&self.engine, &source.bytes).map_err(load_err)?,
                false,
            ),
        };
        let wit_version = self.contract_version(&component, &label)?;
        let instance_pre =
            self.linker
                .instantiate_pre(&component)
                .map_err(|e| SandboxError::Load {
                    component: label.clone(),
                    message: format!("imports something the sandbox does not provide: {e:#}"),
                })?;
        let pre = TransformPre::new(instance_pre).map_err(|e| SandboxError::Load {
            component: label.clone(),
            message: format!("does not implement the transform world: {e:#}"),
        })?;

        // Ask for info() in a throwaway store with no capabilities and a small budget.
        let mut store = self.store(WasiCtxBuilder::new().build(), 1 << 26, 50_000_000);
        let info = pre
            .instantiate(&mut store)
            .and_then(|t: Transform| t.call_info(&mut store))
            .map_err(|e| SandboxError::Load {
                component: label.clone(),
                message: format!("info() failed: {e:#}"),
            })?;
        Ok(LoadedComponent {
            name: info.name,
            version: info.version,
            summary: info.summary,
            produces: info.produces,
            sha256: source.sha256.clone(),
            wit_version,
            builtin: source.builtin,
            from_cache,
            pre,
        })
    }

    /// The contract version a component was built against, read from the versioned
    /// interface it imports (`stigpack:component/types@X.Y.Z`). Refuses versions this host
    /// does not know, before anything runs.
    fn contract_version(&self, component: &Component, label: &str) -> Result<String, SandboxError> {
        let ty = component.component_type();
        for (name, item) in ty.imports(&self.engine) {
            if let (Some(rest), ComponentItem::ComponentInstance(_)) =
                (name.strip_prefix("stigpack:component/types@"), item.ty)
            {
                if SUPPORTED_WIT_VERSIONS.contains(&rest) {
                    return Ok(rest.to_string());
                }
                return Err(SandboxError::Load {
                    component: label.to_string(),
                    message: format!(
                        "built against stigpack:component@{rest}; this stigpack runs {}",
                        SUPPORTED_WIT_VERSIONS.join(", ")
                    ),
                });
            }
        }
        Err(SandboxError::Load {
            component: label.to_string(),
            message: "does not import stigpack:component/types: not a stigpack transform"
                .to_string(),
        })
    }

    pub(crate) fn store(&self, wasi: WasiCtx, memory_bytes: u64, fuel: u64) -> Store<GuestState> {
        let mut store = Store::new(
            &self.engine,
            GuestState {
                wasi,
                table: ResourceTable::new(),
                limiter: MemoryLimiter {
                    memory_bytes,
                    hit: false,
                },
                stop: Arc::new(AtomicBool::new(false)),
            },
        );
        store.limiter(|s| &mut s.limiter);
        if self.fuel {
            // Fuel cannot fail to be set when fuel is enabled in the config, which it is.
            let _ = store.set_fuel(fuel);
        }
        if !self.epochs {
            return store;
        }
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if ctx.data().stop.load(std::sync::atomic::Ordering::SeqCst) {
                Err(wasmtime::format_err!("stopped by the output watcher"))
            } else {
                Ok(wasmtime::UpdateDeadline::Continue(1))
            }
        });
        store
    }
}
