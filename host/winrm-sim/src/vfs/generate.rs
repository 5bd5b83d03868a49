//! Generates each simulated host's scan results deterministically from the fleet seed:
//! what Evaluate-STIG leaves on a Windows Server 2022 host (a CKL, a CKLB, XCCDF results,
//! SummaryReport.xml) under `C:\STIG\Results\<HOST>\`, plus the tool itself under
//! `C:\STIG\Evaluate-STIG\`. Same seed and host name, byte-identical files.

use std::sync::Arc;

use serde_json::json;

use super::{Content, Vfs};
use crate::rng::SeedRng;
use crate::soap::xml::escape;

/// Root of every host's results.
pub const RESULTS_ROOT: &str = r"C:\STIG\Results";
/// The simulated Evaluate-STIG installation.
pub const TOOL_PATH: &str = r"C:\STIG\Evaluate-STIG\Evaluate-STIG.ps1";

const STIG_TITLE: &str = "Microsoft Windows Server 2022 Security Technical Implementation Guide";
const STIG_ID: &str = "MS_Windows_Server_2022_STIG";
const STIG_VERSION: &str = "2";
const STIG_RELEASE: &str = "4";
const RELEASE_INFO: &str = "Release: 4 Benchmark Date: 02 Apr 2025";

/// (Rule_Ver, severity, title) for the rules the checklist carries first; the rest of the
/// checklist is filled with numbered policy rules so files have a realistic size.
const RULES: &[(&str, &str, &str)] = &[
    ("WN22-00-000010", "medium", "Windows Server 2022 users with Administrative privileges must have separate accounts for administrative duties and normal operational tasks."),
    ("WN22-00-000020", "medium", "Windows Server 2022 passwords for the built-in Administrator account must be changed at least every 60 days."),
    ("WN22-00-000030", "high", "Windows Server 2022 administrative accounts must not be used with applications that access the internet, such as web browsers, or with potential internet sources, such as email."),
    ("WN22-00-000100", "high", "Windows Server 2022 must be maintained at a supported servicing level."),
    ("WN22-00-000110", "high", "Windows Server 2022 must use an anti-virus program."),
    ("WN22-00-000140", "high", "Windows Server 2022 permissions for the system drive root directory (usually C:\\) must conform to minimum requirements."),
    ("WN22-00-000230", "medium", "Windows Server 2022 must not have the Fax Server role installed."),
    ("WN22-00-000320", "medium", "Windows Server 2022 must not have Simple TCP/IP Services installed."),
    ("WN22-00-000380", "medium", "Windows Server 2022 data files owned by users must be on a different logical partition from the directory server data files."),
    ("WN22-AC-000010", "medium", "Windows Server 2022 account lockout duration must be configured to 15 minutes or greater."),
    ("WN22-AC-000020", "medium", "Windows Server 2022 must have the number of allowed bad logon attempts configured to three or less."),
    ("WN22-AC-000030", "medium", "Windows Server 2022 must have the period of time before the bad logon counter is reset configured to 15 minutes or greater."),
    ("WN22-AC-000040", "medium", "Windows Server 2022 password history must be configured to 24 passwords remembered."),
    ("WN22-AC-000070", "medium", "Windows Server 2022 minimum password length must be configured to 14 characters."),
    ("WN22-AC-000090", "high", "Windows Server 2022 reversible password encryption must be disabled."),
    ("WN22-AU-000030", "medium", "Windows Server 2022 permissions for the Application event log must prevent access by non-privileged accounts."),
    ("WN22-CC-000010", "medium", "Windows Server 2022 must prevent the display of slide shows on the lock screen."),
    ("WN22-CC-000150", "high", "Windows Server 2022 AutoPlay must be turned off for non-volume devices."),
    ("WN22-CC-000460", "high", "Windows Server 2022 Windows Remote Management (WinRM) client must not use Basic authentication."),
    ("WN22-CC-000470", "medium", "Windows Server 2022 Windows Remote Management (WinRM) client must not allow unencrypted traffic."),
    ("WN22-CC-000480", "medium", "Windows Server 2022 Windows Remote Management (WinRM) client must not use Digest authentication."),
    ("WN22-CC-000490", "high", "Windows Server 2022 Windows Remote Management (WinRM) service must not use Basic authentication."),
    ("WN22-CC-000500", "medium", "Windows Server 2022 Windows Remote Management (WinRM) service must not allow unencrypted traffic."),
    ("WN22-CC-000510", "medium", "Windows Server 2022 Windows Remote Management (WinRM) service must not store RunAs credentials."),
    ("WN22-SO-000010", "medium", "Windows Server 2022 must have the built-in guest account disabled."),
    ("WN22-SO-000020", "high", "Windows Server 2022 must prevent local accounts with blank passwords from being used from the network."),
    ("WN22-SO-000380", "high", "Windows Server 2022 must be configured to prevent anonymous users from having the same permissions as the Everyone group."),
    ("WN22-SO-000410", "high", "Windows Server 2022 LAN Manager authentication level must be configured to send NTLMv2 response only and to refuse LM and NTLM."),
    ("WN22-UR-000010", "high", "Windows Server 2022 Access Credential Manager as a trusted caller user right must not be assigned to any groups or accounts."),
    ("WN22-UR-000030", "high", "Windows Server 2022 Act as part of the operating system user right must not be assigned to any groups or accounts."),
];
/// Rules per checklist (the real STIG has ~270; this keeps files realistic yet quick).
const RULE_COUNT: usize = 120;

