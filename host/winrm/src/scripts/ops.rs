//! Operations, their marker line, their PowerShell text and their output contract.

use serde::{Deserialize, Serialize};

/// First-line prefix of every stigpack script; the rest of the line is the [`Op`] as JSON.
pub const MARKER_PREFIX: &str = "# stigpack-op: ";
/// Exit code of a script whose path does not exist.
pub const EXIT_NOT_FOUND: i32 = 2;
/// Exit code of a script that failed for any other reason.
pub const EXIT_FAILED: i32 = 1;
/// Exit code of [`Op::ReadGzip`] when the host cannot compress (the GZipStream type cannot
/// be created, e.g. in ConstrainedLanguage mode); printed before any stdout, so the client
/// falls back to [`Op::ReadChunk`].
pub const EXIT_NO_COMPRESSION: i32 = 3;
/// Bytes of the file [`Op::ReadGzip`] reads and compresses at a time: the script's memory
/// stays near this (plus its compressed output) whatever the range's size.
pub const GZIP_READ_BLOCK: u64 = 1024 * 1024;

/// One operation the client asks a host to perform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Op {
    /// Who and what the host is. stdout: one line, a [`StatusReport`] as JSON; exit 0.
    Status,
    /// Run a program or script (e.g. Evaluate-STIG) with arguments, optionally in a
    /// working directory. stdout/stderr: the tool's own; exit code: the tool's own
    /// (`$LASTEXITCODE` for native programs; 0/1 for PowerShell commands by success).
    RunTool {
        path: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
    },
    /// Every file under a directory, recursively. stdout: one [`TreeEntry`] JSON object
    /// per line (CRLF or LF), paths relative to `path` with `/` separators; directories
    /// themselves are not listed; order unspecified (the client sorts). Exit 0; a missing
    /// or non-directory `path` exits [`EXIT_NOT_FOUND`].
    ListTree { path: String },
    /// `len` bytes of a file from `offset`. stdout: the bytes as one base64 string with
    /// no line breaks (trailing whitespace allowed); fewer than `len` bytes only at end of
    /// file; empty output when `offset >= size`. Exit 0.
    ReadChunk { path: String, offset: u64, len: u64 },
    /// `len` bytes of a file from `offset` (fewer only at end of file), gzip-compressed on
    /// the host by `System.IO.Compression.GZipStream`: stdout is the base64 of exactly one
    /// gzip member (RFC 1952) holding those bytes, no line breaks, padding only at its end
    /// (trailing whitespace allowed). The host reads and compresses in blocks of
    /// [`GZIP_READ_BLOCK`] and prints each block's output as it goes, so neither side holds
    /// the range. Exit 0; [`EXIT_NOT_FOUND`] if missing; [`EXIT_NO_COMPRESSION`], with no
    /// stdout, when the host cannot compress.
    ReadGzip { path: String, offset: u64, len: u64 },
    /// Several whole files, each as [`Op::ReadGzip`] would send it from offset 0 (at most
    /// `len` bytes), one after the other in one command: stdout is, per file in order, the
    /// base64 of one gzip member followed by a line feed. Saves a command and its Signal
    /// per file when files are small. Exit 0; [`EXIT_NOT_FOUND`] (before any output) if
    /// any file is missing; [`EXIT_NO_COMPRESSION`] as for read-gzip.
    ReadGzipFiles { files: Vec<FileRange> },
    /// Size and SHA-256 of one file. stdout: one line, a [`FileHashReport`] as JSON
    /// (hash in upper-case hex, as `Get-FileHash` prints it). Exit 0.
    FileHash { path: String },
    /// Not an operation itself: the bootstrap used when a script is too long for the
    /// command line. It reads base64 (UTF-8 script text) from stdin until EOF and runs
    /// it; the real script, with its own marker, arrives via stdin
    /// (see [`super::decode_stdin_script`]).
    StdinScript,
}

/// One file of [`Op::ReadGzipFiles`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRange {
    pub path: String,
    pub len: u64,
}

