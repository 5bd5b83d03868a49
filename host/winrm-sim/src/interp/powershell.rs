//! powershell.exe as a simulated host runs it: command-line flags, the stigpack client's
//! scripts (by their `# stigpack-op:` marker), and a small statement interpreter for the
//! everyday commands people type (`hostname`, `Write-Output`, `Write-Error`, `exit`).

use std::time::Duration;

use super::clixml::{self, ErrorRecord};
use super::outcome::{Launch, Outcome, StdinMode};
use crate::machine::Machine;
use stigpack_winrm::scripts::{self, Op};

/// Handles `powershell <flags>`: finds the script in `-EncodedCommand`, `-Command`, or stdin.
pub fn launch(host: &Machine, args: &[String]) -> Launch {
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].to_ascii_lowercase();
        if !flag.starts_with('-') && !flag.starts_with('/') {
            // A bare script text is treated as -Command.
            return Launch::Ready(run_script(host, &args[i..].join(" ")));
        }
        let name = flag.trim_start_matches(['-', '/']);
        if name.is_empty() {
            return Launch::AwaitStdin(StdinMode::Text);
        }
        if is_abbrev(name, "encodedcommand", 1) || name == "ec" || name == "enc" {
            let Some(b64) = args.get(i + 1) else {
                return Launch::Ready(usage_error("-EncodedCommand"));
            };
            return match scripts::decode_encoded_command(b64) {
                Some(script) if scripts::parse_marker(&script) == Some(Op::StdinScript) => {
                    Launch::AwaitStdin(StdinMode::Base64)
                }
                Some(script) => Launch::Ready(run_script(host, &script)),
                None => Launch::Ready(Outcome {
                    stderr: b"Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.\r\n".to_vec(),
                    exit_code: 1,
                    ..Default::default()
                }),
            };
        }
        if is_abbrev(name, "command", 1) {
            let rest = &args[i + 1..];
            if rest.len() == 1 && rest[0] == "-" {
                return Launch::AwaitStdin(StdinMode::Text);
            }
            if rest.is_empty() {
                return Launch::Ready(usage_error("-Command"));
            }
            return Launch::Ready(run_script(host, &rest.join(" ")));
        }
        // Flags taking a value.
        if [
            "executionpolicy",
            "ex",
            "ep",
            "inputformat",
            "if",
            "outputformat",
            "of",
            "windowstyle",
            "w",
            "version",
            "v",
            "configurationname",
        ]
        .iter()
        .any(|f| name == *f || is_abbrev(name, f, 3))
        {
            i += 2;
            continue;
        }
        // Switches: -NoProfile, -NonInteractive, -NoLogo, -Sta, -Mta ...
        i += 1;
    }
    Launch::Ready(Outcome::default())
}

fn is_abbrev(given: &str, full: &str, min: usize) -> bool {
    given.len() >= min && full.starts_with(given)
}

fn usage_error(flag: &str) -> Outcome {
    Outcome {
        stderr: format!("Missing argument for parameter {flag}. Specify a parameter of type 'System.String' and try again.\r\n").into_bytes(),
        exit_code: 1,
        ..Default::default()
    }
}

/// Runs a script arriving over stdin (`powershell -Command -`).
pub fn run_stdin_script(host: &Machine, stdin: &[u8], mode: StdinMode) -> Outcome {
    if mode == StdinMode::Base64 {
        return match scripts::decode_stdin_script(stdin) {
            Some(script) => run_script(host, &script),
            None => Outcome {
                stderr: scripts::encode_clixml_error("Exception calling \"FromBase64String\" with \"1\" argument(s): \"The input is not a valid Base-64 string.\"").into_bytes(),
                exit_code: 1,
                ..Default::default()
            },
        };
    }
    let text = String::from_utf8_lossy(stdin);
    let text = text.trim_start_matches('\u{feff}');
    run_script(host, text)
}

