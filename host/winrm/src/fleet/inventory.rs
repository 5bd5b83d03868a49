//! The fleet inventory: which hosts, how to reach them, how to authenticate, where their
//! results live. JSON, in one of two shapes:
//!
//! 1. An inventory object:
//!    ```json
//!    {
//!      "defaults": { "auth": "ntlm", "username": "CORP\\svc-stig",
//!                    "password_env": "STIGPACK_WINRM_PASSWORD",
//!                    "ca_file": "corp-ca.pem", "results_dir": "C:\\STIG\\Results",
//!                    "verify_profile": "evaluate-stig", "apply_profile": "powerstig" },
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
//! 3. An Ansible inventory, INI or YAML (`fleet/ansible`; rules in docs/winrm.md).
//!
//! Relative file paths resolve against the inventory's directory. Host names become
//! directory names, so they are checked to be safe path components.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ansible::{self, Format, Mapped};
use super::host_entry::{
    AuthKind, HostEntry, KerberosSettings, PasswordSource, DEFAULT_RESULTS_DIR,
};
use super::limit;
use super::profile::ProfileRef;
use crate::credentials::{Credentials, Secret};
use crate::transport::CertCheck;

/// A parsed inventory, hosts in inventory order (Ansible's order for Ansible inventories).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub hosts: Vec<HostEntry>,
    /// Groups, each with every host it holds directly or through children (for
    /// [`Inventory::limit`]). JSON inventories have one group, `all`.
    pub groups: Vec<(String, Vec<String>)>,
    /// Hosts stigpack cannot use, with the reason; an error only while they are selected.
    pub refused: Vec<RefusedHost>,
}

