//! The WinRS client: shells, commands, the Receive loop, retries, and cleanup.
//!
//! Cleanup design (leaked shells exhaust a host's quota): async drop does not exist, so
//! there are two paths.
//! 1. Explicit: [`Client::with_shell`] closes the shell after the body returns, whether
//!    it succeeded or failed; commands are signalled to terminate after they finish or
//!    fail. This is the path every normal run takes.
//! 2. Cancellation: when a future holding a [`Shell`] is dropped (Ctrl-C, a timeout,
//!    `select!`), the shell's guard spawns a Delete on the runtime and registers it with
//!    the client. The caller then awaits [`Client::finish_cleanup`] before exiting, so
//!    the Deletes actually reach the host. The server-side `IdleTimeOut` sent at Create
//!    is the last resort if the process dies outright.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::scripts::{self, PsInvocation};
use crate::soap::{self, CommandState, RequestContext, ShellOptions};
use crate::transport::{Reply, Transport};

/// Bounded retries with exponential backoff, for transient failures only.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_backoff);
        // Jitter (up to +50%) so a fleet does not retry in lockstep.
        let jitter = uuid::Uuid::new_v4().as_u128() as u64 % (base.as_millis() as u64 / 2 + 1);
        base + Duration::from_millis(jitter)
    }
}

/// Client behaviour.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `w:OperationTimeout`: how long one Receive long-polls.
    pub operation_timeout: Duration,
    /// `w:MaxEnvelopeSize` in bytes.
    pub max_envelope_size: u32,
    pub retry: RetryPolicy,
    pub shell: ShellOptions,
    /// Largest stdout+stderr collected in memory for one command.
    pub max_output_bytes: usize,
    /// Bytes of the file per read command when pulling files (read-chunk or read-gzip).
    pub chunk_size: u64,
    /// Pull files gzip-compressed by the host (`read-gzip`), falling back to plain
    /// `read-chunk` when the host reports it cannot compress. On by default.
    pub compress_pulls: bool,
    /// Largest ratio of decompressed to compressed bytes accepted from one read-gzip
    /// stream (a gzip bomb guard; deflate itself cannot exceed about 1032:1).
    pub max_expansion_ratio: u64,
    /// Largest file a pull accepts, whatever size the host reports for it.
    pub max_pull_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            operation_timeout: Duration::from_secs(20),
            max_envelope_size: 153_600,
            retry: RetryPolicy::default(),
            shell: ShellOptions::default(),
            max_output_bytes: 64 * 1024 * 1024,
            chunk_size: 4 * 1024 * 1024,
            compress_pulls: true,
            max_expansion_ratio: 1000,
            max_pull_bytes: 16 * 1024 * 1024 * 1024,
        }
    }
}

/// Whether a request may be repeated if the connection fails after it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Repeating is harmless (Create, Receive of a read-only op, Signal, Delete).
    Safe,
    /// Only retried when it certainly never left this machine (starting a tool).
    OnlyIfUnsent,
}

struct Inner {
    host: String,
    transport: Transport,
    ctx: RequestContext,
    config: ClientConfig,
    pending: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The host answered read-gzip with "cannot compress": later pulls go plain at once.
    no_compression: AtomicBool,
}

/// A client for one host. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.inner.host)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

/// Collected result of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    /// stderr with `#< CLIXML` decoded into readable text.
    pub stderr: String,
}

impl CommandOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Receives each output chunk as it arrives; an error stops the command.
pub type OutputSink<'a> = dyn FnMut(StreamKind, &[u8]) -> Result<(), ErrorKind> + Send + 'a;

/// Output stream a chunk belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdout,
    Stderr,
}

impl Client {
    /// `host` is the name used in every error message.
    pub fn new(host: impl Into<String>, transport: Transport, config: ClientConfig) -> Self {
        let mut ctx = RequestContext::new(transport.endpoint().url());
        ctx.operation_timeout = config.operation_timeout;
        ctx.max_envelope_size = config.max_envelope_size;
        Client {
            inner: Arc::new(Inner {
                host: host.into(),
                transport,
                ctx,
                config,
                pending: Mutex::new(Vec::new()),
                no_compression: AtomicBool::new(false),
            }),
        }
    }

