//! Comparing texts without calling `memcmp`. In the sandbox (`wasm32-wasip2`) `memcmp`
//! is wasi-libc's loop of one byte per step behind a call, and it was about a quarter of
//! the `emass` run and a seventh of each `import` run (guest profiles): the fleet view
//! compares every host's rule texts with the first host's, and artifacts look
//! attestations up by control id once per host and control. The loops below compare a
//! block or a word per step and are written so the compiler can vectorise them (the
//! guests are built with simd128); the fuel the guests consume fell with them, but the
//! generated code was not inspected. The answers are the slice methods'.

use std::cmp::Ordering;

/// Bytes compared per step before deciding to stop: long enough to vectorise, short
/// enough that texts differing early stop early.
const CHUNK: usize = 64;

/// `a == b`.
#[inline]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut xs, mut ys) = (a.chunks_exact(CHUNK), b.chunks_exact(CHUNK));
    for (x, y) in (&mut xs).zip(&mut ys) {
        if differs(x, y) {
            return false;
        }
    }
    !differs(xs.remainder(), ys.remainder())
}

/// Two equally long slices differ somewhere (no early exit: a loop the compiler turns
/// into vector XORs and ORs).
#[inline(always)]
fn differs(x: &[u8], y: &[u8]) -> bool {
    x.iter().zip(y).fold(0u8, |acc, (p, q)| acc | (p ^ q)) != 0
}

/// `a == b` for texts.
#[inline]
pub fn same_text(a: &str, b: &str) -> bool {
    same(a.as_bytes(), b.as_bytes())
}

/// `a == b` for lists of texts.
#[inline]
pub fn same_texts(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_text(x, y))
}

/// `a.cmp(b)` for the short ids (control, rule, host) that lookups order by: eight
/// bytes a step as big-endian integers, whose order is the bytes' order.
#[inline]
pub fn order(a: &str, b: &str) -> Ordering {
    order_bytes(a.as_bytes(), b.as_bytes())
}

/// [`order`] of bytes. Long texts that agree for a while (two records of one rule
/// revision, compared whole when batch views merge: their fix texts run to kilobytes)
/// first skip the equal blocks as [`same`] compares them, then go word by word.
#[inline]
fn order_bytes(a: &[u8], b: &[u8]) -> Ordering {
    // (Ids, shorter than a block, pay one test for this.)
    if a.len() >= CHUNK && b.len() >= CHUNK {
        let equal = a
            .chunks_exact(CHUNK)
            .zip(b.chunks_exact(CHUNK))
            .take_while(|(x, y)| !differs(x, y))
            .count()
            * CHUNK;
        return order_words(&a[equal..], &b[equal..]);
    }
    order_words(a, b)
}

/// [`order`] eight bytes a step.
#[inline(always)]
fn order_words(a: &[u8], b: &[u8]) -> Ordering {
    let (mut xs, mut ys) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut xs).zip(&mut ys) {
        let (x, y) = (word(x), word(y));
        if x != y {
            return x.cmp(&y);
        }
    }
    // Past the common whole words: at most seven bytes of one and some of the other.
    let done = a.len().min(b.len()) / 8 * 8;
    let (a, b) = (&a[done..], &b[done..]);
    match a.iter().zip(b).find(|(x, y)| x != y) {
        Some((x, y)) => x.cmp(y),
        None => a.len().cmp(&b.len()),
    }
}

/// Eight bytes as a big-endian integer (`chunks_exact(8)` hands exactly eight).
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// A text that compares and orders as `str` does, by [`same_text`] and [`order`]: the
/// key of maps and sorts the sandbox searches once per host and control (a host's
/// controls in the fleet builder, the POA&M's groups, revision keys), where `str`'s own
/// comparisons are `memcmp` calls.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a>(pub &'a str);

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        same_text(self.0, other.0)
    }
}

impl Eq for Text<'_> {}

impl Ord for Text<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        order(self.0, other.0)
    }
}

impl PartialOrd for Text<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A list of texts ordered as `[String]` is (element by element, then the shorter
/// first), each compared as a [`Text`].
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a>(pub &'a [String]);

impl PartialEq for Texts<'_> {
    fn eq(&self, other: &Self) -> bool {
        same_texts(self.0, other.0)
    }
}

impl Eq for Texts<'_> {}

impl Ord for Texts<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let texts = |list: &Self| list.0.iter().map(|s| Text(s));
        texts(self).cmp(texts(other))
    }
}

impl PartialOrd for Texts<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts of every length around the chunk size, equal and differing at each
    /// position, against the standard comparisons.
    #[test]
    fn agree_with_the_slice_methods() {
        for len in [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 300] {
            let a: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            assert!(same(&a, &a.clone()));
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same(&a, &b), "len {len} at {at}");
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!same(&a, &longer));
            assert_eq!(order_bytes(&a, &longer), a.cmp(&longer));
            assert_eq!(order_bytes(&longer, &a), longer.cmp(&a));
            for at in 0..len {
                for delta in [1u8, 0x80] {
                    let mut b = a.clone();
                    b[at] = b[at].wrapping_add(delta);
                    assert_eq!(order_bytes(&a, &b), a.cmp(&b), "len {len} at {at}");
                    assert_eq!(order_bytes(&b, &a), b.cmp(&a), "len {len} at {at}");
                    b.truncate(at + 1);
                    assert_eq!(
                        order_bytes(&a, &b),
                        a.as_slice().cmp(&b),
                        "len {len} cut {at}"
                    );
                }
            }
        }
        let words = [
            "",
            "V",
            "V-1",
            "V-10",
            "V-2",
            "V-220697",
            "V-220698",
            "V-2206970",
            "V-22069",
            "v-1",
            "é",
            "SV-1r2_rule",
            "SV-1r2_rulf",
            "SV-1r2_rule_",
            "host0001",
            "host00010",
            "host0002",
        ];
        for a in words {
            for b in words {
                assert_eq!(order(a, b), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
        for a in words {
            for b in words {
                assert_eq!(Text(a).cmp(&Text(b)), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(Text(a) == Text(b), a == b, "{a:?} {b:?}");
            }
        }
        let list = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let lists = [
            list(&[]),
            list(&["CCI-1"]),
            list(&["CCI-1", "CCI-2"]),
            list(&["CCI-1", "CCI-3"]),
            list(&["CCI-10"]),
            list(&["CCI-2"]),
            list(&["CCI-2", ""]),
        ];
        for a in &lists {
            for b in &lists {
                assert_eq!(Texts(a).cmp(&Texts(b)), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(Texts(a) == Texts(b), a == b, "{a:?} {b:?}");
            }
        }
        assert!(same_texts(
            &list(&["CCI-1", "CCI-2"]),
            &list(&["CCI-1", "CCI-2"])
        ));
        assert!(!same_texts(&list(&["CCI-1", "CCI-2"]), &list(&["CCI-1"])));
        assert!(!same_texts(
            &list(&["CCI-1", "CCI-2"]),
            &list(&["CCI-1", "CCI-3"])
        ));
    }
}
