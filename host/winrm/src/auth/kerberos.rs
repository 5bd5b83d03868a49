//! Kerberos for domain fleets where NTLM is restricted: SPNEGO (`Negotiate` limited to
//! Kerberos, so it can never fall back to NTLM) from the `sspi` crate, mutual
//! authentication, and the WinRM message-encryption layout (RFC 4121 wrap tokens with the
//! security trailer in front, as pywinrm's kerberos transport does) over HTTP.
//!
//! The KDC is always pinned by address ([`KerberosAuth`]) and the KDC exchange goes
//! through [`KdcClient`], a small TCP client with timeouts: sspi otherwise picks its KDC
//! from process-wide environment variables and DNS. The ticket is obtained with the
//! password; sspi 0.23 cannot read an MIT credential cache (`KRB5CCNAME`), see
//! docs/winrm.md.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::Duration;

use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, CredentialsBuffers,
    DataRepresentation, EncryptionFlags, KerberosConfig, Negotiate, NegotiateConfig,
    NetworkProtocol, NetworkRequest, SecurityBuffer, SecurityBufferRef, SecurityStatus, Sspi,
    SspiImpl, Username,
};

use super::krb5conf::{parse_kdc, Krb5Conf};
use super::{AuthError, SecurityContext};
use crate::credentials::Credentials;

/// Longest KDC reply accepted (a ticket with a large PAC is a few tens of kB).
const MAX_KDC_REPLY: usize = 1024 * 1024;

/// Everything needed to get a service ticket for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KerberosAuth {
    pub credentials: Credentials,
    /// The user's realm (where the KDC below issues the ticket).
    pub realm: String,
    /// The account name without realm.
    pub user: String,
    pub kdc_host: String,
    pub kdc_port: u16,
    /// Host part of the service principal `HTTP/<host>`; `None`: the endpoint's host.
    pub service_host: Option<String>,
    /// Connect/read timeout of each KDC exchange.
    pub kdc_timeout: Duration,
}

impl KerberosAuth {
    /// Resolves the realm and KDC. The realm comes from `realm` (the inventory), else the
    /// user name (`user@REALM`, `REALM\user`), else `default_realm` in `conf`; the KDC from
    /// `kdc` (the inventory), else the realm's first `kdc` in `conf`. `conf` is read only
    /// when needed.
    pub fn resolve(
        credentials: Credentials,
        realm: Option<&str>,
        kdc: Option<&str>,
        service_host: Option<String>,
        conf: impl FnOnce() -> Result<Krb5Conf, super::krb5conf::Krb5ConfError>,
    ) -> Result<KerberosAuth, AuthError> {
        let kerr = AuthError::Kerberos;
        let (user, user_realm) = split_user(&credentials.username)?;
        let realm = realm.map(str::trim).filter(|r| !r.is_empty());
        if let (Some(r), Some(u)) = (realm, user_realm.as_deref()) {
            if !r.eq_ignore_ascii_case(u) {
                return Err(kerr(format!(
                    "user {} is in realm {u} but the Kerberos realm is set to {r}",
                    credentials.username
                )));
            }
        }
        let mut loaded: Option<Krb5Conf> = None;
        let mut conf = Some(conf);
        let mut get_conf = || -> Result<Krb5Conf, AuthError> {
            if let Some(c) = &loaded {
                return Ok(c.clone());
            }
            let load = conf
                .take()
                .ok_or_else(|| kerr("Kerberos configuration unavailable".into()))?;
            let c = load().map_err(|e| kerr(e.to_string()))?;
            loaded = Some(c.clone());
            Ok(c)
        };
        let realm = match (realm, user_realm) {
            (Some(r), _) => r.to_string(),
            (None, Some(u)) => u,
            (None, None) => {
                let c = get_conf()?;
                c.default_realm().map(str::to_string).ok_or_else(|| {
                    kerr(format!(
                        "no Kerberos realm: user {} names none, the inventory sets none, and {} has no [libdefaults] default_realm",
                        credentials.username,
                        c.describe()
                    ))
                })?
            }
        };
        let kdc = match kdc.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => k.to_string(),
            None => {
                let c = get_conf()?;
                let found = c.kdcs(&realm).first().map(|s| s.to_string());
                found.ok_or_else(|| {
                    kerr(format!(
                        "no KDC for realm {realm}: {} has no `kdc` under [realms] {realm} = {{ ... }} (stigpack does not look KDCs up in DNS); set it there or in the inventory",
                        c.describe()
                    ))
                })?
            }
        };
        let (kdc_host, kdc_port) = parse_kdc(&kdc).map_err(kerr)?;
        if let Some(h) = &service_host {
            if h.is_empty() || h.contains('/') || h.contains('@') || h.contains(char::is_whitespace)
            {
                return Err(kerr(format!(
                    "service host name {h:?} is not a host name (the SPN is HTTP/<host>)"
                )));
            }
        }
        Ok(KerberosAuth {
            credentials,
            realm,
            user,
            kdc_host,
            kdc_port,
            service_host,
            kdc_timeout: Duration::from_secs(10),
        })
    }

    /// The service principal name for an endpoint host.
    pub fn spn(&self, endpoint_host: &str) -> String {
        let host = self.service_host.as_deref().unwrap_or(endpoint_host);
        format!(
            "HTTP/{}",
            host.trim_start_matches('[').trim_end_matches(']')
        )
    }

    /// The KDC as sspi takes it (always TCP).
    fn kdc_url(&self) -> String {
        if self.kdc_host.contains(':') {
            format!("tcp://[{}]:{}", self.kdc_host, self.kdc_port)
        } else {
            format!("tcp://{}:{}", self.kdc_host, self.kdc_port)
        }
    }
}

