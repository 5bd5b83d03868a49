//! End-to-end tests of `seal`, `verify`, `unseal` and `sbom` with the real binary, each
//! result checked by an independent tool where one exists: `tar`, `sha256sum`, the
//! bundle's own `verify.sh`, Python securesystemslib, the `age` CLI.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::*;

const AT: &str = "2026-11-22T20:00:00Z";
const ENVELOPE: &str = "zz-seal.intoto.dsse.json";

/// One exported package and one key pair, shared by every test (export is slow).
struct Fixture {
    _dir: tempfile::TempDir,
    pkg: PathBuf,
    key: PathBuf,
    public: PathBuf,
    bundle: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path();
        let results = work.join("results");
        copy_dir(&repo().join("fixtures").join("scans"), &results);
        let _ = fs::remove_file(results.join("README.md"));
        let out = work.join("out");
        let o = run(stigpack(work)
            .arg("export-emass")
            .arg("--cache-dir")
            .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("emass-component-cache"))
            .args(["--system", "Test System", "--exported-at", AT])
            .arg("--results")
            .arg(&results)
            .arg("--out")
            .arg(&out)
            .arg("--benchmark")
            .arg(
                repo()
                    .join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml"),
            ));
        assert!(o.status.success(), "export: {}", stderr(&o));
        let pkg = fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();
        let key = work.join("keys").join("signer");
        fs::create_dir_all(key.parent().unwrap()).unwrap();
        stigpack_sign::keys::generate_files(&key).unwrap();
        let public = PathBuf::from(format!("{}.pub", key.display()));
        let bundle = work.join("bundle.tar.gz");
        let o = run(stigpack(work)
            .arg("seal")
            .arg(&pkg)
            .arg("--sign-key")
            .arg(&key)
            .arg("--out")
            .arg(&bundle));
        assert!(o.status.success(), "seal: {}", stderr(&o));
        Fixture {
            _dir: dir,
            pkg,
            key,
            public,
            bundle,
        }
    })
}

/// The venv Python with securesystemslib; in CI its absence fails.
fn python() -> Option<PathBuf> {
    python_with("securesystemslib, cryptography")
}

const SSL_VERIFY: &str = r#"
import sys, json
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from cryptography.hazmat.primitives import serialization
pub = serialization.load_pem_public_key(open(sys.argv[1], "rb").read())
env = Envelope.from_dict(json.load(open(sys.argv[2])))
# securesystemslib pairs signatures with keys by keyid (an unsigned hint): give the
# pinned key the envelope's keyid, so only the signature itself decides.
kid = next(iter(env.signatures))
key = SSlibKey.from_crypto(pub, keyid=kid)
env.verify([key], 1)
print("verified")
"#;

fn ssl_verifies(public: &Path, envelope: &Path) -> bool {
    let Some(py) = python() else { return true };
    let o = Command::new(py)
        .arg("-c")
        .arg(SSL_VERIFY)
        .arg(public)
        .arg(envelope)
        .output()
        .unwrap();
    o.status.success()
}

fn verify_code(work: &Path, target: &Path, public: &Path) -> (i32, String) {
    let tmp = work.join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let o = run(stigpack(work)
        .env("TMPDIR", &tmp)
        .arg("verify")
        .arg(target)
        .arg("--trusted-key")
        .arg(public));
    assert_eq!(
        fs::read_dir(&tmp).unwrap().count(),
        0,
        "verify left files in TMPDIR"
    );
    (o.status.code().unwrap_or(-1), stderr(&o) + &stdout(&o))
}

