//! Which STIG release a piece of XCCDF content is, and what a checklist of it should say.
//!
//! DISA's manual benchmarks state their release in a `plain-text id="release-info"`
//! ("Release: 6 Benchmark Date: 24 Jul 2025") and their version as a plain number. SCAP
//! content as SCC ships it numbers itself (`6.3.3`, `002.007.016`, `1.3.6`) and says
//! "Enhanced Content 6.3.3 Date: 2023-08-04, based on Release: 6.3 Benchmark Date: 27 Oct
//! 2022", while its `rear-matter` carries "metadata to be used for the creation of CKL
//! reports" (`version:--:6 ... releaseinfo:--:Release: 5 Benchmark Date: 26 Jul 2023`):
//! the STIG_INFO SCC's own checklists show. A checklist must name the STIG's version and
//! release (V2R6), never the content's numbers (V002R6), so this module:
//! - parses release-info text for its release number and benchmark date ([`parse`]);
//! - derives STIG_INFO for SCC content as SCC's checklists do ([`scc_info`]);
//! - matches a DISA manual benchmark to results by benchmark id and benchmark date (the
//!   version numbers of SCAP content and manual differ), and fills the rule texts the
//!   SCAP content leaves empty from it ([`enrich`]).

use std::collections::HashMap;

use crate::model::{BenchmarkInfo, Rule, StigChecklist};

/// What a release-info text says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// The number after the last `Release:` (`6`, or `6.3` in SCC's "based on" text).
    pub release: String,
    /// The text after `Benchmark Date:` up to a comma or line end (`27 Oct 2022`).
    pub date: String,
}

impl ReleaseInfo {
    /// The date as (year, month, day) when it reads as `DD Mon YYYY` or `YYYY-MM-DD`, so
    /// `05 Jan 2026` and `5 Jan 2026` are the same date.
    pub fn day(&self) -> Option<(u32, u32, u32)> {
        parse_date(&self.date)
    }

    /// Whether two texts name the same benchmark date (as dates when both parse, else as
    /// text), and neither is empty.
    pub fn same_date(&self, other: &ReleaseInfo) -> bool {
        match (self.day(), other.day()) {
            (Some(a), Some(b)) => a == b,
            _ => !self.date.is_empty() && self.date == other.date,
        }
    }
}

/// Parses release-info text; `None` when it names no release and no date.
pub fn parse(text: &str) -> Option<ReleaseInfo> {
    let from = text.rfind("Release:");
    let release = from
        .and_then(|i| text[i + "Release:".len()..].split_whitespace().next())
        .map(|r| r.trim_end_matches([',', ';']).to_owned())
        .unwrap_or_default();
    let tail = &text[from.unwrap_or(0)..];
    let date = tail
        .find("Benchmark Date:")
        .map(|i| {
            let d = &tail[i + "Benchmark Date:".len()..];
            let end = d.find([',', ';', '\n', '\r']).unwrap_or(d.len());
            d[..end].split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_default();
    (!release.is_empty() || !date.is_empty()).then_some(ReleaseInfo { release, date })
}

fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let parts: Vec<&str> = text.split_whitespace().collect();
    if let [d, m, y] = parts.as_slice() {
        let m = m.get(..3)?.to_ascii_lowercase();
        let month = MONTHS.iter().position(|x| *x == m)? as u32 + 1;
        return Some((y.parse().ok()?, month, d.parse().ok()?));
    }
    let mut it = text.trim().splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?))
}

/// Whether `version` is SCAP content's own dotted number (`6.3.3`, `002.007.016`), not
/// a STIG version (`2`, or Evaluate-STIG's `V2R9`).
pub fn is_content_version(version: &str) -> bool {
    let v = version.trim();
    v.contains('.')
        && v.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// A number as a checklist writes it: `002` is `2`.
fn plain_number(n: &str) -> String {
    let t = n.trim_start_matches('0');
    if t.is_empty() && !n.is_empty() {
        "0".to_owned()
    } else {
        t.to_owned()
    }
}

/// SCC's CKL metadata in a benchmark's `rear-matter` (`key:--:value ...`), keys as
/// written, values with white space collapsed. Empty when the text holds none.
pub fn rear_matter(text: &str) -> HashMap<String, String> {
    const SEP: &str = ":--:";
    let mut out = HashMap::new();
    // (key, where its value starts), in text order.
    let mut keys: Vec<(&str, usize, usize)> = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find(SEP) {
        let sep = at + i;
        let key_start = text[..sep].rfind(char::is_whitespace).map_or(0, |w| w + 1);
        keys.push((&text[key_start..sep], key_start, sep + SEP.len()));
        at = sep + SEP.len();
    }
    for (n, (key, _, value_start)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(text.len(), |k| k.1);
        let value = text[*value_start..end.max(*value_start)]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !key.is_empty() {
            out.insert((*key).to_owned(), value);
        }
    }
    out
}

/// The benchmark header of a results document, as the results reader saw it.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// The root `Benchmark/@id`, as written.
    pub id: String,
    pub version: String,
    pub release_info: String,
    pub rear_matter: String,
}