    pub fn host(&self) -> &str {
        &self.inner.host
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// Whether this host has reported that it cannot compress (see `compress_pulls`).
    pub fn compression_unavailable(&self) -> bool {
        self.inner.no_compression.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_compression_unavailable(&self) {
        self.inner.no_compression.store(true, Ordering::Relaxed);
    }

    pub(crate) fn err(&self, kind: impl Into<ErrorKind>) -> Error {
        Error {
            host: self.inner.host.clone(),
            kind: kind.into(),
        }
    }

    /// One request/response with retries; a fault reply becomes an error (busy faults are
    /// retried like transient transport failures).
    pub(crate) async fn call(&self, soap: &str, replay: Replay) -> Result<Vec<u8>, Error> {
        let policy = &self.inner.config.retry;
        let mut attempt = 0;
        loop {
            let result = match self.inner.transport.exchange(soap).await {
                Ok(Reply { status: 200, body }) => Ok(body),
                Ok(Reply { body, .. }) => Err(match soap::parse_fault(&body) {
                    Ok(Some(f)) => ErrorKind::Fault(Box::new(f)),
                    Ok(None) => {
                        ErrorKind::Protocol(soap::SoapError::Missing("a fault in HTTP 500"))
                    }
                    Err(e) => ErrorKind::from_soap(e),
                }),
                Err(e) => Err(ErrorKind::Transport(e)),
            };
            let kind = match result {
                Ok(body) => return Ok(body),
                Err(k) => k,
            };
            let retryable = match &kind {
                // An HTTP 5xx is the server saying it did not do it: safe to repeat.
                ErrorKind::Transport(t) => {
                    t.is_transient()
                        && (replay == Replay::Safe || t.before_send() || t.http_status().is_some())
                }
                ErrorKind::Fault(f) => f.is_busy(),
                _ => false,
            };
            // The operation-timeout fault is an answer, not a failure: the caller handles it.
            if !retryable || attempt >= policy.retries {
                return Err(self.err(kind));
            }
            tokio::time::sleep(policy.delay(attempt)).await;
            attempt += 1;
        }
    }

    /// Creates a shell. Prefer [`Client::with_shell`], which always deletes it.
    pub async fn open_shell(&self) -> Result<Shell, Error> {
        let req = soap::create_shell(&self.inner.ctx, &self.inner.config.shell);
        let body = self.call(&req, Replay::Safe).await?;
        let id = soap::parse_shell_id(&body).map_err(|e| self.err(ErrorKind::from_soap(e)))?;
        Ok(Shell {
            client: self.clone(),
            id,
            open: true,
            single_command: false,
        })
    }

    /// Runs `body` with a fresh shell and deletes the shell afterwards, on success and on
    /// error alike. If this future is dropped, the shell's guard schedules the Delete (see
    /// [`Client::finish_cleanup`]).
    pub async fn with_shell<T, F>(&self, body: F) -> Result<T, Error>
    where
        F: AsyncFnOnce(&Shell) -> Result<T, Error>,
    {
        self.with_shell_inner(false, body).await
    }

    /// [`Client::with_shell`] for a body that runs exactly one command.
    pub(crate) async fn with_single_command_shell<T, F>(&self, body: F) -> Result<T, Error>
    where
        F: AsyncFnOnce(&Shell) -> Result<T, Error>,
    {
        self.with_shell_inner(true, body).await
    }

    async fn with_shell_inner<T, F>(&self, single_command: bool, body: F) -> Result<T, Error>
    where
        F: AsyncFnOnce(&Shell) -> Result<T, Error>,
    {
        let mut shell = self.open_shell().await?;
        shell.single_command = single_command;
        let result = body(&shell).await;
        let closed = shell.close_inner().await;
        match (result, closed) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(e)) => Err(e),
            (Err(e), _) => Err(e),
        }
    }

