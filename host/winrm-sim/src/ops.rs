//! Answers the PowerShell scripts the stigpack client sends (recognised by the
//! `# stigpack-op:` marker, see `stigpack_winrm::scripts`) with the output each op's
//! contract specifies, drawn from the host's virtual file system. Faults that concern
//! content (truncated output, a file changing mid-transfer) are applied here.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use stigpack_winrm::scripts::{self, FileHashReport, Op, StatusReport, TreeEntry};

use crate::interp::outcome::{Outcome, OutputSource};
use crate::machine::Machine;
use crate::vfs::{generate, Content};

/// How long the simulated Evaluate-STIG run takes unless a `tool-time` fault says otherwise.
pub const DEFAULT_TOOL_TIME: Duration = Duration::from_millis(300);

/// Runs a client script if it is one; `None` for any other script.
pub fn run(host: &Machine, script: &str) -> Option<Outcome> {
    let op = scripts::parse_marker(script)?;
    Some(match op {
        Op::Status => status(host),
        Op::RunTool { path, args, cwd } => run_tool(host, &path, &args, cwd.as_deref()),
        Op::ListTree { path } => list_tree(host, &path),
        Op::ReadChunk { path, offset, len } => read_chunk(host, &path, offset, len),
        Op::ReadGzip { path, offset, len } => read_gzip(host, &path, offset, len),
        Op::ReadGzipFiles { files } => read_gzip_files(host, &files),
        Op::FileHash { path } => file_hash(host, &path),
        // The bootstrap is recognised when the command starts (it waits for stdin); a
        // bootstrap arriving by any other route has nothing to run.
        Op::StdinScript => Outcome::default(),
    })
}

fn fail(code: i32, message: &str) -> Outcome {
    Outcome {
        stderr: format!("stigpack: {message}\r\n").into_bytes(),
        exit_code: i64::from(code),
        ..Default::default()
    }
}

fn not_found(path: &str) -> Outcome {
    fail(scripts::EXIT_NOT_FOUND, &format!("not found: {path}"))
}

fn json_line<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut s = serde_json::to_string(v).unwrap_or_default();
    s.push_str("\r\n");
    s.into_bytes()
}

fn status(host: &Machine) -> Outcome {
    Outcome::ok(json_line(&StatusReport {
        hostname: host.name().to_ascii_uppercase(),
        os_version: "10.0.20348.0".into(),
        ps_version: "5.1.20348.2849".into(),
        time_utc: host.now().precise(),
    }))
}

fn run_tool(host: &Machine, path: &str, args: &[String], cwd: Option<&str>) -> Outcome {
    if let Some(dir) = cwd {
        if !host.vfs_is_dir(dir) {
            return not_found(dir);
        }
    }
    let leaf = path
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    if leaf == "hostname" || leaf == "hostname.exe" {
        return Outcome::ok(format!("{}\r\n", host.name()));
    }
    let delay = host.faults.tool_time.unwrap_or(DEFAULT_TOOL_TIME);
    if leaf == "evaluate-stig.ps1" && (host.path_exists(path) || !path.contains('\\')) {
        return evaluate_stig(host, args, delay);
    }
    if leaf == "apply-powerstig.ps1" && host.path_exists(path) {
        return apply_powerstig(host, args, delay);
    }
    if host.path_exists(path) {
        // Any other script on disk runs and prints nothing.
        return Outcome::default();
    }
    let name = path;
    fail(
        scripts::EXIT_FAILED,
        &format!("The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."),
    )
}

