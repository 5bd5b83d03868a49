//! The canonical model every reader produces and every writer consumes.
//!
//! Field names follow STIG Viewer's CKL vocabulary because the CKL is the format assessors
//! know; CKLB and XCCDF map onto it. Strings are kept exactly as read (no trimming, no
//! entity rewriting) so that a round trip through any writer loses nothing.

use serde::{Deserialize, Serialize};

/// The four statuses STIG Viewer accepts. Anything else is rejected by [`crate::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    NotAFinding,
    Open,
    NotApplicable,
    NotReviewed,
}

/// Rule severity, `high|medium|low` in the files, CAT I/II/III to an assessor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    High,
    Medium,
    Low,
}

/// The CKL `ASSET` block: who was scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub role: String,
    pub asset_type: String,
    pub marking: String,
    pub host_name: String,
    pub host_ip: String,
    pub host_mac: String,
    pub host_fqdn: String,
    pub target_comment: String,
    pub tech_area: String,
    pub target_key: String,
    pub web_or_database: bool,
    pub web_db_site: String,
    pub web_db_instance: String,
    /// Elements some tools add (STIG Manager's `HOST_GUID`), kept in read order.
    pub extra: Vec<(String, String)>,
}

/// The CKL `STIG_INFO` block: which benchmark, which release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchmarkInfo {
    pub version: String,
    pub classification: String,
    pub customname: String,
    /// The benchmark id, e.g. `MS_Windows_Server_2019_STIG`; names the output file.
    pub stigid: String,
    pub description: String,
    pub filename: String,
    pub releaseinfo: String,
    pub title: String,
    pub uuid: String,
    pub notice: String,
    pub source: String,
    /// CKLB `display_name`; empty when the input was a CKL or XCCDF (the title is used).
    #[serde(default)]
    pub display_name: String,
    /// CKLB/XCCDF `reference_identifier` (the DPMS target id, e.g. `2907`).
    #[serde(default)]
    pub reference_identifier: String,
    /// Evaluate-STIG's record of this benchmark's scan (time, module): the CKL comment
    /// at the top of the iSTIG, or the CKLB STIG's `evaluate-stig` object.
    #[serde(default)]
    pub evaluate_stig: Option<EvalStigRecord>,
    /// CKLB STIG keys this crate does not model, in file order, values as raw JSON.
    #[serde(default)]
    pub cklb_unknown: Vec<(String, String)>,
}

/// One node of a CKLB rule's `group_tree` (STIG Viewer 3 keeps the XCCDF group chain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTreeNode {
    pub id: String,
    pub title: String,
    pub description: String,
}

/// What the benchmark says about one rule (identical on every host).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub vuln_num: String,
    pub severity: Option<Severity>,
    pub group_title: String,
    pub rule_id: String,
    pub rule_ver: String,
    pub rule_title: String,
    pub vuln_discuss: String,
    pub ia_controls: String,
    pub check_content: String,
    pub fix_text: String,
    pub false_positives: String,
    pub false_negatives: String,
    pub documentable: String,
    pub mitigations: String,
    pub potential_impact: String,
    pub third_party_tools: String,
    pub mitigation_control: String,
    pub responsibility: String,
    pub security_override_guidance: String,
    pub check_content_ref: String,
    pub weight: String,
    pub class: String,
    pub stig_ref: String,
    pub target_key: String,
    pub stig_uuid: String,
    pub legacy_ids: Vec<String>,
    pub ccis: Vec<String>,
    /// CKLB rule `uuid`; kept so a CKLB round trip keeps its ids. Empty from CKL/XCCDF
    /// (the CKLB writer then derives a deterministic one).
    #[serde(default)]
    pub uuid: String,
    /// CKLB `group_tree`; empty from CKL (the CKLB writer rebuilds it from the group).
    #[serde(default)]
    pub group_tree: Vec<GroupTreeNode>,
    /// XCCDF/CKLB `check-content-ref/@href` (the CKL only keeps the name, `M`).
    #[serde(default)]
    pub check_content_href: String,
    /// CKLB/XCCDF rule `reference_identifier` (DPMS target id).
    #[serde(default)]
    pub reference_identifier: String,
}

/// What the reviewer (or scanner) said about one rule on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub status: Status,
    pub finding_details: String,
    pub comments: String,
    pub severity_override: Option<Severity>,
    pub severity_justification: String,
    /// What other tools wrote about this review beyond STIG Viewer 2's fields: markings,
    /// Evaluate-STIG's record, unknown CKLB keys. Carried so no writer drops them.
    #[serde(default)]
    pub keep: ReviewExtras,
}

impl Review {
    /// Whether two reviews of one rule say the same: status, severity override, and
    /// finding details and comments compared as text, ignoring line-end style (CR LF, CR,
    /// LF) and white space at line ends and at the end. Evaluate-STIG writes the CKL and
    /// CKLB of one scan with CR LF in one and LF in the other; those are one review.
    pub fn same_review(&self, other: &Review) -> bool {
        self.status == other.status
            && self.severity_override == other.severity_override
            && same_text(&self.finding_details, &other.finding_details)
            && same_text(&self.comments, &other.comments)
    }
}

/// Text equality up to line-end style and trailing white space (per line and at the end).
pub fn same_text(a: &str, b: &str) -> bool {
    fn lines(s: &str) -> impl Iterator<Item = &str> {
        s.trim_end()
            .split('\n')
            .flat_map(|l| l.split('\r'))
            .map(str::trim_end)
    }
    if a == b {
        return true;
    }
    // `\r\n` splits into a line and an empty piece; drop the pieces a CR LF made.
    let norm = |s: &str| s.replace("\r\n", "\n");
    let (a, b) = (norm(a), norm(b));
    lines(&a).eq(lines(&b))
}

