//! The fleet summary: how compliant each host and the whole fleet is, and which failing
//! controls sit on which hosts.
//!
//! Compliance % = NotAFinding / (NotAFinding + Open): Not_Applicable and Not_Reviewed are
//! in neither. The fleet figure pools every control of every host (it is not an average
//! of host percentages, which would weigh a 10-rule host like an 800-rule one). Statuses
//! are after the precedence rule and after answered attestations, as everywhere in the
//! package. Outputs: `fleet_summary.json`, `fleet_summary.csv` (the control x host matrix,
//! cells Pass/Fail/NA/NR, empty where a host does not have the control) and
//! `fleet_summary.txt`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::attest::{effective_status, AttestationFile};
use crate::control_view::FleetView;
use crate::model::Status;
use crate::poam::natural_key;
use crate::tabular;

#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostSummary {
    pub host: String,
    pub controls: u64,
    pub pass: u64,
    pub fail: u64,
    pub not_applicable: u64,
    pub not_reviewed: u64,
    /// `None` when the host has neither passes nor fails.
    pub compliance_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailingControl {
    pub control_id: String,
    pub title: String,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    pub hosts: Vec<HostSummary>,
    pub fleet: HostSummary,
    pub failing_controls: Vec<FailingControl>,
    /// Hosts the export left out because a file could not be read: listed, never dropped
    /// silently (absent when none, so summaries without left-out hosts read as before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable_hosts: Vec<crate::import::Unreadable>,
}

fn pct(pass: u64, fail: u64) -> Option<f64> {
    // Two decimals, computed in integers so the text is the same everywhere.
    let decided = pass + fail;
    (pass * 10_000 + decided / 2)
        .checked_div(decided)
        .map(|basis_points| basis_points as f64 / 100.0)
}

/// The matrix's word for a status (CSV cells, the HTML report's filter values).
pub fn cell(s: Status) -> &'static str {
    match s {
        Status::NotAFinding => "Pass",
        Status::Open => "Fail",
        Status::NotApplicable => "NA",
        Status::NotReviewed => "NR",
    }
}

pub fn summarise(fleet: &FleetView, attestations: &AttestationFile) -> FleetSummary {
    let mut hosts = Vec::new();
    let mut total = HostSummary {
        host: "(fleet)".into(),
        ..Default::default()
    };
    // Keyed by the borrowed id, sorted naturally once at the end: building the natural
    // key (two allocations) for every open control cost more than the lookup.
    let mut failing: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for h in &fleet.hosts {
        let mut s = HostSummary {
            host: h.name.clone(),
            ..Default::default()
        };
        let mut host_att = attestations.host(&h.name).in_order();
        for c in &h.controls {
            let st = effective_status(c.status, host_att.get(&c.control_id));
            s.controls += 1;
            match st {
                Status::NotAFinding => s.pass += 1,
                Status::Open => {
                    s.fail += 1;
                    failing
                        .entry(c.control_id.as_str())
                        .or_default()
                        .push(h.name.clone());
                }
                Status::NotApplicable => s.not_applicable += 1,
                Status::NotReviewed => s.not_reviewed += 1,
            }
        }
        s.compliance_percent = pct(s.pass, s.fail);
        total.controls += s.controls;
        total.pass += s.pass;
        total.fail += s.fail;
        total.not_applicable += s.not_applicable;
        total.not_reviewed += s.not_reviewed;
        hosts.push(s);
    }
    total.compliance_percent = pct(total.pass, total.fail);
    let mut failing: Vec<((String, u64, String), Vec<String>)> = failing
        .into_iter()
        .map(|(id, hosts)| (natural_key(id), hosts))
        .collect();
    failing.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let failing_controls = failing
        .into_iter()
        .map(|((_, _, id), hosts)| FailingControl {
            title: fleet.rule(&id).map(|m| m.title.clone()).unwrap_or_default(),
            control_id: id,
            hosts,
        })
        .collect();
    FleetSummary {
        hosts,
        fleet: total,
        failing_controls,
        unreadable_hosts: Vec::new(),
    }
}