    /// Waits (up to `timeout`) for Deletes scheduled by dropped shells. Returns how many
    /// were still pending when the wait ended.
    pub async fn finish_cleanup(&self, timeout: Duration) -> usize {
        let handles: Vec<_> = match self.inner.pending.lock() {
            Ok(mut p) => p.drain(..).collect(),
            Err(poisoned) => poisoned.into_inner().drain(..).collect(),
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut left = 0;
        for h in handles {
            if tokio::time::timeout_at(deadline, h).await.is_err() {
                left += 1;
            }
        }
        left
    }

    fn schedule_delete(&self, shell_id: String) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.clone();
        let handle = rt.spawn(async move {
            let req = soap::delete_shell(&client.inner.ctx, &shell_id);
            let _ = client.call(&req, Replay::Safe).await;
        });
        match self.inner.pending.lock() {
            Ok(mut p) => p.push(handle),
            Err(poisoned) => poisoned.into_inner().push(handle),
        }
    }

    /// Runs a PowerShell script in a fresh shell (see `Shell::run_powershell`).
    pub async fn run_powershell(&self, script: &str) -> Result<CommandOutput, Error> {
        self.with_single_command_shell(async |shell: &Shell| {
            shell.run_powershell(script, Replay::OnlyIfUnsent).await
        })
        .await
    }

    /// Runs a command in a fresh shell.
    pub async fn run_command(
        &self,
        command: &str,
        args: &[String],
    ) -> Result<CommandOutput, Error> {
        self.with_single_command_shell(async |shell: &Shell| {
            shell.run(command, args, None, Replay::OnlyIfUnsent).await
        })
        .await
    }
}

/// An open remote shell. Dropping it without [`Shell::close`] schedules its deletion.
#[derive(Debug)]
pub struct Shell {
    client: Client,
    id: String,
    open: bool,
    /// The shell runs exactly one command and is deleted right after it: deleting a shell
    /// terminates its commands, so the Signal round trip is skipped on success.
    single_command: bool,
}

impl Drop for Shell {
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            self.client.schedule_delete(std::mem::take(&mut self.id));
        }
    }
}

impl Shell {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Deletes the shell now.
    pub async fn close(mut self) -> Result<(), Error> {
        self.close_inner().await
    }

    async fn close_inner(&mut self) -> Result<(), Error> {
        if !self.open {
            return Ok(());
        }
        let req = soap::delete_shell(&self.client.inner.ctx, &self.id);
        let result = self.client.call(&req, Replay::Safe).await;
        // Whether or not the Delete got through, do not schedule another one from Drop
        // unless it failed transiently (then the guard's retry is worth it).
        match result {
            Ok(_) => {
                self.open = false;
                Ok(())
            }
            Err(e) => {
                if !e.is_transient() {
                    self.open = false;
                }
                Err(e)
            }
        }
    }

    /// Runs a command, collecting stdout/stderr (bounded by `max_output_bytes`).
    pub(crate) async fn run(
        &self,
        command: &str,
        args: &[String],
        stdin: Option<&[u8]>,
        replay: Replay,
    ) -> Result<CommandOutput, Error> {
        let limit = self.client.inner.config.max_output_bytes;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let exit_code = self
            .run_streaming(command, args, stdin, replay, &mut |kind, data| {
                if stdout.len() + stderr.len() + data.len() > limit {
                    return Err(ErrorKind::OutputTooLarge(limit));
                }
                match kind {
                    StreamKind::Stdout => stdout.extend_from_slice(data),
                    StreamKind::Stderr => stderr.extend_from_slice(data),
                }
                Ok(())
            })
            .await?;
        let stderr = scripts::decode_clixml(&String::from_utf8_lossy(&stderr));
        Ok(CommandOutput {
            exit_code,
            stdout,
            stderr,
        })
    }

    /// Runs a command and hands each output chunk to `sink` as it arrives (memory stays
    /// bounded by the envelope size). Returns the exit code. The command is always
    /// signalled to terminate afterwards, which releases its slot on the host.
    pub async fn run_streaming(
        &self,
        command: &str,
        args: &[String],
        stdin: Option<&[u8]>,
        replay: Replay,
        sink: &mut OutputSink<'_>,
    ) -> Result<i32, Error> {
        self.run_streaming_with(command, args, stdin, replay, Replay::Safe, sink)
            .await
    }

