"""pywinrm doing the same work as the Rust client in benches/winrm.rs, against the same
simulator, in the same run: commands/s on one host, a fleet running one command per host
at a given concurrency, and a chunked file pull (Ansible fetch style: one PowerShell
command per chunk in one shell, base64 on stdout), then peak memory.

Usage: pywinrm_bench.py HOSTS_JSONL CONCURRENCY COMMANDS FILE_PATH FILE_SIZE CHUNK
Prints one JSON object on stdout.
"""

import base64
import hashlib
import json
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import winrm
from winrm.protocol import Protocol


def protocol(h):
    return Protocol(
        endpoint=h["endpoint"],
        transport="ntlm",
        username=h["username"],
        password=h["password"],
        message_encryption="always",
        server_cert_validation="ignore",
        operation_timeout_sec=20,
        read_timeout_sec=30,
    )


def run(p, shell, cmd, args=()):
    cid = p.run_command(shell, cmd, list(args))
    out, err, code = p.get_command_output(shell, cid)
    p.cleanup_command(shell, cid)
    return out, err, code


def encoded(script):
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def main():
    hosts_file, conc, commands, fpath, fsize, chunk = sys.argv[1:7]
    conc, commands, fsize, chunk = int(conc), int(commands), int(fsize), int(chunk)
    hosts = [json.loads(l) for l in open(hosts_file) if l.strip()]
    result = {}

    # 1. Commands per second, one host, one shell.
    p = protocol(hosts[0])
    shell = p.open_shell()
    run(p, shell, "hostname")  # warm: authentication done
    t0 = time.perf_counter()
    for _ in range(commands):
        out, _, code = run(p, shell, "hostname")
        assert code == 0 and out.strip() == hosts[0]["name"].encode(), out
    result["commands_per_s"] = commands / (time.perf_counter() - t0)
    p.close_shell(shell)

    # 2. Fleet: every host, one command each (fresh session, as a fleet run does).
    def one(h):
        s = winrm.Session(
            h["endpoint"],
            auth=(h["username"], h["password"]),
            transport="ntlm",
            message_encryption="always",
        )
        r = s.run_cmd("hostname")
        assert r.status_code == 0 and r.std_out.strip() == h["name"].encode(), r.std_out
        return 1

    runs = []
    for _ in range(3):  # median of 3, as the Rust side does
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=conc) as ex:
            done = sum(ex.map(one, hosts))
        runs.append(time.perf_counter() - t0)
    dt = sorted(runs)[1]
    result["fleet_hosts"] = done
    result["fleet_seconds"] = dt
    result["fleet_hosts_per_s"] = done / dt

    # 3. File pull: one read-chunk command per chunk in one shell. The simulator answers
    # from the script's marker line (docs/winrm.md), so only the marker is sent.
    p = protocol(hosts[0])
    shell = p.open_shell()
    h = hashlib.sha256()
    got = 0
    t0 = time.perf_counter()
    while got < fsize:
        n = min(chunk, fsize - got)
        marker = "# stigpack-op: " + json.dumps(
            {"op": "read-chunk", "path": fpath, "offset": got, "len": n}, separators=(",", ":")
        )
        out, err, code = run(
            p, shell, "powershell.exe", ["-NoProfile", "-NonInteractive", "-EncodedCommand", encoded(marker + "\n")]
        )
        assert code == 0, err
        data = base64.b64decode(out)
        h.update(data)
        got += len(data)
        if len(data) < n:
            break
    dt = time.perf_counter() - t0
    p.close_shell(shell)
    result["pull_bytes"] = got
    result["pull_sha256"] = h.hexdigest()
    result["pull_mb_per_s"] = got / dt / 1e6
    # ru_maxrss is KiB on Linux.
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
