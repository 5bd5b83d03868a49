//! Replays the regression corpus on the stable toolchain (issue 18): every file of
//! `fuzz/regressions/<target>/` goes through the same function as the fuzz target
//! `<target>` ([`stigpack_fuzz_entries::TARGETS`]), on a 2 MiB stack like a tokio
//! worker's, so an input that once crashed a target fails CI if the crash comes back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::panic;
use std::path::PathBuf;

use stigpack_fuzz_entries::{regressions_dir, target, TARGETS};

/// Every regression file and hand-written seed, as (target name, path), sorted.
fn corpus() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for root in [regressions_dir(), regressions_dir().join("../seeds")] {
        collect(&root, &mut out);
    }
    out.sort();
    out
}

fn collect(root: &std::path::Path, out: &mut Vec<(String, PathBuf)>) {
    for dir in fs::read_dir(root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            target(&name).is_some(),
            "{}: no fuzz target is called {name:?}",
            dir.display()
        );
        for f in fs::read_dir(&dir).unwrap() {
            out.push((name.clone(), f.unwrap().path()));
        }
    }
}

#[test]
fn every_regression_input_replays_without_a_panic() {
    let corpus = corpus();
    assert!(!corpus.is_empty(), "the regression corpus is empty");
    let mut failures = Vec::new();
    for (name, path) in corpus {
        let bytes = fs::read(&path).unwrap();
        let run = target(&name).unwrap();
        // A thread per input: a 2 MiB stack (where a stack overflow aborts the test
        // binary, which fails it as well) and a panic reported with the file's name.
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || panic::catch_unwind(|| run(&bytes)).is_ok())
            .unwrap()
            .join()
            .unwrap_or(false);
        if !outcome {
            failures.push(format!("{name}: {}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "regressions crash again:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_target_has_a_fuzz_target_file() {
    let targets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    for (name, _) in TARGETS {
        let file = targets.join(format!("{name}.rs"));
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains(&format!("stigpack_fuzz_entries::{name}(")),
            "{} does not call stigpack_fuzz_entries::{name}",
            file.display()
        );
    }
}
