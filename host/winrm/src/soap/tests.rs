//! Parsing real recorded Windows responses, and our requests compared structurally with
//! pywinrm's recorded requests.

use super::xml::{parse, Element};
use super::*;

fn sample(rel: &str) -> Vec<u8> {
    let p = crate::shared_dir().join("samples/winrm").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// pywinrm's fixtures use `%s` placeholders in some ids (filled in by its tests).
fn sample_filled(rel: &str) -> Vec<u8> {
    String::from_utf8(sample(rel))
        .unwrap()
        .replace("%s", "2")
        .into_bytes()
}

#[test]
fn create_shell_responses() {
    assert_eq!(
        parse_shell_id(&sample("pywinrm/open_shell_response.xml")).unwrap(),
        "11111111-1111-1111-1111-111111111113"
    );
    assert_eq!(
        parse_shell_id(&sample("masterzen/createShellResponse.xml")).unwrap(),
        "67A74734-DD32-4F10-89DE-49A060483810"
    );
}

#[test]
fn command_responses() {
    assert_eq!(
        parse_command_id(&sample("masterzen/executeCommandResponse.xml")).unwrap(),
        "1A6DEE6B-EC68-4DD6-87E9-030C0048ECC4"
    );
    assert_eq!(
        parse_command_id(&sample_filled("pywinrm/run_cmd_ps_response.xml")).unwrap(),
        "11111111-1111-1111-1111-111111111124"
    );
}

#[test]
fn running_then_done_with_exit_123() {
    let id = "1A6DEE6B-EC68-4DD6-87E9-030C0048ECC4";
    let first = parse_receive(&sample("masterzen/outputResponse.xml"), id).unwrap();
    assert_eq!(first.state, CommandState::Running);
    assert_eq!(first.stdout, b"That's all folks!!!");
    assert_eq!(first.stderr, b"This is stderr, I'm pretty sure!");
    let single = parse_receive(&sample("masterzen/singleOutputResponse.xml"), id).unwrap();
    assert_eq!(single.state, CommandState::Running);
    assert!(single.stderr.is_empty());
    // The Done responses belong to another command id in masterzen's fixture.
    let done_id = "4531DAA3-60C2-4CAD-9FCA-F433101DAC8A";
    let done = parse_receive(&sample("masterzen/doneCommandResponse.xml"), done_id).unwrap();
    assert_eq!(done.state, CommandState::Done { exit_code: 123 });
    let done0 = parse_receive(
        &sample("masterzen/doneCommandExitCode0Response.xml"),
        done_id,
    )
    .unwrap();
    assert_eq!(done0.state, CommandState::Done { exit_code: 0 });
    // Another command's state is not ours.
    let other = parse_receive(&sample("masterzen/doneCommandResponse.xml"), id).unwrap();
    assert_eq!(other.state, CommandState::Running);
}

#[test]
fn pywinrm_output_responses() {
    let out = parse_receive(
        &sample_filled("pywinrm/get_ps_output_response.xml"),
        "11111111-1111-1111-1111-111111111124",
    )
    .unwrap();
    assert_eq!(out.state, CommandState::Done { exit_code: 1 });
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("#< CLIXML\r\n<Objs"), "{err}");
    let text = crate::scripts::decode_clixml(&err);
    assert!(text.starts_with("Write-Error \"Error\" : Error"), "{text}");
}

#[test]
fn all_pywinrm_cmd_output_responses_parse() {
    for f in [
        "pywinrm/get_cmd_output_response.xml",
        "pywinrm/run_cmd_send_input_get_output_response.xml",
    ] {
        let raw = sample_filled(f);
        let root = parse(&raw).unwrap();
        let id = root
            .find("CommandState")
            .and_then(|e| e.attr("CommandId"))
            .unwrap()
            .to_string();
        let out = parse_receive(&raw, &id).unwrap();
        assert!(
            matches!(out.state, CommandState::Done { .. }),
            "{f}: {out:?}"
        );
        assert!(!out.stdout.is_empty(), "{f}");
    }
}

#[test]
fn operation_timeout_fault_is_recognised() {
    for f in [
        "masterzen/operationTimeoutResponse.xml",
        "pywinrm/fault_wsman_fault_known_fault.xml",
    ] {
        let fault = parse_fault(&sample(f)).unwrap().unwrap();
        assert!(fault.is_operation_timeout(), "{f}");
        assert_eq!(fault.subcode.as_deref(), Some("w:TimedOut"));
        assert!(!fault.is_busy());
        // And Receive surfaces it as a fault, not as output.
        let err = parse_receive(&sample(f), "x").unwrap_err();
        assert!(matches!(err, SoapError::Fault(ref f) if f.is_operation_timeout()));
    }
}