#[derive(Debug, Clone)]
struct Rule {
    vuln: String,
    rule_id: String,
    rule_ver: String,
    severity: &'static str,
    title: String,
    status: &'static str,
    cci: String,
    details: String,
}

fn rules_for(rng: &mut SeedRng, host: &str) -> Vec<Rule> {
    (0..RULE_COUNT)
        .map(|i| {
            let n = 254_238 + i as u64;
            let (ver, severity, title) = match RULES.get(i) {
                Some((v, s, t)) => (v.to_string(), *s, t.to_string()),
                None => (
                    format!("WN22-CC-{:06}", 520 + i * 10),
                    if i % 7 == 0 { "low" } else { "medium" },
                    format!("Windows Server 2022 security policy setting {} must be configured as the STIG requires.", 520 + i * 10),
                ),
            };
            let roll = rng.below(100);
            let status = match roll {
                0..=59 => "NotAFinding",
                60..=79 => "Open",
                80..=91 => "Not_Applicable",
                _ => "Not_Reviewed",
            };
            let details = match status {
                "NotAFinding" => format!("Evaluate-STIG: the setting on {host} matches the expected value."),
                "Open" => format!("Evaluate-STIG: the setting on {host} does not match. Value found: {}", rng.below(10)),
                "Not_Applicable" => "Evaluate-STIG: this requirement does not apply to this system role.".to_string(),
                _ => String::new(),
            };
            Rule {
                vuln: format!("V-{n}"),
                rule_id: format!("SV-{n}r{}_rule", 849_000 + n % 1000),
                rule_ver: ver,
                severity,
                title,
                status,
                cci: format!("CCI-{:06}", 366 + (n % 1800)),
                details,
            }
        })
        .collect()
}

fn bytes(s: String) -> Content {
    Content::Bytes(Arc::new(s.into_bytes()))
}

/// When a scan ran (UTC): names the result files and dates their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 100 ns ticks within the second, for the tool's own precise scan time; `None` for
    /// the results a host starts with (dated to the second, as they always were).
    pub ticks: Option<u32>,
}

impl ScanTime {
    /// The time now, from the system clock.
    pub fn now() -> ScanTime {
        ScanTime::from_system(std::time::SystemTime::now())
    }

    pub fn from_system(t: std::time::SystemTime) -> ScanTime {
        let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let secs = d.as_secs();
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days as i64);
        ScanTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: ((rem % 3600) / 60) as u32,
            second: (rem % 60) as u32,
            ticks: Some(d.subsec_nanos() / 100),
        }
    }

    /// `2026-03-14T09:41:07Z`.
    pub fn stamp(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `.NET`'s round-trip format when the ticks are known, else [`Self::stamp`].
    pub fn precise(&self) -> String {
        match self.ticks {
            Some(t) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{t:07}Z",
                self.year, self.month, self.day, self.hour, self.minute, self.second
            ),
            None => self.stamp(),
        }
    }

    /// `20260314-094107`, as Evaluate-STIG names its files.
    fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `03/14/2026`, as SummaryReport.xml dates a scan.
    fn us_date(&self) -> String {
        format!("{:02}/{:02}/{:04}", self.month, self.day, self.year)
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What has been done to a host since the simulator started it: the state a scan
/// reports on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostState {
    /// The PowerSTIG baseline has been applied: the settings DSC can set are compliant.
    pub hardened: bool,
}

/// Which checklist formats a scan writes (`-Output`); SummaryReport.xml is always written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub ckl: bool,
    pub cklb: bool,
    pub xccdf: bool,
}

impl Formats {
    pub const ALL: Formats = Formats {
        ckl: true,
        cklb: true,
        xccdf: true,
    };

    /// From Evaluate-STIG's `-Output` value (`CKL,CKLB`, any case); formats the simulator
    /// does not write (CSV, OQE, ...) are ignored. No `-Output`: every format.
    pub fn from_output_arg(v: Option<&str>) -> Formats {
        let Some(v) = v else {
            return Formats::ALL;
        };
        let has = |name: &str| v.split(',').any(|f| f.trim().eq_ignore_ascii_case(name));
        Formats {
            ckl: has("CKL"),
            cklb: has("CKLB"),
            xccdf: has("XCCDF"),
        }
    }
}

/// Where the simulated PowerSTIG apply script lives (the `powerstig` profile's program).
pub const POWERSTIG_PATH: &str = r"C:\STIG\PowerSTIG\Apply-PowerStig.ps1";