/// Output of [`Op::Status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// `$env:COMPUTERNAME`.
    pub hostname: String,
    /// `[Environment]::OSVersion.Version`, e.g. `10.0.20348.0`.
    pub os_version: String,
    /// `$PSVersionTable.PSVersion`, e.g. `5.1.20348.2849`.
    pub ps_version: String,
    /// Host clock in UTC, ISO 8601 round-trip format.
    pub time_utc: String,
}

/// One line of [`Op::ListTree`] output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    /// Relative path, `/`-separated.
    pub path: String,
    pub size: u64,
    /// Upper-case hex SHA-256.
    pub sha256: String,
}

/// Output of [`Op::FileHash`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHashReport {
    pub size: u64,
    /// Upper-case hex SHA-256.
    pub sha256: String,
}

/// Reads the operation from a script's marker line (the first non-empty line).
pub fn parse_marker(script: &str) -> Option<Op> {
    let script = script.strip_prefix('\u{feff}').unwrap_or(script);
    let first = script.lines().find(|l| !l.trim().is_empty())?;
    let json = first.trim().strip_prefix(MARKER_PREFIX.trim_end())?;
    serde_json::from_str(json.trim()).ok()
}

/// A PowerShell single-quoted string literal. Inside one, only the quote characters are
/// special; PowerShell treats the typographic single quotes as quotes too, so all of them
/// are doubled.
fn ps_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Shared prologue: stop on errors, no progress records (they would arrive as CLIXML on
/// stderr), and a helper that reports a failure the way the contract says.
const PROLOGUE: &str = r#"$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Fail-Stigpack([int]$Code, [string]$Message) {
    [Console]::Error.WriteLine('stigpack: ' + $Message)
    exit $Code
}
"#;

