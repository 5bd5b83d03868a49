//! The proof-packaging commands: `export-emass`, `validate`, `reproduce`,
//! `import-attestations`, and the hidden fleet generator used by the benchmark.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::component::trust::{admit_named, LockArgs as ComponentLockArgs};
use super::{Globals, SandboxOpts};
use crate::exit::{coded, Exit};
use crate::package::{assemble, layout, reproduce as repro, signed, validate as check};
use crate::pipeline;
use crate::staging::Staged;
use crate::trust::Role;

const EXPORT_HELP: &str = "\
Examples:
  stigpack export-emass --results fleet_results --system \"Payroll Enclave\" --out packages
  stigpack export-emass --results fleet_results --evidence evidence --answers answers.csv \\
      --poam-layout navy_stigman --exported-at 2026-11-22T20:00:00Z --out packages
  stigpack export-emass --results fleet_results --poam-layout-file agency_layout.json \\
      --out packages

Writes <out>/EMASS_<System>_<YYYYMMDD-HHMM>/ (UTC): see docs/package.md.
POA&M layouts: emass_joint (default), navy_stigman, or a layout JSON file
(--poam-layout-file; kept in the package as 03_POAM/layout/poam_layout.json).
With --keep-going, hosts that cannot be read are left out and listed (stderr, manifest
unreadableHosts, 00_Manifest/unreadable_hosts.json); the package is NOT READY; exit 9.";

/// The `--json` documents' shapes (docs/cli.md, "JSON output"); bump on any incompatible
/// change.
pub const EXPORT_JSON_SCHEMA: &str = "stigpack.export-emass/1";
pub const VALIDATE_JSON_SCHEMA: &str = "stigpack.validate/1";
pub const VALIDATE_POAM_JSON_SCHEMA: &str = "stigpack.validate-poam/1";
pub const REPRODUCE_JSON_SCHEMA: &str = "stigpack.reproduce/1";
pub const IMPORT_JSON_SCHEMA: &str = "stigpack.import-attestations/1";

