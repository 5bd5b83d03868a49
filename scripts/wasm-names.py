#!/usr/bin/env python3
"""Function names of a component's main core module, by index, for reading `perf` output.

wasmtime's compiled code names guest functions `wasm[0]::function[N]`. Profile a stigpack
whose embedded guests keep their name section (the guest build in build.rs inherits the
profile setting; a separate target dir keeps the usual build untouched):

    CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR=/tmp/named \
      cargo build --release -p stigpack

then `scripts/wasm-names.py /tmp/named/release/build/stigpack-*/out/guests-target/\
wasm32-wasip2/release/import.wasm` prints `N name` lines (mangled; pipe through rustfilt
if installed). A guest built by hand has other path remaps, hence another function
order: its names would not match the profiled code.
"""
import sys


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def sections(b, start):
    i = start
    while i < len(b):
        sid = b[i]
        i += 1
        n, i = leb(b, i)
        yield sid, b[i:i + n]
        i += n


def names(module):
    out = {}
    for sid, c in sections(module, 8):
        if sid != 0:
            continue
        nl, j = leb(c, 0)
        if c[j:j + nl] != b"name":
            continue
        j += nl
        while j < len(c):
            sub = c[j]
            j += 1
            size, j = leb(c, j)
            body = c[j:j + size]
            j += size
            if sub == 1:  # function names
                count, k = leb(body, 0)
                for _ in range(count):
                    idx, k = leb(body, k)
                    ln, k = leb(body, k)
                    out[idx] = body[k:k + ln].decode(errors="replace")
                    k += ln
    return out


def main():
    data = open(sys.argv[1], "rb").read()
    # A component's core modules are its sections of id 1; the first is the guest's code.
    modules = [c for sid, c in sections(data, 8) if sid == 1]
    if not modules:
        sys.exit(f"{sys.argv[1]}: no core module (not a component?)")
    for idx, name in sorted(names(modules[0]).items()):
        print(idx, name)


if __name__ == "__main__":
    main()
