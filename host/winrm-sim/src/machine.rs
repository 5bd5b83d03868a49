//! The simulated Windows host as its commands see it: its name, files, applied state,
//! clock, faults and counters. Apart from the WinRS layer (`host.rs`: shells, commands,
//! Receives), so that the command interpreter (`interp/`) and the client's operations
//! (`ops.rs`) run against the machine without importing the protocol layer that calls them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::faults::HostFaults;
use crate::vfs::generate::{self, Formats, HostState, ScanTime};
use crate::vfs::Vfs;

/// Counters a test can read while the simulator runs.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub connections: AtomicU64,
    pub shells_created: AtomicU64,
    pub shells_deleted: AtomicU64,
    pub commands_run: AtomicU64,
    pub receives: AtomicU64,
    pub signals: AtomicU64,
    pub auth_failures: AtomicU64,
    pub faults_injected: AtomicU64,
    pub operation_timeouts: AtomicU64,
    pub quota_rejections: AtomicU64,
    pub oversize_rejections: AtomicU64,
    pub stdout_bytes: AtomicU64,
    /// Per-request counter driving the `*-every:n` faults.
    pub(crate) receive_seq: AtomicU64,
    pub(crate) output_receive_seq: AtomicU64,
}

/// One simulated machine: what its commands read and change.
#[derive(Debug)]
pub struct Machine {
    pub(crate) name: String,
    pub(crate) faults: HostFaults,
    pub(crate) counters: Counters,
    /// Generated on first use, so a fleet of hundreds costs memory only for hosts touched.
    vfs: std::sync::OnceLock<Mutex<Vfs>>,
    /// What applies have done to the host; what its next scan reports.
    state: Mutex<HostState>,
    seed: u64,
    /// Fixed time for status and scans; `None`: the system clock.
    pub(crate) clock: Option<std::time::SystemTime>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Machine {
    pub(crate) fn new(name: String, faults: HostFaults, seed: u64) -> Machine {
        Machine {
            name,
            faults,
            counters: Counters::default(),
            vfs: std::sync::OnceLock::new(),
            state: Mutex::new(HostState::default()),
            seed,
            clock: None,
        }
    }

    /// The host's idea of now.
    pub fn now(&self) -> crate::vfs::generate::ScanTime {
        crate::vfs::generate::ScanTime::from_system(
            self.clock.unwrap_or_else(std::time::SystemTime::now),
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        let vfs = self.vfs_lock();
        vfs.get(path).map(|f| f.content.read(0, f.content.len()))
    }

    pub fn vfs_lock(&self) -> MutexGuard<'_, Vfs> {
        lock(
            self.vfs
                .get_or_init(|| Mutex::new(crate::vfs::generate::host_vfs(&self.name, self.seed))),
        )
    }

    /// The host's state (what applies changed).
    pub fn state(&self) -> HostState {
        *lock(&self.state)
    }

    /// A fresh scan now: replaces `out_root\<HOST>\` with results for the host's current
    /// state dated `time`. Returns the paths written.
    pub fn rescan(&self, out_root: &str, formats: Formats, time: ScanTime) -> Vec<String> {
        let state = self.state();
        let mut vfs = self.vfs_lock();
        generate::rescan(
            &mut vfs, &self.name, self.seed, state, time, out_root, formats,
        )
    }

    /// Applies the hardening baseline; returns how many Open rules it makes compliant
    /// (0 when it was already applied).
    pub fn harden(&self) -> usize {
        let mut st = lock(&self.state);
        if st.hardened {
            return 0;
        }
        st.hardened = true;
        generate::hardening_fixes(&self.name, self.seed)
    }

    pub(crate) fn note_fault(&self) {
        self.counters
            .faults_injected
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn path_exists(&self, path: &str) -> bool {
        self.vfs_lock().exists(path)
    }
}
