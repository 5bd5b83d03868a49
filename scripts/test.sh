#!/usr/bin/env bash
# The project's test command (the README's second command): sets up what the tests need,
# then runs every test of the workspace. In CI (CI=true) a missing independent checker is
# a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export STIGPACK_PYTHON="$PWD/.venv/bin/python"
cargo test --workspace --locked
