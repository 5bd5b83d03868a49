"""An independent acceptor that checks Kerberos channel binding over HTTPS: MIT GSSAPI
(python-gssapi) with the service keytab ($KRB5_KTNAME) behind a TLS endpoint with the
given certificate. It computes RFC 5929 `tls-server-end-point` from its own certificate
(SHA-256 of the DER certificate, for SHA-256/SHA-1/MD5 signatures) and passes it to
gss_accept_sec_context, which then refuses an AP-REQ whose authenticator checksum binds
another TLS channel (or, with `wrong`, any channel: the proof that the check is made).
Prints `AUTH <principal>` or `REJECT <reason>`; answers 200 with the AP-REP, then 400 to
the plaintext SOAP that follows over TLS (`PLAIN <bytes>`). First stdout line: the port.

Usage: kerberos_cb_peer.py HTTP@<service-host> CERT.pem KEY.pem right|wrong"""

import base64
import hashlib
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import gssapi

SERVICE, CERT, KEY, MODE = sys.argv[1:5]

with open(CERT, "rb") as f:
    der = ssl.PEM_cert_to_DER_cert(f.read().decode())
digest = hashlib.sha256(der).digest() if MODE == "right" else bytes(32)
BINDINGS = gssapi.raw.ChannelBindings(application_data=b"tls-server-end-point:" + digest)
NAME = gssapi.Name(SERVICE, gssapi.NameType.hostbased_service)
CREDS = gssapi.Credentials(name=NAME, usage="accept")


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
            print("PLAIN %d" % len(body), flush=True)
            self.reply(400)
            return
        token = base64.b64decode(auth.split(" ", 1)[1].strip())
        try:
            # The raw call returns the initiator with the result (no inquiry afterwards).
            res = gssapi.raw.accept_sec_context(
                token, acceptor_creds=CREDS, channel_bindings=BINDINGS
            )
        except gssapi.exceptions.GSSError as e:
            print("REJECT %s" % (e.gen_message(),), flush=True)
            self.reply(401, [("WWW-Authenticate", "Negotiate")])
            return
        print("AUTH %s" % gssapi.Name(res.initiator_name), flush=True)
        out = res.token
        headers = [("WWW-Authenticate", "Negotiate " + base64.b64encode(out).decode())] if out else []
        self.reply(200, headers)


server = HTTPServer(("127.0.0.1", 0), Handler)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(CERT, KEY)
server.socket = tls.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
