//! Progress on stderr for long fleet runs, the way an operator in a terminal expects it:
//! hosts done, failed and in flight, elapsed time and ETA, redrawn at least every second.
//! Only when stderr is a terminal, never with `--json`, never with `--quiet`: scripts and
//! logs get exactly what they got before.

use std::collections::HashSet;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stigpack_winrm::fleet::{NoProgress, Progress};

/// A spinner naming the running stage with the elapsed time (`crate::activity`), for
/// commands without a host count to show; `None` when it should not be shown.
pub fn activity(what: &str, json: bool, quiet: bool) -> Option<crate::activity::Shown> {
    if json || quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {prefix} [{elapsed_precise}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar.set_message("starting");
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(crate::activity::show(bar))
}

/// A bar over `hosts` hosts, or nothing when it should not be shown.
pub fn fleet(what: &str, hosts: usize, json: bool, quiet: bool) -> Arc<dyn Progress> {
    if json || quiet || hosts == 0 || !std::io::stderr().is_terminal() {
        return Arc::new(NoProgress);
    }
    let bar = ProgressBar::with_draw_target(Some(hosts as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} {prefix} [{elapsed_precise}] {bar:30} {pos}/{len} hosts, {msg}, ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar.set_message("0 failed, 0 in flight");
    // Redrawn on a timer too, so a run waiting on slow hosts never looks stuck.
    bar.enable_steady_tick(Duration::from_millis(200));
    Arc::new(FleetBar {
        bar,
        failed: AtomicUsize::new(0),
        in_flight: Mutex::new(HashSet::new()),
    })
}

struct FleetBar {
    bar: ProgressBar,
    failed: AtomicUsize,
    /// Hosts holding a concurrency slot now.
    in_flight: Mutex<HashSet<String>>,
}

impl FleetBar {
    fn message(&self) {
        self.bar.set_message(format!(
            "{} failed, {} in flight",
            self.failed.load(Ordering::Relaxed),
            self.flying(|f| f.len())
        ));
    }

    fn flying<R>(&self, f: impl FnOnce(&mut HashSet<String>) -> R) -> R {
        match self.in_flight.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

impl Progress for FleetBar {
    fn started(&self, host: &str) {
        self.flying(|f| f.insert(host.to_string()));
        self.message();
    }

    fn finished(&self, host: &str, ok: bool) {
        // A host that never started (bad credentials, cancelled) was never in flight.
        self.flying(|f| f.remove(host));
        if !ok {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.message();
        self.bar.inc(1);
        if self.bar.position() >= self.bar.length().unwrap_or(0) {
            // The results table follows; the bar must not stay between its lines.
            self.bar.finish_and_clear();
        }
    }
}
