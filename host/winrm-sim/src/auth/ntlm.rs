//! The server side of NTLM, from the `sspi` crate: accept the Negotiate/Authenticate
//! messages, verify the password, then seal and unseal WinRM messages with the session
//! keys. One acceptor belongs to exactly one TCP connection.

use sspi::{
    AuthIdentityBuffers, BufferType, DataRepresentation, EncryptionFlags, Ntlm, SecurityBuffer,
    SecurityBufferRef, SecurityStatus, ServerRequestFlags, Sspi, SspiImpl,
};

use super::Credentials;

/// Progress of the NTLM handshake on one connection.
#[derive(Debug)]
pub enum Step {
    /// Send this CHALLENGE back in a 401 and wait for the AUTHENTICATE message.
    Challenge(Vec<u8>),
    /// The client proved it knows the password; the context can seal and unseal.
    Established,
    /// Authentication failed (wrong password or user, or a malformed token).
    Failed(String),
}

/// An NTLM acceptor with its expected credentials.
pub struct NtlmAcceptor {
    ctx: Ntlm,
    creds: Credentials,
    handle: Option<AuthIdentityBuffers>,
    established: bool,
}

impl std::fmt::Debug for NtlmAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmAcceptor")
            .field("established", &self.established)
            .finish_non_exhaustive()
    }
}

/// Whether a token is a raw NTLMSSP message (the only kind WinRM clients send under
/// `Negotiate` besides Kerberos/SPNEGO, which this simulator does not offer).
pub fn is_ntlmssp(token: &[u8]) -> bool {
    token.starts_with(b"NTLMSSP\0")
}

/// The NTLM message type (1 negotiate, 2 challenge, 3 authenticate).
pub fn message_type(token: &[u8]) -> Option<u32> {
    if !is_ntlmssp(token) || token.len() < 12 {
        return None;
    }
    Some(u32::from_le_bytes([
        token[8], token[9], token[10], token[11],
    ]))
}

impl NtlmAcceptor {
    pub fn new(creds: &Credentials) -> NtlmAcceptor {
        NtlmAcceptor {
            ctx: Ntlm::new(),
            creds: creds.clone(),
            handle: Some(AuthIdentityBuffers::from_utf8(
                &creds.username,
                "",
                &creds.password,
            )),
            established: false,
        }
    }

    pub fn is_established(&self) -> bool {
        self.established
    }

    /// Feeds one client token (NEGOTIATE, then AUTHENTICATE).
    pub fn step(&mut self, token: &[u8]) -> Step {
        let mut input = vec![SecurityBuffer::new(token.to_vec(), BufferType::Token)];
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let builder = self
            .ctx
            .accept_security_context()
            .with_credentials_handle(&mut self.handle)
            .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
            .with_target_data_representation(DataRepresentation::Native)
            .with_input(&mut input)
            .with_output(&mut output);
        let result = match self.ctx.accept_security_context_impl(builder) {
            Ok(mut generator) => match generator.resolve_to_result() {
                Ok(r) => r,
                Err(e) => return Step::Failed(format!("{e:?}")),
            },
            Err(e) => return Step::Failed(e.to_string()),
        };
        match result.status {
            SecurityStatus::ContinueNeeded => {
                Step::Challenge(std::mem::take(&mut output[0].buffer))
            }
            SecurityStatus::CompleteNeeded
            | SecurityStatus::CompleteAndContinue
            | SecurityStatus::Ok => {
                if let Err(e) = self.ctx.complete_auth_token(&mut output) {
                    return Step::Failed(e.to_string());
                }
                // sspi accepts any user name with the right password; Windows does not.
                let user = match self.ctx.query_context_names() {
                    Ok(names) => names.username.account_name().to_string(),
                    Err(e) => return Step::Failed(e.to_string()),
                };
                if !self.creds.user_matches(&user) {
                    return Step::Failed(format!("unknown user {user:?}"));
                }
                self.established = true;
                Step::Established
            }
            other => Step::Failed(format!("unexpected NTLM status {other:?}")),
        }
    }

    /// Seals a plaintext message: returns (signature, sealed bytes).
    pub fn seal(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        let mut token = vec![0u8; 16];
        let mut data = plaintext.to_vec();
        {
            let mut bufs = [
                SecurityBufferRef::token_buf(token.as_mut_slice()),
                SecurityBufferRef::data_buf(data.as_mut_slice()),
            ];
            self.ctx
                .encrypt_message(EncryptionFlags::empty(), &mut bufs)
                .map_err(|e| e.to_string())?;
        }
        Ok((token, data))
    }

    /// Verifies and unseals a message sealed by the client on this connection.
    pub fn unseal(&mut self, signature: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
        let mut token = signature.to_vec();
        let mut data = sealed.to_vec();
        let mut bufs = [
            SecurityBufferRef::token_buf(token.as_mut_slice()),
            SecurityBufferRef::data_buf(data.as_mut_slice()),
        ];
        self.ctx
            .decrypt_message(&mut bufs)
            .map_err(|e| e.to_string())?;
        Ok(bufs[1].data().to_vec())
    }
}
