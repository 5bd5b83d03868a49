"""An independent NTLM peer for the client: a minimal WinRM-like HTTP endpoint whose NTLM
acceptor and message sealing come from pyspnego (not from the `sspi` crate the client and
simulator use). It completes the Negotiate handshake, unseals each multipart/encrypted
request with pyspnego, checks the plaintext is a WS-Management envelope, and answers with
a response sealed by pyspnego. Prints its port, then serves until killed.

Needs NTLM_USER_FILE (lines DOMAIN:USER:PASSWORD), read by pyspnego's acceptor.
"""

import base64
import http.server
import re
import struct
import sys

import spnego

BOUNDARY = b"--Encrypted Boundary"
CREATED = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header/><s:Body>'
    '<x:ResourceCreated><w:SelectorSet><w:Selector Name="ShellId">PEER-SHELL-1</w:Selector>'
    "</w:SelectorSet></x:ResourceCreated></s:Body></s:Envelope>"
)
EMPTY = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    ctx = None

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization")
        if auth:
            scheme, tok = auth.split(" ", 1)
            if self.ctx is None or self.ctx.complete:
                self.ctx = spnego.server(protocol="ntlm")
            out = self.ctx.step(base64.b64decode(tok))
            if not self.ctx.complete:
                return self.reply(401, headers=[("WWW-Authenticate", scheme + " " + base64.b64encode(out).decode())])
            if not body:
                return self.reply(200)
        if self.ctx is None or not self.ctx.complete:
            return self.reply(401, headers=[("WWW-Authenticate", "Negotiate")])
        # Unseal (pywinrm's parsing).
        parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
        length = int(re.search(rb"Length=(\d+)", parts[0]).group(1))
        payload = parts[1]
        if payload.endswith(BOUNDARY + b"--\r\n"):
            payload = payload[: -len(BOUNDARY + b"--\r\n")]
        payload = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"")
        siglen = struct.unpack("<i", payload[:4])[0]
        plain = self.ctx.unwrap_winrm(payload[4 : 4 + siglen], payload[4 + siglen :])
        assert len(plain) == length, (len(plain), length)
        text = plain.decode("utf-8")
        assert "http://www.w3.org/2003/05/soap-envelope" in text
        resp = (CREATED if "transfer/Create</a:Action>" in text else EMPTY).encode()
        w = self.ctx.wrap_winrm(resp)
        sealed = (
            BOUNDARY + b"\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(resp)).encode() + b"\r\n"
            + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<i", len(w.header)) + w.header + w.data + BOUNDARY + b"--\r\n"
        )
        ctype = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"'
        self.reply(200, sealed, headers=[("Content-Type", ctype)])


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