/// A host of an Ansible inventory that stigpack cannot reach as the inventory describes
/// (not a WinRM host, CredSSP, a vaulted password, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedHost {
    pub name: String,
    pub problem: String,
}

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
    #[error("inventory {path}: {}", refused.iter().map(|r| format!("host {}: {}", r.name, r.problem)).collect::<Vec<_>>().join("; "))]
    Refused {
        path: PathBuf,
        refused: Vec<RefusedHost>,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    name: Option<String>,
    endpoint: Option<String>,
    auth: Option<AuthKind>,
    kerberos_realm: Option<String>,
    kerberos_kdc: Option<String>,
    kerberos_hostname: Option<String>,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    results_dir: Option<String>,
    verify_profile: Option<String>,
    apply_profile: Option<String>,
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
        match detect(&text, path) {
            Detected::Json => Self::parse(&text, &base, path),
            Detected::Ansible(format) => Self::parse_ansible(&text, format, path),
        }
    }

    fn parse_ansible(text: &str, format: Format, path: &Path) -> Result<Self, InventoryError> {
        let invalid = |problem: String| InventoryError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let resolved = ansible::resolve_beside(text, format, dir).map_err(&invalid)?;
        // Checked once per file, and only if a host has a literal password.
        let inventory_private = std::cell::OnceCell::new();
        let private = |file: Option<&Path>| match file {
            None => inventory_private
                .get_or_init(|| check_private(path))
                .clone(),
            Some(f) => check_private(f),
        };
        let mut hosts = Vec::new();
        let mut refused = Vec::new();
        for h in &resolved.hosts {
            let problem = match check_host_name(&h.name) {
                Err(e) => e,
                Ok(()) => match ansible::map_host(h, &private).map_err(&invalid)? {
                    Mapped::Usable(mut entry) => {
                        // Profile files resolve against the inventory's directory.
                        let base = path.parent().unwrap_or(Path::new("."));
                        entry.verify_profile =
                            entry.verify_profile.map(|r| r.resolved_against(base));
                        entry.apply_profile = entry.apply_profile.map(|r| r.resolved_against(base));
                        hosts.push(*entry);
                        continue;
                    }
                    Mapped::Refused(p) => p,
                },
            };
            refused.push(RefusedHost {
                name: h.name.clone(),
                problem,
            });
        }
        if resolved.hosts.is_empty() {
            return Err(invalid("no hosts".into()));
        }
        let mut seen = BTreeSet::new();
        for h in &resolved.hosts {
            if !seen.insert(h.name.to_ascii_lowercase()) {
                return Err(invalid(format!(
                    "hosts named {} differ only in case; stigpack keeps each host's results \
                     in a folder of that name, so names must differ case-insensitively",
                    h.name
                )));
            }
        }
        Ok(Inventory {
            hosts,
            groups: resolved.groups,
            refused,
        })
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
            if d.kerberos_hostname.is_some() {
                return Err(invalid(
                    "defaults: kerberos_hostname names one host's service principal \
                     (HTTP/<host>); set it per host"
                        .into(),
                ));
            }
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
                let auth = h.auth.or(d.auth).unwrap_or(AuthKind::Ntlm);
                let password = match (env, file) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(format!(
                            "host {name}: give password_env or password_file, not both"
                        )))
                    }
                    (Some(v), None) => PasswordSource::Env(v),
                    (None, Some(f)) => PasswordSource::File(resolve(f)),
                    (None, None) if auth == AuthKind::Kerberos => PasswordSource::CredentialCache,
                    (None, None) => PasswordSource::Prompt,
                };
                hosts.push(HostEntry {
                    name,
                    endpoint,
                    auth,
                    kerberos: KerberosSettings {
                        realm: h.kerberos_realm.or_else(|| d.kerberos_realm.clone()),
                        kdc: h.kerberos_kdc.or_else(|| d.kerberos_kdc.clone()),
                        // Names one host: never inherited from the defaults.
                        hostname_override: h.kerberos_hostname,
                    },
                    username,
                    password,
                    ca_file: h.ca_file.or_else(|| d.ca_file.clone()).map(resolve),
                    results_dir: h
                        .results_dir
                        .or_else(|| d.results_dir.clone())
                        .unwrap_or_else(|| DEFAULT_RESULTS_DIR.into()),
                    verify_profile: h
                        .verify_profile
                        .or_else(|| d.verify_profile.clone())
                        .map(|r| ProfileRef::parse(&r, Some(base))),
                    apply_profile: h
                        .apply_profile
                        .or_else(|| d.apply_profile.clone())
                        .map(|r| ProfileRef::parse(&r, Some(base))),
                    ignore_cert_requested: false,
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
                    kerberos: KerberosSettings::default(),
                    username: l.username,
                    password: PasswordSource::Inline(Secret::new(l.password)),
                    ca_file: l.ca_file.map(resolve),
                    results_dir: DEFAULT_RESULTS_DIR.into(),
                    verify_profile: None,
                    apply_profile: None,
                    ignore_cert_requested: false,
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
        let all = hosts.iter().map(|h| h.name.clone()).collect();
        Ok(Inventory {
            hosts,
            groups: vec![("all".into(), all)],
            refused: Vec::new(),
        })
    }

    /// Every host name, usable or refused, in inventory order.
    fn names(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .groups
            .iter()
            .find(|(g, _)| g == "all")
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        for n in self
            .hosts
            .iter()
            .map(|h| &h.name)
            .chain(self.refused.iter().map(|r| &r.name))
        {
            if !all.contains(n) {
                all.push(n.clone());
            }
        }
        all
    }

    fn retain_names(&mut self, keep: impl Fn(&str) -> bool) {
        self.hosts.retain(|h| keep(&h.name));
        self.refused.retain(|r| keep(&r.name));
    }

    /// Restricts to the named hosts (case-insensitive), keeping inventory order.
    pub fn select(&mut self, names: &[String]) -> Result<(), String> {
        if names.is_empty() {
            return Ok(());
        }
        let all = self.names();
        for n in names {
            if !all.iter().any(|h| h.eq_ignore_ascii_case(n)) {
                return Err(format!("host {n} is not in the inventory"));
            }
        }
        self.retain_names(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)));
        Ok(())
    }

    /// Restricts to the hosts an Ansible host pattern selects (`--limit`: `group`,
    /// `host`, `a:b`, `a:&b`, `a:!b`, globs, commas), keeping inventory order.
    pub fn limit(&mut self, pattern: &str) -> Result<(), String> {
        let keep = limit::select(pattern, &self.names(), &self.groups)?;
        self.retain_names(|h| keep.iter().any(|k| k == h));
        Ok(())
    }

    /// Fails if a selected host is refused, or asks to skip certificate validation while
    /// `cert_check` verifies. Call after [`Inventory::select`] / [`Inventory::limit`].
    pub fn check_usable(&self, path: &Path, cert_check: CertCheck) -> Result<(), InventoryError> {
        let mut refused = self.refused.clone();
        if cert_check == CertCheck::Verify {
            refused.extend(
                self.hosts
                    .iter()
                    .filter(|h| h.ignore_cert_requested)
                    .map(|h| RefusedHost {
                        name: h.name.clone(),
                        problem: "ansible_winrm_server_cert_validation=ignore: stigpack verifies \
                              certificates unless the operator passes \
                              --dangerous-accept-any-certificate (or give the CA in \
                              ansible_winrm_ca_trust_path)"
                            .into(),
                    }),
            );
        }
        if refused.is_empty() {
            return Ok(());
        }
        Err(InventoryError::Refused {
            path: path.to_path_buf(),
            refused,
        })
    }
}

enum Detected {
    /// stigpack's own JSON inventory, or the simulator's JSON lines.
    Json,
    Ansible(Format),
}

