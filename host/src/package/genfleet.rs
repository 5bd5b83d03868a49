//! A synthetic fleet for the export benchmark: `<out>/<host>/<host>.ckl` for N hosts x R
//! rules, with realistic text sizes (~1 KB of rule text per rule, like DISA benchmarks)
//! and a deterministic mix of statuses (about 70% NotAFinding, 15% Open, 10%
//! Not_Applicable, 5% Not_Reviewed). Same arguments, same bytes.

use std::fs;
use std::path::Path;

use anyhow::Context;
use stig_formats::model::*;

fn mix(mut x: u64) -> u64 {
    // SplitMix64 finaliser: a fixed, well-spread hash of (host, rule).
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn rules(n: usize) -> Vec<Rule> {
    (0..n)
        .map(|i| {
            let v = 200_000 + i;
            Rule {
                vuln_num: format!("V-{v}"),
                severity: Some(match i % 10 {
                    0 => Severity::High,
                    1..=7 => Severity::Medium,
                    _ => Severity::Low,
                }),
                group_title: format!("SRG-OS-{:06}-GPOS-{:05}", i, v % 100_000),
                rule_id: format!("SV-{v}r1_rule"),
                rule_ver: format!("WN22-SY-{i:06}"),
                rule_title: format!("Synthetic rule {i}: the system must enforce setting {i} as the benchmark requires."),
                vuln_discuss: "Synthetic discussion text standing in for a DISA vulnerability discussion. ".repeat(4),
                check_content: format!("Verify the registry value HKLM\\SOFTWARE\\Policies\\Synthetic\\Setting{i} is 1. If it is not, this is a finding. ").repeat(2),
                fix_text: format!("Configure the policy value for Computer Configuration >> Synthetic >> Setting {i} to Enabled. "),
                ccis: vec![format!("CCI-{:06}", i % 2000)],
                weight: "10.0".into(),
                class: "Unclass".into(),
                check_content_ref: "M".into(),
                stig_ref: "Synthetic Windows STIG :: Version 1, Release: 1 Benchmark Date: 01 Jan 2025".into(),
                ..Default::default()
            }
        })
        .collect()
}

pub fn generate(out: &Path, hosts: usize, rule_count: usize) -> anyhow::Result<()> {
    let rules = rules(rule_count);
    let info = BenchmarkInfo {
        version: "1".into(),
        classification: "UNCLASSIFIED".into(),
        stigid: "Synthetic_Windows_STIG".into(),
        description: "Synthetic benchmark for stigpack's export benchmark".into(),
        filename: "U_Synthetic_Windows_STIG_V1R1_Manual-xccdf.xml".into(),
        releaseinfo: "Release: 1 Benchmark Date: 01 Jan 2025".into(),
        title: "Synthetic Windows STIG".into(),
        uuid: "00000000-0000-4000-8000-000000000001".into(),
        notice: "terms-of-use".into(),
        source: "STIG.DOD.MIL".into(),
        ..Default::default()
    };
    for h in 0..hosts {
        let name = format!("host{h:04}");
        let dir = out.join(&name);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let results: Vec<RuleResult> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let roll = mix(((h as u64) << 32) | i as u64) % 100;
                let status = match roll {
                    0..=69 => Status::NotAFinding,
                    70..=84 => Status::Open,
                    85..=94 => Status::NotApplicable,
                    _ => Status::NotReviewed,
                };
                let details = match status {
                    Status::Open if roll == 84 => {
                        "=HYPERLINK(\"http://example.invalid\",\"click\") value is 0".to_owned()
                    }
                    Status::Open => format!("Value Setting{i} is 0, expected 1."),
                    Status::NotAFinding => format!("Value Setting{i} is 1."),
                    Status::NotApplicable => {
                        "Not applicable: the role is not installed.".to_owned()
                    }
                    Status::NotReviewed => String::new(),
                };
                RuleResult {
                    rule: r.clone(),
                    review: Review {
                        status,
                        finding_details: details,
                        comments: String::new(),
                        severity_override: None,
                        severity_justification: String::new(),
                        keep: Default::default(),
                    },
                }
            })
            .collect();
        let asset = Asset {
            role: "Member Server".into(),
            asset_type: "Computing".into(),
            host_name: name.clone(),
            host_ip: format!("10.{}.{}.{}", h / 65536 % 256, h / 256 % 256, h % 256),
            ..Default::default()
        };
        let stig = StigChecklist {
            info: info.clone(),
            rules: results,
        };
        let text = stig_formats::ckl::write(
            &asset,
            std::slice::from_ref(&stig),
            "DISA STIG Viewer :: 2.17",
        );
        fs::write(dir.join(format!("{name}.ckl")), text)
            .with_context(|| format!("writing {}", dir.display()))?;
    }
    Ok(())
}
