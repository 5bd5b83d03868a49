//! Deterministic pseudo-randomness (SplitMix64) for generated host content, so the same
//! seed always yields byte-identical virtual file systems; and OS randomness for
//! per-run secrets and identifiers that must not be predictable.

use crate::error::SimError;

/// SplitMix64: tiny, fast, and good enough to vary generated scan content.
#[derive(Debug, Clone)]
pub struct SeedRng(u64);

impl SeedRng {
    pub fn new(seed: u64) -> Self {
        SeedRng(seed)
    }

    /// Derives an independent stream for a sub-purpose (e.g. one host) from a label.
    pub fn derive(seed: u64, label: &str) -> Self {
        let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
        for b in label.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
        SeedRng(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-ish integer in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// An upper-case GUID string like Windows prints.
    pub fn guid(&mut self) -> String {
        format_guid(self.next_u64(), self.next_u64())
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Callers only pass non-empty constant tables.
        &items[self.below(items.len() as u64) as usize]
    }
}

pub fn format_guid(a: u64, b: u64) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        (a & 0x0FFF) | 0x4000,
        ((b >> 48) & 0x3FFF) | 0x8000,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// Bytes from the operating system's random source.
pub fn os_random(buf: &mut [u8]) -> Result<(), SimError> {
    getrandom::fill(buf).map_err(|e| SimError::Random(e.to_string()))
}

/// A generator of unpredictable GUIDs (shell, command and message ids), seeded once from
/// the OS so ids never collide across runs.
#[derive(Debug)]
pub struct IdGen(std::sync::Mutex<SeedRng>);

impl IdGen {
    pub fn new() -> Result<Self, SimError> {
        let mut b = [0u8; 8];
        os_random(&mut b)?;
        Ok(IdGen(std::sync::Mutex::new(SeedRng::new(
            u64::from_le_bytes(b),
        ))))
    }

    pub fn guid(&self) -> String {
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.guid()
    }
}
