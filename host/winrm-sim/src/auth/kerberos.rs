//! The server side of Kerberos, from the `sspi` crate, so a simulated host can stand in
//! for a domain-joined Windows host: it holds the service principal's long-term key (read
//! from a keytab, as a real host holds its machine account's), accepts an AP-REQ under
//! `Negotiate` (SPNEGO, as stigpack and Windows send it, or a raw krb5 token, as pywinrm
//! sends it), answers with the mutual-authentication AP-REP, then seals and unseals WinRM
//! messages. No KDC traffic: the ticket is checked with the service key alone.
//!
//! sspi's acceptors have panicked on tokens they did not expect (a raw krb5 token fed to
//! the SPNEGO acceptor), so the token's mechanism is checked first and every sspi call is
//! contained: a malformed token is a failed authentication (HTTP 401), never a crash.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Duration;

use sspi::kerberos::ServerProperties;
use sspi::{
    BufferType, DataRepresentation, EncryptionFlags, Kerberos, KerberosConfig,
    KerberosServerConfig, Negotiate, NegotiateConfig, SecurityBuffer, SecurityBufferRef,
    SecurityStatus, ServerRequestFlags, Sspi, SspiImpl,
};

/// Kerberos encryption types a service key may have (sspi speaks only these).
const AES256: u16 = 18;
const AES128: u16 = 17;

/// The service principal a simulated host accepts tickets for, and its key.
#[derive(Clone, PartialEq, Eq)]
pub struct KerberosService {
    /// `HTTP/<host>` (without realm).
    pub spn: String,
    pub realm: String,
    /// The long-term AES key of the service principal.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for KerberosService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosService")
            .field("spn", &self.spn)
            .field("realm", &self.realm)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// One keytab entry.
#[derive(Debug)]
struct KeytabEntry {
    realm: String,
    components: Vec<String>,
    kvno: u32,
    enctype: u16,
    key: Vec<u8>,
}

/// Reads an MIT keytab (format 0x0502) into its entries.
fn parse_keytab(bytes: &[u8]) -> Result<Vec<KeytabEntry>, String> {
    struct Cur<'a>(&'a [u8]);
    impl<'a> Cur<'a> {
        fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
            if self.0.len() < n {
                return Err("truncated keytab entry".into());
            }
            let (a, b) = self.0.split_at(n);
            self.0 = b;
            Ok(a)
        }
        fn u16(&mut self) -> Result<u16, String> {
            let b = self.take(2)?;
            Ok(u16::from_be_bytes([b[0], b[1]]))
        }
        fn u32(&mut self) -> Result<u32, String> {
            let b = self.take(4)?;
            Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        fn string(&mut self) -> Result<String, String> {
            let n = usize::from(self.u16()?);
            String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "non-UTF-8 name".to_string())
        }
    }
    let mut c = Cur(bytes);
    if c.take(2).map_err(|_| "empty file".to_string())? != [5, 2] {
        return Err("not an MIT keytab (version 0x0502)".into());
    }
    let mut out = Vec::new();
    while !c.0.is_empty() {
        let size = c.u32()? as i32;
        if size < 0 {
            c.take(size.unsigned_abs() as usize)?; // a deleted entry
            continue;
        }
        let mut e = Cur(c.take(size as usize)?);
        let n = e.u16()?;
        let realm = e.string()?;
        let components = (0..n).map(|_| e.string()).collect::<Result<Vec<_>, _>>()?;
        let _name_type = e.u32()?;
        let _timestamp = e.u32()?;
        let vno8 = e.take(1)?[0];
        let enctype = e.u16()?;
        let klen = usize::from(e.u16()?);
        let key = e.take(klen)?.to_vec();
        let kvno = match e.0.len() {
            n if n >= 4 => match e.u32()? {
                0 => u32::from(vno8),
                v => v,
            },
            _ => u32::from(vno8),
        };
        out.push(KeytabEntry {
            realm,
            components,
            kvno,
            enctype,
            key,
        });
    }
    Ok(out)
}

