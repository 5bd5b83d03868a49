//! What a long command is doing right now, for the spinner an operator sees on a terminal
//! during an export, a validation or a reproduction: the stage names the timed steps
//! already carry ("components: import", "hash list", ...), redrawn with the elapsed time
//! at least every second. Nothing here reaches stdout or any output file.

use std::sync::Mutex;

use indicatif::ProgressBar;

static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Option<ProgressBar>) -> R) -> R {
    match CURRENT.lock() {
        Ok(mut g) => f(&mut g),
        Err(p) => f(&mut p.into_inner()),
    }
}

/// Names the stage now running, if a spinner is shown.
pub fn stage(name: &str) {
    with(|c| {
        if let Some(bar) = c {
            bar.set_message(name.to_string());
        }
    });
}

/// Shows `bar` until the guard is dropped.
pub fn show(bar: ProgressBar) -> Shown {
    with(|c| *c = Some(bar));
    Shown
}

/// Clears the spinner when the command ends, however it ends.
#[derive(Debug)]
pub struct Shown;

impl Drop for Shown {
    fn drop(&mut self) {
        if let Some(bar) = with(Option::take) {
            bar.finish_and_clear();
        }
    }
}