#[derive(Debug, Clone, Args)]
#[command(after_help = EXPORT_HELP)]
pub struct ExportEmassArgs {
    /// Results root: one directory per host holding its scan files.
    #[arg(long, value_name = "DIR")]
    pub results: PathBuf,
    /// DISA XCCDF benchmark(s) for XCCDF results that do not carry their rules.
    #[arg(long, value_name = "XCCDF")]
    pub benchmark: Vec<PathBuf>,
    /// Evidence laid out as <host>/<VulnId or RuleId>/<files>.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// Filled-in attestation CSV(s) to apply (the import-attestations format).
    #[arg(long, value_name = "CSV")]
    pub answers: Vec<PathBuf>,
    /// System name, shown in the files and in the folder name.
    #[arg(long, default_value = "System")]
    pub system: String,
    /// POA&M column layout (built in).
    #[arg(long, default_value = "emass_joint")]
    pub poam_layout: String,
    /// POA&M column layout from a layout JSON file instead (see docs/package.md); it is
    /// checked first and kept in the package, so reproduce reruns with it.
    #[arg(long, value_name = "JSON", conflicts_with = "poam_layout")]
    pub poam_layout_file: Option<PathBuf>,
    /// A DISA CCI list (U_CCI_List.xml) newer than the built-in one (2025-01-23), to map
    /// the rules' CCIs to NIST SP 800-53 Rev 5 controls; it is checked first and kept in
    /// the package (03_POAM/cci/), so reproduce maps with it.
    #[arg(long, value_name = "XML")]
    pub cci_list: Option<PathBuf>,
    /// Days to scheduled completion for CAT I,II,III.
    #[arg(long, default_value = "30,90,180", value_name = "I,II,III")]
    pub poam_days: String,
    /// POA&M Office/Org cell.
    #[arg(long, default_value = "")]
    pub office: String,
    /// POA&M Resources Required cell.
    #[arg(long, default_value = "")]
    pub resources: String,
    /// eMASS workbook template of 03_POAM/poam.xlsx: navy, army, marine_corps or joint.
    #[arg(long, default_value = "navy", value_name = "NAME")]
    pub emass_template: String,
    /// System profile (TOML): the workbook's banner and rows 2-6, Office/Org and
    /// Resources Required (see docs/package.md); kept in the package.
    #[arg(long, value_name = "TOML")]
    pub system_profile: Option<PathBuf>,
    /// The export time (RFC 3339) [default: $SOURCE_DATE_EPOCH, else now].
    #[arg(long, value_name = "TIME")]
    pub exported_at: Option<String>,
    /// Directory to write the package folder into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace an existing package folder of the same name, whole.
    #[arg(long)]
    pub force: bool,
    /// Package every host that can be read; leave out (and list) the others. The package
    /// is then NOT READY and the exit code is 9.
    #[arg(long)]
    pub keep_going: bool,
    /// Sign the package: write 00_Manifest/provenance.intoto.dsse.json with this Ed25519
    /// private key (PKCS#8 PEM from `stigpack key generate`, mode 0600).
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
    /// A third-party component from the components lock, ROLE=NAME (repeatable): `import`
    /// or `emass` replaces that built-in; `extra` adds an exporter writing to
    /// 07_Extra/NAME/. Each is admitted (signed review, trusted key, unchanged bytes)
    /// before anything runs; a refusal is exit 7.
    #[arg(long = "component", value_name = "ROLE=NAME")]
    pub components: Vec<String>,
    #[command(flatten)]
    pub lock: ComponentLockArgs,
    /// A reviewer's public key whose reviews admit --component components (repeatable;
    /// adds to the config file's trusted_keys).
    #[arg(long = "trusted-key", value_name = "PUB")]
    pub trusted_keys: Vec<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The package folder.
    #[arg(required_unless_present = "poam", conflicts_with = "poam")]
    pub package: Option<PathBuf>,
    /// Check a POA&M workbook alone (e.g. one edited in Excel) against its template.
    #[arg(long, value_name = "XLSX")]
    pub poam: Option<PathBuf>,
    /// The eMASS template the --poam workbook is for.
    #[arg(long, default_value = "navy", value_name = "NAME", requires = "poam")]
    pub emass_template: String,
    /// Print the JSON report instead of text.
    #[arg(long)]
    pub json: bool,
    /// Require a valid signature by this public key (SubjectPublicKeyInfo PEM) over
    /// exactly the files present; repeat to accept any of several keys.
    #[arg(long, value_name = "PUB")]
    pub trusted_key: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    /// The package folder.
    pub package: PathBuf,
    /// Print the JSON report instead of text.
    #[arg(long)]
    pub json: bool,
    /// A reviewer's public key the auditor trusts (repeatable; adds to the config's
    /// trusted_keys): each third-party component's kept review must verify with one
    /// before its code reruns (exit 7 otherwise). Without any, reviews are reported
    /// unchecked.
    #[arg(long = "trusted-key", value_name = "PUB")]
    pub trusted_keys: Vec<PathBuf>,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

#[derive(Debug, Clone, Args)]
pub struct ImportAttestationsArgs {
    /// The package folder; replaced by the new package only once it is complete.
    #[arg(long, value_name = "DIR")]
    pub package: PathBuf,
    /// The filled-in attestation template.
    #[arg(long, value_name = "CSV")]
    pub file: PathBuf,
    /// Sign the new package with this Ed25519 private key (as `export-emass --sign-key`);
    /// without it the new package is unsigned, whatever the old one was.
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
    #[command(flatten)]
    pub lock: ComponentLockArgs,
    /// A reviewer's public key (repeatable; adds to the config's trusted_keys): a package
    /// built with third-party components is rebuilt only if each is admitted again.
    #[arg(long = "trusted-key", value_name = "PUB")]
    pub trusted_keys: Vec<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

#[derive(Debug, Clone, Args)]
pub struct GenFleetArgs {
    /// Output results root.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1000)]
    pub hosts: usize,
    #[arg(long, default_value_t = 800)]
    pub rules: usize,
}

/// The audit log's origin line in checkpoints embedded in packages.
const AUDIT_ORIGIN: &str = "stigpack audit log";

/// The audit log's current checkpoint, as the package records it.
fn audit_checkpoint(log: &stigpack_audit::AuditLog) -> anyhow::Result<Option<String>> {
    Ok(Some(
        log.checkpoint(AUDIT_ORIGIN)
            .context("audit log checkpoint")?
            .to_text(),
    ))
}

/// Records the outcome of a packaging command; the package hash goes into the entry.
fn audit_record(
    log: &stigpack_audit::AuditLog,
    action: &str,
    target: &std::path::Path,
    result: &anyhow::Result<assemble::Built>,
    extra: serde_json::Value,
) -> anyhow::Result<stigpack_audit::Entry> {
    let (outcome, details) = match result {
        Ok(b) => (
            stigpack_audit::Outcome::Success,
            serde_json::json!({
                "packageHash": b.package_hash,
                "packageHashH1": b.package_hash_h1,
                "fileCount": b.file_count,
                "ready": b.is_ready,
                "unreadableHosts": b.unreadable,
                "inputs": extra,
            }),
        ),
        Err(e) => (
            stigpack_audit::Outcome::Failure,
            serde_json::json!({ "error": format!("{e:#}"), "inputs": extra }),
        ),
    };
    log.record(action, &target.display().to_string(), outcome, details)
        .context("recording in the audit log")
}

/// The signing key and its checkpoint signer, read before any work is done.
struct Signing {
    key: stigpack_sign::keys::PrivateKey,
    note: stigpack_audit::SignerKey,
}

fn signing(path: Option<&std::path::Path>) -> anyhow::Result<Option<Signing>> {
    let Some(path) = path else { return Ok(None) };
    let key = crate::keyfile::private_key(path)?;
    let note = crate::keyfile::audit_signer(path)?;
    Ok(Some(Signing { key, note }))
}

/// After the build is recorded: sign the staged package (when a key is given) and move it
/// into place. A failure here is recorded too, so the log never shows a success alone for
/// a package that does not exist.
#[allow(clippy::too_many_arguments)]
fn sign_and_commit(
    log: &stigpack_audit::AuditLog,
    action: &str,
    target: &std::path::Path,
    staged: Staged,
    entry: &stigpack_audit::Entry,
    signing: Option<&Signing>,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let done = (|| -> anyhow::Result<()> {
        if let Some(s) = signing {
            let record = signed::AuditRecord::prove(log, entry, AUDIT_ORIGIN, &s.note)?;
            let st = signed::statement(staged.path(), action, extra, &record)?;
            signed::write(staged.path(), &st, &s.key)?;
        }
        staged.commit()?;
        Ok(())
    })();
    if let Err(e) = &done {
        log.record(
            action,
            &target.display().to_string(),
            stigpack_audit::Outcome::Failure,
            serde_json::json!({ "error": format!("after entry {}: {e:#}", entry.seq) }),
        )
        .context("recording in the audit log")?;
    }
    done
}

fn check_days(days: &str) -> anyhow::Result<()> {
    let ok = days.split(',').count() == 3
        && days
            .split(',')
            .all(|d| d.trim().parse::<u16>().is_ok_and(|n| n <= 3650));
    if ok {
        Ok(())
    } else {
        Err(coded(
            Exit::Usage,
            anyhow::anyhow!("--poam-days {days:?}: expected three day counts like 30,90,180"),
        ))
    }
}

fn answer_name(i: usize, path: &std::path::Path) -> String {
    let base = assemble::sanitized_file_name(path).unwrap_or_else(|| "answers.csv".into());
    format!("{i:03}-{base}")
}

fn regular_file(p: &std::path::Path) -> anyhow::Result<()> {
    let m = std::fs::symlink_metadata(p)
        .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!("{}: {e}", p.display())))?;
    if !m.is_file() {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: not a regular file", p.display()),
        ));
    }
    Ok(())
}