#[test]
fn wsman_fault_with_detail() {
    let f = parse_fault(&sample("pywinrm/fault_wsman_fault_with_wsmanfault.xml"))
        .unwrap()
        .unwrap();
    assert_eq!(f.code, Some(fault_code::SCHEMA_VALIDATION));
    assert_eq!(f.machine.as_deref(), Some("SERVER2008.domain.local"));
    assert_eq!(f.message.as_deref(), Some("Detail message."));
    assert_eq!(f.reason.as_deref(), Some("Reason text."));
    assert_eq!(f.value.as_deref(), Some("s:Sender"));
    assert_eq!(f.subcode.as_deref(), Some("w:SchemaValidationError"));
    assert_eq!(f.to_string(), "WSManFault 2150858817: Detail message.");
}

#[test]
fn wmi_error_fault_is_busy_quota() {
    let f = parse_fault(&sample("pywinrm/fault_wsman_fault_wmi_error_detail.xml"))
        .unwrap()
        .unwrap();
    assert_eq!(f.code, Some(fault_code::CONCURRENT_OPERATIONS_QUOTA));
    assert_eq!(f.message.as_deref(), Some("WMI Message."));
    assert!(f.is_busy());
}

#[test]
fn faults_without_detail() {
    let f = parse_fault(&sample("pywinrm/fault_wsman_fault_no_reason.xml"))
        .unwrap()
        .unwrap();
    assert_eq!(f.code, None);
    assert_eq!(f.value.as_deref(), Some("s:Unknown"));
    assert_eq!(f.to_string(), "SOAP fault: s:Unknown");
    let f = parse_fault(&sample("pywinrm/fault_wsman_fault_must_understand.xml"))
        .unwrap()
        .unwrap();
    assert_eq!(f.value.as_deref(), Some("s:MustUnderstand"));
    assert_eq!(f.reason.as_deref(), Some("Test reason."));
}

#[test]
fn command_line_too_long_fault_keeps_provider_message() {
    let err =
        parse_command_id(&sample("masterzen/executeCommandResponseWithError.xml")).unwrap_err();
    let SoapError::Fault(f) = err else {
        panic!("expected fault")
    };
    assert_eq!(f.code, Some(fault_code::FILENAME_TOO_LONG));
    assert_eq!(
        f.message.as_deref(),
        Some("The filename or extension is too long.")
    );
}

#[test]
fn non_fault_responses_have_no_fault() {
    assert_eq!(
        parse_fault(&sample("pywinrm/close_shell_response.xml")).unwrap(),
        None
    );
    assert!(matches!(
        parse_fault(b"<html>oops</html>"),
        Err(SoapError::NotEnvelope)
    ));
}

// ---- requests, structurally against pywinrm's recorded requests ----

/// A structural digest: the header children by local name with their attributes (minus
/// per-message values), the selector/option sets, and the body's element tree.
#[derive(Debug, PartialEq)]
struct Shape {
    action: String,
    header_names: Vec<String>,
    must_understand: Vec<(String, String)>,
    selectors: Vec<(String, String)>,
    options: Vec<(String, String)>,
    body: Vec<String>,
}

fn walk(e: &Element, prefix: &str, out: &mut Vec<String>) {
    let mut attrs: Vec<String> = e
        .attrs
        .iter()
        .filter(|(k, _)| k != "CommandId" && k != "End")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    attrs.sort();
    let path = format!("{prefix}/{}[{}]", e.name, attrs.join(","));
    out.push(path.clone());
    for c in &e.children {
        walk(c, &path, out);
    }
}

