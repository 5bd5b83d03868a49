//! One function per parser of untrusted bytes, the body of each cargo-fuzz target
//! (`fuzz/fuzz_targets/<name>.rs` is `fuzz_target!(|d| entries::<name>(d))`).
//!
//! Why a crate of its own: the fuzz targets build on nightly only, but every input that
//! ever crashed a target must keep failing CI on the stable toolchain. The regression
//! replay (`tests/replay.rs`) runs each file of `fuzz/regressions/<target>/` through the
//! same function as the target, found by name in [`TARGETS`]. An entry's contract: it
//! returns for any input; it panics only on a defect (a parser panic, or for differential
//! targets two implementations that disagree). Errors are the expected answer to garbage.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use stig_formats::attest::{Attestation, AttestationFile};
use stig_formats::poam::layout::Layout;
use stig_formats::poam::profile::SystemProfile;
use stig_formats::poam::template::Template;
use stig_formats::{ckl, cklb, evaluate_stig, import, xccdf};
use stigpack_winrm::{encryption, fleet, scripts, soap};

/// A fuzz target: its name (the `fuzz_targets/<name>.rs` file and the
/// `fuzz/regressions/<name>/` directory) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name. The replay test refuses a regression directory not named here.
pub const TARGETS: &[Target] = &[
    ("ckl", ckl),
    ("ckl_reference", ckl_reference),
    ("ckl_fast", ckl_fast),
    ("ckl_differential", ckl_differential),
    ("cklb", cklb),
    ("xccdf_benchmark", xccdf_benchmark),
    ("xccdf_results", xccdf_results),
    ("import_classify", import_classify),
    ("evaluate_stig_summary", evaluate_stig_summary),
    ("attest_csv", attest_csv),
    ("poam_layout", poam_layout),
    ("poam_template", poam_template),
    ("system_profile", system_profile),
    ("audit_line_differential", audit_line_differential),
    ("audit_checkpoint", audit_checkpoint),
    ("audit_log", audit_log),
    ("soap_response", soap_response),
    ("clixml", clixml),
    ("encrypted_framing", encrypted_framing),
    ("inventory", inventory),
    ("ansible_inventory", ansible_inventory),
    ("tool_profile", tool_profile),
    ("ansible_vars", ansible_vars),
    ("krb5_conf", krb5_conf),
    ("keytab", keytab),
    ("seal_bundle", seal_bundle),
    ("xlsx_poam", xlsx_poam),
    ("package_json", package_json),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// CKL as `import` reads it: the fast scanner, then the reference reader.
pub fn ckl(data: &[u8]) {
    let _ = ckl::read(data, "fuzz.ckl");
}

/// The reference CKL reader alone.
pub fn ckl_reference(data: &[u8]) {
    let _ = ckl::read_reference(data, "fuzz.ckl");
}

/// The fast CKL scanner alone.
pub fn ckl_fast(data: &[u8]) {
    let _ = ckl::read_fast_only(data, "fuzz.ckl");
}

/// Whenever the fast scanner answers, the reference reader must give the same checklist:
/// the scanner exists only to be faster, never to decide differently.
pub fn ckl_differential(data: &[u8]) {
    if let Some(fast) = ckl::read_fast_only(data, "fuzz.ckl") {
        match ckl::read_reference(data, "fuzz.ckl") {
            Ok(reference) => assert_eq!(fast, reference, "fast and reference CKL readers disagree"),
            Err(e) => panic!("the fast CKL scanner accepted what the reference refuses: {e}"),
        }
    }
}

pub fn cklb(data: &[u8]) {
    let _ = cklb::read(data, "fuzz.cklb");
}

pub fn xccdf_benchmark(data: &[u8]) {
    let _ = xccdf::benchmark::read(data, "fuzz-xccdf.xml");
}

/// XCCDF results alone, and matched against a tiny benchmark (the path that joins
/// results to rules).
pub fn xccdf_results(data: &[u8]) {
    let _ = xccdf::results::read(data, "fuzz-results.xml", None);
    let _ = import::results_benchmark(data, "fuzz-results.xml");
    if let Ok(b) = xccdf::benchmark::read(SMALL_BENCHMARK, "small.xml") {
        let _ = xccdf::results::read_matching(data, "fuzz-results.xml", std::slice::from_ref(&b));
    }
}

/// A benchmark with one rule, for [`xccdf_results`].
const SMALL_BENCHMARK: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Benchmark xmlns="http://checklists.nist.gov/xccdf/1.1" id="Fuzz_STIG"><title>Fuzz</title><version>1</version><plain-text id="release-info">Release: 1 Benchmark Date: 01 Jan 2025</plain-text><Group id="V-1"><title>SRG</title><Rule id="SV-1r1_rule" severity="medium" weight="10.0"><version>F-1</version><title>Rule</title><description>&lt;VulnDiscussion&gt;d&lt;/VulnDiscussion&gt;</description><ident system="http://cyber.mil/cci">CCI-000366</ident><check system="C-1"><check-content>c</check-content></check></Rule></Group></Benchmark>"#;

/// How `import` sorts an input file (by name and leading bytes).
pub fn import_classify(data: &[u8]) {
    for name in ["x.ckl", "x.cklb", "x.xml", "x.json", "x"] {
        let _ = import::classify(name, data);
    }
}

pub fn evaluate_stig_summary(data: &[u8]) {
    let _ = evaluate_stig::read_summary(data, "SummaryReport.xml");
}

/// An attestation CSV applied to a file with pending records to answer.
pub fn attest_csv(data: &[u8]) {
    let current = pending_attestations();
    let _ = stig_formats::attest::import::import("attestations.csv", data, &current);
}

fn pending_attestations() -> AttestationFile {
    let record = |host: &str, control: &str| {
        Attestation::pending(
            host.into(),
            control.into(),
            format!("SV-{control}r1_rule").into(),
            "Fuzz_STIG".into(),
            "t".into(),
            "medium".into(),
        )
    };
    AttestationFile {
        schema: "stigpack.attestations/v1".to_owned(),
        attestations: vec![
            record("WS01", "V-1"),
            record("WS01", "V-2"),
            record("WS02", "V-1"),
        ],
    }
}

/// A package's `poam.json` (first byte even) or `attestations.json` (odd), as
/// `validate` reads them: streamed, and for the POA&M only its outline. The streamed
/// readers must accept exactly what the whole-file readers accept, and give the same
/// answer.
pub fn package_json(data: &[u8]) {
    use stig_formats::poam::outline::PoamOutline;
    use stig_formats::poam::PoamFile;
    let Some((&kind, text)) = data.split_first() else {
        return;
    };
    if kind % 2 == 0 {
        let full = PoamFile::from_json(text);
        let outline = PoamOutline::from_reader(text);
        match (&full, &outline) {
            (Ok(f), Ok(o)) => assert_eq!(o, &PoamOutline::of(f), "outline differs"),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "readers disagree: full {:?}, outline {:?}",
                full.err(),
                outline.err()
            ),
        }
    } else {
        let whole = AttestationFile::from_json(text).ok();
        let streamed = AttestationFile::from_reader(text).ok();
        assert_eq!(whole, streamed, "attestation readers disagree");
    }
}

