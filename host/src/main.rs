//! `stigpack`: the operator's binary. All I/O and every trust decision live on this side;
//! the format logic runs in sandboxed components (see `sandbox/`).
//!
//! `main` only turns `cli::run`'s result into an exit code and prints the error chain
//! (ripgrep's habit): the codes are documented in `docs/cli.md`.

use std::io::Write;
use std::process::ExitCode;

use stigpack::exit;

fn main() -> ExitCode {
    match stigpack::cli::run() {
        Ok(code) => code.into(),
        Err(err) => {
            // A closed pipe (stigpack ... | head) is not an error worth reporting.
            if exit::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let code = exit::code_for(&err);
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "stigpack: error: {err:#}");
            code.into()
        }
    }
}