/// Per-review fields with no STIG Viewer 2 element, kept for lossless round trips.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewExtras {
    /// CKLB `comments_classification` (STIG Viewer 3's field-level marking); `None` when
    /// the file has no such key, so a writer adds nothing the source did not have.
    pub comments_classification: Option<String>,
    /// CKLB `finding_details_classification`.
    pub finding_details_classification: Option<String>,
    /// Evaluate-STIG's record of this rule (answer file, old/new status): the CKL
    /// `<!--<Evaluate-STIG>...-->` comment inside the VULN, or the CKLB rule's
    /// `evaluate-stig` object.
    pub evaluate_stig: Option<EvalStigRecord>,
    /// CKLB rule keys this crate does not model, in file order, each value as its raw
    /// JSON text (written back unchanged by the CKLB writer; a CKL has no place for them).
    pub cklb_unknown: Vec<(String, String)>,
}

/// One Evaluate-STIG record, format-neutral: the children of `<Evaluate-STIG>` in a CKL
/// comment, or the members of an `evaluate-stig` object in a CKLB, in the source's order.
/// Both formats map onto it one to one, so each writer can emit what the other read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalStigRecord(pub Vec<(String, EvalStigValue)>);

/// A value in an [`EvalStigRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvalStigValue {
    /// Text: an element's text in a CKL, a JSON string in a CKLB.
    Text(String),
    /// A JSON number, boolean or null, as its JSON text (a CKL writes the same text).
    Scalar(String),
    /// Nested elements or a nested object.
    Record(EvalStigRecord),
    /// A JSON array (a CKL writes one element per item, under the same name).
    List(Vec<EvalStigValue>),
}

/// One rule with its review, a CKL `VULN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: Rule,
    pub review: Review,
}

/// One benchmark's results on one host, a CKL `iSTIG`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StigChecklist {
    pub info: BenchmarkInfo,
    pub rules: Vec<RuleResult>,
}

/// Where results came from, for POA&M source text and the index's scan-source columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSource {
    /// Path of the input file relative to the results root, `/` separated.
    pub file: String,
    /// The tool that wrote it, as the file says (e.g. `DISA STIG Viewer :: 2.17`).
    pub tool: String,
    /// When the scan ran, RFC 3339 or as the file says; empty if the file does not say.
    pub scanned_at: String,
}

/// A whole checklist: one asset, one or more benchmarks (a CKL or CKLB file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    pub asset: Asset,
    pub stigs: Vec<StigChecklist>,
    pub source: ScanSource,
    /// CKLB document fields with no CKL equivalent, kept for lossless CKLB round trips.
    #[serde(default)]
    pub cklb: CklbMeta,
}

/// The top-level CKLB fields that are not the asset or the benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CklbMeta {
    /// Document `id` (UUID). Empty: the writer derives one from host and benchmarks.
    pub id: String,
    /// Document `title`. Empty: the writer derives one.
    pub title: String,
    /// `active`, `mode`, `has_path` as read (None: the writer uses STIG Viewer 3's
    /// defaults `false`, `1`, `true`).
    pub active: Option<bool>,
    pub mode: Option<i64>,
    pub has_path: Option<bool>,
    /// Evaluate-STIG's document record (its version; older releases also the scan time,
    /// module and STIG list): the CKL comment before `<CHECKLIST>`, or the CKLB
    /// top-level `evaluate-stig` object. Kept here because [`Checklist`] literals
    /// elsewhere default this struct.
    #[serde(default)]
    pub evaluate_stig: Option<EvalStigRecord>,
    /// Top-level and `target_data` CKLB keys this crate does not model, in file order,
    /// values as raw JSON.
    #[serde(default)]
    pub unknown: Vec<(String, String)>,
    #[serde(default)]
    pub target_unknown: Vec<(String, String)>,
}

/// Everything known about one host after import: the unit the host hands to writers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostResults {
    /// The host's directory name under the results root, already validated as a safe
    /// single path component.
    pub host: String,
    pub checklists: Vec<Checklist>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(details: &str, comments: &str, status: Status) -> Review {
        Review {
            status,
            finding_details: details.into(),
            comments: comments.into(),
            severity_override: None,
            severity_justification: String::new(),
            keep: ReviewExtras::default(),
        }
    }

    #[test]
    fn line_ends_and_trailing_space_do_not_make_a_different_review() {
        let lf = review("a\nb\n", "x  \ny", Status::Open);
        for same in [
            review("a\r\nb\r\n", "x\r\ny", Status::Open),
            review("a\rb", "x\ny \n\n", Status::Open),
            review("a \t\nb", "x\ny", Status::Open),
        ] {
            assert!(lf.same_review(&same), "{same:?}");
            assert!(same.same_review(&lf), "{same:?}");
        }
        for differs in [
            review("a\nb", "x\ny", Status::NotAFinding),
            review("a\n\nb", "x\ny", Status::Open),
            review("a b", "x\ny", Status::Open),
            review(" a\nb", "x\ny", Status::Open),
            review("a\nb", "x\nY", Status::Open),
        ] {
            assert!(!lf.same_review(&differs), "{differs:?}");
        }
        let mut o = lf.clone();
        o.severity_override = Some(Severity::Low);
        assert!(!lf.same_review(&o));
    }
}
