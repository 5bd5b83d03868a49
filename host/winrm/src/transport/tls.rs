//! TLS with rustls: a custom CA bundle (or the system store), certificate and host-name
//! validation on by default, and an explicit, loudly named opt-out for labs. Also the
//! RFC 5929 `tls-server-end-point` channel binding NTLM sends over HTTPS (Windows'
//! Extended Protection checks it when present).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::Digest;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{DigitallySignedStruct, SignatureScheme};

use super::TransportError;

/// Whether server certificates are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertCheck {
    /// Chain to a trusted CA and match the host name (default).
    #[default]
    Verify,
    /// Accept any certificate. Anyone on the path can then read and alter the traffic,
    /// including credentials. Labs only; callers must warn the operator.
    DangerousAcceptAnyCertificate,
}

/// TLS settings for a fleet.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM bundle of trusted CAs; `None` uses the operating system's store.
    pub ca_file: Option<PathBuf>,
    pub cert_check: CertCheck,
}

impl TlsOptions {
    /// The rustls client configuration (build once, share across hosts).
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, TransportError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        let cfg = match self.cert_check {
            CertCheck::DangerousAcceptAnyCertificate => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
                .with_no_client_auth(),
            CertCheck::Verify => {
                let mut roots = rustls::RootCertStore::empty();
                match &self.ca_file {
                    Some(path) => load_pem(path, &mut roots)?,
                    None => {
                        let native = rustls_native_certs::load_native_certs();
                        for c in native.certs {
                            let _ = roots.add(c);
                        }
                        if roots.is_empty() {
                            return Err(TransportError::Tls(
                                "no trusted CA certificates in the system store; give a CA file"
                                    .into(),
                            ));
                        }
                    }
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
        };
        Ok(Arc::new(cfg))
    }
}

fn load_pem(path: &Path, roots: &mut rustls::RootCertStore) -> Result<(), TransportError> {
    let err = |m: String| TransportError::Tls(format!("CA file {}: {m}", path.display()));
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))?;
    let mut n = 0;
    for cert in iter {
        let cert = cert.map_err(|e| err(e.to_string()))?;
        roots.add(cert).map_err(|e| err(e.to_string()))?;
        n += 1;
    }
    if n == 0 {
        return Err(err("no certificates found".into()));
    }
    Ok(())
}

/// TLS handshake; returns the stream and the channel-binding application data.
pub(crate) async fn connect(
    cfg: Arc<rustls::ClientConfig>,
    host: &str,
    tcp: TcpStream,
) -> Result<(TlsStream<TcpStream>, Option<Vec<u8>>), TransportError> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| TransportError::Tls(format!("invalid server name {host:?}: {e}")))?;
    let tls = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .map_err(|e| TransportError::Tls(e.to_string()))?;
    let cbt = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| channel_binding(c.as_ref()));
    Ok((tls, cbt))
}

/// RFC 5929 `tls-server-end-point`: the certificate hashed with its signature's hash
/// (SHA-256 for MD5/SHA-1/SHA-256 and anything unrecognised).
pub fn channel_binding(cert_der: &[u8]) -> Vec<u8> {
    const SHA384: [&[u8]; 2] = [
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C],
        &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03],
    ];
    const SHA512: [&[u8]; 2] = [
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D],
        &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04],
    ];
    let oid = signature_oid(cert_der).unwrap_or_default();
    let hash = if SHA384.contains(&oid) {
        sha2::Sha384::digest(cert_der).to_vec()
    } else if SHA512.contains(&oid) {
        sha2::Sha512::digest(cert_der).to_vec()
    } else {
        sha2::Sha256::digest(cert_der).to_vec()
    };
    let mut out = b"tls-server-end-point:".to_vec();
    out.extend_from_slice(&hash);
    out
}

/// One DER TLV: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7F;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let content = b.get(hdr..hdr + len)?;
    Some((tag, content, &b[hdr + len..]))
}

/// OID bytes of `Certificate.signatureAlgorithm`.
fn signature_oid(cert: &[u8]) -> Option<&[u8]> {
    let (_, cert_seq, _) = tlv(cert)?;
    let (_, _tbs, rest) = tlv(cert_seq)?;
    let (_, alg, _) = tlv(rest)?;
    let (tag, oid, _) = tlv(alg)?;
    (tag == 0x06).then_some(oid)
}

#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