pub fn export(args: ExportEmassArgs, g: &Globals) -> anyhow::Result<Exit> {
    let exported_at = crate::time_arg::export_time(args.exported_at.as_deref())?;
    match &args.poam_layout_file {
        Some(f) => {
            assemble::read_layout_file(f)?;
        }
        None => {
            stig_formats::poam::layout::Layout::builtin(&args.poam_layout)
                .map_err(|e| coded(Exit::Usage, anyhow::anyhow!("--poam-layout: {e}")))?;
        }
    }
    check_days(&args.poam_days)?;
    if let Some(f) = &args.cci_list {
        assemble::read_cci_list(f)?;
    }
    let signing = signing(args.sign_key.as_deref())?;
    stig_formats::poam::template::Template::builtin(&args.emass_template)
        .map_err(|e| coded(Exit::Usage, anyhow::anyhow!("--emass-template: {e}")))?;
    let system_profile = match &args.system_profile {
        Some(p) => Some(assemble::read_profile_toml(p)?),
        None => None,
    };
    let hosts = pipeline::host_dirs(&args.results)?;
    // Outside code is admitted before any guest code runs and before --out is touched.
    let components = admit_components(&args)?;
    let mut benchmarks = Vec::new();
    for (i, b) in args.benchmark.iter().enumerate() {
        regular_file(b)?;
        benchmarks.push((answer_name(i, b), b.clone()));
    }
    let mut answers = Vec::new();
    for (i, a) in args.answers.iter().enumerate() {
        regular_file(a)?;
        answers.push((answer_name(i + 1, a), a.clone()));
    }
    let inputs = assemble::Inputs {
        hosts,
        benchmarks,
        evidence: args.evidence.clone(),
        answers,
        poam_layout: args.poam_layout_file.clone(),
        cci_list: args.cci_list.clone(),
        system_profile,
        components,
        scans_from_package: false,
    };
    let log = g.open_audit_log()?;
    let settings = assemble::Settings {
        system: args.system.clone(),
        exported_at,
        layout: args.poam_layout.clone(),
        days: args.poam_days.clone(),
        office: args.office.clone(),
        resources: args.resources.clone(),
        template: args.emass_template.clone(),
        audit_checkpoint: audit_checkpoint(&log)?,
        keep_going: args.keep_going,
    };
    let target = args.out.join(layout::folder_name(
        &args.system,
        exported_at.unix_timestamp(),
    ));
    let staged = Staged::new(&target, args.force)?;
    let sandbox = args.sandbox.sandbox()?;
    let result = assemble::build(
        &sandbox,
        &args.sandbox.limits(),
        &inputs,
        &settings,
        staged.path(),
    );
    let facts = serde_json::json!({
        "results": args.results.display().to_string(),
        "system": args.system,
        "exportedAt": crate::time_arg::rfc3339(exported_at),
        "poamLayout": match &args.poam_layout_file {
            Some(f) => f.display().to_string(),
            None => args.poam_layout.clone(),
        },
        "cciList": args.cci_list.as_ref().map(|f| f.display().to_string()),
    });
    let mut facts = facts;
    let third_party: Vec<serde_json::Value> = inputs
        .components
        .iter()
        .map(|c| serde_json::json!({"role": c.role, "name": c.name, "sha256": c.source.sha256, "reviewStatementSha256": c.review_statement_sha256, "reviewerKeyid": c.review.reviewer_keyid}))
        .collect();
    if !third_party.is_empty() {
        facts["components"] = serde_json::json!(third_party);
    }
    let entry = audit_record(&log, "export-emass", &target, &result, facts)?;
    let built = result?;
    sign_and_commit(
        &log,
        "export-emass",
        &target,
        staged,
        &entry,
        signing.as_ref(),
        serde_json::json!({}),
    )?;
    let out = target;
    let problems = crate::package::workbook_check::package_problems(&out, &args.emass_template);
    let readiness = crate::package::workbook_check::readiness_line(built.is_ready, &problems);
    let exit = if built.unreadable.is_empty() {
        Exit::Success
    } else {
        Exit::Partial
    };
    if args.json {
        pipeline::report_unreadable(&args.results, &built.unreadable);
        let mut doc = serde_json::json!({
            "package": out.display().to_string(),
            "files": built.file_count,
            "hosts": built.hosts,
            "poamItems": built.poam_items,
            "packageHash": built.package_hash,
            "packageHashH1": built.package_hash_h1,
            "ready": built.is_ready && problems.is_empty(),
            "readiness": readiness,
            "signedBy": signing.as_ref().map(|s| s.key.public().keyid()),
            "unreadableHosts": built.unreadable,
        });
        if !third_party.is_empty() {
            doc["thirdParty"] = serde_json::json!(third_party);
        }
        super::print_json(EXPORT_JSON_SCHEMA, exit, doc)?;
        return Ok(exit);
    }
    println!(
        "wrote {} ({} files, {} host(s), {} POA&M item(s))\npackageHash {}\n            {}\nreadiness: {readiness}",
        out.display(),
        built.file_count,
        built.hosts,
        built.poam_items,
        built.package_hash,
        built.package_hash_h1,
    );
    for c in &third_party {
        println!(
            "third-party: {} ({}) sha256 {}, admitted by key {}",
            c["name"].as_str().unwrap_or(""),
            c["role"].as_str().unwrap_or(""),
            c["sha256"].as_str().unwrap_or(""),
            c["reviewerKeyid"].as_str().unwrap_or("")
        );
    }
    print_signed(signing.as_ref());
    if built.unreadable.is_empty() {
        return Ok(Exit::Success);
    }
    pipeline::report_unreadable(&args.results, &built.unreadable);
    println!(
        "INCOMPLETE: {} host(s) could not be read and were left out (manifest.json unreadableHosts):",
        built.unreadable.len()
    );
    for u in &built.unreadable {
        println!("  {}", u.line());
    }
    Ok(Exit::Partial)
}

