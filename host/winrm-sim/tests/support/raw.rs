//! A deliberately small WinRM client for protocol-level tests: raw HTTP/1.1 over one TCP
//! connection with Basic auth (the simulator's lab mode), so a test sees exactly what the
//! server sent — statuses, truncated bodies, resets — with nothing retrying behind it.

use std::io;
use std::time::Duration;

use base64::Engine;
use stigpack_winrm_sim::soap::xml::{self, Element};
use stigpack_winrm_sim::HostInfo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Raw {
    stream: TcpStream,
    auth: String,
    endpoint: String,
    pub max_envelope: usize,
    pub op_timeout: String,
}

pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn xml(&self) -> Element {
        xml::parse(&String::from_utf8_lossy(&self.body)).expect("response is XML")
    }

    /// The WSManFault code, if this is a fault.
    pub fn fault_code(&self) -> Option<String> {
        let x = xml::parse(&String::from_utf8_lossy(&self.body)).ok()?;
        x.path(&["Body", "Fault", "Detail", "WSManFault"])
            .and_then(|f| f.attr("Code"))
            .map(str::to_string)
    }
}

/// Output of a command run to completion.
#[derive(Debug, Default)]
pub struct Run {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit: i64,
    pub receives: usize,
    pub running_states: usize,
    pub max_body: usize,
}

impl Raw {
    pub async fn connect(h: &HostInfo) -> io::Result<Raw> {
        let addr = h
            .endpoint
            .trim_start_matches("http://")
            .trim_end_matches("/wsman")
            .to_string();
        let stream = TcpStream::connect(addr).await?;
        let auth = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", h.username, h.password));
        Ok(Raw {
            stream,
            auth: format!("Basic {auth}"),
            endpoint: h.endpoint.clone(),
            max_envelope: 153_600,
            op_timeout: "PT20S".into(),
        })
    }

