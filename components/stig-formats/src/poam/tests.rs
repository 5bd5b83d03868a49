//! POA&M tests: grouping, severity overrides, dates, texts, ordering, injection, and the
//! layouts checked against the real templates in `shared/samples/poam`.

use super::layout::{cap_cell, Layout, CELL_LIMIT};
use super::*;
use crate::attest::{generate, AttestationStatus};
use crate::control_view::testkit::*;
use crate::control_view::view;
use crate::model::Severity::*;
use crate::model::Status::*;

// 2025-01-15T12:34:56Z
const T: i64 = 1_736_944_496;

fn opts() -> PoamOptions {
    PoamOptions {
        exported_at: T,
        ..Default::default()
    }
}

fn fleet() -> FleetView {
    let mut over = rr("V-10", High, Open, "Password age 90 > 60");
    over.review.severity_override = Some(Medium);
    over.review.severity_justification = "Compensating control: PAM vault rotates".into();
    view(&[
        host(
            "web02",
            vec![checklist(
                "web02/evaluate.ckl",
                "Evaluate-STIG 1.2507",
                "2025-01-10",
                vec![
                    rr("V-10", High, Open, "Password age 90 > 60"),
                    rr("V-9", Low, Open, "=HYPERLINK(\"http://x\")"),
                    rr("V-100", Medium, NotAFinding, ""),
                ],
            )],
        ),
        host(
            "web01",
            vec![checklist(
                "web01/evaluate.ckl",
                "Evaluate-STIG 1.2507",
                "2025-01-11",
                vec![
                    rr("V-10", High, Open, "Password age 90 > 60"),
                    rr("V-100", Medium, Open, "<b>\"quoted\"</b>"),
                ],
            )],
        ),
        host(
            "db01",
            vec![checklist(
                "db01/x.ckl",
                "DISA STIG Viewer :: 2.17",
                "",
                vec![over],
            )],
        ),
    ])
    .unwrap()
}

#[test]
fn one_item_per_open_control_and_severity_across_hosts() {
    let p = build(&fleet(), None, &opts());
    let summary: Vec<(u32, &str, &str, Vec<&str>)> = p
        .items
        .iter()
        .map(|i| {
            (
                i.item_id,
                i.vuln_id.as_str(),
                i.cat.as_str(),
                i.host_names(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "V-10", "I", vec!["web01", "web02"]),
            (2, "V-10", "II", vec!["db01"]),
            (3, "V-100", "II", vec!["web01"]),
            (4, "V-9", "III", vec!["web02"]),
        ]
    );
}

#[test]
fn severity_override_is_honoured_with_its_justification() {
    let p = build(&fleet(), None, &opts());
    let item = &p.items[1];
    assert_eq!(item.raw_severity, "high");
    assert_eq!(item.severity, "medium");
    let layout = Layout::builtin("emass_joint").unwrap();
    assert_eq!(layout.field(item, "rawSeverity"), "I");
    assert_eq!(layout.field(item, "severity"), "Moderate");
    let comments = item.comments_text();
    assert!(
        comments.contains("overridden from high to medium (CAT II)"),
        "{comments}"
    );
    assert!(comments.contains("[db01]: Compensating control: PAM vault rotates"));
    // CAT II schedule, not CAT I.
    assert_eq!(item.scheduled_completion, "2025-04-15");
}

#[test]
fn scheduled_completion_is_export_date_plus_days_by_cat_and_configurable() {
    let p = build(&fleet(), None, &opts());
    let due: Vec<&str> = p
        .items
        .iter()
        .map(|i| i.scheduled_completion.as_str())
        .collect();
    assert_eq!(
        due,
        vec!["2025-02-14", "2025-04-15", "2025-04-15", "2025-07-14"]
    );
    let custom = PoamOptions {
        days: [7, 14, 21],
        ..opts()
    };
    let p = build(&fleet(), None, &custom);
    assert_eq!(p.items[0].scheduled_completion, "2025-01-22");
    assert_eq!(p.items[3].scheduled_completion, "2025-02-05");
    let joint = Layout::builtin("emass_joint").unwrap();
    assert_eq!(
        joint.field(&p.items[0], "scheduledCompletion"),
        "01/22/2025"
    );
}

#[test]
fn milestone_and_source_name_scanner_and_scan_date_and_details_are_kept() {
    let p = build(&fleet(), None, &opts());
    let item = &p.items[0];
    let src = item.source_text();
    assert!(
        src.contains("Evaluate-STIG 1.2507, scanned 2025-01-10 (1 host)"),
        "{src}"
    );
    assert!(
        src.contains("Evaluate-STIG 1.2507, scanned 2025-01-11 (1 host)"),
        "{src}"
    );
    assert!(src.contains("Microsoft Windows Server 2019 STIG"));
    let m = item.milestone_text("02/14/2025");
    assert!(
        m.contains("Evaluate-STIG 1.2507, scanned 2025-01-10"),
        "{m}"
    );
    assert!(m.ends_with("Completion: 02/14/2025"));
    // Identical details are grouped under both hosts.
    let d = item.description();
    assert!(d.contains("[web01, web02]: Password age 90 > 60"), "{d}");
    // A source without tool or date says so rather than inventing one.
    let src = p.items[1].source_text();
    assert!(
        src.contains("DISA STIG Viewer :: 2.17, scan date not stated in the file (1 host)"),
        "{src}"
    );
}

#[test]
fn csv_neutralises_formulas_but_keeps_quotes_and_brackets() {
    let p = build(&fleet(), None, &opts());
    for name in Layout::builtin_names() {
        let csv = Layout::builtin(name).unwrap().render_csv(&p.items);
        let mut rdr = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 4);
        for row in &rows {
            for cell in row.iter() {
                let first = cell.chars().next();
                assert!(
                    !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                    "{name}: live formula cell {cell:?}"
                );
            }
        }
        // The hostile details sit inside the description (not at its start) unchanged.
        assert!(
            csv.contains("[web02]: =HYPERLINK(\"\"http://x\"\")"),
            "{name}"
        );
        assert!(csv.contains("<b>\"\"quoted\"\"</b>"), "{name}");
    }
}

