//! The `--json` contract (docs/cli.md, "JSON output"), through the real binary: every
//! command that reports something prints exactly one JSON document on stdout, naming its
//! versioned schema and carrying the exit status the process ends with, failures included;
//! and the sandbox options appear only in the help of the commands that run components.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::*;

const AT: &str = "2026-11-22T20:00:00Z";

/// The compiled-component cache the other package tests share, so nothing recompiles.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("emass-component-cache")
}

fn sp(work: &Path) -> Command {
    let mut c = stigpack(work);
    c.env("STIGPACK_CACHE_DIR", cache());
    c
}

/// Runs the command and checks the contract: stdout is one JSON document (nothing
/// before or after it), its `schema` is `schema`, its `exitCode` is the process's, and it
/// says how long the command took (`durationMs`).
/// Returns the exit code and the document.
fn json_doc(c: &mut Command, schema: &str) -> (i32, serde_json::Value) {
    let o = run(c);
    let code = o.status.code().unwrap();
    let text = stdout(&o);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{schema}: stdout is not one JSON document ({e}):\n{text}\nstderr:\n{}",
            stderr(&o)
        )
    });
    assert_eq!(doc["schema"], schema, "{doc:#}");
    assert_eq!(
        doc["exitCode"].as_i64(),
        Some(i64::from(code)),
        "{schema}: exitCode vs exit status\n{doc:#}\nstderr:\n{}",
        stderr(&o)
    );
    assert!(
        doc["durationMs"].is_u64(),
        "{schema}: no durationMs\n{doc:#}"
    );
    (code, doc)
}

fn fixture_results(work: &Path) -> PathBuf {
    let r = work.join("results");
    copy_dir(&repo().join("fixtures").join("scans"), &r);
    let _ = fs::remove_file(r.join("README.md"));
    r
}

fn benchmark() -> PathBuf {
    repo().join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml")
}

/// A filled-in attestation CSV answering every pending attestation of the package.
fn answer_all(pkg: &Path) -> String {
    let att: serde_json::Value =
        serde_json::from_slice(&fs::read(pkg.join("05_Attestations/attestations.json")).unwrap())
            .unwrap();
    let mut csv = String::from("Host,Control ID,Attestor Name,Attestor Role,Attestation Date (YYYY-MM-DD),Compliance Status,Compliance Evidence\r\n");
    for a in att["attestations"].as_array().unwrap() {
        csv.push_str(&format!(
            "{},{},Jane Doe,ISSO,2026-11-23,Compliant,GPO report reviewed\r\n",
            a["host"].as_str().unwrap(),
            a["controlId"].as_str().unwrap()
        ));
    }
    csv
}

