"""Independent WinRM client for the simulator tests: pywinrm (with requests-ntlm/pyspnego)
runs real commands against a simulated host and prints one JSON object of what it saw.
If pywinrm cannot talk to the simulator, the simulator is wrong.

Usage: pywinrm_client.py '<json config>'  (endpoint, username, password, transport,
message_encryption, ca_file, host)."""

import json
import sys

import winrm
from winrm.protocol import Protocol


def main():
    cfg = json.loads(sys.argv[1])
    kwargs = dict(
        transport=cfg["transport"],
        message_encryption=cfg.get("message_encryption", "auto"),
        server_cert_validation="validate",
        read_timeout_sec=30,
        operation_timeout_sec=20,
    )
    if cfg.get("ca_file"):
        kwargs["ca_trust_path"] = cfg["ca_file"]
    session = winrm.Session(cfg["endpoint"], auth=(cfg["username"], cfg["password"]), **kwargs)
    out = {}
    if cfg.get("expect_auth_failure"):
        try:
            session.run_cmd("hostname")
            out["auth"] = "accepted"
        except winrm.exceptions.InvalidCredentialsError as e:
            out["auth"] = "rejected: %s" % e
        print(json.dumps(out))
        return

    r = session.run_cmd("hostname")
    out["hostname"] = [r.std_out.decode(), r.status_code]

    r = session.run_ps("Write-Output 'hello from pywinrm'; exit 7")
    out["exit7"] = [r.std_out.decode(), r.status_code]

    r = session.run_ps("Write-Error 'boom went the disk'")
    out["write_error"] = [r.std_err.decode(), r.status_code]

    r = session.run_ps("Get-Widget -Name x")
    out["unknown"] = [r.std_err.decode(), r.status_code]

    r = session.run_cmd("ipconfig", ["/all"])
    out["cmd_unknown"] = [r.std_err.decode(), r.status_code]

    # A long script over stdin whose output spans several Receives.
    p = session.protocol
    shell = p.open_shell()
    cmd = p.run_command(shell, "powershell", ["-NoProfile", "-NonInteractive", "-Command", "-"])
    lines = ["line %04d %s" % (i, "x" * 180) for i in range(1200)]
    script = "\r\n".join("Write-Output '%s'" % l for l in lines) + "\r\n"
    p.send_command_input(shell, cmd, script.encode(), end=True)
    chunks = []
    receives = 0
    done = False
    code = None
    while not done:
        stdout, stderr, code, done = p.get_command_output_raw(shell, cmd)
        receives += 1
        chunks.append(stdout)
    p.cleanup_command(shell, cmd)
    p.close_shell(shell, close_session=False)
    text = b"".join(chunks).decode()
    out["multi"] = {
        "receives": receives,
        "matches": text == "".join(l + "\r\n" for l in lines),
        "bytes": len(text),
        "exit": code,
    }
    # NTLM message encryption: a message sealed for this connection's security context,
    # sent on a different TCP connection, must be refused (HTTP 400), as Windows does.
    tr = p.transport
    if tr.encryption is not None:
        import requests

        prepared = tr.encryption.prepare_encrypted_request(tr.session, tr.endpoint, b"<x/>")
        with requests.Session() as other:
            out["cross_connection_status"] = other.send(prepared).status_code
    print(json.dumps(out))


if __name__ == "__main__":
    main()
