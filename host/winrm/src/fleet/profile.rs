//! Tool profiles: what `fleet verify` (a scanner) and `fleet apply` (a hardening step)
//! run on each host, kept as data so a site can point stigpack at its own tools without
//! a new release. A profile names the program, its arguments and working directory, the
//! exit codes that mean success, the remote folder holding a scan's results, and a
//! timeout. Two ship built in (`profiles/*.json`): `evaluate-stig` and `powerstig`.
//! The JSON format and how to write another are in docs/winrm.md, "Tool profiles".

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The profile `fleet verify` uses when neither the command line nor the inventory names
/// one.
pub const DEFAULT_VERIFY_PROFILE: &str = "evaluate-stig";

/// The built-in profiles, by name, as shipped JSON.
const BUILTIN: &[(&str, &str)] = &[
    (
        "evaluate-stig",
        include_str!("../../profiles/evaluate-stig.json"),
    ),
    ("powerstig", include_str!("../../profiles/powerstig.json")),
];

/// The apply script the `powerstig` profile runs, shipped for operators to copy to their
/// hosts (and installed on every simulated host).
pub const POWERSTIG_APPLY_SCRIPT: &str = include_str!("../../profiles/Apply-PowerStig.ps1");

/// Largest profile file read (a profile is a few hundred bytes).
const MAX_PROFILE_BYTES: u64 = 64 * 1024;
/// Longest tool timeout a profile may ask for: a week.
const MAX_TIMEOUT_SECS: u64 = 7 * 24 * 3600;

/// Which fleet step a profile is for. A scan profile given to `apply` (or the reverse) is
/// refused, so a typo never runs a hardening step where a scan was meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Scan and collect the results.
    Verify,
    /// Change the host (harden it).
    Apply,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Verify => "verify",
            Step::Apply => "apply",
        })
    }
}

fn default_exit_codes() -> Vec<i32> {
    vec![0]
}

fn yes() -> bool {
    true
}

/// One tool profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolProfile {
    /// Short name, reported per host and in the audit log.
    pub name: String,
    pub step: Step,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Remote path of the program or script.
    pub program: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// Remote working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Exit codes meaning success; any other is a failed host.
    #[serde(default = "default_exit_codes")]
    pub expected_exit_codes: Vec<i32>,
    /// Remote folder a scan leaves its results in (verify only); may hold `{host}`,
    /// `{HOST}` and `{COMPUTERNAME}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_dir: Option<String>,
    /// Longest the tool may run on one host.
    pub timeout_secs: u64,
    /// Verify only: results identical to those present before the run are stale (the
    /// tool wrote nothing) and fail the host.
    #[serde(default = "yes")]
    pub require_new_results: bool,
}

/// Where a profile comes from: a built-in name or a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProfileRef {
    Builtin(String),
    File(PathBuf),
}

impl ProfileRef {
    /// A built-in name is the built-in; anything else is a file path, resolved against
    /// `base` when relative (the inventory's directory; `None`: the working directory).
    /// To use a file named like a built-in, write `./powerstig`.
    pub fn parse(s: &str, base: Option<&Path>) -> ProfileRef {
        if BUILTIN.iter().any(|(n, _)| *n == s) {
            return ProfileRef::Builtin(s.to_string());
        }
        let p = PathBuf::from(s);
        match base {
            Some(b) if p.is_relative() => ProfileRef::File(b.join(p)),
            _ => ProfileRef::File(p),
        }
    }

    /// Resolves a relative file path against `base` (no change otherwise).
    pub fn resolved_against(self, base: &Path) -> ProfileRef {
        match self {
            ProfileRef::File(p) if p.is_relative() => ProfileRef::File(base.join(p)),
            other => other,
        }
    }
}