#[test]
fn package_and_component_commands_print_one_document_with_their_exit_code() {
    let w = tempfile::tempdir().unwrap();
    let w = w.path();
    let results = fixture_results(w);
    fs::create_dir_all(w.join("keys")).unwrap();

    // Components: list, export, vet, trust, revoke.
    let (code, doc) = json_doc(
        sp(w).args(["component", "list", "--json"]),
        "stigpack.component-list/1",
    );
    assert_eq!(code, 0);
    assert!(doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "import"));
    let wasm = w.join("import.wasm");
    let (code, doc) = json_doc(
        sp(w)
            .args(["component", "export", "import", "--json", "--out"])
            .arg(&wasm),
        "stigpack.component-export/1",
    );
    assert_eq!(code, 0);
    assert_eq!(
        doc["sha256"].as_str().unwrap(),
        format!("{:x}", sha2_of(&fs::read(&wasm).unwrap()))
    );
    let (code, _) = json_doc(
        sp(w).args(["component", "vet", "--json"]).arg(&wasm),
        "stigpack.component-vet/1",
    );
    assert_eq!(code, 0);
    let key = w.join("keys/signer");
    let (code, doc) = json_doc(
        sp(w).args(["key", "generate", "--json", "--out"]).arg(&key),
        "stigpack.key-generate/1",
    );
    assert_eq!(code, 0);
    assert_eq!(doc["publicKey"], format!("{}.pub", key.display()));
    let lock = w.join("components.lock");
    let (code, doc) = json_doc(
        sp(w)
            .args([
                "component",
                "trust",
                "--role",
                "import",
                "--json",
                "--sign-key",
            ])
            .arg(&key)
            .arg("--components-lock")
            .arg(&lock)
            .arg(&wasm),
        "stigpack.component-trust/1",
    );
    assert_eq!(code, 0);
    assert_eq!(doc["role"], "import");
    let (code, doc) = json_doc(
        sp(w)
            .args(["component", "revoke", "--reason", "test", "--json"])
            .arg("--components-lock")
            .arg(&lock)
            .arg(&wasm),
        "stigpack.component-revoke/1",
    );
    assert_eq!(code, 0);
    assert_eq!(doc["revoked"].as_array().unwrap().len(), 1, "{doc}");

    // Checklists and the fleet summary.
    let (code, doc) = json_doc(
        sp(w)
            .args(["export-ckl", "--json", "--exported-at", AT, "--results"])
            .arg(&results)
            .arg("--benchmark")
            .arg(benchmark())
            .arg("--out")
            .arg(w.join("ckl")),
        "stigpack.export-ckl/1",
    );
    assert_eq!(code, 0);
    assert!(!doc["files"].as_array().unwrap().is_empty(), "{doc}");
    let (code, _) = json_doc(
        sp(w)
            .args(["fleet-summary", "--json", "--exported-at", AT, "--results"])
            .arg(&results)
            .arg("--benchmark")
            .arg(benchmark())
            .arg("--out")
            .arg(w.join("summary")),
        "stigpack.fleet-summary/1",
    );
    assert_eq!(code, 0);

    // A signed package: export, validate, reproduce, import-attestations.
    let (code, doc) = json_doc(
        sp(w)
            .args([
                "export-emass",
                "--json",
                "--system",
                "Json",
                "--exported-at",
                AT,
            ])
            .arg("--results")
            .arg(&results)
            .arg("--benchmark")
            .arg(benchmark())
            .arg("--out")
            .arg(w.join("packages"))
            .arg("--sign-key")
            .arg(&key),
        "stigpack.export-emass/1",
    );
    assert_eq!(code, 0);
    let pkg = PathBuf::from(doc["package"].as_str().unwrap());
    assert!(pkg.join("00_Manifest/manifest.json").is_file(), "{doc}");
    assert!(doc["signedBy"].is_string(), "{doc}");
    let (code, doc) = json_doc(
        sp(w).args(["validate", "--json"]).arg(&pkg),
        "stigpack.validate/1",
    );
    assert!(code == 0 || code == 4, "{doc}");
    let (code, _) = json_doc(
        sp(w).args(["reproduce", "--json"]).arg(&pkg),
        "stigpack.reproduce/1",
    );
    assert_eq!(code, 0);
    let answers = w.join("answers.csv");
    fs::write(&answers, answer_all(&pkg)).unwrap();
    let (code, doc) = json_doc(
        sp(w)
            .args(["import-attestations", "--json", "--package"])
            .arg(&pkg)
            .arg("--file")
            .arg(&answers),
        "stigpack.import-attestations/1",
    );
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["signedBy"], serde_json::Value::Null);

    // Seal and verify; a flipped byte fails verify with its own code, in the document.
    let bundle = w.join("bundle.tar.gz");
    let (code, doc) = json_doc(
        sp(w)
            .args(["seal", "--json"])
            .arg(&pkg)
            .arg("--sign-key")
            .arg(&key)
            .arg("--out")
            .arg(&bundle),
        "stigpack.seal/1",
    );
    assert_eq!(code, 0);
    assert_eq!(doc["out"], bundle.display().to_string());
    let public = PathBuf::from(format!("{}.pub", key.display()));
    let (code, _) = json_doc(
        sp(w)
            .args(["verify", "--json"])
            .arg(&bundle)
            .arg("--trusted-key")
            .arg(&public),
        "stigpack.verify/1",
    );
    assert_eq!(code, 0);
    let mut bytes = fs::read(&bundle).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    let broken = w.join("broken.tar.gz");
    fs::write(&broken, bytes).unwrap();
    let (code, doc) = json_doc(
        sp(w)
            .args(["verify", "--json"])
            .arg(&broken)
            .arg("--trusted-key")
            .arg(&public),
        "stigpack.verify/1",
    );
    assert_ne!(code, 0);
    assert_eq!(doc["ok"], false);

    // A package with a changed file is invalid: exit 5, in the document too.
    let bad = w.join("bad-package");
    copy_dir(&pkg, &bad);
    let csv = bad.join("06_Index/fleet_summary.csv");
    let mut text = fs::read(&csv).unwrap();
    text.extend_from_slice(b"tampered\n");
    fs::write(&csv, text).unwrap();
    let (code, doc) = json_doc(
        sp(w).args(["validate", "--json"]).arg(&bad),
        "stigpack.validate/1",
    );
    assert_eq!(code, 5, "{doc}");

    // Encrypted seal and unseal (age).
    if have_tool("age-keygen") {
        let id = w.join("age-id.txt");
        let o = Command::new("age-keygen")
            .arg("-o")
            .arg(&id)
            .output()
            .unwrap();
        assert!(o.status.success());
        let recipient = fs::read_to_string(&id)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("# public key: ").map(str::to_owned))
            .unwrap();
        let sealed = w.join("secret.tar.gz");
        let (code, doc) = json_doc(
            sp(w)
                .args(["seal", "--json", "--recipient", &recipient])
                .arg(&pkg)
                .arg("--sign-key")
                .arg(&key)
                .arg("--out")
                .arg(&sealed),
            "stigpack.seal/1",
        );
        assert_eq!(code, 0);
        assert!(doc["ciphertextSha256"].is_string(), "{doc}");
        let (code, doc) = json_doc(
            sp(w)
                .args(["unseal", "--json"])
                .arg(format!("{}.age", sealed.display()))
                .arg("--identity")
                .arg(&id)
                .arg("--trusted-key")
                .arg(&public)
                .arg("--out")
                .arg(w.join("unsealed")),
            "stigpack.unseal/1",
        );
        assert_eq!(code, 0);
        assert!(doc["package"].is_string(), "{doc}");
    }

    // The audit log every step above recorded into still verifies.
    let (code, _) = json_doc(
        sp(w).args(["audit", "verify", "--json"]),
        "stigpack.audit-verify/1",
    );
    assert_eq!(code, 0);
}

