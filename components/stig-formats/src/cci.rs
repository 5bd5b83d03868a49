//! CCIs to NIST SP 800-53 Revision 5 controls, for the POA&M's Controls / APs column.
//!
//! eMASS wants controls (`AC-2 (1)`), STIGs cite CCIs (`CCI-000068`). DISA's CCI list
//! (`U_CCI_List.xml`) maps each CCI to 800-53 references; we keep only those titled
//! "NIST SP 800-53 Revision 5" and cut each reference index down to the control or
//! enhancement eMASS tracks (`AC-17 (4) (a)` -> `AC-17 (4)`, `CM-6 b` -> `CM-6`).
//!
//! The 3 MB list is not parsed on every run: `cci/rev5.tsv` is a compact table generated
//! from it (`cargo run -p stig-formats --example cci_table -- U_CCI_List.xml`) and compiled
//! in; a test regenerates it from the shared XML and demands byte equality, so the table
//! cannot drift from the list it names. An operator may hand in a newer list
//! (`--cci-list`); it goes through the same parser at run time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::error::{Error, ErrorKind, Result};
use crate::xml::{local, Ev, XmlReader};

/// The reference title that carries Revision 5 mappings.
pub const REV5_TITLE: &str = "NIST SP 800-53 Revision 5";

/// The compiled-in table (generated from DISA's list of 2025-01-23).
pub const BUILTIN_TABLE: &str = include_str!("cci/rev5.tsv");

/// CCI id -> its Revision 5 controls, and the version of the list it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CciTable {
    /// The list's `<metadata><version>` (e.g. `2025-01-23`).
    pub version: String,
    map: BTreeMap<String, Vec<String>>,
}

/// The controls a set of CCIs maps to, and the CCIs that map to none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// Sorted by family, number, enhancement (`AC-2` < `AC-2 (1)` < `AC-10`), unique.
    pub controls: Vec<String>,
    /// CCIs with no Revision 5 mapping in the list (or not in it at all), sorted, unique.
    pub unmapped: Vec<String>,
}

/// The control or enhancement an 800-53 reference index names: the `XX-n` token and,
/// when the next token is an enhancement number `(n)`, that too. `None` when the index
/// does not start with a control id.
pub fn control_of_index(index: &str) -> Option<String> {
    let mut tokens = index.split_whitespace();
    let base = tokens.next()?;
    let (family, number) = base.split_once('-')?;
    let family_ok = family.len() == 2 && family.bytes().all(|b| b.is_ascii_uppercase());
    let number_ok = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    if !family_ok || !number_ok {
        return None;
    }
    match tokens.next() {
        Some(t) if is_enhancement(t) => Some(format!("{base} {t}")),
        _ => Some(base.to_owned()),
    }
}