/// Runs a PowerShell script: a stigpack client script if it carries the op marker,
/// otherwise statement by statement.
pub fn run_script(host: &Machine, script: &str) -> Outcome {
    if let Some(out) = crate::ops::run(host, script) {
        return out;
    }
    let mut stdout = String::new();
    let mut errors: Vec<ErrorRecord> = Vec::new();
    let mut last_failed = false;
    let mut delay = Duration::ZERO;
    let mut exit_code: Option<i64> = None;
    for stmt in split_statements(script) {
        let stmt = stmt.trim();
        if stmt.is_empty() || stmt.starts_with('#') {
            continue;
        }
        let words = tokenize(stmt);
        let Some(cmd) = words.first() else { continue };
        let cmd_l = cmd.text.to_ascii_lowercase();
        let args: Vec<&str> = words[1..].iter().map(|w| w.text.as_str()).collect();
        last_failed = false;
        match cmd_l.as_str() {
            "hostname" | "hostname.exe" | "$env:computername" => {
                stdout.push_str(host.name());
                stdout.push_str("\r\n");
            }
            "write-output" | "echo" | "write" | "write-host" => {
                for a in args.iter().filter(|a| !a.starts_with('-') || a.len() == 1) {
                    stdout.push_str(&expand(host, a));
                    stdout.push_str("\r\n");
                }
            }
            "write-error" => {
                let msg = args
                    .iter()
                    .filter(|a| !a.eq_ignore_ascii_case("-message"))
                    .map(|a| expand(host, a))
                    .collect::<Vec<_>>()
                    .join(" ");
                errors.push(ErrorRecord::write_error(stmt, &msg));
                last_failed = true;
            }
            "exit" => {
                exit_code = Some(args.first().and_then(|a| a.parse().ok()).unwrap_or(0));
                break;
            }
            "start-sleep" | "sleep" => {
                let mut ms = false;
                let mut value = None;
                for a in &args {
                    let al = a.to_ascii_lowercase();
                    if al.starts_with("-m") {
                        ms = true;
                    } else if !al.starts_with('-') {
                        value = a.parse::<f64>().ok();
                    }
                }
                if let Some(v) = value.filter(|v| v.is_finite() && *v >= 0.0) {
                    delay += if ms {
                        Duration::from_secs_f64(v / 1000.0)
                    } else {
                        Duration::from_secs_f64(v)
                    };
                }
            }
            "get-content" | "gc" | "cat" | "type" => {
                let path = args
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .map(|a| expand(host, a))
                    .unwrap_or_default();
                match host.read_file(&path) {
                    Some(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        let text = text.trim_start_matches('\u{feff}');
                        for line in text.lines() {
                            stdout.push_str(line);
                            stdout.push_str("\r\n");
                        }
                    }
                    None => {
                        errors.push(ErrorRecord::path_not_found("Get-Content", &path));
                        last_failed = true;
                    }
                }
            }
            "test-path" => {
                let path = args
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .map(|a| expand(host, a))
                    .unwrap_or_default();
                stdout.push_str(if host.path_exists(&path) {
                    "True\r\n"
                } else {
                    "False\r\n"
                });
            }
            _ => {
                errors.push(ErrorRecord::not_recognized(&cmd.text));
                last_failed = true;
            }
        }
    }
    Outcome {
        stdout: stdout.into_bytes(),
        stderr: clixml::render(&errors),
        exit_code: exit_code.unwrap_or(if last_failed { 1 } else { 0 }),
        delay,
        stream: None,
    }
}

/// Expands the one variable people use in these one-liners.
fn expand(host: &Machine, s: &str) -> String {
    s.replace("$env:COMPUTERNAME", host.name())
}

#[derive(Debug)]
struct Word {
    text: String,
}

/// Splits a statement into words; quoted strings become one word with quotes removed
/// ('' inside single quotes and `" inside double quotes are escapes).
fn tokenize(stmt: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut chars = stmt.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut text = String::new();
        if c == '\'' || c == '"' {
            chars.next();
            while let Some(ch) = chars.next() {
                if ch == c {
                    if chars.peek() == Some(&c) {
                        text.push(c);
                        chars.next();
                        continue;
                    }
                    break;
                }
                if c == '"' && ch == '`' {
                    if let Some(n) = chars.next() {
                        text.push(match n {
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            other => other,
                        });
                    }
                    continue;
                }
                text.push(ch);
            }
        } else {
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                text.push(ch);
                chars.next();
            }
        }
        out.push(Word { text });
    }
    out
}

/// Splits a script into statements at newlines and `;` outside quotes.
fn split_statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in script.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, '\n' | '\r' | ';') => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pywinrm_encoded_command() {
        // From the recorded run_ps_request.xml: Write-Error "Error"
        assert_eq!(
            scripts::decode_encoded_command("VwByAGkAdABlAC0ARQByAHIAbwByACAAIgBFAHIAcgBvAHIAIgA=")
                .as_deref(),
            Some("Write-Error \"Error\"")
        );
    }

    #[test]
    fn statements_and_words() {
        let s = split_statements("Write-Output 'a;b'; exit 3\nhostname");
        assert_eq!(s, vec!["Write-Output 'a;b'", " exit 3", "hostname"]);
        let w = tokenize("Write-Output 'it''s' \"x`ty\"");
        assert_eq!(w[1].text, "it's");
        assert_eq!(w[2].text, "x\ty");
    }
}
