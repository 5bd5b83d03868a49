"""pywinrm doing `stigpack fleet status`'s work on every host of a simulated fleet, as one
whole process (its start-up and imports included, as stigpack's are): a fresh NTLM session
per host with message encryption, the same PowerShell status command stigpack sends
(given as JSON: command and arguments), its JSON report parsed and its hostname checked.
Hosts run on a thread pool of the same concurrency; the process exits non-zero if any
host fails, so a broken comparison never produces a figure.

Usage: pywinrm_status.py HOSTS_JSONL CONCURRENCY COMMAND_JSON
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

from winrm.protocol import Protocol


def main():
    hosts_file, conc, command_file = sys.argv[1:4]
    hosts = [json.loads(l) for l in open(hosts_file) if l.strip()]
    command = json.load(open(command_file))

    def one(h):
        p = Protocol(
            endpoint=h["endpoint"],
            transport="ntlm",
            username=h["username"],
            password=h["password"],
            message_encryption="always",
            operation_timeout_sec=20,
            read_timeout_sec=30,
        )
        shell = p.open_shell()
        cid = p.run_command(shell, command["command"], command["args"])
        out, err, code = p.get_command_output(shell, cid)
        p.cleanup_command(shell, cid)
        p.close_shell(shell)
        assert code == 0, (h["name"], err)
        report = json.loads(out)
        assert report["hostname"], report
        return 1

    with ThreadPoolExecutor(max_workers=int(conc)) as ex:
        done = sum(ex.map(one, hosts))
    assert done == len(hosts)


if __name__ == "__main__":
    main()