fn is_enhancement(token: &str) -> bool {
    token
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Orders `AC-2` < `AC-2 (1)` < `AC-2 (10)` < `AC-10`.
fn control_key(control: &str) -> (String, u32, u32) {
    let (base, enh) = match control.split_once(' ') {
        Some((b, e)) => (b, e.trim_matches(|c| c == '(' || c == ')')),
        None => (control, ""),
    };
    let (family, number) = base.split_once('-').unwrap_or((base, ""));
    (
        family.to_owned(),
        number.parse().unwrap_or(u32::MAX),
        if enh.is_empty() {
            0
        } else {
            enh.parse::<u32>().map_or(u32::MAX, |n| n.saturating_add(1))
        },
    )
}

fn sort_controls(controls: &mut Vec<String>) {
    controls.sort_by_cached_key(|c| (control_key(c), c.clone()));
    controls.dedup();
}

impl CciTable {
    /// The table compiled into the crate, parsed once.
    pub fn builtin() -> &'static CciTable {
        static TABLE: OnceLock<CciTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The table is generated and checked by a test; a failure here is a build bug.
            CciTable::from_tsv("cci/rev5.tsv", BUILTIN_TABLE).unwrap_or_default()
        })
    }

    /// Parses DISA's `U_CCI_List.xml` (with the crate's hardened XML reader: no DTDs, no
    /// entities, UTF-8 only). Refuses a document that is not a CCI list, has no version or
    /// holds no Revision 5 reference at all (then it is an older list we cannot use).
    pub fn from_xml(file: &str, bytes: &[u8]) -> Result<CciTable> {
        let mut r = XmlReader::new(file, bytes)?;
        let mut table = CciTable::default();
        let mut current: Option<String> = None;
        let mut root_checked = false;
        let mut references = 0usize;
        loop {
            let (start, empty) = match r.next()? {
                Ev::Start(s) => (s, false),
                Ev::Empty(s) => (s, true),
                Ev::Eof => break,
                Ev::End | Ev::Comment(_) => continue,
            };
            let name = local(&start);
            if !root_checked {
                if name != b"cci_list" {
                    return Err(r.err(ErrorKind::WrongDocument {
                        expected: "DISA CCI list",
                        detail: format!(
                            "the root element is <{}>, not <cci_list>",
                            String::from_utf8_lossy(name)
                        ),
                    }));
                }
                root_checked = true;
                continue;
            }
            match name {
                b"version" if !empty && table.version.is_empty() => {
                    table.version = r.text()?.trim().to_owned();
                }
                b"cci_item" => {
                    let id = r.attr(&start, b"id")?.unwrap_or_default();
                    if !id.starts_with("CCI-") {
                        return Err(r.malformed(format!("cci_item with id {id:?}")));
                    }
                    current = Some(id);
                }
                b"reference" => {
                    if r.attr(&start, b"title")?.as_deref() == Some(REV5_TITLE) {
                        let index = r.attr(&start, b"index")?.unwrap_or_default();
                        let Some(control) = control_of_index(&index) else {
                            return Err(r.malformed(format!(
                                "a {REV5_TITLE} reference with index {index:?}, which names no control"
                            )));
                        };
                        let Some(id) = &current else {
                            return Err(r.malformed("a reference outside any cci_item"));
                        };
                        table.map.entry(id.clone()).or_default().push(control);
                        references += 1;
                    }
                    if !empty {
                        r.skip()?;
                    }
                }
                _ => {}
            }
        }
        if table.version.is_empty() {
            return Err(Error::new(
                file,
                ErrorKind::MissingElement {
                    element: "cci_list/metadata/version".into(),
                },
            ));
        }
        if references == 0 {
            return Err(Error::new(
                file,
                ErrorKind::InvalidValue {
                    field: "references".into(),
                    value: table.version.clone(),
                    reason: format!("the list holds no \"{REV5_TITLE}\" reference"),
                },
            ));
        }
        for controls in table.map.values_mut() {
            sort_controls(controls);
        }
        Ok(table)
    }

    /// The compact table: a `version` line, then `CCI-xxxxxx<TAB>control;control` per
    /// mapped CCI in id order. Deterministic: same list, same bytes.
    pub fn to_tsv(&self) -> String {
        let mut out = format!(
            "# CCI -> {REV5_TITLE} controls, generated from DISA U_CCI_List.xml by\n\
             # `cargo run -p stig-formats --example cci_table -- U_CCI_List.xml`. Do not edit.\n\
             version\t{}\n",
            self.version
        );
        for (cci, controls) in &self.map {
            out.push_str(cci);
            out.push('\t');
            out.push_str(&controls.join(";"));
            out.push('\n');
        }
        out
    }

    /// Reads [`Self::to_tsv`]'s format back.
    pub fn from_tsv(file: &str, text: &str) -> Result<CciTable> {
        let mut table = CciTable::default();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let bad = || {
                Error::new(
                    file,
                    ErrorKind::InvalidValue {
                        field: format!("line {}", n + 1),
                        value: line.to_owned(),
                        reason: "expected `CCI-xxxxxx<TAB>controls` or `version<TAB>date`".into(),
                    },
                )
            };
            let (key, value) = line.split_once('\t').ok_or_else(bad)?;
            if key == "version" {
                table.version = value.to_owned();
            } else if key.starts_with("CCI-") {
                let controls = value.split(';').map(str::to_owned).collect();
                table.map.insert(key.to_owned(), controls);
            } else {
                return Err(bad());
            }
        }
        Ok(table)
    }

    /// The controls of one CCI (empty when it has no Revision 5 mapping).
    pub fn controls_of(&self, cci: &str) -> &[String] {
        self.map.get(cci.trim()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The controls of a rule's CCIs; CCIs that map to nothing are listed, not dropped.
    pub fn map(&self, ccis: &[String]) -> Mapped {
        let mut controls = Vec::new();
        let mut unmapped = BTreeSet::new();
        for cci in ccis {
            let c = self.controls_of(cci);
            if c.is_empty() {
                unmapped.insert(cci.trim().to_owned());
            }
            controls.extend_from_slice(c);
        }
        sort_controls(&mut controls);
        Mapped {
            controls,
            unmapped: unmapped.into_iter().filter(|c| !c.is_empty()).collect(),
        }
    }

    /// Number of CCIs with a mapping.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn index_is_cut_to_control_or_enhancement() {
        for (index, want) in [
            ("AC-1 a 1 (b)", Some("AC-1")),
            ("AC-17 (4) (a)", Some("AC-17 (4)")),
            ("CM-6 b", Some("CM-6")),
            ("SR-9", Some("SR-9")),
            ("AC-16 (10)", Some("AC-16 (10)")),
            ("ac-1", None),
            ("", None),
            ("AC-x", None),
        ] {
            assert_eq!(control_of_index(index).as_deref(), want, "{index:?}");
        }
    }

    fn list(refs: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><cci_list xmlns=\"http://iase.disa.mil/cci\"><metadata>\
             <version>2030-01-01</version></metadata><cci_items>{refs}</cci_items></cci_list>"
        )
    }

    #[test]
    fn parses_rev5_only_sorts_and_round_trips() {
        let xml = list(
            "<cci_item id=\"CCI-000002\"><references>\
             <reference title=\"NIST SP 800-53 Revision 4\" index=\"AC-9\"/>\
             <reference title=\"NIST SP 800-53 Revision 5\" index=\"AC-10 b\"/>\
             <reference title=\"NIST SP 800-53 Revision 5\" index=\"AC-2 (1) (a)\"/>\
             <reference title=\"NIST SP 800-53 Revision 5\" index=\"AC-2 c\"/>\
             </references></cci_item>\
             <cci_item id=\"CCI-000001\"><references>\
             <reference title=\"NIST SP 800-53 Revision 4\" index=\"AC-1 a\"/>\
             </references></cci_item>",
        );
        let t = CciTable::from_xml("l.xml", xml.as_bytes()).unwrap();
        assert_eq!(t.version, "2030-01-01");
        assert_eq!(t.controls_of("CCI-000002"), ["AC-2", "AC-2 (1)", "AC-10"]);
        let m = t.map(&["CCI-000001".into(), "CCI-000002".into(), "CCI-9".into()]);
        assert_eq!(m.controls, ["AC-2", "AC-2 (1)", "AC-10"]);
        assert_eq!(m.unmapped, ["CCI-000001", "CCI-9"]);
        assert_eq!(CciTable::from_tsv("t", &t.to_tsv()).unwrap(), t);
    }

    #[test]
    fn refuses_what_is_not_a_usable_list() {
        let no_rev5 = list(
            "<cci_item id=\"CCI-000001\"><references>\
             <reference title=\"NIST SP 800-53 Revision 4\" index=\"AC-1 a\"/>\
             </references></cci_item>",
        );
        let e = CciTable::from_xml("old.xml", no_rev5.as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("old.xml: "), "{e}");
        assert!(e.to_string().contains("Revision 5"), "{e}");
        let e = CciTable::from_xml("x.xml", b"<Benchmark/>").unwrap_err();
        assert!(e.to_string().contains("not a DISA CCI list"), "{e}");
        let dtd = format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{}", list(""));
        let e = CciTable::from_xml("d.xml", dtd.as_bytes()).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::DtdRefused { .. }), "{e}");
    }

    /// The committed table is exactly what the generator makes of DISA's list.
    #[test]
    fn builtin_table_is_generated_from_the_shared_list() {
        let path = crate::shared_dir().join("reference/cci/U_CCI_List.xml");
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (set STIGPACK_SHARED_DIR)", path.display()));
        let t = CciTable::from_xml("U_CCI_List.xml", &bytes).unwrap();
        assert_eq!(t.version, "2025-01-23");
        assert!(
            t.to_tsv() == BUILTIN_TABLE,
            "cci/rev5.tsv is stale: regenerate it"
        );
        assert_eq!(CciTable::builtin(), &t);
        assert_eq!(t.controls_of("CCI-000366"), ["CM-6"]);
    }
}
