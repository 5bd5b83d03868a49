//! `poam_summary.txt`: the POA&M in a form a person reads before opening the sheet.

use std::collections::BTreeMap;

use super::{plural, PoamFile};

pub fn render(poam: &PoamFile, layout_name: &str) -> String {
    let mut by_cat: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut hosts = std::collections::BTreeSet::new();
    let mut overridden = 0usize;
    let mut attested = 0usize;
    for item in &poam.items {
        let e = by_cat.entry(item.cat.as_str()).or_default();
        e.0 += 1;
        e.1 += item.hosts.len();
        for h in &item.hosts {
            hosts.insert(h.host.as_str());
            if !h.severity_override.is_empty() {
                overridden += 1;
            }
            if h.origin == "attestation" {
                attested += 1;
            }
        }
    }
    let mut out = String::new();
    out.push_str("POA&M SUMMARY\n=============\n\n");
    out.push_str(&format!("Exported at:        {}\n", poam.exported_at));
    out.push_str(&format!("Layout of poam.csv: {layout_name}\n"));
    out.push_str(&format!(
        "Items:              {} (one per open control and severity, across hosts)\n",
        poam.items.len()
    ));
    out.push_str(&format!("Hosts with items:   {}\n", hosts.len()));
    out.push_str(&format!(
        "Completion days:    CAT I {}, CAT II {}, CAT III {} after the export date\n\n",
        poam.days_to_completion[0], poam.days_to_completion[1], poam.days_to_completion[2]
    ));
    out.push_str("By severity (after SEVERITY_OVERRIDE):\n");
    for (cat, label) in [
        ("I", "CAT I  "),
        ("II", "CAT II "),
        ("III", "CAT III"),
        ("", "unrated"),
    ] {
        if let Some((items, host_findings)) = by_cat.get(cat) {
            out.push_str(&format!(
                "  {label}  {}, {}\n",
                plural(*items, "item"),
                plural(*host_findings, "host finding")
            ));
        }
    }
    out.push_str(&format!(
        "\nHost findings with a severity override: {overridden}\n\
         Host findings from NonCompliant/PartiallyCompliant attestations: {attested}\n\n"
    ));
    let accepted = poam.items.iter().filter(|i| i.is_risk_accepted()).count();
    if accepted > 0 {
        out.push_str(&format!(
            "Risk Accepted by the AO (no scheduled date, no milestones): {}\n\n",
            plural(accepted, "item")
        ));
    }
    out.push_str(&format!(
        "Controls: NIST SP 800-53 Rev 5, mapped from the rules' CCIs with DISA's CCI list \
         version {}\n",
        if poam.cci_list_version.is_empty() {
            "(not recorded)"
        } else {
            poam.cci_list_version.as_str()
        }
    ));
    if poam.unmapped_ccis.is_empty() {
        out.push_str("CCIs without a Rev 5 mapping: none\n\n");
    } else {
        out.push_str(&format!(
            "CCIs without a Rev 5 mapping ({}; their items list only the controls of their \
             other CCIs):\n",
            poam.unmapped_ccis.len()
        ));
        for u in &poam.unmapped_ccis {
            out.push_str(&format!("  {}  {}\n", u.cci, u.vuln_ids.join(", ")));
        }
        out.push('\n');
    }
    out.push_str("Items:\n");
    for item in &poam.items {
        out.push_str(&format!(
            "  {:>5}  CAT {:<3}  {:<10}  due {}  {}  [{}]\n",
            item.item_id,
            item.cat,
            item.vuln_id,
            if item.is_risk_accepted() {
                "none (Risk Accepted)"
            } else {
                item.scheduled_completion.as_str()
            },
            item.title.replace(['\r', '\n'], " "),
            plural(item.hosts.len(), "host")
        ));
    }
    out
}
