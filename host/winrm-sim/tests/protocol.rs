//! WinRS behaviour at the protocol level: shells counted and cleaned up, output split
//! across Receives within the client's MaxEnvelopeSize, exit codes, CLIXML stderr, the
//! everyday commands, and the stigpack client's scripts answered from the host's files.
#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine;
use stigpack_winrm::scripts::{
    encode_stdin_script, powershell_command_line, script_for, FileHashReport, Op, PsInvocation,
    StatusReport, TreeEntry,
};
use stigpack_winrm_sim::{AuthMode, FleetSpec, SimHandle, Simulator};
use support::raw::{Raw, Run};

async fn lab(hosts: usize, faults: &str) -> SimHandle {
    Simulator::start(FleetSpec {
        hosts,
        auth: AuthMode::Basic,
        allow_basic_http: true,
        faults: stigpack_winrm_sim::FaultSpec::parse(faults).unwrap(),
        seed: 7,
        ..FleetSpec::default()
    })
    .await
    .unwrap()
}

async fn run_op(raw: &mut Raw, op: &Op) -> Run {
    let (cmd, args, how) = powershell_command_line(&script_for(op));
    let stdin = match &how {
        PsInvocation::Encoded { .. } => None,
        PsInvocation::ViaStdin { script } => Some(encode_stdin_script(script)),
    };
    raw.run(&cmd, &args, stdin.as_deref()).await
}

