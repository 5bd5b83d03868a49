//! Parsing responses: shell and command ids, Receive output and state, and faults.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::xml::{parse, Element, XmlError};
use super::{fault_code, STATE_DONE};

/// A WS-Management fault, as Windows reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsmanFault {
    /// `WSManFault/@Code` (or the WMI `error_Code`), e.g. 2150858793.
    pub code: Option<u32>,
    /// `WSManFault/@Machine`.
    pub machine: Option<String>,
    /// SOAP `Code/Value`, e.g. `s:Receiver`.
    pub value: Option<String>,
    /// SOAP `Code/Subcode/Value`, e.g. `w:TimedOut`.
    pub subcode: Option<String>,
    /// SOAP `Reason/Text`, trimmed.
    pub reason: Option<String>,
    /// `WSManFault/Message` (or WMI `Message`), trimmed.
    pub message: Option<String>,
}

impl WsmanFault {
    /// The operation-timeout fault Receive answers when no output arrived in time.
    pub fn is_operation_timeout(&self) -> bool {
        self.code == Some(fault_code::OPERATION_TIMEOUT)
    }

    /// Quota / busy faults that succeed when retried later.
    pub fn is_busy(&self) -> bool {
        matches!(
            self.code,
            Some(fault_code::CONCURRENT_OPERATIONS_QUOTA | fault_code::SHELL_QUOTA)
        ) || self
            .subcode
            .as_deref()
            .is_some_and(|s| s.ends_with("QuotaLimit"))
    }

    /// The most specific human-readable text.
    pub fn text(&self) -> String {
        self.message
            .clone()
            .or_else(|| self.reason.clone())
            .or_else(|| self.subcode.clone())
            .or_else(|| self.value.clone())
            .unwrap_or_else(|| "unspecified fault".into())
    }
}

impl std::fmt::Display for WsmanFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(c) => write!(f, "WSManFault {c}: {}", self.text()),
            None => write!(f, "SOAP fault: {}", self.text()),
        }
    }
}

/// Why a response could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SoapError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("{0}")]
    Fault(Box<WsmanFault>),
    #[error("response is not a SOAP envelope")]
    NotEnvelope,
    #[error("response lacks {0}")]
    Missing(&'static str),
    #[error("invalid base64 in {stream} stream")]
    BadStream { stream: String },
    #[error("invalid exit code {0:?}")]
    BadExitCode(String),
}

fn body(root: &Element) -> Result<&Element, SoapError> {
    if root.name != "Envelope" {
        return Err(SoapError::NotEnvelope);
    }
    root.child("Body").ok_or(SoapError::Missing("a SOAP Body"))
}

fn trimmed(e: Option<&Element>) -> Option<String> {
    e.map(|e| e.deep_text().trim().to_string())
        .filter(|s| !s.is_empty())
}

fn fault_of(root: &Element) -> Option<WsmanFault> {
    let fault = root.child("Body")?.child("Fault")?;
    let code = fault.child("Code");
    let value = trimmed(code.and_then(|c| c.child("Value")));
    let subcode = trimmed(code.and_then(|c| c.path(&["Subcode", "Value"])));
    let reason = trimmed(fault.path(&["Reason", "Text"]));
    let detail = fault.child("Detail");
    let wsman = detail.and_then(|d| d.child("WSManFault"));
    let wmi = detail.and_then(|d| d.child("MSFT_WmiError"));
    let (code, machine, message) = if let Some(w) = wsman {
        (
            w.attr("Code").and_then(|c| c.trim().parse().ok()),
            w.attr("Machine").map(str::to_string),
            trimmed(w.child("Message")),
        )
    } else if let Some(w) = wmi {
        (
            w.child("error_Code")
                .and_then(|c| c.deep_text().trim().parse().ok()),
            None,
            trimmed(w.child("Message")),
        )
    } else {
        (None, None, None)
    };
    Some(WsmanFault {
        code,
        machine,
        value,
        subcode,
        reason,
        message,
    })
}

/// The fault in a response, if it is one.
pub fn parse_fault(xml: &[u8]) -> Result<Option<WsmanFault>, SoapError> {
    let root = parse(xml)?;
    body(&root)?;
    Ok(fault_of(&root))
}

fn parse_ok(xml: &[u8]) -> Result<Element, SoapError> {
    let root = parse(xml)?;
    body(&root)?;
    if let Some(f) = fault_of(&root) {
        return Err(SoapError::Fault(Box::new(f)));
    }
    Ok(root)
}

/// Shell id from a Create response (`ResourceCreated` selector, or `rsp:Shell/ShellId`).
pub fn parse_shell_id(xml: &[u8]) -> Result<String, SoapError> {
    let root = parse_ok(xml)?;
    let b = body(&root)?;
    let from_selector = b
        .find("Selector")
        .filter(|s| s.attr("Name") == Some("ShellId"));
    let id = trimmed(from_selector).or_else(|| trimmed(b.find("ShellId")));
    id.ok_or(SoapError::Missing("a ShellId"))
}

/// Command id from a Command response.
pub fn parse_command_id(xml: &[u8]) -> Result<String, SoapError> {
    let root = parse_ok(xml)?;
    trimmed(body(&root)?.find("CommandId")).ok_or(SoapError::Missing("a CommandId"))
}

/// Where a command stands after a Receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandState {
    Running,
    /// Finished, with the process exit code (Windows reports a DWORD; values above
    /// `i32::MAX` are mapped to the negative `i32` Windows tools print, e.g. -1).
    Done {
        exit_code: i32,
    },
}

/// One Receive response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub state: CommandState,
}

/// Output chunks and state of a Receive response. Streams of other commands are ignored.
pub fn parse_receive(xml: &[u8], command_id: &str) -> Result<ReceiveOutput, SoapError> {
    let root = parse_ok(xml)?;
    let b = body(&root)?;
    let resp = b
        .child("ReceiveResponse")
        .ok_or(SoapError::Missing("a ReceiveResponse"))?;
    let mut out = ReceiveOutput {
        stdout: Vec::new(),
        stderr: Vec::new(),
        state: CommandState::Running,
    };
    let ours = |e: &Element| {
        e.attr("CommandId")
            .is_none_or(|id| id.eq_ignore_ascii_case(command_id))
    };
    for s in resp.children_named("Stream").filter(|e| ours(e)) {
        let name = s.attr("Name").unwrap_or_default();
        let raw = s.text.as_bytes();
        if raw.is_empty() {
            continue;
        }
        let bytes = if raw.iter().any(u8::is_ascii_whitespace) {
            let compact: Vec<u8> = raw
                .iter()
                .copied()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            B64.decode(compact)
        } else {
            B64.decode(raw)
        };
        let bytes = bytes.map_err(|_| SoapError::BadStream {
            stream: name.to_string(),
        })?;
        match name {
            "stdout" => out.stdout.extend_from_slice(&bytes),
            "stderr" => out.stderr.extend_from_slice(&bytes),
            _ => {}
        }
    }
    if let Some(state) = resp.children_named("CommandState").find(|e| ours(e)) {
        if state.attr("State") == Some(STATE_DONE) {
            let code = trimmed(state.child("ExitCode")).unwrap_or_else(|| "0".into());
            let exit_code = code
                .parse::<i64>()
                .ok()
                .and_then(|v| {
                    if let Ok(v) = i32::try_from(v) {
                        Some(v)
                    } else {
                        u32::try_from(v).ok().map(|u| u as i32)
                    }
                })
                .ok_or(SoapError::BadExitCode(code))?;
            out.state = CommandState::Done { exit_code };
        }
    }
    Ok(out)
}
