//! One host's `fleet verify` or `fleet apply`: run the profile's tool (bounded by the
//! profile's timeout), keep its exit code whatever it is, and for verify collect the
//! results folder into `<out>/<host>/` the way `collect` does (verified, all or nothing).
//! A tool that exits with a code the profile does not expect, or a scan that leaves no
//! results (folder missing, empty, or exactly as it was before the run), fails the host:
//! stale results are never collected as if they were fresh.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::client::{Client, Shell};
use crate::error::{Error, ErrorKind};
use crate::ops::PulledFile;

use super::collect::{check_destination, stage, CollectedHost};
use super::host_entry::HostEntry;
use super::profile::{check_computername, Step, ToolProfile};

/// What happened on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The remote tool's exit code; `None` when it never finished (timeout, connection
    /// lost, not started).
    pub exit_code: Option<i32>,
    /// The results folder, placeholders filled in (verify).
    pub results_dir: Option<String>,
    /// What was collected (verify, on success).
    pub collected: Option<CollectedHost>,
    /// Why the host failed; `None` on success.
    pub error: Option<String>,
    /// First line of the tool's stderr, for the report.
    pub stderr_head: String,
    pub elapsed: Duration,
}

impl StepReport {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Where verify puts results.
#[derive(Debug, Clone)]
pub struct CollectTo {
    pub out: PathBuf,
    /// Replace an existing `<out>/<host>/`.
    pub force: bool,
}

/// What the tool phase left: the folder, what it held before, and the tool's output.
struct Ran {
    results_dir: Option<String>,
    before: Option<BTreeSet<(String, String)>>,
    exit_code: i32,
    stderr: String,
}

/// Runs `profile` on one host. `collect` is required for a verify profile. Never fails
/// as a whole: every outcome, including the exit code, is in the report.
pub async fn run_step(
    client: &Client,
    entry: &HostEntry,
    profile: &ToolProfile,
    collect: Option<&CollectTo>,
) -> StepReport {
    let start = Instant::now();
    let mut report = StepReport {
        exit_code: None,
        results_dir: None,
        collected: None,
        error: None,
        stderr_head: String::new(),
        elapsed: Duration::ZERO,
    };
    let result = step(client, entry, profile, collect, &mut report).await;
    if let Err(e) = result {
        report.error = Some(e);
    }
    report.elapsed = start.elapsed();
    report
}

async fn step(
    client: &Client,
    entry: &HostEntry,
    profile: &ToolProfile,
    collect: Option<&CollectTo>,
    report: &mut StepReport,
) -> Result<(), String> {
    let host = &entry.name;
    let collect = match (profile.step, collect) {
        (Step::Verify, Some(c)) => {
            // Before a long scan, not after it: results that could not be kept.
            check_destination(client, host, &c.out, c.force).map_err(|e| e.to_string())?;
            Some(c)
        }
        (Step::Verify, None) => {
            return Err(format!("{host}: verify needs an output folder"));
        }
        (Step::Apply, _) => None,
    };
    let timeout = Duration::from_secs(profile.timeout_secs);
    let ran = tokio::time::timeout(
        timeout,
        client.with_shell(async |s: &Shell| run_tool_phase(s, entry, profile).await),
    )
    .await
    .map_err(|_| {
        format!(
            "{host}: {} did not finish within {}s (the profile's timeout); its shell was deleted",
            profile.program, profile.timeout_secs
        )
    })?
    .map_err(|e| e.to_string())?;
    report.exit_code = Some(ran.exit_code);
    report.results_dir = ran.results_dir.clone();
    report.stderr_head = ran
        .stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect();
    if !profile.expected_exit_codes.contains(&ran.exit_code) {
        let said = if report.stderr_head.is_empty() {
            String::new()
        } else {
            format!(": {}", report.stderr_head)
        };
        return Err(format!(
            "{host}: {} exited with code {} (expected {}){said}",
            profile.program,
            ran.exit_code,
            codes(&profile.expected_exit_codes)
        ));
    }
    let (Some(c), Some(dir)) = (collect, ran.results_dir) else {
        return Ok(());
    };
    let staged = stage(client, host, &dir, &c.out, c.force)
        .await
        .map_err(|e| match e.kind {
            ErrorKind::NotFound(_) => format!(
                "{host}: {} exited {} but wrote no results: {dir} does not exist",
                profile.program, ran.exit_code
            ),
            _ => e.to_string(),
        })?;
    if staged.files().is_empty() {
        return Err(format!(
            "{host}: {} exited {} but wrote no results: {dir} is empty",
            profile.program, ran.exit_code
        ));
    }
    if let Some(before) = &ran.before {
        if !before.is_empty() && *before == fingerprint(staged.files()) {
            return Err(format!(
                "{host}: {} exited {} but wrote no new results: {dir} holds exactly the \
                 files it held before the run (stale results are not collected)",
                profile.program, ran.exit_code
            ));
        }
    }
    report.collected = Some(staged.commit().map_err(|e| e.to_string())?);
    Ok(())
}

/// In one shell: the computer name if the results folder needs it, the folder's contents
/// before the run (to tell fresh results from stale ones), then the tool itself.
async fn run_tool_phase(s: &Shell, entry: &HostEntry, profile: &ToolProfile) -> Result<Ran, Error> {
    let computername = if profile.needs_computername() {
        let name = s.status().await?.hostname;
        check_computername(&name).map_err(|p| s.client().err(ErrorKind::UnsafePath(p)))?;
        Some(name)
    } else {
        None
    };
    let results_dir = profile.results_dir_for(&entry.name, computername.as_deref());
    let before = match (&results_dir, profile.require_new_results) {
        (Some(dir), true) => match s.list_tree(dir).await {
            Ok(entries) => Some(
                entries
                    .into_iter()
                    .map(|e| (e.path, e.sha256.to_ascii_lowercase()))
                    .collect(),
            ),
            Err(e) if matches!(e.kind, ErrorKind::NotFound(_)) => Some(BTreeSet::new()),
            Err(e) => return Err(e),
        },
        _ => None,
    };
    let out = s
        .run_tool(&profile.program, &profile.args, profile.cwd.as_deref())
        .await?;
    Ok(Ran {
        results_dir,
        before,
        exit_code: out.exit_code,
        stderr: out.stderr,
    })
}

fn fingerprint(files: &[PulledFile]) -> BTreeSet<(String, String)> {
    files
        .iter()
        .map(|f| (f.relative.clone(), f.sha256.to_ascii_lowercase()))
        .collect()
}

fn codes(c: &[i32]) -> String {
    match c {
        [one] => one.to_string(),
        many => format!(
            "one of {}",
            many.iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
