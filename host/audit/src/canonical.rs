//! Deciding whether one stored line is a well-formed, canonical entry, fast.
//!
//! `verify` must look at every line of a log of a million entries within about twice the
//! time of hashing the file. Parsing each line into a `serde_json::Value` and
//! re-canonicalising it costs several times that, so the common case goes through a
//! single-pass scanner that accepts only lines it can prove canonical (ASCII keys in
//! strictly increasing order, short integers, JCS string escapes, no whitespace) with the
//! exact entry schema. Anything it is unsure about falls back to the reference path:
//! `serde_json` parse, `serde_json_canonicalizer` re-serialisation, byte comparison, and
//! typed deserialisation. The reference path alone decides every error, so the scanner
//! can only speed things up, never change a verdict (tested by comparing both on mutated
//! lines).

use serde_json::Value;

use crate::entry::Entry;
use crate::merkle::Hash;

/// What `verify` needs from a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineFacts {
    pub seq: u64,
    pub prev: Hash,
}

/// Why a complete line is not an acceptable entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// Not JSON at all (or not UTF-8).
    BadJson(String),
    /// Valid JSON, but not the RFC 8785 form of itself: someone rewrote it by hand.
    NonCanonical,
    /// Canonical JSON that is not an entry (missing, extra or mistyped fields).
    BadSchema(String),
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineProblem::BadJson(e) => write!(f, "not valid JSON: {e}"),
            LineProblem::NonCanonical => f.write_str("not in canonical JSON (RFC 8785) form"),
            LineProblem::BadSchema(e) => write!(f, "not an audit entry: {e}"),
        }
    }
}

/// Checks a line (without its newline) and extracts `seq` and `prev`.
pub(crate) fn check_line(line: &[u8]) -> Result<LineFacts, LineProblem> {
    if let Some(facts) = fast::check(line) {
        return Ok(facts);
    }
    reference_check(line).map(|(facts, _)| facts)
}

/// The reference decision, also returning the parsed entry.
pub(crate) fn reference_check(line: &[u8]) -> Result<(LineFacts, Entry), LineProblem> {
    let value: Value =
        serde_json::from_slice(line).map_err(|e| LineProblem::BadJson(e.to_string()))?;
    let canon = serde_json_canonicalizer::to_vec(&value).map_err(|_| LineProblem::NonCanonical)?;
    if canon != line {
        return Err(LineProblem::NonCanonical);
    }
    let entry: Entry =
        serde_json::from_value(value).map_err(|e| LineProblem::BadSchema(e.to_string()))?;
    if !entry.details.is_object() {
        return Err(LineProblem::BadSchema("`details` is not an object".into()));
    }
    let prev = parse_prev(entry.prev.as_bytes())
        .ok_or_else(|| LineProblem::BadSchema("`prev` is not 64 lowercase hex digits".into()))?;
    Ok((
        LineFacts {
            seq: entry.seq,
            prev,
        },
        entry,
    ))
}

/// Fuzzing entry point (fuzz/fuzz_targets/audit_line_differential.rs and the stable
/// replay of fuzz/regressions): the scanner may only ever speed a verdict up, so whenever
/// it accepts `line` the reference path must accept it too with the same facts. Panics
/// on disagreement, which is what the fuzzer and the replay test look for.
#[doc(hidden)]
pub fn fuzz_line_differential(line: &[u8]) {
    let fast = fast::check(line);
    let reference = reference_check(line).map(|(facts, _)| facts);
    if let Some(facts) = fast {
        assert_eq!(
            reference.as_ref().ok(),
            Some(&facts),
            "the fast scanner accepted a line the reference path decides otherwise: {reference:?}"
        );
    }
    // The combined decision is the reference decision.
    assert_eq!(check_line(line).ok(), reference.ok());
}

/// `prev` as 32 bytes, only from exactly 64 lowercase hex digits (the form `record`
/// writes). A table lookup per digit with one validity test at the end: this runs on
/// every line of every `verify`, and the `hex` crate's per-character decoding with an
/// `all()` pass before it was a fifth of verify's CPU (perf, 1,000,000 entries).
fn parse_prev(s: &[u8]) -> Option<Hash> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let hi = HEX_DIGIT[usize::from(pair[0])];
        let lo = HEX_DIGIT[usize::from(pair[1])];
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    (bad & NOT_HEX == 0).then_some(out)
}

