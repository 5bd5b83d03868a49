//! One run of one component: stage the capabilities, call `run`, police the result.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use super::bindings_v0_1_0::stigpack::component::types::{RunContext, RunError};
use super::clock::{FixedWallClock, FrozenMonotonicClock};
use super::engine::Sandbox;
use super::{Limits, LoadedComponent, SandboxError};
use crate::hashing::DigestCache;

/// What to run a component on.
#[derive(Debug, Clone)]
pub struct RunRequest<'a> {
    /// Mounted read-only at `/input`.
    pub input_dir: &'a Path,
    /// Mounted read-write at `/output`; must exist and be empty. Emptied again on failure.
    pub output_dir: &'a Path,
    /// The export time: the guest's frozen clock and `run-context.exported-at`.
    pub exported_at: time::OffsetDateTime,
    /// Named options; sorted by name on the way in.
    pub options: BTreeMap<String, String>,
    pub limits: Limits,
}

/// A file and its SHA-256, path relative to its root and `/` separated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Provenance of one run: enough for an auditor to rerun it and compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub component: String,
    pub version: String,
    pub wasm_sha256: String,
    pub wit_version: String,
    pub exported_at: String,
    pub options: BTreeMap<String, String>,
    pub inputs: Vec<FileDigest>,
    pub outputs: Vec<FileDigest>,
    /// Fuel used: a deterministic measure of the work done.
    pub fuel_consumed: u64,
}

/// How often the output watcher looks at `/output`.
const WATCH_INTERVAL: Duration = Duration::from_millis(25);

impl Sandbox {
    /// Run `component` on `req`. On success `/output` holds exactly the files listed in
    /// the record; on failure it is empty.
    pub fn run(
        &self,
        component: &LoadedComponent,
        req: &RunRequest<'_>,
    ) -> Result<RunRecord, SandboxError> {
        let result = self.run_inner(component, req);
        if result.is_err() {
            clear_dir(req.output_dir)?;
        }
        result
    }

    fn run_inner(
        &self,
        component: &LoadedComponent,
        req: &RunRequest<'_>,
    ) -> Result<RunRecord, SandboxError> {
        let name = component.name.clone();
        match fs::read_dir(req.output_dir) {
            Ok(mut it) => {
                if it.next().is_some() {
                    return Err(SandboxError::Host(format!(
                        "output staging directory {} is not empty",
                        req.output_dir.display()
                    )));
                }
            }
            Err(e) => return Err(SandboxError::io(req.output_dir, e)),
        }
        let t = crate::timings::step("sandbox: hash inputs");
        let inputs = digest_tree_in(req.input_dir, Links::Skip, Some(self.digests()))?;
        drop(t);
        let input_bytes: u64 = inputs.iter().map(|f| f.bytes).sum();
        let fuel = req.limits.fuel_for(input_bytes);

        let exported_at = req
            .exported_at
            .to_offset(time::UtcOffset::UTC)
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| SandboxError::Host(format!("formatting the export time: {e}")))?;
        let unix = Duration::from_secs(req.exported_at.unix_timestamp().max(0) as u64);

