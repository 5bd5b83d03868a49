//! The HTTP side of one simulated host: a loopback listener (plain or TLS), hyper 1.x
//! connections, authentication bound to the connection, SPNEGO message encryption,
//! envelope-size limits, and the transport-level faults (latency, 500s, resets, blackhole).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Request as HttpRequest, Response, StatusCode};
use hyper_util::rt::TokioIo;
use stigpack_winrm::encryption;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::kerberos::{KStep, KerberosAcceptor, KerberosService};
use crate::auth::ntlm::{self, NtlmAcceptor, Step};
use crate::auth::{basic, AuthMode, Credentials};
use crate::host::{Host, ReceiveStep};
use crate::soap::{Action, Fault, Request};

/// Everything a host's listener needs.
#[derive(Debug)]
pub(crate) struct HostServer {
    pub host: Arc<Host>,
    pub endpoint: String,
    pub auth: AuthMode,
    pub creds: Credentials,
    pub tls: Option<crate::tls::TestPki>,
    pub allow_basic_http: bool,
    pub latency: Duration,
    pub kerberos: Option<KerberosService>,
    /// SHA-256 of every Kerberos token accepted: a replayed AP-REQ is refused, as
    /// Windows' replay cache does (sspi's cache lives in one acceptor, one connection).
    pub kerberos_seen: Mutex<std::collections::HashSet<[u8; 32]>>,
}

/// Per-TCP-connection state: the NTLM or Kerberos security context lives here and
/// nowhere else.
#[derive(Debug)]
struct Conn {
    ntlm: Option<NtlmAcceptor>,
    krb: Option<KerberosAcceptor>,
    peer: SocketAddr,
}

impl Conn {
    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        match (&mut self.ntlm, &mut self.krb) {
            (Some(n), _) => n.seal(plain),
            (None, Some(k)) => k.seal(plain),
            (None, None) => Err("no security context on this connection".into()),
        }
    }

    fn unseal(&mut self, signature: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
        match (&mut self.ntlm, &mut self.krb) {
            (Some(n), _) => n.unseal(signature, sealed),
            (None, Some(k)) => k.unseal(signature, sealed),
            (None, None) => Err("no security context on this connection".into()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// A response body that can be cut short to simulate a connection reset mid-transfer.
#[derive(Debug)]
pub(crate) struct SimBody {
    data: Option<Bytes>,
    then_fail: bool,
}

impl SimBody {
    fn full(b: impl Into<Bytes>) -> Self {
        SimBody {
            data: Some(b.into()),
            then_fail: false,
        }
    }
    fn empty() -> Self {
        SimBody {
            data: None,
            then_fail: false,
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(d) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        if self.then_fail {
            self.then_fail = false;
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "injected connection reset",
            ))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && !self.then_fail
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.data, self.then_fail) {
            (Some(d), false) => SizeHint::with_exact(d.len() as u64),
            (None, false) => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

/// Serves one host until `shutdown` flips.
pub(crate) async fn serve(
    listener: TcpListener,
    server: Arc<HostServer>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        server
            .host
            .counters
            .connections
            .fetch_add(1, Ordering::Relaxed);
        let server = server.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            if server.host.faults.blackhole {
                // Accept the TCP connection, never answer (a host behind a dead firewall).
                let _hold = stream;
                let _ = conn_shutdown.changed().await;
                return;
            }
            let _ = stream.set_nodelay(true);
            let conn = Arc::new(Mutex::new(Conn {
                ntlm: None,
                krb: None,
                peer,
            }));
            match &server.tls {
                Some(pki) => {
                    let acceptor = &pki.acceptor;
                    let tls = tokio::select! {
                        r = acceptor.accept(stream) => r,
                        _ = conn_shutdown.changed() => return,
                    };
                    if let Ok(tls) = tls {
                        serve_conn(TokioIo::new(tls), server, conn, conn_shutdown).await;
                    }
                }
                None => serve_conn(TokioIo::new(stream), server, conn, conn_shutdown).await,
            }
        });
    }
}

async fn serve_conn<I>(
    io: I,
    server: Arc<HostServer>,
    conn: Arc<Mutex<Conn>>,
    mut shutdown: watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let server = server.clone();
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(handle(req, &server, &conn).await) }
    });
    let c = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, svc);
    tokio::select! {
        _ = c => {}
        _ = shutdown.changed() => {}
    }
}