#[test]
fn a_cell_that_starts_with_a_formula_is_prefixed() {
    let p = build(&fleet(), None, &opts());
    let mut item = p.items[0].clone();
    item.mitigations = "=cmd|' /C calc'!A0".into();
    item.title = "@SUM(1)".into();
    let csv = Layout::builtin("emass_joint").unwrap().render_csv(&[item]);
    assert!(csv.contains(",'=cmd|' /C calc'!A0,"), "{csv}");
}

#[test]
fn devices_affected_only_where_the_layout_has_it() {
    let p = build(&fleet(), None, &opts());
    let navy = Layout::builtin("navy_stigman").unwrap();
    let joint = Layout::builtin("emass_joint").unwrap();
    assert!(navy.has_column_for("devicesAffected"));
    assert!(!joint.has_column_for("devicesAffected"));
    let row = navy.row(&p.items[0]);
    let col = navy
        .columns
        .iter()
        .position(|c| c.header == "Devices Affected")
        .unwrap();
    assert_eq!(row[col], "web01\nweb02");
}

#[test]
fn output_is_deterministic_and_sorted_without_duplicates() {
    let a = build(&fleet(), None, &opts());
    let b = build(&fleet(), None, &opts());
    assert_eq!(a.to_json(), b.to_json());
    let mut keys: Vec<(String, String)> = a
        .items
        .iter()
        .map(|i| (i.control_id.clone(), i.severity.clone()))
        .collect();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);
    assert_eq!(PoamFile::from_json(a.to_json().as_bytes()).unwrap(), a);
}

#[test]
fn non_compliant_attestations_become_items() {
    let fleet = view(&[host(
        "h1",
        vec![checklist(
            "h1/a.ckl",
            "t",
            "2025-01-01",
            vec![rr("V-5", Medium, NotReviewed, "")],
        )],
    )])
    .unwrap();
    let mut att = generate(&fleet, None);
    assert!(build(&fleet, Some(&att), &opts()).items.is_empty());
    att.attestations[0].status = AttestationStatus::PartiallyCompliant;
    att.attestations[0].attestor_name = "Ann".into();
    att.attestations[0].attestation_date = "2025-01-02".into();
    let p = build(&fleet, Some(&att), &opts());
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].hosts[0].origin, "attestation");
    assert!(p.items[0]
        .comments_text()
        .contains("PartiallyCompliant per attestation by Ann"));
    assert!(p.items[0]
        .source_text()
        .contains("manual attestation (1 host)"));
}