/// Everything about a host that its scans report and that never changes: rules and their
/// seeded statuses, addresses, identifiers, and the time of the results it starts with.
#[derive(Debug, Clone)]
struct HostBase {
    upper: String,
    rules: Vec<Rule>,
    ip: String,
    mac: String,
    host_guid: String,
    stig_uuid: String,
    /// Draws the CKLB's identifiers: cloned for each scan, so they are stable.
    cklb_rng: SeedRng,
    initial: ScanTime,
}

fn host_base(name: &str, seed: u64) -> HostBase {
    // The draw order is the one the first results were made with: same seed, same files.
    let mut rng = SeedRng::derive(seed, name);
    let upper = name.to_ascii_uppercase();
    let rules = rules_for(&mut rng, &upper);
    let minute = rng.below(60) as u32;
    let hour = 8 + rng.below(10) as u32;
    let ip = format!("10.20.{}.{}", 1 + rng.below(250), 1 + rng.below(250));
    let mac = format!(
        "00:15:5D:{:02X}:{:02X}:{:02X}",
        rng.below(256),
        rng.below(256),
        rng.below(256)
    );
    let host_guid = rng.guid();
    let stig_uuid = rng.guid().to_ascii_lowercase();
    HostBase {
        upper,
        rules,
        ip,
        mac,
        host_guid,
        stig_uuid,
        cklb_rng: rng,
        initial: ScanTime {
            year: 2026,
            month: 3,
            day: 14,
            hour,
            minute,
            second: 7,
            ticks: None,
        },
    }
}

/// The rules as a scan of a host in `state` finds them: after an apply, every Open rule
/// DSC can set is NotAFinding; the rest (about one in three Open rules: manual checks,
/// documentation) stays Open.
fn rules_in_state(base: &HostBase, state: HostState) -> Vec<Rule> {
    let mut rules = base.rules.clone();
    if state.hardened {
        let open = rules.iter_mut().filter(|r| r.status == "Open");
        for (k, r) in open.enumerate() {
            if k % 3 != 2 {
                r.status = "NotAFinding";
                r.details = format!(
                    "Evaluate-STIG: the setting on {} matches the expected value.",
                    base.upper
                );
            }
        }
    }
    rules
}

/// How many Open rules an apply makes compliant on a host.
pub fn hardening_fixes(name: &str, seed: u64) -> usize {
    let base = host_base(name, seed);
    let before = base.rules.iter().filter(|r| r.status == "Open").count();
    let after = rules_in_state(&base, HostState { hardened: true })
        .iter()
        .filter(|r| r.status == "Open")
        .count();
    before - after
}

/// The files one scan writes under `out_root\<HOST>\`: (path, content, modified).
fn scan_files(
    base: &HostBase,
    state: HostState,
    time: ScanTime,
    out_root: &str,
    formats: Formats,
) -> Vec<(String, Content, String)> {
    let rules = rules_in_state(base, state);
    let stamp = time.stamp();
    let precise = time.precise();
    let ctx = Ctx {
        host: &base.upper,
        ip: &base.ip,
        mac: &base.mac,
        stamp: &stamp,
        precise: &precise,
        us_date: &time.us_date(),
        stig_uuid: &base.stig_uuid,
        host_guid: &base.host_guid,
    };
    let root = out_root.trim_end_matches(['\\', '/']);
    let dir = format!(r"{root}\{}", base.upper);
    let name = format!(
        "{}_{STIG_ID}_V{STIG_VERSION}R{STIG_RELEASE}_{}",
        base.upper,
        time.compact()
    );
    let mut files = Vec::new();
    if formats.ckl {
        files.push((
            format!(r"{dir}\Checklist\{name}.ckl"),
            bytes(ckl(&ctx, &rules)),
        ));
    }
    if formats.cklb {
        let mut rng = base.cklb_rng.clone();
        files.push((
            format!(r"{dir}\Checklist\{name}.cklb"),
            bytes(cklb(&ctx, &rules, &mut rng)),
        ));
    }
    if formats.xccdf {
        files.push((
            format!(r"{dir}\XCCDF\{name}_XCCDF-Results.xml"),
            bytes(xccdf(&ctx, &rules)),
        ));
    }
    files.push((
        format!(r"{dir}\SummaryReport.xml"),
        bytes(summary(&ctx, &rules)),
    ));
    files
        .into_iter()
        .map(|(p, c)| (p, c, stamp.clone()))
        .collect()
}

/// Builds the file system of one host.
pub fn host_vfs(name: &str, seed: u64) -> Vfs {
    let base = host_base(name, seed);
    let mut vfs = Vfs::default();
    for (path, content, modified) in scan_files(
        &base,
        HostState::default(),
        base.initial,
        RESULTS_ROOT,
        Formats::ALL,
    ) {
        vfs.insert(&path, content, &modified);
    }
    vfs.insert(
        TOOL_PATH,
        bytes(TOOL_SCRIPT.to_string()),
        "2025-07-01T12:00:00Z",
    );
    vfs.insert(
        POWERSTIG_PATH,
        bytes(stigpack_winrm::fleet::profile::POWERSTIG_APPLY_SCRIPT.to_string()),
        "2025-07-01T12:00:00Z",
    );
    vfs
}

