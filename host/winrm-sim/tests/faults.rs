//! Every fault kind of the `--faults` spec, observed at the protocol level.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use base64::Engine;
use stigpack_winrm::scripts::{powershell_command_line, script_for, FileHashReport, Op};
use stigpack_winrm_sim::{AuthMode, FaultSpec, FleetSpec, SimHandle, Simulator};
use support::raw::{no_reply_within, Raw};

async fn lab(faults: &str) -> SimHandle {
    Simulator::start(FleetSpec {
        hosts: 2,
        auth: AuthMode::Basic,
        allow_basic_http: true,
        faults: FaultSpec::parse(faults).unwrap(),
        ..FleetSpec::default()
    })
    .await
    .unwrap()
}

fn ps(op: &Op) -> (String, Vec<String>) {
    let (c, a, _) = powershell_command_line(&script_for(op));
    (c, a)
}

#[tokio::test]
async fn unreachable_refuses_connections() {
    let sim = lab("host2=unreachable").await;
    let err = Raw::connect(sim.host("host2").unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    // The other host is fine.
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    assert_eq!(raw.run("hostname", &[], None).await.exit, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn blackhole_accepts_but_never_answers() {
    let sim = lab("host1=blackhole").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    assert!(no_reply_within(Duration::from_millis(500), raw.create()).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_adds_latency_per_message() {
    let sim = lab("host1=slow:150ms").await;
    let mut slow = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let t = Instant::now();
    let run = slow.run("hostname", &[], None).await;
    // Create, Command, Receive, Signal, Delete: five messages, each delayed.
    assert!(
        t.elapsed() >= Duration::from_millis(5 * 150),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(run.stdout, b"host1\r\n");
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_failure_rejects_good_credentials() {
    let sim = lab("host1=auth-fail").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let r = raw.create().await.unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(sim.stats("host1").unwrap().auth_failures, 1);
    assert_eq!(sim.open_shells("host1"), Some(0));
    // Wrong credentials on a healthy host are refused too.
    let mut raw = Raw::connect(sim.host("host2").unwrap())
        .await
        .unwrap()
        .with_auth("someone", "wrong");
    assert_eq!(raw.create().await.unwrap().status, 401);
    sim.shutdown().await;
}

#[tokio::test]
async fn timeout_every_n_receives() {
    let sim = lab("*=timeout-every:2").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let shell = raw.open_shell().await;
    let cid = raw.start(&shell, "hostname", &[]).await;
    let a = raw.receive(&shell, &cid).await.unwrap();
    assert_eq!(a.status, 200);
    let cid2 = raw.start(&shell, "hostname", &[]).await;
    let b = raw.receive(&shell, &cid2).await.unwrap();
    assert_eq!(b.status, 500);
    assert_eq!(b.fault_code().as_deref(), Some("2150858793"));
    // Receive again: the output is still there.
    let run = raw.collect(&shell, &cid2).await;
    assert_eq!(run.stdout, b"host1\r\n");
    raw.delete(&shell).await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn http_500_every_n_requests() {
    let sim = lab("host1=http500-every:3").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let statuses = [
        raw.create().await.unwrap(),
        raw.create().await.unwrap(),
        raw.create().await.unwrap(),
    ];
    assert_eq!(
        statuses.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 200, 500]
    );
    assert!(
        statuses[2].body.is_empty(),
        "a bare 500, not a WS-Management fault"
    );
    assert_eq!(sim.open_shells("host1"), Some(2));
    sim.shutdown().await;
}

#[tokio::test]
async fn reset_mid_transfer() {
    let sim = lab("host1=reset-every:1").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let shell = raw.open_shell().await;
    let cid = raw.start(&shell, "hostname", &[]).await;
    let err = raw
        .receive(&shell, &cid)
        .await
        .err()
        .expect("the body must be cut");
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    assert!(sim.stats("host1").unwrap().faults_injected >= 1);
    // The shell survives on the server; a new connection can clean it up.
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    assert_eq!(raw.delete(&shell).await.unwrap().status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn truncated_output_reports_success() {
    let sim = lab("host1=truncate-output").await;
    let file = sim.list_files("host1", r"C:\STIG\Results").remove(0);
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let (c, a) = ps(&Op::ReadChunk {
        path: file.clone(),
        offset: 0,
        len: 4096,
    });
    let r = raw.run(&c, &a, None).await;
    assert_eq!(r.exit, 0);
    let got = base64::engine::general_purpose::STANDARD
        .decode(r.stdout.trim_ascii())
        .unwrap();
    assert!(got.len() < 4096, "short read expected, got {}", got.len());
    assert!(
        sim.file("host1", &file).unwrap().0.len() > 4096,
        "not at end of file"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn file_changes_during_transfer() {
    let sim = lab("host1=file-changes").await;
    let file = sim.list_files("host1", r"C:\STIG\Results").remove(0);
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let hash = |r: &support::raw::Run| {
        serde_json::from_slice::<FileHashReport>(&r.stdout)
            .unwrap()
            .sha256
    };
    let (c, a) = ps(&Op::FileHash { path: file.clone() });
    let before = hash(&raw.run(&c, &a, None).await);
    let (c, a) = ps(&Op::ReadChunk {
        path: file.clone(),
        offset: 0,
        len: 1024,
    });
    assert_eq!(raw.run(&c, &a, None).await.exit, 0);
    let (c, a) = ps(&Op::FileHash { path: file.clone() });
    let after = hash(&raw.run(&c, &a, None).await);
    assert_ne!(before, after);
    assert_eq!(sim.file("host1", &file).unwrap().1, after);
    sim.shutdown().await;
}

#[tokio::test]
async fn shell_quota_exceeded() {
    let sim = lab("host1=shell-quota:2").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let a = raw.open_shell().await;
    let _b = raw.open_shell().await;
    let r = raw.create().await.unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(r.fault_code().as_deref(), Some("2150859174"));
    let reason = r
        .xml()
        .path(&["Body", "Fault", "Reason", "Text"])
        .unwrap()
        .text
        .clone();
    assert!(
        reason.contains("maximum number of 2 concurrent shells"),
        "{reason}"
    );
    assert_eq!(sim.stats("host1").unwrap().quota_rejections, 1);
    raw.delete(&a).await.unwrap();
    raw.open_shell().await;
    assert_eq!(sim.open_shells("host1"), Some(2));
    sim.shutdown().await;
}

#[tokio::test]
async fn envelope_over_host_limit_is_413() {
    let sim = lab("host1=envelope-kb:8").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let shell = raw.open_shell().await;
    let cid = raw
        .start(&shell, "powershell", &["-Command".into(), "-".into()])
        .await;
    let r = raw
        .send(&shell, &cid, &vec![b'x'; 9000], true)
        .await
        .unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(sim.stats("host1").unwrap().oversize_rejections, 1);
    sim.shutdown().await;
}

#[test]
fn spec_errors_name_the_rule() {
    let e = FaultSpec::parse("host1=slow:soon").unwrap_err().to_string();
    assert!(e.contains("host1=slow:soon"), "{e}");
}

/// read-gzip's contract and its four faults, seen on the wire (base64 of one gzip member).
#[tokio::test]
async fn read_gzip_contract_and_faults() {
    use std::io::Read as _;
    let b64 = |stdout: &[u8]| {
        base64::engine::general_purpose::STANDARD
            .decode(stdout.trim_ascii())
            .unwrap()
    };
    let sim = lab("host1=no-compression,host2=gzip-corrupt").await;
    let file = sim.list_files("host1", r"C:\STIG\Results").remove(0);
    let (bytes, _) = sim.file("host1", &file).unwrap();
    let (c, a) = ps(&Op::ReadGzip {
        path: file.clone(),
        offset: 100,
        len: 5000,
    });

    // host1 cannot compress: exit 3, nothing on stdout, the reason on stderr.
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let r = raw.run(&c, &a, None).await;
    assert_eq!(r.exit, 3);
    assert!(r.stdout.is_empty());
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot compress"));

    // host2: the first deflate block header is invalid.
    let file2 = sim.list_files("host2", r"C:\STIG\Results").remove(0);
    let (c2, a2) = ps(&Op::ReadGzip {
        path: file2,
        offset: 100,
        len: 5000,
    });
    let mut raw = Raw::connect(sim.host("host2").unwrap()).await.unwrap();
    let r = raw.run(&c2, &a2, None).await;
    assert_eq!(r.exit, 0);
    let mut out = Vec::new();
    assert!(flate2::read::GzDecoder::new(&b64(&r.stdout)[..])
        .read_to_end(&mut out)
        .is_err());
    sim.shutdown().await;

    // A clean host: the range, exactly; gzip-lie: same size, one byte differs.
    for (faults, lie) in [("", false), ("host1=gzip-lie", true)] {
        let sim = lab(faults).await;
        let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
        let r = raw.run(&c, &a, None).await;
        assert_eq!(r.exit, 0);
        let mut got = Vec::new();
        flate2::read::GzDecoder::new(&b64(&r.stdout)[..])
            .read_to_end(&mut got)
            .unwrap();
        let want = &bytes[100..5100];
        assert_eq!(got.len(), want.len());
        let diff = got.iter().zip(want).filter(|(x, y)| x != y).count();
        assert_eq!(diff, usize::from(lie), "{faults}");
        sim.shutdown().await;
    }

    // gzip-bomb: one Receive of a stream that never ends already inflates to far more
    // zeros than the 10 bytes asked for.
    let sim = lab("host1=gzip-bomb").await;
    let mut raw = Raw::connect(sim.host("host1").unwrap()).await.unwrap();
    let (c, a) = ps(&Op::ReadGzip {
        path: file,
        offset: 0,
        len: 10,
    });
    let shell = raw.open_shell().await;
    let cid = raw.start(&shell, &c, &a).await;
    let r = raw.receive(&shell, &cid).await.unwrap();
    assert_eq!(r.status, 200);
    let x = r.xml();
    let rr = x.path(&["Body", "ReceiveResponse"]).unwrap();
    let mut stdout = Vec::new();
    for s in rr.children_named("Stream") {
        if s.attr("Name") == Some("stdout") {
            stdout.extend(b64(s.text.trim().as_bytes()));
        }
    }
    // A Receive ends wherever the envelope is full, not on a base64 quad.
    let whole = stdout.len() - stdout.len() % 4;
    let gz = b64(&stdout[..whole]);
    let mut inflated = Vec::new();
    // The stream is cut (no end), so reading stops with an error after the zeros.
    let _ = flate2::read::GzDecoder::new(&gz[..])
        .take(64 << 20)
        .read_to_end(&mut inflated);
    assert!(inflated.len() > 1 << 20, "{} bytes", inflated.len());
    assert!(inflated.iter().all(|b| *b == 0));
    assert!(gz.len() * 100 < inflated.len());
    assert_eq!(raw.signal(&shell, &cid).await.unwrap().status, 200);
    assert_eq!(raw.delete(&shell).await.unwrap().status, 200);
    sim.shutdown().await;
}