/// Parses each `--component ROLE=NAME`, checks export-emass has a slot for the role, and
/// admits the component (`admit_named`). Every refusal is exit 7, the component named.
fn admit_components(
    args: &ExportEmassArgs,
) -> anyhow::Result<Vec<crate::package::thirdparty::ThirdParty>> {
    let refuse = |m: String| coded(Exit::Sandbox, anyhow::anyhow!(m));
    let mut out: Vec<crate::package::thirdparty::ThirdParty> = Vec::new();
    for c in &args.components {
        let (role, name) = c
            .split_once('=')
            .filter(|(r, n)| !r.is_empty() && !n.is_empty())
            .ok_or_else(|| refuse(format!("--component {c:?}: expected ROLE=NAME")))?;
        let role: Role = role
            .parse()
            .map_err(|e: String| refuse(format!("--component {c:?}: {e}")))?;
        match role {
            Role::Import | Role::Emass | Role::Extra => {}
            Role::Checklist => return Err(refuse(format!("--component {c:?}: export-emass has no checklist step to replace: its import runs write the checklists (replace `import`)"))),
            Role::Poam => return Err(refuse(format!("--component {c:?}: export-emass has no separate POA&M step: the emass component writes the POA&M (replace `emass`, or add an `extra` exporter)"))),
            Role::Summary => return Err(refuse(format!("--component {c:?}: export-emass writes no fleet report to replace (add an `extra` exporter)"))),
        }
        if role == Role::Extra {
            stig_formats::safe_host_component(name).map_err(|e| {
                refuse(format!(
                    "--component {c:?}: {name:?} cannot name a folder: {}",
                    e.kind
                ))
            })?;
        }
        if out
            .iter()
            .any(|o| o.role == role && (role != Role::Extra || o.name == name))
        {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!(
                    "--component {c:?}: role {role} is already filled by another --component"
                ),
            ));
        }
        out.push(admit_named(role, name, &args.lock, &args.trusted_keys)?);
    }
    out.sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
    Ok(out)
}

