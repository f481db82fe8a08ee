#!/usr/bin/env bash
# Fresh machine: installs everything (scripts/setup.sh), then runs the main job: synthesize
# examples/minimal and `terraform init` + `plan` it against an embedded AWS emulator (moto).
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
bash scripts/setup.sh
exec .venv/bin/cdktf-restate demo "$@"