/// STIG_INFO for SCAP content as SCC's own checklists state it: the rear-matter's CKL
/// metadata when present (stigid, version, releaseinfo, title, filename); else, for a
/// content version (`002.007.016`), the version's first number without leading zeros
/// and `Release: R Benchmark Date: D` from the release text, where R is the release
/// after the version's number in "based on Release: 2.6". Anything else is left as read.
pub fn scc_info(info: &mut BenchmarkInfo, header: &Header) {
    let meta = rear_matter(&header.rear_matter);
    let get = |k: &str| meta.get(k).filter(|v| !v.is_empty());
    if let (Some(v), Some(r)) = (get("version"), get("releaseinfo")) {
        info.version.clone_from(v);
        info.releaseinfo.clone_from(r);
        for (key, field) in [
            ("stigid", &mut info.stigid),
            ("title", &mut info.title),
            ("filename", &mut info.filename),
        ] {
            if let Some(v) = get(key) {
                field.clone_from(v);
            }
        }
        return;
    }
    if !is_content_version(&info.version) {
        return;
    }
    let major = plain_number(info.version.split('.').next().unwrap_or_default());
    if let Some(rel) = parse(&info.releaseinfo) {
        let release = match rel.release.split_once('.') {
            Some((v, r)) if plain_number(v) == major => plain_number(r),
            _ => plain_number(&rel.release),
        };
        info.releaseinfo = if rel.date.is_empty() {
            format!("Release: {release}")
        } else {
            format!("Release: {release} Benchmark Date: {}", rel.date)
        };
    }
    info.version = major;
}

/// A manual benchmark not used for a results file, and why (for the import report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUsed {
    /// The benchmark's file name (`BenchmarkInfo.filename`).
    pub benchmark: String,
    pub reason: String,
}

/// Takes the STIG's real version and release from the manual benchmark in `manuals`
/// whose id is one the results name (`ids`) and whose benchmark date is one the results
/// state (`dates`), and fills every rule text the SCAP content left empty from the
/// manual's rule with the same rule id (else the same Vuln ID and STIG ID). A manual of
/// the same id but another date is not used; it comes back with the reason. Returns
/// whether one was used.
pub fn enrich(
    stig: &mut StigChecklist,
    ids: &[&str],
    dates: &[ReleaseInfo],
    manuals: &[StigChecklist],
    not_used: &mut Vec<NotUsed>,
) -> bool {
    let same_id: Vec<&StigChecklist> = manuals
        .iter()
        .filter(|m| ids.contains(&m.info.stigid.as_str()))
        .collect();
    let date_of = |m: &StigChecklist| parse(&m.info.releaseinfo);
    let chosen = same_id
        .iter()
        .find(|m| date_of(m).is_some_and(|md| dates.iter().any(|d| d.same_date(&md))));
    let Some(manual) = chosen else {
        let stated: Vec<&str> = dates.iter().map(|d| d.date.as_str()).collect();
        for m in same_id {
            not_used.push(NotUsed {
                benchmark: m.info.filename.clone(),
                reason: format!(
                    "benchmark {} of {:?} is another release than these results (benchmark date {})",
                    m.info.stigid,
                    date_of(m).map(|d| d.date).unwrap_or_default(),
                    if stated.is_empty() {
                        "not stated".to_owned()
                    } else {
                        stated.join(" / ")
                    }
                ),
            });
        }
        return false;
    };
    for (field, from) in [
        (&mut stig.info.stigid, &manual.info.stigid),
        (&mut stig.info.version, &manual.info.version),
        (&mut stig.info.releaseinfo, &manual.info.releaseinfo),
        (&mut stig.info.title, &manual.info.title),
        (&mut stig.info.filename, &manual.info.filename),
    ] {
        field.clone_from(from);
    }
    let mut by_id: HashMap<&str, &Rule> = HashMap::new();
    let mut by_ids: HashMap<(&str, &str), &Rule> = HashMap::new();
    for r in &manual.rules {
        by_id.insert(&r.rule.rule_id, &r.rule);
        by_ids.insert((&r.rule.vuln_num, &r.rule.rule_ver), &r.rule);
    }
    for r in &mut stig.rules {
        let found = by_id
            .get(r.rule.rule_id.as_str())
            .or_else(|| by_ids.get(&(r.rule.vuln_num.as_str(), r.rule.rule_ver.as_str())))
            .copied();
        if let Some(m) = found {
            fill_empty(&mut r.rule, m);
        }
    }
    true
}