    pub fn with_auth(mut self, user: &str, pass: &str) -> Raw {
        self.auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        );
        self
    }

    /// POSTs a body; an error means the connection broke (reset, truncated body).
    pub async fn post(&mut self, body: &[u8]) -> io::Result<Reply> {
        let head = format!(
            "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
            self.auth,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body).await?;
        let mut buf = Vec::new();
        let header_end = loop {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed before headers",
                ));
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = buf[header_end..].to_vec();
        while body.len() < len {
            let mut chunk = vec![0u8; 65536];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("body cut at {} of {len} bytes", body.len()),
                ));
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Ok(Reply { status, body })
    }

    fn envelope(&self, action: &str, shell: Option<&str>, body: &str) -> String {
        let selector = shell
            .map(|s| {
                format!(
                    "<w:SelectorSet><w:Selector Name=\"ShellId\">{s}</w:Selector></w:SelectorSet>"
                )
            })
            .unwrap_or_default();
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><env:Header><a:To>{}</a:To><a:ReplyTo><a:Address mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:MaxEnvelopeSize mustUnderstand="true">{}</w:MaxEnvelopeSize><a:MessageID>uuid:0D1E2F3A-0000-4000-8000-000000000001</a:MessageID><w:Locale mustUnderstand="false" xml:lang="en-US"/><w:OperationTimeout>{}</w:OperationTimeout><w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><a:Action mustUnderstand="true">{action}</a:Action>{selector}</env:Header><env:Body>{body}</env:Body></env:Envelope>"#,
            self.endpoint, self.max_envelope, self.op_timeout
        )
    }

    pub async fn create(&mut self) -> io::Result<Reply> {
        let e = self.envelope(
            "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
            None,
            "<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>",
        );
        self.post(e.as_bytes()).await
    }

    pub async fn open_shell(&mut self) -> String {
        let r = self.create().await.expect("create");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let x = r.xml();
        x.path(&[
            "Body",
            "ResourceCreated",
            "ReferenceParameters",
            "SelectorSet",
            "Selector",
        ])
        .expect("ShellId selector")
        .text
        .clone()
    }

    pub async fn delete(&mut self, shell: &str) -> io::Result<Reply> {
        let e = self.envelope(
            "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
            Some(shell),
            "",
        );
        self.post(e.as_bytes()).await
    }

    pub async fn command(&mut self, shell: &str, cmd: &str, args: &[String]) -> io::Result<Reply> {
        let args: String = args
            .iter()
            .map(|a| format!("<rsp:Arguments>{}</rsp:Arguments>", xml::escape(a)))
            .collect();
        let e = self.envelope(
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command",
            Some(shell),
            &format!(
                "<rsp:CommandLine><rsp:Command>{}</rsp:Command>{args}</rsp:CommandLine>",
                xml::escape(cmd)
            ),
        );
        self.post(e.as_bytes()).await
    }

    pub async fn start(&mut self, shell: &str, cmd: &str, args: &[String]) -> String {
        let r = self.command(shell, cmd, args).await.expect("command");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.xml()
            .path(&["Body", "CommandResponse", "CommandId"])
            .expect("CommandId")
            .text
            .clone()
    }

    pub async fn send(
        &mut self,
        shell: &str,
        cid: &str,
        data: &[u8],
        end: bool,
    ) -> io::Result<Reply> {
        let e = self.envelope(
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send",
            Some(shell),
            &format!(
                "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"{cid}\" End=\"{end}\">{}</rsp:Stream></rsp:Send>",
                base64::engine::general_purpose::STANDARD.encode(data)
            ),
        );
        self.post(e.as_bytes()).await
    }

    pub async fn receive(&mut self, shell: &str, cid: &str) -> io::Result<Reply> {
        let e = self.envelope(
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive",
            Some(shell),
            &format!("<rsp:Receive><rsp:DesiredStream CommandId=\"{cid}\">stdout stderr</rsp:DesiredStream></rsp:Receive>"),
        );
        self.post(e.as_bytes()).await
    }

    pub async fn signal(&mut self, shell: &str, cid: &str) -> io::Result<Reply> {
        let e = self.envelope(
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal",
            Some(shell),
            &format!("<rsp:Signal CommandId=\"{cid}\"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate</rsp:Code></rsp:Signal>"),
        );
        self.post(e.as_bytes()).await
    }

    /// Receives until Done (retrying on operation timeouts), collecting output.
    pub async fn collect(&mut self, shell: &str, cid: &str) -> Run {
        let mut run = Run::default();
        for _ in 0..10_000 {
            let r = self.receive(shell, cid).await.expect("receive");
            run.receives += 1;
            run.max_body = run.max_body.max(r.body.len());
            if r.status == 500 && r.fault_code().as_deref() == Some("2150858793") {
                continue;
            }
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            let x = r.xml();
            let rr = x
                .path(&["Body", "ReceiveResponse"])
                .expect("ReceiveResponse");
            for s in rr.children_named("Stream") {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(s.text.trim())
                    .expect("base64 stream");
                match s.attr("Name") {
                    Some("stdout") => run.stdout.extend(data),
                    Some("stderr") => run.stderr.extend(data),
                    other => panic!("unexpected stream {other:?}"),
                }
            }
            let state = rr.child("CommandState").expect("CommandState");
            if state.attr("State").unwrap_or_default().ends_with("/Done") {
                run.exit = state
                    .child("ExitCode")
                    .expect("ExitCode")
                    .text
                    .trim()
                    .parse()
                    .expect("exit code");
                return run;
            }
            run.running_states += 1;
        }
        panic!("command never finished");
    }

    /// Runs a command in a fresh shell and cleans up.
    pub async fn run(&mut self, cmd: &str, args: &[String], stdin: Option<&[u8]>) -> Run {
        let shell = self.open_shell().await;
        let cid = self.start(&shell, cmd, args).await;
        if let Some(data) = stdin {
            let r = self.send(&shell, &cid, data, true).await.expect("send");
            assert_eq!(r.status, 200);
        }
        let run = self.collect(&shell, &cid).await;
        let r = self.signal(&shell, &cid).await.expect("signal");
        assert_eq!(r.status, 200);
        let r = self.delete(&shell).await.expect("delete");
        assert_eq!(r.status, 200);
        run
    }
}

/// A timeout helper for "no answer" assertions.
pub async fn no_reply_within<F: std::future::Future>(d: Duration, f: F) -> bool {
    tokio::time::timeout(d, f).await.is_err()
}
