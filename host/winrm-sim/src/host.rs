//! One simulated Windows host as WinRM sees it: its machine (`machine.rs`: name, files,
//! faults, counters) and the WinRS shells and commands it has open. The HTTP layer
//! (server.rs) calls into it once a request is authenticated and parsed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::faults::HostFaults;
use crate::interp;
use crate::interp::outcome::{Launch, Outcome, StdinMode};
use crate::machine::{lock, Machine};
use crate::rng::IdGen;
use crate::soap::response::{self as resp, StreamChunk, RECEIVE_OVERHEAD, STREAM_OVERHEAD};
use crate::soap::{Action, Fault, Request};

/// Windows' default MaxShellsPerUser.
pub const DEFAULT_SHELL_QUOTA: usize = 30;
/// Windows Server 2012+ default MaxEnvelopeSizekb.
pub const DEFAULT_ENVELOPE_KB: usize = 500;

/// A snapshot of one host's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostStats {
    pub open_shells: usize,
    pub open_commands: usize,
    pub requests: u64,
    pub connections: u64,
    pub shells_created: u64,
    pub shells_deleted: u64,
    pub commands_run: u64,
    pub receives: u64,
    pub signals: u64,
    pub auth_failures: u64,
    pub faults_injected: u64,
    pub operation_timeouts: u64,
    pub quota_rejections: u64,
    pub oversize_rejections: u64,
    pub stdout_bytes: u64,
}

#[derive(Debug)]
enum CmdState {
    AwaitStdin(Vec<u8>, StdinMode),
    Running {
        out: Outcome,
        ready_at: Instant,
        out_pos: usize,
        err_pos: usize,
    },
}

#[derive(Debug)]
struct Command {
    state: CmdState,
}

#[derive(Debug, Default)]
struct Shell {
    commands: HashMap<String, Command>,
}

/// One simulated host.
#[derive(Debug)]
pub struct Host {
    /// What commands run against (files, state, clock, faults, counters).
    machine: Machine,
    shells: Mutex<HashMap<String, Shell>>,
    ids: IdGen,
    pub(crate) username: String,
}

/// A host is its machine plus the WinRS shells open on it: the server reads the machine's
/// faults and counters, and hands it to the interpreter, through the host.
impl std::ops::Deref for Host {
    type Target = Machine;

    fn deref(&self) -> &Machine {
        &self.machine
    }
}

/// What the server should do with a Receive for now.
#[derive(Debug)]
pub enum ReceiveStep {
    Respond {
        xml: String,
        carries_output: bool,
    },
    /// No output yet: wait until this instant (bounded by the OperationTimeout) and retry.
    WaitUntil(Instant),
    Fault(Fault),
}

impl Host {
    pub fn new(name: String, username: String, faults: HostFaults, seed: u64, ids: IdGen) -> Host {
        Host {
            machine: Machine::new(name, faults, seed),
            shells: Mutex::new(HashMap::new()),
            ids,
            username,
        }
    }

    /// Fixes the host's clock (status replies, scan times, file times).
    pub fn with_clock(mut self, clock: Option<std::time::SystemTime>) -> Host {
        self.machine.clock = clock;
        self
    }

    pub fn envelope_limit_bytes(&self) -> usize {
        self.faults.envelope_kb.unwrap_or(DEFAULT_ENVELOPE_KB) * 1024
    }

    pub fn new_id(&self) -> String {
        self.ids.guid()
    }

    pub fn stats(&self) -> HostStats {
        let c = &self.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let shells = lock(&self.shells);
        HostStats {
            open_shells: shells.len(),
            open_commands: shells.values().map(|s| s.commands.len()).sum(),
            requests: g(&c.requests),
            connections: g(&c.connections),
            shells_created: g(&c.shells_created),
            shells_deleted: g(&c.shells_deleted),
            commands_run: g(&c.commands_run),
            receives: g(&c.receives),
            signals: g(&c.signals),
            auth_failures: g(&c.auth_failures),
            faults_injected: g(&c.faults_injected),
            operation_timeouts: g(&c.operation_timeouts),
            quota_rejections: g(&c.quota_rejections),
            oversize_rejections: g(&c.oversize_rejections),
            stdout_bytes: g(&c.stdout_bytes),
        }
    }

    pub fn open_shells(&self) -> usize {
        lock(&self.shells).len()
    }

    fn fault_xml(&self, req: &Request, f: &Fault) -> String {
        f.to_xml(&self.new_id(), &req.message_id, &self.name)
    }

