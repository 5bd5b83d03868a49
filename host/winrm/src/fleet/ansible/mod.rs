//! Ansible inventories as stigpack fleets. Operators already list their Windows hosts in
//! Ansible inventories (INI or YAML); this module reads them the way ansible-core 2.19
//! does (groups, children, ranges, variable precedence, INI value types) and maps the
//! connection variables Ansible's `winrm` plugin uses onto a [`HostEntry`]. What stigpack
//! cannot honour exactly is refused, naming the host and the variable, never approximated:
//! the test suite holds it to `ansible-inventory --list` on every sample inventory
//! (`host/winrm/tests/ansible_inventory.rs`), and docs/winrm.md lists every rule.

mod ini;
mod model;
mod vars_files;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use model::Var;

use super::host_entry::{
    AuthKind, HostEntry, KerberosSettings, PasswordSource, DEFAULT_RESULTS_DIR,
};
use super::profile::ProfileRef;
use crate::credentials::Secret;
use crate::transport::Endpoint;

/// The two static inventory forms Ansible reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ini,
    Yaml,
}

/// An inventory as Ansible resolves it: hosts in Ansible's order with their variables.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Every host, in the order `ansible all --list-hosts` prints them.
    pub hosts: Vec<ResolvedHost>,
    /// Every group (including `all` and `ungrouped`) with every host it holds directly or
    /// through its children.
    pub groups: Vec<(String, Vec<String>)>,
}

/// One host and the variables Ansible resolves for it.
#[derive(Debug, Clone)]
pub struct ResolvedHost {
    pub name: String,
    pub vars: BTreeMap<String, Var>,
    /// The `group_vars/` or `host_vars/` file that set a variable; absent: the inventory.
    pub origins: BTreeMap<String, PathBuf>,
}

impl ResolvedHost {
    /// The variables as `ansible-inventory --list` prints them under `_meta.hostvars`.
    pub fn vars_json(&self) -> serde_json::Map<String, Value> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect()
    }
}

/// Parses YAML text; `None` when it is not a YAML mapping (then Ansible tries INI).
pub fn yaml_document(text: &str) -> Option<serde_yaml_ng::Value> {
    match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        Ok(v @ serde_yaml_ng::Value::Mapping(_)) => Some(v),
        _ => None,
    }
}

/// Reads an inventory and resolves every host's variables, from the inventory alone.
pub fn resolve(text: &str, format: Format) -> Result<Resolved, String> {
    resolve_in(text, format, None)
}

/// Reads an inventory kept in `dir` and resolves every host's variables, with the
/// `group_vars/` and `host_vars/` files beside it, as Ansible does.
pub fn resolve_beside(text: &str, format: Format, dir: &Path) -> Result<Resolved, String> {
    resolve_in(text, format, Some(dir))
}

fn resolve_in(text: &str, format: Format, dir: Option<&Path>) -> Result<Resolved, String> {
    let mut m = model::Model::new();
    match format {
        Format::Ini => ini::parse(text, &mut m)?,
        Format::Yaml => {
            let doc: serde_yaml_ng::Value =
                serde_yaml_ng::from_str(text).map_err(|e| format!("YAML: {e}"))?;
            if matches!(doc, serde_yaml_ng::Value::Null) {
                return Err("empty YAML inventory".into());
            }
            yaml::parse(&doc, &mut m)?
        }
    }
    m.reconcile()?;
    if let Some(dir) = dir {
        vars_files::load(&mut m, dir)?;
    }
    let hosts = m
        .group_hosts(model::ALL)
        .into_iter()
        .map(|h| {
            let (vars, origins) = m.host_vars(h);
            ResolvedHost {
                name: m.hosts[h].name.clone(),
                vars,
                origins,
            }
        })
        .collect();
    let groups = (0..m.groups.len())
        .map(|g| {
            let names = m
                .group_hosts(g)
                .into_iter()
                .map(|h| m.hosts[h].name.clone());
            (m.groups[g].name.clone(), names.collect())
        })
        .collect();
    Ok(Resolved { hosts, groups })
}

/// `ansible_winrm_*` variables stigpack maps onto the connection.
const HONOURED: &[&str] = &[
    "host",
    "port",
    "user",
    "pass",
    "password",
    "scheme",
    "path",
    "transport",
    "server_cert_validation",
    "ca_trust_path",
    "message_encryption",
    "kerberos_hostname_override",
    "kerberos_delegation",
    "kinit_mode",
];

