//! One host of a fleet as every inventory form describes it: endpoint, authentication,
//! credentials' source, results folder, tool profiles. Its own module so that the
//! inventory reader (`inventory.rs`) and the Ansible mapping (`ansible/`) both build
//! these without importing each other: the JSON and Ansible forms meet here.

use std::path::PathBuf;

use serde::Deserialize;

use super::profile::ProfileRef;
use crate::credentials::Secret;

/// Default folder Evaluate-STIG writes results to.
pub const DEFAULT_RESULTS_DIR: &str = r"C:\STIG\Results";

/// Where an inventory's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Env(String),
    File(PathBuf),
    /// Given in a private simulator inventory.
    Inline(Secret),
    /// Ask on the terminal.
    Prompt,
    /// No password: Kerberos with the ticket already in the credential cache
    /// (`KRB5CCNAME`, as after `kinit`). A Kerberos host without a password source gets
    /// this, as Ansible's `kinit_mode` defaults to `manual` without a password.
    CredentialCache,
}

/// Authentication scheme named in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    Ntlm,
    Basic,
    Kerberos,
}

/// Where a Kerberos host's ticket comes from. Each unset value falls back to the user
/// name's realm and the krb5 configuration (`$KRB5_CONFIG`, else /etc/krb5.conf).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KerberosSettings {
    /// The realm (`kerberos_realm`, Ansible `stigpack_kerberos_realm`).
    pub realm: Option<String>,
    /// The KDC, `host` or `host:port` (`kerberos_kdc`, Ansible `stigpack_kerberos_kdc`).
    pub kdc: Option<String>,
    /// Host name in the service principal `HTTP/<host>` when the endpoint names the
    /// host otherwise, e.g. by IP address (`kerberos_hostname`, Ansible
    /// `ansible_winrm_kerberos_hostname_override`).
    pub hostname_override: Option<String>,
}

/// One host, fully resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    pub name: String,
    pub endpoint: String,
    pub auth: AuthKind,
    /// Used when `auth` is [`AuthKind::Kerberos`].
    pub kerberos: KerberosSettings,
    pub username: String,
    pub password: PasswordSource,
    pub ca_file: Option<PathBuf>,
    pub results_dir: String,
    /// The tool profile `fleet verify` runs on this host, if the inventory names one
    /// (`verify_profile`, Ansible `stigpack_verify_profile`); the command line's
    /// `--profile` wins over it.
    pub verify_profile: Option<ProfileRef>,
    /// The tool profile `fleet apply` runs (`apply_profile`, `stigpack_apply_profile`).
    pub apply_profile: Option<ProfileRef>,
    /// The inventory asked not to validate the server's certificate (Ansible's
    /// `ansible_winrm_server_cert_validation=ignore`). Honoured only when the operator
    /// also chose `CertCheck::DangerousAcceptAnyCertificate`; see
    /// [`super::Inventory::check_usable`].
    pub ignore_cert_requested: bool,
}
