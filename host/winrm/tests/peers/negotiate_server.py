"""The HTTP side the Kerberos test peers share: a WinRM-shaped endpoint that hands each
`Authorization: Negotiate` token (base64 text) to an accept function and answers 200
with the returned token (the AP-REP the client must verify) or 401 when it raises. A
request without that header is the client's next (sealed, or plaintext over TLS)
message: it is counted on stdout (`<label> <bytes>`) and answered 400, since the peers
check the handshake only. First stdout line: the port."""

from http.server import BaseHTTPRequestHandler, HTTPServer


def serve(accept, label, wrap_socket=None):
    """`accept(token_b64) -> (principal, reply_b64 or None)`; raises to refuse."""

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
                print("%s %d" % (label, len(body)), flush=True)
                self.reply(400)
                return
            try:
                user, response = accept(auth.split(" ", 1)[1].strip())
            except Exception as e:  # the peer's verdict, whatever the library raised
                print("REJECT %s" % (e,), flush=True)
                self.reply(401, [("WWW-Authenticate", "Negotiate")])
                return
            print("AUTH %s" % user, flush=True)
            headers = [("WWW-Authenticate", "Negotiate " + response)] if response else []
            self.reply(200, headers)

    server = HTTPServer(("127.0.0.1", 0), Handler)
    if wrap_socket is not None:
        server.socket = wrap_socket(server.socket)
    print(server.server_address[1], flush=True)
    server.serve_forever()
