//! `poam.json` read for checking, not for writing. `validate` needs of each item its id,
//! its control and its hosts (to hold them against the checklists and to derive the
//! readiness again), not its texts. [`PoamOutline::from_reader`] parses every item with
//! [`PoamItem`]'s own `Deserialize` (the same fields, types and defaults: a file
//! [`PoamFile::from_json`] refuses is refused here too) and keeps only that outline,
//! one item at a time, so a 4,000-host POA&M (about 290 MB of JSON) is checked in the
//! memory of its outline instead of its text plus its parse.

use std::fmt;
use std::io::Read;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{PoamFile, PoamItem, UnmappedCci};
use crate::sym::{Interner, Sym};

/// What readiness needs of a POA&M: how many items it has and every (host, control)
/// pair it lists, item by item. Both the full file (at export) and its outline (at
/// validation) answer, so the two derivations are one function.
pub trait ListedPairs {
    fn item_count(&self) -> usize;
    /// (host, control id) of every host of every item, in file order.
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_;
}

impl ListedPairs for PoamFile {
    fn item_count(&self) -> usize {
        self.items.len()
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.items.iter().flat_map(|i| {
            i.hosts
                .iter()
                .map(move |h| (h.host.as_str(), i.control_id.as_str()))
        })
    }
}

/// One item without its texts. Control ids and host names are interned: a host is in
/// hundreds of items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemOutline {
    pub item_id: u32,
    pub control_id: Sym,
    pub hosts: Box<[Sym]>,
}

impl ItemOutline {
    fn of(item: &PoamItem, names: &mut Interner) -> Self {
        ItemOutline {
            item_id: item.item_id,
            control_id: names.intern(&item.control_id),
            hosts: item.hosts.iter().map(|h| names.intern(&h.host)).collect(),
        }
    }
}

/// A POA&M's header and the outline of each item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoamOutline {
    pub schema: String,
    pub exported_at: String,
    pub days_to_completion: [i64; 3],
    #[serde(default)]
    pub cci_list_version: String,
    #[serde(default)]
    pub unmapped_ccis: Vec<UnmappedCci>,
    #[serde(deserialize_with = "outline_items")]
    pub items: Vec<ItemOutline>,
}

impl PoamOutline {
    /// Parses `poam.json` from `r` (buffer it), holding one item's text at a time.
    pub fn from_reader(r: impl Read) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_reader(r);
        let outline = Self::deserialize(&mut de)?;
        de.end()?;
        Ok(outline)
    }

    /// The outline of a POA&M already in memory.
    pub fn of(poam: &PoamFile) -> Self {
        let mut names = Interner::new();
        PoamOutline {
            schema: poam.schema.clone(),
            exported_at: poam.exported_at.clone(),
            days_to_completion: poam.days_to_completion,
            cci_list_version: poam.cci_list_version.clone(),
            unmapped_ccis: poam.unmapped_ccis.clone(),
            items: poam
                .items
                .iter()
                .map(|i| ItemOutline::of(i, &mut names))
                .collect(),
        }
    }
}

impl ListedPairs for PoamOutline {
    fn item_count(&self) -> usize {
        self.items.len()
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.items.iter().flat_map(|i| {
            i.hosts
                .iter()
                .map(move |h| (h.as_str(), i.control_id.as_str()))
        })
    }
}