/// A POA&M column layout (`--poam-layout FILE`).
pub fn poam_layout(data: &[u8]) {
    let _ = Layout::from_json(data);
}

/// A POA&M workbook template (`--poam-template FILE`).
pub fn poam_template(data: &[u8]) {
    let _ = Template::from_json(data);
}

/// The system profile, as TOML (`--system-profile`) and as the package's JSON copy.
pub fn system_profile(data: &[u8]) {
    let _ = SystemProfile::from_json(data);
    let file = Scratch::with(data, "profile.toml");
    let _ = stigpack::package::assemble::read_profile_toml(&file.path);
}

/// Every audit line: the fast canonical-line scanner against the serde/JCS reference.
pub fn audit_line_differential(data: &[u8]) {
    stigpack_audit::fuzz_line_differential(data);
}

/// A C2SP checkpoint or signed note.
pub fn audit_checkpoint(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = stigpack_audit::Checkpoint::parse(text, "fuzz.checkpoint");
    }
}

/// A whole audit log through `audit verify` (chain, tree, line checks).
pub fn audit_log(data: &[u8]) {
    let file = Scratch::with(data, "audit.jsonl");
    let _ = stigpack_audit::verify(&file.path, None, None);
}

/// Every WS-Management response parser the client runs on a host's reply.
pub fn soap_response(data: &[u8]) {
    let _ = soap::parse_fault(data);
    let _ = soap::parse_shell_id(data);
    let _ = soap::parse_command_id(data);
    let _ = soap::parse_receive(data, "11111111-1111-1111-1111-111111111111");
}

/// PowerShell's CLIXML error stream, as it arrives on stderr.
pub fn clixml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if scripts::is_clixml(&text) {
        let _ = scripts::decode_clixml(&text);
    }
}

/// The `multipart/encrypted` framing, read before any signature is checked.
pub fn encrypted_framing(data: &[u8]) {
    if let Ok(parts) = encryption::unframe(data) {
        for part in &parts {
            let _ = encryption::check_unsealed_length(part, &part.sealed);
        }
    }
}

/// A fleet inventory (one JSON object, or the simulator's JSON lines).
pub fn inventory(data: &[u8]) {
    let file = Scratch::with(data, "inventory.json");
    if let Ok(mut inv) = fleet::Inventory::load(&file.path) {
        let _ = inv.select(&["WS01".to_owned()]);
        for h in &inv.hosts {
            let _ = fleet::check_host_name(&h.name);
        }
    }
}

