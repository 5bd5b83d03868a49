//! The two facts stigpack needs from an MIT `krb5.conf` (the default realm and a realm's
//! KDC), read with a small strict parser so that a Kerberos host needs no configuration
//! beyond what `kinit` already uses. Anything the parser does not understand is an error
//! naming the file and line, never silently skipped: a misread KDC would send the
//! password's proof to the wrong server.

use std::path::{Path, PathBuf};

/// One parsed file: `(section, realm-or-empty, key, value)` in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Krb5Conf {
    /// The files read, in priority order (for error messages).
    pub files: Vec<PathBuf>,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    section: String,
    group: String,
    key: String,
    value: String,
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Krb5ConfError {
    #[error("Kerberos configuration {path}: {problem}")]
    Read { path: PathBuf, problem: String },
    #[error("Kerberos configuration {path} line {line}: {problem}")]
    Syntax {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

impl Krb5Conf {
    /// The files MIT Kerberos reads: `$KRB5_CONFIG` (a colon-separated list, missing files
    /// skipped as MIT does), else `/etc/krb5.conf`.
    pub fn default_paths() -> Vec<PathBuf> {
        match std::env::var_os("KRB5_CONFIG") {
            Some(v) if !v.is_empty() => std::env::split_paths(&v).collect(),
            _ => vec![PathBuf::from("/etc/krb5.conf")],
        }
    }

    /// Reads the default files; none existing gives an empty configuration.
    pub fn load_default() -> Result<Krb5Conf, Krb5ConfError> {
        Self::load(&Self::default_paths())
    }

    /// Reads `paths` in priority order (the first file's setting wins, as in MIT).
    pub fn load(paths: &[PathBuf]) -> Result<Krb5Conf, Krb5ConfError> {
        let mut conf = Krb5Conf::default();
        for p in paths {
            let text = match std::fs::read_to_string(p) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(Krb5ConfError::Read {
                        path: p.clone(),
                        problem: e.to_string(),
                    })
                }
            };
            let mut one = Self::parse(&text, p)?;
            conf.files.push(p.clone());
            conf.entries.append(&mut one.entries);
        }
        Ok(conf)
    }

    /// Parses one file's text (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Krb5Conf, Krb5ConfError> {
        let err = |line: usize, problem: String| Krb5ConfError::Syntax {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let mut entries = Vec::new();
        let mut section: Option<String> = None;
        // Names of the open `name = {` groups.
        let mut groups: Vec<String> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if line.starts_with("include ") || line.starts_with("includedir ") || line == "module" {
                return Err(err(
                    n,
                    format!("{line:?}: include directives are not supported; put the realm and KDC in this file or in the inventory"),
                ));
            }
            if let Some(name) = line.strip_prefix('[') {
                let name = name
                    .strip_suffix(']')
                    .ok_or_else(|| err(n, format!("{line:?}: section header without ']'")))?;
                if !groups.is_empty() {
                    return Err(err(n, format!("section {name} inside an unclosed '{{'")));
                }
                section = Some(name.trim().to_string());
                continue;
            }
            if line == "}" {
                if groups.pop().is_none() {
                    return Err(err(n, "'}' without an open '{'".into()));
                }
                continue;
            }
            let Some(sec) = section.as_deref() else {
                return Err(err(n, format!("{line:?} before any [section]")));
            };
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| err(n, format!("{line:?}: expected `name = value`")))?;
            let key = key.trim();
            // A trailing `*` marks a value final; it changes nothing for a single file.
            let value = value.trim().trim_end_matches('*').trim();
            if key.is_empty() {
                return Err(err(n, format!("{line:?}: empty name")));
            }
            if value == "{" {
                groups.push(key.to_string());
                continue;
            }
            if value.contains('{') || value.contains('}') {
                return Err(err(
                    n,
                    format!("{line:?}: put '{{' at the end of the line and '}}' on its own line"),
                ));
            }
            entries.push(Entry {
                section: sec.to_string(),
                group: groups.first().cloned().unwrap_or_default(),
                key: key.to_string(),
                value: value.to_string(),
            });
        }
        if let Some(g) = groups.last() {
            return Err(err(
                text.lines().count(),
                format!("group {g:?} is not closed with '}}'"),
            ));
        }
        Ok(Krb5Conf {
            files: vec![path.to_path_buf()],
            entries,
        })
    }

    /// `[libdefaults] default_realm`.
    pub fn default_realm(&self) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.section == "libdefaults" && e.group.is_empty() && e.key == "default_realm")
            .map(|e| e.value.as_str())
    }

    /// Every `kdc` of `[realms] REALM = { ... }`, in order (realm names are
    /// case-sensitive in Kerberos).
    pub fn kdcs(&self, realm: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| e.section == "realms" && e.group == realm && e.key == "kdc")
            .map(|e| e.value.as_str())
            .collect()
    }

    /// Names the files for messages ("no file" when none existed).
    pub fn describe(&self) -> String {
        if self.files.is_empty() {
            format!(
                "no Kerberos configuration file ({} not found)",
                Self::default_paths()
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            self.files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// A KDC address `host`, `host:port` or `[v6]:port` as a `(host, port)` pair (port 88 by
/// default). Forms stigpack does not speak (`tcp/…`, `udp/…`, `https://…` KDC proxies)
/// are refused.
pub fn parse_kdc(value: &str) -> Result<(String, u16), String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("empty KDC address".into());
    }
    if v.contains('/') {
        return Err(format!(
            "KDC {v:?}: give host or host:port (stigpack talks to the KDC over TCP; \
             transport prefixes and KDC proxy URLs are not supported)"
        ));
    }
    let (host, port) = if let Some(rest) = v.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("KDC {v:?}: unclosed '['"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("KDC {v:?}: unexpected text after ']'")),
        };
        (h.to_string(), port)
    } else {
        match v.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h.to_string(), Some(p)),
            Some(_) => return Err(format!("KDC {v:?}: write an IPv6 address as [addr]:port")),
            None => (v.to_string(), None),
        }
    };
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(format!("KDC {v:?}: bad host name"));
    }
    let port = match port {
        None => 88,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("KDC {v:?}: {p:?} is not a TCP port"))?,
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# comment
[libdefaults]
    default_realm = CORP.EXAMPLE
    dns_lookup_kdc = false