#[tokio::test]
async fn shells_are_counted_and_deleted() {
    let sim = lab(2, "").await;
    let h = sim.host("host1").unwrap().clone();
    let mut raw = Raw::connect(&h).await.unwrap();
    let a = raw.open_shell().await;
    let b = raw.open_shell().await;
    let _c = raw.open_shell().await;
    assert_eq!(sim.open_shells("host1"), Some(3));
    assert_eq!(sim.open_shells("host2"), Some(0));
    assert_eq!(raw.delete(&a).await.unwrap().status, 200);
    assert_eq!(raw.delete(&b).await.unwrap().status, 200);
    assert_eq!(sim.open_shells("host1"), Some(1));
    // Deleting twice is the InvalidSelectors fault a real host sends.
    let r = raw.delete(&a).await.unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(r.fault_code().as_deref(), Some("2150858843"));
    let st = sim.stats("host1").unwrap();
    assert_eq!(
        (st.shells_created, st.shells_deleted, st.open_shells),
        (3, 2, 1)
    );
    assert_eq!(sim.total_open_shells(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn everyday_commands_behave_like_windows() {
    let sim = lab(1, "").await;
    let mut raw = Raw::connect(&sim.hosts()[0]).await.unwrap();
    let r = raw.run("hostname", &[], None).await;
    assert_eq!((r.stdout.as_slice(), r.exit), (&b"host1\r\n"[..], 0));
    let ps = |s: &str| {
        let (c, a, _) = powershell_command_line(s);
        (c, a)
    };
    let (c, a) = ps("hostname");
    let r = raw.run(&c, &a, None).await;
    assert_eq!(r.stdout, b"host1\r\n");
    let (c, a) = ps("Write-Output 'a b'; Write-Output \"c\"; exit 42");
    let r = raw.run(&c, &a, None).await;
    assert_eq!((r.stdout.as_slice(), r.exit), (&b"a b\r\nc\r\n"[..], 42));
    let (c, a) = ps("Write-Error 'disk on fire'");
    let r = raw.run(&c, &a, None).await;
    assert_eq!(r.exit, 1);
    let err = String::from_utf8(r.stderr).unwrap();
    assert!(err.starts_with("#< CLIXML\r\n"), "{err}");
    let text = stigpack_winrm::scripts::decode_clixml(&err);
    assert!(text.contains("disk on fire"), "{text}");
    let (c, a) = ps("Invoke-Nonsense -Now");
    let r = raw.run(&c, &a, None).await;
    assert_eq!(r.exit, 1);
    let text = stigpack_winrm::scripts::decode_clixml(&String::from_utf8(r.stderr).unwrap());
    assert!(
        text.contains("The term 'Invoke-Nonsense' is not recognized as the name of a cmdlet, function, script file, or operable program"),
        "{text}"
    );
    let r = raw.run("whoami", &["/all".into()], None).await;
    assert_eq!(r.exit, 9009);
    assert!(String::from_utf8_lossy(&r.stderr)
        .contains("'whoami' is not recognized as an internal or external command"));
    let r = raw
        .run(
            "cmd",
            &["/c".into(), "exit".into(), "/b".into(), "5".into()],
            None,
        )
        .await;
    assert_eq!(r.exit, 5);
    // A command line over cmd.exe's limit is the provider fault Windows sends.
    let shell = raw.open_shell().await;
    let r = raw.command(&shell, &"x".repeat(9000), &[]).await.unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(r.fault_code().as_deref(), Some("2147942606"));
    raw.delete(&shell).await.unwrap();
    assert_eq!(sim.open_shells("host1"), Some(0));
    sim.shutdown().await;
}

#[tokio::test]
async fn output_spans_receives_within_max_envelope_size() {
    let sim = lab(1, "").await;
    let files = sim.list_files("host1", r"C:\STIG\Results");
    let ckl = files.iter().find(|f| f.ends_with(".ckl")).unwrap().clone();
    let (bytes, _) = sim.file("host1", &ckl).unwrap();
    assert!(bytes.len() > 200_000, "CKL is {} bytes", bytes.len());
    let mut raw = Raw::connect(&sim.hosts()[0]).await.unwrap();
    raw.max_envelope = 20_000;
    let r = raw.run("type", std::slice::from_ref(&ckl), None).await;
    assert_eq!(r.stdout, bytes);
    assert!(
        r.receives >= bytes.len() / 20_000,
        "{} receives",
        r.receives
    );
    assert!(
        r.max_body <= 20_000,
        "a response of {} bytes exceeds MaxEnvelopeSize",
        r.max_body
    );
    assert_eq!(
        r.running_states,
        r.receives - 1,
        "Running until the last Receive, then Done"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn operation_timeout_when_nothing_is_ready() {
    let sim = lab(1, "").await;
    let mut raw = Raw::connect(&sim.hosts()[0]).await.unwrap();
    raw.op_timeout = "PT0.3S".into();
    let (c, a, _) = powershell_command_line("Start-Sleep -Milliseconds 800; Write-Output 'late'");
    let shell = raw.open_shell().await;
    let cid = raw.start(&shell, &c, &a).await;
    let first = raw.receive(&shell, &cid).await.unwrap();
    assert_eq!(first.status, 500);
    assert_eq!(first.fault_code().as_deref(), Some("2150858793"));
    let x = first.xml();
    assert_eq!(
        x.path(&["Body", "Fault", "Code", "Subcode", "Value"])
            .unwrap()
            .text,
        "w:TimedOut"
    );
    let run = raw.collect(&shell, &cid).await;
    assert_eq!(run.stdout, b"late\r\n");
    assert!(sim.stats("host1").unwrap().operation_timeouts >= 2);
    raw.delete(&shell).await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn client_scripts_are_answered_from_the_host_files() {
    let sim = lab(3, "").await;
    let h = sim.host("host3").unwrap().clone();
    let mut raw = Raw::connect(&h).await.unwrap();

    let r = run_op(&mut raw, &Op::Status).await;
    assert_eq!(r.exit, 0);
    let st: StatusReport = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(st.hostname, "HOST3");
    assert!(st.os_version.starts_with("10.0."));

    let root = r"C:\STIG\Results\HOST3";
    let r = run_op(&mut raw, &Op::ListTree { path: root.into() }).await;
    assert_eq!(r.exit, 0, "{}", String::from_utf8_lossy(&r.stderr));
    let entries: Vec<TreeEntry> = String::from_utf8(r.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let files = sim.list_files("host3", root);
    assert_eq!(entries.len(), files.len());
    assert_eq!(entries.len(), 4);
    for e in &entries {
        let full = format!(r"{root}\{}", e.path.replace('/', "\\"));
        let (bytes, hash) = sim.file("host3", &full).unwrap();
        assert_eq!(
            (e.size as usize, e.sha256.as_str()),
            (bytes.len(), hash.as_str())
        );
        // Pull it in chunks and compare with Get-FileHash.
        let mut pulled = Vec::new();
        loop {
            let r = run_op(
                &mut raw,
                &Op::ReadChunk {
                    path: full.clone(),
                    offset: pulled.len() as u64,
                    len: 65536,
                },
            )
            .await;
            assert_eq!(r.exit, 0);
            let chunk = base64::engine::general_purpose::STANDARD
                .decode(r.stdout.trim_ascii())
                .unwrap();
            let short = chunk.len() < 65536;
            pulled.extend(chunk);
            if short {
                break;
            }
        }
        assert_eq!(pulled, bytes);
        let r = run_op(&mut raw, &Op::FileHash { path: full.clone() }).await;
        let fh: FileHashReport = serde_json::from_slice(&r.stdout).unwrap();
        assert_eq!(fh.sha256, hash);
    }

    // Missing paths follow the contract: "stigpack: not found: <path>", exit 2.
    let r = run_op(
        &mut raw,
        &Op::FileHash {
            path: r"C:\nope.ckl".into(),
        },
    )
    .await;
    assert_eq!(r.exit, 2);
    assert_eq!(
        String::from_utf8_lossy(&r.stderr).trim(),
        r"stigpack: not found: C:\nope.ckl"
    );
    let r = run_op(
        &mut raw,
        &Op::ListTree {
            path: r"C:\nope".into(),
        },
    )
    .await;
    assert_eq!(r.exit, 2);

    // Running the scan tool; a long argument list travels via the stdin bootstrap.
    let long_args: Vec<String> = (0..400).map(|i| format!("-Tag{i:03}")).collect();
    let op = Op::RunTool {
        path: r"C:\STIG\Evaluate-STIG\Evaluate-STIG.ps1".into(),
        args: [
            vec!["-ScanType".to_string(), "Classified".to_string()],
            long_args,
        ]
        .concat(),
        cwd: Some(r"C:\STIG".into()),
    };
    let (_, _, how) = powershell_command_line(&script_for(&op));
    assert!(
        matches!(how, PsInvocation::ViaStdin { .. }),
        "script must be long enough for stdin"
    );
    let r = run_op(&mut raw, &op).await;
    assert_eq!(r.exit, 0, "{}", String::from_utf8_lossy(&r.stderr));
    let out = String::from_utf8(r.stdout).unwrap();
    assert!(
        out.contains("Scanning HOST3 (ScanType: Classified)"),
        "{out}"
    );
    assert!(out.contains("SummaryReport.xml"), "{out}");
    let r = run_op(
        &mut raw,
        &Op::RunTool {
            path: r"C:\Tools\missing.exe".into(),
            args: vec![],
            cwd: None,
        },
    )
    .await;
    assert_eq!(r.exit, 1);
    assert!(String::from_utf8_lossy(&r.stderr).contains("is not recognized"));
    assert_eq!(sim.open_shells("host3"), Some(0));
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_files_across_runs() {
    let a = lab(2, "").await;
    let b = lab(2, "").await;
    for h in ["host1", "host2"] {
        let fa = a.list_files(h, r"C:\STIG");
        assert_eq!(fa, b.list_files(h, r"C:\STIG"));
        for f in fa {
            assert_eq!(a.file(h, &f).unwrap().1, b.file(h, &f).unwrap().1);
        }
    }
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn synthetic_large_file_pulls_in_chunks_and_hashes() {
    let sim = lab(1, "").await;
    let path = r"C:\Big\blob.bin";
    assert!(sim.put_file(
        "host1",
        path,
        stigpack_winrm_sim::Content::Synthetic {
            len: 3 * 524_288 + 17,
            seed: 9
        }
    ));
    let mut raw = Raw::connect(&sim.hosts()[0]).await.unwrap();
    let mut pulled = Vec::new();
    let mut receives = 0;
    loop {
        let r = run_op(
            &mut raw,
            &Op::ReadChunk {
                path: path.into(),
                offset: pulled.len() as u64,
                len: 524_288,
            },
        )
        .await;
        assert_eq!(r.exit, 0);
        receives += r.receives;
        let chunk = base64::engine::general_purpose::STANDARD
            .decode(r.stdout.trim_ascii())
            .unwrap();
        let short = chunk.len() < 524_288;
        pulled.extend(chunk);
        if short {
            break;
        }
    }
    assert_eq!(pulled.len(), 3 * 524_288 + 17);
    // 512 KiB chunks are ~700 KB of base64: several Receives each at 153600-byte envelopes.
    assert!(receives >= 4 * 4, "{receives}");
    let r = run_op(&mut raw, &Op::FileHash { path: path.into() }).await;
    let fh: FileHashReport = serde_json::from_slice(&r.stdout).unwrap();
    use sha2::Digest;
    assert_eq!(fh.sha256, hex::encode_upper(sha2::Sha256::digest(&pulled)));
    assert_eq!(sim.file("host1", path).unwrap().1, fh.sha256);
    sim.shutdown().await;
}
