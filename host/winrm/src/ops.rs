//! The operations stigpack performs on a host, built on the scripts contract: status,
//! run a tool, list a tree, hash a file, and verified file/tree pulls.
//!
//! A pull streams each read command's base64 output straight into a temporary file next to
//! the destination while hashing it (memory bounded by the envelope size), then compares
//! size and SHA-256 with the host's `Get-FileHash` before renaming into place. A short
//! read, a mismatch or any error leaves nothing behind.
//!
//! By default each range is read gzip-compressed by the host (`read-gzip`; checklists
//! shrink 10-20x, and the pull is bound by the number of WinRM envelopes) and inflated
//! here as Receives arrive, under three caps: no more bytes than the range asked for (its
//! size is known from the host's hash report before the pull), the file no larger than
//! `max_pull_bytes`, and no more than `max_expansion_ratio` decompressed bytes per
//! compressed byte. A host that cannot compress says so with its own exit code and the
//! pull continues with plain `read-chunk`. In a tree, files that fit one chunk together
//! travel in one `read-gzip-files` command (a command and its Signal per file would
//! otherwise be most of a compressed checklist's messages).

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::client::{Client, CommandOutput, Replay, Shell, StreamKind};
use crate::error::{Error, ErrorKind, PullCap};
use crate::scripts::{
    self, FileHashReport, FileRange, Op, PsInvocation, StatusReport, TreeEntry, EXIT_NOT_FOUND,
    EXIT_NO_COMPRESSION,
};

/// A file pulled and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledFile {
    /// Path relative to the pulled tree (`/`-separated), or the file name.
    pub relative: String,
    pub local: PathBuf,
    pub size: u64,
    /// Lower-case hex SHA-256 (verified equal to the host's).
    pub sha256: String,
    /// How the bytes travelled, so a caller can report hosts that fell back to plain (an
    /// empty file needs no read and reports the mode the client would have used).
    pub transfer: Transfer,
    /// Payload bytes the host sent for this file after base64 decoding (the gzip streams'
    /// size when compressed, the file's size when plain; failed attempts not counted).
    pub wire_bytes: u64,
}

/// How a pulled file's bytes travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// gzip-compressed by the host (`read-gzip`).
    Gzip,
    /// Plain `read-chunk`: `ClientConfig::compress_pulls` is off.
    Plain,
    /// Plain `read-chunk` because the host reported it cannot compress
    /// ([`EXIT_NO_COMPRESSION`]), now or earlier in this client's life.
    Fallback,
}

/// Most files in one read-gzip-files command (the command line bounds it anyway).
const MAX_BATCH: usize = 64;

/// A file to pull: where it is, where it goes, what it must hash to.
struct BatchItem {
    remote: String,
    local: PathBuf,
    relative: String,
    expected: FileHashReport,
}

fn batch_op(items: &[BatchItem]) -> Op {
    Op::ReadGzipFiles {
        files: items
            .iter()
            .map(|it| FileRange {
                path: it.remote.clone(),
                len: it.expected.size,
            })
            .collect(),
    }
}

/// Result of one read-gzip command.
enum GzipRead {
    /// (decompressed bytes written, compressed bytes received)
    Done(u64, u64),
    /// The host cannot compress: read this range plainly instead.
    Unsupported,
}

fn op_name(op: &Op) -> String {
    serde_json::to_value(op)
        .ok()
        .and_then(|v| v.get("op").and_then(|s| s.as_str()).map(str::to_string))
        .unwrap_or_else(|| "script".into())
}

/// Runs an operation's script and checks its exit code against the contract.
async fn run_op(shell: &Shell, op: &Op, replay: Replay) -> Result<CommandOutput, Error> {
    let out = shell
        .run_powershell(&scripts::script_for(op), replay)
        .await?;
    check_exit(shell.client(), op, out)
}