/// Marks a byte that is not a lowercase hex digit in [`HEX_DIGIT`].
const NOT_HEX: u8 = 0x80;

/// The value of each lowercase hex digit; [`NOT_HEX`] for every other byte (uppercase
/// included: `prev` is written in lowercase, and JCS keeps strings byte for byte).
const HEX_DIGIT: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

mod fast {
    use super::{parse_prev, LineFacts};

    /// The entry's keys in RFC 8785 order (UTF-16 code unit order = byte order for ASCII).
    const KEYS: [&[u8]; 8] = [
        b"action", b"actor", b"details", b"prev", b"result", b"seq", b"target", b"time",
    ];
    const MAX_DEPTH: u32 = 64;
    /// Integers with at most 15 digits are exact doubles, so JCS prints them unchanged.
    const MAX_INT_DIGITS: usize = 15;

    struct Scanner<'a> {
        b: &'a [u8],
        i: usize,
        /// A string held a byte of 0x80 or more: the line's UTF-8 must be checked.
        non_ascii: bool,
    }

    /// Where in `b` the first byte is that a string's plain run stops at: `"`, `\\`, a
    /// control byte (below 0x20) or a non-ASCII byte (0x80 and up). Eight bytes at a time
    /// in a `u64`: the strings of an entry are a few dozen bytes, too short for `memchr2`'s
    /// vector set-up to pay (it was 6% of verify's CPU), and the same pass finds the bytes
    /// the scanner needed two whole-line passes for (control bytes, then UTF-8).
    ///
    /// `x - 0x01` per byte borrows only from a zero byte and `x - 0x20` only from a byte
    /// below 0x20, so in each mask the lowest flagged byte is a true one (bytes above it
    /// may be flagged falsely), and so is the lowest of their union.
    #[inline(always)]
    fn first_special(b: &[u8]) -> Option<usize> {
        const ONES: u64 = u64::from_le_bytes([0x01; 8]);
        const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
        let zero = |x: u64| x.wrapping_sub(ONES) & !x;
        let mut chunks = b.chunks_exact(8);
        let mut at = 0;
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let hits = (zero(w ^ (ONES * u64::from(b'"')))
                | zero(w ^ (ONES * u64::from(b'\\')))
                | (w.wrapping_sub(ONES * 0x20) & !w)
                | w)
                & HIGH;
            if hits != 0 {
                return Some(at + (hits.trailing_zeros() / 8) as usize);
            }
            at += 8;
        }
        chunks
            .remainder()
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))
            .map(|p| at + p)
    }

    /// `hay` begins with `word`. The words and keys compared here are a few bytes long:
    /// a loop the compiler unrolls, where the slice method is a `memcmp` call per key
    /// (4% of verify's CPU).
    #[inline(always)]
    fn starts_with(hay: &[u8], word: &[u8]) -> bool {
        hay.len() >= word.len() && hay.iter().zip(word).all(|(a, b)| a == b)
    }

    /// `a` sorts strictly before `b` (bytewise, as JCS orders ASCII keys), without a
    /// `memcmp` call for keys of a few bytes.
    #[inline(always)]
    fn before(a: &[u8], b: &[u8]) -> bool {
        match a.iter().zip(b).find(|(x, y)| x != y) {
            Some((x, y)) => x < y,
            None => a.len() < b.len(),
        }
    }

    /// `Some` only if the line is certainly a canonical entry.
    pub(super) fn check(line: &[u8]) -> Option<LineFacts> {
        // Outside strings every byte is matched against the one the grammar expects, so a
        // control byte (whitespace) or a non-ASCII byte there is refused on the way;
        // inside strings `string` refuses control bytes and notes non-ASCII ones, and only
        // then is the line's UTF-8 checked (below). One pass over the bytes, not three.
        let mut s = Scanner {
            b: line,
            i: 0,
            non_ascii: false,
        };
        s.eat(b'{')?;
        let mut seq = None;
        let mut prev = None;
        for (n, key) in KEYS.iter().enumerate() {
            if n > 0 {
                s.eat(b',')?;
            }
            s.eat(b'"')?;
            if !starts_with(s.b.get(s.i..)?, key) {
                return None;
            }
            s.i += key.len();
            s.eat(b'"')?;
            s.eat(b':')?;
            match *key {
                b"details" => {
                    if s.peek()? != b'{' {
                        return None;
                    }
                    s.value(0)?;
                }
                b"prev" => {
                    let (a, z) = s.string()?;
                    prev = Some(parse_prev(&s.b[a..z])?);
                }
                b"result" => {
                    let (a, z) = s.string()?;
                    if !matches!(&s.b[a..z], b"success" | b"failure" | b"partial") {
                        return None;
                    }
                }
                b"seq" => {
                    let (a, z) = s.number()?;
                    let digits = std::str::from_utf8(&s.b[a..z]).ok()?;
                    seq = Some(digits.parse::<u64>().ok()?);
                }
                _ => {
                    s.string()?;
                }
            }
        }
        s.eat(b'}')?;
        if s.i != line.len() {
            return None;
        }
        if s.non_ascii {
            std::str::from_utf8(line).ok()?;
        }
        Some(LineFacts {
            seq: seq?,
            prev: prev?,
        })
    }

    impl Scanner<'_> {
        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }

        fn eat(&mut self, c: u8) -> Option<()> {
            if self.peek()? == c {
                self.i += 1;
                Some(())
            } else {
                None
            }
        }

        /// A canonical string; returns the span of its raw contents.
        fn string(&mut self) -> Option<(usize, usize)> {
            self.eat(b'"')?;
            let start = self.i;
            loop {
                self.i += first_special(self.b.get(self.i..)?)?;
                match self.peek()? {
                    b'"' => {
                        let end = self.i;
                        self.i += 1;
                        return Some((start, end));
                    }
                    0x80.. => {
                        self.non_ascii = true;
                        self.i += 1;
                    }
                    b'\\' => {
                        let e = *self.b.get(self.i + 1)?;
                        match e {
                            b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                            b'u' => {
                                let hx = self.b.get(self.i + 2..self.i + 6)?;
                                if &hx[..2] != b"00" || !matches!(hx[2], b'0' | b'1') {
                                    return None;
                                }
                                let lo = match hx[3] {
                                    d @ b'0'..=b'9' => d - b'0',
                                    d @ b'a'..=b'f' => d - b'a' + 10,
                                    _ => return None,
                                };
                                let v = (hx[2] - b'0') * 16 + lo;
                                if matches!(v, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                    return None;
                                }
                                self.i += 6;
                            }
                            _ => return None,
                        }
                    }
                    // A raw control byte: invalid inside a JSON string.
                    _ => return None,
                }
            }
        }

        /// A short canonical integer; returns its span.
        fn number(&mut self) -> Option<(usize, usize)> {
            let start = self.i;
            if self.peek()? == b'-' {
                self.i += 1;
            }
            let digits_start = self.i;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            let digits = &self.b[digits_start..self.i];
            if digits.is_empty() || digits.len() > MAX_INT_DIGITS {
                return None;
            }
            if digits[0] == b'0' && (digits.len() > 1 || digits_start > start) {
                return None; // leading zero or -0
            }
            if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
                return None;
            }
            Some((start, self.i))
        }

        fn literal(&mut self, word: &[u8]) -> Option<()> {
            if starts_with(self.b.get(self.i..)?, word) {
                self.i += word.len();
                Some(())
            } else {
                None
            }
        }

        fn value(&mut self, depth: u32) -> Option<()> {
            if depth > MAX_DEPTH {
                return None;
            }
            match self.peek()? {
                b'{' => {
                    self.i += 1;
                    if self.peek()? == b'}' {
                        self.i += 1;
                        return Some(());
                    }
                    let mut last: Option<(usize, usize)> = None;
                    loop {
                        let (a, z) = self.string()?;
                        let key = &self.b[a..z];
                        if !key.iter().all(|c| c.is_ascii() && *c != b'\\') {
                            return None;
                        }
                        if let Some((la, lz)) = last {
                            if !before(&self.b[la..lz], key) {
                                return None;
                            }
                        }
                        last = Some((a, z));
                        self.eat(b':')?;
                        self.value(depth + 1)?;
                        match self.peek()? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                return Some(());
                            }
                            _ => return None,
                        }
                    }
                }
                b'[' => {
                    self.i += 1;
                    if self.peek()? == b']' {
                        self.i += 1;
                        return Some(());
                    }
                    loop {
                        self.value(depth + 1)?;
                        match self.peek()? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                return Some(());
                            }
                            _ => return None,
                        }
                    }
                }
                b'"' => self.string().map(|_| ()),
                b't' => self.literal(b"true"),
                b'f' => self.literal(b"false"),
                b'n' => self.literal(b"null"),
                b'-' | b'0'..=b'9' => self.number().map(|_| ()),
                _ => None,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::{before, first_special, starts_with};

        /// The word-at-a-time search against a byte loop: every byte value at every
        /// position of texts of 0 to 24 bytes (both sides of the 8-byte words), over a
        /// background of plain bytes and over one already holding a later special byte.
        #[test]
        fn first_special_finds_what_a_byte_loop_finds() {
            let obvious = |b: &[u8]| {
                b.iter()
                    .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))
            };
            for len in 0..=24usize {
                for pos in 0..len {
                    for byte in 0..=255u8 {
                        let mut t = vec![b'a'; len];
                        t[pos] = byte;
                        assert_eq!(
                            first_special(&t),
                            obvious(&t),
                            "{byte:#04x} at {pos} of {len}"
                        );
                        // A special byte after it must not hide it, nor an earlier borrow
                        // flag it falsely.
                        let last = len - 1;
                        if pos < last {
                            t[last] = b'"';
                            assert_eq!(
                                first_special(&t),
                                obvious(&t),
                                "{byte:#04x} at {pos} of {len}, quote last"
                            );
                        }
                    }
                }
                assert_eq!(first_special(&vec![b'~'; len]), None);
            }
        }

        #[test]
        fn the_short_comparisons_agree_with_the_slice_methods() {
            let words: [&[u8]; 9] = [
                b"", b"a", b"ab", b"abc", b"b", b"prev", b"pre", b"\xff", b"actor",
            ];
            for a in words {
                for b in words {
                    assert_eq!(starts_with(a, b), a.starts_with(b), "{a:?} {b:?}");
                    assert_eq!(before(a, b), a < b, "{a:?} {b:?}");
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::entry::{Entry, Outcome, GENESIS_PREV};
    use serde_json::json;

    /// The table decoder against the obvious one: every byte value at every position of
    /// a valid `prev`, and every length near 64.
    #[test]
    fn parse_prev_accepts_exactly_64_lowercase_hex_digits() {
        fn obvious(s: &[u8]) -> Option<Hash> {
            if s.len() != 64 || !s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
                return None;
            }
            let mut out = [0u8; 32];
            hex::decode_to_slice(s, &mut out).ok()?;
            Some(out)
        }
        let valid: Vec<u8> = b"0123456789abcdef".repeat(4);
        assert_eq!(parse_prev(&valid), obvious(&valid));
        assert!(parse_prev(&valid).is_some());
        let mut accepted = 0;
        for pos in 0..valid.len() {
            for byte in 0..=255u8 {
                let mut s = valid.clone();
                s[pos] = byte;
                let got = parse_prev(&s);
                assert_eq!(got, obvious(&s), "byte {byte:#04x} at {pos}");
                accepted += usize::from(got.is_some());
            }
        }
        assert_eq!(
            accepted,
            64 * 16,
            "only the 16 lowercase digits pass at each position"
        );
        for len in [0, 1, 62, 63, 65, 66, 128] {
            assert_eq!(parse_prev(&vec![b'a'; len]), None, "length {len}");
        }
    }

    fn sample(details: Value) -> Vec<u8> {
        Entry {
            seq: 12,
            time: "2026-11-22T20:40:35.123456Z".into(),
            actor: "alice@ws01".into(),
            action: "export-ckl".into(),
            target: "C:\\out\\pkg \"x\"\n".into(),
            result: Outcome::Partial,
            details,
            prev: GENESIS_PREV.replace('0', "a"),
        }
        .to_line()
        .unwrap()
    }

    fn samples() -> Vec<Vec<u8>> {
        vec![
            sample(json!({})),
            sample(
                json!({"count": 3, "neg": -7, "zero": 0, "nested": {"b": [1, true, null], "a": "x"}}),
            ),
            sample(
                json!({"ctl": "\u{1}\u{8}\t\u{1f}\u{7f}", "uni": "é漢\u{2028}😀", "slash": "a/b"}),
            ),
            sample(json!({"float": 1.5, "big": 12345678901234567u64, "exp": 1e30})),
            sample(json!({"é": 1, "a": {"\u{10000}": 1, "\u{ffff}": 2}})),
        ]
    }

    #[test]
    fn fast_path_accepts_what_the_library_writes_when_it_can() {
        let lines = samples();
        for l in &lines[..3] {
            let f = fast::check(l).unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(l)));
            assert_eq!(f.seq, 12);
        }
        // Floats and non-ASCII keys go to the reference path, which accepts them.
        for l in &lines[3..] {
            assert!(fast::check(l).is_none());
            assert_eq!(check_line(l).unwrap().seq, 12);
        }
    }

    #[test]
    fn fast_path_accepts_typical_entries() {
        let mut w = crate::testing::LineWriter::default();
        let mut data = Vec::new();
        for _ in 0..50 {
            w.push_synthetic(&mut data);
        }
        for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            assert!(
                fast::check(line).is_some(),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn fast_path_never_accepts_what_the_reference_rejects() {
        // Every single-byte change of every sample, and a few insertions: the fast path
        // may decline, but when it accepts, the reference must agree exactly.
        let replacements = [
            b' ', b'"', b'\\', b'0', b'1', b'9', b'a', b'A', b'}', b'{', b',', b':', b'-', b'.',
            b'e', 0x00, 0x7f, 0xc3, 0xff,
        ];
        let mut accepted = 0;
        for line in samples() {
            for i in 0..line.len() {
                for r in replacements.iter().copied().chain([line[i] ^ 1]) {
                    let mut m = line.clone();
                    m[i] = r;
                    let mut ins = line.clone();
                    ins.insert(i, r);
                    for cand in [m, ins] {
                        if let Some(f) = fast::check(&cand) {
                            accepted += 1;
                            let (rf, _) = reference_check(&cand).unwrap_or_else(|e| {
                                panic!(
                                    "fast accepted, reference says {e}: {}",
                                    String::from_utf8_lossy(&cand)
                                )
                            });
                            assert_eq!(rf, f);
                        }
                    }
                }
            }
        }
        assert!(
            accepted > 0,
            "some mutations (e.g. in string contents) stay canonical"
        );
    }

    #[test]
    fn problems_are_classified() {
        let line = sample(json!({"n": 1}));
        assert!(matches!(
            check_line(b"{\"seq\":"),
            Err(LineProblem::BadJson(_))
        ));
        let spaced = String::from_utf8(line.clone())
            .unwrap()
            .replacen(':', ": ", 1);
        assert_eq!(
            check_line(spaced.as_bytes()),
            Err(LineProblem::NonCanonical)
        );
        let extra = String::from_utf8(line.clone()).unwrap().replacen(
            "{\"action\"",
            "{\"aaa\":1,\"action\"",
            1,
        );
        assert!(matches!(
            check_line(extra.as_bytes()),
            Err(LineProblem::BadSchema(_))
        ));
        assert!(matches!(
            check_line(br#"{"a":1}"#),
            Err(LineProblem::BadSchema(_))
        ));
        let upper = String::from_utf8(line).unwrap().replace("aaaa", "AAAA");
        assert!(matches!(
            check_line(upper.as_bytes()),
            Err(LineProblem::BadSchema(_))
        ));
    }
}
