//! HTTP Basic, checked on every request (it has no connection state).

use base64::Engine;

use super::Credentials;

/// Whether an `Authorization` header value carries the right Basic credentials.
pub fn check(header: &str, creds: &Credentials) -> bool {
    let Some(b64) = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(raw) else {
        return false;
    };
    match text.split_once(':') {
        Some((u, p)) => {
            creds.user_matches(u) && constant_time_eq(p.as_bytes(), creds.password.as_bytes())
        }
        None => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn basic_header() {
        let c = Credentials {
            username: "Admin".into(),
            password: "pw:1".into(),
        };
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("admin:pw:1")
        );
        assert!(check(&h, &c));
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("HOST\\admin:pw:1")
        );
        assert!(check(&h, &c));
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("admin:pw")
        );
        assert!(!check(&h, &c));
        assert!(!check("Negotiate abc", &c));
    }
}
