#!/usr/bin/env bash
# Fresh machine: installs everything (scripts/setup.sh), then runs lint and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# The node code cache of start_synth_kernel() (docs/synth-speed.md) stays in the checkout.
export CDKTF_RESTATE_CODE_CACHE_DIR="${CDKTF_RESTATE_CODE_CACHE_DIR:-$PWD/.cache/node-code-cache}"
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
