//! Under `--keep-going`, one hostile host must cost only itself, not the run of
//! [`super::assemble::HOSTS_PER_RUN`] hosts it shares. A host's bad file is normally
//! reported by the `import` component itself (it lists the host in `unreadable.json`);
//! but when the sandbox stops the whole run (the guest traps, or exhausts its memory or
//! fuel) the component can report nothing. Such a run is retried here with the host that
//! causes it left out: the component is told (option `left-out`) to list that host with
//! its file and reason without reading it, and reads every other host as usual.
//!
//! The culprit is the host whose file the trapping parser named (its panic hook prints
//! it); when nothing is named (a limit), each host of the run is run alone, in host
//! order, and the first that stops the sandbox alone is left out (then, of its files, the
//! first that does so alone is named). Everything here depends only on the inputs, so a
//! package is the same on any number of cores, and `reproduce` retries the same way.
//! The retried run still reads every file of the run's input directory, so the left-out
//! host's scans are recorded inputs of the step, as those of any unreadable host are.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;
use stig_formats::import::Unreadable;

use crate::sandbox::{RunRecord, SandboxError};

/// One `import` run: (input directory, output directory, options) to its record.
pub type RunFn<'a> =
    dyn Fn(&Path, &Path, &BTreeMap<String, String>) -> anyhow::Result<RunRecord> + Sync + 'a;

/// The option that carries the left-out hosts to the `import` component.
pub const LEFT_OUT_OPTION: &str = "left-out";

/// Runs `run(input, output, options)`; under `keep_going`, a run the sandbox stopped is
/// retried with the host that stopped it left out, until it completes. A stop that no
/// single host causes is returned as it is. `scratch` is an empty directory for probes.
pub fn run_leaving_out(
    run: &RunFn<'_>,
    input: &Path,
    output: &Path,
    options: &BTreeMap<String, String>,
    keep_going: bool,
    scratch: &Path,
) -> anyhow::Result<RunRecord> {
    let mut left_out: Vec<Unreadable> = Vec::new();
    let mut opts = options.clone();
    loop {
        let err = match run(input, output, &opts) {
            Ok(record) => return Ok(record),
            Err(e) if keep_going && stopped(&e).is_some() => e,
            Err(e) => return Err(e),
        };
        let Some(u) = culprit(run, input, options, &err, &left_out, scratch)? else {
            return Err(err);
        };
        eprintln!(
            "stigpack: the import run stopped on host {} ({}); running its other hosts again without it",
            u.host, u.reason
        );
        left_out.push(u);
        left_out.sort();
        opts.insert(
            LEFT_OUT_OPTION.to_owned(),
            serde_json::to_string(&left_out).context("serialising the left-out hosts")?,
        );
        fs::remove_dir_all(output).with_context(|| format!("clearing {}", output.display()))?;
        fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    }
}

/// The sandbox error that stopped a run, when it is one a host's input can cause.
fn stopped(e: &anyhow::Error) -> Option<&SandboxError> {
    e.chain()
        .find_map(|c| c.downcast_ref::<SandboxError>())
        .filter(|s| {
            matches!(
                s,
                SandboxError::Trap { .. }
                    | SandboxError::OutOfMemory { .. }
                    | SandboxError::OutOfFuel { .. }
            )
        })
}

/// Why a run stopped, in words that do not depend on the machine: the panic message the
/// trapping parser printed, or the limit that was hit.
fn reason(s: &SandboxError) -> String {
    match s {
        SandboxError::Trap {
            stderr, message, ..
        } => {
            let panic: Vec<&str> = stderr
                .lines()
                .skip_while(|l| crate::exit::trapped_file(l).is_none())
                .skip(1)
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take(3)
                .collect();
            let what = if panic.is_empty() {
                message.lines().next().unwrap_or("").to_owned()
            } else {
                panic.join(" ")
            };
            format!("the import component trapped on it: {what}")
        }
        other => format!("the import component was stopped on it: {other}"),
    }
}

