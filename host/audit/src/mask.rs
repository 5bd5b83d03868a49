//! Keeps secrets out of the log: every target and details value passes through here
//! before it is written, because an append-only, hash-chained log can never be cleaned.
//!
//! Rules (each tested below):
//! - any value under a key whose name, ignoring case, `-` and `_`, contains `password`,
//!   `passwd`, `secret`, `token`, `credential`, `apikey`, `privatekey` or `authorization`
//!   becomes `"***"`;
//! - in every string: the password of `scheme://user:password@host` URLs,
//!   `password=...`-style pairs (same key words, `=` or `:`), `Bearer`/`Basic`
//!   authorization values, and every literal secret the caller registered are replaced
//!   by `***`. Object keys are masked the same way.

use serde_json::{Map, Value};

/// The replacement text.
pub const MASK: &str = "***";

const KEY_WORDS: [&str; 8] = [
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
    "authorization",
];

/// Literal secrets registered by the caller plus the fixed rules.
#[derive(Debug, Default, Clone)]
pub struct Masker {
    literals: Vec<String>,
}

impl Masker {
    /// Adds a literal secret (e.g. a password read from a credential source). Empty
    /// strings are ignored: they would match everywhere.
    pub fn register(&mut self, secret: &str) {
        if !secret.is_empty() && !self.literals.iter().any(|s| s == secret) {
            self.literals.push(secret.to_owned());
            // Longest first, so a secret containing another is masked whole.
            self.literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Masks a JSON value recursively.
    pub fn value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.value(x)).collect()),
            Value::Object(o) => {
                let mut out = Map::new();
                for (k, x) in o {
                    let masked = if is_sensitive_key(k) && !x.is_null() {
                        Value::String(MASK.into())
                    } else {
                        self.value(x)
                    };
                    out.insert(self.text(k), masked);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// Masks free text.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for lit in &self.literals {
            if out.contains(lit.as_str()) {
                out = out.replace(lit.as_str(), MASK);
            }
        }
        let out = mask_url_passwords(&out);
        let out = mask_auth_schemes(&out);
        mask_key_value_pairs(&out)
    }
}

/// Whether a key names a secret.
pub fn is_sensitive_key(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    KEY_WORDS.iter().any(|w| norm.contains(w))
}

/// `scheme://user:pass@host` -> `scheme://user:***@host`.
fn mask_url_passwords(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let auth_end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..auth_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                out.push_str(&userinfo[..=colon]);
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            } else {
                out.push_str(authority);
            }
        } else {
            out.push_str(authority);
        }
        rest = &tail[auth_end..];
    }
    out.push_str(rest);
    out
}

/// `Bearer abc` / `Basic abc` -> `Bearer ***`.
fn mask_auth_schemes(s: &str) -> String {
    let mut out = s.to_owned();
    for scheme in ["Bearer ", "bearer ", "Basic ", "basic "] {
        let mut from = 0;
        while let Some(rel) = out[from..].find(scheme) {
            let start = from + rel + scheme.len();
            let end = out[start..]
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
                .map_or(out.len(), |e| start + e);
            if end > start && &out[start..end] != MASK {
                out.replace_range(start..end, MASK);
                from = start + MASK.len();
            } else {
                from = start;
            }
        }
    }
    out
}

