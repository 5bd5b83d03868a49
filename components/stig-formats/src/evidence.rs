//! The evidence files of a package, by host and control.
//!
//! Operators hand in evidence as `<host>/<VulnId or RuleId>/<files...>` (the package's
//! `04_Evidence/` has the same shape). Components and the validator see only the list of
//! relative paths, never the contents, so this is a pure index over strings.

use std::collections::BTreeMap;

/// Evidence paths (relative to `04_Evidence/`, `/`-separated) grouped by (host, id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// host -> id -> paths: nested so that a lookup borrows its keys (it runs once per
    /// control per artifact, a million times for a large fleet).
    by_control: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Paths not of the `<host>/<id>/<file>` shape (kept, listed, never matched).
    pub other: Vec<String>,
}

impl Evidence {
    pub fn from_paths<S: AsRef<str>>(paths: &[S]) -> Evidence {
        let mut e = Evidence::default();
        for p in paths {
            let p = p.as_ref();
            let mut parts = p.splitn(3, '/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(h), Some(id), Some(rest))
                    if !h.is_empty() && !id.is_empty() && !rest.is_empty() =>
                {
                    e.by_control
                        .entry(h.to_owned())
                        .or_default()
                        .entry(id.to_owned())
                        .or_default()
                        .push(p.to_owned());
                }
                _ => e.other.push(p.to_owned()),
            }
        }
        for v in e.by_control.values_mut().flat_map(|m| m.values_mut()) {
            v.sort();
        }
        e.other.sort();
        e
    }

    /// Evidence paths of a control on a host, found by its control id or its rule id.
    pub fn for_control(&self, host: &str, control_id: &str, rule_id: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let Some(by_id) = self.by_control.get(host) else {
            return out;
        };
        for id in [control_id, rule_id] {
            if id.is_empty() {
                continue;
            }
            if let Some(v) = by_id.get(id) {
                out.extend(v.iter().map(String::as_str));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn is_empty(&self) -> bool {
        self.by_control.is_empty() && self.other.is_empty()
    }

    pub fn file_count(&self) -> usize {
        self.by_control
            .values()
            .flat_map(|m| m.values())
            .map(Vec::len)
            .sum::<usize>()
            + self.other.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_host_and_id_and_finds_by_either_id() {
        let e = Evidence::from_paths(&[
            "web01/V-1/b.png",
            "web01/V-1/a.txt",
            "web01/SV-1r1_rule/gpo.xml",
            "web01/loose.txt",
            "db01/V-1/x.txt",
        ]);
        assert_eq!(
            e.for_control("web01", "V-1", "SV-1r1_rule"),
            vec![
                "web01/SV-1r1_rule/gpo.xml",
                "web01/V-1/a.txt",
                "web01/V-1/b.png"
            ]
        );
        assert!(e.for_control("web02", "V-1", "").is_empty());
        assert_eq!(e.other, vec!["web01/loose.txt"]);
        assert_eq!(e.file_count(), 5);
    }
}