fn sh(cmd: &str, dir: &Path) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn sealing_is_byte_identical_across_directory_umask_tz_and_locale() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    // The same package folder copied elsewhere, sealed with another umask, zone and locale.
    let copy = work
        .path()
        .join("elsewhere")
        .join(f.pkg.file_name().unwrap());
    copy_dir(&f.pkg, &copy);
    let out = work.path().join("again.tar.gz");
    let o = Command::new("sh")
        .arg("-c")
        .arg("umask 077; exec \"$@\"")
        .arg("sh")
        .arg(BIN)
        .arg("seal")
        .arg(&copy)
        .arg("--sign-key")
        .arg(&f.key)
        .arg("--out")
        .arg(&out)
        .current_dir(work.path())
        .env("STIGPACK_AUDIT_LOG", work.path().join("audit.jsonl"))
        .env("TZ", "Pacific/Chatham")
        .env("LC_ALL", "C.UTF-8")
        .env("LANG", "de_DE.UTF-8")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read(&out).unwrap(),
        fs::read(&f.bundle).unwrap(),
        "two seals differ"
    );
    // The gzip header: no file name flag, mtime zero.
    let b = fs::read(&out).unwrap();
    assert_eq!(
        &b[..4],
        &[0x1f, 0x8b, 8, 0],
        "gzip magic, deflate, no FNAME/FCOMMENT"
    );
    assert_eq!(&b[4..8], &[0, 0, 0, 0], "gzip mtime fixed at 0");
}

#[test]
fn tar_lists_sorted_regular_0644_root_entries_at_the_export_time() {
    let f = fixture();
    if !have_tool("tar") {
        return;
    }
    let o = Command::new("tar")
        .arg("--utc")
        .arg("-tvzf")
        .arg(&f.bundle)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(o.status.success());
    let listing = stdout(&o);
    let mut names = Vec::new();
    for line in listing.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], "-rw-r--r--", "{line}");
        assert_eq!(cols[1], "0/0", "{line}");
        assert_eq!(
            format!("{} {}", cols[3], cols[4]),
            "2026-11-22 20:00",
            "{line}"
        );
        names.push(cols[5].to_owned());
    }
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(names, sorted, "entries sorted by bytes");
    assert_eq!(names.last().unwrap(), ENVELOPE);
    for want in [
        "SHA256SUMS",
        "VERIFY.md",
        "verify.sh",
        "signing-key.pub",
        "sbom.cdx.json",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing");
    }
    assert!(names
        .iter()
        .all(|n| !n.starts_with('/') && !n.split('/').any(|c| c == "..")));
}

#[test]
fn verify_and_independent_tools_accept_an_untouched_bundle() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let (code, text) = verify_code(work.path(), &f.bundle, &f.public);
    assert_eq!(code, 0, "{text}");
    let o = run(stigpack(work.path())
        .arg("verify")
        .arg(&f.bundle)
        .arg("--trusted-key")
        .arg(&f.public)
        .arg("--json"));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["ok"], true);
    // sha256sum -c inside the extracted bundle, then verify.sh as shipped.
    if !(have_tool("sha256sum") && have_tool("openssl") && have_tool("tar")) {
        return;
    }
    let x = work.path().join("x");
    fs::create_dir_all(&x).unwrap();
    let o = sh(
        &format!(
            "tar -xzf '{}' && sha256sum -c --strict SHA256SUMS",
            f.bundle.display()
        ),
        &x,
    );
    assert!(o.status.success(), "sha256sum -c: {}", stderr(&o));
    let o = sh(
        &format!(
            "sh verify.sh '{}' '{}'",
            f.bundle.display(),
            f.public.display()
        ),
        &x,
    );
    assert!(
        o.status.success(),
        "verify.sh: {}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        ssl_verifies(&f.public, &x.join(ENVELOPE)),
        "securesystemslib rejects the envelope"
    );
    // Another key: refused by all three.
    let other = work.path().join("other");
    stigpack_sign::keys::generate_files(&other).unwrap();
    let other_pub = PathBuf::from(format!("{}.pub", other.display()));
    assert_eq!(verify_code(work.path(), &f.bundle, &other_pub).0, 11);
    let o = sh(
        &format!(
            "sh verify.sh '{}' '{}'",
            f.bundle.display(),
            other_pub.display()
        ),
        &x,
    );
    assert!(!o.status.success());
    if python().is_some() {
        assert!(!ssl_verifies(&other_pub, &x.join(ENVELOPE)));
    }
}