fn status_only(code: StatusCode, server: &HostServer, challenge: bool) -> Response<SimBody> {
    let mut r = Response::new(SimBody::empty());
    *r.status_mut() = code;
    add_server_header(&mut r);
    if challenge {
        add_challenges(&mut r, server);
    }
    r
}

fn add_server_header(r: &mut Response<SimBody>) {
    r.headers_mut()
        .insert("server", HeaderValue::from_static("Microsoft-HTTPAPI/2.0"));
}

fn add_challenges(r: &mut Response<SimBody>, server: &HostServer) {
    match server.auth {
        AuthMode::Ntlm | AuthMode::Kerberos => {
            r.headers_mut()
                .append(WWW_AUTHENTICATE, HeaderValue::from_static("Negotiate"));
        }
        AuthMode::Basic => {
            if server.tls.is_some() || server.allow_basic_http {
                r.headers_mut().append(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"WSMAN\""),
                );
            }
        }
    }
}

/// Outcome of the authentication step for one request.
enum AuthResult {
    /// Authenticated: go on with the body. `encrypted` = the context must (un)seal;
    /// `mutual` = the server's last handshake token (Kerberos), sent on the answer.
    Proceed {
        encrypted: bool,
        mutual: Option<HeaderValue>,
    },
    Respond(Response<SimBody>),
}

async fn handle(
    req: HttpRequest<Incoming>,
    server: &HostServer,
    conn: &Mutex<Conn>,
) -> Response<SimBody> {
    let host = &server.host;
    let n = host.counters.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let latency = server.latency + host.faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if req.uri().path() != "/wsman" {
        return status_only(StatusCode::NOT_FOUND, server, false);
    }
    if req.method() != hyper::Method::POST {
        return status_only(StatusCode::METHOD_NOT_ALLOWED, server, false);
    }
    let auth_header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // Read the body with a bound: a sealed body is a few hundred bytes bigger than the
    // envelope it carries.
    let limit = host.envelope_limit_bytes();
    let body = match Limited::new(req.into_body(), limit + 4096).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            host.counters
                .oversize_rejections
                .fetch_add(1, Ordering::Relaxed);
            return status_only(StatusCode::PAYLOAD_TOO_LARGE, server, false);
        }
    };
    if let Some(every) = host.faults.http500_every {
        if n.is_multiple_of(every) {
            host.counters
                .faults_injected
                .fetch_add(1, Ordering::Relaxed);
            return status_only(StatusCode::INTERNAL_SERVER_ERROR, server, false);
        }
    }

    let (encrypted, mutual) = match authenticate(
        server,
        conn,
        auth_header.as_deref(),
        &content_type,
        body.is_empty(),
    ) {
        AuthResult::Respond(r) => return r,
        AuthResult::Proceed { encrypted, mutual } => (encrypted, mutual),
    };
    let mut r = respond(host, server, conn, body, encrypted).await;
    if let Some(v) = mutual {
        r.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    r
}