/// The complete PowerShell script for an operation, marker line first.
pub fn script_for(op: &Op) -> String {
    // Serialising a plain enum of strings and integers cannot fail.
    let marker = serde_json::to_string(op).unwrap_or_default();
    let body = match op {
        Op::Status => r#"try {
    [pscustomobject]@{
        hostname   = [string]$env:COMPUTERNAME
        os_version = [Environment]::OSVersion.Version.ToString()
        ps_version = $PSVersionTable.PSVersion.ToString()
        time_utc   = (Get-Date).ToUniversalTime().ToString('o')
    } | ConvertTo-Json -Compress
} catch { Fail-Stigpack 1 $_.Exception.Message }
exit 0
"#
        .to_string(),
        Op::RunTool { path, args, cwd } => {
            let args = args.iter().map(|a| ps_quote(a)).collect::<Vec<_>>();
            let cd = match cwd {
                Some(dir) => format!(
                    "try {{ Set-Location -LiteralPath {} }} catch {{ Fail-Stigpack 2 ('not found: ' + {}) }}\n",
                    ps_quote(dir),
                    ps_quote(dir)
                ),
                None => String::new(),
            };
            format!(
                r#"{cd}$stigpackArgs = @({args})
$ErrorActionPreference = 'Continue'
$global:LASTEXITCODE = $null
try {{
    & {path} @stigpackArgs
    $stigpackOk = $?
}} catch {{
    [Console]::Error.WriteLine('stigpack: ' + $_.Exception.Message)
    exit 1
}}
if ($null -ne $LASTEXITCODE) {{ exit $LASTEXITCODE }}
if ($stigpackOk) {{ exit 0 }} else {{ exit 1 }}
"#,
                args = args.join(", "),
                path = ps_quote(path),
            )
        }
        Op::ListTree { path } => format!(
            r#"$root = {path}
if (-not (Test-Path -LiteralPath $root -PathType Container)) {{ Fail-Stigpack 2 ('not found: ' + $root) }}
try {{
    $full = (Get-Item -LiteralPath $root -Force).FullName.TrimEnd('\')
    Get-ChildItem -LiteralPath $root -Recurse -File -Force | ForEach-Object {{
        $rel = $_.FullName.Substring($full.Length + 1).Replace('\', '/')
        $hash = (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash
        [pscustomobject]@{{ path = $rel; size = [int64]$_.Length; sha256 = $hash }} | ConvertTo-Json -Compress
    }}
}} catch {{ Fail-Stigpack 1 $_.Exception.Message }}
exit 0
"#,
            path = ps_quote(path)
        ),
        Op::ReadChunk { path, offset, len } => format!(
            r#"$p = {path}
if (-not (Test-Path -LiteralPath $p -PathType Leaf)) {{ Fail-Stigpack 2 ('not found: ' + $p) }}
try {{
    $fs = [IO.File]::Open($p, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::ReadWrite)
    try {{
        $null = $fs.Seek([int64]{offset}, [IO.SeekOrigin]::Begin)
        $buf = New-Object byte[] {len}
        $n = 0
        while ($n -lt {len}) {{
            $r = $fs.Read($buf, $n, {len} - $n)
            if ($r -le 0) {{ break }}
            $n += $r
        }}
        [Console]::Out.Write([Convert]::ToBase64String($buf, 0, $n))
    }} finally {{ $fs.Dispose() }}
}} catch {{ Fail-Stigpack 1 $_.Exception.Message }}
exit 0
"#,
            path = ps_quote(path)
        ),
        Op::ReadGzip { path, offset, len } => format!(
            r#"$p = {path}
if (-not (Test-Path -LiteralPath $p -PathType Leaf)) {{ Fail-Stigpack 2 ('not found: ' + $p) }}
try {{
    $ms = New-Object IO.MemoryStream
    $gz = New-Object IO.Compression.GZipStream($ms, [IO.Compression.CompressionMode]::Compress, $true)
}} catch {{ Fail-Stigpack 3 ('cannot compress: ' + $_.Exception.Message) }}
try {{
    $fs = [IO.File]::Open($p, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::ReadWrite)
    try {{
        $null = $fs.Seek([int64]{offset}, [IO.SeekOrigin]::Begin)
        $left = [int64]{len}
        $buf = New-Object byte[] {block}
        $out = [Console]::Out
        while ($left -gt 0) {{
            $n = $fs.Read($buf, 0, [int][Math]::Min([int64]$buf.Length, $left))
            if ($n -le 0) {{ break }}
            $left -= $n
            $gz.Write($buf, 0, $n)
            # Print whole 3-byte groups (base64 without padding); keep the 0-2 left over.
            $have = [int]$ms.Length
            $whole = $have - ($have % 3)
            if ($whole -gt 0) {{
                $bytes = $ms.GetBuffer()
                $out.Write([Convert]::ToBase64String($bytes, 0, $whole))
                [Array]::Copy($bytes, $whole, $bytes, 0, $have - $whole)
                $ms.SetLength($have - $whole)
                $ms.Position = $have - $whole
            }}
        }}
        $gz.Dispose()
        $out.Write([Convert]::ToBase64String($ms.GetBuffer(), 0, [int]$ms.Length))
        $out.Flush()
    }} finally {{ $fs.Dispose() }}
}} catch {{ Fail-Stigpack 1 $_.Exception.Message }}
exit 0
"#,
            path = ps_quote(path),
            block = GZIP_READ_BLOCK,
        ),
        Op::ReadGzipFiles { files } => format!(
            r#"$paths = @({paths})
$lens = @({lens})
foreach ($p in $paths) {{
    if (-not (Test-Path -LiteralPath $p -PathType Leaf)) {{ Fail-Stigpack 2 ('not found: ' + $p) }}
}}
try {{
    $ms = New-Object IO.MemoryStream
    $gz = New-Object IO.Compression.GZipStream($ms, [IO.Compression.CompressionMode]::Compress, $true)
}} catch {{ Fail-Stigpack 3 ('cannot compress: ' + $_.Exception.Message) }}
try {{
    $buf = New-Object byte[] {block}
    $out = [Console]::Out
    for ($i = 0; $i -lt $paths.Count; $i++) {{
        if ($i -gt 0) {{
            $ms.SetLength(0)
            $ms.Position = 0
            $gz = New-Object IO.Compression.GZipStream($ms, [IO.Compression.CompressionMode]::Compress, $true)
        }}
        $fs = [IO.File]::Open($paths[$i], [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::ReadWrite)
        try {{
            $left = [int64]$lens[$i]
            while ($left -gt 0) {{
                $n = $fs.Read($buf, 0, [int][Math]::Min([int64]$buf.Length, $left))
                if ($n -le 0) {{ break }}
                $left -= $n
                $gz.Write($buf, 0, $n)
                $have = [int]$ms.Length
                $whole = $have - ($have % 3)
                if ($whole -gt 0) {{
                    $bytes = $ms.GetBuffer()
                    $out.Write([Convert]::ToBase64String($bytes, 0, $whole))
                    [Array]::Copy($bytes, $whole, $bytes, 0, $have - $whole)
                    $ms.SetLength($have - $whole)
                    $ms.Position = $have - $whole
                }}
            }}
            $gz.Dispose()
            $out.Write([Convert]::ToBase64String($ms.GetBuffer(), 0, [int]$ms.Length))
            $out.Write("`n")
        }} finally {{ $fs.Dispose() }}
    }}
    $out.Flush()
}} catch {{ Fail-Stigpack 1 $_.Exception.Message }}
exit 0
"#,
            paths = files
                .iter()
                .map(|f| ps_quote(&f.path))
                .collect::<Vec<_>>()
                .join(", "),
            lens = files
                .iter()
                .map(|f| format!("[int64]{}", f.len))
                .collect::<Vec<_>>()
                .join(", "),
            block = GZIP_READ_BLOCK,
        ),
        Op::FileHash { path } => format!(
            r#"$p = {path}
if (-not (Test-Path -LiteralPath $p -PathType Leaf)) {{ Fail-Stigpack 2 ('not found: ' + $p) }}
try {{
    $item = Get-Item -LiteralPath $p -Force
    $hash = (Get-FileHash -LiteralPath $p -Algorithm SHA256).Hash
    [pscustomobject]@{{ size = [int64]$item.Length; sha256 = $hash }} | ConvertTo-Json -Compress
}} catch {{ Fail-Stigpack 1 $_.Exception.Message }}
exit 0
"#,
            path = ps_quote(path)
        ),
        Op::StdinScript => r#"$stigpackB64 = [Console]::In.ReadToEnd()
$stigpackText = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($stigpackB64.Trim()))
& ([ScriptBlock]::Create($stigpackText))
exit $LASTEXITCODE
"#
        .to_string(),
    };
    let prologue = if matches!(op, Op::StdinScript) {
        ""
    } else {
        PROLOGUE
    };
    format!("{MARKER_PREFIX}{marker}\n{prologue}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_ops() -> Vec<Op> {
        vec![
            Op::Status,
            Op::RunTool {
                path: r"C:\Tools\Evaluate-STIG\Evaluate-STIG.ps1".into(),
                args: vec!["-ScanType".into(), "Unclassified".into(), "it's".into()],
                cwd: Some(r"C:\Tools".into()),
            },
            Op::RunTool {
                path: "hostname".into(),
                args: vec![],
                cwd: None,
            },
            Op::ListTree {
                path: r"C:\STIG Results\o'brien".into(),
            },
            Op::ReadChunk {
                path: r"C:\Results\a.ckl".into(),
                offset: 1_048_576,
                len: 524_288,
            },
            Op::ReadGzip {
                path: r"C:\Results\o'brien.ckl".into(),
                offset: 4_194_304,
                len: 4_194_304,
            },
            Op::ReadGzipFiles {
                files: vec![
                    FileRange {
                        path: r"C:\Results\a.ckl".into(),
                        len: 10,
                    },
                    FileRange {
                        path: r"C:\Results\o'b.ckl".into(),
                        len: 0,
                    },
                ],
            },
            Op::FileHash {
                path: r"C:\Results\a.ckl".into(),
            },
            Op::StdinScript,
        ]
    }

    #[test]
    fn marker_roundtrips_for_every_op() {
        for op in all_ops() {
            let script = script_for(&op);
            assert!(script.starts_with(MARKER_PREFIX), "{script}");
            assert_eq!(parse_marker(&script), Some(op.clone()), "{script}");
            // Marker is exactly one line.
            let first = script.lines().next().unwrap();
            assert!(first.len() < 1000);
        }
    }

    #[test]
    fn marker_json_shape_is_documented_form() {
        let op = Op::ReadChunk {
            path: r"C:\x".into(),
            offset: 0,
            len: 524288,
        };
        let first = script_for(&op).lines().next().unwrap().to_string();
        assert_eq!(
            first,
            r#"# stigpack-op: {"op":"read-chunk","path":"C:\\x","offset":0,"len":524288}"#
        );
        assert_eq!(
            parse_marker(r#"# stigpack-op: {"op":"status"}"#),
            Some(Op::Status)
        );
    }

    #[test]
    fn read_gzip_contract_in_the_script() {
        let op = Op::ReadGzip {
            path: r"C:\x".into(),
            offset: 0,
            len: 10,
        };
        let script = script_for(&op);
        assert_eq!(
            script.lines().next().unwrap(),
            r#"# stigpack-op: {"op":"read-gzip","path":"C:\\x","offset":0,"len":10}"#
        );
        // The no-compression exit comes from creating the compressor, before any output.
        let create = script.find("GZipStream(").unwrap();
        let no_gzip = script.find("Fail-Stigpack 3").unwrap();
        let first_write = script.find("$out.Write").unwrap();
        assert!(create < no_gzip && no_gzip < first_write, "{script}");
        assert_eq!(EXIT_NO_COMPRESSION, 3);
        // Bounded memory: one block buffer, never the whole range.
        assert!(script.contains(&format!("New-Object byte[] {GZIP_READ_BLOCK}")));
        assert!(script.contains("[Convert]::ToBase64String"));
        assert!(!script.contains("ReadAllBytes"));
    }

    #[test]
    fn parse_marker_rejects_non_scripts() {
        assert_eq!(parse_marker("hostname"), None);
        assert_eq!(parse_marker("Write-Output 'x'"), None);
        assert_eq!(parse_marker(r#"# stigpack-op: {"op":"format-disk"}"#), None);
        assert_eq!(parse_marker(""), None);
    }

    #[test]
    fn quoting_neutralises_quotes() {
        assert_eq!(ps_quote("a'b"), "'a''b'");
        assert_eq!(ps_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(ps_quote("$(evil)"), "'$(evil)'");
        let s = script_for(&Op::FileHash {
            path: "x'; Remove-Item C:\\ -Recurse; '".into(),
        });
        assert!(s.contains("$p = 'x''; Remove-Item C:\\ -Recurse; '''"));
    }

    #[test]
    fn report_types_parse_powershell_json() {
        // ConvertTo-Json -Compress output shapes as Windows PowerShell 5.1 prints them.
        let s: StatusReport = serde_json::from_str(
            r#"{"hostname":"WS01","os_version":"10.0.20348.0","ps_version":"5.1.20348.2849","time_utc":"2026-11-22T20:00:00.0000000Z"}"#,
        )
        .unwrap();
        assert_eq!(s.hostname, "WS01");
        let t: TreeEntry =
            serde_json::from_str(r#"{"path":"sub/a.ckl","size":12,"sha256":"AB"}"#).unwrap();
        assert_eq!(t.size, 12);
        let h: FileHashReport = serde_json::from_str(r#"{"size":0,"sha256":"E3"}"#).unwrap();
        assert_eq!(h.size, 0);
    }

    /// Scripts must at least be syntactically valid PowerShell: checked with `pwsh` when it
    /// is installed (it is not on most Linux CI images, so this skips with a reason).
    #[test]
    fn scripts_parse_in_pwsh_when_available() {
        let Ok(out) = std::process::Command::new("pwsh").arg("-Version").output() else {
            eprintln!("skipping: pwsh not installed, PowerShell syntax not checked");
            return;
        };
        assert!(out.status.success());
        for op in all_ops() {
            let script = script_for(&op);
            let check = format!(
                "$e=$null; $null=[System.Management.Automation.Language.Parser]::ParseInput(@'\n{script}\n'@, [ref]$null, [ref]$e); if ($e) {{ $e; exit 1 }}"
            );
            let out = std::process::Command::new("pwsh")
                .args(["-NoProfile", "-Command", &check])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{script}\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}
