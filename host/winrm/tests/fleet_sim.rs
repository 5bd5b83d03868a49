//! Fleet runs against a simulated fleet: best effort, inventory order, per-host timeout,
//! cancellation with shell cleanup, and collect verified by `sha256sum -c`.

#![allow(clippy::unwrap_used)] // tests may unwrap (brief)

mod common;

use std::time::Duration;

use common::{fleet, quick_config};
use stigpack_winrm::fleet::{
    collect_host, for_each_host, AuthKind, FleetOptions, HostEntry, PasswordSource, SUMS_FILE,
};
use stigpack_winrm::Secret;
use stigpack_winrm_sim::{AuthMode, SimHandle};
use tokio::sync::watch;

fn entries(sim: &SimHandle) -> Vec<HostEntry> {
    sim.hosts()
        .iter()
        .map(|h| HostEntry {
            name: h.name.clone(),
            endpoint: h.endpoint.clone(),
            auth: AuthKind::Ntlm,
            kerberos: Default::default(),
            username: h.username.clone(),
            password: PasswordSource::Inline(Secret::new(h.password.clone())),
            ca_file: h.ca_file.clone(),
            results_dir: stigpack_winrm_sim::vfs::generate::RESULTS_ROOT.into(),
            verify_profile: None,
            apply_profile: None,
            ignore_cert_requested: false,
        })
        .collect()
}

