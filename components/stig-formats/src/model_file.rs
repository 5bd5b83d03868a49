//! The canonical model on disk, between components: `import` writes one file per host,
//! `checklist` and `emass` read them.
//!
//! A compact binary encoding (postcard: serde's field order, varint lengths, no names)
//! rather than JSON, because the model of a 1,000-host fleet is over a gigabyte and is
//! read twice per export; decoding JSON was the largest cost of the `emass` step. The
//! model is an intermediate, never a package file, so nothing is lost for a reader: its
//! SHA-256 is still in the provenance of both runs, and `reproduce` remakes it.
//!
//! A file starts with [`MAGIC`], which names the format and its version: a reader given
//! another version (or a JSON model from an older stigpack) fails with an error naming
//! the file instead of misreading it.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::control_view::FleetView;
use crate::error::{Error, ErrorKind, Result};
use crate::model::HostResults;

/// File name suffix of a model file: `hosts/<host>.model`.
pub const SUFFIX: &str = ".model";

/// The first bytes of every model file (16 bytes, version in the last byte).
pub const MAGIC: &[u8; 16] = b"stigpack-model\x00\x02";

/// File name of a batch's folded view, written by `import` beside the model files:
/// the per-control view of its hosts (sources named by their path under `01_Scans`),
/// which `emass` merges instead of reading every full model.
pub const VIEW_FILE: &str = "fleet.view";
/// [`VIEW_FILE`]'s extension with its dot, for matching file names.
pub const VIEW_SUFFIX: &str = ".view";
/// The first bytes of every view file.
pub const VIEW_MAGIC: &[u8; 16] = b"stigpack-view\x00\x00\x01";

/// Encodes one host's results. (postcard cannot fail on the model's types: strings,
/// integers, options and sequences; the error path is for completeness.)
pub fn encode(host: &HostResults) -> Result<Vec<u8>> {
    encode_with(MAGIC, &host.host, host)
}

/// Decodes one host's results; `file` names the file in errors.
pub fn decode(file: &str, bytes: &[u8]) -> Result<HostResults> {
    decode_with(MAGIC, "stigpack model file", file, bytes)
}

/// Encodes a batch's view (see [`VIEW_FILE`]).
pub fn encode_view(view: &FleetView) -> Result<Vec<u8>> {
    encode_with(VIEW_MAGIC, VIEW_FILE, view)
}

/// Decodes a batch's view; `file` names the file in errors.
pub fn decode_view(file: &str, bytes: &[u8]) -> Result<FleetView> {
    decode_with(VIEW_MAGIC, "stigpack view file", file, bytes)
}

fn encode_with<T: Serialize>(magic: &[u8; 16], name: &str, value: &T) -> Result<Vec<u8>> {
    postcard::to_extend(value, magic.to_vec()).map_err(|e| {
        Error::new(
            name,
            ErrorKind::InvalidValue {
                field: "model".into(),
                value: String::new(),
                reason: e.to_string(),
            },
        )
    })
}

fn decode_with<T: DeserializeOwned>(
    magic: &[u8; 16],
    expected: &'static str,
    file: &str,
    bytes: &[u8],
) -> Result<T> {
    crate::xml::check_size(file, bytes.len())?;
    let wrong = |detail: String| Error::new(file, ErrorKind::WrongDocument { expected, detail });
    let Some(body) = bytes.strip_prefix(&magic[..]) else {
        return Err(wrong(if bytes.starts_with(&magic[..15]) {
            format!(
                "format version {} (this build reads version {})",
                bytes.get(15).copied().unwrap_or(0),
                magic[15]
            )
        } else {
            let name = magic.split(|&b| b == 0).next().unwrap_or_default();
            format!("no {} header", String::from_utf8_lossy(name))
        }));
    };
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(wrong(format!("{} bytes after the data", rest.len()))),
        Err(e) => Err(wrong(format!("undecodable: {e}"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_host_and_is_smaller_than_json() {
        let host = crate::synth::synthetic_host("HOST0001", 50, 7);
        let bytes = encode(&host).unwrap();
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(decode("hosts/HOST0001.model", &bytes).unwrap(), host);
        assert!(bytes.len() < serde_json::to_vec(&host).unwrap().len());
        // Deterministic: the same host, the same bytes.
        assert_eq!(encode(&host.clone()).unwrap(), bytes);
    }

    #[test]
    fn refuses_other_versions_json_truncation_and_trailing_bytes_naming_the_file() {
        let host = crate::synth::synthetic_host("H", 3, 1);
        let good = encode(&host).unwrap();
        let err = |b: &[u8]| decode("hosts/H.model", b).unwrap_err().to_string();

        let mut v2 = good.clone();
        v2[15] = 1;
        assert!(err(&v2).contains("format version 1"), "{}", err(&v2));
        let json = serde_json::to_vec(&host).unwrap();
        assert!(
            err(&json).contains("no stigpack-model header"),
            "{}",
            err(&json)
        );
        assert!(err(&good[..good.len() - 5]).contains("undecodable"));
        let mut long = good.clone();
        long.extend_from_slice(b"xx");
        assert!(err(&long).contains("2 bytes after the data"));
        assert!(err(&v2).starts_with("hosts/H.model"), "{}", err(&v2));
    }

    #[test]
    fn views_round_trip_and_are_not_taken_for_models() {
        let hosts: Vec<_> = (0..3)
            .map(|i| crate::synth::synthetic_host(&format!("H{i}"), 20, i))
            .collect();
        let view = crate::control_view::view(&hosts).unwrap();
        let bytes = encode_view(&view).unwrap();
        assert_eq!(decode_view("views/00000.view", &bytes).unwrap(), view);
        let e = decode("views/00000.view", &bytes).unwrap_err().to_string();
        assert!(e.contains("no stigpack-model header"), "{e}");
        let m = encode(&hosts[0]).unwrap();
        let e = decode_view("hosts/H0.model", &m).unwrap_err().to_string();
        assert!(e.contains("stigpack view file"), "{e}");
    }
}