#[test]
fn flipped_bytes_fail_with_the_checksum_code_and_verify_sh_fails() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let bytes = fs::read(&f.bundle).unwrap();
    let n = bytes.len();
    // Through the deflate data, and the gzip trailer (CRC-32 and length).
    for at in [10, n / 7, n / 3, n / 2, 2 * n / 3, n - 6, n - 2] {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let t = work.path().join(format!("flip{at}.tar.gz"));
        fs::write(&t, &b).unwrap();
        let (code, text) = verify_code(work.path(), &t, &f.public);
        assert_eq!(code, 10, "flip at {at}: {text}");
        if have_tool("openssl") && at == n / 2 {
            let x = work.path().join("vx");
            fs::create_dir_all(&x).unwrap();
            let o = sh(
                &format!(
                    "tar -xzf '{}' verify.sh && sh verify.sh '{}' '{}'",
                    f.bundle.display(),
                    t.display(),
                    f.public.display()
                ),
                &x,
            );
            assert!(!o.status.success(), "verify.sh accepted a flipped byte");
        }
    }
}

/// Rewrites the bundle with Python's tarfile: `edit` is Python that changes `members`, a
/// list of (TarInfo, bytes or None).
fn crafted(work: &Path, name: &str, edit: &str, format: &str) -> PathBuf {
    let py = python().unwrap_or_else(|| PathBuf::from("python3"));
    let out = work.join(name);
    let script = format!(
        r#"
import sys, tarfile, io
src, dst = sys.argv[1], sys.argv[2]
members = []
with tarfile.open(src, "r:gz") as t:
    for m in t.getmembers():
        members.append((m, t.extractfile(m).read()))
first = members[0][0]
def entry(name, data=b"x", kind=tarfile.REGTYPE, size=None, link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o644; i.uid = i.gid = 0
    i.uname = i.gname = ""; i.mtime = first.mtime; i.linkname = link
    i.size = len(data) if size is None else size
    return (i, data)
{edit}
with tarfile.open(dst, "w:gz", format=tarfile.{format}) as t:
    for m, data in members:
        if data is None:
            t.addfile(m)
        else:
            t.addfile(m, io.BytesIO(data))
"#
    );
    let o = Command::new(py)
        .arg("-c")
        .arg(&script)
        .arg(&fixture().bundle)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn hostile_and_edited_archives_get_their_exit_codes_and_write_nothing_outside() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let folder = f.pkg.file_name().unwrap().to_string_lossy().into_owned();
    // The same files rewritten by Python (other header encodings): every checksum holds
    // but the signed tar bytes differ, so the signature check catches it (11).
    let cases: Vec<(&str, String, &str, i32)> = vec![
        ("rewritten.tar.gz", String::new(), "USTAR_FORMAT", 11),
        ("added.tar.gz", format!("members.insert(1, entry('{folder}/00_Manifest/00-extra.txt'))"), "USTAR_FORMAT", 12),
        ("removed.tar.gz", "del members[1]".into(), "USTAR_FORMAT", 12),
        ("symlink.tar.gz", format!("members.insert(1, entry('{folder}/00_Manifest/00-link', b'', tarfile.SYMTYPE, link='/etc/passwd'))"), "USTAR_FORMAT", 12),
        ("dotdot.tar.gz", "members.insert(0, entry('../escaped.txt'))".into(), "USTAR_FORMAT", 12),
        ("sparse.tar.gz", format!("members.insert(0, entry('{folder}/00-big.bin', None, tarfile.GNUTYPE_SPARSE, size=10 * 2**30))"), "GNU_FORMAT", 12),
        ("huge.tar.gz", format!("members.insert(0, entry('{folder}/00-big.bin', None, size=5 * 2**30))"), "USTAR_FORMAT", 12),
        ("after.tar.gz", "members.append(entry('zzz-after.txt'))".into(), "USTAR_FORMAT", 12),
        ("unsigned.tar.gz", "members.pop()".into(), "USTAR_FORMAT", 11),
    ];
    for (name, edit, format, want) in cases {
        let t = crafted(w, name, &edit, format);
        let run_dir = w.join(format!("cwd-{name}"));
        fs::create_dir_all(&run_dir).unwrap();
        let (code, text) = verify_code(&run_dir, &t, &f.public);
        assert_eq!(code, want, "{name}: {text}");
        let left: Vec<_> = fs::read_dir(&run_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left.len(),
            1,
            "{name}: verify wrote into its working directory: {left:?}"
        );
        assert!(!w.join("escaped.txt").exists() && !run_dir.join("escaped.txt").exists());
    }
}

#[test]
fn a_package_folder_is_verified_without_tar() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    // No provenance envelope (export without a key): the signature is missing.
    let (code, text) = verify_code(work.path(), &f.pkg, &f.public);
    assert_eq!(code, 11, "{text}");
    assert!(text.contains("not signed"), "{text}");
    let copy = work.path().join("pkg");
    copy_dir(&f.pkg, &copy);
    let victim = copy.join("00_Manifest/provenance.json");
    let mut b = fs::read(&victim).unwrap();
    b.push(b' ');
    fs::write(&victim, b).unwrap();
    assert_eq!(verify_code(work.path(), &copy, &f.public).0, 10);
}