/// The answer to an authenticated request.
async fn respond(
    host: &Host,
    server: &HostServer,
    conn: &Mutex<Conn>,
    body: Bytes,
    encrypted: bool,
) -> Response<SimBody> {
    let limit = host.envelope_limit_bytes();
    if body.is_empty() {
        // pywinrm's encryption set-up request: authenticate with an empty POST.
        let mut r = Response::new(SimBody::empty());
        add_server_header(&mut r);
        return r;
    }

    let plaintext: Vec<u8> = if encrypted {
        match unseal(conn, &body) {
            Ok(p) => p,
            Err(resp) => return resp(server),
        }
    } else {
        body.to_vec()
    };
    if plaintext.len() > limit {
        host.counters
            .oversize_rejections
            .fetch_add(1, Ordering::Relaxed);
        return status_only(StatusCode::PAYLOAD_TOO_LARGE, server, false);
    }
    let text = String::from_utf8_lossy(&plaintext);
    let peer_ip = lock(conn).peer.ip().to_string();

    let (status, xml, cut) = match Request::parse(&text) {
        Err(f) => (500, host.fault_response(&dummy_request(), &f), false),
        Ok(soap) => dispatch(host, server, &soap, &peer_ip).await,
    };

    let payload: Vec<u8> = if encrypted {
        let sealed = lock(conn).seal(xml.as_bytes());
        match sealed {
            Ok((sig, sealed)) => encryption::frame_one(xml.len(), &sig, &sealed),
            Err(_) => return status_only(StatusCode::INTERNAL_SERVER_ERROR, server, false),
        }
    } else {
        xml.into_bytes()
    };
    let len = payload.len();
    let mut r = if cut {
        host.counters
            .faults_injected
            .fetch_add(1, Ordering::Relaxed);
        let mut r = Response::new(SimBody {
            data: Some(Bytes::from(payload).slice(..len / 2)),
            then_fail: true,
        });
        r.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
        r
    } else {
        Response::new(SimBody::full(payload))
    };
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    add_server_header(&mut r);
    let ct = if encrypted {
        HeaderValue::from_str(&encryption::content_type())
            .unwrap_or(HeaderValue::from_static("multipart/encrypted"))
    } else {
        HeaderValue::from_static("application/soap+xml;charset=UTF-8")
    };
    r.headers_mut().insert(CONTENT_TYPE, ct);
    r
}

fn dummy_request() -> Request {
    Request {
        message_id: String::new(),
        to: String::new(),
        action: Action::Create,
        max_envelope_size: 153_600,
        operation_timeout: Duration::from_secs(60),
        shell_id: None,
        options: Vec::new(),
    }
}

/// Runs the SOAP action; returns (status, envelope, cut-this-response).
async fn dispatch(
    host: &Host,
    server: &HostServer,
    soap: &Request,
    peer_ip: &str,
) -> (u16, String, bool) {
    if let Action::Receive { .. } = soap.action {
        let seq = host.counters.receive_seq.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(every) = host.faults.timeout_every {
            if seq.is_multiple_of(every) {
                host.counters
                    .faults_injected
                    .fetch_add(1, Ordering::Relaxed);
                host.counters
                    .operation_timeouts
                    .fetch_add(1, Ordering::Relaxed);
                host.counters.receives.fetch_add(1, Ordering::Relaxed);
                return (
                    500,
                    host.fault_response(soap, &Fault::operation_timeout()),
                    false,
                );
            }
        }
        let (status, xml, carries_output) = receive(host, soap).await;
        let mut cut = false;
        if carries_output {
            let k = host
                .counters
                .output_receive_seq
                .fetch_add(1, Ordering::Relaxed)
                + 1;
            if let Some(every) = host.faults.reset_every {
                cut = k.is_multiple_of(every);
            }
        }
        return (status, xml, cut);
    }
    let (status, xml) = host.handle(soap, &server.endpoint, peer_ip);
    (status, xml, false)
}

/// Receive with Windows' waiting semantics: hold the request until output is ready or the
/// client's OperationTimeout passes (then fault 2150858793).
async fn receive(host: &Host, req: &Request) -> (u16, String, bool) {
    host.counters.receives.fetch_add(1, Ordering::Relaxed);
    let deadline = tokio::time::Instant::now() + req.operation_timeout;
    loop {
        match host.receive_step(req) {
            ReceiveStep::Respond {
                xml,
                carries_output,
            } => return (200, xml, carries_output),
            ReceiveStep::Fault(f) => return (500, host.fault_response(req, &f), false),
            ReceiveStep::WaitUntil(t) => {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    host.counters
                        .operation_timeouts
                        .fetch_add(1, Ordering::Relaxed);
                    return (
                        500,
                        host.fault_response(req, &Fault::operation_timeout()),
                        false,
                    );
                }
                let until = tokio::time::Instant::from_std(t)
                    .min(deadline)
                    .max(now + Duration::from_millis(1));
                tokio::time::sleep_until(until).await;
            }
        }
    }
}