fn check_exit(client: &Client, op: &Op, out: CommandOutput) -> Result<CommandOutput, Error> {
    match out.exit_code {
        0 => Ok(out),
        EXIT_NOT_FOUND => {
            let path = match op {
                Op::ListTree { path }
                | Op::FileHash { path }
                | Op::ReadChunk { path, .. }
                | Op::ReadGzip { path, .. } => path.clone(),
                _ => out.stderr.trim().to_string(),
            };
            Err(client.err(ErrorKind::NotFound(path)))
        }
        code => Err(client.err(ErrorKind::Script {
            op: op_name(op),
            exit_code: code,
            stderr: out.stderr.trim().to_string(),
        })),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(
    client: &Client,
    op: &Op,
    text: &str,
) -> Result<T, Error> {
    serde_json::from_str(text.trim()).map_err(|e| {
        client.err(ErrorKind::BadOutput {
            op: op_name(op),
            detail: e.to_string(),
        })
    })
}

impl Shell {
    /// Host status.
    pub async fn status(&self) -> Result<StatusReport, Error> {
        let op = Op::Status;
        let out = run_op(self, &op, Replay::Safe).await?;
        parse_json(self.client(), &op, &out.stdout_text())
    }

    /// Runs a tool; its exit code is returned as is (never mapped to success).
    pub async fn run_tool(
        &self,
        path: &str,
        args: &[String],
        cwd: Option<&str>,
    ) -> Result<CommandOutput, Error> {
        let op = Op::RunTool {
            path: path.into(),
            args: args.to_vec(),
            cwd: cwd.map(str::to_string),
        };
        self.run_powershell(&scripts::script_for(&op), Replay::OnlyIfUnsent)
            .await
    }

    /// Every file under `path`, sorted by relative path (byte order), each path checked
    /// to be a safe relative path.
    pub async fn list_tree(&self, path: &str) -> Result<Vec<TreeEntry>, Error> {
        let op = Op::ListTree { path: path.into() };
        let out = run_op(self, &op, Replay::Safe).await?;
        let mut entries = Vec::new();
        for line in out.stdout_text().lines().filter(|l| !l.trim().is_empty()) {
            let e: TreeEntry = parse_json(self.client(), &op, line)?;
            safe_relative(&e.path).map_err(|k| self.client().err(k))?;
            entries.push(e);
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// Size and SHA-256 of a remote file.
    pub async fn file_hash(&self, path: &str) -> Result<FileHashReport, Error> {
        let op = Op::FileHash { path: path.into() };
        let out = run_op(self, &op, Replay::Safe).await?;
        parse_json(self.client(), &op, &out.stdout_text())
    }

    /// Pulls one remote file to `local` (a file path), verified against the host's hash.
    pub async fn pull_file(&self, remote: &str, local: &Path) -> Result<PulledFile, Error> {
        let expected = self.file_hash(remote).await?;
        let name = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.pull_verified(remote, local, &expected, name).await
    }

    /// Pulls a whole remote directory into `local_dir`, each file verified. Files are
    /// pulled in sorted order; the first failure stops the pull (files already renamed
    /// into place were verified and stay).
    pub async fn pull_tree(
        &self,
        remote_dir: &str,
        local_dir: &Path,
    ) -> Result<Vec<PulledFile>, Error> {
        let entries = self.list_tree(remote_dir).await?;
        self.pull_entries(remote_dir, entries, local_dir).await
    }

    /// The pulling half of [`Shell::pull_tree`], for entries already listed (and perhaps
    /// filtered) by [`Shell::list_tree`]; each file is verified against its entry's hash.
    pub async fn pull_entries(
        &self,
        remote_dir: &str,
        entries: Vec<TreeEntry>,
        local_dir: &Path,
    ) -> Result<Vec<PulledFile>, Error> {
        let sep = if remote_dir.contains('/') && !remote_dir.contains('\\') {
            '/'
        } else {
            '\\'
        };
        let base = remote_dir.trim_end_matches(['\\', '/']);
        let mut items = Vec::with_capacity(entries.len());
        for e in entries {
            let rel = safe_relative(&e.path).map_err(|k| self.client().err(k))?;
            let remote = format!("{base}{sep}{}", e.path.replace('/', &sep.to_string()));
            let local = local_dir.join(&rel);
            if let Some(parent) = local.parent() {
                std::fs::create_dir_all(parent).map_err(|source| {
                    self.client().err(ErrorKind::Local {
                        path: parent.to_path_buf(),
                        source,
                    })
                })?;
            }
            items.push(BatchItem {
                remote,
                local,
                relative: e.path,
                expected: FileHashReport {
                    size: e.size,
                    sha256: e.sha256,
                },
            });
        }
        let mut pulled = Vec::with_capacity(items.len());
        let mut rest = &items[..];
        while !rest.is_empty() {
            let n = self.batch_len(rest);
            let (group, tail) = rest.split_at(n);
            rest = tail;
            if n > 1 {
                if let Some(files) = self.pull_gzip_batch(group).await? {
                    pulled.extend(files);
                    continue;
                }
            }
            for it in group {
                pulled.push(
                    self.pull_verified(&it.remote, &it.local, &it.expected, it.relative.clone())
                        .await?,
                );
            }
        }
        Ok(pulled)
    }

    /// How many of the next files go in one read-gzip-files command: small files while
    /// their total stays within `chunk_size` and the script fits the command line; 1 when
    /// compression is off or unavailable.
    fn batch_len(&self, items: &[BatchItem]) -> usize {
        let config = self.client().config();
        if !config.compress_pulls || self.client().compression_unavailable() {
            return 1;
        }
        let mut total = 0u64;
        let mut n = 0;
        for it in items.iter().take(MAX_BATCH) {
            let size = it.expected.size;
            if size > config.max_pull_bytes || total + size > config.chunk_size {
                break;
            }
            let op = batch_op(&items[..=n]);
            let (_, _, how) = scripts::powershell_command_line(&scripts::script_for(&op));
            if n > 0 && !matches!(how, PsInvocation::Encoded { .. }) {
                break;
            }
            total += size;
            n += 1;
        }
        n.max(1)
    }

    /// Pulls small files with one read-gzip-files command, each verified; `None` when the
    /// host cannot compress or the command failed transiently (the caller then pulls them
    /// one by one, each with its own retries: a long batch is not retried as a whole on a
    /// flaky link).
    async fn pull_gzip_batch(&self, items: &[BatchItem]) -> Result<Option<Vec<PulledFile>>, Error> {
        match self.read_gzip_files(items).await {
            Err(e) if e.is_transient() => Ok(None),
            other => other,
        }
    }

    async fn read_gzip_files(&self, items: &[BatchItem]) -> Result<Option<Vec<PulledFile>>, Error> {
        let client = self.client();
        let local_err = |path: &Path, source: std::io::Error| {
            client.err(ErrorKind::Local {
                path: path.to_path_buf(),
                source,
            })
        };
        let mut tmps = Vec::with_capacity(items.len());
        for it in items {
            let dir = match it.local.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            tmps.push(
                tempfile::Builder::new()
                    .prefix(".stigpack-pull-")
                    .tempfile_in(&dir)
                    .map_err(|e| local_err(&dir, e))?,
            );
        }
        let max_ratio = client.config().max_expansion_ratio;
        let decoder = |i: usize| -> Result<flate2::write::GzDecoder<InflateSink>, ErrorKind> {
            let file = tmps[i]
                .as_file()
                .try_clone()
                .map_err(|source| ErrorKind::Local {
                    path: tmps[i].path().to_path_buf(),
                    source,
                })?;
            Ok(flate2::write::GzDecoder::new(InflateSink {
                file,
                hasher: Sha256::new(),
                expected: items[i].expected.size,
                max_ratio,
                compressed: 0,
                written: 0,
                refused: None,
            }))
        };
        let corrupt = |i: usize, detail: String| ErrorKind::CorruptCompressed {
            remote: items[i.min(items.len() - 1)].remote.clone(),
            detail,
        };
        // (hash, inflated bytes, compressed bytes) of each finished stream, in order.
        let mut done: Vec<(Sha256, u64, u64)> = Vec::with_capacity(items.len());
        let mut cur = Some(decoder(0).map_err(|k| client.err(k))?);
        let mut b64 = Base64Stream::default();
        let finish_member = |gz: &mut flate2::write::GzDecoder<InflateSink>,
                             b64: Base64Stream,
                             i: usize|
         -> Result<(Sha256, u64, u64), ErrorKind> {
            let tail = b64.finish().map_err(|d| corrupt(i, d))?;
            inflate(gz, &tail).map_err(|e| e.into_kind(&items[i].remote))?;
            let finished = gz.try_finish();
            let sink = gz.get_mut();
            let (w, c, x) = (sink.written, sink.compressed, sink.expected);
            match finished {
                Ok(()) => Ok((std::mem::take(&mut sink.hasher), w, c)),
                Err(e) => Err(InflateError::classify(sink.refused.take(), e, w, x)
                    .into_kind(&items[i].remote)),
            }
        };
        let op = batch_op(items);
        let (cmd, args, _) = scripts::powershell_command_line(&scripts::script_for(&op));
        let mut stderr = Vec::new();
        let exit = self
            .run_streaming_with(
                &cmd,
                &args,
                None,
                Replay::Safe,
                Replay::OnlyIfUnsent,
                &mut |kind, data| match kind {
                    StreamKind::Stdout => {
                        let mut rest = data;
                        while !rest.is_empty() {
                            let (seg, newline) = match rest.iter().position(|b| *b == b'\n') {
                                Some(p) => (&rest[..p], true),
                                None => (rest, false),
                            };
                            rest = &rest[seg.len() + usize::from(newline)..];
                            let i = done.len();
                            let Some(gz) = cur.as_mut() else {
                                if seg.iter().all(u8::is_ascii_whitespace) {
                                    continue;
                                }
                                return Err(corrupt(
                                    i,
                                    "output after the last file's stream".into(),
                                ));
                            };
                            let bytes = b64.push(seg).map_err(|d| corrupt(i, d))?;
                            inflate(gz, &bytes).map_err(|e| e.into_kind(&items[i].remote))?;
                            if newline {
                                done.push(finish_member(gz, std::mem::take(&mut b64), i)?);
                                cur = if done.len() < items.len() {
                                    Some(decoder(done.len())?)
                                } else {
                                    None
                                };
                            }
                        }
                        Ok(())
                    }
                    StreamKind::Stderr => {
                        if stderr.len() < 64 * 1024 {
                            stderr.extend_from_slice(data);
                        }
                        Ok(())
                    }
                },
            )
            .await?;
        if exit == EXIT_NO_COMPRESSION {
            client.mark_compression_unavailable();
            return Ok(None);
        }
        let out = CommandOutput {
            exit_code: exit,
            stdout: Vec::new(),
            stderr: scripts::decode_clixml(&String::from_utf8_lossy(&stderr)),
        };
        check_exit(client, &op, out)?;
        if done.len() < items.len() {
            // The last stream without its line feed is still whole if it inflates.
            if let (Some(gz), true) = (cur.as_mut(), done.len() + 1 == items.len()) {
                let i = done.len();
                done.push(
                    finish_member(gz, std::mem::take(&mut b64), i).map_err(|k| client.err(k))?,
                );
            } else {
                return Err(client.err(corrupt(
                    done.len(),
                    "the output ended before this file's stream".into(),
                )));
            }
        }
        drop(cur);
        let mut pulled = Vec::with_capacity(items.len());
        for ((it, mut tmp), (hasher, written, compressed)) in items.iter().zip(tmps).zip(done) {
            if written != it.expected.size {
                return Err(client.err(ErrorKind::ShortRead {
                    remote: it.remote.clone(),
                    got: written,
                    expected: it.expected.size,
                }));
            }
            let actual = hex::encode(hasher.finalize());
            if !actual.eq_ignore_ascii_case(&it.expected.sha256) {
                return Err(client.err(ErrorKind::HashMismatch {
                    remote: it.remote.clone(),
                    expected: it.expected.sha256.to_ascii_lowercase(),
                    actual,
                }));
            }
            tmp.as_file_mut()
                .sync_all()
                .map_err(|e| local_err(tmp.path(), e))?;
            tmp.persist(&it.local)
                .map_err(|e| local_err(&it.local, e.error))?;
            pulled.push(PulledFile {
                relative: it.relative.clone(),
                local: it.local.clone(),
                size: written,
                sha256: actual,
                transfer: Transfer::Gzip,
                wire_bytes: compressed,
            });
        }
        Ok(Some(pulled))
    }

    async fn pull_verified(
        &self,
        remote: &str,
        local: &Path,
        expected: &FileHashReport,
        relative: String,
    ) -> Result<PulledFile, Error> {
        let client = self.client();
        let config = client.config();
        // Before anything is created or read: a host-reported size is not a reason to
        // write without bound.
        if expected.size > config.max_pull_bytes {
            return Err(client.err(ErrorKind::PullRefused {
                remote: remote.into(),
                cap: PullCap::MaxBytes {
                    size: expected.size,
                    cap: config.max_pull_bytes,
                },
            }));
        }
        let local_err = |path: &Path, source: std::io::Error| {
            client.err(ErrorKind::Local {
                path: path.to_path_buf(),
                source,
            })
        };
        let dir = match local.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".stigpack-pull-")
            .tempfile_in(&dir)
            .map_err(|e| local_err(&dir, e))?;
        let chunk = config.chunk_size.max(3);
        // Multiple of 3 so each chunk's base64 has no padding in the middle of the file.
        let chunk = chunk - chunk % 3;
        let mut transfer = match (config.compress_pulls, client.compression_unavailable()) {
            (false, _) => Transfer::Plain,
            (true, false) => Transfer::Gzip,
            (true, true) => Transfer::Fallback,
        };
        let mut hasher = Sha256::new();
        let mut offset = 0u64;
        let mut wire_bytes = 0u64;
        let retries = config.retry.retries;
        while offset < expected.size {
            let len = chunk.min(expected.size - offset);
            let mut attempt = 0;
            let got = loop {
                // Each attempt restarts the chunk (for read-gzip: a fresh gzip stream): roll
                // the file and hasher back to the chunk start so a failure mid-output cannot
                // leave a gap or a duplicate.
                let mut h = hasher.clone();
                tmp.as_file_mut()
                    .set_len(offset)
                    .map_err(|e| local_err(tmp.path(), e))?;
                let res = if transfer == Transfer::Gzip {
                    match self
                        .read_gzip_into(remote, offset, len, tmp.as_file_mut(), &mut h)
                        .await
                    {
                        Ok(GzipRead::Done(n, wire)) => Ok((n, wire)),
                        Ok(GzipRead::Unsupported) => {
                            client.mark_compression_unavailable();
                            transfer = Transfer::Fallback;
                            continue;
                        }
                        Err(e) => Err(e),
                    }
                } else {
                    self.read_chunk_into(remote, offset, len, tmp.as_file_mut(), &mut h)
                        .await
                        .map(|n| (n, n))
                };
                match res {
                    Ok((n, wire)) => {
                        hasher = h;
                        wire_bytes += wire;
                        break n;
                    }
                    Err(e) if e.is_transient() && attempt < retries => {
                        attempt += 1;
                        tokio::time::sleep(config.retry.initial_backoff * attempt).await;
                    }
                    Err(e) => return Err(e),
                }
            };
            offset += got;
            if got < len {
                break;
            }
        }
        if offset != expected.size {
            return Err(client.err(ErrorKind::ShortRead {
                remote: remote.into(),
                got: offset,
                expected: expected.size,
            }));
        }
        let actual = hex::encode(hasher.finalize());
        if !actual.eq_ignore_ascii_case(&expected.sha256) {
            return Err(client.err(ErrorKind::HashMismatch {
                remote: remote.into(),
                expected: expected.sha256.to_ascii_lowercase(),
                actual,
            }));
        }
        tmp.as_file_mut()
            .sync_all()
            .map_err(|e| local_err(tmp.path(), e))?;
        tmp.persist(local).map_err(|e| local_err(local, e.error))?;
        Ok(PulledFile {
            relative,
            local: local.to_path_buf(),
            size: offset,
            sha256: actual,
            transfer,
            wire_bytes,
        })
    }

    /// One read-gzip command, streamed: base64 is decoded and inflated as Receives arrive,
    /// and the inflated bytes are capped, hashed and written at the file's end.
    async fn read_gzip_into(
        &self,
        remote: &str,
        offset: u64,
        len: u64,
        file: &mut std::fs::File,
        hasher: &mut Sha256,
    ) -> Result<GzipRead, Error> {
        use std::io::Seek as _;
        let client = self.client();
        let op = Op::ReadGzip {
            path: remote.into(),
            offset,
            len,
        };
        file.seek(std::io::SeekFrom::Start(offset)).map_err(|e| {
            client.err(ErrorKind::Local {
                path: PathBuf::from(remote),
                source: e,
            })
        })?;
        let (cmd, args, _) = scripts::powershell_command_line(&scripts::script_for(&op));
        let mut b64 = Base64Stream::default();
        let handle = file.try_clone().map_err(|e| {
            client.err(ErrorKind::Local {
                path: PathBuf::from(remote),
                source: e,
            })
        })?;
        let mut gz = flate2::write::GzDecoder::new(InflateSink {
            file: handle,
            hasher: hasher.clone(),
            expected: len,
            max_ratio: client.config().max_expansion_ratio,
            compressed: 0,
            written: 0,
            refused: None,
        });
        let corrupt = |detail: String| ErrorKind::CorruptCompressed {
            remote: remote.into(),
            detail,
        };
        let mut stderr = Vec::new();
        let exit = self
            .run_streaming_with(
                &cmd,
                &args,
                None,
                Replay::Safe,
                Replay::OnlyIfUnsent,
                &mut |kind, data| match kind {
                    StreamKind::Stdout => {
                        let bytes = b64.push(data).map_err(corrupt)?;
                        inflate(&mut gz, &bytes).map_err(|e| e.into_kind(remote))
                    }
                    StreamKind::Stderr => {
                        if stderr.len() < 64 * 1024 {
                            stderr.extend_from_slice(data);
                        }
                        Ok(())
                    }
                },
            )
            .await?;
        if exit == EXIT_NO_COMPRESSION {
            return Ok(GzipRead::Unsupported);
        }
        let out = CommandOutput {
            exit_code: exit,
            stdout: Vec::new(),
            stderr: scripts::decode_clixml(&String::from_utf8_lossy(&stderr)),
        };
        check_exit(client, &op, out)?;
        let tail = b64.finish().map_err(|d| client.err(corrupt(d)))?;
        inflate(&mut gz, &tail).map_err(|e| client.err(e.into_kind(remote)))?;
        let finished = gz.try_finish();
        let sink = gz.get_mut();
        let (written, compressed) = (sink.written, sink.compressed);
        match finished {
            Ok(()) => {
                *hasher = std::mem::take(&mut sink.hasher);
                Ok(GzipRead::Done(written, compressed))
            }
            Err(e) => Err(client.err(
                InflateError::classify(sink.refused.take(), e, written, len).into_kind(remote),
            )),
        }
    }

    /// One read-chunk command, streamed: base64 is decoded as Receives arrive and written
    /// at the file's end. Returns the number of bytes written.
    async fn read_chunk_into(
        &self,
        remote: &str,
        offset: u64,
        len: u64,
        file: &mut std::fs::File,
        hasher: &mut Sha256,
    ) -> Result<u64, Error> {
        use std::io::Seek as _;
        let client = self.client();
        let op = Op::ReadChunk {
            path: remote.into(),
            offset,
            len,
        };
        file.seek(std::io::SeekFrom::Start(offset)).map_err(|e| {
            client.err(ErrorKind::Local {
                path: PathBuf::from(remote),
                source: e,
            })
        })?;
        let (cmd, args, _) = scripts::powershell_command_line(&scripts::script_for(&op));
        let mut decoder = Base64Stream::default();
        let mut written = 0u64;
        let mut stderr = Vec::new();
        let mut write =
            |data: &[u8], file: &mut std::fs::File, hasher: &mut Sha256| -> Result<(), ErrorKind> {
                file.write_all(data).map_err(|e| ErrorKind::Local {
                    path: PathBuf::from(remote),
                    source: e,
                })?;
                hasher.update(data);
                written += data.len() as u64;
                if written > len {
                    return Err(ErrorKind::BadOutput {
                        op: "read-chunk".into(),
                        detail: format!("more than the {len} bytes asked for"),
                    });
                }
                Ok(())
            };
        // Receive-level retries could silently drop output, so this command is not
        // replayed piecemeal; the caller retries the whole chunk instead.
        let exit = self
            .run_streaming_with(
                &cmd,
                &args,
                None,
                Replay::Safe,
                Replay::OnlyIfUnsent,
                &mut |kind, data| match kind {
                    StreamKind::Stdout => {
                        let bytes = decoder.push(data).map_err(|d| ErrorKind::BadOutput {
                            op: "read-chunk".into(),
                            detail: d,
                        })?;
                        write(&bytes, file, hasher)
                    }
                    StreamKind::Stderr => {
                        if stderr.len() < 64 * 1024 {
                            stderr.extend_from_slice(data);
                        }
                        Ok(())
                    }
                },
            )
            .await?;
        let tail = decoder.finish().map_err(|d| {
            client.err(ErrorKind::BadOutput {
                op: "read-chunk".into(),
                detail: d,
            })
        })?;
        write(&tail, file, hasher).map_err(|k| client.err(k))?;
        let out = CommandOutput {
            exit_code: exit,
            stdout: Vec::new(),
            stderr: scripts::decode_clixml(&String::from_utf8_lossy(&stderr)),
        };
        check_exit(client, &op, out)?;
        Ok(written)
    }
}

impl Client {
    /// Host status, in a fresh shell.
    pub async fn status(&self) -> Result<StatusReport, Error> {
        self.with_single_command_shell(async |s: &Shell| s.status().await)
            .await
    }

    /// Lists a remote tree, in a fresh shell.
    pub async fn list_tree(&self, path: &str) -> Result<Vec<TreeEntry>, Error> {
        self.with_shell(async |s: &Shell| s.list_tree(path).await)
            .await
    }

    /// Pulls a file, in a fresh shell.
    pub async fn pull_file(&self, remote: &str, local: &Path) -> Result<PulledFile, Error> {
        self.with_shell(async |s: &Shell| s.pull_file(remote, local).await)
            .await
    }

    /// Pulls a tree, in a fresh shell.
    pub async fn pull_tree(
        &self,
        remote_dir: &str,
        local_dir: &Path,
    ) -> Result<Vec<PulledFile>, Error> {
        self.with_shell(async |s: &Shell| s.pull_tree(remote_dir, local_dir).await)
            .await
    }
}

/// Checks a host-supplied relative path before it names a local file: no absolute paths,
/// drive letters, `..`, empty or `.` components, backslashes or control characters.
pub fn safe_relative(p: &str) -> Result<PathBuf, ErrorKind> {
    let bad = || ErrorKind::UnsafePath(p.to_string());
    if p.is_empty() || p.contains('\\') || p.contains(':') || p.chars().any(char::is_control) {
        return Err(bad());
    }
    let mut out = PathBuf::new();
    for part in p.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err(bad());
        }
        out.push(part);
    }
    if out.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(bad());
    }
    Ok(out)
}

