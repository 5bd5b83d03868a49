//! End-to-end tests of keys and signed provenance (issue 12, "Keys" and "Signed provenance
//! inside the package"), with independent checkers: openssl reads the keys and verifies
//! an Ed25519 signature over the DSSE PAE bytes; securesystemslib verifies the envelope
//! and, from the same PEM private key, produces the very same signature.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

const T1: &str = "2026-11-22T20:00:00Z";
const ENVELOPE: &str = "00_Manifest/provenance.intoto.dsse.json";

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("emass-component-cache")
}

fn sp(work: &Path) -> Command {
    let mut c = stigpack(work);
    // The environment, not --cache-dir: every command accepts it, including those that
    // run no component and so do not take the sandbox options.
    c.env("STIGPACK_CACHE_DIR", cache());
    c
}

/// The Python with securesystemslib; absent outside CI: skip (None); in CI: fail.
fn python() -> Option<PathBuf> {
    python_with("securesystemslib.dsse, cryptography")
}

fn keygen(work: &Path, name: &str) -> PathBuf {
    let o = run(sp(work).args(["key", "generate", "--out", name]));
    assert!(o.status.success(), "{}", stderr(&o));
    work.join(name)
}

fn export(work: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let results = work.join("results");
    if !results.exists() {
        copy_dir(&repo().join("fixtures").join("scans"), &results);
        let _ = fs::remove_file(results.join("README.md"));
    }
    let mut c = sp(work);
    c.arg("export-emass")
        .arg("--results")
        .arg(&results)
        .args(["--system", "Signed", "--exported-at", T1, "--out"])
        .arg(out)
        .arg("--benchmark")
        .arg(repo().join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml"))
        // eMASS rejects items without Office/Org and Resources Required (validate: NOT
        // READY); these tests are about signing.
        .args([
            "--office",
            "ISSO Office",
            "--resources",
            "Administrator time",
        ])
        .args(extra);
    run(&mut c)
}

fn package_in(out: &Path) -> PathBuf {
    fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("EMASS_")
        })
        .expect("a package folder")
}

fn validate(work: &Path, pkg: &Path, keys: &[&Path]) -> (i32, serde_json::Value) {
    let mut c = sp(work);
    c.arg("validate").arg(pkg).arg("--json");
    for k in keys {
        c.arg("--trusted-key").arg(k);
    }
    let o = run(&mut c);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&o), stderr(&o)));
    (o.status.code().unwrap(), v)
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

fn statement(pkg: &Path) -> serde_json::Value {
    let env: serde_json::Value =
        serde_json::from_slice(&fs::read(pkg.join(ENVELOPE)).unwrap()).unwrap();
    serde_json::from_slice(&B64.decode(env["payload"].as_str().unwrap()).unwrap()).unwrap()
}

