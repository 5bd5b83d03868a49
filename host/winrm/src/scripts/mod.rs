//! The PowerShell the client runs on Windows hosts, and the contract the simulator honours.
//!
//! Every script is real PowerShell (Windows PowerShell 5.1 and PowerShell 7) whose first
//! line is a marker comment carrying the operation as one line of JSON:
//!
//! ```text
//! # stigpack-op: {"op":"read-chunk","path":"C:\\Results\\a.ckl","offset":0,"len":524288}
//! ```
//!
//! PowerShell ignores the comment; the simulator reads it with [`parse_marker`] and never
//! has to interpret PowerShell. The output each operation prints (its *contract*) is
//! documented on each [`Op`] variant and typed by [`StatusReport`], [`TreeEntry`] and
//! [`FileHashReport`], so both sides produce and parse the same bytes.
//!
//! Errors common to all operations: a missing path prints `stigpack: not found: <path>`
//! on stderr (plain text via `[Console]::Error`, not CLIXML) and exits [`EXIT_NOT_FOUND`];
//! any other failure prints `stigpack: <message>` and exits [`EXIT_FAILED`].

mod clixml;
mod encoding;
mod ops;

pub use clixml::{decode_clixml, encode_clixml_error, is_clixml};
pub use encoding::{
    decode_encoded_command, decode_stdin_script, encode_command, encode_stdin_script,
    parse_powershell_command_line, powershell_command_line, PsInvocation, PS_EXE,
    STDIN_BOOTSTRAP_THRESHOLD,
};
pub use ops::{
    parse_marker, script_for, FileHashReport, FileRange, Op, StatusReport, TreeEntry, EXIT_FAILED,
    EXIT_NOT_FOUND, EXIT_NO_COMPRESSION, GZIP_READ_BLOCK, MARKER_PREFIX,
};
