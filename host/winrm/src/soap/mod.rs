//! WS-Management / WinRS SOAP: building the requests the client sends and parsing what
//! Windows answers. Pure functions over strings and bytes (no I/O), so they are tested
//! against real recorded Windows traffic (pywinrm and masterzen fixtures).

mod request;
mod response;
pub mod xml;

pub use request::{
    command, create_shell, delete_shell, receive, send_input, signal_terminate, RequestContext,
    ShellOptions,
};
pub use response::{
    parse_command_id, parse_fault, parse_receive, parse_shell_id, CommandState, ReceiveOutput,
    SoapError, WsmanFault,
};
/// The deepest element nesting the client (and the simulator) accepts.
pub use xml::MAX_DEPTH;

/// SOAP 1.2 envelope namespace.
pub const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing.
pub const NS_ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// WS-Management (DMTF).
pub const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
/// Microsoft WS-Management extensions.
pub const NS_WSMAN_MS: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
/// WinRS shell.
pub const NS_SHELL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
/// WSManFault detail.
pub const NS_WSMAN_FAULT: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";

/// Resource URI of the cmd shell.
pub const RESOURCE_CMD: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd";
/// Anonymous reply-to address.
pub const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

/// `a:Action` URIs.
pub mod action {
    pub const CREATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create";
    pub const DELETE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete";
    pub const COMMAND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command";
    pub const SEND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send";
    pub const RECEIVE: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive";
    pub const SIGNAL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal";
    pub const FAULT: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
}

/// Signal code that terminates a command.
pub const SIGNAL_TERMINATE: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate";
/// `rsp:CommandState` values.
pub const STATE_DONE: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done";
pub const STATE_RUNNING: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running";

/// WSManFault codes with a meaning for the client.
pub mod fault_code {
    /// Receive found no output within OperationTimeout: not an error, Receive again.
    pub const OPERATION_TIMEOUT: u32 = 2_150_858_793;
    /// The request did not validate against the schema.
    pub const SCHEMA_VALIDATION: u32 = 2_150_858_817;
    /// Too many concurrent operations for the user (quota, default 1500): retry later.
    pub const CONCURRENT_OPERATIONS_QUOTA: u32 = 2_150_859_174;
    /// Too many shells for the user (MaxShellsPerUser): retry later.
    pub const SHELL_QUOTA: u32 = 2_150_859_173;
    /// The command line is too long.
    pub const FILENAME_TOO_LONG: u32 = 2_147_942_606;
}

#[cfg(test)]
mod tests;
