//! NTLM via the `sspi` crate (Devolutions): the client side of the handshake and the
//! seal/unseal (RC4 + HMAC-MD5 signature) of WinRM message encryption. No crypto here.

use sspi::{
    AuthIdentity, AuthIdentityBuffers, BufferType, ClientRequestFlags, CredentialUse,
    DataRepresentation, EncryptionFlags, Ntlm, SecurityBuffer, SecurityBufferRef, SecurityStatus,
    Sspi, SspiImpl, Username,
};

use super::{AuthError, SecurityContext};
use crate::credentials::Credentials;

/// One NTLM security context (one TCP connection).
pub struct NtlmContext {
    ntlm: Ntlm,
    creds: Option<AuthIdentityBuffers>,
    target: String,
}

impl std::fmt::Debug for NtlmContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmContext").finish_non_exhaustive()
    }
}

fn err(e: impl std::fmt::Display) -> AuthError {
    AuthError::Ntlm(e.to_string())
}

const FLAGS: ClientRequestFlags = ClientRequestFlags::CONFIDENTIALITY
    .union(ClientRequestFlags::INTEGRITY)
    .union(ClientRequestFlags::ALLOCATE_MEMORY);

impl NtlmContext {
    pub fn new(creds: &Credentials, channel_bindings: Option<&[u8]>) -> Result<Self, AuthError> {
        let (domain, user) = creds.domain_and_user();
        let username =
            Username::new(user, domain).map_err(|e| AuthError::Username(e.to_string()))?;
        let identity = AuthIdentity {
            username,
            password: creds.password.expose().to_string().into(),
        };
        let mut ntlm = Ntlm::new();
        if let Some(cb) = channel_bindings {
            ntlm.set_channel_bindings(cb);
        }
        let acq = ntlm
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .map_err(err)?;
        Ok(NtlmContext {
            ntlm,
            creds: acq.credentials_handle,
            target: "HTTP/winrm".into(),
        })
    }

    fn init(&mut self, input: Option<&[u8]>) -> Result<(SecurityStatus, Vec<u8>), AuthError> {
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let mut input_bufs =
            input.map(|t| vec![SecurityBuffer::new(t.to_vec(), BufferType::Token)]);
        let mut builder = self
            .ntlm
            .initialize_security_context()
            .with_credentials_handle(&mut self.creds)
            .with_context_requirements(FLAGS)
            .with_target_data_representation(DataRepresentation::Native)
            .with_target_name(&self.target)
            .with_output(&mut output);
        if let Some(i) = input_bufs.as_mut() {
            builder = builder.with_input(i);
        }
        let result = self
            .ntlm
            .initialize_security_context_impl(&mut builder)
            .map_err(err)?
            .resolve_to_result()
            .map_err(err)?;
        if matches!(
            result.status,
            SecurityStatus::CompleteAndContinue | SecurityStatus::CompleteNeeded
        ) {
            self.ntlm.complete_auth_token(&mut output).map_err(err)?;
        }
        let token = output.pop().map(|b| b.buffer).unwrap_or_default();
        Ok((result.status, token))
    }
}

impl SecurityContext for NtlmContext {
    fn scheme(&self) -> &'static str {
        "Negotiate"
    }

    fn initial_token(&mut self) -> Result<Vec<u8>, AuthError> {
        let (_, token) = self.init(None)?;
        if token.is_empty() {
            return Err(AuthError::Ntlm("no NEGOTIATE message produced".into()));
        }
        Ok(token)
    }

    fn step(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        let (_, token) = self.init(Some(server_token))?;
        Ok(if token.is_empty() { None } else { Some(token) })
    }

    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), AuthError> {
        let mut token = vec![0u8; 16];
        let mut data = plain.to_vec();
        let mut bufs = [
            SecurityBufferRef::token_buf(token.as_mut_slice()),
            SecurityBufferRef::data_buf(data.as_mut_slice()),
        ];
        self.ntlm
            .encrypt_message(EncryptionFlags::empty(), &mut bufs)
            .map_err(|e| AuthError::Crypto(e.to_string()))?;
        let sig = bufs[0].data().to_vec();
        let sealed = bufs[1].data().to_vec();
        Ok((sig, sealed))
    }

    fn unseal(&mut self, signature: &[u8], sealed: &[u8]) -> Result<Vec<u8>, AuthError> {
        let mut token = signature.to_vec();
        let mut data = sealed.to_vec();
        let mut bufs = [
            SecurityBufferRef::token_buf(token.as_mut_slice()),
            SecurityBufferRef::data_buf(data.as_mut_slice()),
        ];
        self.ntlm
            .decrypt_message(&mut bufs)
            .map_err(|e| AuthError::Crypto(e.to_string()))?;
        Ok(bufs[1].data().to_vec())
    }
}