    /// `receive_replay` governs Receives: a Receive repeated after a connection failure
    /// may have lost output the server already sent, so callers that can restart the
    /// whole command instead (file pulls) pass [`Replay::OnlyIfUnsent`].
    pub(crate) async fn run_streaming_with(
        &self,
        command: &str,
        args: &[String],
        stdin: Option<&[u8]>,
        replay: Replay,
        receive_replay: Replay,
        sink: &mut OutputSink<'_>,
    ) -> Result<i32, Error> {
        let c = &self.client;
        let ctx = &c.inner.ctx;
        let req = soap::command(ctx, &self.id, command, args);
        let body = c.call(&req, replay).await?;
        let cmd_id = soap::parse_command_id(&body).map_err(|e| c.err(ErrorKind::from_soap(e)))?;
        let result = self
            .drive(&cmd_id, stdin, replay, receive_replay, sink)
            .await;
        if self.single_command && result.is_ok() {
            return result;
        }
        // Explicit cleanup path: terminate the command whatever happened. A failure to
        // signal is reported only if the command itself succeeded.
        let signal = soap::signal_terminate(ctx, &self.id, &cmd_id);
        let signalled = c.call(&signal, Replay::Safe).await;
        match (result, signalled) {
            (Ok(code), Ok(_)) => Ok(code),
            (Ok(_), Err(e)) => Err(e),
            (Err(e), _) => Err(e),
        }
    }

    async fn drive(
        &self,
        cmd_id: &str,
        stdin: Option<&[u8]>,
        replay: Replay,
        receive_replay: Replay,
        sink: &mut OutputSink<'_>,
    ) -> Result<i32, Error> {
        let c = &self.client;
        let ctx = &c.inner.ctx;
        if let Some(input) = stdin {
            // Keep each Send well under the server's MaxEnvelopeSizekb (150 KB on old
            // hosts): ~100 KB of input becomes ~133 KB of base64.
            const CHUNK: usize = 100_000;
            let mut chunks = input.chunks(CHUNK).peekable();
            if chunks.peek().is_none() {
                let req = soap::send_input(ctx, &self.id, cmd_id, b"", true);
                c.call(&req, replay).await?;
            }
            while let Some(chunk) = chunks.next() {
                let last = chunks.peek().is_none();
                let req = soap::send_input(ctx, &self.id, cmd_id, chunk, last);
                c.call(&req, replay).await?;
            }
        }
        let receive = soap::receive(ctx, &self.id, cmd_id);
        loop {
            let body = match c.call(&receive, receive_replay).await {
                Ok(b) => b,
                Err(e) if e.fault().is_some_and(|f| f.is_operation_timeout()) => continue,
                Err(e) => return Err(e),
            };
            let out =
                soap::parse_receive(&body, cmd_id).map_err(|e| c.err(ErrorKind::from_soap(e)))?;
            if !out.stdout.is_empty() {
                sink(StreamKind::Stdout, &out.stdout).map_err(|k| c.err(k))?;
            }
            if !out.stderr.is_empty() {
                sink(StreamKind::Stderr, &out.stderr).map_err(|k| c.err(k))?;
            }
            if let CommandState::Done { exit_code } = out.state {
                return Ok(exit_code);
            }
        }
    }

    /// Runs a PowerShell script: `-EncodedCommand` when it fits the command line, else the
    /// stdin bootstrap. Returns the script's own exit code; stderr is CLIXML-decoded.
    pub(crate) async fn run_powershell(
        &self,
        script: &str,
        replay: Replay,
    ) -> Result<CommandOutput, Error> {
        let (cmd, args, how) = scripts::powershell_command_line(script);
        match how {
            PsInvocation::Encoded { .. } => self.run(&cmd, &args, None, replay).await,
            PsInvocation::ViaStdin { script } => {
                let input = scripts::encode_stdin_script(&script);
                self.run(&cmd, &args, Some(&input), replay).await
            }
        }
    }

    /// Public form of `Shell::run_powershell` for callers composing several scripts in
    /// one shell. `replay_safe` says whether the script may run twice harmlessly.
    pub async fn powershell(
        &self,
        script: &str,
        replay_safe: bool,
    ) -> Result<CommandOutput, Error> {
        let replay = if replay_safe {
            Replay::Safe
        } else {
            Replay::OnlyIfUnsent
        };
        self.run_powershell(script, replay).await
    }

    /// Public form of `Shell::run`.
    pub async fn command(
        &self,
        command: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<CommandOutput, Error> {
        self.run(command, args, stdin, Replay::OnlyIfUnsent).await
    }
}
