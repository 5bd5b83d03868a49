//! WinRM endpoint URLs (`http://host:5985/wsman`, `https://[::1]:5986/wsman`).

use super::TransportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Request path, `/wsman` by default.
    pub path: String,
}

impl Endpoint {
    /// Parses `scheme://host[:port][/path]`; a bare `host` or `host:port` means HTTP
    /// on 5985 (HTTPS on 5986 when the port is 5986).
    pub fn parse(url: &str) -> Result<Self, TransportError> {
        let bad = |why: &str| TransportError::InvalidEndpoint(format!("{url}: {why}"));
        let (scheme, rest) = match url.split_once("://") {
            Some((s, r)) if s.eq_ignore_ascii_case("http") => (Some(Scheme::Http), r),
            Some((s, r)) if s.eq_ignore_ascii_case("https") => (Some(Scheme::Https), r),
            Some((s, _)) => return Err(bad(&format!("unsupported scheme {s:?}"))),
            None => (None, url),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/wsman"),
        };
        if authority.contains('@') {
            return Err(bad("credentials in the URL are not accepted"));
        }
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, after) = r.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse::<u16>().map_err(|_| bad("invalid port"))?),
                None if after.is_empty() => None,
                None => return Err(bad("garbage after ']'")),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_string(),
                    Some(p.parse::<u16>().map_err(|_| bad("invalid port"))?),
                ),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("invalid host"));
        }
        let scheme = scheme.unwrap_or(if port == Some(5986) {
            Scheme::Https
        } else {
            Scheme::Http
        });
        let port = port.unwrap_or(match scheme {
            Scheme::Http => 5985,
            Scheme::Https => 5986,
        });
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("invalid path"));
        }
        Ok(Endpoint {
            scheme,
            host,
            port,
            path: path.to_string(),
        })
    }

    /// The canonical URL (also the `a:To` header).
    pub fn url(&self) -> String {
        let s = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{s}://{}{}", self.host_header(), self.path)
    }

    pub(crate) fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let e = Endpoint::parse("https://ws01.corp.example:5986/wsman").unwrap();
        assert_eq!(
            (e.scheme, e.host.as_str(), e.port, e.path.as_str()),
            (Scheme::Https, "ws01.corp.example", 5986, "/wsman")
        );
        let e = Endpoint::parse("ws01").unwrap();
        assert_eq!((e.scheme, e.port), (Scheme::Http, 5985));
        assert_eq!(e.url(), "http://ws01:5985/wsman");
        let e = Endpoint::parse("10.0.0.5:5986").unwrap();
        assert_eq!(e.scheme, Scheme::Https);
        let e = Endpoint::parse("http://[::1]:8080/x").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 8080));
        assert_eq!(e.url(), "http://[::1]:8080/x");
    }

    #[test]
    fn rejects_bad() {
        for bad in [
            "ftp://x",
            "http://",
            "http://u:p@x/wsman",
            "http://x:99999",
            "http://a b",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
