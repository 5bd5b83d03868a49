//! DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1).
//!
//! The signature covers PAE = `"DSSEv1" SP len(type) SP type SP len(body) SP body`, so
//! the payload type cannot be swapped. [`verify`] checks signatures first and only then
//! decodes anything a caller will read; `keyid` is a hint, never a reason to trust.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::SignError;
use crate::keys::{PrivateKey, PublicKey};

/// The payload type of an in-toto statement.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope as it appears on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Base64 (standard alphabet, padded) of the payload bytes.
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the 64-byte Ed25519 signature over the PAE bytes.
    pub sig: String,
}

/// The Pre-Authentication Encoding the signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` as `payload_type` with one key.
pub fn sign(payload_type: &str, payload: &[u8], key: &PrivateKey) -> Envelope {
    let sig = key.sign(&pae(payload_type, payload));
    Envelope {
        payload: B64.encode(payload),
        payload_type: payload_type.to_owned(),
        signatures: vec![Signature {
            keyid: key.public().keyid(),
            sig: B64.encode(sig),
        }],
    }
}

impl Envelope {
    /// RFC 8785 canonical JSON with a trailing newline: the same envelope, the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json_canonicalizer::to_vec(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// A payload whose signature verified; only [`verify`] constructs one.
#[derive(Debug, Clone)]
pub struct VerifiedPayload {
    payload_type: String,
    payload: Vec<u8>,
    /// The key that verified it.
    key: PublicKey,
}

impl VerifiedPayload {
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
    /// The trusted key whose signature verified.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }
}

/// Verifies an envelope's bytes with the pinned keys: at least one signature must verify
/// with one of `trusted`. Nothing in the payload is interpreted here.
pub fn verify(envelope_json: &[u8], trusted: &[PublicKey]) -> Result<VerifiedPayload, SignError> {
    let env: Envelope = serde_json::from_slice(envelope_json)
        .map_err(|e| SignError::Envelope(format!("not a DSSE envelope: {e}")))?;
    let payload = B64
        .decode(env.payload.as_bytes())
        .map_err(|e| SignError::Envelope(format!("payload is not base64: {e}")))?;
    if env.signatures.is_empty() {
        return Err(SignError::Envelope("no signatures".into()));
    }
    let message = pae(&env.payload_type, &payload);
    for s in &env.signatures {
        let Ok(sig) = B64.decode(s.sig.as_bytes()) else {
            continue;
        };
        if let Some(key) = trusted.iter().find(|k| k.verify(&message, &sig)) {
            return Ok(VerifiedPayload {
                payload_type: env.payload_type,
                payload,
                key: key.clone(),
            });
        }
    }
    Err(SignError::BadSignature {
        trusted: trusted
            .iter()
            .map(|k| k.keyid()[..16].to_owned())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn tampering_and_other_keys_fail() {
        let k = PrivateKey::from_seed([3; 32]);
        let other = PrivateKey::from_seed([4; 32]);
        let env = sign(INTOTO_PAYLOAD_TYPE, b"{\"a\":1}", &k);
        let ok = verify(&env.to_json(), &[other.public(), k.public()]).unwrap();
        assert_eq!(ok.payload(), b"{\"a\":1}");
        assert_eq!(ok.key(), &k.public());
        assert!(matches!(
            verify(&env.to_json(), &[other.public()]),
            Err(SignError::BadSignature { .. })
        ));
        let mut t = env.clone();
        t.payload = B64.encode(b"{\"a\":2}");
        assert!(verify(&t.to_json(), &[k.public()]).is_err());
        let mut t = env.clone();
        t.payload_type = "text/plain".into();
        assert!(verify(&t.to_json(), &[k.public()]).is_err());
        assert!(verify(b"{}", &[k.public()]).is_err());
    }

    #[test]
    fn same_input_same_bytes() {
        let k = PrivateKey::from_seed([5; 32]);
        assert_eq!(sign("t", b"x", &k).to_json(), sign("t", b"x", &k).to_json());
    }
}