/// `user@REALM` → (user, REALM); `REALM\user` → (user, REALM); `user` → (user, None).
/// Realms named in a user name are upper-cased, as Windows does with a UPN suffix.
pub(super) fn split_user(name: &str) -> Result<(String, Option<String>), AuthError> {
    let bad = || AuthError::Username(format!("{name:?} is not user, user@REALM or REALM\\user"));
    let (user, realm) = if let Some((r, u)) = name.split_once('\\') {
        (u, Some(r))
    } else if let Some((u, r)) = name.rsplit_once('@') {
        (u, Some(r))
    } else {
        (name, None)
    };
    if user.is_empty() || user.contains(['\\', '/']) || realm.is_some_and(str::is_empty) {
        return Err(bad());
    }
    Ok((user.to_string(), realm.map(str::to_ascii_uppercase)))
}

/// The KDC exchange over TCP (RFC 4120 7.2.2: each message with a 4-byte big-endian length
/// in front, which sspi has already added to the request and expects on the reply). Keeps
/// the last network failure so the error can say what happened.
#[derive(Debug)]
pub struct KdcClient {
    timeout: Duration,
    last_error: Mutex<Option<String>>,
}

impl KdcClient {
    pub fn new(timeout: Duration) -> Self {
        KdcClient {
            timeout,
            last_error: Mutex::new(None),
        }
    }

    fn note(&self, e: String) -> sspi::Error {
        if let Ok(mut g) = self.last_error.lock() {
            *g = Some(e.clone());
        }
        sspi::Error::new(sspi::ErrorKind::NoAuthenticatingAuthority, e)
    }

    fn take_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|mut g| g.take())
    }

    fn tcp(&self, host: &str, port: u16, data: &[u8]) -> Result<Vec<u8>, String> {
        let addrs: Vec<_> = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve KDC {host}: {e}"))?
            .collect();
        let mut last = format!("KDC {host} has no address");
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, self.timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = format!("cannot reach the KDC at {a}: {e}"),
            }
        }
        let mut s = stream.ok_or(last)?;
        let io = |e: std::io::Error| format!("KDC {host}:{port}: {e}");
        s.set_read_timeout(Some(self.timeout)).map_err(io)?;
        s.set_write_timeout(Some(self.timeout)).map_err(io)?;
        s.write_all(data).map_err(io)?;
        let mut len = [0u8; 4];
        s.read_exact(&mut len).map_err(io)?;
        let n = u32::from_be_bytes(len) as usize;
        if n > MAX_KDC_REPLY {
            return Err(format!(
                "KDC {host}:{port} announced a {n}-byte reply (limit {MAX_KDC_REPLY})"
            ));
        }
        let mut out = Vec::with_capacity(n + 4);
        out.extend_from_slice(&len);
        out.resize(n + 4, 0);
        s.read_exact(&mut out[4..]).map_err(io)?;
        Ok(out)
    }
}

impl sspi::network_client::NetworkClient for KdcClient {
    fn send(&self, request: &NetworkRequest) -> sspi::Result<Vec<u8>> {
        if request.protocol != NetworkProtocol::Tcp {
            return Err(self.note(format!(
                "KDC over {:?} is not supported (TCP only)",
                request.protocol
            )));
        }
        let host = request
            .url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = request.url.port().unwrap_or(88);
        self.tcp(&host, port, &request.data)
            .map_err(|e| self.note(e))
    }
}

