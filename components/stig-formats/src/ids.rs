//! Deterministic identifiers. CKLB files carry UUIDs (checklist, benchmark, rule); a
//! random UUID would make two exports of the same results differ, so ids the input did
//! not carry are derived from content: SHA-256 over a namespace tag and the parts, cut to
//! 128 bits and stamped as an RFC 4122 name-based UUID (version 5 bits, SHA-256 instead
//! of SHA-1). Same parts, same id, on every machine.

use sha2::{Digest, Sha256};

/// A UUID string (`8-4-4-4-12` lower-case hex) derived from `parts`. Parts are separated
/// by NUL so `("ab","c")` and `("a","bc")` differ.
pub fn derived_uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"stigpack:cklb-id:v1");
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(HEX[(byte >> 4) as usize] as char);
        s.push(HEX[(byte & 0xf) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_distinct_and_well_formed() {
        let a = derived_uuid(&["WS01", "X_STIG", "SV-1_rule"]);
        assert_eq!(a, derived_uuid(&["WS01", "X_STIG", "SV-1_rule"]));
        assert_ne!(a, derived_uuid(&["WS02", "X_STIG", "SV-1_rule"]));
        assert_ne!(derived_uuid(&["ab", "c"]), derived_uuid(&["a", "bc"]));
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('5'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }
}