/// `items`, each parsed whole as a [`PoamItem`] and reduced to its outline before the
/// next is read.
fn outline_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ItemOutline>, D::Error> {
    struct Items;
    impl<'de> Visitor<'de> for Items {
        type Value = Vec<ItemOutline>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of POA&M items")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut names = Interner::new();
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<PoamItem>()? {
                out.push(ItemOutline::of(&item, &mut names));
            }
            out.shrink_to_fit();
            Ok(out)
        }
    }
    d.deserialize_seq(Items)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::control_view::testkit::{checklist, host, rr};
    use crate::control_view::view;
    use crate::model::{Severity::High, Status::Open};

    /// A real item, as the POA&M builder makes it.
    fn sample_item() -> PoamItem {
        let fleet = view(&[host(
            "ws01",
            vec![checklist(
                "ws01/x.ckl",
                "DISA STIG Viewer :: 2.17",
                "2025-01-10",
                vec![rr("V-1", High, Open, "details")],
            )],
        )])
        .unwrap();
        super::super::build(&fleet, None, &super::super::PoamOptions::default())
            .items
            .remove(0)
    }

    fn item(id: u32, control: &str, hosts: &[&str]) -> serde_json::Value {
        let mut v = serde_json::to_value(sample_item()).unwrap();
        v["itemId"] = id.into();
        v["controlId"] = control.into();
        let host = v["hosts"][0].clone();
        v["hosts"] = hosts
            .iter()
            .map(|h| {
                let mut e = host.clone();
                e["host"] = (*h).into();
                e
            })
            .collect();
        v
    }

    fn file(items: Vec<serde_json::Value>) -> serde_json::Value {
        serde_json::json!({
            "schema": super::super::SCHEMA,
            "exportedAt": "2026-11-22T20:00:00Z",
            "daysToCompletion": [30, 90, 180],
            "items": items,
        })
    }

    /// The outline read from the text is the outline of the full parse, and lists the
    /// same pairs.
    #[test]
    fn reading_the_outline_equals_outlining_the_full_parse() {
        let v = file(vec![
            item(1, "V-1", &["ws01", "ws02"]),
            item(2, "V-2", &["ws02"]),
            item(3, "V-1", &["ws03"]),
        ]);
        let bytes = serde_json::to_vec_pretty(&v).unwrap();
        let full = PoamFile::from_json(&bytes).unwrap();
        let read = PoamOutline::from_reader(&bytes[..]).unwrap();
        assert_eq!(read, PoamOutline::of(&full));
        let pairs: Vec<_> = read.pairs().collect();
        assert_eq!(pairs, full.pairs().collect::<Vec<_>>());
        assert_eq!(
            pairs,
            [
                ("ws01", "V-1"),
                ("ws02", "V-1"),
                ("ws02", "V-2"),
                ("ws03", "V-1")
            ]
        );
        assert_eq!((read.item_count(), full.item_count()), (3, 3));
        // A host named in two items is one allocation.
        assert!(read.items[0].hosts[1].shares(&read.items[1].hosts[0]));
    }

    /// Whatever the full reader refuses, the outline reader refuses: a missing or
    /// mistyped field of an item, a broken header, trailing bytes.
    #[test]
    fn the_outline_refuses_what_the_full_reader_refuses() {
        let good = file(vec![item(1, "V-1", &["ws01"])]);
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for field in ["title", "hosts", "itemId", "securityControls"] {
            let mut v = good.clone();
            v["items"][0].as_object_mut().unwrap().remove(field);
            cases.push(serde_json::to_vec(&v).unwrap());
        }
        for (field, bad) in [("itemId", serde_json::json!("1")), ("hosts", 7.into())] {
            let mut v = good.clone();
            v["items"][0][field] = bad;
            cases.push(serde_json::to_vec(&v).unwrap());
        }
        let mut v = good.clone();
        v["items"][0]["hosts"][0]
            .as_object_mut()
            .unwrap()
            .remove("ruleId");
        cases.push(serde_json::to_vec(&v).unwrap());
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove("daysToCompletion");
        cases.push(serde_json::to_vec(&v).unwrap());
        let mut trailing = serde_json::to_vec(&good).unwrap();
        trailing.extend_from_slice(b" {}");
        cases.push(trailing);
        cases.push(b"{\"items\": [".to_vec());
        for bytes in &cases {
            assert!(
                PoamFile::from_json(bytes).is_err(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
            assert!(
                PoamOutline::from_reader(&bytes[..]).is_err(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        let ok = serde_json::to_vec(&good).unwrap();
        assert!(PoamFile::from_json(&ok).is_ok() && PoamOutline::from_reader(&ok[..]).is_ok());
    }
}