const FLAGS: ClientRequestFlags = ClientRequestFlags::MUTUAL_AUTH
    .union(ClientRequestFlags::CONFIDENTIALITY)
    .union(ClientRequestFlags::INTEGRITY)
    .union(ClientRequestFlags::SEQUENCE_DETECT)
    .union(ClientRequestFlags::ALLOCATE_MEMORY);

/// One Kerberos security context (one TCP connection).
pub struct KerberosContext {
    neg: Negotiate,
    creds: Option<CredentialsBuffers>,
    spn: String,
    realm: String,
    user: String,
    kdc_url: String,
    kdc: KdcClient,
    channel_bindings: Option<Vec<u8>>,
    established: bool,
    /// Poisoned by a panic inside sspi: nothing more may be done with it.
    broken: bool,
}

impl std::fmt::Debug for KerberosContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosContext")
            .field("spn", &self.spn)
            .field("established", &self.established)
            .finish_non_exhaustive()
    }
}

/// Runs an sspi call so a panic inside it (sspi has panicked on malformed tokens) is an
/// error, not the end of the process.
fn contained<T>(f: impl FnOnce() -> Result<T, AuthError>) -> Result<T, AuthError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(AuthError::Kerberos(
            "the Kerberos library failed on a malformed token".into(),
        ))
    })
}

/// RFC 5929 channel-binding data as a `SEC_CHANNEL_BINDINGS` structure (only the
/// application data set), which is how sspi takes it.
fn sec_channel_bindings(application_data: &[u8]) -> Vec<u8> {
    let len = u32::try_from(application_data.len()).unwrap_or(u32::MAX);
    let mut v = Vec::with_capacity(32 + application_data.len());
    for field in [0u32, 0, 0, 0, 0, 0, len, 32] {
        v.extend_from_slice(&field.to_le_bytes());
    }
    v.extend_from_slice(application_data);
    v
}

impl KerberosContext {
    pub fn new(
        auth: &KerberosAuth,
        endpoint_host: &str,
        channel_bindings: Option<&[u8]>,
    ) -> Result<Self, AuthError> {
        let kerr = |e: sspi::Error| AuthError::Kerberos(e.to_string());
        let spn = auth.spn(endpoint_host);
        let kdc_url = auth.kdc_url();
        contained(|| {
            let config = NegotiateConfig::new(
                Box::new(KerberosConfig::new_with_kdc_url(
                    &kdc_url,
                    "stigpack".to_string(),
                )),
                Some("kerberos,!ntlm".to_string()),
                "stigpack".to_string(),
            );
            let mut neg = Negotiate::new_client(config).map_err(kerr)?;
            let username = Username::new(&auth.user, Some(&auth.realm))
                .map_err(|e| AuthError::Username(e.to_string()))?;
            let identity = AuthIdentity {
                username,
                password: auth.credentials.password.expose().to_string().into(),
            };
            let acq = neg
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Outbound)
                .with_auth_data(&sspi::Credentials::AuthIdentity(identity))
                .execute(&mut neg)
                .map_err(kerr)?;
            Ok(KerberosContext {
                neg,
                creds: acq.credentials_handle,
                spn: spn.clone(),
                realm: auth.realm.clone(),
                user: auth.user.clone(),
                kdc_url: kdc_url.clone(),
                kdc: KdcClient::new(auth.kdc_timeout),
                channel_bindings: channel_bindings.map(sec_channel_bindings),
                established: false,
                broken: false,
            })
        })
    }

    /// Explains an sspi failure in the operator's terms.
    fn explain(&self, e: &sspi::Error) -> AuthError {
        if let Some(net) = self.kdc.take_error() {
            return AuthError::Kerberos(format!(
                "cannot get a ticket from the KDC {} for realm {}: {net}",
                self.kdc_url, self.realm
            ));
        }
        let text = e.to_string();
        let who = format!("{}\\{}", self.realm, self.user);
        let m = if text.contains("PREAUTH_FAILED") || text.contains("KDC_ERR_PREAUTH") {
            format!(
                "the KDC {} refused the password of {who} (PREAUTH_FAILED)",
                self.kdc_url
            )
        } else if text.contains("C_PRINCIPAL_UNKNOWN") || text.contains("CLIENT_NOT_FOUND") {
            format!("the KDC {} does not know the user {who}", self.kdc_url)
        } else if text.contains("S_PRINCIPAL_UNKNOWN") || text.contains("LOOKING_UP_SERVER") {
            format!(
                "the KDC {} has no service principal {}@{} (check the host name, or set the Kerberos host name override)",
                self.kdc_url, self.spn, self.realm
            )
        } else if text.contains("SKEW") {
            format!("clock skew with the KDC {}: {text}", self.kdc_url)
        } else {
            format!("{} for {} as {who}: {text}", self.kdc_url, self.spn)
        };
        AuthError::Kerberos(m)
    }

    fn init(&mut self, input: Option<&[u8]>) -> Result<(SecurityStatus, Vec<u8>), AuthError> {
        if self.broken {
            return Err(AuthError::Kerberos(
                "Kerberos context unusable after an earlier failure".into(),
            ));
        }
        let first = input.is_none();
        let r = contained(|| {
            let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
            let mut input_bufs = vec![SecurityBuffer::new(
                input.map(<[u8]>::to_vec).unwrap_or_default(),
                BufferType::Token,
            )];
            if first {
                if let Some(cb) = &self.channel_bindings {
                    input_bufs.push(SecurityBuffer::new(cb.clone(), BufferType::ChannelBindings));
                }
            }
            let mut builder = self
                .neg
                .initialize_security_context()
                .with_credentials_handle(&mut self.creds)
                .with_context_requirements(FLAGS)
                .with_target_data_representation(DataRepresentation::Native)
                .with_target_name(&self.spn)
                .with_input(&mut input_bufs)
                .with_output(&mut output);
            let result = match self.neg.initialize_security_context_impl(&mut builder) {
                Ok(mut generator) => generator.resolve_with_client(&self.kdc),
                Err(e) => Err(e),
            };
            let result = result.map_err(|e| self.explain(&e))?;
            let token = output.pop().map(|b| b.buffer).unwrap_or_default();
            Ok((result.status, token))
        });
        match r {
            Ok((status, token)) => {
                if status == SecurityStatus::Ok {
                    self.established = true;
                }
                Ok((status, token))
            }
            Err(e) => {
                self.broken = true;
                Err(e)
            }
        }
    }
}

