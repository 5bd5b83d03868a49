//! HTTP transport: one TCP (or TLS) connection per host session, driven by hyper's
//! low-level HTTP/1 client (no pool), because an NTLM security context belongs to exactly
//! one connection: a message sealed on one socket and sent on another is rejected.
//!
//! The connection is taken out of its slot for the duration of a request and put back
//! only on success, so a cancelled or failed request can never leave a half-used socket
//! behind: the next request reconnects and re-authenticates.

mod endpoint;
mod error;
mod stream;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT, WWW_AUTHENTICATE,
};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

pub use endpoint::{Endpoint, Scheme};
pub use error::TransportError;
pub use tls::{CertCheck, TlsOptions};

use crate::auth::{Auth, SecurityContext};
use crate::encryption;
use stream::MaybeTls;

const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";
const UA: &str = concat!("stigpack-winrm/", env!("CARGO_PKG_VERSION"));

/// Transport timeouts and limits.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// TCP connect + TLS handshake.
    pub connect_timeout: Duration,
    /// One HTTP exchange; must exceed the WS-Man OperationTimeout so a long-poll
    /// Receive is answered (with output or the timeout fault) before we give up.
    pub read_timeout: Duration,
    /// Largest response body accepted (bounds memory against a hostile server).
    pub max_response_bytes: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

/// An HTTP reply the SOAP layer should look at: 200, or a 500 carrying a SOAP fault.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

struct Conn {
    sender: SendRequest<Full<Bytes>>,
    task: JoinHandle<()>,
    /// Security context, when sealing (NTLM on HTTP).
    seal: Option<Box<dyn SecurityContext>>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A transport to one host.
pub struct Transport {
    endpoint: Endpoint,
    auth: Auth,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
    config: TransportConfig,
    slot: tokio::sync::Mutex<Option<Conn>>,
    connects: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("endpoint", &self.endpoint.url())
            .field("auth", &self.auth.name())
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Checks the endpoint/auth pairing (Basic never over plain HTTP) and prepares TLS.
    pub fn new(
        endpoint: Endpoint,
        auth: Auth,
        tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
        config: TransportConfig,
    ) -> Result<Self, TransportError> {
        if matches!(auth, Auth::Basic(_)) && endpoint.scheme == Scheme::Http {
            return Err(TransportError::BasicOverHttp);
        }
        if endpoint.scheme == Scheme::Https && tls.is_none() {
            return Err(TransportError::Tls(
                "HTTPS endpoint without a TLS configuration".into(),
            ));
        }
        Ok(Transport {
            endpoint,
            auth,
            tls,
            config,
            slot: tokio::sync::Mutex::new(None),
            connects: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// How many connections (each with its own authentication) have been made.
    pub fn connect_count(&self) -> u64 {
        self.connects.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Drops the current connection (the next request reconnects).
    pub async fn disconnect(&self) {
        self.slot.lock().await.take();
    }

    /// Sends one SOAP message and returns the (unsealed) reply.
    pub async fn exchange(&self, soap: &str) -> Result<Reply, TransportError> {
        let mut slot = self.slot.lock().await;
        let mut conn = match slot.take() {
            Some(c) if !c.sender.is_closed() => c,
            _ => self.connect().await?,
        };
        let reply = tokio::time::timeout(self.config.read_timeout, self.send(&mut conn, soap))
            .await
            .map_err(|_| TransportError::ReadTimeout(self.config.read_timeout))??;
        *slot = Some(conn);
        Ok(reply)
    }

    async fn connect(&self) -> Result<Conn, TransportError> {
        let timeout = self.config.connect_timeout;
        let (stream, cbt) = tokio::time::timeout(timeout, self.open_stream())
            .await
            .map_err(|_| TransportError::ConnectTimeout(timeout))??;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| TransportError::Connection(e.to_string()))?;
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        self.connects
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut conn = Conn {
            sender,
            task,
            seal: None,
        };
        // Building the context and its first token may talk to a KDC (Kerberos), which
        // is blocking network I/O with its own timeouts: keep it off the async workers.
        let (auth, host) = (self.auth.clone(), self.endpoint.host.clone());
        let first = tokio::task::spawn_blocking(move || -> Result<_, TransportError> {
            match auth.new_context(cbt.as_deref(), &host)? {
                Some(mut ctx) => {
                    let token = ctx.initial_token()?;
                    Ok(Some((ctx, token)))
                }
                None => Ok(None),
            }
        })
        .await
        .map_err(|e| TransportError::Connection(format!("authentication task failed: {e}")))??;
        if let Some((mut ctx, token)) = first {
            tokio::time::timeout(
                self.config.read_timeout,
                self.handshake(&mut conn, ctx.as_mut(), token),
            )
            .await
            .map_err(|_| TransportError::ReadTimeout(self.config.read_timeout))??;
            if self.endpoint.scheme == Scheme::Http {
                conn.seal = Some(ctx);
            }
        }
        Ok(conn)
    }

    async fn open_stream(&self) -> Result<(MaybeTls, Option<Vec<u8>>), TransportError> {
        let addr = (self.endpoint.host.as_str(), self.endpoint.port);
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(TransportError::Connect)?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            Some(cfg) if self.endpoint.scheme == Scheme::Https => {
                let (tls, cbt) = tls::connect(cfg.clone(), &self.endpoint.host, tcp).await?;
                Ok((MaybeTls::Tls(Box::new(tls)), cbt))
            }
            _ => Ok((MaybeTls::Plain(tcp), None)),
        }
    }

    fn request(
        &self,
        body: Vec<u8>,
        content_type: &str,
        authz: Option<String>,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let mut b = Request::post(self.endpoint.path.as_str())
            .header(HOST, self.endpoint.host_header())
            .header(USER_AGENT, UA)
            .header(CONTENT_LENGTH, body.len())
            .header(CONTENT_TYPE, content_type);
        if let Some(a) = authz {
            b = b.header(AUTHORIZATION, a);
        }
        b.body(Full::new(Bytes::from(body)))
            .map_err(|e| TransportError::Connection(format!("building request: {e}")))
    }

    async fn roundtrip(
        &self,
        conn: &mut Conn,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, hyper::HeaderMap, Vec<u8>), TransportError> {
        conn.sender
            .ready()
            .await
            .map_err(|e| TransportError::Connection(e.to_string()))?;
        let resp = conn
            .sender
            .send_request(req)
            .await
            .map_err(TransportError::from_hyper)?;
        let (parts, body) = resp.into_parts();
        let limit = self.config.max_response_bytes;
        let body = Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    TransportError::ResponseTooLarge(limit)
                } else {
                    TransportError::Connection(e.to_string())
                }
            })?
            .to_bytes()
            .to_vec();
        Ok((parts.status, parts.headers, body))
    }