#[test]
fn a_signed_package_folder_and_its_bundle_verify_with_the_pinned_key_only() {
    // The package's own signed provenance (export --sign-key) is checked by `verify` as
    // `validate --trusted-key` checks it: signature, subjects, audit inclusion proof.
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let results = work.path().join("results");
    copy_dir(&repo().join("fixtures").join("scans"), &results);
    let _ = fs::remove_file(results.join("README.md"));
    let out = work.path().join("out");
    let o = run(stigpack(work.path())
        .arg("export-emass")
        .arg("--cache-dir")
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("emass-component-cache"))
        .args(["--system", "Signed", "--exported-at", AT])
        .arg("--results")
        .arg(&results)
        .arg("--out")
        .arg(&out)
        .arg("--sign-key")
        .arg(&f.key)
        .arg("--benchmark")
        .arg(
            repo().join("fixtures/benchmarks/U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml"),
        ));
    assert!(o.status.success(), "export: {}", stderr(&o));
    let pkg = fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();
    assert!(pkg
        .join("00_Manifest/provenance.intoto.dsse.json")
        .is_file());

    let (code, text) = verify_code(work.path(), &pkg, &f.public);
    assert_eq!(code, 0, "{text}");
    let other = work.path().join("other");
    stigpack_sign::keys::generate_files(&other).unwrap();
    let other_pub = PathBuf::from(format!("{}.pub", other.display()));
    let (code, text) = verify_code(work.path(), &pkg, &other_pub);
    assert_eq!(code, 11, "{text}");

    // A validly signed envelope whose embedded audit entry is not the one the inclusion
    // proof leads to (re-signed with the same key): refused for the audit proof alone.
    let forged = work.path().join("forged");
    copy_dir(&pkg, &forged);
    let env_path = forged.join("00_Manifest/provenance.intoto.dsse.json");
    let env: serde_json::Value = serde_json::from_slice(&fs::read(&env_path).unwrap()).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut st: serde_json::Value =
        serde_json::from_slice(&b64.decode(env["payload"].as_str().unwrap()).unwrap()).unwrap();
    let entry = &mut st["predicate"]["runDetails"]["byproducts"][0];
    let line = String::from_utf8(b64.decode(entry["content"].as_str().unwrap()).unwrap()).unwrap();
    let at = line.find("\"prev\":\"").unwrap() + 8;
    let flipped = if &line[at..at + 1] == "0" { "1" } else { "0" };
    let line = format!("{}{flipped}{}", &line[..at], &line[at + 1..]);
    entry["content"] = serde_json::json!(b64.encode(line.as_bytes()));
    let payload = stigpack_sign::statement::Statement::from_json(&serde_json::to_vec(&st).unwrap())
        .unwrap()
        .to_canonical_json()
        .unwrap();
    let key = stigpack_sign::keys::PrivateKey::read(&f.key).unwrap();
    let env = stigpack_sign::dsse::sign(stigpack_sign::dsse::INTOTO_PAYLOAD_TYPE, &payload, &key);
    fs::write(&env_path, env.to_json()).unwrap();
    let (code, text) = verify_code(work.path(), &forged, &f.public);
    assert_eq!(code, 11, "{text}");
    assert!(text.contains("audit-inclusion"), "{text}");

    let bundle = work.path().join("signed.tar.gz");
    let o = run(stigpack(work.path())
        .arg("seal")
        .arg(&pkg)
        .arg("--sign-key")
        .arg(&f.key)
        .arg("--out")
        .arg(&bundle));
    assert!(o.status.success(), "seal: {}", stderr(&o));
    let (code, text) = verify_code(work.path(), &bundle, &f.public);
    assert_eq!(code, 0, "{text}");
}

