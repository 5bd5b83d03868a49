//! Crash safety for the temporary directories exports build in.
//!
//! An export builds its package in a staging directory and runs components in a scratch
//! directory beside it (gigabytes at fleet scale). A run killed midway (SIGKILL, power
//! loss) cannot remove them, so each run marks its directories as alive instead: the name
//! carries the owner's process id and the owner holds an exclusive `flock` on the
//! directory for as long as it runs (the kernel drops the lock when the process dies,
//! however it dies). The next run in the same place [`sweep`]s: a directory whose lock it
//! can take and whose owner process is gone is stale and is removed, and the run says so.
//! A directory being created (not locked yet) still has a live owner, so it is left.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Scratch directories of component runs (`package::assemble`).
pub const SCRATCH_PREFIX: &str = ".stigpack-scratch-";
/// Staging directories of outputs (`staging::Staged`): `.<name>.stigpack-tmp-<pid>-...`.
pub const STAGING_MARK: &str = ".stigpack-tmp-";

/// The lock that marks a directory as owned by a running process; released on drop or
/// when the process dies.
#[derive(Debug)]
pub struct Claim {
    _dir: File,
}

/// Creates a temporary directory in `parent` named `<prefix><pid>-<random>` and claims it.
pub fn temp_dir_in(parent: &Path, prefix: &str) -> io::Result<(tempfile::TempDir, Claim)> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(parent)?;
    let claim = claim(dir.path())?;
    Ok((dir, claim))
}

/// Takes the exclusive lock on `dir` (it must not be held by anyone else).
pub fn claim(dir: &Path) -> io::Result<Claim> {
    let f = File::open(dir)?;
    rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive)?;
    Ok(Claim { _dir: f })
}

/// The owner process id in a stigpack temporary directory's name, if it is one.
fn owner(name: &str) -> Option<u32> {
    let rest = match name.strip_prefix(SCRATCH_PREFIX) {
        Some(r) => r,
        None => {
            let at = name.find(STAGING_MARK)?;
            name.starts_with('.').then_some(())?;
            &name[at + STAGING_MARK.len()..]
        }
    };
    rest.split_once('-')?.0.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // ESRCH: no such process. EPERM: it exists but is not ours, so it is alive.
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Removes the stale stigpack temporary directories directly in `parent` and returns
/// them. Errors reading `parent` or removing a directory are not fatal to the caller's
/// run (it does not need them gone), so they are skipped.
pub fn sweep(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(owner) else {
            continue;
        };
        // Never follow a link: only real directories are ours.
        if !e.file_type().is_ok_and(|t| t.is_dir()) || pid == std::process::id() {
            continue;
        }
        let path = e.path();
        // The lock first: while we hold it, its owner (if it were alive) could not have it.
        let Ok(_held) = claim(&path) else {
            continue;
        };
        if process_alive(pid) {
            continue;
        }
        if std::fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

/// [`sweep`]s `parent` and tells the operator on stderr what was removed.
pub fn sweep_and_report(parent: &Path) {
    for p in sweep(parent) {
        eprintln!(
            "stigpack: removed {}, left behind by an interrupted run",
            p.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_is_read_from_both_kinds_of_name() {
        assert_eq!(owner(".stigpack-scratch-123-abc"), Some(123));
        assert_eq!(owner(".EMASS_S_1.stigpack-tmp-45-xyz"), Some(45));
        assert_eq!(owner("EMASS_S_1.stigpack-tmp-45-xyz"), None);
        assert_eq!(owner(".stigpack-scratch-abc"), None);
        assert_eq!(owner("results"), None);
    }

    #[test]
    fn a_claimed_directory_is_left_and_a_dead_owners_is_removed() {
        let parent = tempfile::tempdir().expect("tempdir");
        let (live, _claim) = temp_dir_in(parent.path(), SCRATCH_PREFIX).expect("scratch");
        // A dead owner: a child process that has exited (its pid is not reused this fast
        // in practice; if it were, the directory would be left, the safe direction).
        let dead = std::process::Command::new("true")
            .spawn()
            .and_then(|mut c| c.wait().map(|_| c.id()))
            .expect("run true");
        let stale = parent.path().join(format!("{SCRATCH_PREFIX}{dead}-zz"));
        std::fs::create_dir_all(stale.join("sub")).expect("mkdir");
        std::fs::write(stale.join("sub/f"), b"x").expect("write");
        let staged = parent.path().join(format!(".pkg{STAGING_MARK}{dead}-yy"));
        std::fs::create_dir(&staged).expect("mkdir");
        // Unclaimed but with a live owner (this process's parent stands in): left.
        let young = parent.path().join(format!(
            "{SCRATCH_PREFIX}{}-new",
            std::os::unix::process::parent_id()
        ));
        std::fs::create_dir(&young).expect("mkdir");
        let removed = sweep(parent.path());
        assert_eq!(removed, {
            let mut v = vec![stale.clone(), staged.clone()];
            v.sort();
            v
        });
        assert!(live.path().is_dir() && young.is_dir());
        assert!(!stale.exists() && !staged.exists());
    }
}
