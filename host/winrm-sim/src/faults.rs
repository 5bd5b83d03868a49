//! Per-host fault injection, configured by a small spec string (`--faults`):
//!
//! ```text
//! spec   := rule ("," rule)*
//! rule   := target "=" fault
//! target := "*" | <host name>            ("*" = every host)
//! fault  := unreachable | blackhole | auth-fail | truncate-output | file-changes
//!         | slow:<duration>               latency added to every HTTP message
//!         | timeout-every:<n>             every n-th Receive answers fault 2150858793
//!         | http500-every:<n>             every n-th request answers HTTP 500, empty body
//!         | reset-every:<n>               every n-th Receive carrying output is cut mid-body
//!                                         and the TCP connection dropped
//!         | shell-quota:<n>               at most n concurrent shells (fault 2150859174)
//!         | envelope-kb:<n>               the host's MaxEnvelopeSizekb (HTTP 413 above it)
//!         | tool-time:<duration>          how long the "run a tool" op takes
//!         | scan-exit:<code>              the Evaluate-STIG scan exits <code> (not 0)
//!                                         and writes no results
//!         | scan-no-results               the scan exits 0 but writes no results
//!                                         (the previous results stay as they were)
//!         | apply-exit:<code>             the PowerSTIG apply exits <code> (not 0) and
//!                                         changes nothing
//!         | no-compression                read-gzip exits 3 "cannot compress" (the fallback)
//!         | gzip-bomb                     read-gzip streams gzip of endless zeros
//!         | gzip-corrupt                  read-gzip's deflate data is invalid after the header
//!         | gzip-lie                      read-gzip compresses the range with one byte changed
//! duration := <number>ms | <number>s
//! ```
//!
//! Rules apply in order, so `*=slow:20ms,host3=slow:0ms` slows every host but host3.

use std::time::Duration;

use crate::error::SimError;

/// The faults configured for one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFaults {
    /// Nothing listens: connections are refused.
    pub unreachable: bool,
    /// A listener accepts TCP connections but never answers.
    pub blackhole: bool,
    /// Extra latency per HTTP message.
    pub latency: Duration,
    /// Every authentication attempt is rejected (401), whatever the credentials.
    pub auth_fail: bool,
    /// Kerberos: accept the client but leave out the mutual-authentication token (the
    /// AP-REP) on the 200, as a host that cannot prove who it is would.
    pub no_mutual_auth: bool,
    pub timeout_every: Option<u64>,
    pub http500_every: Option<u64>,
    pub reset_every: Option<u64>,
    /// File-read ops return only part of the requested chunk (exit code still 0).
    pub truncate_output: bool,
    /// A file's content changes after its first chunk has been read.
    pub file_changes: bool,
    pub shell_quota: Option<usize>,
    pub envelope_kb: Option<usize>,
    pub tool_time: Option<Duration>,
    /// The scan fails with this exit code, writing nothing.
    pub scan_exit: Option<i32>,
    /// The scan "succeeds" (exit 0) without writing results.
    pub scan_no_results: bool,
    /// The apply fails with this exit code, changing nothing.
    pub apply_exit: Option<i32>,
    /// read-gzip answers "cannot compress" (exit 3), as a ConstrainedLanguage host would.
    pub no_compression: bool,
    /// read-gzip streams a valid gzip of zeros without end: a tiny stream that inflates
    /// past any cap.
    pub gzip_bomb: bool,
    /// read-gzip's first deflate block header is invalid (a corrupt stream).
    pub gzip_corrupt: bool,
    /// read-gzip sends a valid gzip of the range with one byte flipped (a lying host).
    pub gzip_lie: bool,
}

/// A parsed fault spec: rules in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSpec {
    rules: Vec<(String, Fault)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Fault {
    Unreachable,
    Blackhole,
    Slow(Duration),
    AuthFail,
    NoMutualAuth,
    TimeoutEvery(u64),
    Http500Every(u64),
    ResetEvery(u64),
    TruncateOutput,
    FileChanges,
    ShellQuota(usize),
    EnvelopeKb(usize),
    ToolTime(Duration),
    ScanExit(i32),
    ScanNoResults,
    ApplyExit(i32),
    NoCompression,
    GzipBomb,
    GzipCorrupt,
    GzipLie,
}

