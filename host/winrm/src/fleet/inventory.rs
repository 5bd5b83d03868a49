//! The fleet inventory: which hosts, how to reach them, how to authenticate, where their
//! results live. JSON, in one of two shapes:
//!
//! 1. An inventory object:
//!    ```json
//!    {
//!      "defaults": { "auth": "ntlm", "username": "CORP\\svc-stig",
//!                    "password_env": "STIGPACK_WINRM_PASSWORD",
//!                    "ca_file": "corp-ca.pem", "results_dir": "C:\\STIG\\Results" },
//!      "hosts": [ { "name": "ws01", "endpoint": "https://ws01.corp.example:5986/wsman" },
//!                 { "name": "ws02", "endpoint": "http://ws02:5985/wsman", "auth": "ntlm" } ]
//!    }
//!    ```
//!    Passwords come from `password_env` (a variable name), `password_file` (a file only
//!    the user can read), or an interactive prompt; never from the inventory itself.
//! 2. The JSON lines `stigpack simulate` prints (`name`, `endpoint`, `username`,
//!    `password`, `ca_file`). These carry passwords, so the file must be private (mode
//!    0600 on unix), like any credentials file.
//!
//! Relative file paths resolve against the inventory's directory. Host names become
//! directory names, so they are checked to be safe path components.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::credentials::{Credentials, Secret};

/// Where an inventory's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Env(String),
    File(PathBuf),
    /// Given in a private simulator inventory.
    Inline(Secret),
    /// Ask on the terminal.
    Prompt,
}

/// Authentication scheme named in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    Ntlm,
    Basic,
}

/// One host, fully resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    pub name: String,
    pub endpoint: String,
    pub auth: AuthKind,
    pub username: String,
    pub password: PasswordSource,
    pub ca_file: Option<PathBuf>,
    pub results_dir: String,
}

/// A parsed inventory, hosts in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub hosts: Vec<HostEntry>,
}

/// Default folder Evaluate-STIG writes results to.
pub const DEFAULT_RESULTS_DIR: &str = r"C:\STIG\Results";

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("inventory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("inventory {path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    name: Option<String>,
    endpoint: Option<String>,
    auth: Option<AuthKind>,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    results_dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Fields,
    hosts: Vec<Fields>,
}

#[derive(Debug, Deserialize)]
struct SimLine {
    name: String,
    endpoint: String,
    username: String,
    password: String,
    ca_file: Option<PathBuf>,
}

/// Checks a host name is usable as a single directory name on every platform.
pub fn check_host_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err("host name must be 1 to 253 characters".into());
    }
    if name.starts_with('.') || name.starts_with('-') {
        return Err(format!("host name {name:?} must not start with '.' or '-'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return Err(format!(
            "host name {name:?} contains {c:?}; only letters, digits, '.', '-' and '_' are allowed"
        ));
    }
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    const RESERVED: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "COM1", "LPT1"];
    if RESERVED.contains(&stem.as_str()) {
        return Err(format!(
            "host name {name:?} is a reserved device name on Windows"
        ));
    }
    Ok(())
}

impl Inventory {
    /// Reads and validates an inventory file.
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|e| InventoryError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Self::parse(&text, &base, path)
    }

    fn parse(text: &str, base: &Path, path: &Path) -> Result<Self, InventoryError> {
        let invalid = |problem: String| InventoryError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        // One JSON object (possibly spanning lines) is an inventory; otherwise JSON lines.
        // (A one-host simulator file is also a single object, but has an endpoint and no
        // hosts list.)
        let single = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .is_some_and(|v| v.get("hosts").is_some() || v.get("endpoint").is_none());
        let hosts = if single {
            let file: File = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
            let d = file.defaults;
            let mut hosts = Vec::new();
            for (i, h) in file.hosts.into_iter().enumerate() {
                let name = h
                    .name
                    .ok_or_else(|| invalid(format!("hosts[{i}] has no name")))?;
                let endpoint = h.endpoint.unwrap_or_else(|| name.clone());
                let username = h
                    .username
                    .or_else(|| d.username.clone())
                    .ok_or_else(|| invalid(format!("host {name}: no username")))?;
                // The host's own password setting wins over the defaults as a whole.
                let (env, file) = if h.password_env.is_some() || h.password_file.is_some() {
                    (h.password_env, h.password_file)
                } else {
                    (d.password_env.clone(), d.password_file.clone())
                };
                let password = match (env, file) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(format!(
                            "host {name}: give password_env or password_file, not both"
                        )))
                    }
                    (Some(v), None) => PasswordSource::Env(v),
                    (None, Some(f)) => PasswordSource::File(resolve(f)),
                    (None, None) => PasswordSource::Prompt,
                };
                hosts.push(HostEntry {
                    name,
                    endpoint,
                    auth: h.auth.or(d.auth).unwrap_or(AuthKind::Ntlm),
                    username,
                    password,
                    ca_file: h.ca_file.or_else(|| d.ca_file.clone()).map(resolve),
                    results_dir: h
                        .results_dir
                        .or_else(|| d.results_dir.clone())
                        .unwrap_or_else(|| DEFAULT_RESULTS_DIR.into()),
                });
            }
            hosts
        } else {
            check_private(path).map_err(invalid)?;
            let mut hosts = Vec::new();
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let l: SimLine = serde_json::from_str(line)
                    .map_err(|e| invalid(format!("line {}: {e}", i + 1)))?;
                hosts.push(HostEntry {
                    name: l.name,
                    endpoint: l.endpoint,
                    auth: AuthKind::Ntlm,
                    username: l.username,
                    password: PasswordSource::Inline(Secret::new(l.password)),
                    ca_file: l.ca_file.map(resolve),
                    results_dir: DEFAULT_RESULTS_DIR.into(),
                });
            }
            hosts
        };
        if hosts.is_empty() {
            return Err(invalid("no hosts".into()));
        }
        let mut seen = BTreeSet::new();
        for h in &hosts {
            check_host_name(&h.name).map_err(&invalid)?;
            if !seen.insert(h.name.to_ascii_lowercase()) {
                return Err(invalid(format!(
                    "host {} appears twice (names are case-insensitive)",
                    h.name
                )));
            }
        }
        Ok(Inventory { hosts })
    }

    /// Restricts to the named hosts (case-insensitive), keeping inventory order.
    pub fn select(&mut self, names: &[String]) -> Result<(), String> {
        if names.is_empty() {
            return Ok(());
        }
        for n in names {
            if !self.hosts.iter().any(|h| h.name.eq_ignore_ascii_case(n)) {
                return Err(format!("host {n} is not in the inventory"));
            }
        }
        self.hosts
            .retain(|h| names.iter().any(|n| n.eq_ignore_ascii_case(&h.name)));
        Ok(())
    }
}

