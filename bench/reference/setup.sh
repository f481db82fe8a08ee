#!/usr/bin/env bash
# Installs the reference product (@restatedev/byoc) and its CDK peers into
# bench/reference/node_modules, for `bench/synth.py` to time side by side with ours.
# Versions are pinned in package.json; no lock file is written (node_modules is git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-package-lock --no-audit --no-fund --loglevel=error
node -e 'require("@restatedev/byoc"); require("aws-cdk-lib"); console.log("bench/reference: installed")'
