//! Authentication. Basic is a header on every request; NTLM and Kerberos are a security
//! context bound to one TCP connection that also seals messages on plain HTTP.
//! [`SecurityContext`] is the seam between them and the transport, which only drives
//! `initial_token`/`step` during the handshake and `seal`/`unseal` afterwards.

mod ccache;
mod kerberos;
pub mod krb5conf;
mod ntlm;

pub use ccache::{CcacheAuth, CcacheContext};
pub use kerberos::{KdcClient, KerberosAuth, KerberosContext};
pub use ntlm::NtlmContext;

use crate::credentials::Credentials;

/// How to authenticate to a host.
#[derive(Debug, Clone)]
pub enum Auth {
    /// HTTP Basic. Refused by the client over plain HTTP (the password would travel in
    /// clear); STIG-compliant hosts refuse it entirely, so this is for labs.
    Basic(Credentials),
    /// NTLM under the `Negotiate` scheme, with SPNEGO message encryption on HTTP.
    Ntlm(Credentials),
    /// Kerberos (SPNEGO) under the `Negotiate` scheme, with message encryption on HTTP;
    /// the ticket obtained with the password.
    Kerberos(KerberosAuth),
    /// Kerberos with the ticket already in the credential cache (`KRB5CCNAME`, after
    /// `kinit`), through the system's GSSAPI; same wire protocol.
    KerberosCache(CcacheAuth),
}

impl Auth {
    pub fn name(&self) -> &'static str {
        match self {
            Auth::Basic(_) => "basic",
            Auth::Ntlm(_) => "ntlm",
            Auth::Kerberos(_) | Auth::KerberosCache(_) => "kerberos",
        }
    }

    /// A fresh connection-bound context, or `None` for per-request schemes.
    /// `channel_bindings` is the RFC 5929 `tls-server-end-point` data on HTTPS;
    /// `endpoint_host` names the service for Kerberos (`HTTP/<host>`).
    pub fn new_context(
        &self,
        channel_bindings: Option<&[u8]>,
        endpoint_host: &str,
    ) -> Result<Option<Box<dyn SecurityContext>>, AuthError> {
        match self {
            Auth::Basic(_) => Ok(None),
            Auth::Ntlm(c) => Ok(Some(Box::new(NtlmContext::new(c, channel_bindings)?))),
            Auth::Kerberos(k) => Ok(Some(Box::new(KerberosContext::new(
                k,
                endpoint_host,
                channel_bindings,
            )?))),
            Auth::KerberosCache(k) => Ok(Some(Box::new(CcacheContext::new(
                k,
                endpoint_host,
                channel_bindings,
            )?))),
        }
    }

    /// `Authorization` header value for per-request schemes.
    pub fn basic_header(&self) -> Option<String> {
        use base64::Engine as _;
        match self {
            Auth::Basic(c) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    c.username,
                    c.password.expose()
                ))
            )),
            Auth::Ntlm(_) | Auth::Kerberos(_) | Auth::KerberosCache(_) => None,
        }
    }
}

/// A connection-bound security context.
pub trait SecurityContext: Send + Sync + std::fmt::Debug {
    /// HTTP auth scheme (`Negotiate`).
    fn scheme(&self) -> &'static str;
    /// First token the client sends.
    fn initial_token(&mut self) -> Result<Vec<u8>, AuthError>;
    /// Consumes the server's token; returns the next client token, if any.
    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>, AuthError>;
    /// Whether the handshake is finished from the client's side. Kerberos with mutual
    /// authentication is not until it has checked the server's last token (which arrives
    /// on the 200 answer); NTLM has no such token.
    fn is_complete(&self) -> bool {
        true
    }
    /// Seals a message: (signature, sealed bytes).
    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), AuthError>;
    /// Verifies and unseals a message.
    fn unseal(&mut self, signature: &[u8], sealed: &[u8]) -> Result<Vec<u8>, AuthError>;
}

/// Authentication failures. Never retried.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid user name: {0}")]
    Username(String),
    #[error("NTLM: {0}")]
    Ntlm(String),
    #[error("Kerberos: {0}")]
    Kerberos(String),
    #[error("message seal/unseal failed: {0}")]
    Crypto(String),
}
