//! The sandbox's promises, each proven against a deliberately hostile component
//! (`components/guests/hostile`): every escape attempt is refused with a typed error,
//! no partial output survives, and the sandbox keeps working for the next run.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

const HOSTILE: &str = env!("STIGPACK_TEST_COMPONENT_HOSTILE");

fn sandbox() -> Sandbox {
    Sandbox::new(None).expect("engine")
}

fn hostile(sb: &Sandbox) -> LoadedComponent {
    let src = ComponentSource::from_file(Path::new(HOSTILE), None).expect("read hostile.wasm");
    sb.load(&src).expect("load hostile")
}

fn at() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-22 20:00:00 UTC)
}

/// Run one attack with `limits`; returns the result and the output directory's entries.
fn attack_with(
    sb: &Sandbox,
    c: &LoadedComponent,
    attack: &str,
    limits: Limits,
    prepare: impl FnOnce(&Path),
) -> (Result<RunRecord, SandboxError>, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    let output = dir.path().join("out");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::create_dir_all(&output).expect("mkdir");
    std::fs::write(input.join("data.txt"), b"scan").expect("write");
    prepare(&input);
    let mut options = BTreeMap::new();
    options.insert("attack".to_string(), attack.to_string());
    let res = sb.run(
        c,
        &RunRequest {
            input_dir: &input,
            output_dir: &output,
            exported_at: at(),
            options,
            limits,
        },
    );
    let left: Vec<String> = std::fs::read_dir(&output)
        .expect("output dir still exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    (res, left)
}

fn attack(
    sb: &Sandbox,
    c: &LoadedComponent,
    name: &str,
) -> (Result<RunRecord, SandboxError>, Vec<String>) {
    attack_with(sb, c, name, Limits::default(), |_| {})
}

fn assert_blocked(res: &Result<RunRecord, SandboxError>, left: &[String], what: &str) {
    match res {
        Err(SandboxError::ComponentFailed { message, .. }) => {
            assert!(message.starts_with("blocked:"), "{what}: {message}");
        }
        other => panic!("{what}: expected a blocked attempt, got {other:?}"),
    }
    assert!(left.is_empty(), "{what}: output left behind: {left:?}");
}

#[test]
fn a_well_behaved_run_is_recorded_with_digests() {
    let sb = sandbox();
    let c = hostile(&sb);
    assert_eq!(c.wit_version, "0.1.0");
    let (res, left) = attack(&sb, &c, "none");
    let rec = res.expect("run");
    assert_eq!(left, vec!["ok.txt".to_string()]);
    assert_eq!(rec.outputs.len(), 1);
    assert_eq!(rec.outputs[0].path, "ok.txt");
    assert_eq!(rec.outputs[0].sha256, crate::hashing::sha256_hex(b"ok"));
    assert_eq!(rec.inputs[0].path, "data.txt");
    assert_eq!(rec.exported_at, "2026-11-22T20:00:00Z");
    assert!(rec.fuel_consumed > 0);
}

#[test]
fn files_outside_input_are_invisible() {
    let sb = sandbox();
    let c = hostile(&sb);
    let (res, left) = attack(&sb, &c, "read-etc-passwd");
    assert_blocked(&res, &left, "read /etc/passwd");
    let (res, left) = attack(&sb, &c, "dotdot");
    assert_blocked(&res, &left, "/input/../..");
}

#[test]
fn symlinks_out_of_input_are_not_followed() {
    let sb = sandbox();
    let c = hostile(&sb);
    let (res, left) = attack_with(&sb, &c, "symlink", Limits::default(), |input| {
        std::os::unix::fs::symlink("/etc/passwd", input.join("link")).expect("symlink");
    });
    assert_blocked(&res, &left, "symlink out of /input");
}

#[test]
fn a_link_in_output_is_refused_when_hashing() {
    // WASI offers guests `symlink-at`; whatever creates a link in /output, the host must
    // refuse to follow or publish it.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ok.txt"), b"x").expect("write");
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("evil")).expect("symlink");
    let err = digest_tree(dir.path()).unwrap_err();
    assert!(err.to_string().contains("evil"), "{err}");
}

#[test]
fn input_is_read_only() {
    let sb = sandbox();
    let c = hostile(&sb);
    let (res, left) = attack(&sb, &c, "write-input");
    assert_blocked(&res, &left, "write into /input");
}

#[test]
fn sockets_are_refused() {
    let sb = sandbox();
    let c = hostile(&sb);
    let (res, left) = attack(&sb, &c, "socket");
    assert_blocked(&res, &left, "tcp connect");
}

#[test]
fn environment_and_arguments_are_empty() {
    let sb = sandbox();
    let c = hostile(&sb);
    // Something the guest would see if the environment leaked.
    std::env::set_var("STIGPACK_SECRET_FOR_TEST", "hunter2");
    let (res, left) = attack(&sb, &c, "env");
    assert_blocked(&res, &left, "environment");
}

#[test]
fn the_clock_reads_the_export_time() {
    let sb = sandbox();
    let c = hostile(&sb);
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, output) = (dir.path().join("i"), dir.path().join("o"));
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::create_dir_all(&output).expect("mkdir");
    let mut options = BTreeMap::new();
    options.insert("attack".into(), "clock".into());
    sb.run(
        &c,
        &RunRequest {
            input_dir: &input,
            output_dir: &output,
            exported_at: at(),
            options,
            limits: Limits::default(),
        },
    )
    .expect("run");
    let seen = std::fs::read_to_string(output.join("clock.txt")).expect("clock.txt");
    assert_eq!(seen, at().unix_timestamp().to_string());
}

