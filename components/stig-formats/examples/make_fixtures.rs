//! Regenerates the project's own fixtures: `fixtures/benchmarks/` (three small XCCDF 1.1
//! benchmarks in DISA's layout) and `fixtures/scans/<host>/` (a three-host fleet of
//! CKL, CKLB and XCCDF results files). The rule texts are short illustrative
//! paraphrases written for stigpack, not DISA's published content, and the ids are
//! illustrative too. Output is deterministic; run it only when the fixture design
//! changes:
//!
//! `cargo run -p stig-formats --example make_fixtures -- <repo>/fixtures`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use stig_formats::model::{Asset, Checklist, CklbMeta, Severity, Status, StigChecklist};
use stig_formats::{ckl, cklb, xccdf};

struct RuleDef {
    vuln: &'static str,
    rule: &'static str,
    ver: &'static str,
    sev: &'static str,
    srg: &'static str,
    title: &'static str,
    discussion: &'static str,
    check: &'static str,
    fix: &'static str,
    cci: &'static str,
    legacy: [&'static str; 2],
}

struct BenchDef {
    file: &'static str,
    id: &'static str,
    title: &'static str,
    version: &'static str,
    release: &'static str,
    target: &'static str,
    rules: &'static [RuleDef],
}

macro_rules! r {
    ($v:literal, $r:literal, $ver:literal, $sev:literal, $srg:literal, $t:literal, $d:literal, $c:literal, $f:literal, $cci:literal, $l1:literal, $l2:literal) => {
        RuleDef {
            vuln: $v,
            rule: $r,
            ver: $ver,
            sev: $sev,
            srg: $srg,
            title: $t,
            discussion: $d,
            check: $c,
            fix: $f,
            cci: $cci,
            legacy: [$l1, $l2],
        }
    };
}

const WIN11: BenchDef = BenchDef {
    file: "U_MS_Windows_11_STIG_V2R1_Manual-xccdf.xml",
    id: "MS_Windows_11_STIG",
    title: "Microsoft Windows 11 Security Technical Implementation Guide",
    version: "2",
    release: "Release: 1 Benchmark Date: 24 Jul 2024",
    target: "5300",
    rules: &[
        r!("V-253254", "SV-253254r991589_rule", "WN11-00-000005", "medium", "SRG-OS-000480-GPOS-00227",
           "Domain-joined systems must use Windows 11 Enterprise Edition.",
           "Features such as Credential Guard depend on virtualization-based security, which only the Enterprise edition provides.",
           "Open \"Settings\" > \"System\" > \"About\".\n\nIf \"Edition\" is not \"Windows 11 Enterprise\" on a domain-joined system, this is a finding.",
           "Use Windows 11 Enterprise for domain-joined systems.", "CCI-000366", "", ""),
        r!("V-253256", "SV-253256r991589_rule", "WN11-00-000015", "high", "SRG-OS-000480-GPOS-00227",
           "Windows 11 systems must use a BitLocker PIN for pre-boot authentication.",
           "A pre-boot PIN keeps the encryption key off the disk until a user authenticates, protecting data at rest on lost devices.",
           "Run \"manage-bde -status C:\".\n\nIf \"Key Protectors\" does not list \"TPM And PIN\", this is a finding.",
           "Configure BitLocker to require a PIN at startup.", "CCI-001199", "V-63333", "SV-77823"),
        r!("V-253264", "SV-253264r958478_rule", "WN11-00-000070", "medium", "SRG-OS-000095-GPOS-00049",
           "Only accounts responsible for the administration of a system must have Administrator rights on the system.",
           "An account with administrative rights can disable security controls; limiting membership limits the damage a compromised account can do.",
           "Run \"lusrmgr.msc\" and review the members of the local \"Administrators\" group.\n\nIf any account is not an administrator of this system, this is a finding.",
           "Remove accounts that do not administer the system from the local Administrators group.", "CCI-000381", "V-63361", "SV-77851"),
        r!("V-253283", "SV-253283r958552_rule", "WN11-AC-000005", "medium", "SRG-OS-000329-GPOS-00128",
           "Windows 11 account lockout duration must be configured to 15 minutes or greater.",
           "Locking an account after repeated failed logons slows password guessing.",
           "Open \"secpol.msc\" > \"Account Policies\" > \"Account Lockout Policy\".\n\nIf \"Account lockout duration\" is less than \"15\" minutes, this is a finding.",
           "Set \"Account lockout duration\" to \"15\" minutes or greater.", "CCI-002238", "V-63405", "SV-77895"),
        r!("V-253297", "SV-253297r958482_rule", "WN11-AU-000005", "medium", "SRG-OS-000004-GPOS-00004",
           "The system must be configured to audit Account Logon - Credential Validation failures.",
           "Audit records of failed credential validation reveal password attacks.",
           "Run \"auditpol /get /category:*\".\n\nIf \"Credential Validation\" does not include \"Failure\", this is a finding.",
           "Enable \"Audit Credential Validation\" with \"Failure\" selected.", "CCI-000172", "V-63431", "SV-77921"),
        r!("V-253370", "SV-253370r958524_rule", "WN11-CC-000005", "low", "SRG-OS-000095-GPOS-00049",
           "Camera access from the lock screen must be disabled.",
           "Enabling camera access from the lock screen could allow unauthorized use.",
           "If the registry value \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Personalization\\NoLockScreenCamera\" is not \"1\", this is a finding.",
           "Configure \"Prevent enabling lock screen camera\" to \"Enabled\".", "CCI-000381", "V-63545", "SV-78035"),
        r!("V-253386", "SV-253386r958908_rule", "WN11-CC-000090", "medium", "SRG-OS-000480-GPOS-00227",
           "Group Policy objects must be reprocessed even if they have not changed.",
           "Reprocessing policy undoes unauthorized local changes to security settings.",
           "If \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Group Policy\\{35378EAC-683F-11D2-A89A-00C04FBBCFA2}\\NoGPOListChanges\" is not \"0\", this is a finding.",
           "Configure \"Configure registry policy processing\" to \"Process even if the Group Policy objects have not changed\".", "CCI-000366", "V-63607", "SV-78097"),
        r!("V-253408", "SV-253408r958478_rule", "WN11-CC-000197", "low", "SRG-OS-000095-GPOS-00049",
           "Microsoft consumer experiences must be turned off.",
           "Consumer experiences install suggested apps & content that have no place on a managed system.",
           "If \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\CloudContent\\DisableWindowsConsumerFeatures\" is not \"1\", this is a finding.",
           "Configure \"Turn off Microsoft consumer experiences\" to \"Enabled\".", "CCI-000381", "V-71771", "SV-86395"),
        r!("V-253437", "SV-253437r958906_rule", "WN11-CC-000330", "high", "SRG-OS-000125-GPOS-00065",
           "The Windows Remote Management (WinRM) client must not use Basic authentication.",
           "Basic authentication sends credentials in clear text (base64) and must not be used.",
           "If \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Client\\AllowBasic\" is not \"0\", this is a finding.",
           "Configure \"Allow Basic authentication\" (WinRM Client) to \"Disabled\".", "CCI-000877", "V-63335", "SV-77825"),
        r!("V-253490", "SV-253490r958504_rule", "WN11-SO-000095", "medium", "SRG-OS-000029-GPOS-00010",
           "The machine inactivity limit must be set to 15 minutes, locking the system with the screen saver.",
           "Locking an unattended session prevents use by someone who walks up to it.",
           "If \"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\InactivityTimeoutSecs\" is greater than \"900\" or \"0\", this is a finding.",
           "Configure \"Interactive logon: Machine inactivity limit\" to \"900\" seconds or less, excluding \"0\".", "CCI-000057", "V-63869", "SV-78359"),
    ],
};

const SRV2022: BenchDef = BenchDef {
    file: "U_MS_Windows_Server_2022_STIG_V2R1_Manual-xccdf.xml",
    id: "MS_Windows_Server_2022_STIG",
    title: "Microsoft Windows Server 2022 Security Technical Implementation Guide",
    version: "2",
    release: "Release: 1 Benchmark Date: 24 Jul 2024",
    target: "5464",
    rules: &[
        r!("V-254239", "SV-254239r958726_rule", "WN22-00-000010", "medium", "SRG-OS-000480-GPOS-00227",
           "Windows Server 2022 passwords for the built-in Administrator account must be changed at least every 60 days.",
           "The built-in Administrator account is a well-known target; changing its password limits the use of a stolen one.",
           "Run \"Get-LocalUser -Name * | Select Name, SID, PasswordLastSet\".\n\nIf the account ending in -500 has a PasswordLastSet older than 60 days, this is a finding.",
           "Change the built-in Administrator account password at least every 60 days.", "CCI-000199", "", ""),
        r!("V-254247", "SV-254247r958478_rule", "WN22-00-000090", "high", "SRG-OS-000104-GPOS-00051",
           "Windows Server 2022 accounts must require passwords.",
           "An account without a password gives anyone who knows its name access to the system.",
           "Run \"Get-CimInstance -Class Win32_Useraccount -Filter 'PasswordRequired=False and LocalAccount=True'\".\n\nIf any enabled account is returned, this is a finding.",
           "Configure all enabled accounts to require passwords.", "CCI-000764", "", ""),
        r!("V-254263", "SV-254263r958472_rule", "WN22-00-000270", "medium", "SRG-OS-000480-GPOS-00227",
           "Windows Server 2022 must have software certificate installation files removed.",
           "Certificate files with private keys (.p12, .pfx) left on a system can be stolen and used to impersonate it.",
           "Search all drives for *.p12 and *.pfx files.\n\nIf any are found that are not needed for operation, this is a finding.",
           "Remove certificate installation files that are not needed.", "CCI-000366", "", ""),
        r!("V-254287", "SV-254287r958558_rule", "WN22-AC-000020", "medium", "SRG-OS-000077-GPOS-00045",
           "Windows Server 2022 password history must be configured to 24 passwords remembered.",
           "Remembering previous passwords stops users from cycling back to a compromised one.",
           "Open \"secpol.msc\" > \"Account Policies\" > \"Password Policy\".\n\nIf \"Enforce password history\" is less than \"24\", this is a finding.",
           "Set \"Enforce password history\" to \"24\" passwords remembered.", "CCI-000200", "", ""),
        r!("V-254302", "SV-254302r958406_rule", "WN22-AU-000030", "medium", "SRG-OS-000004-GPOS-00004",
           "Windows Server 2022 must be configured to audit Account Management - Security Group Management successes.",
           "Audit records of group changes reveal privilege escalation.",
           "Run \"auditpol /get /category:*\".\n\nIf \"Security Group Management\" does not include \"Success\", this is a finding.",
           "Enable \"Audit Security Group Management\" with \"Success\" selected.", "CCI-000018", "", ""),
        r!("V-254351", "SV-254351r958494_rule", "WN22-CC-000070", "high", "SRG-OS-000480-GPOS-00227",
           "Windows Server 2022 must be configured to enable Remote host allows delegation of non-exportable credentials.",
           "Restricted Admin mode and Remote Credential Guard keep reusable credentials off remote hosts.",
           "If \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation\\AllowProtectedCreds\" is not \"1\", this is a finding.",
           "Configure \"Remote host allows delegation of non-exportable credentials\" to \"Enabled\".", "CCI-000366", "", ""),
        r!("V-254371", "SV-254371r958908_rule", "WN22-CC-000290", "medium", "SRG-OS-000480-GPOS-00227",
           "Windows Server 2022 Windows Remote Management (WinRM) service must not store RunAs credentials.",
           "Stored RunAs credentials can be reused by anyone who can configure a plug-in.",
           "If \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Service\\DisableRunAs\" is not \"1\", this is a finding.",
           "Configure \"Disallow WinRM from storing RunAs credentials\" to \"Enabled\".", "CCI-002038", "", ""),
        r!("V-254448", "SV-254448r958478_rule", "WN22-MS-000020", "medium", "SRG-OS-000134-GPOS-00068",
           "Windows Server 2022 local administrator accounts must have their privileged token filtered to prevent elevated privileges from being used over the network on domain-joined member servers.",
           "Filtering the token of local administrators stops pass-the-hash lateral movement with local accounts.",
           "If \"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\LocalAccountTokenFilterPolicy\" is not \"0\", this is a finding.",
           "Configure \"Apply UAC restrictions to local accounts on network logons\" to \"Enabled\".", "CCI-001084", "", ""),
    ],
};

const DEFENDER: BenchDef = BenchDef {
    file: "U_MS_Defender_Antivirus_STIG_V2R4_Manual-xccdf.xml",
    id: "MS_Defender_Antivirus",
    title: "Microsoft Defender Antivirus Security Technical Implementation Guide",
    version: "2",
    release: "Release: 4 Benchmark Date: 25 Oct 2023",
    target: "3946",
    rules: &[
        r!("V-213426", "SV-213426r877395_rule", "WNDF-AV-000001", "medium", "SRG-APP-000073",
           "Microsoft Defender AV must be configured to block the Potentially Unwanted Application (PUA) feature.",
           "Potentially unwanted applications degrade security and stability and often bundle adware.",
           "If \"HKLM\\Software\\Policies\\Microsoft\\Windows Defender\\PUAProtection\" is not \"1\", this is a finding.",
           "Configure \"Configure detection for potentially unwanted applications\" to \"Enabled\" and \"Block\".", "CCI-001243", "V-75147", "SV-89827"),
        r!("V-213427", "SV-213427r877395_rule", "WNDF-AV-000002", "medium", "SRG-APP-000073",
           "Microsoft Defender AV must be configured to automatically take action on all detected tasks.",
           "Automatic remediation removes malware before a user can run it.",
           "If \"HKLM\\Software\\Policies\\Microsoft\\Windows Defender\\DisableRoutinelyTakingAction\" exists and is not \"0\", this is a finding.",
           "Configure \"Turn off routine remediation\" to \"Disabled\".", "CCI-001243", "V-75149", "SV-89829"),
        r!("V-213452", "SV-213452r877395_rule", "WNDF-AV-000027", "high", "SRG-APP-000073",
           "Microsoft Defender AV must be configured to scan removable drives.",
           "Removable media is a common way malware enters a network.",
           "If \"HKLM\\Software\\Policies\\Microsoft\\Windows Defender\\Scan\\DisableRemovableDriveScanning\" is not \"0\", this is a finding.",
           "Configure \"Scan removable drives\" to \"Enabled\".", "CCI-001243", "V-75199", "SV-89879"),
        r!("V-213455", "SV-213455r877395_rule", "WNDF-AV-000030", "medium", "SRG-APP-000073",
           "Microsoft Defender AV spyware definition age must not exceed 7 days.",
           "Old definitions miss current threats.",
           "If \"HKLM\\Software\\Policies\\Microsoft\\Windows Defender\\Signature Updates\\ASSignatureDue\" is greater than \"7\" or \"0\", this is a finding.",
           "Configure \"Define the number of days before spyware definitions are considered out of date\" to \"7\" or less.", "CCI-001243", "V-75205", "SV-89885"),
        r!("V-213464", "SV-213464r877395_rule", "WNDF-AV-000039", "low", "SRG-APP-000073",
           "Microsoft Defender AV must be configured to join Microsoft MAPS.",
           "Cloud protection lets Defender block new threats within seconds instead of waiting for definition updates.",
           "If \"HKLM\\Software\\Policies\\Microsoft\\Windows Defender\\Spynet\\SpynetReporting\" is not \"1\" or \"2\", this is a finding.",
           "Configure \"Join Microsoft MAPS\" to \"Enabled\" with \"Basic MAPS\" or \"Advanced MAPS\".", "CCI-001243", "V-75223", "SV-89903"),
        r!("V-213466", "SV-213466r877395_rule", "WNDF-AV-000041", "medium", "SRG-APP-000073",
           "Microsoft Defender AV must be configured to check in real time for malicious software.",
           "Real-time protection stops malware as it is written or run, not hours later at the next scan.",
           "If \"HKLM\\Software\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection\\DisableRealtimeMonitoring\" is not \"0\", this is a finding.",
           "Configure \"Turn off real-time protection\" to \"Disabled\".", "CCI-001243", "V-75227", "SV-89907"),
    ],
};

/// DISA's layout: one line, the escaped description blob, CCI and legacy idents.
fn benchmark_xml(b: &BenchDef) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?><?xml-stylesheet type='text/xsl' href='STIG_unclass.xsl'?>");
    s.push_str(&format!("<Benchmark xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"{}\" xml:lang=\"en\" xmlns=\"http://checklists.nist.gov/xccdf/1.1\">", b.id));
    s.push_str("<status date=\"2024-07-24\">accepted</status>");
    s.push_str(&format!("<title>{}</title>", esc(b.title)));
    s.push_str("<description>stigpack test fixture: a small illustrative excerpt in the layout of a DISA STIG benchmark. Not DISA content.</description>");
    s.push_str("<notice id=\"terms-of-use\" xml:lang=\"en\"></notice><front-matter xml:lang=\"en\"></front-matter><rear-matter xml:lang=\"en\"></rear-matter>");
    s.push_str("<reference href=\"https://cyber.mil\"><dc:publisher>DISA</dc:publisher><dc:source>STIG.DOD.MIL</dc:source></reference>");
    s.push_str(&format!("<plain-text id=\"release-info\">{}</plain-text><plain-text id=\"generator\">3.4.1.22916</plain-text><plain-text id=\"conventionsVersion\">1.10.0</plain-text>", b.release));
    s.push_str(&format!("<version>{}</version>", b.version));
    s.push_str("<Profile id=\"MAC-1_Classified\"><title>I - Mission Critical Classified</title><description>&lt;ProfileDescription&gt;&lt;/ProfileDescription&gt;</description>");
    for r in b.rules {
        s.push_str(&format!(
            "<select idref=\"{}\" selected=\"true\" />",
            r.vuln
        ));
    }
    s.push_str("</Profile>");
    for r in b.rules {
        let blob = format!(
            "<VulnDiscussion>{}</VulnDiscussion><FalsePositives></FalsePositives><FalseNegatives></FalseNegatives><Documentable>false</Documentable><Mitigations></Mitigations><SeverityOverrideGuidance></SeverityOverrideGuidance><PotentialImpacts></PotentialImpacts><ThirdPartyTools></ThirdPartyTools><MitigationControl></MitigationControl><Responsibility></Responsibility><IAControls></IAControls>",
            r.discussion
        );
        s.push_str(&format!("<Group id=\"{}\"><title>{}</title><description>&lt;GroupDescription&gt;&lt;/GroupDescription&gt;</description>", r.vuln, r.srg));
        s.push_str(&format!("<Rule id=\"{}\" weight=\"10.0\" severity=\"{}\"><version>{}</version><title>{}</title><description>{}</description>", r.rule, r.sev, r.ver, esc(r.title), esc(&blob)));
        s.push_str(&format!("<reference><dc:title>DPMS Target</dc:title><dc:publisher>DISA</dc:publisher><dc:type>DPMS Target</dc:type><dc:subject>{}</dc:subject><dc:identifier>{}</dc:identifier></reference>", esc(b.title), b.target));
        for l in r.legacy.iter().filter(|l| !l.is_empty()) {
            s.push_str(&format!(
                "<ident system=\"http://cyber.mil/legacy\">{l}</ident>"
            ));
        }
        s.push_str(&format!(
            "<ident system=\"http://cyber.mil/cci\">{}</ident>",
            r.cci
        ));
        let fix_id = r.rule.replace("SV-", "F-").replace("_rule", "_fix");
        s.push_str(&format!(
            "<fixtext fixref=\"{fix_id}\">{}</fixtext><fix id=\"{fix_id}\" />",
            esc(r.fix)
        ));
        s.push_str(&format!("<check system=\"{}\"><check-content-ref href=\"{}.xml\" name=\"M\" /><check-content>{}</check-content></check></Rule></Group>", r.rule.replace("SV-", "C-").replace("_rule", "_chk"), b.id, esc(r.check)));
    }
    s.push_str("</Benchmark>");
    s
}