/// A simulated Evaluate-STIG scan: fresh results for the host's current state, dated now,
/// under `<-OutputPath>\<HOST>\` in the `-Output` formats (SummaryReport.xml always),
/// replacing the previous ones. The `scan-exit` and `scan-no-results` faults make it fail.
fn evaluate_stig(host: &Machine, args: &[String], delay: Duration) -> Outcome {
    let upper = host.name().to_ascii_uppercase();
    let out_root = arg_value(args, "-OutputPath").unwrap_or(generate::RESULTS_ROOT);
    let formats = generate::Formats::from_output_arg(arg_value(args, "-Output"));
    let mut text = String::new();
    text.push_str("Evaluate-STIG 1.2507.6\r\n");
    text.push_str(&format!(
        "Scanning {upper} (ScanType: {})\r\n",
        arg_value(args, "-ScanType").unwrap_or("Unclassified")
    ));
    text.push_str("Executing scan for: Microsoft Windows Server 2022 STIG V2R4\r\n");
    if let Some(code) = host.faults.scan_exit {
        host.note_fault();
        return Outcome {
            stdout: text.into_bytes(),
            stderr: b"ERROR: Evaluate-STIG: scan module Scan-WindowsServer2022_Checks failed to load\r\n"
                .to_vec(),
            exit_code: i64::from(code),
            delay,
            stream: None,
        };
    }
    if host.faults.scan_no_results {
        // The fault: success reported, nothing written (a tool that lost its output).
        host.note_fault();
    } else {
        for f in host.rescan(out_root, formats, host.now()) {
            text.push_str(&format!("Created {f}\r\n"));
        }
    }
    text.push_str("Done!\r\n");
    Outcome {
        stdout: text.into_bytes(),
        stderr: Vec::new(),
        exit_code: 0,
        delay,
        stream: None,
    }
}

/// A simulated PowerSTIG apply: the host becomes hardened, so its next scan finds the
/// Open rules DSC can set NotAFinding. The `apply-exit` fault makes it fail unchanged.
fn apply_powerstig(host: &Machine, args: &[String], delay: Duration) -> Outcome {
    if let Some(code) = host.faults.apply_exit {
        host.note_fault();
        return Outcome {
            stdout: Vec::new(),
            stderr: b"Apply-PowerStig: Start-DscConfiguration: the WinRM client cannot process the request (the LCM is busy)\r\n"
                .to_vec(),
            exit_code: i64::from(code),
            delay,
            stream: None,
        };
    }
    let fixed = host.harden();
    let text = format!(
        "PowerSTIG WindowsServer {} {} baseline applied on {}: {fixed} setting(s) changed\r\n",
        arg_value(args, "-OsVersion").unwrap_or("2022"),
        arg_value(args, "-OsRole").unwrap_or("MS"),
        host.name().to_ascii_uppercase()
    );
    Outcome {
        stdout: text.into_bytes(),
        stderr: Vec::new(),
        exit_code: 0,
        delay,
        stream: None,
    }
}

fn arg_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a.eq_ignore_ascii_case(name))?;
    args.get(i + 1).map(String::as_str)
}

fn list_tree(host: &Machine, path: &str) -> Outcome {
    if !host.vfs_is_dir(path) {
        return not_found(path);
    }
    let root = crate::vfs::key(path);
    let mut out = Vec::new();
    for (full, content) in host.list(path) {
        let rel = full
            .get(root.len() + 1..)
            .unwrap_or_default()
            .replace('\\', "/");
        out.extend(json_line(&TreeEntry {
            path: rel,
            size: content.len() as u64,
            sha256: content.sha256_hex(),
        }));
    }
    Outcome::ok(out)
}

