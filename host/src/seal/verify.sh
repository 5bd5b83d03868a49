#!/bin/sh
# Verifies a stigpack sealed bundle with standard tools only (gzip, tar, sha256sum,
# openssl, sed, head, tail, od). See VERIFY.md for what each step proves.
#   usage: sh verify.sh BUNDLE.tar.gz TRUSTED-KEY.pub
# Exit 0: valid. Exit 1: the bundle fails a check (the message says which).
set -eu
ENV_NAME=zz-seal.intoto.dsse.json
bundle=${1:?usage: sh verify.sh BUNDLE.tar.gz TRUSTED-KEY.pub}
key=${2:?usage: sh verify.sh BUNDLE.tar.gz TRUSTED-KEY.pub}
fail() { echo "verify.sh: FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
gzip -dc -- "$bundle" > "$work/bundle.tar" || fail "gzip stream is corrupt"

# 1. Shape: the envelope is the last entry; only regular files; no absolute or .. names.
tar -tvf "$work/bundle.tar" > "$work/list" || fail "not a tar archive"
if grep -v '^-rw-r--r-- ' "$work/list" > /dev/null; then fail "an entry is not a regular 0644 file"; fi
tar -tf "$work/bundle.tar" > "$work/names"
if grep -E '^/|(^|/)\.\.(/|$)' "$work/names" > /dev/null; then fail "unsafe entry name"; fi
[ "$(tail -n 1 "$work/names")" = "$ENV_NAME" ] || fail "the signature envelope is not the last entry"

# 2. Signature: Ed25519 over DSSE PAE(payloadType, payload), with the pinned key.
mkdir "$work/x"
(cd "$work/x" && tar -xf ../bundle.tar "$ENV_NAME") || fail "cannot read the envelope"
envl="$work/x/$ENV_NAME"
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$envl"; }
field payload | openssl base64 -d -A > "$work/payload" || fail "payload is not base64"
field sig | openssl base64 -d -A > "$work/sig" || fail "signature is not base64"
ptype=$(field payloadType)
[ "$ptype" = "application/vnd.in-toto+json" ] || fail "unexpected payloadType"
plen=$(wc -c < "$work/payload" | tr -d ' ')
{ printf 'DSSEv1 %s %s %s ' "${#ptype}" "$ptype" "$plen"; cat "$work/payload"; } > "$work/pae"
openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$work/pae" -sigfile "$work/sig" > /dev/null 2>&1 \
  || fail "the signature does not verify with $key"

# 3. The signed bytes: the first signedTarBytes bytes of the uncompressed tar, which
#    hold every entry but the envelope; after them comes the envelope alone.
n=$(sed -n 's/.*"signedTarBytes":\([0-9]*\).*/\1/p' "$work/payload")
want=$(sed -n 's/.*{"digest":{"sha256":"\([0-9a-f]*\)"},"name":"bundle.tar"}.*/\1/p' "$work/payload")
[ -n "$n" ] && [ -n "$want" ] || fail "the statement has no signed tar subject"
got=$(head -c "$n" "$work/bundle.tar" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the tar stream differs from the signed one"
[ "$(tail -c +"$((n + 1))" "$work/bundle.tar" | tar -tf - | tr '\n' ' ')" = "$ENV_NAME " ] \
  || fail "entries other than the envelope follow the signed bytes"

# 4. Every file against SHA256SUMS, and no file it does not list.
(cd "$work/x" && tar -xf ../bundle.tar --no-same-owner) || fail "extraction failed"
(cd "$work/x" && sha256sum -c --strict --quiet SHA256SUMS) || fail "a checksum does not match"
(cd "$work/x" && find . -type f | sed 's|^\./||' | grep -v -x -e SHA256SUMS -e "$ENV_NAME" | LC_ALL=C sort > ../found)
sed 's/^[0-9a-f]*  //' "$work/x/SHA256SUMS" | LC_ALL=C sort > "$work/listed"
cmp -s "$work/found" "$work/listed" || fail "files present differ from SHA256SUMS"
echo "verify.sh: OK: signature by $key, $(wc -l < "$work/listed" | tr -d ' ') files match SHA256SUMS"