/// `ansible_winrm_*` variables that change nothing stigpack does: timeouts and retries
/// (stigpack's own `--operation-timeout`, `--connect-timeout` and retry policy apply),
/// how Ansible runs `kinit` (stigpack gets its ticket itself, from the password), and
/// `send_cbt` (stigpack always sends channel binding over HTTPS, which every Windows host
/// accepts).
const IGNORED: &[&str] = &[
    "operation_timeout_sec",
    "read_timeout_sec",
    "connection_timeout",
    "reconnection_retries",
    "reconnection_backoff",
    "kinit_cmd",
    "kinit_args",
    "kinit_env_vars",
    "send_cbt",
];

/// `stigpack_*` variables: the results folder `fleet collect` pulls and the tool
/// profiles `fleet verify` / `fleet apply` run (a built-in name or a profile file,
/// relative to the inventory's directory).
/// `stigpack_kerberos_realm` / `stigpack_kerberos_kdc` name the realm and KDC of a
/// Kerberos host when the krb5 configuration does not (Ansible has no variable for them:
/// it leaves them to krb5.conf).
const STIGPACK_VARS: &[&str] = &[
    "results_dir",
    "verify_profile",
    "apply_profile",
    "kerberos_realm",
    "kerberos_kdc",
];

/// What became of one host.
#[derive(Debug)]
pub(crate) enum Mapped {
    Usable(Box<HostEntry>),
    /// Not usable by stigpack; an error only if the host is selected.
    Refused(String),
}

