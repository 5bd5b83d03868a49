//! `unreadable-hosts`: a host the package says it left out kept its raw scans (the file
//! named among them) and has no checklists, so the list cannot hide a host that was in
//! fact exported. Runs only when the package left hosts out.

use super::super::facts::Facts;
use super::super::spec::{CheckSpec, Verdict};
use crate::package::layout::{CHECKLISTS, SCANS, UNREADABLE};

pub const UNREADABLE_HOSTS: CheckSpec = CheckSpec {
    name: "unreadable-hosts",
    what: "(only when the package left hosts out) each listed host's file is kept under `01_Scans/<host>/` and the host has no checklists; the readiness re-derived from the contents is NOT READY with each host in `blocking.unreadableHosts`",
    run,
};

fn run(f: &Facts) -> Option<Verdict> {
    let (c, _) = f.contents()?;
    if c.unreadable.is_empty() {
        return None;
    }
    let mut problems = Vec::new();
    for u in &c.unreadable {
        let host_ok = stig_formats::safe_host_component(&u.host).is_ok();
        let file_in_host = u
            .file
            .strip_prefix(&format!("{}/", u.host))
            .is_some_and(|rest| {
                !rest
                    .split('/')
                    .any(|p| p.is_empty() || p == ".." || p == ".")
            });
        if !host_ok || !file_in_host || !f.pkg.join(SCANS).join(&u.file).is_file() {
            problems.push(format!(
                "{UNREADABLE}: {} is not a file under {SCANS}/{}",
                u.file, u.host
            ));
        }
        if host_ok && f.pkg.join(CHECKLISTS).join(&u.host).exists() {
            problems.push(format!(
                "{UNREADABLE}: host {} is listed as left out but has checklists in {CHECKLISTS}/{}",
                u.host, u.host
            ));
        }
    }
    Some(Verdict::from_problems(
        problems,
        format!(
            "{} host(s) left out, each with its raw scans kept and no checklists",
            c.unreadable.len()
        ),
        "the list of hosts left out disagrees with the package".into(),
    ))
}
