#!/usr/bin/env bash
# Prints the absolute path of the project's shared/ directory (samples, reference,
# toolchain), or nothing if it cannot be found: $STIGPACK_SHARED_DIR when set, else
# ../shared beside the checkout, else ../shared beside the repository this one was cloned
# from (a local clone such as `git clone /work/main /tmp/fresh`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${STIGPACK_SHARED_DIR:-}" ]; then
  (cd "$STIGPACK_SHARED_DIR" && pwd)
elif [ -d ../shared ]; then
  (cd ../shared && pwd)
else
  origin=$(git config --get remote.origin.url 2>/dev/null || true)
  origin=${origin#file://}
  if [ -n "$origin" ] && [ -d "$origin/../shared" ]; then
    (cd "$origin/../shared" && pwd)
  fi
fi