/// Where inflated bytes go: the temporary file and the hash, behind the caps.
struct InflateSink {
    /// A handle on the temporary file, positioned where this stream's bytes go.
    file: std::fs::File,
    hasher: Sha256,
    /// The range's size: more output than this is refused.
    expected: u64,
    max_ratio: u64,
    /// Compressed bytes fed so far (counted before they are inflated).
    compressed: u64,
    written: u64,
    /// Why the sink refused more output (the decoder only carries an io::Error).
    refused: Option<InflateError>,
}

impl std::io::Write for InflateSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let total = self.written + data.len() as u64;
        let cap = if total > self.expected {
            Some(PullCap::ExpectedSize {
                expected: self.expected,
            })
        } else if total > self.compressed.saturating_mul(self.max_ratio) {
            Some(PullCap::ExpansionRatio {
                cap: self.max_ratio,
                compressed: self.compressed,
                decompressed: total,
            })
        } else {
            None
        };
        if let Some(cap) = cap {
            self.refused = Some(InflateError::Cap(cap));
            return Err(std::io::Error::other("pull cap reached"));
        }
        if let Err(e) = self.file.write_all(data) {
            self.refused = Some(InflateError::Local(e));
            return Err(std::io::Error::other("local write failed"));
        }
        self.hasher.update(data);
        self.written = total;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why inflating a read-gzip stream stopped.