/// `password=abc`, `token: abc`, `api_key=abc&x=1` -> value masked.
fn mask_key_value_pairs(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let bytes = s.as_bytes();
    // Collect (start, end) ranges of values to mask, then rebuild.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let word_start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-'))
        {
            i += 1;
        }
        let word = &lower[word_start..i];
        if !is_sensitive_key(word) {
            continue;
        }
        let mut j = i;
        if j < bytes.len() && bytes[j] == b'"' {
            j += 1; // "password": "x" inside embedded JSON text
        }
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j >= bytes.len() || !matches!(bytes[j], b'=' | b':') {
            continue;
        }
        j += 1;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'"' | b'\'') {
            j += 1;
        }
        let start = j;
        while j < bytes.len()
            && !bytes[j].is_ascii_whitespace()
            && !matches!(bytes[j], b'&' | b';' | b',' | b'"' | b'\'' | b'}' | b')')
        {
            j += 1;
        }
        let value = &s[start..j];
        // `Authorization: Bearer x`: the scheme word stays, the token rule masks `x`.
        let is_scheme = value.eq_ignore_ascii_case("bearer") || value.eq_ignore_ascii_case("basic");
        if j > start && value != MASK && !is_scheme {
            ranges.push((start, j));
        }
        i = j;
    }
    if ranges.is_empty() {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (a, z) in ranges {
        out.push_str(&s[last..a]);
        out.push_str(MASK);
        last = z;
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_keys_are_masked_at_any_depth() {
        let m = Masker::default();
        let v = m.value(&json!({
            "Password": "hunter2",
            "nested": {"api_key": "k-123", "X-Auth-Token": 99, "credentials": {"u": "a"}},
            "list": [{"client_secret": "s"}],
            "privateKey": "pk",
            "count": 3,
            "passwordHint": null
        }));
        assert_eq!(
            v,
            json!({
                "Password": "***",
                "nested": {"api_key": "***", "X-Auth-Token": "***", "credentials": "***"},
                "list": [{"client_secret": "***"}],
                "privateKey": "***",
                "count": 3,
                "passwordHint": null
            })
        );
    }

    #[test]
    fn url_userinfo_passwords_are_masked() {
        let m = Masker::default();
        assert_eq!(
            m.text("https://admin:S3cr3t!@host.example:5986/wsman?x=1"),
            "https://admin:***@host.example:5986/wsman?x=1"
        );
        assert_eq!(
            m.text("two: http://a:b@h1/ and ftp://c:d@h2"),
            "two: http://a:***@h1/ and ftp://c:***@h2"
        );
        // A user without a password and plain URLs are left alone.
        assert_eq!(m.text("ssh://git@host/repo"), "ssh://git@host/repo");
        assert_eq!(m.text("https://host/a@b"), "https://host/a@b");
    }

    #[test]
    fn key_value_pairs_and_auth_headers_are_masked() {
        let m = Masker::default();
        assert_eq!(
            m.text("connect password=abc123 user=bob"),
            "connect password=*** user=bob"
        );
        assert_eq!(
            m.text("https://h/?access_token=xyz&page=2"),
            "https://h/?access_token=***&page=2"
        );
        assert_eq!(m.text("Token: t0k3n"), "Token: ***");
        assert_eq!(m.text(r#"{"password": "p"}"#), r#"{"password": "***"}"#);
        assert_eq!(
            m.text("Authorization: Bearer eyJhbGci.x.y"),
            "Authorization: Bearer ***"
        );
        assert_eq!(
            m.text("header Bearer eyJhbGci.x.y end"),
            "header Bearer *** end"
        );
        assert_eq!(
            m.text("tokens are fine, passwords too"),
            "tokens are fine, passwords too"
        );
    }

    #[test]
    fn registered_literals_are_masked_everywhere_even_in_keys() {
        let mut m = Masker::default();
        m.register("Pa55w0rd!");
        m.register("Pa55");
        m.register("");
        let v = m.value(&json!({"note": "used Pa55w0rd! twice: Pa55w0rd!", "Pa55": ["xPa55y"]}));
        assert_eq!(v, json!({"note": "used *** twice: ***", "***": ["x***y"]}));
        assert_eq!(m.text("C:\\out\\Pa55w0rd!.ckl"), "C:\\out\\***.ckl");
    }

    #[test]
    fn ordinary_values_are_untouched() {
        let m = Masker::default();
        let v =
            json!({"host": "ws01", "digest": "sha256:abcd", "path": "C:\\x\\y.ckl", "n": [1, 2]});
        assert_eq!(m.value(&v), v);
    }
}