/// A fresh scan of a host in `state` at `time`: `out_root\<HOST>\` is replaced by the
/// new results (deterministic given the host, its state and the time). Returns the paths
/// written.
pub fn rescan(
    vfs: &mut Vfs,
    name: &str,
    seed: u64,
    state: HostState,
    time: ScanTime,
    out_root: &str,
    formats: Formats,
) -> Vec<String> {
    let base = host_base(name, seed);
    let root = out_root.trim_end_matches(['\\', '/']);
    vfs.remove_under(&format!(r"{root}\{}", base.upper));
    let mut written = Vec::new();
    for (path, content, modified) in scan_files(&base, state, time, out_root, formats) {
        vfs.insert(&path, content, &modified);
        written.push(path);
    }
    written
}

struct Ctx<'a> {
    host: &'a str,
    ip: &'a str,
    mac: &'a str,
    stamp: &'a str,
    /// The tool's own record of the scan time (sub-second for fresh scans).
    precise: &'a str,
    us_date: &'a str,
    stig_uuid: &'a str,
    host_guid: &'a str,
}

const TOOL_SCRIPT: &str = "<#\r\n.SYNOPSIS\r\n  Evaluate-STIG (simulated installation on a stigpack simulator host).\r\n#>\r\nparam([string]$ScanType = 'Unclassified', [string]$OutputPath = 'C:\\STIG\\Results')\r\n";

fn ckl(c: &Ctx<'_>, rules: &[Rule]) -> String {
    let mut s = String::with_capacity(rules.len() * 3000);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--Evaluate-STIG 1.2507.6 (stigpack simulator)-->\n<CHECKLIST>\n\t<ASSET>\n");
    for (k, v) in [
        ("ROLE", "Member Server"),
        ("ASSET_TYPE", "Computing"),
        ("MARKING", "CUI"),
        ("HOST_NAME", c.host),
        ("HOST_IP", c.ip),
        ("HOST_MAC", c.mac),
        (
            "HOST_FQDN",
            &format!("{}.sim.stigpack.test", c.host.to_ascii_lowercase()),
        ),
        ("TARGET_COMMENT", ""),
        ("TECH_AREA", "Windows OS"),
        ("TARGET_KEY", "5467"),
        ("WEB_OR_DATABASE", "false"),
        ("WEB_DB_SITE", ""),
        ("WEB_DB_INSTANCE", ""),
    ] {
        s.push_str(&format!("\t\t<{k}>{}</{k}>\n", escape(v)));
    }
    s.push_str("\t</ASSET>\n\t<STIGS>\n\t\t<iSTIG>\n\t\t\t<STIG_INFO>\n");
    for (k, v) in [
        ("version", STIG_VERSION.to_string()),
        ("classification", "UNCLASSIFIED".to_string()),
        ("customname", String::new()),
        ("stigid", STIG_ID.to_string()),
        ("description", "This Security Technical Implementation Guide is published as a tool to improve the security of Department of Defense (DOD) information systems.".to_string()),
        ("filename", "U_MS_Windows_Server_2022_STIG_V2R4_Manual-xccdf.xml".to_string()),
        ("releaseinfo", RELEASE_INFO.to_string()),
        ("title", STIG_TITLE.to_string()),
        ("uuid", c.stig_uuid.to_string()),
        ("notice", "terms-of-use".to_string()),
        ("source", "STIG.DOD.MIL".to_string()),
    ] {
        if v.is_empty() {
            s.push_str(&format!("\t\t\t\t<SI_DATA>\n\t\t\t\t\t<SID_NAME>{k}</SID_NAME>\n\t\t\t\t</SI_DATA>\n"));
        } else {
            s.push_str(&format!("\t\t\t\t<SI_DATA>\n\t\t\t\t\t<SID_NAME>{k}</SID_NAME>\n\t\t\t\t\t<SID_DATA>{}</SID_DATA>\n\t\t\t\t</SI_DATA>\n", escape(&v)));
        }
    }
    s.push_str("\t\t\t</STIG_INFO>\n");
    let stigref = format!("{STIG_TITLE} :: Version {STIG_VERSION}, {RELEASE_INFO}");
    for r in rules {
        s.push_str("\t\t\t<VULN>\n");
        let attrs: [(&str, String); 27] = [
            ("Vuln_Num", r.vuln.clone()),
            ("Severity", r.severity.to_string()),
            ("Group_Title", "SRG-OS-000480-GPOS-00227".to_string()),
            ("Rule_ID", r.rule_id.clone()),
            ("Rule_Ver", r.rule_ver.clone()),
            ("Rule_Title", r.title.clone()),
            ("Vuln_Discuss", format!("Misconfiguration of this setting weakens the system. {}", r.title)),
            ("IA_Controls", String::new()),
            ("Check_Content", "Verify the effective setting in Local Group Policy Editor or the registry. If it is not configured as required, this is a finding.".to_string()),
            ("Fix_Text", "Configure the policy value as specified in the requirement.".to_string()),
            ("False_Positives", String::new()),
            ("False_Negatives", String::new()),
            ("Documentable", "false".to_string()),
            ("Mitigations", String::new()),
            ("Potential_Impact", String::new()),
            ("Third_Party_Tools", String::new()),
            ("Mitigation_Control", String::new()),
            ("Responsibility", String::new()),
            ("Security_Override_Guidance", String::new()),
            ("Check_Content_Ref", "M".to_string()),
            ("Weight", "10.0".to_string()),
            ("Class", "Unclass".to_string()),
            ("STIGRef", stigref.clone()),
            ("TargetKey", "5467".to_string()),
            ("STIG_UUID", c.stig_uuid.to_string()),
            ("LEGACY_ID", String::new()),
            ("CCI_REF", r.cci.clone()),
        ];
        for (k, v) in attrs {
            s.push_str(&format!(
                "\t\t\t\t<STIG_DATA>\n\t\t\t\t\t<VULN_ATTRIBUTE>{k}</VULN_ATTRIBUTE>\n\t\t\t\t\t<ATTRIBUTE_DATA>{}</ATTRIBUTE_DATA>\n\t\t\t\t</STIG_DATA>\n",
                escape(&v)
            ));
        }
        s.push_str(&format!(
            "\t\t\t\t<STATUS>{}</STATUS>\n\t\t\t\t<FINDING_DETAILS>{}</FINDING_DETAILS>\n\t\t\t\t<COMMENTS></COMMENTS>\n\t\t\t\t<SEVERITY_OVERRIDE></SEVERITY_OVERRIDE>\n\t\t\t\t<SEVERITY_JUSTIFICATION></SEVERITY_JUSTIFICATION>\n\t\t\t</VULN>\n",
            r.status,
            escape(&r.details)
        ));
    }
    s.push_str("\t\t</iSTIG>\n\t</STIGS>\n</CHECKLIST>\n");
    s
}