#[derive(Debug)]
enum InflateError {
    Cap(PullCap),
    Local(std::io::Error),
    Corrupt(String),
}

impl InflateError {
    /// The decoder's io::Error, read with the sink's own reason when it has one.
    fn classify(
        refused: Option<InflateError>,
        e: std::io::Error,
        written: u64,
        expected: u64,
    ) -> InflateError {
        if let Some(r) = refused {
            return r;
        }
        InflateError::Corrupt(match e.kind() {
            // The decoder consumes nothing once its gzip member has ended.
            std::io::ErrorKind::WriteZero => "data after the end of the gzip stream".into(),
            _ if written < expected => {
                format!("{e} (stream ended or broke after {written} of {expected} bytes)")
            }
            _ => e.to_string(),
        })
    }

    fn into_kind(self, remote: &str) -> ErrorKind {
        match self {
            InflateError::Cap(cap) => ErrorKind::PullRefused {
                remote: remote.into(),
                cap,
            },
            InflateError::Local(source) => ErrorKind::Local {
                path: PathBuf::from(remote),
                source,
            },
            InflateError::Corrupt(detail) => ErrorKind::CorruptCompressed {
                remote: remote.into(),
                detail,
            },
        }
    }
}

/// Feeds compressed bytes to the decoder, counting them first so the ratio cap sees them.
fn inflate(
    gz: &mut flate2::write::GzDecoder<InflateSink>,
    bytes: &[u8],
) -> Result<(), InflateError> {
    if bytes.is_empty() {
        return Ok(());
    }
    gz.get_mut().compressed += bytes.len() as u64;
    gz.write_all(bytes).map_err(|e| {
        let sink = gz.get_mut();
        let (written, expected) = (sink.written, sink.expected);
        InflateError::classify(sink.refused.take(), e, written, expected)
    })
}