impl FleetSummary {
    /// This summary of an export that left `unreadable` hosts out, which it then lists.
    pub fn with_unreadable(mut self, unreadable: &[crate::import::Unreadable]) -> Self {
        self.unreadable_hosts = unreadable.to_vec();
        self
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn to_text(&self) -> String {
        let p = |v: Option<f64>| {
            v.map(|x| format!("{x:.2}%"))
                .unwrap_or_else(|| "n/a".into())
        };
        let mut out = String::from("FLEET SUMMARY\n=============\n\n");
        out.push_str("Compliance = Pass / (Pass + Fail); NA and NR count in neither; the fleet figure pools all controls.\n\n");
        out.push_str(&format!(
            "{:<32} {:>8} {:>6} {:>6} {:>6} {:>6} {:>11}\n",
            "host", "controls", "pass", "fail", "NA", "NR", "compliance"
        ));
        for h in self.hosts.iter().chain(std::iter::once(&self.fleet)) {
            out.push_str(&format!(
                "{:<32} {:>8} {:>6} {:>6} {:>6} {:>6} {:>11}\n",
                h.host,
                h.controls,
                h.pass,
                h.fail,
                h.not_applicable,
                h.not_reviewed,
                p(h.compliance_percent)
            ));
        }
        out.push_str(&format!(
            "\nFailing controls ({}):\n",
            self.failing_controls.len()
        ));
        for f in &self.failing_controls {
            out.push_str(&format!(
                "  {:<12} {} host(s): {}\n",
                f.control_id,
                f.hosts.len(),
                f.hosts.join(", ")
            ));
        }
        if !self.unreadable_hosts.is_empty() {
            out.push_str(&format!(
                "\nHosts left out, not counted above ({}): a file could not be read\n",
                self.unreadable_hosts.len()
            ));
            for u in &self.unreadable_hosts {
                out.push_str(&format!("  {}\n", u.line()));
            }
        }
        out
    }
}

/// The control x host matrix: controls in Vuln ID order, hosts in host order, each cell
/// the status after attestations, `None` where the host does not have the control. One
/// computation behind `fleet_summary.csv` and the HTML report's matrix, so the two agree.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix<'a> {
    pub controls: Vec<&'a str>,
    /// Row-major: `cells[row * hosts + col]`.
    pub cells: Vec<Option<Status>>,
    pub hosts: usize,
}

impl Matrix<'_> {
    pub fn row(&self, i: usize) -> &[Option<Status>] {
        &self.cells[i * self.hosts..(i + 1) * self.hosts]
    }
}

pub fn matrix<'a>(fleet: &'a FleetView, attestations: &AttestationFile) -> Matrix<'a> {
    let mut ids: Vec<&str> = fleet.rules.keys().map(String::as_str).collect();
    ids.sort_by_key(|id| natural_key(id));
    // Place every host's cells in one pass over its controls (a row number per control
    // id, looked up once per control), instead of searching each host for each row.
    // A million lookups at 1,000 hosts: see crate::sym::FixedState for the hasher.
    let row_of: crate::sym::FixedMap<&str, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let width = fleet.hosts.len();
    let mut cells = vec![None; ids.len() * width];
    for (col, h) in fleet.hosts.iter().enumerate() {
        let mut att = attestations.host(&h.name).in_order();
        for c in &h.controls {
            if let Some(&row) = row_of.get(c.control_id.as_str()) {
                cells[row * width + col] = Some(effective_status(c.status, att.get(&c.control_id)));
            }
        }
    }
    Matrix {
        controls: ids,
        cells,
        hosts: width,
    }
}

/// `fleet_summary.csv`: the [`matrix`], cells Pass/Fail/NA/NR, empty where absent.
pub fn matrix_csv(fleet: &FleetView, attestations: &AttestationFile) -> String {
    let m = matrix(fleet, attestations);
    let mut header: Vec<&str> = vec!["Control"];
    header.extend(fleet.hosts.iter().map(|h| h.name.as_str()));
    let mut out = String::new();
    tabular::push_record(&mut out, &header);
    let mut row: Vec<&str> = Vec::with_capacity(m.hosts + 1);
    for (i, id) in m.controls.iter().enumerate() {
        row.clear();
        row.push(id);
        row.extend(m.row(i).iter().map(|s| s.map(cell).unwrap_or("")));
        tabular::push_record(&mut out, &row);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::control_view::testkit::*;
    use crate::control_view::view;
    use crate::model::Severity::*;
    use crate::model::Status::*;

    #[test]
    fn pooled_percentages_matrix_and_failing_hosts() {
        let fleet = view(&[
            host(
                "a",
                vec![checklist(
                    "a/x.ckl",
                    "t",
                    "",
                    vec![rr("V-1", High, Open, ""), rr("V-2", Low, NotAFinding, "")],
                )],
            ),
            host(
                "b",
                vec![checklist(
                    "b/x.ckl",
                    "t",
                    "",
                    (1..=10)
                        .map(|i| {
                            rr(
                                &format!("V-{i}"),
                                Low,
                                if i == 1 { Open } else { NotAFinding },
                                "",
                            )
                        })
                        .chain([
                            rr("V-11", Low, NotApplicable, ""),
                            rr("V-12", Low, NotReviewed, ""),
                        ])
                        .collect(),
                )],
            ),
        ])
        .unwrap();
        let att = AttestationFile::default();
        let s = summarise(&fleet, &att);
        assert_eq!(s.hosts[0].compliance_percent, Some(50.0));
        assert_eq!(s.hosts[1].compliance_percent, Some(90.0));
        // Pooled: 10 pass of 12 decided = 83.33%, not the 70% average of 50 and 90.
        assert_eq!(s.fleet.compliance_percent, Some(83.33));
        assert_eq!(s.failing_controls.len(), 1);
        assert_eq!(s.failing_controls[0].hosts, vec!["a", "b"]);
        let m = matrix_csv(&fleet, &att);
        let lines: Vec<&str> = m.lines().collect();
        assert_eq!(lines[0], "Control,a,b");
        assert_eq!(lines[1], "V-1,Fail,Fail");
        assert_eq!(lines[3], "V-3,,Pass");
        assert_eq!(lines[12], "V-12,,NR");
        assert!(s.to_text().contains("83.33%"));
    }
}
