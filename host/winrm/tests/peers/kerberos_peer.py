"""An independent Kerberos acceptor for the client's tests: MIT GSSAPI (through pykerberos)
with the service keytab ($KRB5_KTNAME) behind a WinRM-shaped HTTP endpoint. It accepts
the client's `Authorization: Negotiate` token (SPNEGO), answers 200 with its own token
(the AP-REP the client must verify: mutual authentication), and prints
`AUTH <principal>` on stdout. pykerberos cannot unwrap on the accepting side, so any
later (sealed) request gets HTTP 400 and `SEALED <bytes>` is printed: the handshake is
what this peer checks. First stdout line: the port.

Usage: kerberos_peer.py HTTP@<service-host>"""

import base64
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import kerberos

SERVICE = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("negotiate "):
            print("SEALED %d" % len(body), flush=True)
            self.reply(400)
            return
        token = auth.split(" ", 1)[1].strip()
        try:
            _, ctx = kerberos.authGSSServerInit(SERVICE)
            kerberos.authGSSServerStep(ctx, token)
            response = kerberos.authGSSServerResponse(ctx)
            user = kerberos.authGSSServerUserName(ctx)
            kerberos.authGSSServerClean(ctx)
        except kerberos.GSSError as e:
            print("REJECT %s" % (e,), flush=True)
            self.reply(401, [("WWW-Authenticate", "Negotiate")])
            return
        print("AUTH %s" % user, flush=True)
        headers = [("WWW-Authenticate", "Negotiate " + response)] if response else []
        self.reply(200, headers)


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