fn age_recipient(dir: &Path) -> (PathBuf, String) {
    let id = dir.join("id.txt");
    let o = Command::new("age-keygen")
        .arg("-o")
        .arg(&id)
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = fs::read_to_string(&id).unwrap();
    let r = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned();
    (id, r)
}

#[test]
fn encrypted_bundles_open_with_the_age_cli_and_unseal_needs_a_valid_sidecar() {
    let f = fixture();
    if !have_tool("age") || !have_tool("age-keygen") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (id, r) = age_recipient(w);
    let (_id2, r2) = age_recipient(&w.join("second").tap_mkdir());
    let out = w.join("sealed.tar.gz");
    let o = run(stigpack(w)
        .arg("seal")
        .arg(&f.pkg)
        .arg("--sign-key")
        .arg(&f.key)
        .arg("--out")
        .arg(&out)
        .args(["--recipient", &r2, "--recipient", &r]));
    assert!(o.status.success(), "{}", stderr(&o));
    let age_file = w.join("sealed.tar.gz.age");
    let side = w.join("sealed.tar.gz.age.seal.json");
    assert!(!out.exists(), "no plaintext bundle beside the ciphertext");
    // The age CLI decrypts it to exactly the bundle an unencrypted seal writes.
    let plain = w.join("plain.tar.gz");
    let o = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&id)
        .arg("-o")
        .arg(&plain)
        .arg(&age_file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "age -d: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(fs::read(&plain).unwrap(), fs::read(&f.bundle).unwrap());
    assert!(
        ssl_verifies(&f.public, &side),
        "securesystemslib rejects the sidecar"
    );
    let payload = sidecar_payload(&side);
    let mut want = vec![r.clone(), r2.clone()];
    want.sort();
    assert_eq!(payload["predicate"]["recipients"], serde_json::json!(want));
    // unseal: sidecar, decrypt, verify.
    let dir = w.join("opened");
    let o = run(stigpack(w)
        .arg("unseal")
        .arg(&age_file)
        .arg("--identity")
        .arg(&id)
        .arg("--trusted-key")
        .arg(&f.public)
        .arg("--out")
        .arg(&dir));
    assert!(o.status.success(), "unseal: {}", stderr(&o));
    assert!(dir
        .join(f.pkg.file_name().unwrap())
        .join("00_Manifest/manifest.json")
        .is_file());

    // A bundle encrypted by the age CLI: refused without a sidecar, with another
    // ciphertext's sidecar, accepted with a valid one.
    let ext = w.join("ext.tar.gz.age");
    let o = Command::new("age")
        .arg("-r")
        .arg(&r)
        .arg("-o")
        .arg(&ext)
        .arg(&f.bundle)
        .output()
        .unwrap();
    assert!(o.status.success());
    let unseal = |to: &str| {
        run(stigpack(w)
            .arg("unseal")
            .arg(&ext)
            .arg("--identity")
            .arg(&id)
            .arg("--trusted-key")
            .arg(&f.public)
            .arg("--out")
            .arg(w.join(to)))
    };
    assert_eq!(unseal("o1").status.code(), Some(11), "no sidecar");
    assert!(!w.join("o1").exists());
    let ext_side = w.join("ext.tar.gz.age.seal.json");
    fs::copy(&side, &ext_side).unwrap();
    assert_eq!(
        unseal("o2").status.code(),
        Some(10),
        "another ciphertext's sidecar"
    );
    assert!(!w.join("o2").exists());
    let key = stigpack_sign::keys::PrivateKey::read(&f.key).unwrap();
    let sha = |p: &Path| stigpack::hashing::sha256_file(p).unwrap().0;
    let good = stigpack::seal::encrypt::sidecar(
        "ext.tar.gz.age",
        "ext.tar.gz",
        &sha(&f.bundle),
        &sha(&ext),
        std::slice::from_ref(&r),
        &key,
    )
    .unwrap();
    fs::write(&ext_side, good).unwrap();
    let o = unseal("o3");
    assert!(o.status.success(), "valid sidecar: {}", stderr(&o));
    // A sidecar signed by another key is not trusted.
    let other = stigpack_sign::keys::PrivateKey::from_seed([9; 32]);
    let forged = stigpack::seal::encrypt::sidecar(
        "ext.tar.gz.age",
        "ext.tar.gz",
        &sha(&f.bundle),
        &sha(&ext),
        &[r],
        &other,
    )
    .unwrap();
    fs::write(&ext_side, forged).unwrap();
    assert_eq!(unseal("o4").status.code(), Some(11));
}