impl std::fmt::Display for ProfileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProfileRef::Builtin(n) => write!(f, "{n} (built in)"),
            ProfileRef::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file cannot be read (missing, a directory, too large).
    #[error("tool profile {path}: {problem}")]
    Unreadable { path: PathBuf, problem: String },
    /// The profile parses but says something stigpack will not run.
    #[error("tool profile {origin}: {problem}")]
    Invalid { origin: String, problem: String },
    /// A profile for the other step.
    #[error("tool profile {origin} is for `fleet {found}`, not `fleet {wanted}`")]
    WrongStep {
        origin: String,
        found: Step,
        wanted: Step,
    },
}

/// Names of the built-in profiles.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

impl ToolProfile {
    /// Parses and checks a profile; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<ToolProfile, ProfileError> {
        let invalid = |problem: String| ProfileError::Invalid {
            origin: origin.to_string(),
            problem,
        };
        let p: ToolProfile = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        p.check().map_err(invalid)?;
        Ok(p)
    }

    /// A built-in profile.
    pub fn builtin(name: &str) -> Option<ToolProfile> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        ToolProfile::from_json(text, name).ok()
    }

    /// Loads a profile from where `r` says.
    pub fn load(r: &ProfileRef) -> Result<ToolProfile, ProfileError> {
        match r {
            ProfileRef::Builtin(name) => {
                let (_, text) = BUILTIN.iter().find(|(n, _)| n == name).ok_or_else(|| {
                    ProfileError::Invalid {
                        origin: name.clone(),
                        problem: format!(
                            "no such built-in profile (built in: {})",
                            builtin_names().join(", ")
                        ),
                    }
                })?;
                ToolProfile::from_json(text, name)
            }
            ProfileRef::File(path) => {
                let unreadable = |problem: String| ProfileError::Unreadable {
                    path: path.clone(),
                    problem,
                };
                let meta = std::fs::metadata(path).map_err(|e| {
                    unreadable(if e.kind() == std::io::ErrorKind::NotFound {
                        format!(
                            "no such file, and not a built-in profile (built in: {})",
                            builtin_names().join(", ")
                        )
                    } else {
                        e.to_string()
                    })
                })?;
                if !meta.is_file() {
                    return Err(unreadable("not a regular file".into()));
                }
                if meta.len() > MAX_PROFILE_BYTES {
                    return Err(unreadable(format!(
                        "{} bytes; a profile is at most {MAX_PROFILE_BYTES}",
                        meta.len()
                    )));
                }
                let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
                ToolProfile::from_json(&text, &path.display().to_string())
            }
        }
    }

    /// Refuses a profile meant for the other step.
    pub fn check_step(&self, wanted: Step, origin: &str) -> Result<(), ProfileError> {
        if self.step == wanted {
            Ok(())
        } else {
            Err(ProfileError::WrongStep {
                origin: origin.to_string(),
                found: self.step,
                wanted,
            })
        }
    }

    fn check(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !name_ok {
            return Err(format!(
                "name {:?}: 1 to 64 letters, digits, '.', '-' or '_'",
                self.name
            ));
        }
        let no_control = |field: &str, v: &str| -> Result<(), String> {
            if v.chars().any(char::is_control) {
                Err(format!("{field} contains a control character"))
            } else {
                Ok(())
            }
        };
        if self.program.trim().is_empty() {
            return Err("program is empty".into());
        }
        no_control("program", &self.program)?;
        for (i, a) in self.args.iter().enumerate() {
            no_control(&format!("args[{i}]"), a)?;
        }
        if let Some(cwd) = &self.cwd {
            no_control("cwd", cwd)?;
        }
        if self.expected_exit_codes.is_empty() {
            return Err("expected_exit_codes is empty (no run could succeed)".into());
        }
        if self.timeout_secs == 0 || self.timeout_secs > MAX_TIMEOUT_SECS {
            return Err(format!(
                "timeout_secs {}: give 1 to {MAX_TIMEOUT_SECS}",
                self.timeout_secs
            ));
        }
        match (self.step, &self.results_dir) {
            (Step::Verify, None) => {
                return Err(
                    "a verify profile needs results_dir (the remote folder to collect)".into(),
                )
            }
            (Step::Apply, Some(_)) => {
                return Err(
                    "an apply profile has no results_dir (apply collects nothing; scan with \
                     `fleet verify` afterwards)"
                        .into(),
                )
            }
            (Step::Verify, Some(dir)) => check_results_dir(dir)?,
            (Step::Apply, None) => {}
        }
        Ok(())
    }

    /// Whether the results folder needs the host's own computer name (asked from it).
    pub fn needs_computername(&self) -> bool {
        self.results_dir
            .as_deref()
            .is_some_and(|d| d.contains("{COMPUTERNAME}"))
    }

    /// The results folder for one host, placeholders filled in. `computername` is the
    /// host's `$env:COMPUTERNAME` (needed only if [`Self::needs_computername`]).
    pub fn results_dir_for(&self, host: &str, computername: Option<&str>) -> Option<String> {
        let dir = self.results_dir.as_deref()?;
        let mut d = dir
            .replace("{host}", host)
            .replace("{HOST}", &host.to_ascii_uppercase());
        if let Some(c) = computername {
            d = d.replace("{COMPUTERNAME}", c);
        }
        Some(d)
    }

    /// SHA-256 (hex) of the profile as stigpack understood it (canonical JSON), for the
    /// audit log: it pins exactly what ran.
    pub fn sha256(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }

    /// SHA-256 (hex) of the argument list as JSON, as `fleet run-tool` logs it: the
    /// arguments may carry a secret, the digest confirms them without holding them.
    pub fn args_sha256(&self) -> String {
        let json = serde_json::to_string(&self.args).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }
}

