//! Evaluate-STIG's per-host `SummaryReport.xml`: which STIGs ran, when, and each rule's
//! status by category. It carries no rule text or finding details, so it is a
//! cross-check and an inventory source, not a checklist: its statuses go through the one
//! normaliser, and the per-category totals Evaluate-STIG wrote must agree with the rules
//! listed, which catches truncated or edited reports.

use quick_xml::events::BytesStart;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::model::{Severity, Status};
use crate::status;
use crate::xml::{local, Ev, XmlReader};

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub computer: SummaryComputer,
    pub results: Vec<SummaryResult>,
}

/// `Summary/Computer`: the scanned host as Evaluate-STIG saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryComputer {
    pub name: String,
    /// As written (`MM/DD/YYYY`).
    pub scan_date: String,
    pub eval_stig_version: String,
    pub scan_type: String,
    pub os_name: String,
    pub os_version: String,
    pub ipv4_addresses: Vec<String>,
    pub mac_addresses: Vec<String>,
}

/// One `Results/Result`: one STIG evaluated on the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryResult {
    /// The benchmark id (`RHEL_7_STIG`), as in CKL `stigid`.
    pub stig: String,
    pub short_name: String,
    pub version: String,
    pub release: String,
    pub site: String,
    pub instance: String,
    /// RFC 3339 with the scanner's offset, as written.
    pub start_time: String,
    pub eval_score: String,
    pub vulns: Vec<SummaryVuln>,
}

/// One `Vuln` under `CAT_I|CAT_II|CAT_III`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryVuln {
    /// `V-xxxxx`.
    pub id: String,
    pub rule_title: String,
    /// The category it is listed under (CAT I = high).
    pub category: Severity,
    pub status: Status,
    /// `Override` and `Justification` as written (empty when none).
    pub severity_override: String,
    pub justification: String,
}

/// Reads a `SummaryReport.xml`.
pub fn read_summary(bytes: &[u8], file: &str) -> Result<Summary> {
    let mut x = XmlReader::new(file, bytes)?;
    loop {
        match x.next()? {
            Ev::Start(s) if local(&s) == b"Summary" => break,
            Ev::Comment(_) => {}
            Ev::Start(s) | Ev::Empty(s) => {
                return Err(x.err(ErrorKind::WrongDocument {
                    expected: "Evaluate-STIG SummaryReport",
                    detail: format!(
                        "the root element is <{}>, not <Summary>",
                        String::from_utf8_lossy(local(&s))
                    ),
                }))
            }
            Ev::End | Ev::Eof => {
                return Err(x.err(ErrorKind::MissingElement {
                    element: "Summary".into(),
                }))
            }
        }
    }
    let mut summary = Summary::default();
    let mut saw_computer = false;
    while let Some((s, empty)) = child(&mut x)? {
        match local(&s) {
            b"Computer" if !empty => {
                saw_computer = true;
                read_computer(&mut x, &mut summary.computer)?;
            }
            b"Results" if !empty => {
                while let Some((r, rempty)) = child(&mut x)? {
                    if local(&r) == b"Result" {
                        summary.results.push(read_result(&mut x, &r, rempty)?);
                    } else if !rempty {
                        x.skip()?;
                    }
                }
            }
            _ if !empty => x.skip()?,
            _ => {}
        }
    }
    while !matches!(x.next()?, Ev::Eof) {}
    if !saw_computer || summary.computer.name.is_empty() {
        return Err(x.err(ErrorKind::MissingElement {
            element: "Summary/Computer/Name".into(),
        }));
    }
    Ok(summary)
}

fn child<'a>(x: &mut XmlReader<'a>) -> Result<Option<(BytesStart<'a>, bool)>> {
    crate::xccdf::benchmark::child(x)
}

fn read_computer(x: &mut XmlReader<'_>, c: &mut SummaryComputer) -> Result<()> {
    while let Some((s, empty)) = child(x)? {
        match local(&s) {
            b"NetworkAdapters" if !empty => {
                while let Some((_adapter, aempty)) = child(x)? {
                    if aempty {
                        continue;
                    }
                    while let Some((f, fempty)) = child(x)? {
                        let v = crate::xccdf::benchmark::leaf(x, fempty)?;
                        let v = v.trim();
                        if v.is_empty() {
                            continue;
                        }
                        match local(&f) {
                            b"MACAddress" => c.mac_addresses.push(v.to_owned()),
                            b"IPv4Addresses" => c.ipv4_addresses.push(v.to_owned()),
                            _ => {}
                        }
                    }
                }
            }
            name => {
                let slot = match name {
                    b"Name" => Some(&mut c.name),
                    b"ScanDate" => Some(&mut c.scan_date),
                    b"EvalSTIGVer" => Some(&mut c.eval_stig_version),
                    b"ScanType" => Some(&mut c.scan_type),
                    b"OSName" => Some(&mut c.os_name),
                    b"OSVersion" => Some(&mut c.os_version),
                    _ => None,
                };
                match slot {
                    Some(slot) => *slot = crate::xccdf::benchmark::leaf(x, empty)?.trim().into(),
                    None if !empty => x.skip()?,
                    None => {}
                }
            }
        }
    }
    Ok(())
}

fn attr(x: &XmlReader<'_>, s: &BytesStart<'_>, name: &[u8]) -> Result<String> {
    Ok(x.attr(s, name)?.unwrap_or_default())
}

