//! Running independent work on every core, with results and errors in a fixed order so
//! that nothing the user sees depends on the number of cores or on thread timing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many workers to use: `STIGPACK_JOBS` if set to a positive number, else the
/// number of cores the process may use. Outputs never depend on it.
pub fn jobs() -> usize {
    std::env::var("STIGPACK_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// [`try_map`] for work that cannot fail: each item's own outcome, in item order, with
/// every item run. Callers that keep per-item errors (to report the first in item order
/// themselves) need no `Infallible` wrapper.
pub fn map<T, R, F>(items: &[T], jobs: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
{
    match try_map(items, jobs, |i, t| {
        Ok::<R, std::convert::Infallible>(f(i, t))
    }) {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// Applies `f` to every item on up to `jobs` threads and returns the results in item
/// order. Items are taken in order, so putting the longest tasks first balances the load.
///
/// On the first failure no item after it is started, but items before it still run, and
/// the error returned is the one of the lowest-numbered failing item: the same error a
/// one-thread run would report.
pub fn try_map<T, R, E, F>(items: &[T], jobs: usize, f: F) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(usize, &T) -> Result<R, E> + Sync,
{
    let n = items.len();
    let jobs = jobs.clamp(1, n.max(1));
    if jobs == 1 {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let next = AtomicUsize::new(0);
    // Lowest failing index so far; items past it are not started.
    let failed_at = AtomicUsize::new(usize::MAX);
    let slots: Mutex<Vec<Option<Result<R, E>>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || i > failed_at.load(Ordering::Relaxed) {
                    break;
                }
                let r = f(i, &items[i]);
                if r.is_err() {
                    failed_at.fetch_min(i, Ordering::Relaxed);
                }
                if let Ok(mut v) = slots.lock() {
                    v[i] = Some(r);
                }
            });
        }
    });
    let slots = slots.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::with_capacity(n);
    for r in slots {
        match r {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            // Only items after a failure are skipped, and that failure came first.
            None => break,
        }
    }
    if out.len() == n {
        Ok(out)
    } else {
        unreachable!("an item was skipped without an earlier failure")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_runs_every_item_and_keeps_item_order_whatever_the_jobs() {
        let items: Vec<u64> = (0..200).collect();
        for jobs in [1, 2, 7] {
            let out = map(&items, jobs, |i, &x| {
                // Later items finish first, so order comes from the slots, not timing.
                std::thread::sleep(std::time::Duration::from_micros((200 - x) * 5));
                (i, x.is_multiple_of(3).then_some(x))
            });
            assert_eq!(out.len(), items.len(), "jobs {jobs}");
            for (k, (i, r)) in out.iter().enumerate() {
                assert_eq!(*i, k);
                assert_eq!(*r, (k as u64).is_multiple_of(3).then_some(k as u64));
            }
        }
    }

    #[test]
    fn results_come_back_in_item_order_whatever_the_jobs() {
        let items: Vec<u64> = (0..200).collect();
        for jobs in [1, 2, 7] {
            let out: Vec<u64> = try_map(&items, jobs, |_, &x| {
                // Uneven work so that threads finish out of order.
                std::thread::sleep(std::time::Duration::from_micros((x % 7) * 50));
                Ok::<_, ()>(x * x)
            })
            .unwrap();
            assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_lowest_numbered_failure_is_reported_and_later_items_are_not_started() {
        let items: Vec<usize> = (0..100).collect();
        let started = AtomicUsize::new(0);
        for jobs in [1, 2, 4] {
            started.store(0, Ordering::Relaxed);
            let err = try_map(&items, jobs, |i, _| {
                started.fetch_add(1, Ordering::Relaxed);
                // Item 30 fails slowly, item 31 fails fast: 30 must still be the one
                // reported, as a one-thread run would.
                match i {
                    30 => {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        Err(format!("item {i}"))
                    }
                    31 => Err(format!("item {i}")),
                    // Later items take a little time, as real ones do, so that the check
                    // "not every item started" does not hinge on the scheduler: on a
                    // loaded machine the thread that failed item 31 can lose its core
                    // for milliseconds before it records the failure.
                    i if i > 31 => {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        Ok(i)
                    }
                    _ => Ok(i),
                }
            })
            .unwrap_err();
            assert_eq!(err, "item 30", "jobs {jobs}");
            assert!(started.load(Ordering::Relaxed) < 100, "jobs {jobs}");
        }
    }
}