        let stdout = MemoryOutputPipe::new(req.limits.stdio_bytes);
        let stderr = MemoryOutputPipe::new(req.limits.stdio_bytes);
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&Sha256::digest(
            format!("stigpack sandbox seed v1 {}", component.sha256).as_bytes(),
        ));
        let mut wasi = WasiCtxBuilder::new();
        // Runs are synchronous: let file I/O block this thread instead of bouncing every
        // (small, adapter-chunked) read and write through tokio's blocking pool. Must be
        // set before the preopens, which capture it.
        wasi.allow_blocking_current_thread(true);
        wasi.preopened_dir(req.input_dir, "/input", FsPerms::ReadOnly)
            .map_err(|e| SandboxError::Host(format!("preopen /input: {e:#}")))?
            .preopened_dir(req.output_dir, "/output", FsPerms::ReadWrite)
            .map_err(|e| SandboxError::Host(format!("preopen /output: {e:#}")))?
            .wall_clock(FixedWallClock(unix))
            .monotonic_clock(FrozenMonotonicClock)
            .secure_random(<rand::rngs::StdRng as rand::SeedableRng>::from_seed(seed))
            .insecure_random(<rand::rngs::StdRng as rand::SeedableRng>::from_seed(seed))
            .insecure_random_seed(u128::from_le_bytes(
                seed[..16].try_into().unwrap_or_default(),
            ))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .stdout(stdout.clone())
            .stderr(stderr.clone());
        let mut store = self.store(wasi.build(), req.limits.memory_bytes, fuel);

        let stop = store.data().stop.clone();
        let watcher = Watcher::start(
            req.output_dir.to_path_buf(),
            req.limits.output_bytes,
            req.limits.output_files,
            stop.clone(),
            self.engine.clone(),
        );

        let ctx = RunContext {
            exported_at: exported_at.clone(),
            options: req
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let t = crate::timings::step(format!("sandbox: guest {name}"));
        let outcome = component
            .pre
            .instantiate(&mut store)
            .and_then(|t| t.call_run(&mut store, &ctx));
        let watch_verdict = watcher.finish();
        drop(t);
        let fuel_left = store.get_fuel().unwrap_or(0);
        let stderr_text = String::from_utf8_lossy(&stderr.contents()).into_owned();
        // A full capture buffer closes the stream; the guest then fails however its
        // language reports a closed stdout, so judge by the buffer, not by the symptom.
        let stdio_full = stdout.contents().len() >= req.limits.stdio_bytes
            || stderr.contents().len() >= req.limits.stdio_bytes;

        let listed = match outcome {
            Ok(Ok(files)) => files,
            Ok(Err(err)) => {
                return Err(match err {
                    RunError::InvalidInput(p) => SandboxError::InvalidInput {
                        component: name,
                        file: p.file,
                        reason: p.reason,
                    },
                    RunError::Unsupported(m) => SandboxError::Unsupported {
                        component: name,
                        message: m,
                    },
                    RunError::Internal(m) => SandboxError::ComponentFailed {
                        component: name,
                        message: m,
                        stderr: stderr_text,
                    },
                })
            }
            Err(e) => {
                return Err(classify_trap(
                    e,
                    name,
                    fuel,
                    &store.data().limiter,
                    watch_verdict,
                    stdio_full.then_some(req.limits.stdio_bytes),
                    stderr_text,
                ))
            }
        };
        if let Some(what) = watch_verdict {
            return Err(SandboxError::OutputLimit {
                component: name,
                what,
            });
        }

        // Anything but plain files and directories in /output is the guest's doing.
        let t = crate::timings::step("sandbox: hash outputs");
        let outputs = digest_tree_in(req.output_dir, Links::Refuse, Some(self.digests())).map_err(
            |e| match e {
                SandboxError::Host(message) => SandboxError::Contract {
                    component: name.clone(),
                    message,
                },
                other => other,
            },
        )?;
        drop(t);
        check_output_caps(&outputs, &req.limits).map_err(|what| SandboxError::OutputLimit {
            component: name.clone(),
            what,
        })?;
        check_contract(&listed, &outputs).map_err(|message| SandboxError::Contract {
            component: name.clone(),
            message,
        })?;

        Ok(RunRecord {
            component: component.name.clone(),
            version: component.version.clone(),
            wasm_sha256: component.sha256.clone(),
            wit_version: component.wit_version.clone(),
            exported_at,
            options: req.options.clone(),
            inputs,
            outputs,
            fuel_consumed: fuel.saturating_sub(fuel_left),
        })
    }
}

