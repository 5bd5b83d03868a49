//! `stigpack`: the operator's binary. All I/O and every trust decision live on this side;
//! the format logic runs in sandboxed components (see `sandbox/`).
//!
//! `main` only turns `cli::run`'s result into an exit code and prints the error chain
//! (ripgrep's habit): the codes are documented in `docs/cli.md`.

mod cli;
mod exit;
mod hashing;
mod pipeline;
mod sandbox;
mod staging;
mod time_arg;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code.into(),
        Err(err) => {
            let code = exit::code_for(&err);
            // A closed pipe (stigpack ... | head) is not an error worth reporting.
            if exit::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "stigpack: error: {err:#}");
            code.into()
        }
    }
}
