#!/usr/bin/env bash
# The project's test command (the README's second command): sets up what the tests need,
# then runs every test of the workspace. In CI (CI=true) a missing independent checker is
# a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export STIGPACK_PYTHON="$PWD/.venv/bin/python"
# The tests read real samples from shared/ (see scripts/shared-dir.sh for where it is
# looked for); in CI a missing one fails the tests that need it.
shared=$(bash scripts/shared-dir.sh)
if [ -n "$shared" ]; then
  export STIGPACK_SHARED_DIR="$shared"
fi
cargo test --workspace --locked