fn cklb_status(s: &str) -> &'static str {
    match s {
        "NotAFinding" => "not_a_finding",
        "Open" => "open",
        "Not_Applicable" => "not_applicable",
        _ => "not_reviewed",
    }
}

fn cklb(c: &Ctx<'_>, rules: &[Rule], rng: &mut SeedRng) -> String {
    let rules_json: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            let gid = r.vuln.clone();
            json!({
                "uuid": rng.guid().to_ascii_lowercase(),
                "stig_uuid": c.stig_uuid,
                "target_key": null,
                "stig_ref": null,
                "group_id": gid,
                "rule_id": r.rule_id.trim_end_matches("_rule"),
                "rule_id_src": r.rule_id,
                "weight": "10.0",
                "classification": "Unclassified",
                "severity": r.severity,
                "rule_version": r.rule_ver,
                "group_title": "SRG-OS-000480-GPOS-00227",
                "rule_title": r.title,
                "fix_text": "Configure the policy value as specified in the requirement.",
                "false_positives": "",
                "false_negatives": "",
                "discussion": format!("Misconfiguration of this setting weakens the system. {}", r.title),
                "check_content": "Verify the effective setting in Local Group Policy Editor or the registry. If it is not configured as required, this is a finding.",
                "documentable": "false",
                "mitigations": "",
                "potential_impacts": "",
                "third_party_tools": "",
                "mitigation_control": "",
                "responsibility": "",
                "security_override_guidance": "",
                "ia_controls": "",
                "check_content_ref": {"href": "", "name": "M"},
                "legacy_ids": [],
                "ccis": [r.cci],
                "group_tree": [{"id": gid, "title": "SRG-OS-000480-GPOS-00227", "description": "<GroupDescription></GroupDescription>"}],
                "createdAt": c.stamp,
                "updatedAt": c.stamp,
                "STIGUuid": c.stig_uuid,
                "status": cklb_status(r.status),
                "overrides": {},
                "comments": "",
                "finding_details": r.details,
            })
        })
        .collect();
    let doc = json!({
        "title": format!("{}_{}", c.host, STIG_ID),
        "id": rng.guid().to_ascii_lowercase(),
        "stigs": [{
            "stig_name": STIG_TITLE,
            "display_name": "Windows Server 2022",
            "stig_id": STIG_ID,
            "release_info": RELEASE_INFO,
            "version": STIG_VERSION,
            "uuid": c.stig_uuid,
            "reference_identifier": "5467",
            "size": rules.len(),
            "rules": rules_json,
        }],
        "active": false,
        "mode": 2,
        "has_path": true,
        "target_data": {
            "target_type": "Computing",
            "host_name": c.host,
            "ip_address": c.ip,
            "mac_address": c.mac,
            "fqdn": format!("{}.sim.stigpack.test", c.host.to_ascii_lowercase()),
            "comments": "",
            "role": "Member Server",
            "is_web_database": false,
            "technology_area": "Windows OS",
            "web_db_site": "",
            "web_db_instance": "",
            "classification": null,
        },
        "cklb_version": "1.0",
        "evaluate-stig": {"version": "1.2507.6", "time": c.precise, "module": {"name": "Scan-WindowsServer2022_Checks"}},
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn xccdf_result(s: &str) -> &'static str {
    match s {
        "NotAFinding" => "pass",
        "Open" => "fail",
        "Not_Applicable" => "notapplicable",
        _ => "notchecked",
    }
}

fn xccdf(c: &Ctx<'_>, rules: &[Rule]) -> String {
    let mut s = String::with_capacity(rules.len() * 400);
    s.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Benchmark xmlns=\"http://checklists.nist.gov/xccdf/1.2\" id=\"xccdf_mil.disa.stig_benchmark_{STIG_ID}\" resolved=\"1\" xml:lang=\"en\">\n  <status date=\"2025-04-02\">accepted</status>\n  <title>{}</title>\n  <version>{STIG_VERSION}</version>\n",
        escape(STIG_TITLE)
    ));
    s.push_str(&format!(
        "  <TestResult id=\"xccdf_mil.disa.stig_testresult_{}\" start-time=\"{}\" end-time=\"{}\" version=\"{STIG_VERSION}\">\n    <title>Evaluate-STIG results</title>\n    <benchmark href=\"U_MS_Windows_Server_2022_STIG_V2R4_Manual-xccdf.xml\" id=\"xccdf_mil.disa.stig_benchmark_{STIG_ID}\"/>\n    <target>{}</target>\n    <target-address>{}</target-address>\n    <target-facts>\n      <fact name=\"urn:xccdf:fact:asset:identifier:fqdn\" type=\"string\">{}.sim.stigpack.test</fact>\n      <fact name=\"urn:xccdf:fact:asset:identifier:mac\" type=\"string\">{}</fact>\n      <fact name=\"urn:xccdf:fact:asset:identifier:guid\" type=\"string\">{}</fact>\n    </target-facts>\n",
        c.host, c.stamp, c.stamp, c.host, c.ip, c.host.to_ascii_lowercase(), c.mac, c.host_guid
    ));
    for r in rules {
        s.push_str(&format!(
            "    <rule-result idref=\"xccdf_mil.disa.stig_rule_{}\" severity=\"{}\" time=\"{}\" weight=\"10.0\">\n      <result>{}</result>\n      <ident system=\"http://cyber.mil/cci\">{}</ident>\n    </rule-result>\n",
            r.rule_id, r.severity, c.stamp, xccdf_result(r.status), r.cci
        ));
    }
    let pass = rules.iter().filter(|r| r.status == "NotAFinding").count();
    let scored = rules
        .iter()
        .filter(|r| matches!(r.status, "NotAFinding" | "Open"))
        .count();
    let score = if scored == 0 {
        0.0
    } else {
        100.0 * pass as f64 / scored as f64
    };
    s.push_str(&format!(
        "    <score system=\"urn:xccdf:scoring:default\" maximum=\"100\">{score:.2}</score>\n  </TestResult>\n</Benchmark>\n"
    ));
    s
}