impl SecurityContext for KerberosContext {
    fn scheme(&self) -> &'static str {
        "Negotiate"
    }

    fn initial_token(&mut self) -> Result<Vec<u8>, AuthError> {
        let (_, token) = self.init(None)?;
        if token.is_empty() {
            return Err(AuthError::Kerberos("no SPNEGO token produced".into()));
        }
        Ok(token)
    }

    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        let (_, token) = self.init(Some(server_token))?;
        Ok(if token.is_empty() { None } else { Some(token) })
    }

    fn is_complete(&self) -> bool {
        self.established
    }

    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), AuthError> {
        let neg = &mut self.neg;
        contained(|| {
            let crypto = |e: sspi::Error| AuthError::Crypto(e.to_string());
            let trailer = neg.query_context_sizes().map_err(crypto)?.security_trailer as usize;
            let mut token = vec![0u8; trailer];
            let mut data = plain.to_vec();
            let mut bufs = [
                SecurityBufferRef::token_buf(token.as_mut_slice()),
                SecurityBufferRef::data_buf(data.as_mut_slice()),
            ];
            neg.encrypt_message(EncryptionFlags::empty(), &mut bufs)
                .map_err(crypto)?;
            Ok((bufs[0].data().to_vec(), bufs[1].data().to_vec()))
        })
    }

    fn unseal(&mut self, signature: &[u8], sealed: &[u8]) -> Result<Vec<u8>, AuthError> {
        let neg = &mut self.neg;
        contained(|| {
            let mut token = signature.to_vec();
            let mut data = sealed.to_vec();
            let mut bufs = [
                SecurityBufferRef::token_buf(token.as_mut_slice()),
                SecurityBufferRef::data_buf(data.as_mut_slice()),
            ];
            neg.decrypt_message(&mut bufs)
                .map_err(|e| AuthError::Crypto(e.to_string()))?;
            Ok(bufs[1].data().to_vec())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;
    use std::path::Path;

    fn creds(u: &str) -> Credentials {
        Credentials::new(u, Secret::new("pw"))
    }

    fn conf() -> Result<Krb5Conf, super::super::krb5conf::Krb5ConfError> {
        Krb5Conf::parse(
            "[libdefaults]\ndefault_realm = CORP.TEST\n[realms]\nCORP.TEST = {\nkdc = dc1.corp.test\n}\nLAB.TEST = {\nkdc = 10.0.0.5:8888\n}\n",
            Path::new("/tmp/krb5.conf"),
        )
    }

    #[test]
    fn realm_and_kdc_resolution_order() {
        let a = KerberosAuth::resolve(creds("svc"), None, None, None, conf).unwrap();
        assert_eq!((a.realm.as_str(), a.user.as_str()), ("CORP.TEST", "svc"));
        assert_eq!((a.kdc_host.as_str(), a.kdc_port), ("dc1.corp.test", 88));
        assert_eq!(a.kdc_url(), "tcp://dc1.corp.test:88");
        let a = KerberosAuth::resolve(creds("svc@lab.test"), None, None, None, conf).unwrap();
        assert_eq!((a.realm.as_str(), a.kdc_port), ("LAB.TEST", 8888));
        let a = KerberosAuth::resolve(creds("LAB.TEST\\svc"), None, None, None, conf).unwrap();
        assert_eq!(a.realm, "LAB.TEST");
        // The inventory wins; the configuration is then never read.
        let a = KerberosAuth::resolve(
            creds("svc"),
            Some("X.TEST"),
            Some("[::1]:99"),
            Some("web01.x.test".into()),
            || panic!("krb5.conf must not be read"),
        )
        .unwrap();
        assert_eq!(a.kdc_url(), "tcp://[::1]:99");
        assert_eq!(a.spn("127.0.0.1"), "HTTP/web01.x.test");
        let b = KerberosAuth::resolve(creds("svc"), Some("X.TEST"), Some("k"), None, conf).unwrap();
        assert_eq!(b.spn("[::1]"), "HTTP/::1");
    }

    #[test]
    fn resolution_errors_name_the_problem() {
        let e = KerberosAuth::resolve(creds("svc@OTHER.TEST"), None, None, None, conf)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no KDC for realm OTHER.TEST") && e.contains("/tmp/krb5.conf"),
            "{e}"
        );
        let e = KerberosAuth::resolve(creds("svc@A.TEST"), Some("B.TEST"), Some("k"), None, conf)
            .unwrap_err()
            .to_string();
        assert!(e.contains("realm A.TEST") && e.contains("B.TEST"), "{e}");
        let empty = || Krb5Conf::parse("", Path::new("/e.conf"));
        let e = KerberosAuth::resolve(creds("svc"), None, None, None, empty)
            .unwrap_err()
            .to_string();
        assert!(e.contains("default_realm") && e.contains("/e.conf"), "{e}");
        let e = KerberosAuth::resolve(creds("svc"), Some("R"), Some("tcp/k:88"), None, conf)
            .unwrap_err()
            .to_string();
        assert!(e.contains("tcp/k:88"), "{e}");
        assert!(KerberosAuth::resolve(creds("R\\"), Some("R"), Some("k"), None, conf).is_err());
        assert!(KerberosAuth::resolve(
            creds("svc"),
            Some("R"),
            Some("k"),
            Some("HTTP/x".into()),
            conf
        )
        .is_err());
    }

    /// A KDC that announces a huge reply, one that never answers, and one that is not
    /// there: each a prompt error naming the KDC, never a hang or a giant allocation.
    #[test]
    fn kdc_client_bounds_replies_and_time() {
        use std::io::Read as _;
        let huge = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let huge_port = huge.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = huge.accept() {
                let mut b = [0u8; 8];
                let _ = s.read(&mut b);
                let _ = s.write_all(&u32::MAX.to_be_bytes());
            }
        });
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        let kdc = KdcClient::new(Duration::from_millis(300));
        let e = kdc
            .tcp("127.0.0.1", huge_port, &[0, 0, 0, 1, 0])
            .unwrap_err();
        assert!(
            e.contains("announced") && e.contains(&huge_port.to_string()),
            "{e}"
        );
        let t = std::time::Instant::now();
        let e = kdc
            .tcp("127.0.0.1", silent_port, &[0, 0, 0, 1, 0])
            .unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        assert!(e.contains(&format!("127.0.0.1:{silent_port}")), "{e}");
        drop(silent);
        let e = kdc.tcp("127.0.0.1", silent_port, &[0]).unwrap_err();
        assert!(e.contains("cannot reach the KDC"), "{e}");
    }

    #[test]
    fn channel_bindings_structure() {
        let v = sec_channel_bindings(b"abc");
        assert_eq!(v.len(), 35);
        assert_eq!(&v[24..28], &3u32.to_le_bytes());
        assert_eq!(&v[28..32], &32u32.to_le_bytes());
        assert!(sspi::channel_bindings::ChannelBindings::from_bytes(&v).is_ok());
    }
}