/// An Ansible inventory (INI or YAML) and `--limit` patterns over it. The first byte
/// picks the file name, and so how `Inventory::load` detects the format: `0` `hosts.ini`,
/// `1` `hosts.yml`, else `hosts` (no extension: detected from the content, as Ansible
/// does). After a NUL byte, the rest is a `--limit` pattern tried on what loaded.
pub fn ansible_inventory(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let name = match mode {
        0 => "hosts.ini",
        1 => "hosts.yml",
        _ => "hosts",
    };
    let (text, pattern) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], Some(String::from_utf8_lossy(&rest[at + 1..]))),
        None => (rest, None),
    };
    let file = Scratch::with(text, name);
    if let Ok(inv) = fleet::Inventory::load(&file.path) {
        let patterns = ["all", "*", "windows:!ws0*", "web:&db", "ungrouped,web"];
        let given = pattern.as_deref().into_iter();
        for p in patterns.into_iter().chain(given) {
            let _ = inv.clone().limit(p);
        }
        let _ = inv.check_usable(&file.path, stigpack_winrm::CertCheck::Verify);
    }
}

/// A tool profile file (`fleet verify|apply --profile FILE`): parsed and checked, and
/// when accepted, its results folder filled in for a host and its digests taken.
pub fn tool_profile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = fleet::ToolProfile::from_json(text, "fuzz.json") {
        let _ = p.results_dir_for("ws01", Some("WS01"));
        let _ = p.check_step(fleet::Step::Verify, "fuzz.json");
        let _ = (p.sha256(), p.args_sha256(), p.needs_computername());
    }
}

/// An Ansible inventory with `group_vars/` and `host_vars/` beside it: the input is the
/// INI inventory, then after a NUL `group_vars/all.yml`, then after another NUL
/// `host_vars/ws01.yml` (a missing part is an absent file), loaded and checked.
pub fn ansible_vars(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let inventory = parts.next().unwrap_or_default();
    let file = Scratch::with(inventory, "hosts.ini");
    for (dir, name) in [("group_vars", "all.yml"), ("host_vars", "ws01.yml")] {
        if let Some(text) = parts.next() {
            let d = file.dir.path().join(dir);
            std::fs::create_dir_all(&d).expect("scratch vars directory");
            std::fs::write(d.join(name), text).expect("scratch vars file");
        }
    }
    if let Ok(inv) = fleet::Inventory::load(&file.path) {
        let _ = inv.check_usable(&file.path, stigpack_winrm::CertCheck::Verify);
    }
}

/// A krb5.conf (`$KRB5_CONFIG`, `/etc/krb5.conf`): parsed, then every question the
/// Kerberos client asks of it (default realm, its KDCs, each KDC address).
pub fn krb5_conf(data: &[u8]) {
    use stigpack_winrm::auth::krb5conf::{parse_kdc, Krb5Conf};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(conf) = Krb5Conf::parse(text, Path::new("krb5.conf")) {
        let _ = conf.describe();
        let realms = conf.default_realm().into_iter().chain(["STIGPACK.TEST"]);
        for realm in realms.map(str::to_owned).collect::<Vec<_>>() {
            for kdc in conf.kdcs(&realm) {
                let _ = parse_kdc(kdc);
            }
        }
    }
}

/// An MIT keytab as the simulator reads it (`simulate --kerberos-keytab`).
pub fn keytab(data: &[u8]) {
    let file = Scratch::with(data, "http.keytab");
    for spn in ["HTTP/ws01", "HTTP/ws01@STIGPACK.TEST"] {
        let _ = stigpack_winrm_sim::KerberosService::from_keytab(&file.path, spn);
    }
}

/// The sealed-bundle reader. The first byte picks the layer the fuzzer mutates: `0`
/// hands the rest over as the `.tar.gz` itself (the gzip layer); anything else gzips the
/// rest first, so mutations reach the tar and the checks behind it.
pub fn seal_bundle(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode == 0 {
        rest.to_vec()
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(rest).expect("gzip into memory");
        gz.finish().expect("gzip into memory")
    };
    let file = Scratch::with(&bytes, "bundle.tar.gz");
    let into = file.dir.path().join("out");
    std::fs::create_dir(&into).expect("scratch output directory");
    let key = stigpack_sign::keys::PrivateKey::from_seed([7; 32]).public();
    let caps = stigpack::seal::verify::Caps {
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
    };
    let _ = stigpack::seal::verify::verify_bundle(&file.path, &key, caps, &into);
}

/// The pre-upload check of an eMASS POA&M workbook (`validate --poam`: zip, calamine).
pub fn xlsx_poam(data: &[u8]) {
    let file = Scratch::with(data, "poam.xlsx");
    for name in Template::builtin_names() {
        if let Ok(template) = Template::builtin(name) {
            let _ =
                stigpack::package::workbook_check::check_file(&file.path, "poam.xlsx", &template);
        }
    }
}

/// A private directory holding one file with the fuzz input, for readers that take a path.
/// That I/O is the harness's, not the parser's: failing to set it up is a harness panic.
struct Scratch {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Scratch {
    fn with(data: &[u8], name: &str) -> Self {
        let dir = tempfile::tempdir().expect("scratch directory");
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("scratch file");
        Scratch { dir, path }
    }
}

/// The regression corpus: `fuzz/regressions/` of this checkout.
pub fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions")
}
