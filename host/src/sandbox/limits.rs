//! Resource limits for one component run, with defaults sized for a 1,000-host fleet.

/// The budget a component run gets. Every number is documented in `docs/components.md`.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Fuel is charged per wasm instruction (roughly). `None` means "derive from the
    /// input size": [`Limits::BASE_FUEL`] plus [`Limits::FUEL_PER_INPUT_BYTE`] per byte.
    pub fuel: Option<u64>,
    /// Cap on one linear memory, in bytes.
    pub memory_bytes: u64,
    /// Cap on the total bytes of all files in `/output`.
    pub output_bytes: u64,
    /// Cap on the number of files in `/output`.
    pub output_files: u64,
    /// Cap on captured stdout and on captured stderr, each.
    pub stdio_bytes: usize,
}

impl Limits {
    /// Fuel every run gets regardless of input size (enough to start up and write a
    /// handful of files; an endless loop burns it in about a second).
    pub const BASE_FUEL: u64 = 2_000_000_000;
    /// Extra fuel per byte of input: parsing and writing cost a few hundred instructions
    /// per input byte at worst; this leaves a wide margin.
    pub const FUEL_PER_INPUT_BYTE: u64 = 4_000;

    /// The fuel for a run over `input_bytes` of input.
    pub fn fuel_for(&self, input_bytes: u64) -> u64 {
        self.fuel.unwrap_or_else(|| {
            Self::BASE_FUEL.saturating_add(input_bytes.saturating_mul(Self::FUEL_PER_INPUT_BYTE))
        })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: None,
            memory_bytes: 1 << 30,
            output_bytes: 16 << 30,
            output_files: 200_000,
            stdio_bytes: 1 << 20,
        }
    }
}