impl KerberosService {
    /// The newest AES key of `spn` (`HTTP/<host>`, optionally `@REALM`) in a keytab.
    pub fn from_keytab(path: &Path, spn: &str) -> Result<KerberosService, String> {
        let at = |m: String| format!("keytab {}: {m}", path.display());
        let bytes = std::fs::read(path).map_err(|e| at(e.to_string()))?;
        let entries = parse_keytab(&bytes).map_err(at)?;
        let (name, realm) = match spn.split_once('@') {
            Some((n, r)) => (n, Some(r)),
            None => (spn, None),
        };
        let wanted: Vec<&str> = name.split('/').collect();
        let best = entries
            .iter()
            .filter(|e| e.components == wanted && realm.is_none_or(|r| r == e.realm))
            .filter(|e| e.enctype == AES256 || e.enctype == AES128)
            .max_by_key(|e| (e.kvno, e.enctype));
        let Some(e) = best else {
            return Err(at(format!(
                "no AES key for {spn} (it holds {})",
                entries
                    .iter()
                    .map(|e| format!("{}@{} etype {}", e.components.join("/"), e.realm, e.enctype))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        Ok(KerberosService {
            spn: name.to_string(),
            realm: e.realm.clone(),
            key: e.key.clone(),
        })
    }
}

/// Which GSS mechanism a token's initial-context framing names (RFC 2743 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    Spnego,
    Krb5,
}

/// The mechanism OID of an initial context token, if it is SPNEGO or Kerberos 5.
pub fn mech_of(token: &[u8]) -> Option<Mech> {
    const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    const KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    if token.first() != Some(&0x60) {
        return None;
    }
    // DER length: short form, or long form with 1 to 4 length bytes.
    let first = *token.get(1)?;
    let rest = if first < 0x80 {
        token.get(2..)?
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        token.get(2 + n..)?
    };
    if rest.first() != Some(&0x06) {
        return None;
    }
    let oid_len = usize::from(*rest.get(1)?);
    let oid = rest.get(2..2 + oid_len)?;
    if oid == SPNEGO {
        Some(Mech::Spnego)
    } else if oid == KRB5 {
        Some(Mech::Krb5)
    } else {
        None
    }
}

/// Progress of the Kerberos exchange on one connection.
#[derive(Debug)]
pub enum KStep {
    /// Authenticated; send this token (the AP-REP, possibly in SPNEGO) with the 200.
    Established(Vec<u8>),
    /// Authentication failed (bad ticket, wrong service, malformed token).
    Failed(String),
}

enum Ctx {
    Negotiate(Box<Negotiate>),
    Kerberos(Box<Kerberos>),
}

/// A Kerberos acceptor for one connection.
pub struct KerberosAcceptor {
    ctx: Option<Ctx>,
    service: KerberosService,
    established: bool,
}

impl std::fmt::Debug for KerberosAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosAcceptor")
            .field("established", &self.established)
            .finish_non_exhaustive()
    }
}

fn contained<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("the Kerberos library panicked on this token".into()))
}

impl KerberosAcceptor {
    pub fn new(service: &KerberosService) -> KerberosAcceptor {
        KerberosAcceptor {
            ctx: None,
            service: service.clone(),
            established: false,
        }
    }

    pub fn is_established(&self) -> bool {
        self.established
    }

    fn server_config(&self) -> Result<KerberosServerConfig, String> {
        let sname: Vec<&str> = self.service.spn.split('/').collect();
        let props = ServerProperties::new(
            &sname,
            None,
            Duration::from_secs(300),
            Some(self.service.key.clone().into()),
        )
        .map_err(|e| e.to_string())?;
        Ok(KerberosServerConfig {
            // Never used: an acceptor with the service key needs no KDC (no user-to-user).
            kerberos_config: KerberosConfig::new_with_kdc_url(
                "tcp://127.0.0.1:1",
                "stigpack-sim".into(),
            ),
            server_properties: props,
        })
    }