fn print_signed(signing: Option<&Signing>) {
    match signing {
        Some(s) => println!(
            "signed: {} (key id {})",
            crate::package::hashlist::ENVELOPE,
            s.key.public().keyid()
        ),
        None => println!("unsigned (pass --sign-key KEY to sign)"),
    }
}

/// `validate --poam FILE`: the pre-upload check on a workbook alone.
fn validate_workbook(path: &std::path::Path, template: &str, json: bool) -> anyhow::Result<Exit> {
    let t = stig_formats::poam::template::Template::builtin(template)
        .map_err(|e| coded(Exit::Usage, anyhow::anyhow!("--emass-template: {e}")))?;
    let shown = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "poam.xlsx".into());
    let report = crate::package::workbook_check::check_file(path, &shown, &t)
        .map_err(|e| coded(Exit::BadInput, anyhow::anyhow!(e)))?;
    let exit = if report.passed() {
        Exit::Success
    } else {
        Exit::NotReady
    };
    if json {
        super::print_json(
            VALIDATE_POAM_JSON_SCHEMA,
            exit,
            serde_json::to_value(&report).context("serialising the report")?,
        )?;
    } else {
        print!("{}", check::render_workbook(&report));
        println!(
            "\nVerdict: {}",
            if report.passed() {
                "PASSES"
            } else {
                "WOULD BE REJECTED"
            }
        );
    }
    Ok(exit)
}

