//! The checklist files one host produces, as relative paths and bytes: the output layout
//! `<host>/[<MARKING>_]<host>_<benchmark-id>[_V<v>R<r>].ckl|.cklb` (one file per
//! benchmark, STIG Viewer's habit; see [`file_stem`]) or `<host>/<host>_combined.ckl|.cklb`. Both path components come from scan content, so
//! both go through [`crate::host::safe_host_component`]; a benchmark that appears twice
//! for one host is an error rather than one file silently overwriting the other.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::host::safe_host_component;
use crate::model::{Asset, BenchmarkInfo, Checklist, CklbMeta, HostResults, StigChecklist};
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
    // benchmark id -> (input checklist, benchmark)
    let mut by_id: BTreeMap<&str, (&Checklist, &StigChecklist)> = BTreeMap::new();
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
            if let Some((first, _)) = by_id.insert(id, (c, s)) {
                return Err(Error::new(
                    &c.source.file,
                    ErrorKind::InvalidValue {
                        field: "benchmark".into(),
                        value: id.into(),
                        reason: format!(
                            "host {} already has results for this benchmark from {}",
                            host.host, first.source.file
                        ),
                    },
                ));
            }
        }
    }
    let mut out = Vec::new();
    if combined {
        let Some((first, _)) = by_id.values().next() else {
            return Ok(out);
        };
        let asset = asset_for(host, &first.asset);
        let stigs: Vec<StigChecklist> = by_id.values().map(|(_, s)| (*s).clone()).collect();
        // A document's id, title and keys belong to one input file; the combined file
        // gets its own, and the Evaluate-STIG document record when every input shares it.
        let shared = by_id
            .values()
            .all(|(c, _)| c.cklb.evaluate_stig == first.cklb.evaluate_stig);
        let meta = CklbMeta {
            evaluate_stig: first.cklb.evaluate_stig.clone().filter(|_| shared),
            ..Default::default()
        };
        let stem = format!("{}/{}_combined", host.host, host.host);
        write_pair(
            &mut out,
            &stem,
            formats,
            &asset,
            &stigs,
            &meta,
            tool_comment,
        );
    } else {
        for (c, stig) in by_id.values() {
            let asset = asset_for(host, &c.asset);
            // A one-benchmark input keeps its document id and title; one benchmark of a
            // combined input keeps only what is not an identity (the record, unknown keys).
            let meta = if c.stigs.len() == 1 {
                c.cklb.clone()
            } else {
                kept_meta(&c.cklb)
            };
            let stem = format!(
                "{}/{}",
                host.host,
                file_stem(&host.host, &asset, &stig.info)?
            );
            write_pair(
                &mut out,
                &stem,
                formats,
                &asset,
                std::slice::from_ref(*stig),
                &meta,
                tool_comment,
            );
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The document fields an output file may inherit from an input that held other
/// benchmarks too: everything but the document's identity (`id`, `title`).
fn kept_meta(m: &CklbMeta) -> CklbMeta {
    CklbMeta {
        id: String::new(),
        title: String::new(),
        ..m.clone()
    }
}

/// The asset as written. An empty `HOST_NAME` (STIG Viewer and Heimdall leave it empty
/// for a blank checklist) is filled from the host's results directory, which is the
/// host's name by the results layout; STIG Manager refuses a checklist without one.
fn asset_for(host: &HostResults, a: &Asset) -> Asset {
    let mut a = a.clone();
    if a.host_name.trim().is_empty() {
        a.host_name = host.host.clone();
    }
    a
}

/// The file name, without extension, of one benchmark's checklist:
/// `[<MARKING>_]<host>_<benchmark-id>[_V<version>R<release>]`, e.g.
/// `CUI_WS01_MS_Windows_11_STIG_V2R6`. Operators sort and hand on checklists by file
/// name, so the name says which host, which STIG, which release (the STIG's own version
/// and release as the checklist states them, `V0R8` included) and, when the asset is
/// marked (anything but empty or UNCLASSIFIED), the marking first, as DoD file names
/// carry it. Version and release are left out when the checklist does not state both.
/// Every part comes from scan content and is checked as a safe file name.
pub fn file_stem(host: &str, asset: &Asset, info: &BenchmarkInfo) -> Result<String> {
    let mut name = String::new();
    let marking = asset.marking.trim();
    if !marking.is_empty()
        && !marking.eq_ignore_ascii_case("UNCLASSIFIED")
        && !marking.eq_ignore_ascii_case("U")
    {
        let m: String = marking
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '-'
                }
            })
            .collect();
        name.push_str(m.trim_matches('-'));
        name.push('_');
    }
    name.push_str(host);
    name.push('_');
    name.push_str(&info.stigid);
    if let Some(vr) = version_release(info) {
        name.push('_');
        name.push_str(&vr);
    }
    checked("checklist file name", &name)?;
    Ok(name)
}