fn read_result(x: &mut XmlReader<'_>, s: &BytesStart<'_>, empty: bool) -> Result<SummaryResult> {
    let file = x.file();
    let mut r = SummaryResult {
        stig: attr(x, s, b"STIG")?,
        short_name: attr(x, s, b"ShortName")?,
        version: attr(x, s, b"Version")?,
        release: attr(x, s, b"Release")?,
        site: attr(x, s, b"Site")?,
        instance: attr(x, s, b"Instance")?,
        start_time: attr(x, s, b"StartTime")?,
        eval_score: attr(x, s, b"EvalScore")?,
        vulns: Vec::new(),
    };
    if empty {
        return Ok(r);
    }
    while let Some((c, cempty)) = child(x)? {
        let category = match local(&c) {
            b"CAT_I" => Severity::High,
            b"CAT_II" => Severity::Medium,
            b"CAT_III" => Severity::Low,
            _ => {
                if !cempty {
                    x.skip()?;
                }
                continue;
            }
        };
        let cat_name = String::from_utf8_lossy(local(&c)).into_owned();
        // Totals as Evaluate-STIG wrote them: Total, then per status.
        let mut declared = [0usize; 5];
        for (i, key) in [
            &b"Total"[..],
            b"NotAFinding",
            b"Open",
            b"Not_Applicable",
            b"Not_Reviewed",
        ]
        .iter()
        .enumerate()
        {
            let v = attr(x, &c, key)?;
            declared[i] = v.trim().parse().map_err(|_| {
                x.err(ErrorKind::InvalidValue {
                    field: format!("{}/{cat_name}/@{}", r.stig, String::from_utf8_lossy(key)),
                    value: v.clone(),
                    reason: "expected a count".into(),
                })
            })?;
        }
        let mut counted = [0usize; 5];
        if !cempty {
            while let Some((v, vempty)) = child(x)? {
                if local(&v) != b"Vuln" {
                    if !vempty {
                        x.skip()?;
                    }
                    continue;
                }
                let st = status::from_evaluate_stig(&attr(x, &v, b"Status")?, file)?;
                counted[0] += 1;
                counted[match st {
                    Status::NotAFinding => 1,
                    Status::Open => 2,
                    Status::NotApplicable => 3,
                    Status::NotReviewed => 4,
                }] += 1;
                r.vulns.push(SummaryVuln {
                    id: attr(x, &v, b"ID")?,
                    rule_title: attr(x, &v, b"RuleTitle")?,
                    category,
                    status: st,
                    severity_override: attr(x, &v, b"Override")?,
                    justification: attr(x, &v, b"Justification")?,
                });
                if !vempty {
                    x.skip()?;
                }
            }
        }
        if counted != declared {
            return Err(x.err(ErrorKind::InvalidValue {
                field: format!("{}/{cat_name}", r.stig),
                value: format!(
                    "Total={} NotAFinding={} Open={} Not_Applicable={} Not_Reviewed={}",
                    declared[0], declared[1], declared[2], declared[3], declared[4]
                ),
                reason: format!(
                    "the report lists {} rules ({} NotAFinding, {} Open, {} Not_Applicable, {} Not_Reviewed): truncated or edited",
                    counted[0], counted[1], counted[2], counted[3], counted[4]
                ),
            }));
        }
    }
    Ok(r)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Summary><Computer><ScanDate>03/14/2026</ScanDate><EvalSTIGVer>1.2507.6</EvalSTIGVer><Name>WS01</Name>
<NetworkAdapters><Adapter InterfaceIndex="1"><MACAddress>aa:bb</MACAddress><IPv4Addresses>10.0.0.1</IPv4Addresses><IPv6Addresses>
</IPv6Addresses></Adapter></NetworkAdapters></Computer>
<Results><Result STIG="X_STIG" Version="1" Release="2" ShortName="X" StartTime="2026-03-14T16:56:31-04:00" EvalScore="50">
<CAT_I Total="2" Not_Applicable="0" Open="1" NotAFinding="1" Not_Reviewed="0">
<Vuln RuleTitle="a &amp; b" Status="Open" ID="V-1" Override="" Justification="" />
<Vuln RuleTitle="c" Status="NotAFinding" ID="V-2" Override="" Justification="" />
</CAT_I><CAT_II Total="0" Not_Applicable="0" Open="0" NotAFinding="0" Not_Reviewed="0" />
</Result></Results></Summary>"#;

    #[test]
    fn reads_and_cross_checks_totals() {
        let s = read_summary(DOC.as_bytes(), "s.xml").unwrap();
        assert_eq!(s.computer.name, "WS01");
        assert_eq!(s.computer.ipv4_addresses, ["10.0.0.1"]);
        assert_eq!(s.results[0].vulns[0].rule_title, "a & b");
        assert_eq!(s.results[0].vulns[0].category, Severity::High);
        let bad = DOC.replace(
            "Open=\"1\" NotAFinding=\"1\"",
            "Open=\"2\" NotAFinding=\"0\"",
        );
        let e = read_summary(bad.as_bytes(), "s.xml").unwrap_err();
        assert!(e.to_string().contains("truncated or edited"), "{e}");
        let bad = DOC.replace("Status=\"Open\"", "Status=\"Failed\"");
        let e = read_summary(bad.as_bytes(), "s.xml").unwrap_err();
        assert!(e.to_string().contains("\"Failed\""), "{e}");
    }
}