    /// Handles every action except the waiting part of Receive. Returns the HTTP status and
    /// the response envelope (500 for faults).
    pub fn handle(&self, req: &Request, endpoint: &str, client_ip: &str) -> (u16, String) {
        match self.dispatch(req, endpoint, client_ip) {
            Ok(xml) => (200, xml),
            Err(f) => (500, self.fault_xml(req, &f)),
        }
    }

    /// Renders a fault for this host (the server uses it for faults it decides itself).
    pub fn fault_response(&self, req: &Request, f: &Fault) -> String {
        self.fault_xml(req, f)
    }

    fn shell_id<'r>(&self, req: &'r Request) -> Result<&'r str, Fault> {
        req.shell_id
            .as_deref()
            .ok_or_else(|| Fault::schema_validation("the ShellId selector is missing"))
    }

    fn dispatch(&self, req: &Request, endpoint: &str, client_ip: &str) -> Result<String, Fault> {
        let mid = self.new_id();
        match &req.action {
            Action::Create => {
                let quota = self.faults.shell_quota.unwrap_or(DEFAULT_SHELL_QUOTA);
                let mut shells = lock(&self.shells);
                if shells.len() >= quota {
                    self.counters
                        .quota_rejections
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(Fault::shell_quota(quota));
                }
                let id = self.new_id();
                shells.insert(id.clone(), Shell::default());
                self.counters.shells_created.fetch_add(1, Ordering::Relaxed);
                Ok(resp::create_response(
                    &mid,
                    &req.message_id,
                    endpoint,
                    &id,
                    &self.username,
                    client_ip,
                ))
            }
            Action::Delete => {
                let sid = self.shell_id(req)?;
                let mut shells = lock(&self.shells);
                if shells.remove(sid).is_none() {
                    return Err(Fault::shell_not_found(sid));
                }
                self.counters.shells_deleted.fetch_add(1, Ordering::Relaxed);
                Ok(resp::delete_response(&mid, &req.message_id))
            }
            Action::Command { command, arguments } => {
                let sid = self.shell_id(req)?.to_string();
                let line_len = command.len() + arguments.iter().map(|a| a.len() + 1).sum::<usize>();
                if !lock(&self.shells).contains_key(&sid) {
                    return Err(Fault::shell_not_found(&sid));
                }
                if line_len > interp::MAX_COMMAND_LINE {
                    return Err(Fault::command_line_too_long());
                }
                // Run outside the shell lock: ops may read large files.
                let launch = interp::launch(self, command, arguments);
                let state = match launch {
                    Launch::AwaitStdin(mode) => CmdState::AwaitStdin(Vec::new(), mode),
                    Launch::Ready(out) => self.running(out),
                };
                let cid = self.new_id();
                let mut shells = lock(&self.shells);
                let shell = shells
                    .get_mut(&sid)
                    .ok_or_else(|| Fault::shell_not_found(&sid))?;
                shell.commands.insert(cid.clone(), Command { state });
                self.counters.commands_run.fetch_add(1, Ordering::Relaxed);
                Ok(resp::command_response(&mid, &req.message_id, &cid))
            }
            Action::Send {
                command_id,
                data,
                end,
            } => {
                let sid = self.shell_id(req)?.to_string();
                let script = {
                    let mut shells = lock(&self.shells);
                    let shell = shells
                        .get_mut(&sid)
                        .ok_or_else(|| Fault::shell_not_found(&sid))?;
                    let cmd = shell
                        .commands
                        .get_mut(command_id)
                        .ok_or_else(|| Fault::command_not_found(command_id))?;
                    match &mut cmd.state {
                        CmdState::AwaitStdin(buf, mode) => {
                            buf.extend_from_slice(data);
                            if *end {
                                Some((std::mem::take(buf), *mode))
                            } else {
                                None
                            }
                        }
                        // A command that does not read stdin ignores it, as on Windows.
                        CmdState::Running { .. } => None,
                    }
                };
                if let Some((script, mode)) = script {
                    let out = interp::powershell::run_stdin_script(self, &script, mode);
                    let state = self.running(out);
                    let mut shells = lock(&self.shells);
                    if let Some(cmd) = shells
                        .get_mut(&sid)
                        .and_then(|s| s.commands.get_mut(command_id))
                    {
                        cmd.state = state;
                    }
                }
                Ok(resp::send_response(&mid, &req.message_id))
            }
            Action::Signal { command_id, code } => {
                let sid = self.shell_id(req)?;
                self.counters.signals.fetch_add(1, Ordering::Relaxed);
                let mut shells = lock(&self.shells);
                let shell = shells
                    .get_mut(sid)
                    .ok_or_else(|| Fault::shell_not_found(sid))?;
                if let Some(cid) = command_id {
                    if (code.ends_with("/terminate") || code.ends_with("/ctrl_c"))
                        && shell.commands.remove(cid).is_none()
                    {
                        return Err(Fault::command_not_found(cid));
                    }
                }
                Ok(resp::signal_response(&mid, &req.message_id))
            }
            Action::Receive { .. } => Err(Fault::schema_validation(
                "Receive is handled by receive_step",
            )),
        }
    }

    fn running(&self, out: Outcome) -> CmdState {
        CmdState::Running {
            ready_at: Instant::now() + out.delay,
            out,
            out_pos: 0,
            err_pos: 0,
        }
    }

    /// One attempt at answering a Receive: output (bounded by the client's MaxEnvelopeSize),
    /// or "wait", or a fault.
    pub fn receive_step(&self, req: &Request) -> ReceiveStep {
        let Action::Receive { command_id } = &req.action else {
            return ReceiveStep::Fault(Fault::schema_validation("not a Receive"));
        };
        let sid = match self.shell_id(req) {
            Ok(s) => s,
            Err(f) => return ReceiveStep::Fault(f),
        };
        let mut shells = lock(&self.shells);
        let Some(shell) = shells.get_mut(sid) else {
            return ReceiveStep::Fault(Fault::shell_not_found(sid));
        };
        let cid = match command_id {
            Some(c) => c.clone(),
            None => {
                return ReceiveStep::Fault(Fault::schema_validation(
                    "DesiredStream has no CommandId",
                ))
            }
        };
        let Some(cmd) = shell.commands.get_mut(&cid) else {
            return ReceiveStep::Fault(Fault::command_not_found(&cid));
        };
        let CmdState::Running {
            out,
            ready_at,
            out_pos,
            err_pos,
        } = &mut cmd.state
        else {
            // Waiting for stdin: nothing will be ready within this Receive.
            return ReceiveStep::WaitUntil(Instant::now() + req.operation_timeout);
        };
        let now = Instant::now();
        if now < *ready_at {
            return ReceiveStep::WaitUntil(*ready_at);
        }
        let budget = req
            .max_envelope_size
            .saturating_sub(RECEIVE_OVERHEAD + 4 * STREAM_OVERHEAD + req.message_id.len());
        let mut raw_budget = (budget / 4 * 3).max(512);
        if let Some(src) = out.stream.as_mut() {
            // Top the buffer up to one envelope's worth from the on-demand source.
            if out.stdout.len() - *out_pos < raw_budget {
                out.stdout.drain(..*out_pos);
                *out_pos = 0;
                let mut finished = false;
                while out.stdout.len() < raw_budget {
                    let more = src.next_output(self, raw_budget - out.stdout.len());
                    if more.is_empty() {
                        finished = true;
                        break;
                    }
                    out.stdout.extend_from_slice(&more);
                }
                if finished {
                    out.stream = None;
                }
            }
        }
        let out_take = (out.stdout.len() - *out_pos).min(raw_budget);
        raw_budget -= out_take;
        let err_take = (out.stderr.len() - *err_pos).min(raw_budget);
        let stdout = &out.stdout[*out_pos..*out_pos + out_take];
        let stderr = &out.stderr[*err_pos..*err_pos + err_take];
        *out_pos += out_take;
        *err_pos += err_take;
        let done =
            *out_pos == out.stdout.len() && *err_pos == out.stderr.len() && out.stream.is_none();
        let mut chunks = Vec::new();
        if !stdout.is_empty() {
            chunks.push(StreamChunk {
                name: "stdout",
                data: stdout,
                end: false,
            });
        }
        if !stderr.is_empty() {
            chunks.push(StreamChunk {
                name: "stderr",
                data: stderr,
                end: false,
            });
        }
        if done {
            chunks.push(StreamChunk {
                name: "stdout",
                data: &[],
                end: true,
            });
            chunks.push(StreamChunk {
                name: "stderr",
                data: &[],
                end: true,
            });
        }
        self.counters
            .stdout_bytes
            .fetch_add(out_take as u64, Ordering::Relaxed);
        let carries_output = out_take + err_take > 0;
        let xml = resp::receive_response(
            &self.new_id(),
            &req.message_id,
            &cid,
            &chunks,
            if done { Some(out.exit_code) } else { None },
        );
        ReceiveStep::Respond {
            xml,
            carries_output,
        }
    }
}
