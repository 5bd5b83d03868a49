//! The operations stigpack performs on a host, built on the scripts contract: status,
//! run a tool, list a tree, hash a file, and verified file/tree pulls.
//!
//! A pull streams each read-chunk command's base64 output straight into a temporary file
//! next to the destination while hashing it (memory bounded by the envelope size), then
//! compares size and SHA-256 with the host's `Get-FileHash` before renaming into place.
//! A short read, a mismatch or any error leaves nothing behind.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::client::{Client, CommandOutput, Replay, Shell, StreamKind};
use crate::error::{Error, ErrorKind};
use crate::scripts::{self, FileHashReport, Op, StatusReport, TreeEntry, EXIT_NOT_FOUND};

/// A file pulled and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledFile {
    /// Path relative to the pulled tree (`/`-separated), or the file name.
    pub relative: String,
    pub local: PathBuf,
    pub size: u64,
    /// Lower-case hex SHA-256 (verified equal to the host's).
    pub sha256: String,
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
                Op::ListTree { path } | Op::FileHash { path } | Op::ReadChunk { path, .. } => {
                    path.clone()
                }
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
        let sep = if remote_dir.contains('/') && !remote_dir.contains('\\') {
            '/'
        } else {
            '\\'
        };
        let base = remote_dir.trim_end_matches(['\\', '/']);
        let mut pulled = Vec::with_capacity(entries.len());
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
            let expected = FileHashReport {
                size: e.size,
                sha256: e.sha256.clone(),
            };
            pulled.push(
                self.pull_verified(&remote, &local, &expected, e.path.clone())
                    .await?,
            );
        }
        Ok(pulled)
    }

    async fn pull_verified(
        &self,
        remote: &str,
        local: &Path,
        expected: &FileHashReport,
        relative: String,
    ) -> Result<PulledFile, Error> {
        let client = self.client();
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
        let chunk = client.config().chunk_size.max(3);
        // Multiple of 3 so each chunk's base64 has no padding in the middle of the file.
        let chunk = chunk - chunk % 3;
        let mut hasher = Sha256::new();
        let mut offset = 0u64;
        let retries = client.config().retry.retries;
        while offset < expected.size {
            let len = chunk.min(expected.size - offset);
            let mut attempt = 0;
            let got = loop {
                // Each attempt restarts the chunk: roll the file and hasher back to the
                // chunk start so a failure mid-output cannot leave a gap or a duplicate.
                let mut h = hasher.clone();
                tmp.as_file_mut()
                    .set_len(offset)
                    .map_err(|e| local_err(tmp.path(), e))?;
                let res = self
                    .read_chunk_into(remote, offset, len, tmp.as_file_mut(), &mut h)
                    .await;
                match res {
                    Ok(n) => {
                        hasher = h;
                        break n;
                    }
                    Err(e) if e.is_transient() && attempt < retries => {
                        attempt += 1;
                        tokio::time::sleep(client.config().retry.initial_backoff * attempt).await;
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
        })
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
