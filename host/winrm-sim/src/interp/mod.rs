//! What a simulated host runs when a WinRS Command arrives: cmd.exe semantics for plain
//! command lines, powershell.exe for `powershell ...` (with `-EncodedCommand`, `-Command`,
//! or a script over stdin), the stigpack client's scripts (recognised by their marker), and
//! a few everyday commands. Anything else fails exactly as Windows reports it.

pub mod clixml;
pub mod outcome;
pub mod powershell;

use crate::machine::Machine;
use outcome::{Launch, Outcome};

/// cmd.exe's command-line limit; longer lines fail with "The filename or extension is too long".
pub const MAX_COMMAND_LINE: usize = 8191;

/// Starts a command line (`rsp:Command` plus `rsp:Arguments`).
pub fn launch(host: &Machine, command: &str, arguments: &[String]) -> Launch {
    let mut line = command.trim().to_string();
    for a in arguments {
        line.push(' ');
        line.push_str(a);
    }
    run_cmd_line(host, &line)
}

fn run_cmd_line(host: &Machine, line: &str) -> Launch {
    let tokens = split_args(line);
    let Some(first) = tokens.first() else {
        return Launch::Ready(Outcome::default());
    };
    let exe = first.to_ascii_lowercase();
    let exe = exe.trim_end_matches(".exe");
    let exe = exe.rsplit(['\\', '/']).next().unwrap_or(exe);
    match exe {
        "powershell" | "pwsh" => powershell::launch(host, &tokens[1..]),
        "cmd" => {
            // cmd /c <rest>
            let rest: Vec<&String> = tokens[1..]
                .iter()
                .skip_while(|t| !t.eq_ignore_ascii_case("/c") && !t.eq_ignore_ascii_case("/k"))
                .skip(1)
                .collect();
            let rest: Vec<String> = rest.into_iter().cloned().collect();
            run_cmd_line(host, &rest.join(" "))
        }
        "hostname" => Launch::Ready(Outcome::ok(format!("{}\r\n", host.name()))),
        "exit" => {
            let code = tokens[1..]
                .iter()
                .find(|t| !t.eq_ignore_ascii_case("/b"))
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(0);
            Launch::Ready(Outcome {
                exit_code: code,
                ..Default::default()
            })
        }
        "echo" => {
            let text = line
                .trim_start()
                .get(first.len()..)
                .unwrap_or_default()
                .trim_start();
            Launch::Ready(Outcome::ok(format!("{text}\r\n")))
        }
        "type" => {
            let path = tokens.get(1).map(String::as_str).unwrap_or_default();
            match host.read_file(path) {
                Some(bytes) => Launch::Ready(Outcome::ok(bytes)),
                None => Launch::Ready(Outcome {
                    stderr: b"The system cannot find the file specified.\r\n".to_vec(),
                    exit_code: 1,
                    ..Default::default()
                }),
            }
        }
        _ => Launch::Ready(Outcome {
            stderr: format!(
                "'{first}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
            )
            .into_bytes(),
            exit_code: 9009,
            ..Default::default()
        }),
    }
}

/// Splits a command line like the Windows C runtime does for the common cases:
/// whitespace separates, double quotes group.
pub fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut has = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                has = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        out.push(cur);
    }
    out
}
