//! Stage 5: provenance, written inside the package (so it is in the hash list): every
//! run with its component, options, inputs and outputs, where each run's inputs came
//! from and its outputs went, and the CCI list that mapped the controls. `reproduce`
//! reruns exactly these steps.

use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use stig_formats::model_file;
use stig_formats::package_artifacts::paths;

use super::super::hashlist;
use super::super::layout::{
    BENCHMARKS, CHECKLISTS, EVIDENCE, MANIFEST_DIR, PROVENANCE, SCANS, UNREADABLE,
};
use super::super::manifest;
use super::super::thirdparty::{ThirdParty, EXTRA};
use super::components::Components;
use super::keep::Kept;
use super::operator_files::CciList;
use super::{Inputs, Settings, HOSTS_PER_RUN, PROVENANCE_SCHEMA};
use crate::pipeline::HostDir;
use crate::sandbox::RunRecord;
use crate::trust::Role;

/// The records of every run of a build, in run order.
#[derive(Debug)]
pub struct Runs<'a> {
    /// One per import run, in host order.
    pub imports: &'a [RunRecord],
    pub emass: &'a RunRecord,
    /// The `extra` exporters, in name order.
    pub extras: &'a [(&'a ThirdParty, RunRecord)],
}

/// Writes `00_Manifest/provenance.json`.
pub fn write(
    components: &Components,
    inputs: &Inputs,
    settings: &Settings,
    kept: &Kept,
    runs: &Runs,
    dest: &Path,
) -> anyhow::Result<()> {
    fs::create_dir_all(dest.join(MANIFEST_DIR))?;
    let mut provenance = json!({
        "schema": PROVENANCE_SCHEMA,
        "tool": { "name": "stigpack", "version": env!("CARGO_PKG_VERSION") },
        "exportedAt": crate::time_arg::rfc3339(settings.exported_at),
        "hostsPerRun": HOSTS_PER_RUN,
        "cciList": cci_list_record(kept.cci_list.as_ref()),
        "steps": steps(&inputs.hosts, runs),
        "rerun": "stigpack reproduce <package> reruns every step on this package's own inputs and compares every output byte for byte",
    });
    // Only a package with outside code says so: a default export's provenance is
    // unchanged (its steps already name each built-in and its digest).
    if !inputs.components.is_empty() {
        provenance["components"] = components_record(components, inputs);
    }
    fs::write(dest.join(PROVENANCE), manifest::to_text(provenance))?;
    Ok(())
}

/// One step per run: the import runs, the emass run, the extra exporters.
fn steps(hosts: &[HostDir], runs: &Runs) -> Vec<Value> {
    let mut steps = Vec::new();
    for (record, hosts) in runs.imports.iter().zip(hosts.chunks(HOSTS_PER_RUN)) {
        steps.push(step(
            "import",
            hosts,
            record,
            json!({ "scans/": format!("{SCANS}/"), "benchmarks/": format!("{BENCHMARKS}/") }),
            json!({ format!("{}/", stig_formats::output::CHECKLISTS_DIR): format!("{CHECKLISTS}/"),
                    "": format!("(intermediate: {}, input of emass; import-report.json; {}, merged into {UNREADABLE})", model_file::VIEW_FILE, stig_formats::import::UNREADABLE_FILE) }),
        ));
    }
    steps.push(step(
        "emass",
        hosts,
        runs.emass,
        json!({ "views/": format!("(the {} of every import step, numbered in step order)", model_file::VIEW_FILE),
                "evidence.txt": format!("(the list of files under {EVIDENCE}/)"),
                "answers/": format!("{}/", paths::ANSWERS_DIR),
                "layout/": format!("{}/", paths::POAM_LAYOUT_DIR),
                "cci/": format!("{}/", paths::POAM_CCI_DIR),
                stig_formats::import::UNREADABLE_FILE: UNREADABLE,
                "profile/": format!("{}/", stig_formats::poam::profile::PROFILE_DIR) }),
        json!({ "": "",
                paths::FACTS: format!("(intermediate: the counts and readiness written into {})", hashlist::MANIFEST) }),
    ));
    for (tp, record) in runs.extras {
        let mut st = step(
            "extra",
            hosts,
            record,
            json!({ "checklists/": format!("{CHECKLISTS}/") }),
            json!({ "": format!("{EXTRA}/{}/", tp.name) }),
        );
        st["name"] = json!(tp.name);
        steps.push(st);
    }
    steps
}

fn step(name: &str, hosts: &[HostDir], record: &RunRecord, inputs: Value, outputs: Value) -> Value {
    let hosts: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
    json!({
        "step": name,
        "hosts": hosts,
        "run": record,
        "inputsFrom": inputs,
        "outputsTo": outputs,
    })
}

/// Every component of the build: the built-ins still in use, then the outside ones.
fn components_record(components: &Components, inputs: &Inputs) -> Value {
    let mut all = Vec::new();
    for (role, c) in [
        (Role::Import, &components.import),
        (Role::Emass, &components.emass),
    ] {
        if !components.is_outside(role) {
            let c = &c.component;
            all.push(
                json!({ "role": role, "name": c.name, "sha256": c.sha256, "source": "built-in" }),
            );
        }
    }
    all.extend(inputs.components.iter().map(ThirdParty::record));
    json!(all)
}

/// Which CCI list mapped the POA&M's controls: the kept file, or the built-in table.
pub fn cci_list_record(list: Option<&CciList>) -> Value {
    match list {
        Some(l) => json!({
            "file": format!("{}/{}", paths::POAM_CCI_DIR, l.name),
            "version": l.version,
            "sha256": crate::hashing::sha256_hex(&l.bytes),
        }),
        None => json!({
            "file": "(built in: DISA U_CCI_List.xml, NIST SP 800-53 Revision 5 references)",
            "version": stig_formats::cci::CciTable::builtin().version,
        }),
    }
}