/// Incremental base64 decoding across arbitrary chunk boundaries (Windows splits stdout
/// wherever its buffers end), ignoring whitespace.
#[derive(Debug, Default)]
struct Base64Stream {
    carry: Vec<u8>,
    ended: bool,
}

impl Base64Stream {
    fn push(&mut self, data: &[u8]) -> Result<Vec<u8>, String> {
        self.carry
            .extend(data.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        let whole = self.carry.len() - self.carry.len() % 4;
        if whole == 0 {
            return Ok(Vec::new());
        }
        if self.ended {
            return Err("data after base64 padding".into());
        }
        let rest = self.carry.split_off(whole);
        let chunk = std::mem::replace(&mut self.carry, rest);
        if chunk.contains(&b'=') {
            self.ended = true;
        }
        B64.decode(&chunk)
            .map_err(|e| format!("invalid base64: {e}"))
    }

    fn finish(self) -> Result<Vec<u8>, String> {
        if self.carry.is_empty() {
            Ok(Vec::new())
        } else {
            Err(format!(
                "base64 output ends with {} stray characters (truncated)",
                self.carry.len()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_stream_handles_any_split() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let text = B64.encode(&data);
        for step in [1, 2, 3, 5, 7, 64, 333, 4096] {
            let mut d = Base64Stream::default();
            let mut out = Vec::new();
            for piece in text.as_bytes().chunks(step) {
                out.extend(d.push(piece).unwrap());
            }
            out.extend(d.push(b"\r\n").unwrap());
            out.extend(d.finish().unwrap());
            assert_eq!(out, data, "step {step}");
        }
        let mut d = Base64Stream::default();
        d.push(b"QUJD").unwrap();
        d.push(b"QU").unwrap();
        assert!(d.finish().is_err());
        assert!(Base64Stream::default().push(b"!!!!").is_err());
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Inflates `stream` fed in `step`-byte pieces, as Receives would deliver it.
    fn inflate_all(
        stream: &[u8],
        step: usize,
        expected: u64,
        max_ratio: u64,
    ) -> (Result<(), InflateError>, Vec<u8>, String) {
        let mut file = tempfile::tempfile().unwrap();
        let mut gz = flate2::write::GzDecoder::new(InflateSink {
            file: file.try_clone().unwrap(),
            hasher: Sha256::new(),
            expected,
            max_ratio,
            compressed: 0,
            written: 0,
            refused: None,
        });
        let mut res = Ok(());
        for piece in stream.chunks(step) {
            res = inflate(&mut gz, piece);
            if res.is_err() {
                break;
            }
        }
        if res.is_ok() {
            if let Err(e) = gz.try_finish() {
                let sink = gz.get_mut();
                let (w, x) = (sink.written, sink.expected);
                res = Err(InflateError::classify(sink.refused.take(), e, w, x));
            }
        }
        let hasher = std::mem::take(&mut gz.get_mut().hasher);
        drop(gz);
        use std::io::{Read as _, Seek as _};
        file.rewind().unwrap();
        let mut out = Vec::new();
        file.read_to_end(&mut out).unwrap();
        (res, out, hex::encode(hasher.finalize()))
    }

    #[test]
    fn inflate_streams_any_split_and_hashes_what_it_writes() {
        let data: Vec<u8> = (0..300_000u32)
            .flat_map(|i| format!("<VULN_NUM>V-{}</VULN_NUM>", i % 977).into_bytes())
            .collect();
        let stream = gzip(&data);
        for step in [1, 7, 4096, stream.len()] {
            let (res, out, sha) = inflate_all(&stream, step, data.len() as u64, 1000);
            assert!(res.is_ok(), "step {step}: {res:?}");
            assert_eq!(out, data, "step {step}");
            assert_eq!(sha, hex::encode(Sha256::digest(&data)));
        }
    }

    #[test]
    fn inflate_caps_output_at_the_expected_size() {
        let stream = gzip(&vec![0u8; 10 << 20]);
        let (res, out, _) = inflate_all(&stream, 1024, 65_536, 1_000_000);
        assert!(
            matches!(
                res,
                Err(InflateError::Cap(PullCap::ExpectedSize {
                    expected: 65_536
                }))
            ),
            "{res:?}"
        );
        assert!(
            out.len() <= 65_536,
            "never wrote past the cap: {}",
            out.len()
        );
    }

    #[test]
    fn inflate_caps_the_expansion_ratio() {
        let stream = gzip(&vec![0u8; 10 << 20]);
        let (res, out, _) = inflate_all(&stream, 256, 20 << 20, 100);
        match res {
            Err(InflateError::Cap(PullCap::ExpansionRatio {
                cap: 100,
                compressed,
                decompressed,
            })) => assert!(decompressed > 100 * compressed),
            other => panic!("{other:?}"),
        }
        assert!(out.len() < 1 << 20, "stopped early: {}", out.len());
    }

    #[test]
    fn inflate_refuses_corrupt_truncated_and_trailing_streams() {
        // Not periodic: in a periodic text a flipped distance can copy the same bytes.
        let mut x = 1u64;
        let data: Vec<u8> = (0..20_000)
            .flat_map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("<STATUS>{}</STATUS>", x >> 50).into_bytes()
            })
            .collect();
        let stream = gzip(&data);
        let n = data.len() as u64;
        // Flipped byte in the deflate data or the CRC.
        for at in [stream.len() / 2, stream.len() - 6] {
            let mut bad = stream.clone();
            bad[at] ^= 0x55;
            let (res, _, _) = inflate_all(&bad, 100, n, 1000);
            // A flip in deflate data may also lengthen the output past the size cap.
            assert!(
                matches!(
                    res,
                    Err(InflateError::Corrupt(_) | InflateError::Cap(PullCap::ExpectedSize { .. }))
                ),
                "{at}: {res:?}"
            );
        }
        // Truncated: no trailer.
        let (res, _, _) = inflate_all(&stream[..stream.len() - 4], 100, n, 1000);
        assert!(matches!(res, Err(InflateError::Corrupt(_))), "{res:?}");
        // Data after the member.
        let mut trailing = stream.clone();
        trailing.extend_from_slice(&stream);
        let (res, _, _) = inflate_all(&trailing, stream.len() + 10, 2 * n, 1000);
        match res {
            Err(InflateError::Corrupt(d)) => assert!(d.contains("after the end"), "{d}"),
            other => panic!("{other:?}"),
        }
        // Not gzip at all.
        let (res, _, _) = inflate_all(b"PK\x03\x04 not gzip at all", 5, n, 1000);
        assert!(matches!(res, Err(InflateError::Corrupt(_))), "{res:?}");
    }

    #[test]
    fn safe_relative_paths() {
        assert_eq!(
            safe_relative("Checklists/a.ckl").unwrap(),
            PathBuf::from("Checklists").join("a.ckl")
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "C:/x",
            "a\\b",
            "a\nb",
            "..",
        ] {
            assert!(safe_relative(bad).is_err(), "{bad:?}");
        }
    }
}