fn read_chunk(host: &Machine, path: &str, offset: u64, len: u64) -> Outcome {
    let Some(content) = host.content(path) else {
        return not_found(path);
    };
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let mut len = usize::try_from(len).unwrap_or(usize::MAX).min(64 << 20);
    let total = content.len();
    let at_eof = offset.saturating_add(len) >= total;
    if host.faults.truncate_output && len > 1 && !at_eof {
        // The fault: a short read in the middle of the file, with success reported.
        len /= 2;
        host.note_fault();
    }
    let bytes = content.read(offset, len);
    if host.faults.file_changes && offset == 0 && !bytes.is_empty() {
        host.change_file(path);
    }
    Outcome::ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

const NO_COMPRESSION: &str =
    "cannot compress: Cannot create type. Only core types are supported in this language mode.";

fn read_gzip(host: &Machine, path: &str, offset: u64, len: u64) -> Outcome {
    let Some(content) = host.content(path) else {
        return not_found(path);
    };
    if host.faults.no_compression {
        host.note_fault();
        // What PowerShell says when New-Object meets a non-core type in ConstrainedLanguage.
        return fail(scripts::EXIT_NO_COMPRESSION, NO_COMPRESSION);
    }
    Outcome {
        stream: Some(Box::new(gzip_output(host, path, &content, offset, len))),
        ..Outcome::default()
    }
}

fn read_gzip_files(host: &Machine, files: &[scripts::FileRange]) -> Outcome {
    let mut contents = Vec::with_capacity(files.len());
    for f in files {
        match host.content(&f.path) {
            Some(c) => contents.push(c),
            None => return not_found(&f.path),
        }
    }
    if host.faults.no_compression {
        host.note_fault();
        return fail(scripts::EXIT_NO_COMPRESSION, NO_COMPRESSION);
    }
    let members = files
        .iter()
        .zip(&contents)
        .map(|(f, c)| gzip_output(host, &f.path, c, 0, f.len))
        .collect();
    Outcome {
        stream: Some(Box::new(GzipFilesOutput { members })),
        ..Outcome::default()
    }
}

/// read-gzip-files' stdout: each file's stream in turn, each followed by a line feed.
#[derive(Debug)]
struct GzipFilesOutput {
    members: std::collections::VecDeque<GzipOutput>,
}

impl OutputSource for GzipFilesOutput {
    fn next_output(&mut self, host: &Machine, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(cur) = self.members.front_mut() else {
                break;
            };
            let more = cur.next_output(host, max - out.len());
            if more.is_empty() {
                self.members.pop_front();
                out.push(b'\n');
            } else {
                out.extend_from_slice(&more);
            }
        }
        out
    }
}

/// One gzip stream of `len` bytes from `offset`, with this host's content faults applied.
fn gzip_output(host: &Machine, path: &str, content: &Content, offset: u64, len: u64) -> GzipOutput {
    let total = content.len() as u64;
    let mut end = offset.saturating_add(len).min(total);
    if host.faults.truncate_output && len > 1 && end < total {
        // As for read-chunk: half the range, as a well-formed stream, with success reported.
        end = offset.saturating_add(len / 2);
        host.note_fault();
    }
    let bomb = host.faults.gzip_bomb;
    if bomb {
        end = u64::MAX;
    }
    if bomb || host.faults.gzip_corrupt || host.faults.gzip_lie {
        host.note_fault();
    }
    // .NET's CompressionMode.Compress is zlib's default level; synthetic files are random
    // bytes that no level shrinks, so they go out as stored blocks (what deflate falls back
    // to for them anyway), which keeps 256 MB test pulls fast.
    let level = match content {
        Content::Synthetic { .. } if !bomb => flate2::Compression::none(),
        _ => flate2::Compression::default(),
    };
    GzipOutput {
        path: path.to_string(),
        pos: offset,
        end,
        encoder: Some(flate2::write::GzEncoder::new(Vec::new(), level)),
        pending: Vec::new(),
        sent: 0,
        zeros: bomb,
        corrupt: host.faults.gzip_corrupt,
        // The lie changes the range's middle byte (same size, different hash).
        lie_at: host
            .faults
            .gzip_lie
            .then(|| offset + (end.saturating_sub(offset)) / 2),
        change_after_first_block: host.faults.file_changes && offset == 0,
    }
}

/// Bytes of the file the simulated read-gzip reads and compresses at a time.
const GZIP_BLOCK: u64 = 64 * 1024;

/// read-gzip's stdout, produced as Receives ask for it: the range read from the live file
/// (so `file-changes` bites mid-stream, as on Windows with FileShare.ReadWrite), deflated,
/// and printed as base64 in whole 3-byte groups until the end.
#[derive(Debug)]
struct GzipOutput {
    path: String,
    pos: u64,
    end: u64,
    encoder: Option<flate2::write::GzEncoder<Vec<u8>>>,
    /// Compressed bytes not printed yet.
    pending: Vec<u8>,
    /// Compressed bytes printed so far.
    sent: u64,
    zeros: bool,
    corrupt: bool,
    lie_at: Option<u64>,
    change_after_first_block: bool,
}

