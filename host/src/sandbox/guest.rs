//! What a guest's store holds while it runs (its WASI context, resource table, memory
//! limiter and stop flag) and the pre-linked component type built over it. Apart from the
//! engine, so that a loaded component (`registry.rs`) can name its pre-linked form without
//! importing the engine that loads it.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings_v0_1_0::TransformPre;

/// Everything a guest's store holds.
pub(crate) struct GuestState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    /// Set by the output watcher when `/output` grows past its caps.
    pub(crate) stop: Arc<AtomicBool>,
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory, tables and instances, and remembers whether it said no, so that a
/// memory bomb is reported as such rather than as an anonymous trap.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    pub(crate) memory_bytes: u64,
    pub(crate) hit: bool,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.memory_bytes {
            self.hit = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes reached",
                self.memory_bytes
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }

    fn instances(&self) -> usize {
        64
    }
    fn tables(&self) -> usize {
        64
    }
    fn memories(&self) -> usize {
        64
    }
}

pub(crate) type Pre = TransformPre<GuestState>;
