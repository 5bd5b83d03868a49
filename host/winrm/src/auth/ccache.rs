//! Kerberos with the ticket the operator already holds: the credential cache that `kinit`
//! (or a domain logon) fills, named by `KRB5CCNAME`. `sspi` 0.23 can neither read a
//! credential cache nor be handed a ticket-granting ticket (see `kerberos.rs`), so this
//! path uses the system's own Kerberos library, MIT's GSSAPI, through the `libgssapi`
//! crate. Nothing here sees a password.
//!
//! What MIT decides on this path, as it does for `kinit` and pywinrm: the credential cache
//! (`KRB5CCNAME`, else the default cache) and the KDC for the service ticket (the krb5
//! configuration, `$KRB5_CONFIG` or `/etc/krb5.conf`). What stigpack decides: the
//! principal whose ticket is used (the inventory's user, when it names one), the service
//! principal `HTTP/<host>@REALM` (given whole, so MIT never canonicalises the host name
//! through DNS), mutual authentication, and the WinRM message-encryption layout.
//!
//! The token is a raw Kerberos 5 token under the `Negotiate` scheme, as pywinrm's kerberos
//! transport sends it and Windows accepts it; it cannot fall back to NTLM. Message
//! encryption uses `gss_wrap_iov` with a header buffer, which is the layout WinRM and the
//! password path (`sspi`'s security trailer) share: the signature part is the wrap token's
//! header, the sealed part is as long as the message.

use std::sync::Mutex;

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext as _};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::name::Name;
use libgssapi::oid::{OidSet, GSS_MECH_KRB5, GSS_NT_KRB5_PRINCIPAL};
use libgssapi::util::{GssIov, GssIovType};

use super::kerberos::split_user;
use super::{AuthError, SecurityContext};

/// Whose ticket to use and for which service, when the ticket comes from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcacheAuth {
    /// `user@REALM`, or `user` in the default realm; `None`: the cache's own principal.
    pub principal: Option<String>,
    /// The service principal's realm; `None`: the user's realm (the principal's, else the
    /// cache's).
    pub realm: Option<String>,
    /// Host part of the service principal `HTTP/<host>`; `None`: the endpoint's host.
    pub service_host: Option<String>,
}

impl CcacheAuth {
    /// `user` is the inventory's user (`user`, `user@REALM`, `REALM\user`) or empty;
    /// `realm` the inventory's realm, if any.
    pub fn new(
        user: &str,
        realm: Option<&str>,
        service_host: Option<String>,
    ) -> Result<CcacheAuth, AuthError> {
        let realm = realm
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        let principal = if user.trim().is_empty() {
            None
        } else {
            let (user, user_realm) = split_user(user)?;
            if let (Some(r), Some(u)) = (&realm, &user_realm) {
                if !r.eq_ignore_ascii_case(u) {
                    return Err(AuthError::Kerberos(format!(
                        "user {user}@{u} is in realm {u} but the Kerberos realm is set to {r}"
                    )));
                }
            }
            Some(match user_realm.or_else(|| realm.clone()) {
                Some(r) => format!("{user}@{r}"),
                None => user,
            })
        };
        if let Some(h) = &service_host {
            if h.is_empty() || h.contains(['/', '@']) || h.contains(char::is_whitespace) {
                return Err(AuthError::Kerberos(format!(
                    "service host name {h:?} is not a host name (the SPN is HTTP/<host>)"
                )));
            }
        }
        Ok(CcacheAuth {
            principal,
            realm,
            service_host,
        })
    }
}

/// Which credential cache MIT will read, for messages (never its contents).
fn cache_name() -> String {
    match std::env::var("KRB5CCNAME") {
        Ok(v) if !v.is_empty() => v,
        _ => "the default credential cache (KRB5CCNAME is not set)".into(),
    }
}

/// The ticket-holding context of one connection.
pub struct CcacheContext {
    /// `ClientCtx` is `Send` but not `Sync`; the trait asks for both, and the transport
    /// only ever uses a context from one task at a time.
    ctx: Mutex<ClientCtx>,
    spn: String,
    principal: String,
    channel_bindings: Option<Vec<u8>>,
    established: bool,
}

impl std::fmt::Debug for CcacheContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CcacheContext")
            .field("spn", &self.spn)
            .field("principal", &self.principal)
            .field("established", &self.established)
            .finish_non_exhaustive()
    }
}

const FLAGS: CtxFlags = CtxFlags::GSS_C_MUTUAL_FLAG
    .union(CtxFlags::GSS_C_SEQUENCE_FLAG)
    .union(CtxFlags::GSS_C_CONF_FLAG)
    .union(CtxFlags::GSS_C_INTEG_FLAG);

