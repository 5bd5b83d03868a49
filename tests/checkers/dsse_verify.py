"""Independent check of a stigpack DSSE envelope with securesystemslib.

Usage: dsse_verify.py ENVELOPE PUBLIC_PEM [PRIVATE_PEM]

Verifies the envelope with the SubjectPublicKeyInfo PEM key (keyid = hex SHA-256 of the
key's DER, as stigpack writes it; DSSE does not sign the keyid, the key is what is
pinned). With PRIVATE_PEM, also loads the PKCS#8 key with CryptoSigner and re-signs the
payload: Ed25519 is deterministic, so the signature must equal the envelope's.
Prints one JSON object; exits 1 when verification fails.
"""

import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey


def main() -> int:
    env_path, pub_path = sys.argv[1], sys.argv[2]
    with open(env_path, "rb") as f:
        raw = json.load(f)
    with open(pub_path, "rb") as f:
        pub = load_pem_public_key(f.read())
    keyid = hashlib.sha256(
        pub.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).hexdigest()
    key = SSlibKey.from_crypto(pub, keyid=keyid)
    env = Envelope.from_dict(json.loads(json.dumps(raw)))
    out = {"keyid": keyid, "payloadType": env.payload_type}
    try:
        env.verify([key], 1)
        out["verified"] = True
    except VerificationError as e:
        out["verified"] = False
        out["error"] = str(e)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "rb") as f:
            signer = CryptoSigner(load_pem_private_key(f.read(), None))
        again = Envelope(env.payload, env.payload_type, {})
        sig = again.sign(signer)
        theirs = base64.b64decode(raw["signatures"][0]["sig"])
        out["resignedEqual"] = bytes.fromhex(sig.signature) == theirs
    print(json.dumps(out))
    return 0 if out["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