impl OutputSource for GzipOutput {
    fn next_output(&mut self, host: &Machine, max: usize) -> Vec<u8> {
        use std::io::Write as _;
        let want = (max / 4 * 3).max(3);
        while self.pending.len() < want {
            let Some(enc) = self.encoder.as_mut() else {
                break;
            };
            if self.pos >= self.end {
                if let Some(enc) = self.encoder.take() {
                    self.pending.extend(enc.finish().unwrap_or_default());
                }
                break;
            }
            let n = GZIP_BLOCK.min(self.end - self.pos) as usize;
            let mut block = if self.zeros {
                vec![0u8; n]
            } else {
                host.content(&self.path)
                    .map(|c| c.read(usize::try_from(self.pos).unwrap_or(usize::MAX), n))
                    .unwrap_or_default()
            };
            if block.is_empty() {
                // End of file (or the file vanished): the stream ends here.
                self.end = self.pos;
                continue;
            }
            if let Some(at) = self.lie_at {
                if let Some(b) = at
                    .checked_sub(self.pos)
                    .and_then(|i| block.get_mut(usize::try_from(i).ok()?))
                {
                    *b ^= 0x01;
                }
            }
            self.pos += block.len() as u64;
            if enc.write_all(&block).is_err() {
                self.end = self.pos;
            }
            self.pending.append(enc.get_mut());
            if std::mem::take(&mut self.change_after_first_block) {
                host.change_file(&self.path);
            }
        }
        if self.corrupt {
            // Byte 10 is the first deflate block header: BFINAL=1, BTYPE=11 is reserved.
            if let Some(b) = 10u64
                .checked_sub(self.sent)
                .and_then(|i| self.pending.get_mut(usize::try_from(i).ok()?))
            {
                *b = 0xFF;
                self.corrupt = false;
            }
        }
        let take = if self.encoder.is_none() && self.pending.len() <= want {
            self.pending.len()
        } else {
            let t = want.min(self.pending.len());
            t - t % 3
        };
        self.sent += take as u64;
        let out: Vec<u8> = self.pending.drain(..take).collect();
        base64::engine::general_purpose::STANDARD
            .encode(out)
            .into_bytes()
    }
}

fn file_hash(host: &Machine, path: &str) -> Outcome {
    let Some(content) = host.content(path) else {
        return not_found(path);
    };
    Outcome::ok(json_line(&FileHashReport {
        size: content.len() as u64,
        sha256: content.sha256_hex(),
    }))
}

impl Machine {
    fn content(&self, path: &str) -> Option<Content> {
        self.vfs_lock().get(path).map(|f| f.content.clone())
    }

    fn vfs_is_dir(&self, path: &str) -> bool {
        self.vfs_lock().is_dir(path)
    }

    /// (path, content) of every file under a directory.
    fn list(&self, dir: &str) -> Vec<(String, Content)> {
        self.vfs_lock()
            .walk(dir)
            .into_iter()
            .map(|f| (f.path.clone(), f.content.clone()))
            .collect()
    }

