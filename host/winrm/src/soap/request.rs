//! Request envelopes, structured like pywinrm's (same header set and order, same option
//! names), because that is what every Windows version has been seen to accept.

use std::fmt::Write as _;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::xml::escape;
use super::{action, ANONYMOUS, RESOURCE_CMD, SIGNAL_TERMINATE};

/// What every request header carries besides the action and selectors.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// `a:To`: the endpoint URL.
    pub to: String,
    /// `w:MaxEnvelopeSize` in bytes: the largest response the server may send.
    pub max_envelope_size: u32,
    /// `w:OperationTimeout`; Receive waits at most this long for output.
    pub operation_timeout: Duration,
    /// `w:Locale` / `p:DataLocale`.
    pub locale: String,
}

impl RequestContext {
    pub fn new(to: impl Into<String>) -> Self {
        RequestContext {
            to: to.into(),
            max_envelope_size: 153_600,
            operation_timeout: Duration::from_secs(20),
            locale: "en-US".into(),
        }
    }

    fn timeout_text(&self) -> String {
        let ms = self.operation_timeout.as_millis();
        if ms.is_multiple_of(1000) {
            format!("PT{}S", ms / 1000)
        } else {
            format!("PT{}.{:03}S", ms / 1000, ms % 1000)
        }
    }
}

/// Options for shell creation.
#[derive(Debug, Clone)]
pub struct ShellOptions {
    /// `WINRS_CODEPAGE`: 65001 makes native tools' output UTF-8.
    pub codepage: u32,
    /// `WINRS_NOPROFILE`.
    pub no_profile: bool,
    /// `rsp:WorkingDirectory`.
    pub working_directory: Option<String>,
    /// `rsp:IdleTimeOut` in seconds: the server deletes an abandoned shell after this,
    /// the last line of defence against leaked shells.
    pub idle_timeout_secs: Option<u32>,
}

impl Default for ShellOptions {
    fn default() -> Self {
        ShellOptions {
            codepage: 65001,
            no_profile: true,
            working_directory: None,
            idle_timeout_secs: Some(600),
        }
    }
}

const ENVELOPE_OPEN: &str = concat!(
    r#"<?xml version="1.0" encoding="utf-8"?>"#,
    r#"<env:Envelope xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer""#,
    r#" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd""#,
    r#" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd""#,
    r#" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell""#,
    r#" xmlns:env="http://www.w3.org/2003/05/soap-envelope""#,
    r#" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">"#
);

fn message_id() -> String {
    format!("uuid:{}", uuid::Uuid::new_v4().to_string().to_uppercase())
}