/// The base64 body of a PEM file (what must never leak).
fn pem_body(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

/// Every file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|(_, b)| String::from_utf8_lossy(b).contains(needle))
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn key_generate_writes_a_pem_pair_openssl_reads_and_never_overwrites() {
    let w = tempfile::tempdir().unwrap();
    let key = keygen(w.path(), "op");
    let public = w.path().join("op.pub");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(fs::read_to_string(&key)
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(fs::read_to_string(&public)
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let before = (fs::read(&key).unwrap(), fs::read(&public).unwrap());
    let o = run(sp(w.path()).args(["key", "generate", "--out", "op"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(
        (fs::read(&key).unwrap(), fs::read(&public).unwrap()),
        before
    );
    assert!(!stdout(&o).contains(&pem_body(&key)) && !stderr(&o).contains(&pem_body(&key)));

    if have_tool("openssl") {
        // openssl reads the private key, and derives exactly our public key file from it.
        let o = Command::new("openssl")
            .args(["pkey", "-in"])
            .arg(&key)
            .arg("-pubout")
            .output()
            .unwrap();
        assert!(o.status.success(), "openssl pkey: {}", stderr(&o));
        assert_eq!(o.stdout, fs::read(&public).unwrap());
        let o = Command::new("openssl")
            .args(["pkey", "-pubin", "-noout", "-in"])
            .arg(&public)
            .output()
            .unwrap();
        assert!(o.status.success(), "openssl pkey -pubin: {}", stderr(&o));
    }
}

#[test]
fn a_readable_key_is_refused_before_anything_is_written() {
    let w = tempfile::tempdir().unwrap();
    let key = keygen(w.path(), "op");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let out = w.path().join("out");
        let o = export(w.path(), &out, &["--sign-key", key.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("readable by group or others"),
            "{}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("op"),
            "the message names the file: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains(&pem_body(&key)));
        assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
        // The audit checkpoint refuses it the same way.
        let o = run(sp(w.path())
            .args(["audit", "checkpoint", "--sign-key"])
            .arg(&key));
        assert_ne!(o.status.code(), Some(0));
        assert!(
            stderr(&o).contains("readable by group or others"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn unsigned_packages_warn_and_fail_only_when_a_key_is_required() {
    let w = tempfile::tempdir().unwrap();
    let out = w.path().join("out");
    let o = export(w.path(), &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pkg = package_in(&out);
    assert!(!pkg.join(ENVELOPE).exists());
    let (code, v) = validate(w.path(), &pkg, &[]);
    assert_ne!(code, 5, "unsigned is a warning, not an error: {v:#}");
    assert!(
        v["warnings"][0].as_str().unwrap().starts_with("unsigned"),
        "{v:#}"
    );
    let o = run(sp(w.path()).arg("validate").arg(&pkg));
    assert!(stdout(&o).contains("WARNING: unsigned"), "{}", stdout(&o));

    let key = keygen(w.path(), "op");
    let (code, v) = validate(w.path(), &pkg, &[&w.path().join("op.pub")]);
    assert_eq!(code, 5, "{v:#}");
    let c = check(&v, "signature");
    assert_eq!(c["passed"], false);
    assert!(c["message"].as_str().unwrap().contains("unsigned"), "{c:#}");
    drop(key);
}

#[test]
fn signed_export_verifies_with_independent_tools_and_every_tampering_fails() {
    let w = tempfile::tempdir().unwrap();
    let key = keygen(w.path(), "op");
    let public = w.path().join("op.pub");
    let out = w.path().join("out");
    let o = export(w.path(), &out, &["--sign-key", key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("signed: 00_Manifest/provenance.intoto.dsse.json"));
    let pkg = package_in(&out);

    // Our own verification: all checks pass (the fixture is NOT READY: exit 4, not 5).
    let (code, v) = validate(w.path(), &pkg, &[&public]);
    assert_eq!(code, 4, "{v:#}");
    for name in ["signature", "signed-subjects", "audit-inclusion"] {
        assert_eq!(check(&v, name)["passed"], true, "{name}: {v:#}");
    }

    // The statement: every hash-list file a subject, SLSA v1, our build type, the audit
    // entry of this very export holding the package hash.
    let st = statement(&pkg);
    let list = fs::read_to_string(pkg.join("00_Manifest/file_hashes.sha256")).unwrap();
    let listed: Vec<(String, String)> = list
        .lines()
        .map(|l| (l[66..].to_owned(), l[..64].to_owned()))
        .collect();
    let subjects: Vec<(String, String)> = st["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["digest"]["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(subjects, listed);
    assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v1");
    let bd = &st["predicate"]["buildDefinition"];
    assert_eq!(
        bd["buildType"],
        "https://stigpack.invalid/buildtypes/export-emass/v1"
    );
    assert_eq!(bd["externalParameters"]["command"], "export-emass");
    assert_eq!(bd["externalParameters"]["exportedAt"], T1);
    let params = bd["externalParameters"].to_string();
    assert!(
        !params.contains(w.path().to_str().unwrap()),
        "absolute path in {params}"
    );
    let deps = bd["resolvedDependencies"].as_array().unwrap();
    assert!(deps
        .iter()
        .any(|d| d["name"].as_str().unwrap().starts_with("01_Scans/")));
    assert!(deps.iter().any(|d| d["name"]
        .as_str()
        .unwrap()
        .starts_with("01_Scans/_benchmarks/")));
    for c in ["import", "emass"] {
        let d = deps
            .iter()
            .find(|d| d["annotations"]["component"] == c)
            .unwrap_or_else(|| panic!("no {c} run in {deps:#?}"));
        assert_eq!(d["digest"]["sha256"].as_str().unwrap().len(), 64);
        assert!(d["annotations"]["witVersion"].is_string());
    }
    let rd = &st["predicate"]["runDetails"];
    assert_eq!(rd["metadata"]["startedOn"], T1);
    assert!(rd["builder"]["id"].as_str().unwrap().contains("stigpack@"));
    // The builder's own bill of materials, by digest: the SBOM `stigpack sbom` prints.
    let sbom = run(sp(w.path()).arg("sbom"));
    assert!(sbom.status.success(), "{}", stderr(&sbom));
    let sbom_sha = hex::encode(Sha256::digest(&sbom.stdout));
    assert_eq!(
        rd["builder"]["builderDependencies"][0]["digest"]["sha256"],
        sbom_sha.as_str()
    );
    let entry_line = B64
        .decode(rd["byproducts"][0]["content"].as_str().unwrap())
        .unwrap();
    let entry: serde_json::Value = serde_json::from_slice(&entry_line).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(pkg.join("00_Manifest/manifest.json")).unwrap()).unwrap();
    assert_eq!(entry["action"], "export-emass");
    assert_eq!(entry["details"]["packageHash"], manifest["packageHash"]);
    // The entry is the audit log's own line, byte for byte.
    let log = fs::read_to_string(w.path().join("audit.jsonl")).unwrap();
    assert!(log.lines().any(|l| l.as_bytes() == entry_line.as_slice()));

    // Key material is in neither the package nor the audit log.
    let body = pem_body(&key);
    assert!(files_containing(&pkg, &body).is_empty());
    assert!(files_containing(&pkg, &body[..24]).is_empty());
    assert!(!log.contains(&body[..24]));

    // securesystemslib verifies the envelope with op.pub, and re-signing with op gives
    // the same signature (Ed25519 is deterministic).
    if let Some(py) = python() {
        let script = repo().join("tests/checkers/dsse_verify.py");
        let o = Command::new(&py)
            .arg(&script)
            .arg(pkg.join(ENVELOPE))
            .arg(&public)
            .arg(&key)
            .output()
            .unwrap();
        assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["verified"], true);
        assert_eq!(r["resignedEqual"], true);
        // ...and rejects it with another key.
        keygen(w.path(), "other");
        let o = Command::new(&py)
            .arg(&script)
            .arg(pkg.join(ENVELOPE))
            .arg(w.path().join("other.pub"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{} {}", stdout(&o), stderr(&o));
    }

    // openssl verifies the Ed25519 signature over the PAE bytes with op.pub.
    if have_tool("openssl") {
        let env: serde_json::Value =
            serde_json::from_slice(&fs::read(pkg.join(ENVELOPE)).unwrap()).unwrap();
        let payload = B64.decode(env["payload"].as_str().unwrap()).unwrap();
        let ty = env["payloadType"].as_str().unwrap();
        let mut pae = format!("DSSEv1 {} {ty} {} ", ty.len(), payload.len()).into_bytes();
        pae.extend_from_slice(&payload);
        fs::write(w.path().join("pae.bin"), &pae).unwrap();
        let sig = B64
            .decode(env["signatures"][0]["sig"].as_str().unwrap())
            .unwrap();
        fs::write(w.path().join("sig.bin"), &sig).unwrap();
        let verify = |pae: &str| {
            Command::new("openssl")
                .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
                .arg(&public)
                .args(["-rawin", "-in", pae, "-sigfile", "sig.bin"])
                .current_dir(w.path())
                .output()
                .unwrap()
        };
        let o = verify("pae.bin");
        assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
        pae[20] ^= 1;
        fs::write(w.path().join("pae-bad.bin"), &pae).unwrap();
        assert!(!verify("pae-bad.bin").status.success());
    }

    // Tampering 1: a payload edited (a subject digest changed), signature kept.
    let t1 = w.path().join("t1");
    copy_dir(&pkg, &t1);
    let mut env: serde_json::Value =
        serde_json::from_slice(&fs::read(t1.join(ENVELOPE)).unwrap()).unwrap();
    let mut st2 = st.clone();
    st2["subject"][0]["digest"]["sha256"] = serde_json::json!("0".repeat(64));
    env["payload"] = serde_json::json!(B64.encode(st2.to_string()));
    fs::write(t1.join(ENVELOPE), env.to_string()).unwrap();
    let (code, v) = validate(w.path(), &t1, &[&public]);
    assert_eq!(code, 5, "{v:#}");
    let c = check(&v, "signature");
    assert_eq!(c["passed"], false);
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("no signature verifies"),
        "{c:#}"
    );

    // Tampering 2: the right package, but only another key is trusted; trusting both
    // (--trusted-key is repeatable) accepts it.
    let other = w.path().join("other2");
    let o = run(sp(w.path()).args(["key", "generate", "--out"]).arg(&other));
    assert!(o.status.success());
    let other_pub = w.path().join("other2.pub");
    let (code, v) = validate(w.path(), &pkg, &[&other_pub]);
    assert_eq!(code, 5, "{v:#}");
    let msg = check(&v, "signature")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        msg.contains("no signature verifies with the trusted key"),
        "{msg}"
    );
    let (code, v) = validate(w.path(), &pkg, &[&other_pub, &public]);
    assert_eq!(code, 4, "{v:#}");

    // Tampering 3: a file edited after signing, with the hash list and manifest rewritten
    // to match, so only the signature can tell.
    let t3 = w.path().join("t3");
    copy_dir(&pkg, &t3);
    // The provenance record, rewritten: nothing but the signature can tell.
    let victim = "00_Manifest/provenance.json".to_owned();
    let text = fs::read_to_string(t3.join(&victim)).unwrap();
    assert!(text.contains("reruns every step"));
    let bytes = text
        .replace("reruns every step", "RERUNS every step")
        .into_bytes();
    fs::write(t3.join(&victim), &bytes).unwrap();
    let old = listed.iter().find(|(p, _)| *p == victim).unwrap().1.clone();
    let new = hex::encode(Sha256::digest(&bytes));
    let list2 = list.replace(&format!("{old}  {victim}\n"), &format!("{new}  {victim}\n"));
    fs::write(t3.join("00_Manifest/file_hashes.sha256"), &list2).unwrap();
    let ph_old = hex::encode(Sha256::digest(list.as_bytes()));
    let ph_new = hex::encode(Sha256::digest(list2.as_bytes()));
    let h1 = |d: &[u8]| format!("h1:{}", B64.encode(Sha256::digest(d)));
    let m = fs::read_to_string(t3.join("00_Manifest/manifest.json"))
        .unwrap()
        .replace(&ph_old, &ph_new)
        .replace(&h1(list.as_bytes()), &h1(list2.as_bytes()));
    fs::write(t3.join("00_Manifest/manifest.json"), m).unwrap();
    let (code, v) = validate(w.path(), &t3, &[]);
    assert_eq!(
        check(&v, "hashes")["passed"],
        true,
        "the rewrite is consistent: {v:#}"
    );
    assert_ne!(code, 5, "without a key the edit is not caught: {v:#}");
    let (code, v) = validate(w.path(), &t3, &[&public]);
    assert_eq!(code, 5, "{v:#}");
    assert_eq!(check(&v, "signature")["passed"], true);
    let c = check(&v, "signed-subjects");
    assert_eq!(c["passed"], false);
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains(&format!("changed since signing: {victim}")),
        "{c:#}"
    );
    let c = check(&v, "audit-inclusion");
    assert_eq!(
        c["passed"], false,
        "the audit entry holds the old package hash: {c:#}"
    );

    // Tampering 4: an extra file next to the signed ones.
    let t4 = w.path().join("t4");
    copy_dir(&pkg, &t4);
    fs::write(t4.join("04_Evidence/planted.txt"), "x").unwrap();
    let (_, v) = validate(w.path(), &t4, &[&public]);
    let c = check(&v, "signed-subjects");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("not signed: 04_Evidence/planted.txt"),
        "{c:#}"
    );

    // reproduce checks the signed subjects against the rebuilt files.
    let o = run(sp(w.path()).arg("reproduce").arg(&pkg).arg("--json"));
    assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == ENVELOPE)
        .unwrap();
    assert_eq!(f["verdict"], "subjects-match");
    let o = run(sp(w.path()).arg("reproduce").arg(&t1).arg("--json"));
    assert_eq!(o.status.code(), Some(5), "{} {}", stdout(&o), stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == ENVELOPE)
        .unwrap();
    assert_eq!(f["verdict"], "subjects-differ", "{f:#}");

    // The audit log's checkpoint command signs with the same PEM key, and the public PEM
    // verifies it.
    let o = run(sp(w.path())
        .args(["audit", "checkpoint", "--sign-key"])
        .arg(&key));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\u{2014} stigpack-"), "{}", stdout(&o));
    let o = run(sp(w.path())
        .args(["audit", "verify", "--trusted-key"])
        .arg(&public));
    assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("signature valid"), "{}", stdout(&o));
    let o = run(sp(w.path())
        .args(["audit", "verify", "--trusted-key"])
        .arg(&other_pub));
    assert_eq!(o.status.code(), Some(6), "{}", stdout(&o));
    let log = fs::read_to_string(w.path().join("audit.jsonl")).unwrap();
    assert!(!log.contains(&body[..24]));
}

#[test]
fn same_inputs_and_key_sign_the_same_statement() {
    // Two exports of the same inputs with the same key, each recorded in a fresh audit
    // log: everything but the audit byproducts (whose entry carries the wall-clock time
    // of recording) is byte-identical, and the package files are too.
    let w = tempfile::tempdir().unwrap();
    let key = keygen(w.path(), "op");
    let mut statements = Vec::new();
    let mut packages = Vec::new();
    for run_dir in ["a", "b"] {
        let d = w.path().join(run_dir);
        fs::create_dir_all(&d).unwrap();
        let out = d.join("out");
        let o = export(&d, &out, &["--sign-key", key.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let pkg = package_in(&out);
        let mut st = statement(&pkg);
        st["predicate"]["runDetails"]
            .as_object_mut()
            .unwrap()
            .remove("byproducts");
        statements.push(st.to_string());
        packages.push(
            tree(&pkg)
                .into_iter()
                .filter(|(p, _)| p != ENVELOPE)
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(statements[0], statements[1]);
    assert!(packages[0] == packages[1], "package files differ");
}

#[test]
fn import_attestations_re_signs_the_new_package() {
    let w = tempfile::tempdir().unwrap();
    let key = keygen(w.path(), "op");
    let public = w.path().join("op.pub");
    let out = w.path().join("out");
    let o = export(w.path(), &out, &["--sign-key", key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pkg = package_in(&out);
    let before = statement(&pkg);
    let att: serde_json::Value =
        serde_json::from_slice(&fs::read(pkg.join("05_Attestations/attestations.json")).unwrap())
            .unwrap();
    let mut csv = String::from("Host,Control ID,Attestor Name,Attestor Role,Attestation Date (YYYY-MM-DD),Compliance Status,Compliance Evidence\n");
    for a in att["attestations"].as_array().unwrap() {
        csv.push_str(&format!(
            "{},{},Jane Doe,ISSO,2026-11-23,Compliant,reviewed\n",
            a["host"].as_str().unwrap(),
            a["controlId"].as_str().unwrap()
        ));
    }
    let f = w.path().join("answers.csv");
    fs::write(&f, csv).unwrap();
    let o = run(sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&pkg)
        .arg("--file")
        .arg(&f)
        .arg("--sign-key")
        .arg(&key));
    assert!(o.status.success(), "{}", stderr(&o));
    let (code, v) = validate(w.path(), &pkg, &[&public]);
    assert_eq!(code, 0, "{v:#}");
    let after = statement(&pkg);
    assert_ne!(before["subject"], after["subject"]);
    let ext = &after["predicate"]["buildDefinition"]["externalParameters"];
    assert_eq!(ext["command"], "import-attestations");
    assert!(ext["attestationFile"]
        .as_str()
        .unwrap()
        .starts_with("05_Attestations/answers/"));
    let entry = B64
        .decode(
            after["predicate"]["runDetails"]["byproducts"][0]["content"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let entry: serde_json::Value = serde_json::from_slice(&entry).unwrap();
    assert_eq!(entry["action"], "import-attestations");

    // Without --sign-key the new package is unsigned: the old envelope, which no longer
    // matches, is not carried over.
    let f2 = w.path().join("answers2.csv");
    fs::copy(&f, &f2).unwrap();
    let o = run(sp(w.path())
        .arg("import-attestations")
        .arg("--package")
        .arg(&pkg)
        .arg("--file")
        .arg(&f2));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!pkg.join(ENVELOPE).exists());
}