#[test]
fn ssh_ed25519_recipients_work() {
    let f = fixture();
    if !have_tool("ssh-keygen") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let o = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "assessor", "-f"])
        .arg(w.join("ssh"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let pubkey = fs::read_to_string(w.join("ssh.pub")).unwrap();
    let out = w.join("s.tar.gz");
    let o = run(stigpack(w)
        .arg("seal")
        .arg(&f.pkg)
        .arg("--sign-key")
        .arg(&f.key)
        .arg("--out")
        .arg(&out)
        .arg("--recipient")
        .arg(pubkey.trim()));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(stigpack(w)
        .arg("unseal")
        .arg(w.join("s.tar.gz.age"))
        .arg("--identity")
        .arg(w.join("ssh"))
        .arg("--trusted-key")
        .arg(&f.public)
        .arg("--out")
        .arg(w.join("o")));
    assert!(o.status.success(), "{}", stderr(&o));
    let payload = sidecar_payload(&w.join("s.tar.gz.age.seal.json"));
    let recorded = payload["predicate"]["recipients"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        recorded.starts_with("ssh-ed25519 ") && !recorded.contains("assessor"),
        "{recorded}"
    );
}

fn sidecar_payload(side: &Path) -> serde_json::Value {
    use base64::Engine as _;
    let env: serde_json::Value = serde_json::from_slice(&fs::read(side).unwrap()).unwrap();
    let p = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&p).unwrap()
}

trait Mk {
    fn tap_mkdir(self) -> Self;
}
impl Mk for PathBuf {
    fn tap_mkdir(self) -> Self {
        fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn sbom_is_cyclonedx_deterministic_and_in_every_bundle() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let a = run(stigpack(work.path()).arg("sbom"));
    let b = run(stigpack(work.path()).env("TZ", "Asia/Tokyo").arg("sbom"));
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["bomFormat"], "CycloneDX");
    assert_eq!(v["specVersion"], "1.5");
    assert!(v["metadata"].get("timestamp").is_none());
    let comps = v["components"].as_array().unwrap();
    let wasmtime = comps
        .iter()
        .find(|c| c["purl"] == "pkg:cargo/wasmtime@48.0.8")
        .expect("wasmtime listed");
    assert_eq!(
        wasmtime["licenses"][0]["expression"],
        "Apache-2.0 WITH LLVM-exception"
    );
    // Each embedded component, with the digest `component list` reports.
    let list = run(stigpack(work.path()).args(["component", "list", "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let rows = doc["components"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    let wasm: Vec<&str> = comps
        .iter()
        .filter(|c| c["type"] == "application")
        .map(|c| c["hashes"][0]["content"].as_str().unwrap())
        .collect();
    assert_eq!(wasm.len(), rows.len());
    for r in &rows {
        assert!(
            wasm.contains(&r["sha256"].as_str().unwrap()),
            "{} not in the SBOM",
            r["name"]
        );
    }
    let o = Command::new("tar")
        .arg("-xzOf")
        .arg(&f.bundle)
        .arg("sbom.cdx.json")
        .output()
        .unwrap();
    assert_eq!(
        o.stdout, a.stdout,
        "the bundle holds the SBOM the binary prints"
    );
}
