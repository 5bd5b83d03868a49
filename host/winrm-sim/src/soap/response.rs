//! Response and fault envelopes, shaped like the ones recorded from real Windows hosts in
//! `shared/samples/winrm` (same namespaces, prefixes, actions and fault detail layout).

use base64::Engine;

use super::xml::escape;

const ENVELOPE_OPEN: &str = r#"<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">"#;
const FAULT_ENVELOPE_OPEN: &str = r#"<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">"#;
const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
const SHELL_NS: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
pub const RESOURCE_URI_CMD: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd";

/// Bytes a Receive response costs besides its stream payloads (header, body wrapper,
/// CommandState); used to keep each response under the client's MaxEnvelopeSize.
pub const RECEIVE_OVERHEAD: usize = 1400;
/// Bytes each `rsp:Stream` element costs besides its base64 payload.
pub const STREAM_OVERHEAD: usize = 140;

fn header(action: &str, message_id: &str, relates_to: &str) -> String {
    format!(
        "<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{message_id}</a:MessageID><a:To>{ANONYMOUS}</a:To><a:RelatesTo>{}</a:RelatesTo></s:Header>",
        escape(relates_to)
    )
}

fn envelope(action: &str, message_id: &str, relates_to: &str, body: &str) -> String {
    format!(
        "{ENVELOPE_OPEN}{}<s:Body>{body}</s:Body></s:Envelope>",
        header(action, message_id, relates_to)
    )
}

/// `CreateResponse` with the ResourceCreated reference and the shell's properties.
pub fn create_response(
    message_id: &str,
    relates_to: &str,
    endpoint: &str,
    shell_id: &str,
    owner: &str,
    client_ip: &str,
) -> String {
    let body = format!(
        "<x:ResourceCreated><a:Address>{}</a:Address><a:ReferenceParameters><w:ResourceURI>{RESOURCE_URI_CMD}</w:ResourceURI><w:SelectorSet><w:Selector Name=\"ShellId\">{shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell xmlns:rsp=\"{SHELL_NS}\"><rsp:ShellId>{shell_id}</rsp:ShellId><rsp:ResourceUri>{RESOURCE_URI_CMD}</rsp:ResourceUri><rsp:Owner>{}</rsp:Owner><rsp:ClientIP>{client_ip}</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>",
        escape(endpoint),
        escape(owner)
    );
    envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
        message_id,
        relates_to,
        &body,
    )
}

pub fn delete_response(message_id: &str, relates_to: &str) -> String {
    format!(
        "{ENVELOPE_OPEN}{}<s:Body></s:Body></s:Envelope>",
        header(
            "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse",
            message_id,
            relates_to
        )
    )
}

pub fn command_response(message_id: &str, relates_to: &str, command_id: &str) -> String {
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse",
        message_id,
        relates_to,
        &format!("<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"),
    )
}

pub fn send_response(message_id: &str, relates_to: &str) -> String {
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse",
        message_id,
        relates_to,
        "<rsp:SendResponse/>",
    )
}

pub fn signal_response(message_id: &str, relates_to: &str) -> String {
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse",
        message_id,
        relates_to,
        "<rsp:SignalResponse/>",
    )
}

/// One stream element in a Receive response.
#[derive(Debug)]
pub struct StreamChunk<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
    pub end: bool,
}

/// A `ReceiveResponse`: stream chunks then the command state (Running, or Done + exit code).
pub fn receive_response(
    message_id: &str,
    relates_to: &str,
    command_id: &str,
    chunks: &[StreamChunk<'_>],
    exit_code: Option<i64>,
) -> String {
    let mut body = String::from("<rsp:ReceiveResponse>");
    for c in chunks {
        let end = if c.end { " End=\"true\"" } else { "" };
        if c.data.is_empty() {
            body.push_str(&format!(
                "<rsp:Stream Name=\"{}\" CommandId=\"{command_id}\"{end}></rsp:Stream>",
                c.name
            ));
        } else {
            body.push_str(&format!(
                "<rsp:Stream Name=\"{}\" CommandId=\"{command_id}\"{end}>{}</rsp:Stream>",
                c.name,
                base64::engine::general_purpose::STANDARD.encode(c.data)
            ));
        }
    }
    match exit_code {
        Some(code) => body.push_str(&format!(
            "<rsp:CommandState CommandId=\"{command_id}\" State=\"{SHELL_NS}/CommandState/Done\"><rsp:ExitCode>{code}</rsp:ExitCode></rsp:CommandState>"
        )),
        None => body.push_str(&format!(
            "<rsp:CommandState CommandId=\"{command_id}\" State=\"{SHELL_NS}/CommandState/Running\"></rsp:CommandState>"
        )),
    }
    body.push_str("</rsp:ReceiveResponse>");
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse",
        message_id,
        relates_to,
        &body,
    )
}

/// A WS-Management fault (always sent with HTTP 500, as Windows does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `s:Sender` or `s:Receiver`.
    pub code: &'static str,
    /// e.g. `w:TimedOut`, `w:InvalidSelectors`.
    pub subcode: &'static str,
    pub reason: String,
    /// The WSManFault `Code` attribute (a Windows error code).
    pub wsman_code: u32,
    /// Optional provider fault (the shell plugin reporting the error).
    pub provider: bool,
}

