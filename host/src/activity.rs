//! What a long command is doing right now, for the spinner an operator sees on a terminal
//! during an export, a validation or a reproduction: the stage names the timed steps
//! already carry ("components: import", "hash list", ...), and while hosts are being
//! imported how many are done of all with an ETA, redrawn with the elapsed time at least
//! every second. Nothing here reaches stdout or any output file.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::ProgressBar;

#[derive(Default)]
struct Now {
    bar: Option<ProgressBar>,
    stage: String,
    /// When the hosts' count started, for the ETA.
    hosts_since: Option<Instant>,
}

static CURRENT: Mutex<Option<Now>> = Mutex::new(None);
static HOSTS_TOTAL: AtomicUsize = AtomicUsize::new(0);
static HOSTS_DONE: AtomicUsize = AtomicUsize::new(0);

fn with<R>(f: impl FnOnce(&mut Option<Now>) -> R) -> R {
    match CURRENT.lock() {
        Ok(mut g) => f(&mut g),
        Err(p) => f(&mut p.into_inner()),
    }
}

fn redraw(now: &Now) {
    let Some(bar) = &now.bar else { return };
    let (total, done) = (
        HOSTS_TOTAL.load(Ordering::Relaxed),
        HOSTS_DONE.load(Ordering::Relaxed),
    );
    if total == 0 {
        bar.set_message(now.stage.clone());
        return;
    }
    let eta = match now.hosts_since {
        Some(t) if done > 0 && done < total => {
            let left = t.elapsed().as_secs_f64() * (total - done) as f64 / done as f64;
            format!(", ETA {}s", left.ceil() as u64)
        }
        _ => String::new(),
    };
    bar.set_message(format!("{} ({done}/{total} hosts{eta})", now.stage));
}

/// Names the stage now running, if a spinner is shown.
pub fn stage(name: &str) {
    with(|c| {
        if let Some(now) = c {
            now.stage = name.to_string();
            redraw(now);
        }
    });
}

/// The number of hosts the coming stages work through.
pub fn hosts(total: usize) {
    HOSTS_TOTAL.store(total, Ordering::Relaxed);
    HOSTS_DONE.store(0, Ordering::Relaxed);
    with(|c| {
        if let Some(now) = c {
            now.hosts_since = Some(Instant::now());
            redraw(now);
        }
    });
}

/// `n` more hosts are done.
pub fn hosts_done(n: usize) {
    HOSTS_DONE.fetch_add(n, Ordering::Relaxed);
    with(|c| {
        if let Some(now) = c {
            redraw(now);
        }
    });
}

/// Shows `bar` until the guard is dropped.
pub fn show(bar: ProgressBar) -> Shown {
    with(|c| {
        *c = Some(Now {
            bar: Some(bar),
            ..Now::default()
        })
    });
    Shown
}

/// Clears the spinner when the command ends, however it ends.
#[derive(Debug)]
pub struct Shown;

impl Drop for Shown {
    fn drop(&mut self) {
        if let Some(bar) = with(Option::take).and_then(|n| n.bar) {
            bar.finish_and_clear();
        }
    }
}
