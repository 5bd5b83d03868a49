//! The checklist files one host produces, as relative paths and bytes: the output layout
//! `<host>/<benchmark-id>.ckl|.cklb` (one file per benchmark, STIG Viewer's habit) or
//! `<host>/<host>_combined.ckl|.cklb`. Both path components come from scan content, so
//! both go through [`crate::host::safe_host_component`]; a benchmark that appears twice
//! for one host is an error rather than one file silently overwriting the other.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::host::safe_host_component;
use crate::model::{Asset, CklbMeta, HostResults, StigChecklist};
use crate::{ckl, cklb};

/// The CKL comment line stigpack's own components write (the `checklist` component, and
/// `import` when asked for checklists): one constant, so both write the same bytes.
pub const CHECKLIST_TOOL: &str = concat!("stigpack checklist ", env!("CARGO_PKG_VERSION"));

/// Where `import` puts checklists in its output when its option `checklists` asks for
/// them (the `checklist` component writes the same layout at its output's root).
pub const CHECKLISTS_DIR: &str = "checklists";

/// Which formats to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub ckl: bool,
    pub cklb: bool,
}

impl Formats {
    /// `ckl`, `cklb` or `both`, as components' options name them.
    pub fn named(name: &str) -> Option<Formats> {
        match name {
            "ckl" => Some(Formats {
                ckl: true,
                cklb: false,
            }),
            "cklb" => Some(Formats {
                ckl: false,
                cklb: true,
            }),
            "both" => Some(Formats {
                ckl: true,
                cklb: true,
            }),
            _ => None,
        }
    }
}

/// One file to write, relative to the output root, `/` separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

fn checked(kind: &str, s: &str) -> Result<()> {
    safe_host_component(s).map(|_| ()).map_err(|e| {
        let reason = match e.kind {
            ErrorKind::UnsafeHostName { reason, .. } => reason,
            _ => "unsafe",
        };
        Error::new(
            "",
            ErrorKind::InvalidValue {
                field: kind.into(),
                value: s.into(),
                reason: format!("not usable as a file name: {reason}"),
            },
        )
    })
}

/// The files for one host, sorted by path (deterministic). `tool_comment` is the CKL
/// comment line (e.g. `stigpack :: 0.1.0`).
pub fn checklist_files(
    host: &HostResults,
    formats: Formats,
    combined: bool,
    tool_comment: &str,
) -> Result<Vec<OutputFile>> {
    checked("host", &host.host)?;
    // benchmark id -> (asset, benchmark, the CKLB meta of a one-benchmark input file)
    let mut by_id: BTreeMap<&str, (&Asset, &StigChecklist, Option<&CklbMeta>, &str)> =
        BTreeMap::new();
    for c in &host.checklists {
        for s in &c.stigs {
            let id = s.info.stigid.as_str();
            if id.is_empty() {
                return Err(Error::new(
                    &c.source.file,
                    ErrorKind::MissingElement {
                        element: "benchmark id (stigid)".into(),
                    },
                ));
            }
            checked("benchmark id", id)?;
            let meta = (c.stigs.len() == 1).then_some(&c.cklb);
            if let Some((_, _, _, first)) = by_id.insert(id, (&c.asset, s, meta, &c.source.file)) {
                return Err(Error::new(
                    &c.source.file,
                    ErrorKind::InvalidValue {
                        field: "benchmark".into(),
                        value: id.into(),
                        reason: format!(
                            "host {} already has results for this benchmark from {first}",
                            host.host
                        ),
                    },
                ));
            }
        }
    }
    let mut out = Vec::new();
    if combined {
        let Some((asset, ..)) = by_id.values().next() else {
            return Ok(out);
        };
        let stigs: Vec<StigChecklist> = by_id.values().map(|(_, s, ..)| (*s).clone()).collect();
        let stem = format!("{}/{}_combined", host.host, host.host);
        if formats.ckl {
            out.push(OutputFile {
                path: format!("{stem}.ckl"),
                bytes: ckl::write(asset, &stigs, tool_comment).into_bytes(),
            });
        }
        if formats.cklb {
            out.push(OutputFile {
                path: format!("{stem}.cklb"),
                bytes: cklb::write(asset, &stigs, &CklbMeta::default()).into_bytes(),
            });
        }
    } else {
        let default_meta = CklbMeta::default();
        for (id, (asset, stig, meta, _)) in &by_id {
            let one = std::slice::from_ref(*stig);
            if formats.ckl {
                out.push(OutputFile {
                    path: format!("{}/{id}.ckl", host.host),
                    bytes: ckl::write(asset, one, tool_comment).into_bytes(),
                });
            }
            if formats.cklb {
                out.push(OutputFile {
                    path: format!("{}/{id}.cklb", host.host),
                    bytes: cklb::write(asset, one, meta.unwrap_or(&default_meta)).into_bytes(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::synth::synthetic_host;

    const BOTH: Formats = Formats {
        ckl: true,
        cklb: true,
    };

    #[test]
    fn formats_by_option_name() {
        assert_eq!(Formats::named("both"), Some(BOTH));
        assert_eq!(
            Formats::named("ckl"),
            Some(Formats {
                ckl: true,
                cklb: false
            })
        );
        assert_eq!(
            Formats::named("cklb"),
            Some(Formats {
                ckl: false,
                cklb: true
            })
        );
        for bad in ["", "CKL", "xml", "none"] {
            assert_eq!(Formats::named(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn one_file_per_benchmark_or_combined() {
        let h = synthetic_host("WS01", 700, 1);
        let files = checklist_files(&h, BOTH, false, "stigpack").unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "WS01/Synthetic_1_STIG.ckl",
                "WS01/Synthetic_1_STIG.cklb",
                "WS01/Synthetic_2_STIG.ckl",
                "WS01/Synthetic_2_STIG.cklb",
                "WS01/Synthetic_3_STIG.ckl",
                "WS01/Synthetic_3_STIG.cklb",
            ]
        );
        let c = crate::ckl::read(&files[0].bytes, "x").unwrap();
        assert_eq!(c.stigs.len(), 1);
        assert_eq!(files, checklist_files(&h, BOTH, false, "stigpack").unwrap());

        let files = checklist_files(&h, BOTH, true, "stigpack").unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "WS01/WS01_combined.ckl");
        let c = crate::ckl::read(&files[0].bytes, "x").unwrap();
        assert_eq!(c.stigs.len(), 3);
        let j = crate::cklb::read(&files[1].bytes, "x").unwrap();
        assert_eq!(j.stigs.len(), 3);
    }

    #[test]
    fn hostile_ids_and_duplicates_are_errors() {
        let mut h = synthetic_host("WS01", 10, 1);
        h.checklists[0].stigs[0].info.stigid = "../../evil".into();
        let e = checklist_files(&h, BOTH, false, "x").unwrap_err();
        assert!(e.to_string().contains("not usable as a file name"), "{e}");

        let mut h = synthetic_host("WS01", 10, 1);
        let dup = h.checklists[0].clone();
        h.checklists.push(dup);
        let e = checklist_files(&h, BOTH, false, "x").unwrap_err();
        assert!(e.to_string().contains("already has results"), "{e}");

        let mut h = synthetic_host("WS01", 10, 1);
        h.host = "..".into();
        assert!(checklist_files(&h, BOTH, false, "x").is_err());
    }
}