    /// Feeds the client's token; the first one decides SPNEGO or raw Kerberos. `user`
    /// checks the authenticated principal's account name.
    pub fn step(&mut self, token: &[u8], user: impl Fn(&str) -> bool) -> KStep {
        if self.established {
            return KStep::Failed("context already established on this connection".into());
        }
        let result = contained(|| {
            if self.ctx.is_none() {
                let cfg = self.server_config()?;
                self.ctx = Some(match mech_of(token) {
                    Some(Mech::Spnego) => Ctx::Negotiate(Box::new(
                        Negotiate::new_server(
                            NegotiateConfig::new(
                                Box::new(cfg),
                                Some("kerberos,!ntlm".into()),
                                "stigpack-sim".into(),
                            ),
                            Vec::new(),
                        )
                        .map_err(|e| e.to_string())?,
                    )),
                    Some(Mech::Krb5) => Ctx::Kerberos(Box::new(
                        Kerberos::new_server_from_config(
                            cfg.kerberos_config,
                            cfg.server_properties,
                        )
                        .map_err(|e| e.to_string())?,
                    )),
                    None => return Err("not a SPNEGO or Kerberos token".into()),
                });
            }
            let mut input = vec![SecurityBuffer::new(token.to_vec(), BufferType::Token)];
            let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
            let flags = ServerRequestFlags::ALLOCATE_MEMORY
                | ServerRequestFlags::MUTUAL_AUTH
                | ServerRequestFlags::CONFIDENTIALITY
                | ServerRequestFlags::INTEGRITY;
            let mut handle = None;
            // The same call on either acceptor type (sspi gives them no common object).
            macro_rules! accept {
                ($ctx:expr) => {{
                    let c = $ctx;
                    let b = c
                        .accept_security_context()
                        .with_credentials_handle(&mut handle)
                        .with_context_requirements(flags)
                        .with_target_data_representation(DataRepresentation::Native)
                        .with_input(&mut input)
                        .with_output(&mut output);
                    c.accept_security_context_impl(b)
                        .map_err(|e| e.to_string())?
                        .resolve_to_result()
                        .map_err(|e| format!("{e:?}"))?
                        .status
                }};
            }
            let status = match self.ctx.as_mut() {
                Some(Ctx::Negotiate(n)) => accept!(n.as_mut()),
                Some(Ctx::Kerberos(k)) => accept!(k.as_mut()),
                None => return Err("no context".into()),
            };
            if status != SecurityStatus::Ok {
                // A single AP-REQ completes Kerberos; anything longer is not WinRM's.
                return Err(format!("unexpected Kerberos status {status:?}"));
            }
            let name = match self.ctx.as_mut() {
                Some(Ctx::Negotiate(n)) => n.query_context_names(),
                Some(Ctx::Kerberos(k)) => k.query_context_names(),
                None => return Err("no context".into()),
            }
            .map_err(|e| e.to_string())?;
            let account = name.username.account_name().to_string();
            let account = account.split('@').next().unwrap_or(&account).to_string();
            if !user(&account) {
                return Err(format!("principal {account:?} has no access to this host"));
            }
            Ok(std::mem::take(&mut output[0].buffer))
        });
        match result {
            Ok(t) => {
                self.established = true;
                KStep::Established(t)
            }
            Err(e) => {
                self.ctx = None;
                KStep::Failed(e)
            }
        }
    }

    /// Seals a plaintext message: (header, sealed bytes), the WinRM layout.
    pub fn seal(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        let ctx = self.ctx.as_mut().ok_or("no context")?;
        contained(|| match ctx {
            Ctx::Negotiate(n) => seal_with(n.as_mut(), plaintext),
            Ctx::Kerberos(k) => seal_with(k.as_mut(), plaintext),
        })
    }

    /// Verifies and unseals a message the client sealed on this connection.
    pub fn unseal(&mut self, header: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
        let ctx = self.ctx.as_mut().ok_or("no context")?;
        contained(|| match ctx {
            Ctx::Negotiate(n) => unseal_with(n.as_mut(), header, sealed),
            Ctx::Kerberos(k) => unseal_with(k.as_mut(), header, sealed),
        })
    }
}

fn seal_with<S: Sspi>(s: &mut S, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let trailer = s
        .query_context_sizes()
        .map_err(|e| e.to_string())?
        .security_trailer as usize;
    let mut token = vec![0u8; trailer];
    let mut data = plaintext.to_vec();
    let mut bufs = [
        SecurityBufferRef::token_buf(token.as_mut_slice()),
        SecurityBufferRef::data_buf(data.as_mut_slice()),
    ];
    s.encrypt_message(EncryptionFlags::empty(), &mut bufs)
        .map_err(|e| e.to_string())?;
    Ok((bufs[0].data().to_vec(), bufs[1].data().to_vec()))
}

