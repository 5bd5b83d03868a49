//! `00_Manifest/provenance.intoto.dsse.json`: who made the package, signed.
//!
//! A DSSE envelope (`application/vnd.in-toto+json`) over an in-toto Statement v1 whose
//! subjects are exactly the files of the hash list and whose predicate is SLSA Provenance
//! v1. Anyone holding the operator's public key can check, with public tools, that the
//! files are the ones the operator's tool run produced; without it, the hash list and the
//! manifest could be rewritten by whoever edits the files.
//!
//! The statement also carries the export's own audit-log entry, an RFC 9162 inclusion
//! proof of it and the log's checkpoint signed with the same key, so the package proves
//! it was recorded. Ordering (docs/package.md): build and hash the package, record the
//! export in the audit log (the entry holds the package hash), take the checkpoint and the
//! proof, sign, then move the package into place. The envelope is outside the hash list,
//! like `manifest.json`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use stig_formats::package_artifacts::paths;
use stigpack_audit::merkle::{self, Hash};
use stigpack_audit::{AuditLog, Checkpoint, Entry, SignerKey};
use stigpack_sign::dsse::{self, Envelope, INTOTO_PAYLOAD_TYPE};
use stigpack_sign::keys::{PrivateKey, PublicKey};
use stigpack_sign::statement::{compare_subjects, Statement, Subject, SLSA_PROVENANCE_V1};

use super::hashlist::{self, ENVELOPE, HASH_LIST, MANIFEST};
use super::layout::{EVIDENCE, PROVENANCE, SCANS};

/// Our SLSA build type: an eMASS package built by `export-emass` or `import-attestations`.
pub const BUILD_TYPE: &str = "https://stigpack.invalid/buildtypes/export-emass/v1";
/// The builder id prefix; the tool version follows `@`.
pub const BUILDER_ID: &str = "https://stigpack.invalid/builder/stigpack";
/// First line of the inclusion proof byproduct (C2SP tlog-proof layout).
pub const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Byproduct names.
pub const AUDIT_ENTRY: &str = "audit-log/entry";
pub const AUDIT_PROOF: &str = "audit-log/tlog-proof";

/// The export's audit entry with the proof that the log holds it.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// The entry's stored line (canonical JSON, no newline): the Merkle leaf.
    pub line: Vec<u8>,
    pub seq: u64,
    /// The log's checkpoint, signed with the package key.
    pub checkpoint: Checkpoint,
    /// RFC 9162 inclusion path of `seq` in the checkpoint's tree.
    pub path: Vec<Hash>,
}

impl AuditRecord {
    /// The proof of `entry` in the log as it is now, with the checkpoint signed by
    /// `signer`. The checkpoint and the proof are read under separate locks, so a
    /// concurrent append is detected and the pair read again.
    pub fn prove(
        log: &AuditLog,
        entry: &Entry,
        origin: &str,
        signer: &SignerKey,
    ) -> anyhow::Result<Self> {
        let line = entry.to_line().context("audit entry")?;
        for _ in 0..5 {
            let mut checkpoint = log.checkpoint(origin).context("audit log checkpoint")?;
            let proof = log
                .inclusion_proof(entry.seq)
                .context("audit inclusion proof")?;
            if proof.size != checkpoint.size || proof.root != checkpoint.root {
                continue;
            }
            if proof.leaf_hash != merkle::leaf_hash(&line) {
                anyhow::bail!(
                    "audit log: entry {} on disk is not the entry just recorded",
                    entry.seq
                );
            }
            checkpoint.sign(signer);
            return Ok(Self {
                line,
                seq: entry.seq,
                checkpoint,
                path: proof.path,
            });
        }
        anyhow::bail!("audit log: the log kept growing while taking the checkpoint; try again")
    }

    /// The tlog-proof text: header, `index N`, one base64 hash per line, a blank line,
    /// then the signed checkpoint note.
    pub fn proof_text(&self) -> String {
        let mut s = format!("{PROOF_HEADER}\nindex {}\n", self.seq);
        for h in &self.path {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint.to_text());
        s
    }
}