/// An absolute Windows folder below a drive or share root, with only known placeholders.
fn check_results_dir(dir: &str) -> Result<(), String> {
    if dir.chars().any(char::is_control) {
        return Err("results_dir contains a control character".into());
    }
    let mut rest = dir.to_string();
    for ph in ["{host}", "{HOST}", "{COMPUTERNAME}"] {
        rest = rest.replace(ph, "x");
    }
    if rest.contains(['{', '}']) {
        return Err(format!(
            "results_dir {dir:?}: unknown placeholder (known: {{host}}, {{HOST}}, {{COMPUTERNAME}})"
        ));
    }
    let b = rest.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\';
    let unc = rest.starts_with("\\\\");
    if !(drive || unc) {
        return Err(format!(
            "results_dir {dir:?}: give an absolute Windows path (C:\\... or \\\\server\\share\\...)"
        ));
    }
    let parts = rest
        .trim_start_matches('\\')
        .split('\\')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>();
    let min = if unc { 3 } else { 2 };
    if parts.len() < min {
        return Err(format!(
            "results_dir {dir:?} is a drive or share root; name the results folder itself"
        ));
    }
    if parts.iter().any(|p| *p == "." || *p == "..") {
        return Err(format!("results_dir {dir:?}: no '.' or '..' components"));
    }
    Ok(())
}