type ErrResp = fn(&HostServer) -> Response<SimBody>;

fn unseal(conn: &Mutex<Conn>, body: &[u8]) -> Result<Vec<u8>, ErrResp> {
    let parts = encryption::unframe(body).map_err(|_| bad_request as ErrResp)?;
    let mut c = lock(conn);
    let mut out = Vec::new();
    for part in &parts {
        let plain = c
            .unseal(&part.signature, &part.sealed)
            .map_err(|_| bad_request as ErrResp)?;
        encryption::check_unsealed_length(part, &plain).map_err(|_| bad_request as ErrResp)?;
        out.extend_from_slice(&plain);
    }
    Ok(out)
}

fn bad_request(server: &HostServer) -> Response<SimBody> {
    status_only(StatusCode::BAD_REQUEST, server, false)
}

fn authenticate(
    server: &HostServer,
    conn: &Mutex<Conn>,
    auth_header: Option<&str>,
    content_type: &str,
    empty_body: bool,
) -> AuthResult {
    let host = &server.host;
    let fail = |count: bool| {
        if count {
            host.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
        }
        AuthResult::Respond(status_only(StatusCode::UNAUTHORIZED, server, true))
    };
    match server.auth {
        AuthMode::Basic => {
            if server.tls.is_none() && !server.allow_basic_http {
                return fail(auth_header.is_some());
            }
            match auth_header {
                Some(h) if !host.faults.auth_fail && basic::check(h, &server.creds) => {
                    AuthResult::Proceed {
                        encrypted: false,
                        mutual: None,
                    }
                }
                Some(_) => fail(true),
                None => fail(false),
            }
        }
        AuthMode::Kerberos => authenticate_kerberos(
            server,
            conn,
            auth_header,
            encryption::is_encrypted_content_type(content_type),
            empty_body,
        ),
        AuthMode::Ntlm => {
            let is_encrypted = encryption::is_encrypted_content_type(content_type);
            if let Some(h) = auth_header {
                let (scheme, token) = h.split_once(' ').unwrap_or((h, ""));
                let scheme_ok =
                    scheme.eq_ignore_ascii_case("Negotiate") || scheme.eq_ignore_ascii_case("NTLM");
                let Ok(token) = base64::engine::general_purpose::STANDARD.decode(token.trim())
                else {
                    return fail(true);
                };
                if !scheme_ok || !ntlm::is_ntlmssp(&token) {
                    return fail(true);
                }
                let mut c = lock(conn);
                match ntlm::message_type(&token) {
                    Some(1) => {
                        let mut acc = NtlmAcceptor::new(&server.creds);
                        match acc.step(&token) {
                            Step::Challenge(ch) => {
                                c.ntlm = Some(acc);
                                let mut r = status_only(StatusCode::UNAUTHORIZED, server, false);
                                let v = format!(
                                    "{scheme} {}",
                                    base64::engine::general_purpose::STANDARD.encode(ch)
                                );
                                if let Ok(v) = HeaderValue::from_str(&v) {
                                    r.headers_mut().insert(WWW_AUTHENTICATE, v);
                                }
                                AuthResult::Respond(r)
                            }
                            _ => {
                                c.ntlm = None;
                                drop(c);
                                fail(true)
                            }
                        }
                    }
                    Some(3) => {
                        let step = match c.ntlm.as_mut() {
                            Some(acc) if !acc.is_established() => acc.step(&token),
                            _ => Step::Failed(
                                "AUTHENTICATE without NEGOTIATE on this connection".into(),
                            ),
                        };
                        match step {
                            Step::Established if !host.faults.auth_fail => {
                                drop(c);
                                proceed_ntlm(server, is_encrypted, empty_body)
                            }
                            _ => {
                                c.ntlm = None;
                                drop(c);
                                fail(true)
                            }
                        }
                    }
                    _ => {
                        drop(c);
                        fail(true)
                    }
                }
            } else {
                let established = lock(conn)
                    .ntlm
                    .as_ref()
                    .is_some_and(NtlmAcceptor::is_established);
                if !established {
                    if is_encrypted {
                        // A message sealed for a context that is not on this connection.
                        return AuthResult::Respond(status_only(
                            StatusCode::BAD_REQUEST,
                            server,
                            false,
                        ));
                    }
                    return fail(false);
                }
                proceed_ntlm(server, is_encrypted, empty_body)
            }
        }
    }
}