fn sha2_of(bytes: &[u8]) -> impl std::fmt::LowerHex {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
}

/// The simulator as a child process, killed when the test ends however it ends.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn fleet_commands_print_one_document_and_exit_8_when_a_host_fails() {
    let w = tempfile::tempdir().unwrap();
    let w = w.path();
    let mut child = Command::new(BIN)
        .current_dir(w)
        .args(["simulate", "--hosts", "2", "--seed", "7"])
        .args(["--faults", "host2=unreachable"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let _sim = Sim(child);
    let lines: Vec<String> = BufReader::new(out)
        .lines()
        .take(2)
        .map(|l| l.unwrap())
        .collect();
    let inventory = w.join("fleet.jsonl");
    fs::write(&inventory, lines.join("\n") + "\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&inventory, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let fleet = |args: &[&str], schema: &str| {
        let mut c = stigpack(w);
        c.arg("fleet")
            .args(args)
            .arg("--json")
            .arg("--inventory")
            .arg(&inventory)
            .args(["--connect-timeout", "5", "--host-timeout", "120"]);
        let (code, doc) = json_doc(&mut c, schema);
        assert_eq!(code, 8, "{doc:#}");
        let hosts: Vec<(&str, bool)> = doc["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["host"].as_str().unwrap(), h["ok"].as_bool().unwrap()))
            .collect();
        assert_eq!(hosts, [("host1", true), ("host2", false)], "{doc:#}");
        assert_eq!(
            (doc["ok"].as_u64(), doc["failed"].as_u64()),
            (Some(1), Some(1))
        );
        doc
    };
    fleet(&["status"], "stigpack.fleet-status/1");
    let doc = fleet(
        &["collect", "--out", w.join("collected").to_str().unwrap()],
        "stigpack.fleet-collect/1",
    );
    assert!(
        Path::new(doc["summary"].as_str().unwrap()).is_file(),
        "{doc}"
    );
    fleet(
        &["run-tool", "--path", "hostname"],
        "stigpack.fleet-run-tool/1",
    );
    fleet(
        &["verify", "--out", w.join("verified").to_str().unwrap()],
        "stigpack.fleet-verify/1",
    );
    fleet(
        &["apply", "--profile", "powerstig"],
        "stigpack.fleet-apply/1",
    );
}

#[test]
fn sandbox_options_are_in_the_help_of_the_commands_that_run_components_only() {
    let w = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| {
        let o = run(stigpack(w.path()).args(args).arg("--help"));
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    for cmd in [
        &["export-emass"][..],
        &["export-ckl"],
        &["reproduce"],
        &["import-attestations"],
        &["fleet-summary"],
        &["component", "run"],
        &["component", "list"],
    ] {
        let h = help(cmd);
        for opt in [
            "--component-fuel",
            "--component-memory-mb",
            "--no-cache",
            "--cache-dir",
        ] {
            assert!(h.contains(opt), "{cmd:?} --help lacks {opt}:\n{h}");
        }
        assert!(h.contains("Sandbox"), "{cmd:?}: no Sandbox heading:\n{h}");
    }
    for cmd in [
        &["fleet"][..],
        &["fleet", "status"],
        &["audit"],
        &["validate"],
        &["seal"],
        &["key", "generate"],
    ] {
        let h = help(cmd);
        assert!(!h.contains("--component-"), "{cmd:?} --help:\n{h}");
        assert!(!h.contains("--no-cache"), "{cmd:?} --help:\n{h}");
    }
    // --audit-log stays global.
    assert!(help(&["fleet", "status"]).contains("--audit-log"));
    // The options now belong after the command: before it they are refused (exit 2).
    let o = run(stigpack(w.path()).args(["--component-fuel", "5", "component", "list"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
