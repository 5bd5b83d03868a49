//! The fleet's (host, control) pairs, numbered, and a bitset over them: the checks that
//! stream the indexes tick each row off here, so memory is the fleet view's whatever
//! the size of the files.

use stig_formats::control_view::{ControlResult, FleetView, HostView};

/// The fleet's (host, control) pairs numbered in (host, control) order, so an index row
/// is ticked off with one bit instead of a copy of its key.
pub struct Pairs<'a> {
    fleet: &'a FleetView,
    /// Number of the first control of each host.
    start: Vec<usize>,
    pub len: usize,
}

impl<'a> Pairs<'a> {
    pub fn new(fleet: &'a FleetView) -> Self {
        let mut start = Vec::with_capacity(fleet.hosts.len());
        let mut len = 0;
        for h in &fleet.hosts {
            start.push(len);
            len += h.controls.len();
        }
        Pairs { fleet, start, len }
    }

    pub fn find(&self, host: &str, id: &str) -> Option<(usize, &'a ControlResult)> {
        let hi = self
            .fleet
            .hosts
            .binary_search_by(|h| h.name.as_str().cmp(host))
            .ok()?;
        let controls = &self.fleet.hosts[hi].controls;
        let ci = controls
            .binary_search_by(|c| c.control_id.as_str().cmp(id))
            .ok()?;
        Some((self.start[hi] + ci, &controls[ci]))
    }

    /// Every pair in order, with its number.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a HostView, &'a ControlResult)> + '_ {
        self.fleet
            .hosts
            .iter()
            .zip(&self.start)
            .flat_map(|(h, &s)| {
                h.controls
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| (s + i, h, c))
            })
    }
}

/// One bit per (host, control) pair.
pub struct Seen(Vec<u64>);

impl Seen {
    pub fn new(n: usize) -> Self {
        Seen(vec![0; n.div_ceil(64)])
    }

    /// Marks `i`; true if it was already marked.
    pub fn mark(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, 1u64 << (i % 64));
        let was = self.0[w] & b != 0;
        self.0[w] |= b;
        was
    }

    pub fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1u64 << (i % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_marks_each_pair_once() {
        let mut s = Seen::new(130);
        assert!(!s.mark(129));
        assert!(s.mark(129));
        assert!(s.get(129) && !s.get(128) && !s.get(0));
    }
}