pub fn validate(args: ValidateArgs) -> anyhow::Result<Exit> {
    let trusted = crate::keyfile::public_keys(&args.trusted_key)?;
    let package = match (&args.poam, &args.package) {
        (Some(x), _) => return validate_workbook(x, &args.emass_template, args.json),
        (None, Some(p)) => p,
        (None, None) => {
            return Err(coded(
                Exit::Usage,
                anyhow::anyhow!("give a package folder or --poam FILE.xlsx"),
            ))
        }
    };
    let report = match check::validate_with(package, &trusted) {
        Ok(r) => r,
        Err(e) => return Err(coded(Exit::BadInput, anyhow::anyhow!(e.0))),
    };
    let exit = if !report.valid {
        Exit::Invalid
    } else if report.ready {
        Exit::Success
    } else {
        Exit::NotReady
    };
    if args.json {
        super::print_json(
            VALIDATE_JSON_SCHEMA,
            exit,
            serde_json::to_value(&report).context("serialising the report")?,
        )?;
    } else {
        print!("{}", check::render_text(&report));
    }
    Ok(exit)
}

pub fn reproduce(args: ReproduceArgs) -> anyhow::Result<Exit> {
    if !args.package.is_dir() {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: not a directory", args.package.display()),
        ));
    }
    let trusted = super::component::trust::trusted_keys(&args.trusted_keys)?;
    let sandbox = args.sandbox.sandbox()?;
    let outcome = repro::reproduce(&sandbox, &args.sandbox.limits(), &args.package, &trusted)?;
    let exit = if outcome.reproduced {
        Exit::Success
    } else {
        Exit::Invalid
    };
    if args.json {
        super::print_json(
            REPRODUCE_JSON_SCHEMA,
            exit,
            serde_json::to_value(&outcome).context("serialising the report")?,
        )?;
    } else {
        for f in &outcome.files {
            match (f.verdict.as_str(), f.first_difference_at) {
                ("same", _) => println!("same            {}", f.path),
                ("subjects-match", _) => {
                    println!("signed subjects {} (match the rebuilt files)", f.path)
                }
                ("subjects-differ", _) => println!(
                    "SUBJECTS DIFFER {} ({})",
                    f.path,
                    f.detail.as_deref().unwrap_or("")
                ),
                ("differs", Some(at)) => {
                    println!("DIFFERS         {} (first difference at byte {at})", f.path)
                }
                (v, _) => println!("{:<15} {}", v.to_uppercase(), f.path),
            }
        }
        for c in &outcome.third_party {
            let t = |k: &str| c[k].as_str().unwrap_or("").to_owned();
            println!(
                "third-party     {} ({}) sha256 {} from {}: admitted by key {} at {} (valid until {}){}; review signature {}",
                t("name"),
                t("role"),
                t("sha256"),
                t("file"),
                t("reviewerKeyid"),
                t("reviewedAt"),
                t("expiresAt"),
                match t("note") {
                    n if n.is_empty() => String::new(),
                    n => format!(": {n}"),
                },
                match t("reviewVerifiedBy") {
                    k if k.is_empty() => "not checked (give --trusted-key)".to_owned(),
                    k => format!("verified with trusted key {k}"),
                }
            );
        }
        let bad = outcome.files.iter().filter(|f| !f.ok()).count();
        if outcome.reproduced {
            println!(
                "\nREPRODUCED: all {} files are byte-identical",
                outcome.files.len()
            );
        } else {
            println!(
                "\nNOT REPRODUCED: {bad} of {} files differ",
                outcome.files.len()
            );
        }
    }
    Ok(exit)
}

