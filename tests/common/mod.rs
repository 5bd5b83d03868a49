//! Helpers shared by the end-to-end tests: run the real `stigpack` binary in a temp dir.
//! [`Work`] gives a test its own directory; [`stigpack`] runs the binary there with its own
//! audit log, component cache and config dir.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_stigpack");

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

/// `shared/samples`: under `$STIGPACK_SHARED_DIR` when set (scripts/test.sh sets it),
/// else `../shared/samples` beside the checkout.
pub fn samples() -> PathBuf {
    std::env::var_os("STIGPACK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("..").join("shared"))
        .join("samples")
}

/// A `stigpack` command with an isolated audit log, component cache and user config
/// (`<work>/config/stigpack/`: no trusted keys or lock of the person running the tests).
pub fn stigpack(work: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(work)
        .env("STIGPACK_AUDIT_LOG", work.join("audit.jsonl"))
        .env("STIGPACK_CACHE_DIR", work.join("cache"))
        .env("XDG_CONFIG_HOME", work.join("config"))
        .env_remove("STIGPACK_CONFIG")
        .env_remove("STIGPACK_COMPONENTS_LOCK")
        .env_remove("SOURCE_DATE_EPOCH");
    c
}

/// A test's own working directory (removed when dropped), in which [`Work::cmd`] runs
/// `stigpack` with the audit log, cache and config of that directory.
#[derive(Debug)]
pub struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `stigpack` in this directory (see [`stigpack`]).
    pub fn cmd(&self) -> Command {
        stigpack(self.path())
    }
}

impl Default for Work {
    fn default() -> Work {
        Work::new()
    }
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run stigpack")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file under `root` with its bytes, sorted by relative path.
pub fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("prefix")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Copy a directory tree.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir") {
        let e = e.expect("entry");
        let p = e.path();
        let t = dst.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).expect("copy");
        }
    }
}

/// Is the independent checker `tool` on PATH? In CI its absence fails the test.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("independent checker {tool} is missing (CI=true): run scripts/setup.sh");
        }
        eprintln!("SKIP: {tool} not installed (run scripts/setup.sh)");
    }
    found
}

/// Runs a command under a pseudo-terminal (util-linux/bsdutils `script`), returning its
/// exit code and everything it drew (stdout and stderr share the terminal).
pub fn on_a_terminal(work: &Path, args: &[String]) -> (i32, String) {
    let line = std::iter::once(BIN.to_string())
        .chain(args.iter().cloned())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let o = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(work)
        .env("STIGPACK_AUDIT_LOG", work.join("audit.jsonl"))
        .env("STIGPACK_CACHE_DIR", work.join("cache"))
        .env("COLUMNS", "160")
        .output()
        .expect("run script");
    (o.status.code().unwrap_or(-1), stdout(&o))
}

/// The venv Python (`$STIGPACK_PYTHON`, else `<repo>/.venv/bin/python`) when it can import
/// `modules` (Python syntax: `a, b.c`), for the independent checkers written in Python.
/// Missing: None (skip) outside CI; a failure under CI=true.
pub fn python_with(modules: &str) -> Option<PathBuf> {
    let p = std::env::var_os("STIGPACK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    let ok = Command::new(&p)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "independent checker {modules} is missing at {} (CI=true): run scripts/setup.sh",
        p.display()
    );
    eprintln!("SKIP: no Python with {modules} at {}", p.display());
    None
}
