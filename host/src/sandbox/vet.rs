//! Vetting a component before anyone decides to trust it: what it is, what it asks the
//! host for, and whether this sandbox would ever grant that, all without running its
//! code (only `info()`, in a capability-free store, once nothing else is wrong).
//!
//! The import rules live here, next to the linker they describe, so that "what vet calls
//! granted" and "what a run really gets" cannot drift apart: an import the sandbox never
//! grants (a socket, an HTTP handler, an unknown interface) is refused now, with its
//! name, instead of failing or silently linking at run time.

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::component::{types::ComponentItem, Component};

use super::{ComponentSource, Sandbox, SandboxError, SUPPORTED_WIT_VERSIONS};

/// The WIT package every stigpack transform imports its types from.
pub const CONTRACT_PACKAGE: &str = "stigpack:component";

/// How this sandbox treats one import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grant {
    /// The component contract itself.
    Contract,
    /// Granted, within the sandbox's rules (frozen clocks, seeded randomness, `/input`
    /// read-only and `/output` only, bounded stdio).
    Granted,
    /// Linked, but always empty here (no environment variables, no arguments, no stdin):
    /// harmless, yet a reviewer should know the component looks for it.
    GrantedEmpty,
    /// Never granted by this sandbox.
    Refused,
}

/// One import or export and what vet makes of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub name: String,
    pub grant: Grant,
    /// Why, in words a reviewer can act on.
    pub why: String,
}

/// A custom section (producers, names, embedded signatures...), by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomSection {
    pub name: String,
    pub count: u32,
    pub bytes: u64,
}

/// What `info()` says about the component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfoReport {
    pub name: String,
    pub version: String,
    pub summary: String,
    pub produces: Vec<String>,
}

/// A finding a reviewer must read; `refuse` findings make the verdict `refused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub what: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Note,
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Admissible,
    Refused,
}

/// The vet report. Deterministic for given bytes and host version (no paths, no times),
/// so its digest can be named in a signed review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VetReport {
    pub report_version: u32,
    pub sha256: String,
    pub size: u64,
    /// `stigpack:component@X.Y.Z`, from the contract import, when there is one.
    pub wit_package: Option<String>,
    pub wit_version: Option<String>,
    pub wit_version_supported: bool,
    pub world: String,
    pub imports: Vec<Item>,
    pub exports: Vec<Item>,
    pub custom_sections: Vec<CustomSection>,
    /// The `producers` sections' fields, e.g. `language: Rust`, `processed-by: wit-component 0.x`.
    pub producers: Vec<String>,
    pub info: Option<InfoReport>,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
}

impl VetReport {
    /// The report's bytes as signed reviews name them (compact JSON in field order).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // A struct of strings, integers and enums always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// SHA-256 of [`Self::canonical_bytes`].
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }
}

/// Why a WASI import is or is not granted. Prefix match on the interface name (versions
/// vary); anything not listed is refused.
const RULES: &[(&str, Grant, &str)] = &[
    (
        "wasi:io/",
        Grant::Granted,
        "streams and polling for the files it is given",
    ),
    (
        "wasi:clocks/",
        Grant::Granted,
        "clocks frozen at the export time",
    ),
    (
        "wasi:random/",
        Grant::Granted,
        "randomness seeded from the component's own digest",
    ),
    (
        "wasi:filesystem/",
        Grant::Granted,
        "/input read-only and /output, nothing else",
    ),
    ("wasi:cli/stdout", Grant::Granted, "captured and bounded"),
    ("wasi:cli/stderr", Grant::Granted, "captured and bounded"),
    (
        "wasi:cli/exit",
        Grant::Granted,
        "ends the run, reported as a failure unless 0",
    ),
    ("wasi:cli/terminal-", Grant::Granted, "never a terminal"),
    (
        "wasi:cli/stdin",
        Grant::GrantedEmpty,
        "stdin is always empty",
    ),
    (
        "wasi:cli/environment",
        Grant::GrantedEmpty,
        "no environment variables, no arguments",
    ),
    (
        "wasi:sockets/",
        Grant::Refused,
        "network access: the sandbox never grants it",
    ),
    (
        "wasi:http/",
        Grant::Refused,
        "HTTP: the sandbox never grants it",
    ),
];

/// What the sandbox does with the import called `name`.
pub fn classify_import(name: &str) -> (Grant, String) {
    if name.starts_with(&format!("{CONTRACT_PACKAGE}/")) {
        return (Grant::Contract, "the component contract".into());
    }
    for (prefix, grant, why) in RULES {
        if name.starts_with(prefix) {
            return (*grant, (*why).to_string());
        }
    }
    (
        Grant::Refused,
        "an interface this sandbox does not provide".into(),
    )
}

/// Why the bytes cannot be vetted at all (exit 3: the file is not what it claims).
fn not_a_component(label: &str, message: impl Into<String>) -> SandboxError {
    SandboxError::Load {
        component: label.to_string(),
        message: message.into(),
    }
}

