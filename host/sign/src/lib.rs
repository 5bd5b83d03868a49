//! Where stigpack signs and verifies, in the forms independent tools read.
//!
//! - [`keys`]: Ed25519 key pairs as PKCS#8 PEM (private, created 0600) and
//!   SubjectPublicKeyInfo PEM (public): what `openssl pkey`, cosign and securesystemslib
//!   load. A private key file that others can read is refused.
//! - [`dsse`]: DSSE envelopes. Verification checks the signature over the PAE bytes
//!   before anything looks at the payload, and hands back a [`dsse::VerifiedPayload`] that
//!   only a successful verification can construct.
//! - [`statement`]: in-toto Statement v1 in RFC 8785 canonical JSON, so the same
//!   statement always gives the same signed bytes.
//!
//! ```
//! use stigpack_sign::{dsse, keys::PrivateKey, statement::{Statement, Subject}};
//! let key = PrivateKey::generate().unwrap();
//! let st = Statement::new(
//!     vec![Subject::sha256("a.txt", &[0u8; 32])],
//!     "https://example.invalid/predicate/v1",
//!     serde_json::json!({}),
//! );
//! let env = dsse::sign(dsse::INTOTO_PAYLOAD_TYPE, &st.to_canonical_json().unwrap(), &key);
//! let verified = dsse::verify(&env.to_json(), &[key.public()]).unwrap();
//! assert_eq!(verified.payload_type(), dsse::INTOTO_PAYLOAD_TYPE);
//! ```

pub mod dsse;
pub mod error;
pub mod keys;
pub mod statement;

pub use error::SignError;