/// (status, finding details, comments, override, justification) for rule `i`.
type Review = (
    Status,
    &'static str,
    &'static str,
    Option<Severity>,
    &'static str,
);

fn apply(stig: &mut StigChecklist, reviews: &[Review]) {
    for (r, (st, d, c, o, j)) in stig.rules.iter_mut().zip(reviews) {
        r.review.status = *st;
        r.review.finding_details = (*d).into();
        r.review.comments = (*c).into();
        r.review.severity_override = *o;
        r.review.severity_justification = (*j).into();
    }
}

fn asset(host: &str, role: &str, ip: &str, mac: &str) -> Asset {
    Asset {
        role: role.into(),
        asset_type: "Computing".into(),
        marking: "CUI".into(),
        host_name: host.into(),
        host_ip: ip.into(),
        host_mac: mac.into(),
        host_fqdn: format!("{}.corp.example.mil", host.to_ascii_lowercase()),
        ..Default::default()
    }
}

fn xccdf_results(b: &BenchDef, host: &str, ip: &str, results: &[(&str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<TestResult xmlns=\"http://checklists.nist.gov/xccdf/1.2\" id=\"xccdf_mil.disa.stig_testresult_scap_mil.disa_comp_{id}\" start-time=\"2026-11-02T09:14:07\" end-time=\"2026-11-02T09:16:41\" test-system=\"cpe:/a:spawar:scc:5.10\" version=\"1\">\n",
        id = b.id
    ));
    s.push_str(&format!(
        "  <benchmark href=\"{}\" id=\"xccdf_mil.disa.stig_benchmark_{}\"/>\n",
        b.file, b.id
    ));
    s.push_str(&format!(
        "  <title>SCAP Compliance Checker - {}</title>\n",
        b.title
    ));
    s.push_str(&format!("  <identity authenticated=\"true\" privileged=\"true\">CORP\\svc-scan</identity>\n  <target>{host}</target>\n  <target-address>{ip}</target-address>\n"));
    s.push_str(&format!("  <target-facts>\n    <fact name=\"urn:xccdf:fact:asset:identifier:fqdn\" type=\"string\">{}.corp.example.mil</fact>\n    <fact name=\"urn:xccdf:fact:asset:identifier:mac\" type=\"string\">00:15:5D:01:02:0A</fact>\n  </target-facts>\n", host.to_ascii_lowercase()));
    for (r, (res, msg)) in b.rules.iter().zip(results) {
        s.push_str(&format!(
            "  <rule-result idref=\"xccdf_mil.disa.stig_rule_{}\" time=\"2026-11-02T09:15:00\" severity=\"{}\" weight=\"10.0\" version=\"{}\">\n    <result>{res}</result>\n",
            r.rule, r.sev, r.ver
        ));
        if !msg.is_empty() {
            s.push_str(&format!("    <message severity=\"info\">{msg}</message>\n"));
        }
        s.push_str(&format!(
            "    <ident system=\"http://cyber.mil/cci\">{}</ident>\n  </rule-result>\n",
            r.cci
        ));
    }
    s.push_str("  <score system=\"urn:xccdf:scoring:default\" maximum=\"100\">66.67</score>\n</TestResult>\n");
    s
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: make_fixtures <fixtures dir>");
    for (rel, data) in build() {
        let path = Path::new(&out).join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &data).unwrap();
        println!("{:>7} {}", data.len(), path.display());
    }
}

