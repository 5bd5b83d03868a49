"""An independent Kerberos acceptor for the client's tests: MIT GSSAPI (through pykerberos)
with the service keytab ($KRB5_KTNAME) behind a WinRM-shaped HTTP endpoint. It accepts
the client's `Authorization: Negotiate` token (SPNEGO), answers 200 with its own token
(the AP-REP the client must verify: mutual authentication), and prints
`AUTH <principal>` on stdout. pykerberos cannot unwrap on the accepting side, so any
later (sealed) request gets HTTP 400 and `SEALED <bytes>` is printed: the handshake is
what this peer checks. First stdout line: the port.

Usage: kerberos_peer.py HTTP@<service-host>"""

import sys

import kerberos

from negotiate_server import serve

SERVICE = sys.argv[1]


def accept(token):
    _, ctx = kerberos.authGSSServerInit(SERVICE)
    try:
        kerberos.authGSSServerStep(ctx, token)
        return kerberos.authGSSServerUserName(ctx), kerberos.authGSSServerResponse(ctx)
    finally:
        kerberos.authGSSServerClean(ctx)


serve(accept, "SEALED")