fn shape(xml: &[u8]) -> Shape {
    let root = parse(xml).unwrap();
    let header = root.child("Header").unwrap();
    let body = root.child("Body").unwrap();
    let mut header_names: Vec<String> = header.children.iter().map(|c| c.name.clone()).collect();
    header_names.sort();
    let mut must_understand: Vec<(String, String)> = header
        .children
        .iter()
        .filter_map(|c| c.attr("mustUnderstand").map(|m| (c.name.clone(), m.into())))
        .collect();
    must_understand.sort();
    let selectors = header
        .child("SelectorSet")
        .map(|s| {
            s.children
                .iter()
                .map(|c| {
                    (
                        c.attr("Name").unwrap().to_string(),
                        c.text.trim().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let options = header
        .child("OptionSet")
        .map(|s| {
            s.children
                .iter()
                .map(|c| {
                    (
                        c.attr("Name").unwrap().to_string(),
                        c.text.trim().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut b = Vec::new();
    for c in &body.children {
        walk(c, "", &mut b);
    }
    Shape {
        action: header.child("Action").unwrap().text.trim().to_string(),
        header_names,
        must_understand,
        selectors,
        options,
        body: b,
    }
}

fn ctx() -> RequestContext {
    RequestContext::new("http://windows-host:5985/wsman")
}

const SHELL: &str = "11111111-1111-1111-1111-111111111113";

#[test]
fn create_matches_pywinrm() {
    let opts = ShellOptions {
        codepage: 437,
        no_profile: false,
        working_directory: None,
        idle_timeout_secs: None,
    };
    let ours = shape(create_shell(&ctx(), &opts).as_bytes());
    let theirs = shape(&sample("pywinrm/open_shell_request.xml"));
    assert_eq!(ours, theirs);
    // Our default adds an idle timeout (server-side cleanup of abandoned shells) and
    // UTF-8; both are documented WinRS options.
    let default = create_shell(&ctx(), &ShellOptions::default());
    assert!(default.contains("<rsp:IdleTimeOut>PT600S</rsp:IdleTimeOut>"));
    assert!(default.contains(r#"<w:Option Name="WINRS_CODEPAGE">65001</w:Option>"#));
}

#[test]
fn command_matches_pywinrm() {
    let cmd = "powershell -encodedcommand VwByAGkAdABlAC0ARQByAHIAbwByACAAIgBFAHIAcgBvAHIAIgA=";
    let ours = shape(command(&ctx(), SHELL, cmd, &[]).as_bytes());
    let theirs = shape(&sample("pywinrm/run_ps_request.xml"));
    assert_eq!(ours, theirs);
    let with_args = shape(command(&ctx(), SHELL, "ipconfig", &["/all".into()]).as_bytes());
    let theirs = shape(&sample_filled("pywinrm/run_cmd_with_args_request.xml"));
    assert_eq!(with_args.body, theirs.body);
    assert_eq!(with_args.options, theirs.options);
}

#[test]
fn send_receive_signal_delete_match_pywinrm() {
    let cid = "11111111-1111-1111-1111-111111111111";
    let ours = shape(
        send_input(
            &ctx(),
            SHELL,
            cid,
            b"echo \"hello world\" && exit\r\n",
            false,
        )
        .as_bytes(),
    );
    let theirs = shape(&sample("pywinrm/run_cmd_send_input.xml"));
    assert_eq!(ours.action, theirs.action);
    assert_eq!(ours.selectors, theirs.selectors);
    assert_eq!(ours.body, theirs.body);
    let text = send_input(
        &ctx(),
        SHELL,
        cid,
        b"echo \"hello world\" && exit\r\n",
        true,
    );
    assert!(text.contains("ZWNobyAiaGVsbG8gd29ybGQiICYmIGV4aXQNCg=="));
    assert!(text.contains(r#"End="true""#));

    let ours = shape(receive(&ctx(), SHELL, cid).as_bytes());
    let theirs = shape(&sample("pywinrm/run_cmd_send_input_get_output.xml"));
    assert_eq!(ours, theirs);

    let ours = shape(signal_terminate(&ctx(), SHELL, cid).as_bytes());
    let theirs = shape(&sample_filled("pywinrm/cleanup_cmd_request.xml"));
    assert_eq!(ours, theirs);

    let ours = shape(delete_shell(&ctx(), SHELL).as_bytes());
    let theirs = shape(&sample("pywinrm/close_shell_request.xml"));
    assert_eq!(ours, theirs);
}

#[test]
fn requests_escape_values_and_use_fresh_message_ids() {
    let a = command(&ctx(), SHELL, "echo <&>", &[]);
    assert!(a.contains("<rsp:Command>echo &lt;&amp;&gt;</rsp:Command>"));
    let b = command(&ctx(), SHELL, "echo <&>", &[]);
    let id = |s: &str| {
        parse(s.as_bytes())
            .unwrap()
            .find("MessageID")
            .unwrap()
            .text
            .clone()
    };
    assert_ne!(id(&a), id(&b));
    assert!(id(&a).starts_with("uuid:"));
    let mut c = ctx();
    c.operation_timeout = std::time::Duration::from_millis(1500);
    assert!(receive(&c, SHELL, "x").contains("<w:OperationTimeout>PT1.500S</w:OperationTimeout>"));
}
