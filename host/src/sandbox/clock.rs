//! Clocks frozen at the export time: a component that asks for "now" gets the export time,
//! so nothing it writes can depend on when or how long it ran.

use std::time::Duration;

use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// The wall clock, fixed at the export time (seconds since the Unix epoch).
#[derive(Debug, Clone, Copy)]
pub struct FixedWallClock(pub Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

/// The monotonic clock never advances: elapsed time is always zero.
#[derive(Debug, Clone, Copy)]
pub struct FrozenMonotonicClock;

impl HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