fn classify_trap(
    e: wasmtime::Error,
    component: String,
    fuel: u64,
    limiter: &super::guest::MemoryLimiter,
    watch_verdict: Option<String>,
    stdio_full: Option<usize>,
    stderr: String,
) -> SandboxError {
    if let Some(what) = watch_verdict {
        return SandboxError::OutputLimit { component, what };
    }
    if limiter.hit {
        return SandboxError::OutOfMemory {
            component,
            limit_bytes: limiter.memory_bytes,
        };
    }
    if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::OutOfFuel) {
        return SandboxError::OutOfFuel { component, fuel };
    }
    if let Some(limit) = stdio_full {
        return SandboxError::StdioLimit { component, limit };
    }
    let message = format!("{e:#}");
    SandboxError::Trap {
        component,
        message,
        stderr,
    }
}

fn check_output_caps(outputs: &[FileDigest], limits: &Limits) -> Result<(), String> {
    let total: u64 = outputs.iter().map(|f| f.bytes).sum();
    if total > limits.output_bytes {
        return Err(format!(
            "{total} bytes written, the cap is {}",
            limits.output_bytes
        ));
    }
    if outputs.len() as u64 > limits.output_files {
        return Err(format!(
            "{} files written, the cap is {}",
            outputs.len(),
            limits.output_files
        ));
    }
    Ok(())
}

/// The returned list must name exactly the files in `/output`, each a clean relative path.
fn check_contract(listed: &[String], outputs: &[FileDigest]) -> Result<(), String> {
    for p in listed {
        if p.is_empty()
            || p.starts_with('/')
            || p.contains('\\')
            || p.contains('\0')
            || p.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(format!("returned a bad output path {p:?}"));
        }
    }
    let mut listed: Vec<&str> = listed.iter().map(String::as_str).collect();
    listed.sort_unstable();
    listed.dedup();
    let actual: Vec<&str> = outputs.iter().map(|f| f.path.as_str()).collect();
    if let Some(p) = actual.iter().find(|p| listed.binary_search(p).is_err()) {
        return Err(format!("wrote {p} but did not list it"));
    }
    if let Some(p) = listed.iter().find(|p| actual.binary_search(p).is_err()) {
        return Err(format!("listed {p} but it is not in /output"));
    }
    Ok(())
}

/// Every regular file below `root` with its digest, sorted by path bytes. Anything that is
/// not a regular file or directory (symlinks, devices, sockets) is an error: neither the
/// host nor a component has a reason to create one.
pub fn digest_tree(root: &Path) -> Result<Vec<FileDigest>, SandboxError> {
    digest_tree_in(root, Links::Refuse, None)
}

/// What to do with a symbolic link found while hashing a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// An error: the host never creates links, so one in an output is an attack.
    Refuse,
    /// Leave it out: an input link is not followed by the host, and the sandbox refuses
    /// to follow it out of `/input`.
    Skip,
}

/// Like [`digest_tree`], with a choice about symbolic links and an optional digest cache.
///
/// The tree is listed first and the files are then hashed on every core
/// ([`crate::parallel::jobs`]): a run's outputs are hashed after its guest has returned,
/// while nothing else of that run can proceed, and a checklist run's half gigabyte of
/// CKL took a third of a second of SHA-256 on one core.
pub fn digest_tree_in(
    root: &Path,
    links: Links,
    cache: Option<&DigestCache>,
) -> Result<Vec<FileDigest>, SandboxError> {
    let mut files = Vec::new();
    walk(root, root, links, &mut files)?;
    let mut out = crate::parallel::try_map(
        &files,
        crate::parallel::jobs(),
        |_, (rel, path): &(String, PathBuf)| {
            let (sha256, bytes) = match cache {
                Some(c) => c.sha256_file(path),
                None => crate::hashing::sha256_file(path),
            }
            .map_err(|e| SandboxError::io(path, e))?;
            Ok::<_, SandboxError>(FileDigest {
                path: rel.clone(),
                sha256,
                bytes,
            })
        },
    )?;
    out.sort();
    Ok(out)
}

