#!/usr/bin/env bash
# Installs everything stigpack needs to build and to run its tests on a fresh machine:
# the pinned Rust toolchain's wasm32-wasip2 target, the independent checkers the tests run
# (xmllint with the XCCDF 1.1 schema, openssl, sha256sum), and a Python venv (.venv) with
# pywinrm/pyspnego/pykerberos (an independent WinRM client, NTLM and Kerberos), an MIT
# Kerberos KDC (the Kerberos tests start a throwaway realm on loopback), securesystemslib (DSSE), openpyxl
# (workbooks) and ansible-core (ansible-inventory, the Ansible inventory oracle), and
# STIG Manager's parsers from npm (scripts/checkers).
# Safe to run again: each step checks before it installs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

say() { printf 'setup: %s\n' "$*" >&2; }

# 1. Toolchain. rust-toolchain.toml pins 1.95.0; where rustup cannot download it but the
#    machine's stable toolchain is 1.95.0, link that one under the pinned name.
if ! rustup run 1.95.0 rustc --version >/dev/null 2>&1; then
  stable_sysroot=$(rustup run stable rustc --print sysroot 2>/dev/null || true)
  if [ -n "$stable_sysroot" ] && rustup run stable rustc --version | grep -q ' 1\.95\.0 '; then
    say "linking the installed stable 1.95.0 toolchain as 1.95.0"
    rustup toolchain link 1.95.0 "$stable_sysroot"
  else
    rustup toolchain install 1.95.0 --profile minimal -c rustfmt -c clippy
  fi
fi
# 2. The wasm target for the guest components (rustup first, the saved copy offline).
shared=$(bash scripts/shared-dir.sh)
if [ -n "$shared" ] && [ -f "$shared/toolchain/install-wasm-target.sh" ]; then
  bash "$shared/toolchain/install-wasm-target.sh"
else
  rustup target add wasm32-wasip2
fi

# 3. Independent checkers from Debian: xmllint, the XCCDF schema (openscap-common), openssl,
#    the age CLI, Node.js and npm (for STIG Manager's own parsers), and Chromium (the HTML
#    report's browser test, tests/export/report_browser.rs).
need_apt=()
command -v xmllint >/dev/null 2>&1 || need_apt+=(libxml2-utils)
[ -f /usr/share/openscap/schemas/xccdf/1.1/xccdf-schema.xsd ] || need_apt+=(openscap-common)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v age >/dev/null 2>&1 || need_apt+=(age)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# `man -l` renders the generated man pages in the tests.
command -v man >/dev/null 2>&1 || need_apt+=(man-db)
# The fleet report is tested in a real browser.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# Kerberos (host/winrm/tests/kerberos.rs): an MIT KDC started per test on loopback
# (krb5kdc, kdb5_util, kadmin.local), kinit for pywinrm's ticket cache, and the headers
# pykerberos compiles against (a few seconds, no wheel exists).
command -v krb5kdc >/dev/null 2>&1 || [ -x /usr/sbin/krb5kdc ] || need_apt+=(krb5-kdc)
command -v kadmin.local >/dev/null 2>&1 || [ -x /usr/sbin/kadmin.local ] || need_apt+=(krb5-admin-server)
command -v kinit >/dev/null 2>&1 || need_apt+=(krb5-user)
# libkrb5-dev also gives the GSSAPI headers and library the stigpack binary links for
# Kerberos from a credential cache (host/winrm/src/auth/ccache.rs, crate libgssapi), whose
# build runs bindgen, which loads libclang.
command -v krb5-config >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need_apt+=(libclang-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# 4. Python checkers, pinned so a new release cannot change what "independent" means.
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import winrm, spnego, requests_ntlm, kerberos, gssapi, securesystemslib, openpyxl, ansible' >/dev/null 2>&1 \
   || [ ! -x .venv/bin/ansible-inventory ]; then
  say "installing Python checkers into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-checkers.txt
fi

# 5. STIG Manager's own checklist parsers (npm @nuwcdivnpt/stig-manager-client-modules),
#    pinned by scripts/checkers/package-lock.json.
if [ ! -f scripts/checkers/node_modules/@nuwcdivnpt/stig-manager-client-modules/package.json ]; then
  say "installing STIG Manager's parsers (npm ci in scripts/checkers)"
  (cd scripts/checkers && npm ci --no-audit --no-fund --silent)
fi
say "ready"