fn opts() -> FleetOptions {
    FleetOptions {
        concurrency: 2,
        host_timeout: Duration::from_secs(60),
        client: quick_config(),
        ..FleetOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_best_effort_in_inventory_order() {
    // host1 is slow, so it finishes last; results must still come back in order.
    let sim = fleet(
        4,
        AuthMode::Ntlm,
        false,
        "host1=slow:150ms,host3=unreachable",
    )
    .await;
    let (_tx, rx) = watch::channel(false);
    let out = for_each_host(&entries(&sim), &opts(), rx, |c, _| async move {
        c.status().await
    })
    .await;
    let names: Vec<_> = out.iter().map(|o| o.host.as_str()).collect();
    assert_eq!(names, ["host1", "host2", "host3", "host4"]);
    assert_eq!(out[0].result.as_ref().unwrap().hostname, "HOST1");
    assert_eq!(out[1].result.as_ref().unwrap().hostname, "HOST2");
    let e = out[2].result.as_ref().unwrap_err();
    assert!(e.starts_with("host3: cannot connect"), "{e}");
    assert_eq!(out[3].result.as_ref().unwrap().hostname, "HOST4");
    assert_eq!(sim.total_open_shells(), 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_timeout_and_cancel_clean_up_shells() {
    let sim = fleet(2, AuthMode::Ntlm, false, "*=tool-time:5s").await;
    let mut o = opts();
    o.host_timeout = Duration::from_millis(800);
    let (_tx, rx) = watch::channel(false);
    let tool = stigpack_winrm_sim::vfs::generate::TOOL_PATH;
    let out = for_each_host(&entries(&sim), &o, rx, move |c, _| async move {
        c.with_shell(async |s: &stigpack_winrm::Shell| s.run_tool(tool, &[], None).await)
            .await
    })
    .await;
    for h in &out {
        let e = h.result.as_ref().unwrap_err();
        assert!(e.contains("host timeout"), "{e}");
    }
    assert_eq!(
        sim.total_open_shells(),
        0,
        "timed-out hosts' shells deleted"
    );

    // Ctrl-C: flip the cancel flag while both hosts run the tool.
    let (tx, rx) = watch::channel(false);
    o.host_timeout = Duration::from_secs(60);
    let run = tokio::spawn({
        let e = entries(&sim);
        async move {
            for_each_host(&e, &o, rx, move |c, _| async move {
                c.with_shell(async |s: &stigpack_winrm::Shell| s.run_tool(tool, &[], None).await)
                    .await
            })
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(sim.total_open_shells() > 0);
    tx.send(true).unwrap();
    let out = run.await.unwrap();
    for h in &out {
        assert!(h.result.as_ref().unwrap_err().contains("cancelled"));
    }
    assert_eq!(
        sim.total_open_shells(),
        0,
        "cancelled hosts' shells deleted"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_verified_by_sha256sum() {
    let sim = fleet(3, AuthMode::Ntlm, false, "host2=truncate-output").await;
    let out_dir = tempfile::tempdir().unwrap();
    let out_path = out_dir.path().to_path_buf();
    let mut o = opts();
    o.client.chunk_size = 30_000; // several chunks per file, so truncation bites
    let (_tx, rx) = watch::channel(false);
    let results = for_each_host(&entries(&sim), &o, rx, move |c, e| {
        let out = out_path.clone();
        async move { collect_host(&c, &e, &out, false).await }
    })
    .await;
    assert!(results[0].result.is_ok(), "{:?}", results[0].result);
    assert!(results[1].result.is_err(), "truncated host fails");
    assert!(results[2].result.is_ok());
    // Nothing half-written: only the two good hosts' directories exist.
    let mut dirs: Vec<String> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert_eq!(dirs, ["host1", "host3"]);
    for h in ["host1", "host3"] {
        let dir = out_dir.path().join(h);
        let sums = std::fs::read_to_string(dir.join(SUMS_FILE)).unwrap();
        assert_eq!(
            sums.lines().count(),
            sim.list_files(h, stigpack_winrm_sim::vfs::generate::RESULTS_ROOT)
                .len()
        );
        match std::process::Command::new("sha256sum")
            .args(["-c", "--strict", SUMS_FILE])
            .current_dir(&dir)
            .output()
        {
            Ok(o) => assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout)),
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("sha256sum missing in CI: {e}")
            }
            Err(e) => eprintln!("skipping sha256sum -c: {e}"),
        }
    }
    // A second collect without --force refuses to overwrite; with force it replaces.
    let again = collect_host(
        &common::client(&sim.hosts()[0], "ntlm"),
        &entries(&sim)[0],
        out_dir.path(),
        false,
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("--force"));
    let forced = collect_host(
        &common::client(&sim.hosts()[0], "ntlm"),
        &entries(&sim)[0],
        out_dir.path(),
        true,
    )
    .await
    .unwrap();
    assert!(!forced.files.is_empty());
    assert_eq!(sim.total_open_shells(), 0);
    sim.shutdown().await;
}

/// The verify step's own failures, at the library level: a tool slower than the
/// profile's timeout is stopped (no exit code, shell deleted), and a tool that succeeds
/// without writing its results folder fails the host with nothing collected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_step_timeout_and_missing_results() {
    use stigpack_winrm::fleet::{run_step, CollectTo, ToolProfile};
    let sim = fleet(2, AuthMode::Ntlm, false, "host1=tool-time:5s").await;
    let out_dir = tempfile::tempdir().unwrap();
    let collect = CollectTo {
        out: out_dir.path().to_path_buf(),
        force: false,
    };
    let profile = |results_dir: &str, timeout: u64| {
        ToolProfile::from_json(
            &serde_json::json!({
                "name": "t", "step": "verify",
                "program": stigpack_winrm_sim::vfs::generate::TOOL_PATH,
                "results_dir": results_dir, "timeout_secs": timeout,
            })
            .to_string(),
            "test",
        )
        .unwrap()
    };
    let e = entries(&sim);

    let slow = profile(r"C:\STIG\Results\{HOST}", 1);
    let c1 = common::client(&sim.hosts()[0], "ntlm");
    let r = run_step(&c1, &e[0], &slow, Some(&collect)).await;
    assert_eq!(r.exit_code, None, "{r:?}");
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .contains("did not finish within 1s"),
        "{r:?}"
    );
    assert!(r.elapsed < Duration::from_secs(4), "{r:?}");
    assert_eq!(c1.finish_cleanup(Duration::from_secs(10)).await, 0);
    assert_eq!(
        sim.open_shells("host1"),
        Some(0),
        "the tool's shell deleted"
    );

    // The scan writes under C:\STIG\Results\HOST2; the profile looks elsewhere.
    let wrong = profile(r"C:\STIG\Elsewhere\{host}", 30);
    let c2 = common::client(&sim.hosts()[1], "ntlm");
    let r = run_step(&c2, &e[1], &wrong, Some(&collect)).await;
    assert_eq!(r.exit_code, Some(0), "{r:?}");
    let err = r.error.as_deref().unwrap();
    assert!(
        err.contains(r"C:\STIG\Elsewhere\host2 does not exist"),
        "{err}"
    );
    assert!(r.collected.is_none());
    assert_eq!(
        std::fs::read_dir(out_dir.path()).unwrap().count(),
        0,
        "nothing half-written"
    );

    // The right folder: collected, fresh.
    let right = profile(r"C:\STIG\Results\{HOST}", 30);
    let r = run_step(&c2, &e[1], &right, Some(&collect)).await;
    assert!(r.ok(), "{r:?}");
    let got = r.collected.unwrap();
    assert_eq!(
        got.files.len(),
        sim.list_files("host2", r"C:\STIG\Results\HOST2").len()
    );
    assert_eq!(sim.total_open_shells(), 0);
    sim.shutdown().await;
}