/// Maps a resolved host onto a [`HostEntry`]. `Err` is a problem with a whole file (a
/// literal password in a file others can read); `Refused` concerns this host only.
/// `private` says whether a file (the inventory when `None`, else a vars file) is
/// private to the user.
pub(crate) fn map_host(
    host: &ResolvedHost,
    private: &dyn Fn(Option<&Path>) -> Result<(), String>,
) -> Result<Mapped, String> {
    let name = &host.name;
    let v = &host.vars;
    // The winrm plugin reads the last of several names that is set (config `_loop_entries`).
    let pick = |names: &[&'static str]| -> Option<(&'static str, &Var)> {
        names.iter().rev().find_map(|n| {
            v.get(*n)
                .filter(|x| **x != Var::Data(Value::Null))
                .map(|x| (*n, x))
        })
    };
    macro_rules! refuse {
        ($($arg:tt)*) => { return Ok(Mapped::Refused(format!($($arg)*))) };
    }
    // A string value, refusing vault, templates and non-strings.
    let text = |var: &str, val: &Var| -> Result<String, String> {
        match val {
            Var::Vault => Err(format!(
                "{var} is vault-encrypted; stigpack does not decrypt vaults: pass it in an \
                 environment variable instead"
            )),
            Var::Unsafe(Value::String(s)) => Ok(s.clone()),
            Var::Data(Value::String(s)) => {
                if s.contains("{{") || s.contains("{%") {
                    Err(format!(
                        "{var}={s:?} is a Jinja template; stigpack does not evaluate templates \
                         (give the value itself)"
                    ))
                } else {
                    Ok(s.clone())
                }
            }
            Var::Data(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
            other => Err(format!("{var}={} is not a string", other.to_json())),
        }
    };

    // 1. Only WinRM hosts.
    match pick(&["ansible_connection"]) {
        None => refuse!(
            "ansible_connection is not set (Ansible would use ssh); set ansible_connection=winrm"
        ),
        Some((var, val)) => match text(var, val) {
            Ok(c) if c == "winrm" || c == "ansible.builtin.winrm" => {}
            Ok(c) => refuse!(
                "{var}={c}: stigpack speaks WinRM only (ansible_connection=winrm); select \
                 WinRM hosts with --limit"
            ),
            Err(e) => refuse!("{e}"),
        },
    }
    // 2. Variables that would change the connection in ways stigpack cannot follow.
    for (k, val) in v {
        if let Some(opt) = k.strip_prefix("ansible_winrm_") {
            if !HONOURED.contains(&opt) && !IGNORED.contains(&opt) {
                refuse!(
                    "{k} is set; stigpack cannot honour it (it only knows {})",
                    HONOURED
                        .iter()
                        .map(|o| format!("ansible_winrm_{o}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        } else if let Some(opt) = k.strip_prefix("stigpack_") {
            if !STIGPACK_VARS.contains(&opt) {
                refuse!(
                    "{k} is not a stigpack variable (they are {})",
                    STIGPACK_VARS
                        .iter()
                        .map(|o| format!("stigpack_{o}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        } else if k == "ansible_become" && truthy(val) {
            refuse!(
                "ansible_become is on; stigpack runs everything as ansible_user and cannot \
                 become another user"
            );
        }
    }
    // 3. Where: scheme://host:port/path, defaults as the winrm plugin's.
    let address = match pick(&["ansible_host", "ansible_winrm_host"]) {
        Some((var, val)) => match text(var, val) {
            Ok(a) => a,
            Err(e) => refuse!("{e}"),
        },
        None => name.clone(),
    };
    let port = match pick(&["ansible_port", "ansible_winrm_port"]) {
        None => 5986,
        Some((var, val)) => {
            let p = match val {
                Var::Data(Value::Number(n)) => n.as_u64(),
                Var::Data(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            match p.and_then(|p| u16::try_from(p).ok()).filter(|&p| p > 0) {
                Some(p) => p,
                None => refuse!("{var}={} is not a TCP port", val.to_json()),
            }
        }
    };
    let scheme = match pick(&["ansible_winrm_scheme"]) {
        None if port == 5985 => "http".to_owned(),
        None => "https".to_owned(),
        Some((var, val)) => match text(var, val) {
            Ok(s) if s == "http" || s == "https" => s,
            Ok(s) => refuse!("{var}={s}: must be http or https"),
            Err(e) => refuse!("{e}"),
        },
    };
    let path = match pick(&["ansible_winrm_path"]) {
        None => "/wsman".to_owned(),
        Some((var, val)) => match text(var, val) {
            Ok(p) if p.starts_with('/') => p,
            Ok(p) => refuse!("{var}={p}: must start with '/'"),
            Err(e) => refuse!("{e}"),
        },
    };
    let host_part = if address.contains(':') {
        format!("[{address}]")
    } else {
        address.clone()
    };
    let endpoint = format!("{scheme}://{host_part}:{port}{path}");
    if let Err(e) = Endpoint::parse(&endpoint) {
        refuse!("endpoint {endpoint} (from ansible_host/ansible_port/ansible_winrm_scheme/ansible_winrm_path): {e}");
    }
    let https = scheme == "https";

    // 4. Who.
    let username = match pick(&["ansible_user", "ansible_winrm_user"]) {
        None => refuse!("no ansible_user"),
        Some((var, val)) => match text(var, val) {
            Ok(u) => u,
            Err(e) => refuse!("{e}"),
        },
    };

    // 5. How: ansible_winrm_transport (a list: Ansible tries each in turn).
    let auth = match pick(&["ansible_winrm_transport"]) {
        // pywinrm's default with a UPN user: Kerberos.
        None if username.contains('@') => AuthKind::Kerberos,
        // Ansible's default: pywinrm's `ssl` (Basic over HTTPS) or `plaintext` (Basic over HTTP).
        None if https => AuthKind::Basic,
        None => refuse!(
            "ansible_winrm_transport is not set, so Ansible would use Basic over http \
             (the password in clear); set ansible_winrm_transport=ntlm"
        ),
        Some((var, val)) => {
            let list: Vec<String> = match val {
                Var::Data(Value::Array(items)) => {
                    let mut out = Vec::new();
                    for i in items {
                        match i {
                            Value::String(s) => out.push(s.trim().to_owned()),
                            other => refuse!("{var}: {other} is not a transport name"),
                        }
                    }
                    out
                }
                other => match text(var, other) {
                    Ok(s) => s.split(',').map(|t| t.trim().to_owned()).collect(),
                    Err(e) => refuse!("{e}"),
                },
            };
            let mut kinds = Vec::new();
            for t in &list {
                let k = match t.as_str() {
                    "ntlm" => AuthKind::Ntlm,
                    "basic" | "ssl" | "plaintext" => AuthKind::Basic,
                    "kerberos" => AuthKind::Kerberos,
                    "credssp" | "certificate" => refuse!(
                        "{var}={t}: stigpack cannot authenticate with {t}; use ntlm or \
                         kerberos (or basic over https)"
                    ),
                    _ => refuse!("{var}={t}: not a WinRM transport stigpack knows"),
                };
                if !kinds.contains(&k) {
                    kinds.push(k);
                }
            }
            match kinds[..] {
                [k] => k,
                [] => refuse!("{var} is empty"),
                _ => refuse!(
                    "{var}={}: stigpack uses one transport per host; give only the one to use",
                    list.join(",")
                ),
            }
        }
    };
    if auth == AuthKind::Basic && !https {
        refuse!(
            "Basic authentication over http (ansible_winrm_transport with scheme http) sends \
             the password in clear; stigpack refuses it: use ntlm, or https"
        );
    }
    // 6. Message encryption: over http stigpack always seals NTLM messages; over https
    //    TLS protects them and stigpack does not seal inside TLS.
    if let Some((var, val)) = pick(&["ansible_winrm_message_encryption"]) {
        match text(var, val).as_deref() {
            Ok("auto") => {}
            Ok("always") if !https => {}
            Ok("never") if https => {}
            Ok("always") => refuse!(
                "{var}=always over https: stigpack relies on TLS there and does not also \
                 encrypt each message; use auto"
            ),
            Ok("never") => refuse!(
                "{var}=never over http would send everything in clear; stigpack always \
                 encrypts NTLM and Kerberos messages over http: use auto"
            ),
            Ok(other) => refuse!("{var}={other}: must be auto, always or never"),
            Err(e) => refuse!("{e}"),
        }
    }
    // 7. Certificates.
    let mut ignore_cert = false;
    if let Some((var, val)) = pick(&["ansible_winrm_server_cert_validation"]) {
        match text(var, val).as_deref() {
            Ok("validate") => {}
            Ok("ignore") => ignore_cert = https,
            Ok(other) => refuse!("{var}={other}: must be validate or ignore"),
            Err(e) => refuse!("{e}"),
        }
    }
    let ca_file = match pick(&["ansible_winrm_ca_trust_path"]) {
        None => None,
        Some((var, val)) => match text(var, val) {
            Ok(p) if PathBuf::from(&p).is_absolute() => Some(PathBuf::from(p)),
            Ok(p) => refuse!(
                "{var}={p}: give an absolute path (Ansible resolves a relative one against \
                 the working directory, stigpack will not guess)"
            ),
            Err(e) => refuse!("{e}"),
        },
    };

    // 8. Kerberos: where the ticket comes from.
    let mut kerberos = KerberosSettings::default();
    for (slot, var) in [
        (&mut kerberos.realm, "stigpack_kerberos_realm"),
        (&mut kerberos.kdc, "stigpack_kerberos_kdc"),
        (
            &mut kerberos.hostname_override,
            "ansible_winrm_kerberos_hostname_override",
        ),
    ] {
        if let Some((var, val)) = pick(&[var]) {
            match text(var, val) {
                Ok(r) if !r.trim().is_empty() => *slot = Some(r.trim().to_owned()),
                Ok(_) => refuse!("{var} is empty"),
                Err(e) => refuse!("{e}"),
            }
        }
    }
    if let Some((var, val)) = pick(&["ansible_winrm_kerberos_delegation"]) {
        if truthy(val) {
            refuse!(
                "{var} is on; stigpack never forwards the user's ticket to the host (it needs \
                 no second hop): remove it"
            );
        }
    }
    // Ansible's rule: `managed` (get a ticket with the password) when a password is set,
    // else `manual` (use the ticket already in the credential cache).
    let kinit_mode = match pick(&["ansible_winrm_kinit_mode"]) {
        None => None,
        Some((var, val)) => match text(var, val).as_deref() {
            Ok("managed") => Some(KinitMode::Managed),
            Ok("manual") => Some(KinitMode::Manual),
            Ok(other) => refuse!("{var}={other}: must be managed or manual"),
            Err(e) => refuse!("{e}"),
        },
    };

    // 9. Password.
    let password_var = pick(&[
        "ansible_password",
        "ansible_winrm_pass",
        "ansible_winrm_password",
    ]);
    let from_cache = auth == AuthKind::Kerberos
        && match kinit_mode {
            Some(KinitMode::Manual) => true,
            Some(KinitMode::Managed) => false,
            None => password_var.is_none(),
        };
    let password = match password_var {
        // The password, if any, is not used (as with Ansible's manual mode).
        _ if from_cache => PasswordSource::CredentialCache,
        None => PasswordSource::Prompt,
        Some((var, Var::Vault)) => refuse!(
            "{var} is vault-encrypted; stigpack does not decrypt vaults. Pass the password \
             in an environment variable instead: {var}: \"{{{{ lookup('env', 'WINRM_PASSWORD') }}}}\" \
             (or a JSON inventory's password_env / password_file)"
        ),
        Some((var, Var::Data(Value::String(s)))) if s.contains("{{") || s.contains("{%") => {
            match env_lookup(s) {
                Some(env) => PasswordSource::Env(env),
                None => refuse!(
                    "{var}={s:?}: the only template stigpack evaluates here is \
                     \"{{{{ lookup('env', 'NAME') }}}}\""
                ),
            }
        }
        Some((var, val)) => {
            let literal = match text(var, val) {
                Ok(p) => p,
                Err(e) => refuse!("{e}"),
            };
            let origin = host.origins.get(var).map(PathBuf::as_path);
            if let Err(e) = private(origin) {
                let file = origin.map_or_else(|| "this file".to_owned(), |p| p.display().to_string());
                return Err(format!(
                    "host {name}: {var} is a literal password, and {file} {e}; or pass it \
                     as {var}: \"{{{{ lookup('env', 'NAME') }}}}\""
                ));
            }
            PasswordSource::Inline(Secret::new(literal))
        }
    };

    let results_dir = match pick(&["stigpack_results_dir"]) {
        None => DEFAULT_RESULTS_DIR.to_owned(),
        Some((var, val)) => match text(var, val) {
            Ok(d) => d,
            Err(e) => refuse!("{e}"),
        },
    };
    let mut profiles = [None, None];
    for (slot, var) in profiles
        .iter_mut()
        .zip(["stigpack_verify_profile", "stigpack_apply_profile"])
    {
        if let Some((var, val)) = pick(&[var]) {
            match text(var, val) {
                Ok(r) if !r.trim().is_empty() => *slot = Some(ProfileRef::parse(r.trim(), None)),
                Ok(_) => refuse!("{var} is empty"),
                Err(e) => refuse!("{e}"),
            }
        }
    }
    let [verify_profile, apply_profile] = profiles;
    Ok(Mapped::Usable(Box::new(HostEntry {
        name: name.clone(),
        endpoint,
        auth,
        kerberos,
        username,
        password,
        ca_file,
        results_dir,
        verify_profile,
        apply_profile,
        ignore_cert_requested: ignore_cert,
    })))
}

/// `{{ lookup('env', 'NAME') }}` (either quote, any spacing, `ansible.builtin.env` too) →
/// `NAME`.
pub fn env_lookup(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let args = inner.strip_prefix("lookup")?.trim_start();
    let args = args.strip_prefix('(')?.strip_suffix(')')?;
    let (plugin, var) = args.split_once(',')?;
    let unquote = |t: &str| -> Option<String> {
        let t = t.trim();
        let q = t.chars().next()?;
        if !(q == '\'' || q == '"') || t.len() < 2 || !t.ends_with(q) {
            return None;
        }
        Some(t[1..t.len() - 1].to_owned())
    };
    let plugin = unquote(plugin)?;
    let var = unquote(var)?;
    let valid = !var.is_empty()
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !var.starts_with(|c: char| c.is_ascii_digit());
    (matches!(plugin.as_str(), "env" | "ansible.builtin.env") && valid).then_some(var)
}

/// Ansible's `boolean()`.
fn truthy(v: &Var) -> bool {
    match v {
        Var::Data(Value::Bool(b)) => *b,
        Var::Data(Value::Number(n)) => n.as_f64() == Some(1.0),
        Var::Data(Value::String(s)) | Var::Unsafe(Value::String(s)) => matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "yes" | "on" | "1" | "true" | "t" | "1.0"
        ),
        _ => false,
    }
}

/// `ansible_winrm_kinit_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KinitMode {
    Managed,
    Manual,
}

#[cfg(test)]
mod tests;