/// Which kind of inventory `text` is. stigpack's JSON (an object with a `hosts` list or
/// `defaults`, or JSON lines with `endpoint`s) is recognised first; otherwise Ansible's
/// own rule: files ending .yml/.yaml/.json or without extension are YAML when they parse
/// as a YAML mapping, everything else is INI.
fn detect(text: &str, path: &Path) -> Detected {
    let own = |v: &serde_json::Value| {
        v.get("endpoint").is_some()
            || v.get("defaults").is_some()
            || v.get("hosts").is_some_and(serde_json::Value::is_array)
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if v.is_object() && !own(&v) => return Detected::Ansible(Format::Yaml),
        Ok(_) => return Detected::Json,
        Err(_) => {}
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if serde_json::from_str::<serde_json::Value>(first).is_ok_and(|v| own(&v)) {
        return Detected::Json;
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let yaml_ext = matches!(ext.as_deref(), None | Some("yml" | "yaml" | "json"));
    if yaml_ext && ansible::yaml_document(text).is_some() {
        return Detected::Ansible(Format::Yaml);
    }
    match ext.as_deref() {
        // A broken YAML file: report it as YAML, not as odd INI.
        Some("yml" | "yaml") => Detected::Ansible(Format::Yaml),
        // A broken JSON file keeps its JSON error.
        Some("json") => Detected::Json,
        _ if text.trim_start().starts_with('{') => Detected::Json,
        _ => Detected::Ansible(Format::Ini),
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
            PasswordSource::CredentialCache => Err(
                crate::credentials::CredentialError::NoPassword(self.name.clone()),
            ),
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
    fn kerberos_settings_per_host_or_by_default() {
        let inv = parse(
            r#"{"defaults":{"auth":"kerberos","username":"svc@CORP.TEST",
                            "kerberos_realm":"CORP.TEST","kerberos_kdc":"dc1.corp.test:88"},
               "hosts":[{"name":"a","endpoint":"http://10.0.0.5:5985/wsman","kerberos_hostname":"a.corp.test"},
                        {"name":"b","kerberos_kdc":"dc2.corp.test"},
                        {"name":"c","auth":"ntlm"}]}"#,
        )
        .unwrap();
        let [a, b, c] = [&inv.hosts[0], &inv.hosts[1], &inv.hosts[2]];
        assert_eq!(a.auth, AuthKind::Kerberos);
        assert_eq!(
            a.kerberos,
            KerberosSettings {
                realm: Some("CORP.TEST".into()),
                kdc: Some("dc1.corp.test:88".into()),
                hostname_override: Some("a.corp.test".into()),
            }
        );
        assert_eq!(b.kerberos.kdc.as_deref(), Some("dc2.corp.test"));
        assert_eq!(
            b.kerberos.hostname_override, None,
            "names one host: not a default"
        );
        assert_eq!(c.auth, AuthKind::Ntlm);
        // No password source: Kerberos uses the credential cache, NTLM prompts.
        assert_eq!(a.password, PasswordSource::CredentialCache);
        assert_eq!(c.password, PasswordSource::Prompt);
        assert!(
            a.credentials().is_err(),
            "a cache host has no password to give"
        );
        assert!(parse(r#"{"hosts":[{"name":"a","auth":"credssp"}]}"#).is_err());
        let e = parse(
            r#"{"defaults":{"username":"u","kerberos_hostname":"x"},"hosts":[{"name":"a"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("kerberos_hostname") && e.contains("per host"),
            "{e}"
        );
    }

    #[test]
    fn tool_profiles_per_host_or_by_default() {
        let inv = parse(
            r#"{"defaults":{"username":"u","apply_profile":"powerstig"},
               "hosts":[{"name":"a"},
                        {"name":"b","verify_profile":"scans/site.json","apply_profile":"/etc/harden.json"}]}"#,
        )
        .unwrap();
        let (a, b) = (&inv.hosts[0], &inv.hosts[1]);
        assert_eq!(a.verify_profile, None);
        assert_eq!(
            a.apply_profile,
            Some(ProfileRef::Builtin("powerstig".into()))
        );
        assert_eq!(
            b.verify_profile,
            Some(ProfileRef::File("/inv/scans/site.json".into()))
        );
        assert_eq!(
            b.apply_profile,
            Some(ProfileRef::File("/etc/harden.json".into()))
        );

        // Ansible: profile files resolve against the inventory's directory too.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hosts.ini");
        std::fs::write(
            &p,
            "[win]\nws1 ansible_user=u stigpack_apply_profile=site/harden.json\n\
             [win:vars]\nansible_connection=winrm\nansible_winrm_transport=ntlm\n",
        )
        .unwrap();
        let inv = Inventory::load(&p).unwrap();
        assert_eq!(
            inv.hosts[0].apply_profile,
            Some(ProfileRef::File(dir.path().join("site/harden.json")))
        );
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
