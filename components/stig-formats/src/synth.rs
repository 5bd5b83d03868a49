//! Synthetic fleet data for benchmarks: the same generator feeds the native CKL-writing
//! bench (`benches/ckl_write.rs`) and the sandboxed comparison, so the two measure the
//! same work. Deterministic (a seeded SplitMix64, no OS randomness): the same
//! `(host, rules, seed)` always gives the same model.
//!
//! Sizes follow the field: rules are split into benchmarks of at most 300 (Windows
//! Server STIGs hold 275-305), text lengths are those of DISA rules (discussion ~600 B,
//! check ~700 B), and about a third of the rules carry finding details.

use crate::model::{
    Asset, BenchmarkInfo, Checklist, HostResults, Review, Rule, RuleResult, ScanSource, Severity,
    Status, StigChecklist,
};

/// SplitMix64: a tiny, fixed, well-spread generator, so synthetic data (and the seeded
/// mutations tests derive from it) are the same on every machine and every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: [&str; 32] = [
    "the",
    "system",
    "must",
    "be",
    "configured",
    "to",
    "audit",
    "account",
    "policy",
    "registry",
    "value",
    "if",
    "this",
    "is",
    "a",
    "finding",
    "Windows",
    "Server",
    "access",
    "control",
    "<admin>",
    "user",
    "&",
    "logon",
    "\"Enabled\"",
    "security",
    "settings",
    "HKLM\\SOFTWARE\\Policies",
    "group",
    "password",
    "service",
    "event",
];

fn text(rng: &mut Rng, approx_bytes: usize) -> String {
    let mut s = String::with_capacity(approx_bytes + 16);
    while s.len() < approx_bytes {
        if !s.is_empty() {
            s.push(if rng.below(12) == 0 { '\n' } else { ' ' });
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

/// One host's results: `rules` rules spread over benchmarks of at most 300 rules, one
/// [`Checklist`] per benchmark (the one-file-per-benchmark layout).
pub fn synthetic_host(host: &str, rules: usize, seed: u64) -> HostResults {
    let mut rng = Rng(seed ^ 0x5717_9ACC);
    // Mix the host name in so hosts differ even with one seed.
    for b in host.bytes() {
        rng.0 = rng.0.rotate_left(5) ^ u64::from(b);
    }
    let mut checklists = Vec::new();
    let mut left = rules;
    let mut bench_no = 0;
    while left > 0 {
        let n = left.min(300);
        left -= n;
        bench_no += 1;
        let info = BenchmarkInfo {
            version: "2".into(),
            classification: "UNCLASSIFIED".into(),
            stigid: format!("Synthetic_{bench_no}_STIG"),
            description: text(&mut rng, 300),
            filename: format!("U_Synthetic_{bench_no}_STIG_V2R1_Manual-xccdf.xml"),
            releaseinfo: "Release: 1 Benchmark Date: 24 Jul 2024".into(),
            title: format!(
                "Synthetic Benchmark {bench_no} Security Technical Implementation Guide"
            ),
            uuid: String::new(),
            notice: "terms-of-use".into(),
            source: "STIG.DOD.MIL".into(),
            ..Default::default()
        };
        let stig_ref = crate::ckl::stig_ref(&info);
        let mut list = Vec::with_capacity(n);
        for i in 0..n {
            let id = 200_000 + bench_no * 1000 + i;
            let status = match rng.below(10) {
                0..=4 => Status::NotAFinding,
                5..=6 => Status::Open,
                7 => Status::NotApplicable,
                _ => Status::NotReviewed,
            };
            let severity = match rng.below(10) {
                0 => Severity::High,
                1..=7 => Severity::Medium,
                _ => Severity::Low,
            };
            let details = if status == Status::NotReviewed {
                String::new()
            } else {
                let len = 80 + rng.below(400) as usize;
                text(&mut rng, len)
            };
            list.push(RuleResult {
                rule: Rule {
                    vuln_num: format!("V-{id}"),
                    severity: Some(severity),
                    group_title: format!("SRG-OS-{:06}-GPOS-{:05}", i, id % 100_000),
                    rule_id: format!("SV-{id}r{}_rule", 500_000 + i),
                    rule_ver: format!("SYN{bench_no}-00-{:06}", i * 10),
                    rule_title: text(&mut rng, 90),
                    vuln_discuss: text(&mut rng, 600),
                    check_content: text(&mut rng, 700),
                    fix_text: text(&mut rng, 300),
                    documentable: "false".into(),
                    check_content_ref: "M".into(),
                    weight: "10.0".into(),
                    class: "Unclass".into(),
                    stig_ref: stig_ref.clone(),
                    legacy_ids: vec![format!("V-{}", id - 100_000), format!("SV-{}", id - 90_000)],
                    ccis: vec![format!("CCI-{:06}", rng.below(3000))],
                    ..Default::default()
                },
                review: Review {
                    status,
                    finding_details: details,
                    comments: if rng.below(8) == 0 {
                        text(&mut rng, 120)
                    } else {
                        String::new()
                    },
                    severity_override: None,
                    severity_justification: String::new(),
                    keep: Default::default(),
                },
            });
        }
        checklists.push(Checklist {
            asset: Asset {
                role: "Member Server".into(),
                asset_type: "Computing".into(),
                host_name: host.into(),
                host_ip: format!("10.0.{}.{}", rng.below(255), 1 + rng.below(254)),
                host_fqdn: format!("{}.example.mil", host.to_ascii_lowercase()),
                ..Default::default()
            },
            stigs: vec![StigChecklist { info, rules: list }],
            source: ScanSource {
                file: format!("{host}/synthetic_{bench_no}.ckl"),
                ..Default::default()
            },
            cklb: Default::default(),
        });
    }
    HostResults {
        host: host.into(),
        checklists,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_shaped_as_asked() {
        let a = synthetic_host("WS01", 800, 7);
        assert_eq!(a, synthetic_host("WS01", 800, 7));
        assert_ne!(a, synthetic_host("WS02", 800, 7));
        assert_eq!(a.checklists.len(), 3);
        let n: usize = a.checklists.iter().map(|c| c.stigs[0].rules.len()).sum();
        assert_eq!(n, 800);
        // The data is valid input for the writers and readers.
        let c = &a.checklists[0];
        let text = crate::ckl::write_checklist(c, "synth");
        assert_eq!(
            &crate::ckl::read(text.as_bytes(), "s.ckl").unwrap().stigs,
            &c.stigs
        );
    }
}