[realms]
    CORP.EXAMPLE = {
        kdc = dc1.corp.example:88
        kdc = dc2.corp.example
        admin_server = dc1.corp.example
    }
    LAB.TEST = {
        kdc = [::1]:8888 *
    }
[domain_realm]
    .corp.example = CORP.EXAMPLE
[appdefaults]
    pam = {
        debug = false
        nested = {
            x = 1
        }
    }
";

    #[test]
    fn reads_default_realm_and_kdcs() {
        let c = Krb5Conf::parse(SAMPLE, Path::new("/k.conf")).unwrap();
        assert_eq!(c.default_realm(), Some("CORP.EXAMPLE"));
        assert_eq!(
            c.kdcs("CORP.EXAMPLE"),
            ["dc1.corp.example:88", "dc2.corp.example"]
        );
        assert_eq!(c.kdcs("LAB.TEST"), ["[::1]:8888"]);
        assert!(
            c.kdcs("corp.example").is_empty(),
            "realms are case-sensitive"
        );
        assert_eq!(parse_kdc("[::1]:8888").unwrap(), ("::1".into(), 8888));
        assert_eq!(
            parse_kdc("dc2.corp.example").unwrap(),
            ("dc2.corp.example".into(), 88)
        );
    }

    /// The shape of Debian's default /etc/krb5.conf (krb5-config): tabs, comments
    /// between settings, mixed indentation, lower-case realm names.
    #[test]
    fn reads_debians_default_file() {
        let text = "[libdefaults]\n\tdefault_realm = ATHENA.MIT.EDU\n\n# MIT only.\n\tkdc_timesync = 1\n        rdns = false\n\tfcc-mit-ticketflags = true\n\n[realms]\n\tATHENA.MIT.EDU = {\n\t\tkdc = kerberos.mit.edu\n\t\tkdc = kerberos-2.mit.edu:88\n\t\tdefault_domain = mit.edu\n\t}\n        CS.CMU.EDU = {\n                kdc = kerberos-1.srv.cs.cmu.edu\n        }\n\tstanford.edu = {\n\t\tkdc = krb5auth1.stanford.edu\n\t}\n[domain_realm]\n\t.mit.edu = ATHENA.MIT.EDU\n";
        let c = Krb5Conf::parse(text, Path::new("/etc/krb5.conf")).unwrap();
        assert_eq!(c.default_realm(), Some("ATHENA.MIT.EDU"));
        assert_eq!(
            c.kdcs("ATHENA.MIT.EDU"),
            ["kerberos.mit.edu", "kerberos-2.mit.edu:88"]
        );
        assert_eq!(c.kdcs("CS.CMU.EDU"), ["kerberos-1.srv.cs.cmu.edu"]);
        assert_eq!(c.kdcs("stanford.edu"), ["krb5auth1.stanford.edu"]);
    }

    #[test]
    fn refuses_what_it_cannot_read_naming_file_and_line() {
        for (text, line) in [
            ("[realms]\nR = {\n kdc = a\n", 3),
            ("kdc = a\n", 1),
            ("[libdefaults\n", 1),
            ("[x]\ninclude /etc/other.conf\n", 2),
            ("[x]\n}\n", 2),
            ("[realms]\nR = { kdc = a }\n", 2),
            ("[x]\njust words\n", 2),
        ] {
            let e = Krb5Conf::parse(text, Path::new("/etc/krb5.conf")).unwrap_err();
            let s = e.to_string();
            assert!(s.contains("/etc/krb5.conf"), "{s}");
            assert!(s.contains(&format!("line {line}")), "{text:?}: {s}");
        }
        for bad in [
            "tcp/dc1:88",
            "https://kdcproxy/x",
            "dc1:0",
            "dc1:x",
            "::1",
            "",
        ] {
            assert!(parse_kdc(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn first_file_wins_and_missing_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.conf");
        let b = dir.path().join("b.conf");
        std::fs::write(&a, "[libdefaults]\ndefault_realm = A.TEST\n").unwrap();
        std::fs::write(
            &b,
            "[libdefaults]\ndefault_realm = B.TEST\n[realms]\nA.TEST = {\nkdc = k:1\n}\n",
        )
        .unwrap();
        let c = Krb5Conf::load(&[dir.path().join("missing"), a.clone(), b]).unwrap();
        assert_eq!(c.default_realm(), Some("A.TEST"));
        assert_eq!(c.kdcs("A.TEST"), ["k:1"]);
        assert_eq!(c.files.len(), 2);
        assert!(c.describe().contains("a.conf"));
    }
}
