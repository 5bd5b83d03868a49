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

import gssapi

from negotiate_server import serve

SERVICE, CERT, KEY, MODE = sys.argv[1:5]

with open(CERT, "rb") as f:
    der = ssl.PEM_cert_to_DER_cert(f.read().decode())
digest = hashlib.sha256(der).digest() if MODE == "right" else bytes(32)
BINDINGS = gssapi.raw.ChannelBindings(application_data=b"tls-server-end-point:" + digest)
CREDS = gssapi.Credentials(
    name=gssapi.Name(SERVICE, gssapi.NameType.hostbased_service), usage="accept"
)


def accept(token):
    try:
        # The raw call returns the initiator with the result (no inquiry afterwards).
        res = gssapi.raw.accept_sec_context(
            base64.b64decode(token), acceptor_creds=CREDS, channel_bindings=BINDINGS
        )
    except gssapi.exceptions.GSSError as e:
        raise RuntimeError(e.gen_message()) from None
    reply = base64.b64encode(res.token).decode() if res.token else None
    return gssapi.Name(res.initiator_name), reply


tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(CERT, KEY)
serve(accept, "PLAIN", lambda sock: tls.wrap_socket(sock, server_side=True))