pub const CODE_OPERATION_TIMEOUT: u32 = 2_150_858_793;
pub const CODE_SCHEMA_VALIDATION: u32 = 2_150_858_817;
pub const CODE_SHELL_NOT_FOUND: u32 = 2_150_858_843;
pub const CODE_QUOTA: u32 = 2_150_859_174;
pub const CODE_ACTION_NOT_SUPPORTED: u32 = 2_150_858_757;
pub const CODE_FILENAME_TOO_LONG: u32 = 2_147_942_606;
pub const CODE_INTERNAL: u32 = 2_150_858_770;

impl Fault {
    pub fn operation_timeout() -> Fault {
        Fault {
            code: "s:Receiver",
            subcode: "w:TimedOut",
            reason: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ".into(),
            wsman_code: CODE_OPERATION_TIMEOUT,
            provider: false,
        }
    }

    pub fn schema_validation(detail: &str) -> Fault {
        Fault {
            code: "s:Sender",
            subcode: "w:SchemaValidationError",
            reason: format!("The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ({detail})"),
            wsman_code: CODE_SCHEMA_VALIDATION,
            provider: false,
        }
    }

    pub fn action_not_supported(action: &str) -> Fault {
        Fault {
            code: "s:Sender",
            subcode: "a:ActionNotSupported",
            reason: format!(
                "The WS-Management service does not support the specified action {action}. "
            ),
            wsman_code: CODE_ACTION_NOT_SUPPORTED,
            provider: false,
        }
    }

    pub fn shell_not_found(shell_id: &str) -> Fault {
        Fault {
            code: "s:Sender",
            subcode: "w:InvalidSelectors",
            reason: format!("The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "),
            wsman_code: CODE_SHELL_NOT_FOUND,
            provider: false,
        }
    }

    pub fn command_not_found(command_id: &str) -> Fault {
        Fault {
            code: "s:Sender",
            subcode: "w:InvalidParameter",
            reason: format!("The request for the Windows Remote Shell failed because the command with CommandId {command_id} was not found on the server. "),
            wsman_code: CODE_SHELL_NOT_FOUND,
            provider: false,
        }
    }

    pub fn shell_quota(limit: usize) -> Fault {
        Fault {
            code: "s:Receiver",
            subcode: "w:QuotaLimit",
            reason: format!("The WS-Management service cannot process the request. This user is allowed a maximum number of {limit} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "),
            wsman_code: CODE_QUOTA,
            provider: false,
        }
    }

    pub fn command_line_too_long() -> Fault {
        Fault {
            code: "s:Receiver",
            subcode: "w:InternalError",
            reason: "The filename or extension is too long. ".into(),
            wsman_code: CODE_FILENAME_TOO_LONG,
            provider: true,
        }
    }

    /// Renders the fault envelope the way the recorded hosts do.
    pub fn to_xml(&self, message_id: &str, relates_to: &str, machine: &str) -> String {
        let reason = escape(&self.reason);
        let message = if self.provider {
            format!("<f:ProviderFault provider=\"Shell cmd plugin\" path=\"%systemroot%\\system32\\winrscmd.dll\">{reason}</f:ProviderFault>")
        } else {
            reason.clone()
        };
        format!(
            "{FAULT_ENVELOPE_OPEN}{}<s:Body><s:Fault><s:Code><s:Value>{}</s:Value><s:Subcode><s:Value>{}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">{reason}</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" Code=\"{}\" Machine=\"{}\"><f:Message>{message}</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>",
            header("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", message_id, relates_to),
            self.code,
            self.subcode,
            self.wsman_code,
            escape(machine),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::soap::xml;

    #[test]
    fn fault_matches_recorded_layout() {
        let x = Fault::operation_timeout().to_xml("A", "uuid:B", "host1");
        let root = xml::parse(&x).unwrap();
        let f = root
            .path(&["Body", "Fault", "Detail", "WSManFault"])
            .unwrap();
        assert_eq!(f.attr("Code"), Some("2150858793"));
        assert_eq!(f.attr("Machine"), Some("host1"));
        let sub = root
            .path(&["Body", "Fault", "Code", "Subcode", "Value"])
            .unwrap();
        assert_eq!(sub.text, "w:TimedOut");
        // Same action and fault detail as the real host recorded by pywinrm.
        let real = std::fs::read_to_string(
            crate::shared_dir().join("samples/winrm/pywinrm/fault_wsman_fault_known_fault.xml"),
        )
        .unwrap();
        let real = xml::parse(&real).unwrap();
        assert_eq!(
            real.path(&["Header", "Action"]).unwrap().text,
            root.path(&["Header", "Action"]).unwrap().text
        );
        assert_eq!(
            real.path(&["Body", "Fault", "Reason", "Text"])
                .unwrap()
                .text,
            root.path(&["Body", "Fault", "Reason", "Text"])
                .unwrap()
                .text
        );
    }

    #[test]
    fn receive_response_shape() {
        let x = receive_response(
            "M",
            "uuid:R",
            "C",
            &[StreamChunk {
                name: "stdout",
                data: b"hi",
                end: true,
            }],
            Some(3),
        );
        let root = xml::parse(&x).unwrap();
        let rr = root.path(&["Body", "ReceiveResponse"]).unwrap();
        assert_eq!(rr.child("Stream").unwrap().text, "aGk=");
        assert_eq!(rr.path(&["CommandState", "ExitCode"]).unwrap().text, "3");
    }
}