/// Every regular file below `dir` as (path relative to `root`, full path).
fn walk(
    root: &Path,
    dir: &Path,
    links: Links,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), SandboxError> {
    let rd = fs::read_dir(dir).map_err(|e| SandboxError::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| SandboxError::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| SandboxError::io(&path, e))?;
        if ft.is_symlink() && links == Links::Skip {
            continue;
        }
        if ft.is_dir() {
            walk(root, &path, links, out)?;
        } else if ft.is_file() {
            out.push((rel_path(root, &path)?, path));
        } else {
            return Err(SandboxError::Host(format!(
                "{} is neither a regular file nor a directory (a link or a special file)",
                path.display()
            )));
        }
    }
    Ok(())
}

fn rel_path(root: &Path, path: &Path) -> Result<String, SandboxError> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| SandboxError::Host(format!("{} escaped its root", path.display())))?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(s) => match s.to_str() {
                Some(s) => parts.push(s),
                None => {
                    return Err(SandboxError::Host(format!(
                        "{} is not valid UTF-8",
                        path.display()
                    )))
                }
            },
            _ => {
                return Err(SandboxError::Host(format!(
                    "{} is not a plain relative path",
                    path.display()
                )))
            }
        }
    }
    Ok(parts.join("/"))
}

fn clear_dir(dir: &Path) -> Result<(), SandboxError> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(SandboxError::io(dir, e)),
    };
    for entry in rd {
        let entry = entry.map_err(|e| SandboxError::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| SandboxError::io(&path, e))?;
        if ft.is_dir() {
            fs::remove_dir_all(&path).map_err(|e| SandboxError::io(&path, e))?;
        } else {
            fs::remove_file(&path).map_err(|e| SandboxError::io(&path, e))?;
        }
    }
    Ok(())
}

/// Watches `/output` while a guest runs and stops the guest when it writes too much.
/// WASI gives the host no hook on each write, so this polls; the overshoot is bounded by
/// what a guest can write in one interval, and the final check after the run is exact.
struct Watcher {
    /// Dropping (or sending on) this wakes the watcher at once, so a finished run does not
    /// wait out a polling interval.
    done: Option<std::sync::mpsc::Sender<()>>,
    handle: Option<std::thread::JoinHandle<Option<String>>>,
}

impl Watcher {
    fn start(
        dir: PathBuf,
        max_bytes: u64,
        max_files: u64,
        stop: Arc<AtomicBool>,
        engine: wasmtime::Engine,
    ) -> Self {
        let (done, rx) = std::sync::mpsc::channel::<()>();
        let handle = std::thread::spawn(move || loop {
            match rx.recv_timeout(WATCH_INTERVAL) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                _ => return None,
            }
            let (bytes, files) = usage(&dir);
            let verdict = if bytes > max_bytes {
                Some(format!("more than {max_bytes} bytes written"))
            } else if files > max_files {
                Some(format!("more than {max_files} files written"))
            } else {
                None
            };
            if verdict.is_some() {
                stop.store(true, Ordering::SeqCst);
                engine.increment_epoch();
                return verdict;
            }
            // Keep the epoch moving so a stop request is seen promptly.
            engine.increment_epoch();
        });
        Watcher {
            done: Some(done),
            handle: Some(handle),
        }
    }

    fn finish(mut self) -> Option<String> {
        drop(self.done.take());
        self.handle.take().and_then(|h| h.join().ok()).flatten()
    }
}

fn usage(dir: &Path) -> (u64, u64) {
    let mut bytes = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(ft) if ft.is_dir() => stack.push(e.path()),
                Ok(_) => {
                    files += 1;
                    bytes += e.metadata().map(|m| m.len()).unwrap_or(0);
                }
                Err(_) => {}
            }
        }
    }
    (bytes, files)
}
