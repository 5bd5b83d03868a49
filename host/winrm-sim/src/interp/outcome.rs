//! What a command the simulated host runs produces (its output, exit code and delay), and
//! whether it waits for a script on stdin. The types the WinRS layer (`host.rs`), the
//! interpreters and the client's operations (`ops.rs`) pass between them, kept below all
//! three so that none imports another for them.

use std::time::Duration;

use crate::machine::Machine;

/// What a finished command produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: i64,
    /// How long the command "runs" before its output is ready (Start-Sleep, a scan tool).
    pub delay: Duration,
    /// More stdout, after `stdout`, produced only as Receives ask for it.
    pub stream: Option<Box<dyn OutputSource>>,
}

/// Stdout produced on demand, for output too large to hold at once (a compressed file
/// range): the simulator's memory stays bounded by the envelope size, as the client's does.
pub trait OutputSource: Send + std::fmt::Debug {
    /// About `max` more bytes (fewer at the end); empty once the output is finished.
    fn next_output(&mut self, host: &Machine, max: usize) -> Vec<u8>;
}

impl Outcome {
    pub fn ok(stdout: impl Into<Vec<u8>>) -> Outcome {
        Outcome {
            stdout: stdout.into(),
            ..Default::default()
        }
    }
}

/// Whether a command can run now or waits for its script on stdin.
#[derive(Debug)]
pub enum Launch {
    Ready(Outcome),
    /// The script arrives via Send; run when stdin ends.
    AwaitStdin(StdinMode),
}

/// How a script sent on stdin is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdinMode {
    /// powershell `-Command -`: the script text itself.
    Text,
    /// The stigpack client's stdin bootstrap: base64 of the UTF-8 script.
    Base64,
}