#[test]
fn risk_accepted_attestations_and_reviews_make_their_own_risk_accepted_items() {
    let mut accepted = rr("V-7", Medium, Open, "SMBv1 enabled");
    accepted.review.comments =
        "Needed by the plant controller.\nRisk Accepted: AO Col. R. Diaz, 2026-10-01, memo 26-114"
            .into();
    let mut justified = rr("V-7", Medium, Open, "SMBv1 enabled");
    justified.review.severity_justification =
        "risk accepted: AO Col. R. Diaz, 2026-10-02, memo 26-115".into();
    let fleet = view(&[
        host(
            "a",
            vec![checklist(
                "a/x.ckl",
                "t",
                "2025-01-01",
                vec![accepted, rr("V-5", Low, NotReviewed, "")],
            )],
        ),
        host(
            "b",
            vec![checklist(
                "b/x.ckl",
                "t",
                "2025-01-01",
                vec![rr("V-7", Medium, Open, "SMBv1 enabled")],
            )],
        ),
        host(
            "c",
            vec![checklist("c/x.ckl", "t", "2025-01-01", vec![justified])],
        ),
    ])
    .unwrap();
    let mut att = generate(&fleet, None);
    att.attestations[0].status = AttestationStatus::RiskAccepted;
    att.attestations[0].attestor_name = "Col. R. Diaz".into();
    att.attestations[0].attestor_role = "AO".into();
    att.attestations[0].attestation_date = "2026-10-03".into();
    att.attestations[0].compliance_evidence = "AO memo 26-116".into();
    let p = build(&fleet, Some(&att), &opts());
    let summary: Vec<(&str, &str, Vec<&str>)> = p
        .items
        .iter()
        .map(|i| (i.control_id.as_str(), i.status.as_str(), i.host_names()))
        .collect();
    assert_eq!(
        summary,
        [
            ("V-7", "Ongoing", vec!["b"]),
            ("V-7", "Risk Accepted", vec!["a", "c"]),
            ("V-5", "Risk Accepted", vec!["a"]),
        ]
    );
    let v7 = &p.items[1];
    assert_eq!(v7.scheduled_completion, "");
    assert_eq!(v7.milestone_text("12/01/2026"), "");
    let c = v7.comments_text();
    assert!(
        c.starts_with("Risk Accepted by the AO [a]: recorded in the checklist's COMMENTS (below); no milestones."),
        "{c}"
    );
    assert!(c.contains("Risk Accepted by the AO [c]: recorded in the checklist's severity justification: risk accepted: AO Col. R. Diaz, 2026-10-02, memo 26-115"), "{c}");
    assert!(
        c.contains("Risk Accepted: AO Col. R. Diaz, 2026-10-01, memo 26-114"),
        "{c}"
    );
    let v5 = p.items[2].comments_text();
    assert!(
        v5.contains("[a]: recorded in the attestation (below)"),
        "{v5}"
    );
    assert!(v5.contains("RiskAccepted per attestation by Col. R. Diaz (AO) on 2026-10-03; evidence: AO memo 26-116"), "{v5}");
    // The Ongoing item keeps its date; the JSON round-trips the new field.
    assert!(!p.items[0].scheduled_completion.is_empty());
    assert_eq!(PoamFile::from_json(p.to_json().as_bytes()).unwrap(), p);
    assert!(p.items[0].hosts[0].risk_accepted.is_empty());
    // CSV layout: status, no date and no milestone on the Risk Accepted rows only.
    let layout = Layout::builtin("emass_joint").unwrap();
    let (ongoing, risk) = (layout.row(&p.items[0]), layout.row(&p.items[1]));
    assert_eq!(
        (ongoing[10].as_str(), risk[10].as_str()),
        ("Ongoing", "Risk Accepted")
    );
    assert!(!ongoing[6].is_empty() && !ongoing[7].is_empty());
    assert_eq!((risk[6].as_str(), risk[7].as_str()), ("", ""));
    assert!(risk[11].starts_with("Risk Accepted by the AO"));
}

