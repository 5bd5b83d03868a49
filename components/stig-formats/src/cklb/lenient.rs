//! Serde helpers for CKLB fields that different tools type differently (`version` and
//! `weight` as string or number, booleans as strings, `null` for empty). Lenient on
//! type, never on meaning: statuses still go through the strict normaliser.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // 10.0 stays "10.0", as CKL writes weights.
        let s = v.to_string();
        Ok(if s.contains('.') || s.contains('e') || !v.is_finite() {
            s
        } else {
            format!("{s}.0")
        })
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

/// A string field that may arrive as a number, boolean or null.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(StringVisitor)
}

/// A boolean that may arrive as `"true"`/`"false"` or null.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let s = d.deserialize_any(StringVisitor)?;
    match s.trim() {
        "" => Ok(None),
        t if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
        t if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
        _ => Err(de::Error::custom(format!(
            "expected a boolean, found {s:?}"
        ))),
    }
}

/// An integer that may arrive as a string or null.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s = d.deserialize_any(StringVisitor)?;
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| de::Error::custom(format!("expected an integer, found {s:?}")))
}

/// A list of strings where `null` means empty and numbers are tolerated.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Item(#[serde(deserialize_with = "string")] String);
    let v: Option<Vec<Item>> = serde::Deserialize::deserialize(d)?;
    Ok(v.unwrap_or_default().into_iter().map(|i| i.0).collect())
}

/// [`string`] as a type, for converting one raw member at a time.
#[derive(serde::Deserialize)]
pub(crate) struct LStr(#[serde(deserialize_with = "string")] pub String);

/// [`opt_bool`] as a type.
#[derive(serde::Deserialize)]
pub(crate) struct LBool(#[serde(deserialize_with = "opt_bool")] pub Option<bool>);

/// [`opt_i64`] as a type.
#[derive(serde::Deserialize)]
pub(crate) struct LI64(#[serde(deserialize_with = "opt_i64")] pub Option<i64>);

/// [`string_list`] as a type.
#[derive(serde::Deserialize)]
pub(crate) struct LList(#[serde(deserialize_with = "string_list")] pub Vec<String>);
