//! Authentication as a Windows WinRM listener does it: Basic (HTTPS only unless the lab
//! flag allows HTTP), NTLM (raw NTLMSSP under the `Negotiate` or `NTLM` scheme) or
//! Kerberos (SPNEGO or raw krb5 under `Negotiate`), whose security context lives and dies
//! with one TCP connection and seals every message on plain HTTP.

pub mod basic;
pub mod kerberos;
pub mod ntlm;

/// Which authentication the simulated fleet accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Basic over HTTPS (or HTTP with the lab flag). STIG-forbidden; for labs.
    Basic,
    /// NTLM; message encryption is required on HTTP, optional on HTTPS.
    #[default]
    Ntlm,
    /// Kerberos with the service key in `FleetSpec::kerberos`; message encryption as NTLM.
    Kerberos,
}

impl std::str::FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "basic" => Ok(AuthMode::Basic),
            "ntlm" | "negotiate" => Ok(AuthMode::Ntlm),
            "kerberos" => Ok(AuthMode::Kerberos),
            other => Err(format!(
                "unknown auth mode {other:?} (expected ntlm, kerberos or basic)"
            )),
        }
    }
}

/// The account every simulated host accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Fresh credentials from the OS random source (secrets for one run).
    pub fn random() -> Result<Credentials, crate::error::SimError> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        let mut raw = [0u8; 24];
        crate::rng::os_random(&mut raw)?;
        let password: String = raw
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let mut tag = [0u8; 3];
        crate::rng::os_random(&mut tag)?;
        Ok(Credentials {
            username: format!("sim-admin-{}", hex::encode(tag)),
            password,
        })
    }

    /// Compares user names the Windows way: case-insensitive, `DOMAIN\user` or `user@domain`
    /// accepted for the bare user.
    pub fn user_matches(&self, given: &str) -> bool {
        let bare = given
            .rsplit('\\')
            .next()
            .unwrap_or(given)
            .split('@')
            .next()
            .unwrap_or(given);
        bare.eq_ignore_ascii_case(&self.username)
    }
}