impl FaultSpec {
    /// Parses a spec string; an empty string means no faults.
    pub fn parse(spec: &str) -> Result<FaultSpec, SimError> {
        let mut rules = Vec::new();
        for rule in spec.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let err = |reason: &str| SimError::FaultSpec {
                rule: rule.to_string(),
                reason: reason.to_string(),
            };
            let (target, fault) = rule
                .split_once('=')
                .ok_or_else(|| err("expected <host>=<fault>"))?;
            let target = target.trim();
            if target.is_empty() {
                return Err(err("empty target"));
            }
            let (name, value) = match fault.trim().split_once(':') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (fault.trim(), None),
            };
            fn need<'a>(v: Option<&'a str>, rule: &str) -> Result<&'a str, SimError> {
                v.ok_or_else(|| SimError::FaultSpec {
                    rule: rule.to_string(),
                    reason: "this fault needs a value (name:value)".into(),
                })
            }
            let count = |v: Option<&str>| -> Result<u64, SimError> {
                let n: u64 = need(v, rule)?
                    .parse()
                    .map_err(|_| err("expected a positive integer"))?;
                if n == 0 {
                    return Err(err("expected a positive integer"));
                }
                Ok(n)
            };
            let f = match name {
                "unreachable" => Fault::Unreachable,
                "blackhole" => Fault::Blackhole,
                "auth-fail" => Fault::AuthFail,
                "no-mutual-auth" => Fault::NoMutualAuth,
                "truncate-output" => Fault::TruncateOutput,
                "file-changes" => Fault::FileChanges,
                "no-compression" => Fault::NoCompression,
                "gzip-bomb" => Fault::GzipBomb,
                "gzip-corrupt" => Fault::GzipCorrupt,
                "gzip-lie" => Fault::GzipLie,
                "slow" => Fault::Slow(
                    parse_duration(need(value, rule)?)
                        .ok_or_else(|| err("expected a duration like 200ms or 2s"))?,
                ),
                "tool-time" => Fault::ToolTime(
                    parse_duration(need(value, rule)?)
                        .ok_or_else(|| err("expected a duration like 200ms or 2s"))?,
                ),
                "scan-exit" => Fault::ScanExit(exit_code(need(value, rule)?).ok_or_else(|| {
                    err("expected a non-zero exit code (a failing tool does not exit 0)")
                })?),
                "apply-exit" => {
                    Fault::ApplyExit(exit_code(need(value, rule)?).ok_or_else(|| {
                        err("expected a non-zero exit code (a failing tool does not exit 0)")
                    })?)
                }
                "scan-no-results" => Fault::ScanNoResults,
                "timeout-every" => Fault::TimeoutEvery(count(value)?),
                "http500-every" => Fault::Http500Every(count(value)?),
                "reset-every" => Fault::ResetEvery(count(value)?),
                "shell-quota" => Fault::ShellQuota(count(value)? as usize),
                "envelope-kb" => Fault::EnvelopeKb(count(value)? as usize),
                _ => return Err(err("unknown fault name")),
            };
            rules.push((target.to_string(), f));
        }
        Ok(FaultSpec { rules })
    }

    /// Checks every named target exists in the fleet.
    pub fn check_targets(&self, names: &[String]) -> Result<(), SimError> {
        for (t, _) in &self.rules {
            if t != "*" && !names.iter().any(|n| n.eq_ignore_ascii_case(t)) {
                return Err(SimError::UnknownHost(t.clone()));
            }
        }
        Ok(())
    }

    /// The faults that apply to one host.
    pub fn for_host(&self, name: &str) -> HostFaults {
        let mut h = HostFaults::default();
        for (t, f) in &self.rules {
            if t != "*" && !t.eq_ignore_ascii_case(name) {
                continue;
            }
            match f {
                Fault::Unreachable => h.unreachable = true,
                Fault::Blackhole => h.blackhole = true,
                Fault::Slow(d) => h.latency = *d,
                Fault::AuthFail => h.auth_fail = true,
                Fault::NoMutualAuth => h.no_mutual_auth = true,
                Fault::TimeoutEvery(n) => h.timeout_every = Some(*n),
                Fault::Http500Every(n) => h.http500_every = Some(*n),
                Fault::ResetEvery(n) => h.reset_every = Some(*n),
                Fault::TruncateOutput => h.truncate_output = true,
                Fault::FileChanges => h.file_changes = true,
                Fault::ShellQuota(n) => h.shell_quota = Some(*n),
                Fault::EnvelopeKb(n) => h.envelope_kb = Some(*n),
                Fault::ToolTime(d) => h.tool_time = Some(*d),
                Fault::ScanExit(c) => h.scan_exit = Some(*c),
                Fault::ScanNoResults => h.scan_no_results = true,
                Fault::ApplyExit(c) => h.apply_exit = Some(*c),
                Fault::NoCompression => h.no_compression = true,
                Fault::GzipBomb => h.gzip_bomb = true,
                Fault::GzipCorrupt => h.gzip_corrupt = true,
                Fault::GzipLie => h.gzip_lie = true,
            }
        }
        h
    }
}