impl CcacheContext {
    /// Finds the ticket in the cache (no network yet). `channel_bindings` is the RFC 5929
    /// `tls-server-end-point` application data on HTTPS.
    pub fn new(
        auth: &CcacheAuth,
        endpoint_host: &str,
        channel_bindings: Option<&[u8]>,
    ) -> Result<Self, AuthError> {
        let kerr = AuthError::Kerberos;
        let mechs = OidSet::singleton(GSS_MECH_KRB5).map_err(|e| kerr(e.to_string()))?;
        let name = match &auth.principal {
            Some(p) => Some(
                Name::new(p.as_bytes(), Some(GSS_NT_KRB5_PRINCIPAL))
                    .map_err(|e| kerr(format!("user {p}: {e}")))?,
            ),
            None => None,
        };
        let cred = Cred::acquire(name.as_ref(), None, CredUsage::Initiate, Some(&mechs))
            .map_err(|e| {
                let whose = auth
                    .principal
                    .as_deref()
                    .map(|p| format!(" for {p}"))
                    .unwrap_or_default();
                kerr(format!(
                    "no usable ticket{whose} in {}: {e}; run `kinit{}` first, or give the host a password",
                    cache_name(),
                    auth.principal.as_deref().map(|p| format!(" {p}")).unwrap_or_default()
                ))
            })?;
        let principal = cred.name().map(|n| n.to_string()).map_err(|e| {
            kerr(format!(
                "cannot read the principal of the cached ticket: {e}"
            ))
        })?;
        let realm = match &auth.realm {
            Some(r) => r.clone(),
            None => principal
                .rsplit_once('@')
                .map(|(_, r)| r.to_string())
                .ok_or_else(|| kerr(format!("the cached principal {principal} has no realm")))?,
        };
        let host = auth.service_host.as_deref().unwrap_or(endpoint_host);
        let spn = format!(
            "HTTP/{}",
            host.trim_start_matches('[').trim_end_matches(']')
        );
        let target = Name::new(
            format!("{spn}@{realm}").as_bytes(),
            Some(GSS_NT_KRB5_PRINCIPAL),
        )
        .map_err(|e| kerr(format!("service principal {spn}@{realm}: {e}")))?;
        Ok(CcacheContext {
            ctx: Mutex::new(ClientCtx::new(
                Some(cred),
                target,
                FLAGS,
                Some(GSS_MECH_KRB5),
            )),
            spn: format!("{spn}@{realm}"),
            principal,
            channel_bindings: channel_bindings.map(<[u8]>::to_vec),
            established: false,
        })
    }

    fn init(&mut self, input: Option<&[u8]>) -> Result<Option<Vec<u8>>, AuthError> {
        let mut ctx = self
            .ctx
            .lock()
            .map_err(|_| AuthError::Kerberos("Kerberos context poisoned".into()))?;
        let out = ctx
            .step(input, self.channel_bindings.as_deref())
            .map_err(|e| {
                AuthError::Kerberos(if input.is_none() {
                    format!(
                        "cannot get a service ticket for {} as {} (ticket from {}; KDC from the krb5 configuration): {e}",
                        self.spn,
                        self.principal,
                        cache_name()
                    )
                } else {
                    format!("the host's answer for {} was refused: {e}", self.spn)
                })
            })?;
        if ctx.is_complete() {
            self.established = true;
        }
        Ok(out.map(|b| b.to_vec()))
    }
}

impl SecurityContext for CcacheContext {
    fn scheme(&self) -> &'static str {
        "Negotiate"
    }

    fn initial_token(&mut self) -> Result<Vec<u8>, AuthError> {
        match self.init(None)? {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(AuthError::Kerberos("no Kerberos token produced".into())),
        }
    }

    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        Ok(self.init(Some(server_token))?.filter(|t| !t.is_empty()))
    }

    fn is_complete(&self) -> bool {
        self.established
    }

    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), AuthError> {
        let crypto = |e: libgssapi::error::Error| AuthError::Crypto(e.to_string());
        let mut ctx = self
            .ctx
            .lock()
            .map_err(|_| AuthError::Crypto("Kerberos context poisoned".into()))?;
        let mut data = plain.to_vec();
        let mut iov = [
            GssIov::new_alloc(GssIovType::Header),
            GssIov::new(GssIovType::Data, &mut data),
            GssIov::new_alloc(GssIovType::Padding),
        ];
        ctx.wrap_iov(true, &mut iov).map_err(crypto)?;
        // AES (RFC 4121) needs no padding; a mechanism that did could not use this layout.
        if !iov[2].is_empty() {
            return Err(AuthError::Crypto(format!(
                "the session key's encryption type needs {} bytes of padding, which WinRM's layout cannot carry (use AES)",
                iov[2].len()
            )));
        }
        let header = iov[0].to_vec();
        drop(iov);
        Ok((header, data))
    }

    fn unseal(&mut self, signature: &[u8], sealed: &[u8]) -> Result<Vec<u8>, AuthError> {
        let mut ctx = self
            .ctx
            .lock()
            .map_err(|_| AuthError::Crypto("Kerberos context poisoned".into()))?;
        let mut header = signature.to_vec();
        let mut data = sealed.to_vec();
        let mut iov = [
            GssIov::new(GssIovType::Header, &mut header),
            GssIov::new(GssIovType::Data, &mut data),
        ];
        ctx.unwrap_iov(&mut iov)
            .map_err(|e| AuthError::Crypto(e.to_string()))?;
        let n = iov[1].len();
        drop(iov);
        data.truncate(n);
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_and_realm_from_the_inventory() {
        let a = CcacheAuth::new("svc", None, None).unwrap();
        assert_eq!(a.principal.as_deref(), Some("svc"));
        let a = CcacheAuth::new("CORP.TEST\\svc", None, None).unwrap();
        assert_eq!(a.principal.as_deref(), Some("svc@CORP.TEST"));
        let a = CcacheAuth::new("svc", Some("corp.test"), Some("web01".into())).unwrap();
        assert_eq!(
            (a.principal.as_deref(), a.realm.as_deref()),
            (Some("svc@corp.test"), Some("corp.test"))
        );
        let a = CcacheAuth::new("", None, None).unwrap();
        assert_eq!(a.principal, None, "no user: the cache's own principal");
        let e = CcacheAuth::new("svc@A.TEST", Some("B.TEST"), None).unwrap_err();
        assert!(e.to_string().contains("B.TEST"), "{e}");
        assert!(CcacheAuth::new("svc", None, Some("HTTP/x".into())).is_err());
    }
}