impl HostEntry {
    /// Resolves the credentials (may prompt on the terminal).
    pub fn credentials(&self) -> Result<Credentials, crate::credentials::CredentialError> {
        match &self.password {
            PasswordSource::Env(var) => Credentials::from_env(self.username.clone(), var),
            PasswordSource::File(p) => Credentials::from_file(p, Some(&self.username)),
            PasswordSource::Inline(s) => Ok(Credentials::new(self.username.clone(), s.clone())),
            PasswordSource::Prompt => Credentials::prompt(self.username.clone(), &self.name),
        }
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "holds passwords but is accessible by group/others (mode {mode:o}); run `chmod 600 {}`",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Inventory, InventoryError> {
        Inventory::parse(text, Path::new("/inv"), Path::new("/inv/fleet.json"))
    }

    #[test]
    fn inventory_with_defaults() {
        let inv = parse(
            r#"{"defaults":{"username":"CORP\\svc","password_env":"PW","ca_file":"ca.pem"},
               "hosts":[{"name":"ws01","endpoint":"https://ws01:5986/wsman"},
                        {"name":"ws02","auth":"basic","password_file":"/secure/pw","results_dir":"D:\\R"}]}"#,
        )
        .unwrap();
        assert_eq!(inv.hosts.len(), 2);
        let a = &inv.hosts[0];
        assert_eq!(a.username, "CORP\\svc");
        assert_eq!(a.password, PasswordSource::Env("PW".into()));
        assert_eq!(a.ca_file.as_deref(), Some(Path::new("/inv/ca.pem")));
        assert_eq!(a.results_dir, DEFAULT_RESULTS_DIR);
        let b = &inv.hosts[1];
        assert_eq!(b.auth, AuthKind::Basic);
        assert_eq!(b.endpoint, "ws02");
        assert_eq!(b.password, PasswordSource::File("/secure/pw".into()));
        assert_eq!(b.results_dir, "D:\\R");
    }

    #[test]
    fn rejects_unsafe_and_duplicate_names() {
        for bad in ["../x", "a/b", "a\\b", ".hidden", "", "con", "a b", "x:y"] {
            let text = format!(
                r#"{{"defaults":{{"username":"u"}},"hosts":[{{"name":{}}}]}}"#,
                serde_json::to_string(bad).unwrap()
            );
            assert!(parse(&text).is_err(), "{bad:?}");
        }
        let dup = r#"{"defaults":{"username":"u"},"hosts":[{"name":"WS1"},{"name":"ws1"}]}"#;
        assert!(parse(dup).unwrap_err().to_string().contains("twice"));
        assert!(parse(r#"{"hosts":[{"name":"a","password":"x"}]}"#).is_err());
        assert!(parse(r#"{"hosts":[]}"#).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn simulator_lines_need_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fleet.jsonl");
        std::fs::write(
            &p,
            "{\"name\":\"host1\",\"endpoint\":\"http://127.0.0.1:1/wsman\",\"username\":\"u\",\"password\":\"pw\",\"ca_file\":null}\n",
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(Inventory::load(&p)
            .unwrap_err()
            .to_string()
            .contains("chmod 600"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let inv = Inventory::load(&p).unwrap();
        assert_eq!(inv.hosts[0].name, "host1");
        assert_eq!(inv.hosts[0].credentials().unwrap().password.expose(), "pw");
        assert!(!format!("{inv:?}").contains("\"pw\""), "Debug redacts");
    }

    #[test]
    fn select_keeps_order() {
        let mut inv = parse(
            r#"{"defaults":{"username":"u"},"hosts":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#,
        )
        .unwrap();
        inv.select(&["C".into(), "a".into()]).unwrap();
        let names: Vec<_> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert!(inv.select(&["zz".into()]).is_err());
    }
}