fn unseal_with<S: Sspi>(s: &mut S, header: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
    let mut token = header.to_vec();
    let mut data = sealed.to_vec();
    let mut bufs = [
        SecurityBufferRef::token_buf(token.as_mut_slice()),
        SecurityBufferRef::data_buf(data.as_mut_slice()),
    ];
    s.decrypt_message(&mut bufs).map_err(|e| e.to_string())?;
    Ok(bufs[1].data().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanism_detection() {
        let spnego = [
            0x60, 0x0a, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x00,
        ];
        assert_eq!(mech_of(&spnego), Some(Mech::Spnego));
        let mut krb = vec![0x60, 0x82, 0x01, 0x00, 0x06, 0x09];
        krb.extend_from_slice(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 1, 0]);
        assert_eq!(mech_of(&krb), Some(Mech::Krb5));
        for bad in [
            &b"NTLMSSP\0"[..],
            &[],
            &[0x60],
            &[0x60, 0x85, 1, 2, 3, 4, 5],
            &[0x60, 2, 6, 9],
        ] {
            assert_eq!(mech_of(bad), None);
        }
    }

    fn acceptor() -> KerberosAcceptor {
        KerberosAcceptor::new(&KerberosService {
            spn: "HTTP/sim.test".into(),
            realm: "SIM.TEST".into(),
            key: vec![7; 32],
        })
    }

    /// Garbage behind a valid-looking SPNEGO or krb5 header must fail, not panic.
    #[test]
    fn malformed_tokens_fail_without_panicking() {
        let mut tokens: Vec<Vec<u8>> = Vec::new();
        let spnego = vec![0x60, 0x0a, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
        let krb = vec![
            0x60, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
        ];
        for head in [&spnego, &krb] {
            for tail in [
                &[][..],
                &[0x01, 0x00],
                &[0xa0, 0x03, 0x30, 0x01, 0x00],
                &[0xff; 40],
            ] {
                let mut t = head.clone();
                t.extend_from_slice(tail);
                tokens.push(t);
            }
        }
        tokens.push(b"NTLMSSP\0\x01\0\0\0".to_vec());
        for t in tokens {
            let mut a = acceptor();
            match a.step(&t, |_| true) {
                KStep::Failed(_) => {}
                other => panic!("{t:?}: {other:?}"),
            }
            assert!(!a.is_established());
            assert!(a.seal(b"x").is_err());
        }
    }

    #[test]
    fn keytab_parsing_picks_the_newest_aes_key() {
        fn entry(realm: &str, comps: &[&str], kvno: u8, etype: u16, key: &[u8]) -> Vec<u8> {
            let mut e = Vec::new();
            e.extend_from_slice(&(comps.len() as u16).to_be_bytes());
            e.extend_from_slice(&(realm.len() as u16).to_be_bytes());
            e.extend_from_slice(realm.as_bytes());
            for c in comps {
                e.extend_from_slice(&(c.len() as u16).to_be_bytes());
                e.extend_from_slice(c.as_bytes());
            }
            e.extend_from_slice(&1u32.to_be_bytes());
            e.extend_from_slice(&0u32.to_be_bytes());
            e.push(kvno);
            e.extend_from_slice(&etype.to_be_bytes());
            e.extend_from_slice(&(key.len() as u16).to_be_bytes());
            e.extend_from_slice(key);
            let mut out = (e.len() as i32).to_be_bytes().to_vec();
            out.extend(e);
            out
        }
        let mut kt = vec![5, 2];
        kt.extend(entry(
            "SIM.TEST",
            &["HTTP", "h.sim.test"],
            1,
            AES256,
            &[1; 32],
        ));
        kt.extend(entry(
            "SIM.TEST",
            &["HTTP", "h.sim.test"],
            2,
            AES128,
            &[2; 16],
        ));
        kt.extend(entry("SIM.TEST", &["HTTP", "h.sim.test"], 2, 23, &[3; 16]));
        kt.extend((-8i32).to_be_bytes());
        kt.extend([0u8; 8]);
        kt.extend(entry("SIM.TEST", &["HTTP", "other"], 9, AES256, &[4; 32]));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kt");
        std::fs::write(&p, &kt).unwrap();
        let s = KerberosService::from_keytab(&p, "HTTP/h.sim.test").unwrap();
        assert_eq!((s.key, s.realm.as_str()), (vec![2; 16], "SIM.TEST"));
        let e = KerberosService::from_keytab(&p, "HTTP/h.sim.test@OTHER").unwrap_err();
        assert!(
            e.contains("no AES key") && e.contains(&p.display().to_string()),
            "{e}"
        );
        std::fs::write(&p, &kt[..kt.len() - 3]).unwrap();
        assert!(KerberosService::from_keytab(&p, "HTTP/other").is_err());
        assert!(!format!(
            "{s:?}",
            s = KerberosService {
                spn: "a".into(),
                realm: "b".into(),
                key: vec![9]
            }
        )
        .contains('9'));
    }
}