/// A process exit code other than 0 (Windows exit codes are 32-bit).
fn exit_code(s: &str) -> Option<i32> {
    s.trim().parse::<i32>().ok().filter(|c| *c != 0)
}

fn parse_duration(s: &str) -> Option<Duration> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    if let Some(secs) = s.strip_suffix('s') {
        let v: f64 = secs.trim().parse().ok()?;
        if v.is_finite() && v >= 0.0 {
            return Some(Duration::from_secs_f64(v));
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let s = FaultSpec::parse("host3=unreachable, host5=slow:200ms,*=timeout-every:3").unwrap();
        let h3 = s.for_host("host3");
        assert!(h3.unreachable);
        assert_eq!(h3.timeout_every, Some(3));
        assert_eq!(s.for_host("host5").latency, Duration::from_millis(200));
        assert!(!s.for_host("host1").unreachable);
        assert_eq!(s.for_host("host1").timeout_every, Some(3));
    }

    #[test]
    fn tool_step_faults() {
        let s = FaultSpec::parse("host1=scan-exit:3,host2=scan-no-results,host3=apply-exit:-1")
            .unwrap();
        assert_eq!(s.for_host("host1").scan_exit, Some(3));
        assert!(s.for_host("host2").scan_no_results);
        assert_eq!(s.for_host("host3").apply_exit, Some(-1));
        assert_eq!(s.for_host("host4"), HostFaults::default());
    }

    #[test]
    fn later_rules_override() {
        let s = FaultSpec::parse("*=slow:20ms,host3=slow:0ms").unwrap();
        assert_eq!(s.for_host("host3").latency, Duration::ZERO);
        assert_eq!(s.for_host("host2").latency, Duration::from_millis(20));
    }

    #[test]
    fn rejects_bad_rules() {
        for bad in [
            "host1",
            "host1=bogus",
            "host1=slow",
            "host1=slow:fast",
            "=unreachable",
            "host1=timeout-every:0",
            "host1=scan-exit",
            "host1=scan-exit:0",
            "host1=apply-exit:x",
        ] {
            assert!(FaultSpec::parse(bad).is_err(), "{bad}");
        }
        let s = FaultSpec::parse(
            "host1=no-compression,host2=gzip-bomb,host3=gzip-corrupt,host4=gzip-lie",
        )
        .unwrap();
        assert!(s.for_host("host1").no_compression && !s.for_host("host1").gzip_bomb);
        assert!(s.for_host("host2").gzip_bomb);
        assert!(s.for_host("host3").gzip_corrupt);
        assert!(s.for_host("host4").gzip_lie);
        let s = FaultSpec::parse("host9=auth-fail").unwrap();
        assert!(s.check_targets(&["host1".into()]).is_err());
    }
}
