//! Host names arrive from directory names and from inside scan files (CKL `HOST_NAME`,
//! XCCDF `target`), i.e. from the hosts being assessed. They become output directory
//! names, so this is the one place that decides whether a name is a safe single path
//! component on Linux and on Windows (where assessors open the packages).

use crate::error::{Error, ErrorKind, Result};

/// Longest accepted host name in bytes (a DNS FQDN is at most 253; NetBIOS names 15).
pub const MAX_HOST_NAME_BYTES: usize = 128;

const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Returns `name` unchanged if it is safe as one path component on every platform we
/// write for; otherwise an error saying why. Nothing is rewritten: a host whose name
/// needs rewriting is a host whose results must not be filed under a guessed name.
pub fn safe_host_component(name: &str) -> Result<&str> {
    let fail = |reason: &'static str| {
        Err(Error::new(
            "",
            ErrorKind::UnsafeHostName {
                name: name.to_owned(),
                reason,
            },
        ))
    };
    if name.is_empty() {
        return fail("empty");
    }
    if name.len() > MAX_HOST_NAME_BYTES {
        return fail("longer than 128 bytes");
    }
    if name == "." || name == ".." {
        return fail("a relative directory reference");
    }
    if name.contains("..") {
        return fail("contains `..`");
    }
    for c in name.chars() {
        match c {
            '/' | '\\' => return fail("contains a path separator"),
            '\0' => return fail("contains a NUL byte"),
            c if c.is_control() => return fail("contains a control character"),
            ':' | '*' | '?' | '"' | '<' | '>' | '|' => {
                return fail("contains a character Windows forbids in file names")
            }
            _ => {}
        }
    }
    if name.starts_with(' ') || name.ends_with(' ') || name.ends_with('.') {
        return fail("starts or ends with a space, or ends with a dot (Windows strips them)");
    }
    if name.starts_with('-') {
        return fail("starts with `-` (would be read as a command-line option)");
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem))
    {
        return fail("a reserved device name on Windows");
    }
    Ok(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_host_names() {
        for n in [
            "WS01",
            "srv-01.corp.example.mil",
            "WGSDAC-SV-VMH01",
            "host_1",
            "CONSOLE",
        ] {
            assert_eq!(safe_host_component(n).unwrap(), n);
        }
    }

    #[test]
    fn rejects_hostile_names_with_reason() {
        let long = "a".repeat(129);
        for n in [
            "",
            ".",
            "..",
            "../etc",
            "a/b",
            "a\\b",
            "C:",
            "x\0y",
            "x\ny",
            "\u{1b}[31m",
            "NUL",
            "con",
            "com1.txt",
            "LPT9",
            "a..b",
            "host.",
            " host",
            "-rf",
            long.as_str(),
        ] {
            let e = safe_host_component(n).unwrap_err();
            assert!(matches!(e.kind, ErrorKind::UnsafeHostName { .. }), "{n:?}");
            assert!(e.to_string().contains("unsafe host name"), "{e}");
        }
    }
}
