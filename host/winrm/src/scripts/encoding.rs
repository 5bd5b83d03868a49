//! How a script reaches `powershell.exe`: `-EncodedCommand` (base64 of UTF-16LE) on the
//! command line, or, when that would exceed cmd.exe's ~8191-character limit, a small
//! bootstrap on the command line that reads the script as base64 from stdin.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::ops::{script_for, Op};

/// Executable and fixed switches of every PowerShell invocation.
pub const PS_EXE: &str = "powershell.exe";
const PS_SWITCHES: [&str; 5] = [
    "-NoProfile",
    "-NonInteractive",
    "-ExecutionPolicy",
    "Bypass",
    "-EncodedCommand",
];

/// Longest command line (executable + arguments) sent as is; cmd.exe caps at 8191.
pub const STDIN_BOOTSTRAP_THRESHOLD: usize = 8000;

/// `-EncodedCommand` value for a script: base64 of its UTF-16LE bytes.
pub fn encode_command(script: &str) -> String {
    let bytes: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    B64.encode(bytes)
}

/// Inverse of [`encode_command`]; `None` when not base64 of valid UTF-16LE.
pub fn decode_encoded_command(encoded: &str) -> Option<String> {
    let bytes = B64.decode(encoded.trim()).ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// Body sent on stdin for the stdin bootstrap: base64 of the UTF-8 script, then CRLF.
pub fn encode_stdin_script(script: &str) -> Vec<u8> {
    let mut v = B64.encode(script.as_bytes()).into_bytes();
    v.extend_from_slice(b"\r\n");
    v
}

/// Inverse of [`encode_stdin_script`] (what the bootstrap does on the host).
pub fn decode_stdin_script(stdin: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(stdin).ok()?;
    let bytes = B64.decode(text.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

/// How a script is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsInvocation {
    /// The whole script is in the `-EncodedCommand` argument.
    Encoded { script: String },
    /// The command line carries the stdin bootstrap; the script must be sent on stdin
    /// with [`encode_stdin_script`], followed by end of stream.
    ViaStdin { script: String },
}

impl PsInvocation {
    /// The script the host will run, whichever way it travels.
    pub fn script(&self) -> &str {
        match self {
            PsInvocation::Encoded { script } | PsInvocation::ViaStdin { script } => script,
        }
    }
}

/// Command and arguments (for WinRS `rsp:Command` / `rsp:Arguments`) that run `script`,
/// and how the script travels.
pub fn powershell_command_line(script: &str) -> (String, Vec<String>, PsInvocation) {
    let encoded = encode_command(script);
    let len = PS_EXE.len() + PS_SWITCHES.iter().map(|s| s.len() + 1).sum::<usize>() + 1;
    let (arg, how) = if len + encoded.len() <= STDIN_BOOTSTRAP_THRESHOLD {
        (
            encoded,
            PsInvocation::Encoded {
                script: script.to_string(),
            },
        )
    } else {
        (
            encode_command(&script_for(&Op::StdinScript)),
            PsInvocation::ViaStdin {
                script: script.to_string(),
            },
        )
    };
    let mut args: Vec<String> = PS_SWITCHES.iter().map(|s| s.to_string()).collect();
    args.push(arg);
    (PS_EXE.to_string(), args, how)
}

/// For the simulator: recognises a PowerShell invocation (`command` plus `args`, or all
/// in `command` when the caller sent one string) and returns the decoded script given
/// with `-EncodedCommand`/`-enc`/`-e`. `None` when it is not such an invocation.
pub fn parse_powershell_command_line(command: &str, args: &[String]) -> Option<String> {
    let mut words: Vec<&str> = command.split_whitespace().collect();
    words.extend(args.iter().flat_map(|a| a.split_whitespace()));
    let exe = words.first()?.trim_matches('"').to_ascii_lowercase();
    let exe = exe.rsplit(['\\', '/']).next().unwrap_or(&exe).to_string();
    if !matches!(
        exe.as_str(),
        "powershell" | "powershell.exe" | "pwsh" | "pwsh.exe"
    ) {
        return None;
    }
    let mut it = words.iter().skip(1);
    while let Some(w) = it.next() {
        let lw = w.to_ascii_lowercase();
        if matches!(
            lw.as_str(),
            "-encodedcommand" | "-enc" | "-e" | "-ec" | "/encodedcommand"
        ) {
            return decode_encoded_command(it.next()?);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripts::parse_marker;

    #[test]
    fn encode_matches_known_value() {
        // [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes('hostname'))
        assert_eq!(encode_command("hostname"), "aABvAHMAdABuAGEAbQBlAA==");
        assert_eq!(
            decode_encoded_command("aABvAHMAdABuAGEAbQBlAA==").as_deref(),
            Some("hostname")
        );
        let s = "Write-Output 'é😀'\r\nexit 3";
        assert_eq!(
            decode_encoded_command(&encode_command(s)).as_deref(),
            Some(s)
        );
        assert_eq!(decode_encoded_command("!!"), None);
        assert_eq!(decode_encoded_command("YQ=="), None); // odd byte count
    }

    #[test]
    fn encode_matches_pywinrm_recorded_request() {
        // pywinrm's run_ps_request.xml carries `powershell -encodedcommand <b64>` of
        // `Write-Error "Error"`: our encoder must produce the same base64.
        let xml = std::fs::read_to_string(
            crate::shared_dir().join("samples/winrm/pywinrm/run_ps_request.xml"),
        )
        .unwrap();
        let start = xml.find("-encodedcommand ").unwrap() + "-encodedcommand ".len();
        let end = start + xml[start..].find('<').unwrap();
        let script = decode_encoded_command(&xml[start..end]).unwrap();
        assert_eq!(script, "Write-Error \"Error\"");
        assert_eq!(encode_command(&script), xml[start..end].trim());
    }

    #[test]
    fn short_scripts_go_encoded_long_via_stdin() {
        let op = Op::Status;
        let script = script_for(&op);
        let (cmd, args, how) = powershell_command_line(&script);
        assert_eq!(cmd, "powershell.exe");
        assert!(matches!(how, PsInvocation::Encoded { .. }));
        let decoded = parse_powershell_command_line(&cmd, &args).unwrap();
        assert_eq!(parse_marker(&decoded), Some(Op::Status));
        assert!(cmd.len() + args.iter().map(|a| a.len() + 1).sum::<usize>() <= 8000);

        let long = format!("{}\n# {}\n", script, "x".repeat(9000));
        let (cmd, args, how) = powershell_command_line(&long);
        let PsInvocation::ViaStdin { script: sent } = &how else {
            panic!("expected stdin delivery")
        };
        assert_eq!(sent, &long);
        let boot = parse_powershell_command_line(&cmd, &args).unwrap();
        assert_eq!(parse_marker(&boot), Some(Op::StdinScript));
        let stdin = encode_stdin_script(&long);
        let back = decode_stdin_script(&stdin).unwrap();
        assert_eq!(back, long);
        assert_eq!(parse_marker(&back), Some(Op::Status));
    }

    #[test]
    fn command_line_parsing_variants() {
        let enc = encode_command("hostname");
        assert_eq!(
            parse_powershell_command_line(&format!("powershell -encodedcommand {enc}"), &[])
                .as_deref(),
            Some("hostname")
        );
        assert_eq!(
            parse_powershell_command_line(
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                &["-NoProfile".into(), "-enc".into(), enc.clone()]
            )
            .as_deref(),
            Some("hostname")
        );
        assert_eq!(parse_powershell_command_line("hostname", &[]), None);
        assert_eq!(
            parse_powershell_command_line("cmd.exe", &["/c".into()]),
            None
        );
    }
}