/// A real Evaluate-STIG checklist whose answer file's comment starts `Risk Accepted:` (the
/// answer file writes its comment on its own line under `[ValidTrueComment]:` in
/// COMMENTS) gives a Risk Accepted item quoting it.
#[test]
fn an_evaluate_stig_answer_file_comment_accepts_the_risk() {
    let path =
        crate::shared_dir().join("samples/ckl/CA1294WK16078_COMBINED_20231211-125650-trimmed.ckl");
    if !path.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: {} is required",
            path.display()
        );
        eprintln!("SKIP: {} missing", path.display());
        return;
    }
    let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    let tag = "[ValidTrueComment]:";
    let at = text.find(tag).unwrap();
    // That rule's status: Open (the answer file's own answer was NotAFinding).
    let s = text[..at].rfind("<STATUS>").unwrap();
    let e = s + text[s..].find("</STATUS>").unwrap();
    let mut t = format!("{}<STATUS>Open{}", &text[..s], &text[e..]);
    let at = t.find(tag).unwrap() + tag.len();
    t.insert_str(
        at,
        "\nRisk Accepted: AO Col. R. Diaz, 2026-10-06, memo 26-118",
    );
    let cl = crate::ckl::read(t.as_bytes(), "answer.ckl").unwrap();
    let fleet = view(&[host("h", vec![cl])]).unwrap();
    let p = build(&fleet, None, &opts());
    let accepted: Vec<&PoamItem> = p.items.iter().filter(|i| i.is_risk_accepted()).collect();
    assert_eq!(
        accepted.len(),
        1,
        "{:?}",
        p.items.iter().map(|i| &i.status).collect::<Vec<_>>()
    );
    let c = accepted[0].comments_text();
    assert!(
        c.starts_with("Risk Accepted by the AO [h]: recorded in the checklist's COMMENTS (below)"),
        "{c}"
    );
    assert!(
        c.contains("Risk Accepted: AO Col. R. Diaz, 2026-10-06, memo 26-118"),
        "{c}"
    );
    assert_eq!(accepted[0].scheduled_completion, "");
}

#[test]
fn long_cells_are_cut_at_the_excel_limit_on_a_char_boundary() {
    let long = "é".repeat(40_000);
    let cut = cap_cell(long);
    assert!(cut.encode_utf16().count() <= CELL_LIMIT);
    assert!(cut.ends_with("the complete text is in poam.json]"));
    assert_eq!(cap_cell("short".into()), "short");
}

#[test]
fn layouts_are_validated_as_data() {
    let bad = [
        (
            r#"{"name":"x","title":"","dateFormat":"YYYY-MM-DD","columns":[]}"#,
            "no columns",
        ),
        (
            r#"{"name":"x","title":"","dateFormat":"DD.MM.YYYY","columns":[{"header":"a","value":""}]}"#,
            "dateFormat",
        ),
        (
            r#"{"name":"x","title":"","dateFormat":"YYYY-MM-DD","columns":[{"header":"a","field":"nope"}]}"#,
            "unknown field \"nope\"",
        ),
        (
            r#"{"name":"x","title":"","dateFormat":"YYYY-MM-DD","columns":[{"header":"a","field":"itemId","value":"1"}]}"#,
            "exactly one",
        ),
        (
            r#"{"name":"x","title":"","dateFormat":"YYYY-MM-DD","columns":[],"extra":1}"#,
            "unknown field",
        ),
    ];
    for (json, want) in bad {
        let err = Layout::from_json(json.as_bytes()).unwrap_err().to_string();
        assert!(err.contains(want), "{json} -> {err}");
    }
    let custom = Layout::from_json(
        br#"{"name":"mine","title":"t","dateFormat":"YYYY-MM-DD","columns":[{"header":"Id","field":"vulnId"},{"header":"Org","value":"=Navy"}]}"#,
    )
    .unwrap();
    let p = build(&fleet(), None, &opts());
    let csv = custom.render_csv(&p.items[..1]);
    assert_eq!(csv, "Id,Org\r\nV-10,'=Navy\r\n");
    assert!(Layout::builtin("nope")
        .unwrap_err()
        .to_string()
        .contains("emass_joint, navy_stigman"));
}

