//! Reads a WS-Management request envelope into the fields a WinRS shell service acts on.

use std::time::Duration;

use super::response::Fault;
use super::xml::{self, Element};

pub const ACTION_CREATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create";
pub const ACTION_DELETE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete";
pub const ACTION_COMMAND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command";
pub const ACTION_SEND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send";
pub const ACTION_RECEIVE: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive";
pub const ACTION_SIGNAL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal";
pub const SIGNAL_TERMINATE: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate";
pub const SIGNAL_CTRL_C: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c";

/// Which WinRS operation a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    Delete,
    Command {
        command: String,
        arguments: Vec<String>,
    },
    Send {
        command_id: String,
        data: Vec<u8>,
        end: bool,
    },
    Receive {
        command_id: Option<String>,
    },
    Signal {
        command_id: Option<String>,
        code: String,
    },
}

/// The parts of a request the simulator needs.
#[derive(Debug, Clone)]
pub struct Request {
    pub message_id: String,
    pub to: String,
    pub action: Action,
    /// The client's `w:MaxEnvelopeSize` in bytes (bounds each response).
    pub max_envelope_size: usize,
    /// The client's `w:OperationTimeout`.
    pub operation_timeout: Duration,
    pub shell_id: Option<String>,
    pub options: Vec<(String, String)>,
}

/// Windows' default when a client sends no MaxEnvelopeSize header (153600 bytes = 150 KB).
const DEFAULT_MAX_ENVELOPE: usize = 153_600;
const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(60);

impl Request {
    /// Parses an envelope; malformed input becomes the schema-validation fault a real host sends.
    pub fn parse(body: &str) -> Result<Request, Fault> {
        let root = xml::parse(body).map_err(|e| Fault::schema_validation(&e))?;
        if root.name != "Envelope" {
            return Err(Fault::schema_validation(
                "the root element is not a SOAP Envelope",
            ));
        }
        let header = root
            .child("Header")
            .ok_or_else(|| Fault::schema_validation("the SOAP Header is missing"))?;
        let body = root
            .child("Body")
            .ok_or_else(|| Fault::schema_validation("the SOAP Body is missing"))?;
        let text = |name: &str| header.child(name).map(|e| e.text.trim().to_string());
        let action_uri = text("Action")
            .ok_or_else(|| Fault::schema_validation("the a:Action header is missing"))?;
        let message_id = text("MessageID").unwrap_or_default();
        let to = text("To").unwrap_or_default();
        let max_envelope_size = match text("MaxEnvelopeSize") {
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| Fault::schema_validation("MaxEnvelopeSize is not a number"))?,
            None => DEFAULT_MAX_ENVELOPE,
        };
        let operation_timeout = match text("OperationTimeout") {
            Some(v) => parse_duration(&v).ok_or_else(|| {
                Fault::schema_validation("OperationTimeout is not an xs:duration")
            })?,
            None => DEFAULT_OPERATION_TIMEOUT,
        };
        let shell_id = header.child("SelectorSet").and_then(|s| {
            s.children_named("Selector")
                .find(|sel| sel.attr("Name") == Some("ShellId"))
                .map(|sel| sel.text.trim().to_string())
        });
        let options = header
            .child("OptionSet")
            .map(|o| {
                o.children_named("Option")
                    .map(|opt| {
                        (
                            opt.attr("Name").unwrap_or_default().to_string(),
                            opt.text.trim().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let action = parse_action(&action_uri, body)?;
        Ok(Request {
            message_id,
            to,
            action,
            max_envelope_size,
            operation_timeout,
            shell_id,
            options,
        })
    }
}

fn parse_action(uri: &str, body: &Element) -> Result<Action, Fault> {
    match uri {
        ACTION_CREATE => Ok(Action::Create),
        ACTION_DELETE => Ok(Action::Delete),
        ACTION_COMMAND => {
            let line = body
                .child("CommandLine")
                .ok_or_else(|| Fault::schema_validation("rsp:CommandLine is missing"))?;
            let command = line
                .child("Command")
                .map(|c| c.text.trim().to_string())
                .unwrap_or_default();
            let arguments = line
                .children_named("Arguments")
                .map(|a| a.text.clone())
                .collect();
            Ok(Action::Command { command, arguments })
        }
        ACTION_SEND => {
            let stream = body
                .path(&["Send", "Stream"])
                .ok_or_else(|| Fault::schema_validation("rsp:Send/rsp:Stream is missing"))?;
            let command_id = stream.attr("CommandId").unwrap_or_default().to_string();
            let end = matches!(stream.attr("End"), Some("true") | Some("TRUE") | Some("1"));
            let cleaned: String = stream.text.chars().filter(|c| !c.is_whitespace()).collect();
            let data = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, cleaned)
                .map_err(|_| Fault::schema_validation("the stdin stream is not valid base64"))?;
            Ok(Action::Send {
                command_id,
                data,
                end,
            })
        }
        ACTION_RECEIVE => {
            let ds = body.path(&["Receive", "DesiredStream"]);
            Ok(Action::Receive {
                command_id: ds.and_then(|d| d.attr("CommandId")).map(str::to_string),
            })
        }
        ACTION_SIGNAL => {
            let sig = body
                .child("Signal")
                .ok_or_else(|| Fault::schema_validation("rsp:Signal is missing"))?;
            Ok(Action::Signal {
                command_id: sig.attr("CommandId").map(str::to_string),
                code: sig
                    .child("Code")
                    .map(|c| c.text.trim().to_string())
                    .unwrap_or_default(),
            })
        }
        other => Err(Fault::action_not_supported(other)),
    }
}

/// Parses the xs:duration forms WinRM clients send (`PT20S`, `PT20.000S`, `PT1M30S`, `PT2H`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix("PT")?;
    let mut total = 0f64;
    let mut num = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = num.parse().ok()?;
                num.clear();
                total += v * match c {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
            }
            _ => return None,
        }
    }
    if !num.is_empty() || !total.is_finite() || total < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        std::fs::read_to_string(crate::shared_dir().join("samples/winrm/pywinrm").join(name))
            .unwrap()
    }

    #[test]
    fn parses_pywinrm_requests() {
        let r = Request::parse(&sample("open_shell_request.xml")).unwrap();
        assert_eq!(r.action, Action::Create);
        assert_eq!(r.max_envelope_size, 153600);
        assert_eq!(r.operation_timeout, Duration::from_secs(20));
        assert!(r.options.contains(&("WINRS_CODEPAGE".into(), "437".into())));

        let r = Request::parse(&sample("run_cmd_send_input.xml")).unwrap();
        match r.action {
            Action::Send { data, end, .. } => {
                assert_eq!(data, b"echo \"hello world\" && exit\r\n");
                assert!(!end);
            }
            other => panic!("{other:?}"),
        }
        let r = Request::parse(&sample("close_shell_request.xml")).unwrap();
        assert_eq!(r.action, Action::Delete);
        assert_eq!(
            r.shell_id.as_deref(),
            Some("11111111-1111-1111-1111-111111111113")
        );
        let r = Request::parse(&sample("run_cmd_with_args_request.xml")).unwrap();
        assert_eq!(
            r.action,
            Action::Command {
                command: "ipconfig".into(),
                arguments: vec!["/all".into()]
            }
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT20.000S"), Some(Duration::from_secs(20)));
        assert_eq!(parse_duration("PT1M30S"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("P1D"), None);
    }
}