/// Custom sections and producers, from a structural walk of the binary (nested modules
/// included). Also where a truncated or malformed file is caught, with its offset.
fn walk_sections(
    label: &str,
    bytes: &[u8],
) -> Result<(Vec<CustomSection>, Vec<String>), SandboxError> {
    use std::collections::BTreeMap;
    use wasmparser::{KnownCustom, Parser, Payload};
    let mut sections: BTreeMap<String, (u32, u64)> = BTreeMap::new();
    let mut producers = std::collections::BTreeSet::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| {
            not_a_component(label, format!("malformed or truncated WebAssembly: {e}"))
        })?;
        if let Payload::CustomSection(reader) = payload {
            let entry = sections.entry(reader.name().to_string()).or_default();
            entry.0 += 1;
            entry.1 += reader.data().len() as u64;
            if let KnownCustom::Producers(fields) = reader.as_known() {
                for field in fields.into_iter().flatten() {
                    for value in field.values.into_iter().flatten() {
                        producers.insert(
                            format!("{}: {} {}", field.name, value.name, value.version)
                                .trim()
                                .to_string(),
                        );
                    }
                }
            }
        }
    }
    Ok((
        sections
            .into_iter()
            .map(|(name, (count, bytes))| CustomSection { name, count, bytes })
            .collect(),
        producers.into_iter().collect(),
    ))
}

impl Sandbox {
    /// Vets a component: never instantiates it unless every import is one this sandbox
    /// grants and the contract version is supported, and then only to call `info()`.
    /// Errors are for bytes that are not a component at all; everything else is a
    /// finding in the report.
    pub fn vet(&self, source: &ComponentSource) -> Result<VetReport, SandboxError> {
        let label = source.label.as_str();
        let bytes: &[u8] = &source.bytes;
        if wasmparser::Parser::is_core_wasm(bytes) {
            return Err(not_a_component(
                label,
                "a core WebAssembly module, not a component (wrap it with `wasm-tools component new`)",
            ));
        }
        if !wasmparser::Parser::is_component(bytes) {
            return Err(not_a_component(
                label,
                "not a WebAssembly component (bad magic or version)",
            ));
        }
        let (custom_sections, producers) = walk_sections(label, bytes)?;
        let component = Component::new(&self.engine, bytes)
            .map_err(|e| not_a_component(label, format!("does not compile: {e:#}")))?;
        let ty = component.component_type();

        let mut findings = Vec::new();
        let mut wit_version = None;
        let mut imports = Vec::new();
        for (name, item) in ty.imports(&self.engine) {
            let (grant, why) = classify_import(name);
            if grant == Grant::Contract {
                if let (Some(v), ComponentItem::ComponentInstance(_)) =
                    (name.strip_prefix("stigpack:component/types@"), &item.ty)
                {
                    wit_version = Some(v.to_string());
                }
            }
            match grant {
                Grant::Refused => findings.push(Finding {
                    severity: Severity::Refuse,
                    what: format!("imports {name}: {why}"),
                }),
                Grant::GrantedEmpty => findings.push(Finding {
                    severity: Severity::Note,
                    what: format!("imports {name}: {why}"),
                }),
                _ => {}
            }
            imports.push(Item {
                name: name.to_string(),
                grant,
                why,
            });
        }
        imports.sort_by(|a, b| a.name.cmp(&b.name));

        let mut exports = Vec::new();
        for (name, _) in ty.exports(&self.engine) {
            let expected = matches!(name, "info" | "run");
            if !expected {
                findings.push(Finding {
                    severity: Severity::Note,
                    what: format!(
                        "exports {name}, which the transform world does not define (never called)"
                    ),
                });
            }
            exports.push(Item {
                name: name.to_string(),
                grant: if expected {
                    Grant::Contract
                } else {
                    Grant::Granted
                },
                why: if expected {
                    "the transform world".into()
                } else {
                    "not part of the transform world".into()
                },
            });
        }
        exports.sort_by(|a, b| a.name.cmp(&b.name));
        for required in ["info", "run"] {
            if !exports.iter().any(|e| e.name == required) {
                findings.push(Finding {
                    severity: Severity::Refuse,
                    what: format!("does not export {required}: not a transform"),
                });
            }
        }

        let supported = wit_version
            .as_deref()
            .is_some_and(|v| SUPPORTED_WIT_VERSIONS.contains(&v));
        match &wit_version {
            None => findings.push(Finding {
                severity: Severity::Refuse,
                what: format!("does not import {CONTRACT_PACKAGE}/types: not a stigpack transform"),
            }),
            Some(v) if !supported => findings.push(Finding {
                severity: Severity::Refuse,
                what: format!(
                    "built against {CONTRACT_PACKAGE}@{v}; this stigpack runs {}",
                    SUPPORTED_WIT_VERSIONS.join(", ")
                ),
            }),
            Some(_) => {}
        }

        // Only a component with nothing to refuse gets to run any code: info(), in a
        // store with no capabilities and a small budget (see `Sandbox::load`).
        let mut info = None;
        if !findings.iter().any(|f| f.severity == Severity::Refuse) {
            match self.load(source) {
                Ok(loaded) => {
                    info = Some(InfoReport {
                        name: loaded.name,
                        version: loaded.version,
                        summary: loaded.summary,
                        produces: loaded.produces,
                    })
                }
                Err(e) => findings.push(Finding {
                    severity: Severity::Refuse,
                    what: format!("info() failed in the sandbox: {e}"),
                }),
            }
        }
        let verdict = if findings.iter().any(|f| f.severity == Severity::Refuse) {
            Verdict::Refused
        } else {
            Verdict::Admissible
        };
        Ok(VetReport {
            report_version: 1,
            sha256: source.sha256.clone(),
            size: bytes.len() as u64,
            wit_package: wit_version
                .as_ref()
                .map(|v| format!("{CONTRACT_PACKAGE}@{v}")),
            wit_version,
            wit_version_supported: supported,
            world: "transform".into(),
            imports,
            exports,
            custom_sections,
            producers,
            info,
            findings,
            verdict,
        })
    }
}
