//! Step timings for performance work: with `STIGPACK_TIMINGS=1` in the environment, each
//! timed step prints `timing <step>: <seconds>` to stderr. Off by default, and never part
//! of any output file, so it cannot affect determinism.

use std::time::Instant;

fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("STIGPACK_TIMINGS").is_some_and(|v| v != "0"))
}

/// Prints the elapsed time of a step when dropped (if timings are on).
#[derive(Debug)]
pub struct Step {
    name: std::borrow::Cow<'static, str>,
    start: Instant,
}

/// Starts timing `name` (and names it as the stage a terminal's spinner shows).
pub fn step(name: impl Into<std::borrow::Cow<'static, str>>) -> Step {
    let name = name.into();
    crate::activity::stage(&name);
    Step {
        name,
        start: Instant::now(),
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if enabled() {
            eprintln!(
                "timing {}: {:.3} s",
                self.name,
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}

/// Prints a count that explains a timing (if timings are on).
pub fn note(what: &str, n: u64) {
    if enabled() {
        eprintln!("timing {what}: {n}");
    }
}