fn envelope(
    ctx: &RequestContext,
    action: &str,
    shell_id: Option<&str>,
    options: &[(&str, String)],
    body: &str,
) -> String {
    let mut s = String::with_capacity(1500 + body.len());
    s.push_str(ENVELOPE_OPEN);
    s.push_str("<env:Header>");
    let _ = write!(s, "<a:To>{}</a:To>", escape(&ctx.to));
    let _ = write!(
        s,
        r#"<a:ReplyTo><a:Address mustUnderstand="true">{ANONYMOUS}</a:Address></a:ReplyTo>"#
    );
    let _ = write!(
        s,
        r#"<w:MaxEnvelopeSize mustUnderstand="true">{}</w:MaxEnvelopeSize>"#,
        ctx.max_envelope_size
    );
    let _ = write!(s, "<a:MessageID>{}</a:MessageID>", message_id());
    let _ = write!(
        s,
        r#"<w:Locale mustUnderstand="false" xml:lang="{0}"/><p:DataLocale mustUnderstand="false" xml:lang="{0}"/>"#,
        escape(&ctx.locale)
    );
    let _ = write!(
        s,
        "<w:OperationTimeout>{}</w:OperationTimeout>",
        ctx.timeout_text()
    );
    let _ = write!(
        s,
        r#"<w:ResourceURI mustUnderstand="true">{RESOURCE_CMD}</w:ResourceURI>"#
    );
    let _ = write!(s, r#"<a:Action mustUnderstand="true">{action}</a:Action>"#);
    if let Some(id) = shell_id {
        let _ = write!(
            s,
            r#"<w:SelectorSet><w:Selector Name="ShellId">{}</w:Selector></w:SelectorSet>"#,
            escape(id)
        );
    }
    if !options.is_empty() {
        s.push_str("<w:OptionSet>");
        for (name, value) in options {
            let _ = write!(
                s,
                r#"<w:Option Name="{}">{}</w:Option>"#,
                escape(name),
                escape(value)
            );
        }
        s.push_str("</w:OptionSet>");
    }
    s.push_str("</env:Header><env:Body>");
    s.push_str(body);
    s.push_str("</env:Body></env:Envelope>");
    s
}

fn flag(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

/// Create a cmd shell with stdin and stdout/stderr streams.
pub fn create_shell(ctx: &RequestContext, opts: &ShellOptions) -> String {
    let mut body = String::from("<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>");
    if let Some(dir) = &opts.working_directory {
        let _ = write!(
            body,
            "<rsp:WorkingDirectory>{}</rsp:WorkingDirectory>",
            escape(dir)
        );
    }
    if let Some(secs) = opts.idle_timeout_secs {
        let _ = write!(body, "<rsp:IdleTimeOut>PT{secs}S</rsp:IdleTimeOut>");
    }
    body.push_str("</rsp:Shell>");
    envelope(
        ctx,
        action::CREATE,
        None,
        &[
            ("WINRS_NOPROFILE", flag(opts.no_profile)),
            ("WINRS_CODEPAGE", opts.codepage.to_string()),
        ],
        &body,
    )
}

/// Start a command in a shell.
pub fn command(ctx: &RequestContext, shell_id: &str, cmd: &str, args: &[String]) -> String {
    let mut body = String::from("<rsp:CommandLine>");
    let _ = write!(body, "<rsp:Command>{}</rsp:Command>", escape(cmd));
    for a in args {
        let _ = write!(body, "<rsp:Arguments>{}</rsp:Arguments>", escape(a));
    }
    body.push_str("</rsp:CommandLine>");
    envelope(
        ctx,
        action::COMMAND,
        Some(shell_id),
        &[
            ("WINRS_CONSOLEMODE_STDIN", flag(true)),
            ("WINRS_SKIP_CMD_SHELL", flag(false)),
        ],
        &body,
    )
}

/// Send bytes to a command's stdin; `end` closes the stream.
pub fn send_input(
    ctx: &RequestContext,
    shell_id: &str,
    command_id: &str,
    data: &[u8],
    end: bool,
) -> String {
    let end_attr = if end { r#" End="true""# } else { "" };
    let body = format!(
        r#"<rsp:Send><rsp:Stream Name="stdin" CommandId="{}"{end_attr}>{}</rsp:Stream></rsp:Send>"#,
        escape(command_id),
        B64.encode(data)
    );
    envelope(ctx, action::SEND, Some(shell_id), &[], &body)
}

/// Ask for a command's pending output.
pub fn receive(ctx: &RequestContext, shell_id: &str, command_id: &str) -> String {
    let body = format!(
        r#"<rsp:Receive><rsp:DesiredStream CommandId="{}">stdout stderr</rsp:DesiredStream></rsp:Receive>"#,
        escape(command_id)
    );
    envelope(ctx, action::RECEIVE, Some(shell_id), &[], &body)
}

/// Terminate a command (releases its operation slot on the server).
pub fn signal_terminate(ctx: &RequestContext, shell_id: &str, command_id: &str) -> String {
    let body = format!(
        r#"<rsp:Signal CommandId="{}"><rsp:Code>{SIGNAL_TERMINATE}</rsp:Code></rsp:Signal>"#,
        escape(command_id)
    );
    envelope(ctx, action::SIGNAL, Some(shell_id), &[], &body)
}

/// Delete a shell.
pub fn delete_shell(ctx: &RequestContext, shell_id: &str) -> String {
    envelope(ctx, action::DELETE, Some(shell_id), &[], "")
}
