//! Long exports show what they are doing on a terminal (a spinner with the stage and the
//! elapsed time), and nothing on a pipe, with --quiet or with --json. The fleet commands'
//! host bar is tested in fleet_cli.rs.

#![allow(clippy::unwrap_used)]

use crate::common::*;

#[test]
fn exports_name_their_stage_on_a_terminal_only() {
    if !have_tool("script") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let results = work.join("results");
    copy_dir(&repo().join("fixtures").join("scans"), &results);
    let _ = std::fs::remove_file(results.join("README.md"));
    let export = |out: &str, extra: &[&str]| -> Vec<String> {
        [
            "export-emass",
            "--system",
            "Progress",
            "--exported-at",
            "2026-11-22T20:00:00Z",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            "--results".into(),
            results.display().to_string(),
            "--out".into(),
            work.join(out).display().to_string(),
            "--benchmark".into(),
            repo()
                .join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml")
                .display()
                .to_string(),
        ])
        .chain(extra.iter().map(|s| s.to_string()))
        .collect()
    };
    let (code, drawn) = on_a_terminal(work, &export("a", &[]));
    assert_eq!(code, 0, "{drawn}");
    assert!(drawn.contains("export-emass ["), "no spinner:\n{drawn}");
    assert!(
        drawn.contains("components: import") || drawn.contains("hash list"),
        "no stage named:\n{drawn}"
    );
    // While hosts are imported: how many of all are done.
    assert!(drawn.contains("/3 hosts"), "no host count:\n{drawn}");
    let (code, drawn) = on_a_terminal(work, &export("b", &["--quiet"]));
    assert_eq!(code, 0, "{drawn}");
    assert!(!drawn.contains("export-emass ["), "--quiet drew:\n{drawn}");
    let o = run(stigpack(work).args(export("c", &[])));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("export-emass ["), "{}", stderr(&o));
}
