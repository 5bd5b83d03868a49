//! A shared, immutable string for the fleet view: cheap to clone, and interned where a
//! text repeats on every host.
//!
//! The `emass` component holds one record per (host, control): 800,000 at 1,000 hosts.
//! As `String`s, the control id, rule id, benchmark id and release were four heap
//! allocations per record, the same few hundred texts repeated on every host, and the
//! POA&M, attestations and indexes cloned them (and each open control's finding
//! details) once more. A [`Sym`] is one pointer and a length: clones share the text, an
//! [`Interner`] makes every repeat of an id the same allocation, and the empty text
//! (most comments, justifications, and the details of passing controls) allocates
//! nothing.
//!
//! It serializes as a plain string, so postcard views and JSON files are byte for byte
//! what the `String` fields wrote.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bytes;

/// An immutable string whose clones share one allocation; the empty string allocates
/// nothing. Compares, orders and hashes as its text.
#[derive(Clone, Default)]
pub struct Sym(Option<Arc<str>>);

impl Sym {
    /// The empty text.
    pub const EMPTY: Sym = Sym(None);

    pub fn new(s: &str) -> Self {
        if s.is_empty() {
            Sym(None)
        } else {
            Sym(Some(Arc::from(s)))
        }
    }

    /// Whether the two share one allocation (both interned from the same text).
    pub fn shares(&self, other: &Sym) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Some(s) => s,
            None => "",
        }
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Self {
        Sym::new(s)
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Self {
        Sym::new(&s)
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Self {
        Sym::new(s)
    }
}

impl From<Sym> for String {
    fn from(s: Sym) -> Self {
        s.as_str().to_owned()
    }
}

impl PartialEq for Sym {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => true,
            _ => bytes::same_text(self, other),
        }
    }
}

impl Eq for Sym {}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sym {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        bytes::order(self, other)
    }
}

impl Hash for Sym {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        bytes::same_text(self, other)
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        bytes::same_text(self, other)
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        bytes::same_text(self, other)
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, other: &Sym) -> bool {
        bytes::same_text(self, other)
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, other: &Sym) -> bool {
        bytes::same_text(self, other)
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, other: &Sym) -> bool {
        bytes::same_text(self, other)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Sym {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Sym;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sym, E> {
                Ok(Sym::new(v))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// The hasher of the crate's lookup tables (the interner, the fleet builder's rule
/// tables, the matrix's rows, readiness's hosts). Fixed keys: the tables are looked up,
/// or sorted before anything reads their order, so no order reaches an output, and no
/// randomness is asked of the sandbox. foldhash's, not the standard library's SipHash:
/// the `emass` component interns four ids of every (host, control), 3.2 million lookups
/// at 1,000 hosts, and SipHash was 4% of that run's profile. With fixed keys neither
/// hasher resists texts crafted to collide; the component's fuel limit bounds what such
/// a file can cost.
pub type FixedState = foldhash::fast::FixedState;

/// A map hashed with [`FixedState`].
pub type FixedMap<K, V> = std::collections::HashMap<K, V, FixedState>;

/// Makes every occurrence of a text the same [`Sym`]: a table hashed with
/// [`FixedState`] whose entries are compared with [`bytes::same_text`]. Not a
/// `HashSet<Sym>`: its lookups by `&str` compare with `str`'s equality, which in the
/// sandbox is wasi-libc's byte-at-a-time `memcmp`, and the interner's comparisons were
/// the largest caller of `memcmp` in the `emass` run (guest profile, 200 x 800).
#[derive(Default)]
pub struct Interner {
    table: hashbrown::HashTable<Sym>,
    hasher: FixedState,
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("texts", &self.table.len())
            .finish()
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// A text's hash: for lookups, and for the table's rehashing as it grows.
    fn hash(hasher: &FixedState, s: &str) -> u64 {
        hasher.hash_one(s)
    }

    /// The shared copy of `s`.
    pub fn intern(&mut self, s: &str) -> Sym {
        if s.is_empty() {
            return Sym::EMPTY;
        }
        let hash = Self::hash(&self.hasher, s);
        if let Some(found) = self.table.find(hash, |k| bytes::same_text(k, s)) {
            return found.clone();
        }
        let sym = Sym::new(s);
        self.insert(hash, sym.clone());
        sym
    }

    /// `s` replaced by its shared copy.
    pub fn share(&mut self, s: &mut Sym) {
        if s.is_empty() {
            return;
        }
        let hash = Self::hash(&self.hasher, s);
        if let Some(found) = self
            .table
            .find(hash, |k| k.shares(s) || bytes::same_text(k, s))
        {
            if !found.shares(s) {
                *s = found.clone();
            }
        } else {
            self.insert(hash, s.clone());
        }
    }

    fn insert(&mut self, hash: u64, sym: Sym) {
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, sym, |k| Self::hash(hasher, k));
    }

    /// Number of distinct texts held.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_string_it_holds() {
        for text in ["", "V-1", "finding \"details\"\n"] {
            let s = Sym::new(text);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                serde_json::to_string(text).unwrap()
            );
            assert_eq!(
                postcard::to_allocvec(&s).unwrap(),
                postcard::to_allocvec(text).unwrap()
            );
            let back: Sym = postcard::from_bytes(&postcard::to_allocvec(text).unwrap()).unwrap();
            assert_eq!(back, text);
        }
    }

    /// Every comparison with a `Sym`, from either side, answers as `str`'s does.
    #[test]
    fn compares_as_its_text_from_every_side() {
        let (long, longer) = ("x".repeat(70), "x".repeat(71));
        let texts = ["", "V-1", "V-10", "V-2", long.as_str(), longer.as_str()];
        for a in texts {
            for b in texts {
                let (sa, sb, owned) = (Sym::new(a), Sym::new(b), b.to_owned());
                let same = a == b;
                assert_eq!(sa == sb, same, "{a:?} {b:?}");
                assert_eq!(sa.cmp(&sb), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(sa == *b, same);
                assert_eq!(sa == b, same);
                assert_eq!(sa == owned, same);
                assert_eq!(owned == sa, same);
                assert_eq!(*b == sa, same);
                assert_eq!(b == sa, same);
            }
        }
    }

    #[test]
    fn interned_texts_share_one_allocation() {
        let mut i = Interner::new();
        let a = i.intern("SV-1r1_rule");
        let b = i.intern(&String::from("SV-1r1_rule"));
        assert!(Arc::ptr_eq(a.0.as_ref().unwrap(), b.0.as_ref().unwrap()));
        let mut c = Sym::new("SV-1r1_rule");
        i.share(&mut c);
        assert!(Arc::ptr_eq(a.0.as_ref().unwrap(), c.0.as_ref().unwrap()));
        assert!(i.intern("").0.is_none());
        assert_eq!(i.len(), 1);
        assert!(Sym::new("a") < Sym::new("b") && Sym::EMPTY < Sym::new("a"));
    }
}