/// Copies each text of `from` into `to` where `to`'s is empty; never overwrites.
fn fill_empty(to: &mut Rule, from: &Rule) {
    let pairs: [(&mut String, &String); 19] = [
        (&mut to.group_title, &from.group_title),
        (&mut to.rule_ver, &from.rule_ver),
        (&mut to.rule_title, &from.rule_title),
        (&mut to.vuln_discuss, &from.vuln_discuss),
        (&mut to.ia_controls, &from.ia_controls),
        (&mut to.check_content, &from.check_content),
        (&mut to.fix_text, &from.fix_text),
        (&mut to.false_positives, &from.false_positives),
        (&mut to.false_negatives, &from.false_negatives),
        (&mut to.documentable, &from.documentable),
        (&mut to.mitigations, &from.mitigations),
        (&mut to.potential_impact, &from.potential_impact),
        (&mut to.third_party_tools, &from.third_party_tools),
        (&mut to.mitigation_control, &from.mitigation_control),
        (&mut to.responsibility, &from.responsibility),
        (
            &mut to.security_override_guidance,
            &from.security_override_guidance,
        ),
        (&mut to.weight, &from.weight),
        (&mut to.class, &from.class),
        (&mut to.target_key, &from.target_key),
    ];
    for (t, f) in pairs {
        if t.trim().is_empty() && !f.trim().is_empty() {
            t.clone_from(f);
        }
    }
    if to.severity.is_none() {
        to.severity = from.severity;
    }
    if to.ccis.is_empty() {
        to.ccis.clone_from(&from.ccis);
    }
    if to.legacy_ids.is_empty() {
        to.legacy_ids.clone_from(&from.legacy_ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_info_of_manual_and_scc_content() {
        let m = parse("Release: 6 Benchmark Date: 24 Jul 2025").unwrap();
        assert_eq!((m.release.as_str(), m.date.as_str()), ("6", "24 Jul 2025"));
        let s = parse(
            "Enhanced Content 6.3.3 Date: 2023-08-04, based on Release: 6.3 Benchmark Date: 27 Oct 2022",
        )
        .unwrap();
        assert_eq!(
            (s.release.as_str(), s.date.as_str()),
            ("6.3", "27 Oct 2022")
        );
        assert_eq!(s.day(), Some((2022, 10, 27)));
        let a = parse("Release: 1 Benchmark Date: 05 Jan 2026").unwrap();
        let b = parse("Release: 2 Benchmark Date: 5 jan 2026").unwrap();
        assert!(a.same_date(&b));
        assert!(!a.same_date(&m));
        assert_eq!(parse("no release here"), None);
    }

    #[test]
    fn content_versions_are_dotted_numbers() {
        for v in ["6.3.3", "002.007.016", "1.3.6"] {
            assert!(is_content_version(v), "{v}");
        }
        for v in ["2", "V2R9", "", "1.", "a.b"] {
            assert!(!is_content_version(v), "{v}");
        }
    }

    #[test]
    fn scc_numbers_become_the_stig_version_and_release() {
        let mut info = BenchmarkInfo {
            version: "002.007.016".into(),
            releaseinfo:
                "Enhanced Content 002.007.016 Date: 2026-01-20, based on Release: 2.6 Benchmark Date: 05 Jan 2026"
                    .into(),
            ..Default::default()
        };
        scc_info(&mut info, &Header::default());
        assert_eq!(info.version, "2");
        assert_eq!(info.releaseinfo, "Release: 6 Benchmark Date: 05 Jan 2026");
    }

    #[test]
    fn rear_matter_metadata_wins() {
        let text = "This data is metadata. version:--:6\n   classification:--:UNCLASSIFIED customname:--: stigid:--:MOZ_Firefox_STIG releaseinfo:--:Release: 5 Benchmark\n Date: 26 Jul 2023 title:--:Mozilla Firefox STIG uuid:--: source:--:STIG.DOD.MIL ";
        let meta = rear_matter(text);
        assert_eq!(
            meta["releaseinfo"],
            "Release: 5 Benchmark Date: 26 Jul 2023"
        );
        assert_eq!(meta["customname"], "");
        let mut info = BenchmarkInfo {
            stigid: "MOZ_Firefox_Linux".into(),
            version: "6.3.3".into(),
            ..Default::default()
        };
        scc_info(
            &mut info,
            &Header {
                rear_matter: text.into(),
                ..Default::default()
            },
        );
        assert_eq!(
            (
                info.stigid.as_str(),
                info.version.as_str(),
                info.title.as_str()
            ),
            ("MOZ_Firefox_STIG", "6", "Mozilla Firefox STIG")
        );
    }
}