/// A parsed tlog-proof.
#[derive(Debug, Clone)]
pub struct ParsedProof {
    pub index: u64,
    pub path: Vec<Hash>,
    pub checkpoint: Checkpoint,
}

/// Parses [`AuditRecord::proof_text`].
pub fn parse_proof(text: &str) -> Result<ParsedProof, String> {
    let (head, note) = text
        .split_once("\n\n")
        .ok_or("no blank line before the checkpoint")?;
    let mut lines = head.split('\n');
    if lines.next() != Some(PROOF_HEADER) {
        return Err(format!("does not start with {PROOF_HEADER}"));
    }
    let index = lines
        .next()
        .and_then(|l| l.strip_prefix("index "))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or("second line is not `index N`")?;
    let path = lines
        .map(|l| {
            B64.decode(l)
                .ok()
                .and_then(|v| Hash::try_from(v).ok())
                .ok_or_else(|| format!("{l:?} is not base64 of a 32-byte hash"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let checkpoint = Checkpoint::parse(note, AUDIT_PROOF).map_err(|e| e.to_string())?;
    Ok(ParsedProof {
        index,
        path,
        checkpoint,
    })
}

fn read(pkg: &Path, rel: &str) -> anyhow::Result<Vec<u8>> {
    fs::read(pkg.join(rel)).with_context(|| format!("{}: cannot read {rel}", pkg.display()))
}

fn json_of(pkg: &Path, rel: &str) -> anyhow::Result<Value> {
    serde_json::from_slice(&read(pkg, rel)?).with_context(|| format!("{rel}: not JSON"))
}

/// Whether a listed file is one of the operator's raw inputs (kept byte for byte).
fn is_raw_input(path: &str) -> bool {
    let under = |dir: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    under(SCANS) || under(EVIDENCE) || under(paths::ANSWERS_DIR) || path == paths::POAM_LAYOUT_FILE
}

fn resource(name: &str, sha256: &str) -> Value {
    json!({ "name": name, "digest": { "sha256": sha256 } })
}

/// The statement for the package in `pkg` (built, hash list and manifest written).
/// `command` and `extra` are the invocation; everything else is read from the package, so
/// the statement says exactly what the files say.
pub fn statement(
    pkg: &Path,
    command: &str,
    extra: Value,
    audit: &AuditRecord,
) -> anyhow::Result<Statement> {
    let list_text = String::from_utf8(read(pkg, HASH_LIST)?)
        .with_context(|| format!("{HASH_LIST}: not UTF-8"))?;
    let list = hashlist::parse(&list_text).map_err(|e| anyhow::anyhow!("{HASH_LIST}: {e}"))?;
    let manifest = json_of(pkg, MANIFEST)?;
    let prov = json_of(pkg, PROVENANCE)?;
    let subjects = list
        .iter()
        .map(|e| Subject::sha256_hex(&e.path, &e.sha256))
        .collect();

    let mut deps: Vec<Value> = list
        .iter()
        .filter(|e| is_raw_input(&e.path))
        .map(|e| resource(&e.path, &e.sha256))
        .collect();
    let no_steps = Vec::new();
    let steps = prov["steps"].as_array().unwrap_or(&no_steps);
    for (i, s) in steps.iter().enumerate() {
        let run = &s["run"];
        let component = run["component"].as_str().unwrap_or("");
        let version = run["version"].as_str().unwrap_or("");
        let mut d = resource(
            &format!("component run {i:05}: {component}"),
            run["wasm_sha256"].as_str().unwrap_or(""),
        );
        d["uri"] = json!(format!("urn:stigpack:component:{component}@{version}"));
        d["annotations"] = json!({
            "component": component,
            "version": version,
            "witVersion": run["wit_version"],
            "step": s["step"],
            "hosts": s["hosts"],
        });
        deps.push(d);
    }

    let exported_at = manifest["exportedAt"].clone();
    let version = env!("CARGO_PKG_VERSION");
    let mut external = json!({
        "command": command,
        "system": manifest["system"],
        "exportedAt": exported_at,
        "options": manifest["options"],
    });
    if let (Some(e), Value::Object(more)) = (external.as_object_mut(), extra) {
        e.extend(more);
    }
    let entry_sha = hex::encode(sha2::Sha256::digest(&audit.line));
    let proof = audit.proof_text();
    let predicate = json!({
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": external,
            "internalParameters": { "hostsPerRun": prov["hostsPerRun"], "provenance": PROVENANCE },
            "resolvedDependencies": deps,
        },
        "runDetails": {
            "builder": {
                "id": format!("{BUILDER_ID}@{version}"),
                "version": { "stigpack": version },
                // What the builder itself is made of: the SBOM `stigpack sbom` prints.
                "builderDependencies": [{
                    "name": "stigpack SBOM (CycloneDX)",
                    "uri": "urn:stigpack:sbom",
                    "mediaType": "application/vnd.cyclonedx+json",
                    "digest": { "sha256": hex::encode(sha2::Sha256::digest(crate::seal::SBOM_JSON.as_bytes())) },
                }],
            },
            "metadata": {
                "invocationId": format!("sha256:{}", manifest["packageHash"].as_str().unwrap_or("")),
                "startedOn": exported_at,
                "finishedOn": exported_at,
            },
            "byproducts": [
                {
                    "name": AUDIT_ENTRY,
                    "mediaType": "application/json",
                    "content": B64.encode(&audit.line),
                    "digest": { "sha256": entry_sha },
                    "annotations": { "index": audit.seq },
                },
                {
                    "name": AUDIT_PROOF,
                    "mediaType": "text/plain; charset=utf-8",
                    "content": B64.encode(proof.as_bytes()),
                    "annotations": {
                        "format": PROOF_HEADER,
                        "index": audit.seq,
                        "treeSize": audit.checkpoint.size,
                        "origin": audit.checkpoint.origin,
                    },
                },
            ],
        },
    });
    Ok(Statement::new(subjects, SLSA_PROVENANCE_V1, predicate))
}

/// Signs `st` and writes the envelope into `pkg` (a temporary file renamed into place).
pub fn write(pkg: &Path, st: &Statement, key: &PrivateKey) -> anyhow::Result<()> {
    let payload = st.to_canonical_json()?;
    let env = dsse::sign(INTOTO_PAYLOAD_TYPE, &payload, key);
    let dest = pkg.join(ENVELOPE);
    let dir = dest.parent().unwrap_or(pkg);
    let mut tmp = tempfile::Builder::new()
        .prefix(".envelope-")
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    tmp.write_all(&env.to_json())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {ENVELOPE}"))?;
    tmp.persist(&dest)
        .with_context(|| format!("writing {ENVELOPE}"))?;
    Ok(())
}

/// The statement of an envelope, read *without* checking its signature: for `reproduce`,
/// which compares what was signed with what it rebuilds (validate checks the signature).
pub fn unverified_statement(pkg: &Path) -> anyhow::Result<Statement> {
    let env: Envelope = serde_json::from_slice(&read(pkg, ENVELOPE)?)
        .with_context(|| format!("{ENVELOPE}: not a DSSE envelope"))?;
    let payload = B64
        .decode(env.payload.as_bytes())
        .with_context(|| format!("{ENVELOPE}: payload is not base64"))?;
    Ok(Statement::from_json(&payload)?)
}

/// One verdict of [`verify`].
#[derive(Debug, Clone)]
pub struct Finding {
    pub check: &'static str,
    pub passed: bool,
    pub message: String,
}

fn finding(check: &'static str, r: Result<String, String>) -> Finding {
    match r {
        Ok(message) => Finding {
            check,
            passed: true,
            message,
        },
        Err(message) => Finding {
            check,
            passed: false,
            message,
        },
    }
}

/// Checks the envelope of `pkg` against `trusted` keys: the signature, that the signed
/// subjects are exactly `present` (path -> SHA-256 of every file outside
/// [`hashlist::OUTSIDE`]), and the audit proof (the entry names `package_hash`, the proof
/// leads to the checkpoint's root, the checkpoint is signed by the same key).
pub fn verify(
    pkg: &Path,
    trusted: &[PublicKey],
    present: &BTreeMap<String, String>,
    package_hash: &str,
) -> Vec<Finding> {
    let bytes = match fs::read(pkg.join(ENVELOPE)) {
        Ok(b) => b,
        Err(_) => {
            return vec![finding(
                "signature",
                Err(format!(
                    "the package is unsigned ({ENVELOPE} is absent) but --trusted-key requires a signature"
                )),
            )]
        }
    };
    let verified = match dsse::verify(&bytes, trusted) {
        Ok(v) => v,
        Err(e) => return vec![finding("signature", Err(format!("{ENVELOPE}: {e}")))],
    };
    let key = verified.key().clone();
    let mut out = vec![finding(
        "signature",
        Ok(format!(
            "{ENVELOPE} is signed by trusted key {}",
            &key.keyid()[..16]
        )),
    )];
    let st = match (verified.payload_type() == INTOTO_PAYLOAD_TYPE)
        .then(|| Statement::from_json(verified.payload()))
    {
        Some(Ok(st)) if st.predicate_type == SLSA_PROVENANCE_V1 => st,
        Some(Ok(st)) => {
            out.push(finding(
                "signed-subjects",
                Err(format!(
                    "predicateType is {:?}, expected {SLSA_PROVENANCE_V1}",
                    st.predicate_type
                )),
            ));
            return out;
        }
        Some(Err(e)) => {
            out.push(finding("signed-subjects", Err(e.to_string())));
            return out;
        }
        None => {
            out.push(finding(
                "signed-subjects",
                Err(format!(
                    "payloadType is {:?}, expected {INTOTO_PAYLOAD_TYPE}",
                    verified.payload_type()
                )),
            ));
            return out;
        }
    };
    let m = compare_subjects(&st.subject, present);
    out.push(finding(
        "signed-subjects",
        if m.is_empty() {
            Ok(format!(
                "the {} signed subjects are exactly the files present",
                st.subject.len()
            ))
        } else {
            Err(format!(
                "the signed subjects differ from the files present: {m}"
            ))
        },
    ));
    out.push(finding(
        "audit-inclusion",
        check_audit(&st, &key, package_hash),
    ));
    out
}

fn byproduct(st: &Statement, name: &str) -> Result<Vec<u8>, String> {
    let no = Vec::new();
    let b = st.predicate["runDetails"]["byproducts"]
        .as_array()
        .unwrap_or(&no)
        .iter()
        .find(|b| b["name"] == name)
        .ok_or_else(|| format!("no {name} byproduct"))?;
    B64.decode(b["content"].as_str().unwrap_or("").as_bytes())
        .map_err(|_| format!("{name}: content is not base64"))
}

fn check_audit(st: &Statement, key: &PublicKey, package_hash: &str) -> Result<String, String> {
    let line = byproduct(st, AUDIT_ENTRY)?;
    let proof_text = String::from_utf8(byproduct(st, AUDIT_PROOF)?)
        .map_err(|_| format!("{AUDIT_PROOF}: not UTF-8"))?;
    let proof = parse_proof(&proof_text).map_err(|e| format!("{AUDIT_PROOF}: {e}"))?;
    let entry: Value =
        serde_json::from_slice(&line).map_err(|e| format!("{AUDIT_ENTRY}: not JSON: {e}"))?;
    if entry["details"]["packageHash"].as_str() != Some(package_hash) {
        return Err(format!(
            "{AUDIT_ENTRY} records packageHash {} but the package's is {package_hash}",
            entry["details"]["packageHash"]
        ));
    }
    if entry["seq"].as_u64() != Some(proof.index) {
        return Err(format!(
            "{AUDIT_ENTRY} is seq {} but the proof is for index {}",
            entry["seq"], proof.index
        ));
    }
    let cp = &proof.checkpoint;
    if !merkle::verify_inclusion(
        proof.index,
        cp.size,
        &merkle::leaf_hash(&line),
        &proof.path,
        &cp.root,
    ) {
        return Err(format!(
            "the inclusion proof of entry {} does not lead to the checkpoint's root (tree size {})",
            proof.index, cp.size
        ));
    }
    let verifier = crate::keyfile::note_verifier(key).map_err(|e| format!("{e:#}"))?;
    if !cp.verify_signature(&verifier) {
        return Err(format!(
            "the embedded checkpoint is not signed by the trusted key (note name {})",
            verifier.name
        ));
    }
    Ok(format!(
        "audit entry {} (this package's hash) is in the signed checkpoint of {:?} at tree size {}",
        proof.index, cp.origin, cp.size
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn raw_inputs_are_the_operators_files_only() {
        assert!(is_raw_input("01_Scans/host1/a.ckl"));
        assert!(is_raw_input("04_Evidence/h/V-1/x.png"));
        assert!(is_raw_input("05_Attestations/answers/001-a.csv"));
        assert!(is_raw_input(paths::POAM_LAYOUT_FILE));
        assert!(!is_raw_input("01_ScansX/a"));
        assert!(!is_raw_input("02_Checklists/h.ckl"));
        assert!(!is_raw_input("05_Attestations/attestations.json"));
    }

    fn statement_with(record: &AuditRecord) -> Statement {
        Statement::new(
            vec![],
            SLSA_PROVENANCE_V1,
            json!({ "runDetails": { "byproducts": [
                { "name": AUDIT_ENTRY, "content": B64.encode(&record.line) },
                { "name": AUDIT_PROOF, "content": B64.encode(record.proof_text()) },
            ] } }),
        )
    }

    #[test]
    fn the_audit_proof_holds_only_for_this_package_log_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
        let key = PrivateKey::from_seed([6; 32]);
        let signer = SignerKey::from_ed25519_seed(
            &crate::keyfile::note_name(&key.public()),
            key.seed(),
            Path::new("k"),
        )
        .unwrap();
        let ok = stigpack_audit::Outcome::Success;
        log.record("a", "t", ok, json!({})).unwrap();
        let entry = log
            .record("export-emass", "p", ok, json!({ "packageHash": "ab" }))
            .unwrap();
        log.record("c", "t", ok, json!({})).unwrap();
        let record = AuditRecord::prove(&log, &entry, "o", &signer).unwrap();
        assert_eq!((record.seq, record.checkpoint.size), (1, 3));
        let st = statement_with(&record);
        let msg = check_audit(&st, &key.public(), "ab").unwrap();
        assert!(msg.contains("audit entry 1"), "{msg}");
        // Another package's hash, another key, a damaged path, a proof for another entry.
        assert!(check_audit(&st, &key.public(), "cd")
            .unwrap_err()
            .contains("records packageHash"));
        let other = PrivateKey::from_seed([7; 32]).public();
        assert!(check_audit(&st, &other, "ab")
            .unwrap_err()
            .contains("not signed by the trusted key"));
        let mut bad = record.clone();
        bad.path[0][0] ^= 1;
        assert!(check_audit(&statement_with(&bad), &key.public(), "ab")
            .unwrap_err()
            .contains("does not lead to the checkpoint's root"));
        let mut moved = record.clone();
        moved.seq = 2;
        assert!(check_audit(&statement_with(&moved), &key.public(), "ab").is_err());
    }

    #[test]
    fn proof_text_round_trips_and_rejects_damage() {
        let key = PrivateKey::from_seed([8; 32]);
        let signer = SignerKey::from_ed25519_seed(
            &crate::keyfile::note_name(&key.public()),
            key.seed(),
            Path::new("k"),
        )
        .unwrap();
        let mut checkpoint = Checkpoint::new("o", 3, [1; 32]);
        checkpoint.sign(&signer);
        let rec = AuditRecord {
            line: b"{}".to_vec(),
            seq: 2,
            checkpoint,
            path: vec![[4; 32], [5; 32]],
        };
        let text = rec.proof_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 2\n"));
        let p = parse_proof(&text).unwrap();
        assert_eq!((p.index, p.path.clone()), (2, rec.path.clone()));
        assert_eq!(p.checkpoint, rec.checkpoint);
        assert!(parse_proof(&text.replace("index 2", "index x")).is_err());
        assert!(parse_proof(&text.replacen("c2sp", "xxxx", 1)).is_err());
    }
}