pub fn import_attestations(args: ImportAttestationsArgs, g: &Globals) -> anyhow::Result<Exit> {
    regular_file(&args.file)?;
    if !args.package.is_dir() {
        return Err(coded(
            Exit::BadInput,
            anyhow::anyhow!("{}: not a directory", args.package.display()),
        ));
    }
    let signing = signing(args.sign_key.as_deref())?;
    let (mut inputs, settings) = assemble::from_package(&args.package)?;
    // A new package is a new export: the outside code it runs passes the gate again
    // (a review revoked or expired since, or a key no longer trusted, stops it), and must
    // be the very bytes the package ran.
    for c in &mut inputs.components {
        let again = admit_named(c.role, &c.name, &args.lock, &args.trusted_keys)?;
        if again.source.sha256 != c.source.sha256 {
            return Err(coded(
                Exit::Sandbox,
                anyhow::anyhow!(
                    "{} ({}): the package ran SHA-256 {}, but the components lock now pins {}; export the package again to change components",
                    c.name,
                    c.role,
                    c.source.sha256,
                    again.source.sha256
                ),
            ));
        }
        *c = again;
    }
    let next = inputs.answers.len() + 1;
    let added = answer_name(next, &args.file);
    inputs.answers.push((added.clone(), args.file.clone()));
    let log = g.open_audit_log()?;
    let settings = assemble::Settings {
        audit_checkpoint: audit_checkpoint(&log)?,
        ..settings
    };
    let staged = Staged::new(&args.package, true)?;
    let sandbox = args.sandbox.sandbox()?;
    let result = assemble::build(
        &sandbox,
        &args.sandbox.limits(),
        &inputs,
        &settings,
        staged.path(),
    )
    .with_context(|| format!("importing {}", args.file.display()));
    let facts = serde_json::json!({ "file": args.file.display().to_string() });
    let entry = audit_record(&log, "import-attestations", &args.package, &result, facts)?;
    let built = result?;
    sign_and_commit(
        &log,
        "import-attestations",
        &args.package,
        staged,
        &entry,
        signing.as_ref(),
        serde_json::json!({ "attestationFile": format!("{}/{added}", stig_formats::package_artifacts::paths::ANSWERS_DIR) }),
    )?;
    let out = args.package.clone();
    let problems = crate::package::workbook_check::package_problems(
        &out,
        &crate::package::validate::recorded_template(&out),
    );
    let readiness = crate::package::workbook_check::readiness_line(built.is_ready, &problems);
    if args.json {
        super::print_json(
            IMPORT_JSON_SCHEMA,
            Exit::Success,
            serde_json::json!({
                "package": out.display().to_string(),
                "file": args.file.display().to_string(),
                "packageHash": built.package_hash,
                "ready": built.is_ready && problems.is_empty(),
                "readiness": readiness,
                "signedBy": signing.as_ref().map(|s| s.key.public().keyid()),
            }),
        )?;
        return Ok(Exit::Success);
    }
    println!(
        "imported {} into {}\npackageHash {}\nreadiness: {readiness}",
        args.file.display(),
        out.display(),
        built.package_hash,
    );
    print_signed(signing.as_ref());
    Ok(Exit::Success)
}

pub fn gen_fleet(args: GenFleetArgs) -> anyhow::Result<Exit> {
    crate::package::genfleet::generate(&args.out, args.hosts, args.rules)?;
    println!(
        "wrote {} host(s) x {} rule(s) to {}",
        args.hosts,
        args.rules,
        args.out.display()
    );
    Ok(Exit::Success)
}
