//! Where passwords come from: an environment variable, a file only the user can read, or
//! an interactive prompt. Never from the command line and never into logs: [`Secret`]
//! has a redacting `Debug` and no `Display`.

use std::path::{Path, PathBuf};

/// A password. `Debug` prints `Secret(***)`; the value is only reachable via [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The plain value, for the one place that needs it (the authenticator).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A user name (`user`, `DOMAIN\user` or `user@realm`) and its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

/// Why credentials could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    #[error("credentials file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("credentials file {path} is readable or writable by group/others (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("credentials file {path}: {problem}")]
    Format { path: PathBuf, problem: String },
    #[error("cannot prompt for a password: {0}")]
    Prompt(String),
    #[error("host {0} uses the Kerberos ticket in the credential cache, not a password")]
    NoPassword(String),
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: Secret) -> Self {
        Credentials {
            username: username.into(),
            password,
        }
    }

    /// Password from environment variable `var`.
    pub fn from_env(username: impl Into<String>, var: &str) -> Result<Self, CredentialError> {
        let pw = std::env::var(var).map_err(|_| CredentialError::EnvMissing(var.into()))?;
        Ok(Credentials::new(username, Secret::new(pw)))
    }

    /// A file of `username` on the first line and the password on the second (or, with
    /// `username` given, just the password on the first line). On unix the file must not be
    /// accessible by group or others.
    pub fn from_file(path: &Path, username: Option<&str>) -> Result<Self, CredentialError> {
        check_private(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| CredentialError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        let fmt = |p: &str| CredentialError::Format {
            path: path.to_path_buf(),
            problem: p.into(),
        };
        let (user, pw) = match username {
            Some(u) => (
                u.to_string(),
                lines.next().ok_or_else(|| fmt("empty file"))?,
            ),
            None => {
                let u = lines
                    .next()
                    .filter(|u| !u.trim().is_empty())
                    .ok_or_else(|| fmt("first line must be the user name"))?;
                let p = lines
                    .next()
                    .ok_or_else(|| fmt("second line must be the password"))?;
                (u.trim().to_string(), p)
            }
        };
        if pw.is_empty() {
            return Err(fmt("password is empty"));
        }
        Ok(Credentials::new(user, Secret::new(pw)))
    }

    /// Asks on the terminal (no echo).
    pub fn prompt(username: impl Into<String>, label: &str) -> Result<Self, CredentialError> {
        let username = username.into();
        let pw = rpassword::prompt_password(format!("Password for {username} ({label}): "))
            .map_err(|e| CredentialError::Prompt(e.to_string()))?;
        Ok(Credentials::new(username, Secret::new(pw)))
    }

    /// Splits `DOMAIN\user` into its parts (`None` domain for `user` and `user@realm`).
    pub fn domain_and_user(&self) -> (Option<&str>, &str) {
        match self.username.split_once('\\') {
            Some((d, u)) => (Some(d), u),
            None => (None, self.username.as_str()),
        }
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), CredentialError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| CredentialError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), CredentialError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let c = Credentials::new("DOM\\admin", Secret::new("hunter2"));
        let d = format!("{c:?}");
        assert!(!d.contains("hunter2"), "{d}");
        assert!(d.contains("***"));
        assert_eq!(c.domain_and_user(), (Some("DOM"), "admin"));
    }

    #[cfg(unix)]
    #[test]
    fn file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("creds");
        std::fs::write(&p, "admin\nS3cret!\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Credentials::from_file(&p, None).unwrap_err();
        assert!(matches!(
            err,
            CredentialError::Permissions { mode: 0o644, .. }
        ));
        assert!(err.to_string().contains("chmod 600"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = Credentials::from_file(&p, None).unwrap();
        assert_eq!(c.username, "admin");
        assert_eq!(c.password.expose(), "S3cret!");
        let c = Credentials::from_file(&p, Some("other")).unwrap();
        assert_eq!(c.password.expose(), "admin");
        std::fs::write(&p, "admin\n").unwrap();
        assert!(Credentials::from_file(&p, None).is_err());
    }

    #[test]
    fn env_source() {
        let var = "STIGPACK_WINRM_TEST_PW_ENV_SOURCE";
        assert!(Credentials::from_env("u", var).is_err());
        // SAFETY-free: test-only, unique variable name.
        unsafe_free_set(var, "pw");
        assert_eq!(
            Credentials::from_env("u", var).unwrap().password.expose(),
            "pw"
        );
    }

    /// `std::env::set_var` is `unsafe` in edition 2024 only; this crate is 2021.
    fn unsafe_free_set(k: &str, v: &str) {
        std::env::set_var(k, v);
    }
}