/// Checks a computer name a host reported before it becomes part of a path.
pub fn check_computername(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the host reported computer name {name:?}, which is not a plain NetBIOS name"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_load_and_say_what_they_run() {
        let es = ToolProfile::builtin("evaluate-stig").unwrap();
        assert_eq!(es.step, Step::Verify);
        assert!(es.program.ends_with("Evaluate-STIG.ps1"));
        let out = es.args.iter().position(|a| a == "-Output").unwrap();
        assert_eq!(es.args[out + 1], "CKL,CKLB");
        assert!(es.needs_computername());
        assert_eq!(
            es.results_dir_for("ws01.corp", Some("WS01")).unwrap(),
            r"C:\STIG\Results\WS01"
        );
        let ps = ToolProfile::builtin("powerstig").unwrap();
        assert_eq!(ps.step, Step::Apply);
        assert_eq!(ps.expected_exit_codes, [0, 3010]);
        assert!(ps.results_dir.is_none());
        assert!(POWERSTIG_APPLY_SCRIPT.contains("Start-DscConfiguration"));
        assert_eq!(builtin_names(), ["evaluate-stig", "powerstig"]);
    }

    #[test]
    fn defaults_and_placeholders() {
        let p = ToolProfile::from_json(
            r#"{"name":"scc","step":"verify","program":"C:\\SCC\\cscc.exe",
                "results_dir":"D:\\Scans\\{host}-{HOST}","timeout_secs":60}"#,
            "t",
        )
        .unwrap();
        assert_eq!(p.expected_exit_codes, [0]);
        assert!(p.require_new_results);
        assert!(!p.needs_computername());
        assert_eq!(p.results_dir_for("ws1", None).unwrap(), r"D:\Scans\ws1-WS1");
        // The digest pins the profile; the argument digest matches run-tool's.
        let mut q = p.clone();
        q.args.push("-x".into());
        assert_ne!(p.sha256(), q.sha256());
        assert_eq!(
            p.args_sha256(),
            hex::encode(Sha256::digest(b"[]")),
            "same digest as fleet run-tool"
        );
    }

    #[test]
    fn refuses_what_it_cannot_run() {
        let base = |extra: &str| {
            format!(r#"{{"name":"t","program":"C:\\t.exe","timeout_secs":10,{extra}}}"#)
        };
        for (extra, needle) in [
            (r#""step":"verify""#, "needs results_dir"),
            (r#""step":"apply","results_dir":"C:\\R""#, "no results_dir"),
            (r#""step":"verify","results_dir":"C:\\""#, "root"),
            (r#""step":"verify","results_dir":"Results""#, "absolute"),
            (
                r#""step":"verify","results_dir":"C:\\R\\{user}""#,
                "placeholder",
            ),
            (r#""step":"verify","results_dir":"C:\\R\\..\\x""#, "'..'"),
            (r#""step":"apply","expected_exit_codes":[]"#, "empty"),
            (r#""step":"apply","bogus":1"#, "unknown field"),
            (r#""step":"scan""#, "unknown variant"),
        ] {
            let e = ToolProfile::from_json(&base(extra), "my.json")
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle) && e.contains("my.json"), "{extra}: {e}");
        }
        let e = ToolProfile::from_json(
            r#"{"name":"t","step":"apply","program":"C:\\t.exe","timeout_secs":0}"#,
            "x",
        )
        .unwrap_err();
        assert!(e.to_string().contains("timeout_secs"), "{e}");
        let ps = ToolProfile::builtin("powerstig").unwrap();
        let e = ps.check_step(Step::Verify, "powerstig").unwrap_err();
        assert!(e.to_string().contains("not `fleet verify`"), "{e}");
    }

    #[test]
    fn references_and_files() {
        assert_eq!(
            ProfileRef::parse("powerstig", Some(Path::new("/inv"))),
            ProfileRef::Builtin("powerstig".into())
        );
        assert_eq!(
            ProfileRef::parse("./powerstig", Some(Path::new("/inv"))),
            ProfileRef::File("/inv/./powerstig".into())
        );
        assert_eq!(
            ProfileRef::parse("/etc/p.json", Some(Path::new("/inv"))),
            ProfileRef::File("/etc/p.json".into())
        );
        let dir = tempfile::tempdir().unwrap();
        let missing = ToolProfile::load(&ProfileRef::File(dir.path().join("nope.json")))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("nope.json") && missing.contains("built-in"),
            "{missing}"
        );
        let f = dir.path().join("p.json");
        std::fs::write(
            &f,
            r#"{"name":"mine","step":"apply","program":"C:\\a.ps1","timeout_secs":5}"#,
        )
        .unwrap();
        assert_eq!(
            ToolProfile::load(&ProfileRef::File(f)).unwrap().name,
            "mine"
        );
        assert!(check_computername("WS01").is_ok());
        assert!(check_computername("..\\x").is_err());
    }
}