/// The host (and its file) that stopped the run, not one already left out.
fn culprit(
    run: &RunFn<'_>,
    input: &Path,
    options: &BTreeMap<String, String>,
    err: &anyhow::Error,
    left_out: &[Unreadable],
    scratch: &Path,
) -> anyhow::Result<Option<Unreadable>> {
    let Some(stop) = stopped(err) else {
        return Ok(None);
    };
    let known = |host: &str| left_out.iter().any(|u| u.host == host);
    if let SandboxError::Trap { stderr, .. } = stop {
        let named = crate::exit::trapped_file(stderr).and_then(|f| f.strip_prefix("scans/"));
        if let Some((host, _)) = named.and_then(|f| f.split_once('/')) {
            if !known(host) && input.join("scans").join(host).is_dir() {
                return Ok(Some(Unreadable {
                    host: host.to_owned(),
                    file: named.unwrap_or_default().to_owned(),
                    reason: reason(stop),
                }));
            }
        }
    }
    // Nothing named: run each host alone, in host order.
    let mut hosts: Vec<String> = fs::read_dir(input.join("scans"))
        .with_context(|| format!("listing {}", input.join("scans").display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|h| !known(h))
        .collect();
    hosts.sort();
    for host in hosts {
        let files = crate::input_files::checked_files(&input.join("scans").join(&host))?;
        let Some(why) = probe(run, input, options, &host, &files, scratch)? else {
            continue;
        };
        // The file: the first that stops the run alone, else (only together) the first.
        let mut file = files.first().cloned().unwrap_or_default();
        if files.len() > 1 {
            for f in &files {
                if probe(run, input, options, &host, std::slice::from_ref(f), scratch)?.is_some() {
                    file.clone_from(f);
                    break;
                }
            }
        }
        return Ok(Some(Unreadable {
            file: format!("{host}/{}", file.replace('\\', "/")),
            host,
            reason: why,
        }));
    }
    Ok(None)
}

/// Runs `files` of `host` alone (with the run's benchmarks); the reason when the sandbox
/// stops that run.
fn probe(
    run: &RunFn<'_>,
    input: &Path,
    options: &BTreeMap<String, String>,
    host: &str,
    files: &[String],
    scratch: &Path,
) -> anyhow::Result<Option<String>> {
    let (probe_in, probe_out) = (scratch.join("in"), scratch.join("out"));
    for d in [&probe_in, &probe_out] {
        if d.exists() {
            fs::remove_dir_all(d).with_context(|| format!("clearing {}", d.display()))?;
        }
        fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let benchmarks = input.join("benchmarks");
    if benchmarks.is_dir() {
        crate::input_files::copy_tree(&benchmarks, &probe_in.join("benchmarks"))?;
    }
    for rel in files {
        let (from, to) = (
            input.join("scans").join(host).join(rel),
            probe_in.join("scans").join(host).join(rel),
        );
        if let Some(p) = to.parent() {
            fs::create_dir_all(p)?;
        }
        fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
    }
    Ok(match run(&probe_in, &probe_out, options) {
        Ok(_) => None,
        Err(e) => stopped(&e).map(reason),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(options: &BTreeMap<String, String>) -> RunRecord {
        RunRecord {
            component: "import".into(),
            version: "0".into(),
            wasm_sha256: String::new(),
            wit_version: String::new(),
            exported_at: String::new(),
            options: options.clone(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            fuel_consumed: 0,
        }
    }

    /// An input with hosts `H1..=H4` of one file each (`H3` has two).
    fn input(root: &Path) -> std::path::PathBuf {
        let input = root.join("in");
        for h in ["H1", "H2", "H3", "H4"] {
            fs::create_dir_all(input.join("scans").join(h)).unwrap();
            fs::write(input.join("scans").join(h).join("a.ckl"), h).unwrap();
        }
        fs::write(input.join("scans/H3/b.ckl"), "bad").unwrap();
        fs::create_dir_all(root.join("out")).unwrap();
        input
    }

    fn left_out(options: &BTreeMap<String, String>) -> Vec<Unreadable> {
        options
            .get(LEFT_OUT_OPTION)
            .map(|j| serde_json::from_str(j).unwrap())
            .unwrap_or_default()
    }

    /// Whether a host is in the run's input and not left out.
    fn reads(input: &Path, options: &BTreeMap<String, String>, host: &str, file: &str) -> bool {
        input.join("scans").join(host).join(file).is_file()
            && !left_out(options).iter().any(|u| u.host == host)
    }

    #[test]
    fn a_trap_that_names_its_file_leaves_that_host_out_and_reruns() {
        let w = tempfile::tempdir().unwrap();
        let input = input(w.path());
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let run = |i: &Path, _: &Path, o: &BTreeMap<String, String>| -> anyhow::Result<RunRecord> {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if reads(i, o, "H2", "a.ckl") {
                return Err(anyhow::Error::new(SandboxError::Trap {
                    component: "import".into(),
                    message: "wasm trap: unreachable\n  0: 0x1234 - <unknown>".into(),
                    stderr: "stigpack-import: trapped while reading scans/H2/a.ckl\npanicked at src/x.rs:1:2:\nboom\n".into(),
                }))
                .context("component import");
            }
            Ok(record(o))
        };
        let r = run_leaving_out(
            &run,
            &input,
            &w.path().join("out"),
            &BTreeMap::new(),
            true,
            &w.path().join("s"),
        )
        .unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 2);
        let out = left_out(&r.options);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].host.as_str(), out[0].file.as_str()),
            ("H2", "H2/a.ckl")
        );
        assert_eq!(
            out[0].reason,
            "the import component trapped on it: panicked at src/x.rs:1:2: boom"
        );
        // Without --keep-going the trap is the run's error.
        let e = run_leaving_out(
            &run,
            &input,
            &w.path().join("out"),
            &BTreeMap::new(),
            false,
            &w.path().join("s"),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("trapped"), "{e:#}");
    }

    #[test]
    fn a_limit_with_no_file_named_is_found_by_running_each_host_alone() {
        let w = tempfile::tempdir().unwrap();
        let input = input(w.path());
        // H3's b.ckl exhausts memory, in any run that reads it.
        let run = |i: &Path, _: &Path, o: &BTreeMap<String, String>| -> anyhow::Result<RunRecord> {
            if reads(i, o, "H3", "b.ckl") {
                return Err(anyhow::Error::new(SandboxError::OutOfMemory {
                    component: "import".into(),
                    limit_bytes: 64 << 20,
                }));
            }
            Ok(record(o))
        };
        let r = run_leaving_out(
            &run,
            &input,
            &w.path().join("out"),
            &BTreeMap::new(),
            true,
            &w.path().join("s"),
        )
        .unwrap();
        let out = left_out(&r.options);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].host.as_str(), out[0].file.as_str()),
            ("H3", "H3/b.ckl")
        );
        assert!(
            out[0].reason.contains("memory limit of 67108864 bytes"),
            "{}",
            out[0].reason
        );
        // The probes ran on copies: the run's own input is untouched.
        assert!(input.join("scans/H3/b.ckl").is_file());
    }

    #[test]
    fn a_stop_no_single_host_causes_is_returned() {
        let w = tempfile::tempdir().unwrap();
        let input = input(w.path());
        // Only all four together are too much.
        let run = |i: &Path, _: &Path, o: &BTreeMap<String, String>| -> anyhow::Result<RunRecord> {
            if ["H1", "H2", "H3", "H4"]
                .iter()
                .all(|h| reads(i, o, h, "a.ckl"))
            {
                return Err(anyhow::Error::new(SandboxError::OutOfFuel {
                    component: "import".into(),
                    fuel: 1,
                }));
            }
            Ok(record(o))
        };
        let e = run_leaving_out(
            &run,
            &input,
            &w.path().join("out"),
            &BTreeMap::new(),
            true,
            &w.path().join("s"),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("fuel"), "{e:#}");
    }
}