/// `V2R6` from STIG_INFO's `version` and the `Release: N` of `releaseinfo`, as written.
fn version_release(info: &BenchmarkInfo) -> Option<String> {
    let v = info.version.trim();
    let r = info
        .releaseinfo
        .split_once("Release:")?
        .1
        .split_whitespace()
        .next()?;
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
    (ok(v) && ok(r)).then(|| format!("V{v}R{r}"))
}

fn write_pair(
    out: &mut Vec<OutputFile>,
    stem: &str,
    formats: Formats,
    asset: &Asset,
    stigs: &[StigChecklist],
    meta: &CklbMeta,
    tool_comment: &str,
) {
    if formats.ckl {
        out.push(OutputFile {
            path: format!("{stem}.ckl"),
            bytes: ckl::write_with_record(asset, stigs, tool_comment, meta.evaluate_stig.as_ref())
                .into_bytes(),
        });
    }
    if formats.cklb {
        out.push(OutputFile {
            path: format!("{stem}.cklb"),
            bytes: cklb::write(asset, stigs, meta).into_bytes(),
        });
    }
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
    fn file_names_carry_host_stig_release_and_marking() {
        let info = |v: &str, rel: &str| BenchmarkInfo {
            stigid: "MS_Windows_11_STIG".into(),
            version: v.into(),
            releaseinfo: rel.into(),
            ..Default::default()
        };
        let asset = |m: &str| Asset {
            marking: m.into(),
            ..Default::default()
        };
        let r6 = info("2", "Release: 6 Benchmark Date: 05 Nov 2025");
        assert_eq!(
            file_stem("WS01", &asset(""), &r6).unwrap(),
            "WS01_MS_Windows_11_STIG_V2R6"
        );
        assert_eq!(
            file_stem("WS01", &asset("CUI"), &r6).unwrap(),
            "CUI_WS01_MS_Windows_11_STIG_V2R6"
        );
        assert_eq!(
            file_stem("WS01", &asset("unclassified"), &r6).unwrap(),
            "WS01_MS_Windows_11_STIG_V2R6"
        );
        assert_eq!(
            file_stem("WS01", &asset("CUI//SP-CTI"), &r6).unwrap(),
            "CUI--SP-CTI_WS01_MS_Windows_11_STIG_V2R6"
        );
        let v0 = info("0", "Release: 8 Benchmark Date: 26 Jan 2023");
        assert_eq!(
            file_stem("H", &asset(""), &v0).unwrap(),
            "H_MS_Windows_11_STIG_V0R8"
        );
        // No version or no release stated: no suffix rather than a made-up one.
        assert_eq!(
            file_stem("H", &asset(""), &info("", "Release: 8")).unwrap(),
            "H_MS_Windows_11_STIG"
        );
        assert_eq!(
            file_stem("H", &asset(""), &info("2", "")).unwrap(),
            "H_MS_Windows_11_STIG"
        );
        assert_eq!(
            file_stem("H", &asset(""), &info("2", "Release: ../x")).unwrap(),
            "H_MS_Windows_11_STIG"
        );
    }

    #[test]
    fn one_file_per_benchmark_or_combined() {
        let h = synthetic_host("WS01", 700, 1);
        let files = checklist_files(&h, BOTH, false, "stigpack").unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "WS01/WS01_Synthetic_1_STIG_V2R1.ckl",
                "WS01/WS01_Synthetic_1_STIG_V2R1.cklb",
                "WS01/WS01_Synthetic_2_STIG_V2R1.ckl",
                "WS01/WS01_Synthetic_2_STIG_V2R1.cklb",
                "WS01/WS01_Synthetic_3_STIG_V2R1.ckl",
                "WS01/WS01_Synthetic_3_STIG_V2R1.cklb",
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
