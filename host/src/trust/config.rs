//! The operator's standing trust decisions, so they need not be repeated on every command:
//! `$XDG_CONFIG_HOME/stigpack/config.toml` (else `~/.config/stigpack/config.toml`) may list
//! the reviewers' public keys whose reviews are accepted and the lock to read. A key given
//! on the command line (`--trusted-key`) adds to the list; nothing here removes one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The environment variable naming the config file (tests, several operators on one host).
pub const ENV_CONFIG: &str = "STIGPACK_CONFIG";
const CONFIG_FILE_NAME: &str = "config.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: reading the config: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a stigpack config: {message}")]
    Malformed { path: PathBuf, message: String },
}

/// What the config file says; relative paths in it are relative to the file's directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Reviewers' public keys (SubjectPublicKeyInfo PEM files).
    #[serde(default)]
    pub trusted_keys: Vec<PathBuf>,
    /// The components lock used when `--components-lock` and `$STIGPACK_COMPONENTS_LOCK`
    /// are not given.
    #[serde(default)]
    pub components_lock: Option<PathBuf>,
}

/// The user's stigpack config directory: `$XDG_CONFIG_HOME/stigpack` (when absolute, as
/// the XDG spec requires), else `$HOME/.config/stigpack`.
pub fn config_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("stigpack"))
}

/// The config file's path: `$STIGPACK_CONFIG`, else `config.toml` in [`config_dir`].
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_CONFIG).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    config_dir().map(|d| d.join(CONFIG_FILE_NAME))
}

impl Config {
    /// Reads the user's config; no file is an empty config.
    pub fn load_default() -> Result<Config, ConfigError> {
        match config_path() {
            Some(p) => Config::load(&p),
            None => Ok(Config::default()),
        }
    }

    /// Reads `path`; a missing file is an empty config. Relative paths are resolved
    /// against the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.into(),
                    source,
                })
            }
        };
        let mut c: Config = toml::from_str(&text).map_err(|e| ConfigError::Malformed {
            path: path.into(),
            message: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for k in &mut c.trusted_keys {
            if k.is_relative() {
                *k = dir.join(&*k);
            }
        }
        if let Some(l) = &mut c.components_lock {
            if l.is_relative() {
                *l = dir.join(&*l);
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_the_config_directorys_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(
            &p,
            "trusted_keys = [\"keys/alice.pub\", \"/etc/bob.pub\"]\ncomponents_lock = \"my.lock\"\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(
            c.trusted_keys,
            [
                dir.path().join("keys/alice.pub"),
                PathBuf::from("/etc/bob.pub")
            ]
        );
        assert_eq!(c.components_lock, Some(dir.path().join("my.lock")));
        std::fs::write(&p, "trusted_key = []\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("config.toml") && e.contains("trusted_key"),
            "{e}"
        );
        assert_eq!(
            Config::load(&dir.path().join("absent.toml")).unwrap(),
            Config::default()
        );
    }
}