fn proceed_ntlm(server: &HostServer, is_encrypted: bool, empty_body: bool) -> AuthResult {
    // AllowUnencrypted=false (the STIG setting): plain HTTP must carry sealed messages.
    if server.tls.is_none() && !is_encrypted && !empty_body {
        server
            .host
            .counters
            .auth_failures
            .fetch_add(1, Ordering::Relaxed);
        return AuthResult::Respond(status_only(StatusCode::UNAUTHORIZED, server, true));
    }
    AuthResult::Proceed {
        encrypted: is_encrypted,
        mutual: None,
    }
}

/// Kerberos under `Negotiate`: one AP-REQ authenticates the connection; the AP-REP goes
/// back on the answer (mutual authentication).
fn authenticate_kerberos(
    server: &HostServer,
    conn: &Mutex<Conn>,
    auth_header: Option<&str>,
    is_encrypted: bool,
    empty_body: bool,
) -> AuthResult {
    let host = &server.host;
    let fail = |count: bool| {
        if count {
            host.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
        }
        AuthResult::Respond(status_only(StatusCode::UNAUTHORIZED, server, true))
    };
    let Some(service) = server.kerberos.as_ref() else {
        return fail(auth_header.is_some());
    };
    let Some(h) = auth_header else {
        let established = lock(conn)
            .krb
            .as_ref()
            .is_some_and(KerberosAcceptor::is_established);
        if !established {
            if is_encrypted {
                return AuthResult::Respond(status_only(StatusCode::BAD_REQUEST, server, false));
            }
            return fail(false);
        }
        return proceed_ntlm(server, is_encrypted, empty_body);
    };
    let (scheme, token) = h.split_once(' ').unwrap_or((h, ""));
    let Ok(token) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return fail(true);
    };
    if !scheme.eq_ignore_ascii_case("Negotiate") {
        return fail(true);
    }
    // A new handshake replaces whatever this connection had.
    let mut acc = KerberosAcceptor::new(service);
    let step = acc.step(&token, |u| server.creds.user_matches(u));
    let mut c = lock(conn);
    c.krb = None;
    let fresh = || {
        use sha2::Digest as _;
        let digest: [u8; 32] = sha2::Sha256::digest(&token).into();
        let mut seen = lock(&server.kerberos_seen);
        if seen.len() >= 100_000 {
            seen.clear();
        }
        seen.insert(digest)
    };
    match step {
        KStep::Established(reply) if !host.faults.auth_fail && fresh() => {
            c.krb = Some(acc);
            drop(c);
            match proceed_ntlm(server, is_encrypted, empty_body) {
                AuthResult::Proceed { encrypted, .. } if host.faults.no_mutual_auth => {
                    AuthResult::Proceed {
                        encrypted,
                        mutual: None,
                    }
                }
                AuthResult::Proceed { encrypted, .. } => {
                    let v = format!(
                        "Negotiate {}",
                        base64::engine::general_purpose::STANDARD.encode(reply)
                    );
                    AuthResult::Proceed {
                        encrypted,
                        mutual: HeaderValue::from_str(&v).ok(),
                    }
                }
                other => other,
            }
        }
        _ => {
            drop(c);
            fail(true)
        }
    }
}