    async fn handshake(
        &self,
        conn: &mut Conn,
        ctx: &mut dyn SecurityContext,
        first_token: Vec<u8>,
    ) -> Result<(), TransportError> {
        let mut token = first_token;
        for _round in 0..4 {
            let authz = format!("{} {}", ctx.scheme(), B64.encode(&token));
            let req = self.request(Vec::new(), SOAP_CONTENT_TYPE, Some(authz))?;
            let (status, headers, _) = self.roundtrip(conn, req).await?;
            let server = headers
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| {
                    let (scheme, tok) = v.split_once(' ')?;
                    scheme
                        .eq_ignore_ascii_case(ctx.scheme())
                        .then(|| B64.decode(tok.trim()).ok())
                        .flatten()
                });
            if status != StatusCode::UNAUTHORIZED {
                if !status.is_success() {
                    return Err(TransportError::from_status(status, &[]));
                }
                if !ctx.is_complete() {
                    // Mutual authentication: the server proves itself in its last token.
                    let Some(server) = server else {
                        return Err(TransportError::AuthRejected(
                            "the server accepted us but did not prove its own identity (no mutual-authentication token)".into(),
                        ));
                    };
                    if ctx.step(&server)?.is_some() || !ctx.is_complete() {
                        return Err(TransportError::AuthRejected(
                            "the server's mutual-authentication token did not complete the handshake".into(),
                        ));
                    }
                }
                return Ok(());
            }
            let Some(server) = server else {
                return Err(TransportError::AuthRejected(
                    "server refused the credentials (HTTP 401)".into(),
                ));
            };
            match ctx.step(&server)? {
                Some(next) => token = next,
                None => return Ok(()),
            }
        }
        Err(TransportError::AuthRejected(
            "authentication did not complete".into(),
        ))
    }

    async fn send(&self, conn: &mut Conn, soap: &str) -> Result<Reply, TransportError> {
        let (body, ctype, authz) = match conn.seal.as_mut() {
            Some(ctx) => {
                let (sig, sealed) = ctx.seal(soap.as_bytes())?;
                (
                    encryption::frame_one(soap.len(), &sig, &sealed),
                    encryption::content_type(),
                    None,
                )
            }
            None => (
                soap.as_bytes().to_vec(),
                SOAP_CONTENT_TYPE.to_string(),
                self.auth.basic_header(),
            ),
        };
        let req = self.request(body, &ctype, authz)?;
        let (status, headers, body) = self.roundtrip(conn, req).await?;
        let body = match conn.seal.as_mut() {
            Some(ctx) => {
                let rtype = headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if encryption::is_encrypted_content_type(rtype) {
                    let mut plain = Vec::new();
                    for part in encryption::unframe(&body)? {
                        let p = ctx.unseal(&part.signature, &part.sealed)?;
                        encryption::check_unsealed_length(&part, &p)?;
                        plain.extend_from_slice(&p);
                    }
                    plain
                } else if body.is_empty()
                    || !(status.is_success() || status == StatusCode::INTERNAL_SERVER_ERROR)
                {
                    body
                } else {
                    // A plaintext SOAP body on an encrypted session could be injected by
                    // anyone on the path; refuse it.
                    return Err(TransportError::UnencryptedReply(status.as_u16()));
                }
            }
            None => body,
        };
        match status {
            StatusCode::OK => Ok(Reply { status: 200, body }),
            StatusCode::INTERNAL_SERVER_ERROR if !body.is_empty() => {
                Ok(Reply { status: 500, body })
            }
            s => Err(TransportError::from_status(s, &body)),
        }
    }
}