// ---- the layouts against the real templates ----------------------------------------

fn samples() -> std::path::PathBuf {
    crate::shared_dir().join("samples/poam")
}

fn unzip(file: &std::path::Path, member: &str) -> Option<String> {
    let out = std::process::Command::new("unzip")
        .arg("-p")
        .arg(file)
        .arg(member)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The header cells (column letter, text) of one row of an xlsx sheet.
fn header_row(file: &str, sheet: &str, row: u32) -> Option<Vec<(String, String)>> {
    let path = samples().join(file);
    let shared = unzip(&path, "xl/sharedStrings.xml")?;
    let strings: Vec<String> = shared
        .split("<si>")
        .skip(1)
        .map(|si| {
            let si = si.split("</si>").next().unwrap_or("");
            let mut text = String::new();
            for part in si.split("<t").skip(1) {
                let body = part.split_once('>').map(|(_, b)| b).unwrap_or("");
                text.push_str(body.split("</t>").next().unwrap_or(""));
            }
            xml_unescape(&text)
        })
        .collect();
    let xml = unzip(&path, sheet)?;
    let start = xml.find(&format!("<row r=\"{row}\""))?;
    let body = &xml[start..start + xml[start..].find("</row>")?];
    let mut cells = Vec::new();
    for c in body.split("<c r=\"").skip(1) {
        let col: String = c.chars().take_while(|ch| ch.is_ascii_uppercase()).collect();
        let attrs = c.split('>').next().unwrap_or("");
        if let Some(v) = c.split("<v>").nth(1).and_then(|v| v.split("</v>").next()) {
            if attrs.contains("t=\"s\"") {
                cells.push((col, strings[v.parse::<usize>().unwrap()].clone()));
            }
        }
    }
    Some(cells)
}

fn require_unzip() -> bool {
    let ok = std::process::Command::new("unzip")
        .arg("-v")
        .output()
        .is_ok()
        && samples().exists();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: unzip and shared/samples/poam are required to check the POA&M layouts"
        );
        eprintln!("SKIP: unzip or ../shared/samples/poam missing; layout headers not checked against the real templates");
    }
    ok
}

#[test]
fn navy_layout_headers_are_the_stig_manager_template_row_1() {
    if !require_unzip() {
        return;
    }
    let cells = header_row("stigman_poam-template.xlsx", "xl/worksheets/sheet1.xml", 1).unwrap();
    let template: Vec<&str> = cells.iter().map(|(_, t)| t.as_str()).collect();
    let layout = Layout::builtin("navy_stigman").unwrap();
    let ours: Vec<&str> = layout.columns.iter().map(|c| c.header.as_str()).collect();
    assert_eq!(ours, template);
    assert_eq!(cells.first().map(|c| c.0.as_str()), Some("A"));
    assert_eq!(cells.last().map(|c| c.0.as_str()), Some("Z"));
}

#[test]
fn joint_layout_headers_are_the_emass_template_row_7_columns_b_to_v() {
    if !require_unzip() {
        return;
    }
    // The "Example" sheet (sheet4) has the clean header row; the POA&M sheet (sheet1)
    // has the same B..V headers plus a stray A7.
    for sheet in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet4.xml"] {
        let cells = header_row("saf_POAMTemplate_from_files.json.xlsm", sheet, 7).unwrap();
        let template: Vec<&str> = cells
            .iter()
            .filter(|(c, _)| c.as_str() >= "B" && c.len() == 1)
            .map(|(_, t)| t.as_str())
            .collect();
        let layout = Layout::builtin("emass_joint").unwrap();
        let ours: Vec<&str> = layout.columns.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(ours, template, "{sheet}");
    }
}