/// Every fixture file: (path relative to `fixtures/`, content). The fixture test
/// includes this file to prove the committed fixtures are exactly what this produces.
pub fn build() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut write = |rel: &str, data: &str| files.push((rel.to_owned(), data.to_owned()));
    let mut benches = Vec::new();
    for b in [&WIN11, &SRV2022, &DEFENDER] {
        let xml = benchmark_xml(b);
        write(&format!("benchmarks/{}", b.file), &xml);
        benches.push(xccdf::benchmark::read(xml.as_bytes(), b.file).unwrap());
    }
    let (win11, srv, def) = (&benches[0], &benches[1], &benches[2]);
    use Severity::*;
    use Status::*;
    let tool = "DISA STIG Viewer :: 2.17";

    // WS01: STIG Viewer CKL for Windows 11 with all four statuses and a severity
    // override, plus SCC XCCDF results for Defender (two benchmarks on one host).
    let mut s = win11.clone();
    apply(&mut s, &[
        (NotAFinding, "Edition: Windows 11 Enterprise (10.0.22631)", "", None, ""),
        (Open, "manage-bde -status C:\nKey Protectors: TPM, Numerical Password", "BitLocker PIN rollout scheduled with the next hardware refresh.", Some(Medium), "Devices never leave the secured facility; TPM-only protection accepted by the ISSM until the PIN rollout (ticket CHG-10442)."),
        (Open, "Administrators: CORP\\Domain Admins, WS01\\Administrator, CORP\\jsmith", "jsmith is a developer, not an administrator of WS01.", None, ""),
        (NotAFinding, "Account lockout duration: 15 minutes", "", None, ""),
        (NotAFinding, "Credential Validation: Success and Failure", "", None, ""),
        (NotApplicable, "The system has no camera.", "Verified by hardware inventory 2026-10-30.", None, ""),
        (NotReviewed, "", "", None, ""),
        (NotAFinding, "DisableWindowsConsumerFeatures = 1", "", None, ""),
        (NotAFinding, "AllowBasic = 0", "", None, ""),
        (Open, "InactivityTimeoutSecs = 1800", "Kiosk exception requested <REQ-77> & pending.", None, ""),
    ]);
    let ws01 = asset("WS01", "Workstation", "10.20.1.11", "00:15:5D:01:02:0A");
    write(
        "scans/WS01/WS01_MS_Windows_11_STIG_V2R1.ckl",
        &ckl::write(&ws01, std::slice::from_ref(&s), tool),
    );
    write(
        "scans/WS01/WS01_MS_Defender_Antivirus_XCCDF-Results.xml",
        &xccdf_results(
            &DEFENDER,
            "WS01",
            "10.20.1.11",
            &[
                ("pass", "PUAProtection = 1"),
                ("pass", ""),
                ("fail", "DisableRemovableDriveScanning = 1"),
                ("pass", "ASSignatureDue = 7"),
                (
                    "notchecked",
                    "Manual check: SCC cannot evaluate MAPS reporting.",
                ),
                ("pass", ""),
            ],
        ),
    );

    // WS02: an Evaluate-STIG style CKLB for Windows 11 with Not_Reviewed controls.
    let mut s = win11.clone();
    apply(&mut s, &[
        (NotAFinding, "Evaluate-STIG 1.2507.6 found this to be NOT A FINDING on 11/02/2026\r\nEdition: Windows 11 Enterprise", "", None, ""),
        (NotAFinding, "Key Protectors: TPM And PIN", "", None, ""),
        (Open, "Unexpected members of Administrators:\r\n  WS02\\helpdesk", "", None, ""),
        (NotAFinding, "Account lockout duration: 30 minutes", "", None, ""),
        (Open, "Credential Validation: Success", "", None, ""),
        (NotApplicable, "No camera present.", "", None, ""),
        (NotReviewed, "", "Requires interview with the system owner.", None, ""),
        (NotReviewed, "", "", None, ""),
        (NotAFinding, "AllowBasic = 0", "", None, ""),
        (NotAFinding, "InactivityTimeoutSecs = 900", "", None, ""),
    ]);
    let ws02 = asset("WS02", "Workstation", "10.20.1.12", "00:15:5D:01:02:0B");
    let j = cklb::write(
        &ws02,
        std::slice::from_ref(&s),
        &CklbMeta {
            title: "Evaluate-STIG_Win11".into(),
            ..Default::default()
        },
    );
    let j = j.replacen('{', "{\"evaluate-stig\":{\"version\":\"1.2507.6\"},", 1);
    write("scans/WS02/WS02_Win11_V2R1_20261102-101500.cklb", &j);

    // SRV01: one combined CKL holding two benchmarks, with a severity override.
    let mut a = srv.clone();
    apply(&mut a, &[
        (NotAFinding, "Administrator (S-1-5-21-...-500) PasswordLastSet: 10/12/2026", "", None, ""),
        (NotAFinding, "No enabled local accounts without a password.", "", None, ""),
        (Open, "D:\\deploy\\web01.pfx", "Left from the web certificate renewal; owner notified.", None, ""),
        (NotAFinding, "Enforce password history: 24", "", None, ""),
        (Open, "Security Group Management: No Auditing", "", Some(Low), "Group changes are also logged by the directory's own change auditing (SIEM rule 4728/4732)."),
        (NotApplicable, "Not applicable: the server accepts no interactive remote logons (RDP disabled).", "", None, ""),
        (NotAFinding, "DisableRunAs = 1", "", None, ""),
        (NotReviewed, "", "", None, ""),
    ]);
    let mut d = def.clone();
    apply(
        &mut d,
        &[
            (NotAFinding, "PUAProtection = 1", "", None, ""),
            (NotAFinding, "", "", None, ""),
            (
                NotAFinding,
                "DisableRemovableDriveScanning = 0",
                "",
                None,
                "",
            ),
            (
                Open,
                "ASSignatureDue = 14",
                "The server updates definitions from an internal mirror weekly.",
                None,
                "",
            ),
            (
                NotApplicable,
                "Closed network: MAPS is not reachable.",
                "",
                None,
                "",
            ),
            (NotAFinding, "DisableRealtimeMonitoring = 0", "", None, ""),
        ],
    );
    let srv01 = asset("SRV01", "Member Server", "10.20.0.5", "00:15:5D:01:00:05");
    let combined = Checklist {
        asset: srv01,
        stigs: vec![a, d],
        ..Default::default()
    };
    write(
        "scans/SRV01/SRV01_Combined.ckl",
        &ckl::write_checklist(&combined, tool),
    );
    files
}
