//! `fleet-md`: an example third-party `extra` exporter for stigpack. It reads the STIG
//! Viewer checklists the host mounts at `/input/checklists/<host>/*.ckl` and writes one
//! Markdown file, `fleet-summary.md`: per host and checklist, how many rules are open,
//! not a finding, not applicable and not reviewed, and the open ones by severity.
//!
//! Written against the published contract only (`wit/since_v0.1.0`, generated with
//! wit-bindgen): a third party needs nothing else of stigpack. The output depends only on
//! the input files and the options, so an auditor's rerun writes the same bytes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

wit_bindgen::generate!({
    world: "transform",
    path: "../../../wit/since_v0.1.0",
});

use stigpack::component::types::InputProblem;

const OUT_FILE: &str = "fleet-summary.md";

/// Counts for one checklist.
#[derive(Default)]
struct Counts {
    open: [u32; 3],
    not_a_finding: u32,
    not_applicable: u32,
    not_reviewed: u32,
}

struct FleetMd;

impl Guest for FleetMd {
    fn info() -> ComponentInfo {
        ComponentInfo {
            name: "fleet-md".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "reads checklists/<host>/*.ckl; writes fleet-summary.md (open findings by host, checklist and severity)".into(),
            produces: vec!["md".into()],
        }
    }

    fn run(ctx: RunContext) -> Result<Vec<String>, RunError> {
        let system = ctx
            .options
            .iter()
            .find(|(k, _)| k == "system")
            .map(|(_, v)| v.as_str())
            .unwrap_or("System");
        let mut rows: BTreeMap<(String, String), Counts> = BTreeMap::new();
        for host in sorted_dir(Path::new("/input/checklists"))? {
            let dir = Path::new("/input/checklists").join(&host);
            if !dir.is_dir() {
                continue;
            }
            for file in sorted_dir(&dir)? {
                if !file.ends_with(".ckl") {
                    continue;
                }
                let rel = format!("checklists/{host}/{file}");
                let bytes = fs::read(dir.join(&file))
                    .map_err(|e| RunError::Internal(format!("reading {rel}: {e}")))?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    RunError::InvalidInput(InputProblem {
                        file: rel.clone(),
                        reason: "not UTF-8".into(),
                    })
                })?;
                rows.insert((host.clone(), title(&text, &file)), count(&text));
            }
        }
        let md = render(system, &ctx.exported_at, &rows);
        fs::write(Path::new("/output").join(OUT_FILE), md)
            .map_err(|e| RunError::Internal(format!("writing {OUT_FILE}: {e}")))?;
        Ok(vec![OUT_FILE.into()])
    }
}

/// Directory entries by name: the host's listing order is not stable.
fn sorted_dir(dir: &Path) -> Result<Vec<String>, RunError> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RunError::Internal(format!("{}: {e}", dir.display()))),
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The text between `open` and the next `<`, after `from`.
fn element<'a>(text: &'a str, from: usize, open: &str) -> Option<(&'a str, usize)> {
    let start = text[from..].find(open)? + from + open.len();
    let end = text[start..].find('<')? + start;
    Some((&text[start..end], end))
}

fn title(text: &str, file: &str) -> String {
    text.find("<SID_NAME>title</SID_NAME>")
        .and_then(|at| element(text, at, "<SID_DATA>"))
        .map(|(t, _)| unescape(t))
        .unwrap_or_else(|| file.to_owned())
}

fn count(text: &str) -> Counts {
    let mut c = Counts::default();
    for vuln in text.split("<VULN>").skip(1) {
        let severity = vuln
            .find("<VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE>")
            .and_then(|at| element(vuln, at, "<ATTRIBUTE_DATA>"))
            .map(|(s, _)| s)
            .unwrap_or("");
        let status = element(vuln, 0, "<STATUS>").map(|(s, _)| s).unwrap_or("");
        match status {
            "Open" => {
                let i = match severity {
                    "high" => 0,
                    "medium" => 1,
                    _ => 2,
                };
                c.open[i] += 1;
            }
            "NotAFinding" => c.not_a_finding += 1,
            "Not_Applicable" => c.not_applicable += 1,
            _ => c.not_reviewed += 1,
        }
    }
    c
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Markdown table cells: no pipes or line breaks from the input.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn render(system: &str, exported_at: &str, rows: &BTreeMap<(String, String), Counts>) -> String {
    let mut md = format!(
        "# Fleet summary: {}\n\nExported {exported_at}. {} checklist(s) on {} host(s).\n\n",
        cell(system),
        rows.len(),
        rows.keys()
            .map(|(h, _)| h)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    md.push_str("| Host | Checklist | Open CAT I | Open CAT II | Open CAT III | Not a finding | Not applicable | Not reviewed |\n");
    md.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
    let mut total = Counts::default();
    for ((host, title), c) in rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(host),
            cell(title),
            c.open[0],
            c.open[1],
            c.open[2],
            c.not_a_finding,
            c.not_applicable,
            c.not_reviewed
        ));
        for i in 0..3 {
            total.open[i] += c.open[i];
        }
        total.not_a_finding += c.not_a_finding;
        total.not_applicable += c.not_applicable;
        total.not_reviewed += c.not_reviewed;
    }
    md.push_str(&format!(
        "| **Fleet** | | {} | {} | {} | {} | {} | {} |\n",
        total.open[0],
        total.open[1],
        total.open[2],
        total.not_a_finding,
        total.not_applicable,
        total.not_reviewed
    ));
    md
}

export!(FleetMd);