fn summary(c: &Ctx<'_>, rules: &[Rule]) -> String {
    let cat = |sev: &str| -> Vec<&Rule> { rules.iter().filter(|r| r.severity == sev).collect() };
    let count = |rs: &[&Rule], st: &str| rs.iter().filter(|r| r.status == st).count();
    let mut s = String::new();
    s.push_str("\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Summary>\n  <Computer>\n");
    s.push_str(&format!(
        "    <ScanDate>{}</ScanDate>\n    <EvalSTIGVer>1.2507.6</EvalSTIGVer>\n    <ScanType>Unclassified</ScanType>\n    <Name>{}</Name>\n    <Manufacturer>Microsoft Corporation</Manufacturer>\n    <Model>Virtual Machine</Model>\n    <SerialNumber>{}</SerialNumber>\n    <BIOSVersion>Hyper-V UEFI Release v4.1</BIOSVersion>\n    <OSName>Microsoft Windows Server 2022 Standard</OSName>\n    <OSVersion>10.0.20348</OSVersion>\n    <OSArchitecture>64-bit</OSArchitecture>\n    <CPUArchitecture>x64</CPUArchitecture>\n    <NetworkAdapters>\n      <Adapter InterfaceIndex=\"6\">\n        <Caption>Microsoft Hyper-V Network Adapter</Caption>\n        <MACAddress>{}</MACAddress>\n        <IPv4Addresses>{}</IPv4Addresses>\n        <IPv6Addresses>\n        </IPv6Addresses>\n      </Adapter>\n    </NetworkAdapters>\n    <DistinguishedName>CN={},OU=Servers,DC=sim,DC=stigpack,DC=test</DistinguishedName>\n    <ScannedUserProfile>SYSTEM</ScannedUserProfile>\n",
        c.us_date, c.host, c.host_guid.replace('-', "").get(..20).unwrap_or_default(), c.mac, c.ip, c.host
    ));
    let (c1, c2, c3) = (cat("high"), cat("medium"), cat("low"));
    let open_nr = |rs: &[&Rule]| count(rs, "Open") + count(rs, "Not_Reviewed");
    let possible = |rs: &[&Rule]| rs.len() - count(rs, "Not_Applicable");
    let total_open = open_nr(&c1) + open_nr(&c2) + open_nr(&c3);
    let total_possible = possible(&c1) + possible(&c2) + possible(&c3);
    let weighted = (100 * (total_possible - total_open))
        .checked_div(total_possible)
        .unwrap_or(0);
    let risk = match open_nr(&c1) {
        0 if weighted >= 90 => "Low",
        0 => "Moderate",
        1..=2 => "High",
        _ => "Very High",
    };
    s.push_str(&format!(
        "    <Score>\n      <CATI_OpenNRTotal>{}</CATI_OpenNRTotal>\n      <CATI_PossibleTotal>{}</CATI_PossibleTotal>\n      <CATII_OpenNRTotal>{}</CATII_OpenNRTotal>\n      <CATII_PossibleTotal>{}</CATII_PossibleTotal>\n      <CATIII_OpenNRTotal>{}</CATIII_OpenNRTotal>\n      <CATIII_PossibleTotal>{}</CATIII_PossibleTotal>\n      <CountRetrievalSuccess>1</CountRetrievalSuccess>\n      <RiskRating>{risk}</RiskRating>\n      <WeightedAvg>{weighted}</WeightedAvg>\n    </Score>\n  </Computer>\n  <Results>\n",
        open_nr(&c1), possible(&c1), open_nr(&c2), possible(&c2), open_nr(&c3), possible(&c3)
    ));
    let pass = rules.iter().filter(|r| r.status == "NotAFinding").count();
    let eval = 100.0 * pass as f64 / rules.len().max(1) as f64;
    s.push_str(&format!(
        "    <Result STIG=\"WindowsServer2022\" Version=\"{STIG_VERSION}\" Release=\"{STIG_RELEASE}\" Site=\"\" Instance=\"\" ShortName=\"WinServer2022\" StartTime=\"{}\" EvalScore=\"{eval:.2}\">\n",
        c.stamp
    ));
    for (tag, rs) in [("CAT_I", &c1), ("CAT_II", &c2), ("CAT_III", &c3)] {
        s.push_str(&format!(
            "      <{tag} Total=\"{}\" Not_Applicable=\"{}\" Open=\"{}\" NotAFinding=\"{}\" Not_Reviewed=\"{}\"",
            rs.len(),
            count(rs, "Not_Applicable"),
            count(rs, "Open"),
            count(rs, "NotAFinding"),
            count(rs, "Not_Reviewed")
        ));
        if rs.is_empty() {
            s.push_str(" />\n");
            continue;
        }
        s.push_str(">\n");
        for r in rs.iter() {
            s.push_str(&format!(
                "        <Vuln RuleTitle=\"{}\" Status=\"{}\" ID=\"{}\" Override=\"\" Justification=\"\" AFStatusChange=\"\" PreAFStatus=\"\" />\n",
                escape(&r.title), r.status, r.vuln
            ));
        }
        s.push_str(&format!("      </{tag}>\n"));
    }
    s.push_str("    </Result>\n  </Results>\n</Summary>\n");
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::soap::xml;

    #[test]
    fn deterministic_per_seed_and_host() {
        let a = host_vfs("host1", 42);
        let b = host_vfs("host1", 42);
        let c = host_vfs("host1", 43);
        let d = host_vfs("host2", 42);
        let files = |v: &Vfs| {
            v.walk(RESULTS_ROOT)
                .into_iter()
                .map(|f| (f.path.clone(), f.content.sha256_hex()))
                .collect::<Vec<_>>()
        };
        assert_eq!(files(&a), files(&b));
        assert_ne!(files(&a), files(&c));
        assert_ne!(files(&a), files(&d));
        assert_eq!(files(&a).len(), 4);
    }

    /// Statuses as each format records them: (CKL, CKLB, XCCDF) counts of Open.
    fn open_counts(v: &Vfs, dir: &str) -> (usize, usize, usize) {
        let (mut ckl, mut cklb, mut xccdf) = (0, 0, 0);
        for f in v.walk(dir) {
            let text = String::from_utf8(f.content.read(0, f.content.len())).unwrap();
            if f.path.ends_with(".ckl") {
                ckl = text.matches("<STATUS>Open</STATUS>").count();
            } else if f.path.ends_with(".cklb") {
                cklb = text.matches("\"status\": \"open\"").count();
            } else if f.path.ends_with("_XCCDF-Results.xml") {
                xccdf = text.matches("<result>fail</result>").count();
            }
        }
        (ckl, cklb, xccdf)
    }

    fn at(hour: u32, second: u32) -> ScanTime {
        ScanTime {
            year: 2026,
            month: 12,
            day: 2,
            hour,
            minute: 5,
            second,
            ticks: Some(1234),
        }
    }

    #[test]
    fn a_scan_replaces_results_deterministically_with_its_time() {
        let dir = format!(r"{RESULTS_ROOT}\HOST3");
        let scan = |state: HostState, time: ScanTime| {
            let mut v = host_vfs("host3", 9);
            let written = rescan(&mut v, "host3", 9, state, time, RESULTS_ROOT, Formats::ALL);
            (v, written)
        };
        let (a, written) = scan(HostState::default(), at(10, 1));
        let (b, _) = scan(HostState::default(), at(10, 1));
        let files = |v: &Vfs| {
            v.walk(&dir)
                .into_iter()
                .map(|f| (f.path.clone(), f.content.sha256_hex(), f.modified.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(files(&a), files(&b), "same state and time, same bytes");
        // The old results are gone; the new ones carry the scan time.
        assert_eq!(files(&a).len(), 4);
        assert_eq!(written.len(), 4);
        assert!(written
            .iter()
            .all(|p| !p.ends_with(".ckl") || p.contains("20261202-100501")));
        for (_, _, modified) in files(&a) {
            assert_eq!(modified, "2026-12-02T10:05:01Z");
        }
        let summary = a.get(&format!(r"{dir}\SummaryReport.xml")).unwrap();
        let text = String::from_utf8(summary.content.read(0, summary.content.len())).unwrap();
        assert!(text.contains("<ScanDate>12/02/2026</ScanDate>"), "{text}");
        let (c, _) = scan(HostState::default(), at(11, 1));
        assert_ne!(files(&a), files(&c), "another time, other files");
        // Only the scanned host's folder is touched.
        assert_eq!(a.len(), host_vfs("host3", 9).len());
    }

    #[test]
    fn hardening_turns_some_open_rules_not_a_finding() {
        let dir = format!(r"{RESULTS_ROOT}\HOST4");
        let mut v = host_vfs("host4", 2);
        let before = open_counts(&v, &dir);
        assert!(before.0 >= 3, "the seeded host has Open rules: {before:?}");
        assert_eq!(before.0, before.1);
        assert_eq!(before.0, before.2);
        let fixes = hardening_fixes("host4", 2);
        rescan(
            &mut v,
            "host4",
            2,
            HostState { hardened: true },
            at(9, 0),
            RESULTS_ROOT,
            Formats::ALL,
        );
        let after = open_counts(&v, &dir);
        assert_eq!(after.0, before.0 - fixes, "{before:?} -> {after:?}");
        assert_eq!(
            (after.1, after.2),
            (after.0, after.0),
            "every format agrees"
        );
        assert!(
            fixes > 0 && after.0 > 0,
            "some, not all: {fixes} of {}",
            before.0
        );
        // Unhardened rescans find what the host started with.
        rescan(
            &mut v,
            "host4",
            2,
            HostState::default(),
            at(9, 1),
            RESULTS_ROOT,
            Formats::ALL,
        );
        assert_eq!(open_counts(&v, &dir), before);
    }

    #[test]
    fn output_formats_and_folder() {
        assert_eq!(Formats::from_output_arg(None), Formats::ALL);
        let f = Formats::from_output_arg(Some("ckl, CKLB,Summary"));
        assert_eq!((f.ckl, f.cklb, f.xccdf), (true, true, false));
        let mut v = host_vfs("host1", 0);
        let written = rescan(
            &mut v,
            "host1",
            0,
            HostState::default(),
            at(8, 0),
            r"D:\Scans\",
            f,
        );
        assert_eq!(written.len(), 3);
        assert!(
            written.iter().all(|p| p.starts_with(r"D:\Scans\HOST1\")),
            "{written:?}"
        );
        assert!(!written.iter().any(|p| p.contains("XCCDF")));
        assert_eq!(
            v.walk(&format!(r"{RESULTS_ROOT}\HOST1")).len(),
            4,
            "untouched"
        );
    }

    #[test]
    fn files_are_well_formed() {
        let v = host_vfs("host7", 1);
        for f in v.walk(RESULTS_ROOT) {
            let text = String::from_utf8(f.content.read(0, f.content.len())).unwrap();
            let text = text.trim_start_matches('\u{feff}');
            if f.path.ends_with(".cklb") {
                let j: serde_json::Value = serde_json::from_str(text).unwrap();
                assert_eq!(j["target_data"]["host_name"], "HOST7");
                assert_eq!(j["stigs"][0]["rules"].as_array().unwrap().len(), RULE_COUNT);
            } else {
                let root = xml::parse(text).unwrap_or_else(|e| panic!("{}: {e}", f.path));
                if f.path.ends_with(".ckl") {
                    assert_eq!(root.name, "CHECKLIST");
                    let asset = root.child("ASSET").unwrap();
                    let order: Vec<&str> = asset.children.iter().map(|c| c.name.as_str()).collect();
                    assert_eq!(order[0], "ROLE");
                    assert_eq!(order[12], "WEB_DB_INSTANCE");
                    let vulns = root
                        .path(&["STIGS", "iSTIG"])
                        .unwrap()
                        .children_named("VULN")
                        .count();
                    assert_eq!(vulns, RULE_COUNT);
                }
            }
        }
    }
}