#[test]
fn an_endless_loop_runs_out_of_fuel_and_the_sandbox_recovers() {
    let sb = sandbox();
    let c = hostile(&sb);
    let limits = Limits {
        fuel: Some(200_000_000),
        ..Limits::default()
    };
    let (res, left) = attack_with(&sb, &c, "loop", limits, |_| {});
    assert!(
        matches!(
            res,
            Err(SandboxError::OutOfFuel {
                fuel: 200_000_000,
                ..
            })
        ),
        "{res:?}"
    );
    assert!(left.is_empty());
    // The same engine and component still work.
    let (res, _) = attack(&sb, &c, "none");
    res.expect("a good run after a bad one");
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() {
    let sb = sandbox();
    let c = hostile(&sb);
    let limits = Limits {
        memory_bytes: 64 << 20,
        ..Limits::default()
    };
    let (res, left) = attack_with(&sb, &c, "memory", limits, |_| {});
    assert!(
        matches!(res, Err(SandboxError::OutOfMemory { limit_bytes, .. }) if limit_bytes == 64 << 20),
        "{res:?}"
    );
    assert!(left.is_empty());
    // A limit, unlike a trap, is exit 7.
    let err = anyhow::Error::new(res.expect_err("memory bomb"));
    assert_eq!(crate::exit::code_for(&err), crate::exit::Exit::Sandbox);
}

#[test]
fn a_flood_of_output_bytes_is_stopped_and_removed() {
    let sb = sandbox();
    let c = hostile(&sb);
    let limits = Limits {
        output_bytes: 8 << 20,
        ..Limits::default()
    };
    let (res, left) = attack_with(&sb, &c, "flood-bytes", limits, |_| {});
    assert!(
        matches!(res, Err(SandboxError::OutputLimit { .. })),
        "{res:?}"
    );
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_flood_of_output_files_is_stopped_and_removed() {
    let sb = sandbox();
    let c = hostile(&sb);
    let limits = Limits {
        output_files: 500,
        ..Limits::default()
    };
    let (res, left) = attack_with(&sb, &c, "flood-files", limits, |_| {});
    assert!(
        matches!(res, Err(SandboxError::OutputLimit { .. })),
        "{res:?}"
    );
    assert!(left.is_empty(), "{} files left", left.len());
}

#[test]
fn a_flood_of_stdout_is_bounded() {
    let sb = sandbox();
    let c = hostile(&sb);
    let limits = Limits {
        stdio_bytes: 64 << 10,
        ..Limits::default()
    };
    let (res, _) = attack_with(&sb, &c, "flood-stdout", limits, |_| {});
    assert!(
        matches!(res, Err(SandboxError::StdioLimit { limit, .. }) if limit == 64 << 10),
        "{res:?}"
    );
}

#[test]
fn a_component_that_lies_about_its_output_is_caught() {
    let sb = sandbox();
    let c = hostile(&sb);
    let (res, left) = attack(&sb, &c, "lie");
    assert!(matches!(res, Err(SandboxError::Contract { .. })), "{res:?}");
    assert!(left.is_empty());
    let (res, _) = attack(&sb, &c, "bad-path");
    assert!(matches!(res, Err(SandboxError::Contract { .. })), "{res:?}");
}

#[test]
fn a_panic_is_a_trap_with_the_guest_stderr() {
    let sb = sandbox();
    let c = hostile(&sb);
    let (res, _) = attack(&sb, &c, "panic");
    match res {
        Err(e @ SandboxError::Trap { .. }) => {
            let SandboxError::Trap { stderr, .. } = &e else {
                unreachable!()
            };
            assert!(stderr.contains("about to panic"), "{stderr}");
            // A panic is a bug (or bad input when the guest names its file), never a
            // sandbox limit: exit 1 here, not 7 (issue 18).
            let code = crate::exit::code_for(&anyhow::Error::new(e));
            assert_eq!(code, crate::exit::Exit::Internal);
        }
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn a_pinned_digest_must_match() {
    let err = ComponentSource::from_file(Path::new(HOSTILE), Some(&"0".repeat(64))).unwrap_err();
    assert!(
        matches!(err, SandboxError::DigestMismatch { .. }),
        "{err:?}"
    );
}

#[test]
fn a_module_that_is_not_a_component_is_refused() {
    let sb = sandbox();
    let src = ComponentSource {
        label: "junk".into(),
        bytes: std::borrow::Cow::Borrowed(b"\0asm\x01\0\0\0"),
        sha256: "x".into(),
        builtin: false,
    };
    assert!(matches!(sb.load(&src), Err(SandboxError::Load { .. })));
}

#[test]
fn the_cache_stores_and_reuses_compiled_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("components");
    let sb = Sandbox::new(Some(cache.clone())).expect("engine");
    let src = ComponentSource::from_file(Path::new(HOSTILE), None).expect("read");
    let first = sb.load(&src).expect("load");
    assert!(!first.from_cache);
    let second = sb.load(&src).expect("load again");
    assert!(second.from_cache, "second load should come from the cache");
    // A file planted by someone else (group-writable) is not trusted: recompiled instead.
    let artifact = std::fs::read_dir(&cache)
        .expect("cache dir")
        .next()
        .expect("one artifact")
        .expect("entry")
        .path();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&artifact, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let third = sb.load(&src).expect("load after tamper");
    assert!(
        !third.from_cache,
        "a group-writable artifact must not be loaded"
    );
    let (res, _) = attack(&sb, &third, "none");
    res.expect("runs after recompiling");
}
