//! CKLB: the STIG Viewer 3 checklist (JSON). [`read`] keeps keys it does not know
//! (STIG Viewer adds new ones between releases, tools add their own) as raw JSON and
//! never trusts `size`; [`write`] produces STIG Viewer 3's field names and order with
//! ids that are kept from the input or derived from content (see [`crate::ids`]).

mod lenient;
mod read;
mod write;

pub use read::read;
pub use write::{write, write_checklist};

/// The `group_tree` description STIG Viewer 3 writes for DISA groups.
pub(crate) const EMPTY_GROUP_DESCRIPTION: &str = "<GroupDescription></GroupDescription>";

/// A JSON object as its members in file order, each value as its raw JSON text: serde_json
/// maps are sorted (the workspace does not enable `preserve_order`, and enabling it would
/// reorder every other JSON the project writes), so order is kept here instead.
#[doc(hidden)]
#[derive(Debug)]
pub struct OrderedObject<'a>(pub Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for OrderedObject<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = OrderedObject<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(0));
                while let Some((k, v)) =
                    m.next_entry::<String, &'de serde_json::value::RawValue>()?
                {
                    out.push((k, v));
                }
                Ok(OrderedObject(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
