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

use crate::error::{Error, ErrorKind, Result};
use crate::model::HostResults;

/// File name extension of a model file: `hosts/<host>.model`.
pub const EXTENSION: &str = "model";
/// [`EXTENSION`] with its dot, for matching file names.
pub const SUFFIX: &str = ".model";

/// The first bytes of every model file (16 bytes, version in the last byte).
pub const MAGIC: &[u8; 16] = b"stigpack-model\x00\x01";

/// Encodes one host's results. (postcard cannot fail on the model's types: strings,
/// integers, options and sequences; the error path is for completeness.)
pub fn encode(host: &HostResults) -> Result<Vec<u8>> {
    postcard::to_extend(host, MAGIC.to_vec()).map_err(|e| {
        Error::new(
            &host.host,
            ErrorKind::InvalidValue {
                field: "model".into(),
                value: String::new(),
                reason: e.to_string(),
            },
        )
    })
}

/// Decodes one host's results; `file` names the file in errors.
pub fn decode(file: &str, bytes: &[u8]) -> Result<HostResults> {
    crate::xml::check_size(file, bytes.len())?;
    let wrong = |detail: String| {
        Error::new(
            file,
            ErrorKind::WrongDocument {
                expected: "stigpack model file",
                detail,
            },
        )
    };
    let Some(body) = bytes.strip_prefix(&MAGIC[..]) else {
        return Err(wrong(if bytes.starts_with(&MAGIC[..15]) {
            format!(
                "model format version {} (this build reads version {})",
                bytes.get(15).copied().unwrap_or(0),
                MAGIC[15]
            )
        } else {
            "no stigpack-model header".into()
        }));
    };
    match postcard::take_from_bytes::<HostResults>(body) {
        Ok((host, [])) => Ok(host),
        Ok((_, rest)) => Err(wrong(format!("{} bytes after the model", rest.len()))),
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
        v2[15] = 2;
        assert!(err(&v2).contains("model format version 2"), "{}", err(&v2));
        let json = serde_json::to_vec(&host).unwrap();
        assert!(err(&json).contains("no stigpack-model header"));
        assert!(err(&good[..good.len() - 5]).contains("undecodable"));
        let mut long = good.clone();
        long.extend_from_slice(b"xx");
        assert!(err(&long).contains("2 bytes after the model"));
        assert!(err(&v2).starts_with("hosts/H.model"), "{}", err(&v2));
    }
}