    /// The file-changes fault: the file is rewritten (same size, different bytes), as if
    /// a scan finished writing it while it was being pulled.
    fn change_file(&self, path: &str) {
        let mut vfs = self.vfs_lock();
        if let Some(f) = vfs.get_mut(path) {
            f.version += 1;
            f.content = match &f.content {
                Content::Bytes(b) => {
                    let mut v = b.as_ref().clone();
                    let n = v.len();
                    if n > 0 {
                        let i = n - 1 - (n / 3);
                        v[i] ^= 0x20;
                    }
                    Content::Bytes(Arc::new(v))
                }
                Content::Synthetic { len, seed } => Content::Synthetic {
                    len: *len,
                    seed: seed ^ 0x5A5A,
                },
            };
            f.modified = self.now().precise();
        }
        drop(vfs);
        self.note_fault();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use crate::faults::FaultSpec;

    fn host(name: &str, faults: &str) -> Machine {
        Machine::new(
            name.into(),
            FaultSpec::parse(faults).unwrap().for_host(name),
            5,
        )
    }

    fn tool(h: &Machine, path: &str, args: &[&str]) -> Outcome {
        let op = Op::RunTool {
            path: path.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            cwd: None,
        };
        run(h, &scripts::script_for(&op)).unwrap()
    }

    fn open_in_ckl(h: &Machine) -> usize {
        h.list(r"C:\STIG\Results\HOST1")
            .iter()
            .filter(|(p, _)| p.ends_with(".ckl"))
            .map(|(_, c)| {
                String::from_utf8(c.read(0, c.len()))
                    .unwrap()
                    .matches("<STATUS>Open</STATUS>")
                    .count()
            })
            .sum()
    }

    const SCAN_ARGS: &[&str] = &["-Output", "CKL,CKLB", "-OutputPath", r"C:\STIG\Results"];

    #[test]
    fn scan_apply_scan_shows_the_loop() {
        let h = host("host1", "");
        let open0 = open_in_ckl(&h);
        let scan = tool(&h, generate::TOOL_PATH, SCAN_ARGS);
        assert_eq!(scan.exit_code, 0);
        let text = String::from_utf8(scan.stdout).unwrap();
        // Fresh results dated today, CKL and CKLB only (as -Output asked), summary always.
        let today = generate::ScanTime::now();
        let day = format!("{:04}{:02}{:02}-", today.year, today.month, today.day);
        let files = h.list(r"C:\STIG\Results\HOST1");
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(files
            .iter()
            .filter(|(p, _)| p.contains("Checklist"))
            .all(|(p, _)| p.contains(&day)));
        assert!(
            text.contains("SummaryReport.xml") && text.contains(".cklb"),
            "{text}"
        );
        assert_eq!(open_in_ckl(&h), open0, "a scan alone changes nothing");

        let apply = tool(&h, generate::POWERSTIG_PATH, &["-OsVersion", "2022"]);
        assert_eq!(apply.exit_code, 0);
        let fixed = generate::hardening_fixes("host1", 5);
        assert!(String::from_utf8(apply.stdout)
            .unwrap()
            .contains(&format!("{fixed} setting(s) changed")));
        assert!(h.state().hardened);
        assert_eq!(
            open_in_ckl(&h),
            open0,
            "the results stay until the next scan"
        );
        tool(&h, generate::TOOL_PATH, SCAN_ARGS);
        assert_eq!(open_in_ckl(&h), open0 - fixed);
        // Applying again changes nothing more.
        let again = tool(&h, generate::POWERSTIG_PATH, &[]);
        assert!(String::from_utf8(again.stdout)
            .unwrap()
            .contains(" 0 setting(s)"));
    }

    #[test]
    fn faults_fail_either_step() {
        let h = host("host1", "host1=scan-exit:4,host1=apply-exit:1603");
        let before = h.list(r"C:\STIG\Results\HOST1");
        let scan = tool(&h, generate::TOOL_PATH, SCAN_ARGS);
        assert_eq!(scan.exit_code, 4);
        assert!(!scan.stderr.is_empty());
        let apply = tool(&h, generate::POWERSTIG_PATH, &[]);
        assert_eq!(apply.exit_code, 1603);
        assert!(!h.state().hardened, "a failed apply changes nothing");
        let after = h.list(r"C:\STIG\Results\HOST1");
        assert_eq!(before.len(), after.len());

        let h = host("host1", "host1=scan-no-results");
        let before: Vec<String> = h
            .list(r"C:\STIG\Results\HOST1")
            .into_iter()
            .map(|f| f.0)
            .collect();
        let scan = tool(&h, generate::TOOL_PATH, SCAN_ARGS);
        assert_eq!(scan.exit_code, 0, "the fault reports success");
        let after: Vec<String> = h
            .list(r"C:\STIG\Results\HOST1")
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(before, after, "but nothing new was written");
    }

    #[test]
    fn civil_dates() {
        use generate::civil_from_days;
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_526), (2026, 3, 14));
    }
}