/// Two revisions of one STIG across a fleet: a rule changed between them (new rule id and
/// severity for V-10) and one that did not (V-20, same rule id in both releases).
fn mixed_revision_fleet() -> FleetView {
    let release = |c: &mut crate::model::Checklist, r: &str| {
        c.stigs[0].info.releaseinfo = format!("Release: {r} Benchmark Date: 01 Jan 2025")
    };
    let mut old_hosts = Vec::new();
    for name in ["old01", "old02"] {
        let mut r10 = rr("V-10", Medium, Open, "old details");
        r10.rule.rule_id = "SV-10r1_rule".into();
        r10.rule.rule_title = "Old title of V-10".into();
        r10.rule.ccis = vec!["CCI-000366".into()];
        let mut c = checklist(
            &format!("{name}/a.ckl"),
            "Evaluate-STIG 1.2310.1",
            "2023-12-11T10:02:03Z",
            vec![r10, rr("V-20", Low, Open, "")],
        );
        release(&mut c, "8");
        old_hosts.push(host(name, vec![c]));
    }
    let mut new_hosts = Vec::new();
    for name in ["new01", "new02"] {
        let mut r10 = rr("V-10", High, Open, "new details");
        r10.rule.rule_id = "SV-10r2_rule".into();
        r10.rule.ccis = vec!["CCI-000366".into(), "CCI-000002".into()];
        let mut c = checklist(
            &format!("{name}/a.ckl"),
            "Evaluate-STIG 1.2507",
            "2025-01-10",
            vec![r10, rr("V-20", Low, Open, "")],
        );
        release(&mut c, "9");
        new_hosts.push(host(name, vec![c]));
    }
    // Interleave so that neither revision is "seen first" for every host.
    let hosts = vec![
        new_hosts[0].clone(),
        old_hosts[0].clone(),
        new_hosts[1].clone(),
        old_hosts[1].clone(),
    ];
    view(&hosts).unwrap()
}

#[test]
fn items_are_true_of_every_host_on_mixed_revisions() {
    let fleet = mixed_revision_fleet();
    let p = build(&fleet, None, &opts());
    // What each host actually has, from the checklists (not from the item).
    let truth = |host: &str, vuln: &str| -> (String, String) {
        let h = fleet.host(host).unwrap();
        let c = h.control(vuln).unwrap();
        (
            c.rule_id.to_string(),
            c.raw_severity.map(severity_word).unwrap_or("").to_owned(),
        )
    };
    let v10: Vec<&PoamItem> = p.items.iter().filter(|i| i.vuln_id == "V-10").collect();
    assert_eq!(v10.len(), 2, "one item per revision of the changed rule");
    for item in &p.items {
        for h in &item.hosts {
            assert_eq!(
                truth(&h.host, &item.vuln_id),
                (item.rule_id.clone(), item.raw_severity.clone()),
                "item {} lists {} which has another rule id or severity",
                item.item_id,
                h.host
            );
            assert_eq!(h.rule_id, item.rule_id);
            assert!(item
                .benchmark_release
                .contains(h.benchmark_release.as_str()));
        }
    }
    let old = v10.iter().find(|i| i.rule_id == "SV-10r1_rule").unwrap();
    assert_eq!(old.host_names(), ["old01", "old02"]);
    assert_eq!(old.title, "Old title of V-10");
    assert_eq!(old.cat, "II");
    assert_eq!(
        old.benchmark_release,
        "Release: 8 Benchmark Date: 01 Jan 2025"
    );
    assert_eq!(old.controls, ["CM-6"]);
    let new = v10.iter().find(|i| i.rule_id == "SV-10r2_rule").unwrap();
    assert_eq!(new.host_names(), ["new01", "new02"]);
    assert_eq!(new.cat, "I");
    assert_eq!(new.controls, ["AC-1", "CM-6"]);
    // The unchanged rule stays one item naming both releases.
    let v20: Vec<&PoamItem> = p.items.iter().filter(|i| i.vuln_id == "V-20").collect();
    assert_eq!(v20.len(), 1);
    assert_eq!(v20[0].hosts.len(), 4);
    assert_eq!(
        v20[0].benchmark_release,
        "Release: 8 Benchmark Date: 01 Jan 2025; Release: 9 Benchmark Date: 01 Jan 2025"
    );
    // The same items whatever order the hosts were read in.
    let mut b = crate::control_view::FleetBuilder::new();
    let fwd = mixed_revision_fleet();
    let mut hosts = fwd.hosts.clone();
    hosts.reverse();
    b.add_view(FleetView {
        hosts,
        rules: fwd.rules.clone(),
        revisions: fwd.revisions.clone(),
    })
    .unwrap();
    assert_eq!(build(&b.finish(), None, &opts()), p);
}

#[test]
fn source_text_names_scanner_and_scan_date_of_each_revision() {
    let p = build(&mixed_revision_fleet(), None, &opts());
    let v20 = p.items.iter().find(|i| i.vuln_id == "V-20").unwrap();
    let src = v20.source_text();
    assert!(
        src.contains("Evaluate-STIG 1.2310.1, scanned 2023-12-11 (2 hosts)"),
        "{src}"
    );
    assert!(
        src.contains("Evaluate-STIG 1.2507, scanned 2025-01-10 (2 hosts)"),
        "{src}"
    );
    // Markup where a tool name should be is not copied into the POA&M.
    let mut item = v20.clone();
    item.hosts[0].sources[0].tool = "<!--Evaluate-STIG-->".into();
    assert!(item.scan_summary().contains("an unnamed scanner"));
}

#[test]
fn a_host_without_finding_details_is_named_in_the_default_layout() {
    let p = build(&mixed_revision_fleet(), None, &opts());
    let v20 = p.items.iter().find(|i| i.vuln_id == "V-20").unwrap();
    let joint = Layout::builtin(super::layout::DEFAULT_LAYOUT).unwrap();
    let row = joint.row(v20).join("\u{1f}");
    for h in ["old01", "old02", "new01", "new02"] {
        assert!(row.contains(h), "{h} missing from {row}");
    }
    // Mixed: hosts with details under their text, the others named as silent.
    let v10 = p
        .items
        .iter()
        .find(|i| i.rule_id == "SV-10r2_rule")
        .unwrap();
    let mut item = v10.clone();
    item.hosts[1].finding_details = Sym::EMPTY;
    let d = item.description();
    assert!(d.contains("[new01]: new details"), "{d}");
    assert!(d.contains("[new02]: none recorded by the scanner"), "{d}");
}

#[test]
fn controls_are_mapped_and_unmapped_ccis_reported() {
    let mut r = rr("V-30", Medium, Open, "x");
    r.rule.ccis = vec!["CCI-000366".into(), "CCI-999999".into()];
    let fleet = view(&[host(
        "h",
        vec![checklist("h/a.ckl", "t", "2025-01-01", vec![r])],
    )])
    .unwrap();
    let p = build(&fleet, None, &opts());
    assert_eq!(p.cci_list_version, "2025-01-23");
    assert_eq!(p.items[0].controls, ["CM-6"]);
    assert_eq!(p.items[0].unmapped_ccis, ["CCI-999999"]);
    assert_eq!(
        p.unmapped_ccis,
        [UnmappedCci {
            cci: "CCI-999999".into(),
            vuln_ids: vec!["V-30".into()]
        }]
    );
    for name in Layout::builtin_names() {
        let l = Layout::builtin(name).unwrap();
        assert!(l.has_column_for("controls"), "{name}");
        assert_eq!(l.field(&p.items[0], "controls"), "CM-6");
    }
    let summary = super::summary::render(&p, "emass_joint");
    assert!(summary.contains("CCI-999999"), "{summary}");
    assert!(summary.contains("2025-01-23"), "{summary}");
    // A list given at run time replaces the built-in one.
    let xml = "<cci_list><metadata><version>2030-01-01</version></metadata><cci_items>\
               <cci_item id=\"CCI-999999\"><references><reference \
               title=\"NIST SP 800-53 Revision 5\" index=\"SI-2 a\"/></references>\
               </cci_item></cci_items></cci_list>";
    let custom = PoamOptions {
        cci: Some(CciTable::from_xml("l.xml", xml.as_bytes()).unwrap()),
        ..opts()
    };
    let p = build(&fleet, None, &custom);
    assert_eq!(p.cci_list_version, "2030-01-01");
    assert_eq!(p.items[0].controls, ["SI-2"]);
    assert_eq!(p.items[0].unmapped_ccis, ["CCI-000366"]);
}
